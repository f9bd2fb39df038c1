//! Turning the parsers' syntax errors into messages for people: the
//! position moves out of the text into `FILE:LINE:COL`, and the common
//! mistakes (tabs, `----`, unclosed quotes, bad indentation) are named.

use crate::location::Location;

use super::index::{Origin, MAX_DEPTH};

/// A libyaml message taken apart:
/// `PROBLEM at line L column C[, CONTEXT[ at line L column C]]`.
#[derive(Debug, PartialEq, Eq)]
struct Parts<'a> {
    problem: &'a str,
    problem_at: Option<Position>,
    context: Option<&'a str>,
    context_at: Option<Position>,
}

/// libyaml gives a line and column, or (for errors reading the stream, such
/// as control characters) only a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    At(Location),
    Offset(usize),
}

impl Position {
    fn resolve(self, text: &str) -> Location {
        match self {
            Position::At(at) => at,
            Position::Offset(offset) => {
                let origin = Origin::of_offset(text, offset);
                Location {
                    line: origin.line,
                    column: origin.column,
                }
            }
        }
    }
}

fn leading_number(text: &str) -> (Option<usize>, &str) {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    (
        text.get(..digits).and_then(|d| d.parse().ok()),
        text.get(digits..).unwrap_or(""),
    )
}

/// Splits `TEXT at line L column C REST` (or `TEXT at position N REST`).
fn take_position(text: &str) -> (&str, Option<Position>, &str) {
    if let Some(start) = text.find(" at line ") {
        let rest = text.get(start + " at line ".len()..).unwrap_or("");
        let (line, rest) = leading_number(rest);
        if let Some(rest) = rest.strip_prefix(" column ") {
            let (column, rest) = leading_number(rest);
            if let (Some(line), Some(column)) = (line, column) {
                return (
                    &text[..start],
                    Some(Position::At(Location { line, column })),
                    rest,
                );
            }
        }
    } else if let Some(start) = text.find(" at position ") {
        let rest = text.get(start + " at position ".len()..).unwrap_or("");
        if let (Some(offset), rest) = leading_number(rest) {
            return (&text[..start], Some(Position::Offset(offset)), rest);
        }
    }
    (text, None, "")
}

fn split(message: &str) -> Parts<'_> {
    let (problem, problem_at, rest) = take_position(message);
    let (context, context_at) = match rest.strip_prefix(", ") {
        Some(context) => {
            let (context, context_at, _) = take_position(context);
            (Some(context), context_at)
        }
        None => (None, None),
    };
    Parts {
        problem,
        problem_at,
        context,
        context_at,
    }
}

/// The text of 1-based `line`.
fn line_text(text: &str, line: usize) -> &str {
    text.lines().nth(line.saturating_sub(1)).unwrap_or("")
}

fn char_at(text: &str, at: Location) -> Option<char> {
    line_text(text, at.line)
        .chars()
        .nth(at.column.saturating_sub(1))
}

fn is_four_dashes(line: &str) -> bool {
    let line = line.trim_end();
    line.len() >= 4 && line.bytes().all(|b| b == b'-')
}

/// The location and message for a YAML syntax error from serde_yaml_ng,
/// given its display text, its location and the source text.
pub(crate) fn yaml_error(message: &str, at: Location, text: &str) -> (Location, String) {
    let parts = split(message);
    let at = match parts.problem_at {
        Some(position @ Position::Offset(_)) => position.resolve(text),
        _ => at,
    };
    let context_at = parts.context_at.map(|p| p.resolve(text));
    let context_at_or_problem = context_at.unwrap_or(at);
    // A `----` line is read as text, and the error shows up a line or two
    // later; name the real culprit.
    for line in [
        context_at_or_problem.line,
        at.line.saturating_sub(1),
        at.line,
    ] {
        if line > 0 && is_four_dashes(line_text(text, line)) {
            return (
                Location { line, column: 1 },
                "\"----\" is not a document separator; use \"---\"".to_string(),
            );
        }
    }
    if char_at(text, at) == Some('\t') {
        return (
            at,
            "tab character in indentation; YAML indents with spaces only".to_string(),
        );
    }
    let context = parts.context.unwrap_or("");
    let located = |loc: Option<Location>| match loc {
        Some(l) => format!(" at line {} column {}", l.line, l.column),
        None => String::new(),
    };
    match (parts.problem, context) {
        ("could not find expected ':'", "while scanning a simple key") => (
            context_at_or_problem,
            "expected \"key: value\", but this key has no ':' after it".to_string(),
        ),
        ("found unexpected end of stream", "while scanning a quoted scalar") => (
            context_at_or_problem,
            "quoted string is not closed before the end of the file".to_string(),
        ),
        ("did not find expected key", "while parsing a block mapping") => (
            at,
            format!(
                "bad indentation: expected a key in line with the mapping{}",
                located(context_at)
            ),
        ),
        ("did not find expected '-' indicator", "while parsing a block collection") => (
            at,
            format!(
                "bad indentation: expected a list item (\"- \") in line with the list{}",
                located(context_at)
            ),
        ),
        ("mapping values are not allowed in this context", _) => (
            at,
            "unexpected ':' in a value; quote the value if it contains \": \"".to_string(),
        ),
        ("recursion limit exceeded", _) => (at, nesting_message()),
        ("unknown anchor", _) => (
            at,
            "alias to an anchor that is not defined before it in this document".to_string(),
        ),
        (problem, "") => (at, problem.to_string()),
        (problem, context) => (at, format!("{problem} ({context}{})", located(context_at))),
    }
}

