//! The label selector lexer, token for token as apimachinery's: identifiers
//! run until whitespace or one of `=!(),<>`, and operators are the longest
//! run of those characters that still forms a token.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(literal: &[u8]) -> Option<Token> {
    Some(match literal {
        b")" => Token::ClosedPar,
        b"," => Token::Comma,
        b"!" => Token::DoesNotExist,
        b"==" => Token::DoubleEquals,
        b"=" => Token::Equals,
        b">" => Token::GreaterThan,
        b"in" => Token::In,
        b"<" => Token::LessThan,
        b"!=" => Token::NotEquals,
        b"notin" => Token::NotIn,
        b"(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(byte: u8) -> bool {
    matches!(byte, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits `input` into tokens, ending with [`Token::EndOfString`]. Like Go's
/// lexer, a NUL byte ends the input.
pub fn scan(input: &str) -> Vec<(Token, String)> {
    let bytes = input.as_bytes();
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = bytes.get(..end).unwrap_or_default();
    let mut pos = 0;
    let mut items = Vec::new();
    loop {
        while bytes.get(pos).is_some_and(|&b| is_whitespace(b)) {
            pos += 1;
        }
        let Some(&first) = bytes.get(pos) else {
            items.push((Token::EndOfString, String::new()));
            return items;
        };
        let start = pos;
        if is_special(first) {
            let mut last: Option<(Token, usize)> = None;
            while let Some(&b) = bytes.get(pos) {
                if !is_special(b) {
                    break;
                }
                let candidate = bytes.get(start..=pos).unwrap_or_default();
                match keyword(candidate) {
                    Some(token) => last = Some((token, pos + 1)),
                    None if last.is_some() => break,
                    None => {}
                }
                pos += 1;
            }
            match last {
                Some((token, token_end)) => {
                    pos = token_end;
                    items.push((token, text(bytes, start, token_end)));
                }
                None => items.push((
                    Token::Error,
                    format!(
                        "error expected: keyword found '{}'",
                        text(bytes, start, pos)
                    ),
                )),
            }
        } else {
            while bytes
                .get(pos)
                .is_some_and(|&b| !is_special(b) && !is_whitespace(b))
            {
                pos += 1;
            }
            let literal = text(bytes, start, pos);
            let token = keyword(literal.as_bytes()).unwrap_or(Token::Identifier);
            items.push((token, literal));
        }
    }
}

/// Token boundaries are ASCII bytes, so slices of valid UTF-8 stay valid.
fn text(bytes: &[u8], start: usize, end: usize) -> String {
    String::from_utf8_lossy(bytes.get(start..end).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Token::*;

    #[test]
    fn tokens() {
        let cases: &[(&str, &[(Token, &str)])] = &[
            ("", &[(EndOfString, "")]),
            (
                "x in (a, b)",
                &[
                    (Identifier, "x"),
                    (In, "in"),
                    (OpenPar, "("),
                    (Identifier, "a"),
                    (Comma, ","),
                    (Identifier, "b"),
                    (ClosedPar, ")"),
                    (EndOfString, ""),
                ],
            ),
            (
                "!a,b!=c,d==e",
                &[
                    (DoesNotExist, "!"),
                    (Identifier, "a"),
                    (Comma, ","),
                    (Identifier, "b"),
                    (NotEquals, "!="),
                    (Identifier, "c"),
                    (Comma, ","),
                    (Identifier, "d"),
                    (DoubleEquals, "=="),
                    (Identifier, "e"),
                    (EndOfString, ""),
                ],
            ),
            (
                "a=(b",
                &[
                    (Identifier, "a"),
                    (Equals, "="),
                    (OpenPar, "("),
                    (Identifier, "b"),
                    (EndOfString, ""),
                ],
            ),
            (
                "a>=1",
                &[
                    (Identifier, "a"),
                    (GreaterThan, ">"),
                    (Equals, "="),
                    (Identifier, "1"),
                    (EndOfString, ""),
                ],
            ),
            (
                "notin\tä",
                &[(NotIn, "notin"), (Identifier, "ä"), (EndOfString, "")],
            ),
            ("a\0b", &[(Identifier, "a"), (EndOfString, "")]),
        ];
        for (input, want) in cases {
            let got = scan(input);
            let got: Vec<(Token, &str)> = got.iter().map(|(t, s)| (*t, s.as_str())).collect();
            assert_eq!(&got, want, "{input:?}");
        }
    }
}