/// The message for a JSON syntax error from serde_json.
pub(crate) fn json_message(message: &str) -> String {
    let (problem, _, _) = take_position(message);
    match problem {
        "trailing comma" => "trailing comma: JSON allows no ',' before '}' or ']'".to_string(),
        "EOF while parsing an object" => "unexpected end of file: an object is not closed".into(),
        "EOF while parsing a list" => "unexpected end of file: a list is not closed".into(),
        "EOF while parsing a string" => "unexpected end of file: a string is not closed".into(),
        "recursion limit exceeded" => nesting_message(),
        other => other.to_string(),
    }
}

pub(crate) fn nesting_message() -> String {
    format!("nesting is deeper than {MAX_DEPTH} levels")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Location {
        Location { line, column }
    }

    #[test]
    fn libyaml_messages_split_into_problem_and_context() {
        assert_eq!(
            split("could not find expected ':' at line 3 column 1, while scanning a simple key at line 2 column 1"),
            Parts {
                problem: "could not find expected ':'",
                problem_at: Some(Position::At(at(3, 1))),
                context: Some("while scanning a simple key"),
                context_at: Some(Position::At(at(2, 1))),
            }
        );
        assert_eq!(
            split(
                "did not find expected node content at line 4 column 1, while parsing a flow node"
            ),
            Parts {
                problem: "did not find expected node content",
                problem_at: Some(Position::At(at(4, 1))),
                context: Some("while parsing a flow node"),
                context_at: None,
            }
        );
        assert_eq!(
            split("control characters are not allowed at position 3").problem_at,
            Some(Position::Offset(3))
        );
        assert_eq!(
            split("recursion limit exceeded").problem,
            "recursion limit exceeded"
        );
    }

    #[test]
    fn common_mistakes_are_named() {
        let cases: [(&str, &str, Location, (Location, &str)); 6] = [
            (
                "a: 1\n----\nb: 2\n",
                "could not find expected ':' at line 3 column 1, while scanning a simple key at line 2 column 1",
                at(3, 1),
                (at(2, 1), "\"----\" is not a document separator; use \"---\""),
            ),
            (
                "a:\n\tb: 1\n",
                "found character that cannot start any token at line 2 column 1, while scanning for the next token",
                at(2, 1),
                (at(2, 1), "tab character in indentation; YAML indents with spaces only"),
            ),
            (
                "a: \"abc\nb: 2\n",
                "found unexpected end of stream at line 3 column 1, while scanning a quoted scalar at line 1 column 4",
                at(3, 1),
                (at(1, 4), "quoted string is not closed before the end of the file"),
            ),
            (
                "a:\n  b: 1\n c: 2\n",
                "did not find expected key at line 3 column 2, while parsing a block mapping at line 1 column 1",
                at(3, 2),
                (at(3, 2), "bad indentation: expected a key in line with the mapping at line 1 column 1"),
            ),
            (
                "a: b\nc\nd: e\n",
                "could not find expected ':' at line 3 column 1, while scanning a simple key at line 2 column 1",
                at(3, 1),
                (at(2, 1), "expected \"key: value\", but this key has no ':' after it"),
            ),
            (
                "a: [1\n",
                "did not find expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 4",
                at(2, 1),
                (at(2, 1), "did not find expected ',' or ']' (while parsing a flow sequence at line 1 column 4)"),
            ),
        ];
        for (text, message, loc, (want_at, want)) in cases {
            assert_eq!(
                yaml_error(message, loc, text),
                (want_at, want.to_string()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn json_messages_lose_their_position() {
        assert_eq!(
            json_message("trailing comma at line 1 column 22"),
            "trailing comma: JSON allows no ',' before '}' or ']'"
        );
        assert_eq!(
            json_message("expected value at line 2 column 3"),
            "expected value"
        );
    }
}
