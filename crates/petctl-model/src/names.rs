//! apimachinery's name syntax (`k8s.io/apimachinery/pkg/util/validation`),
//! shared by manifest validation and label selectors: RFC 1123 labels and
//! subdomains, qualified names, and the `RegexError` message format.

/// apimachinery `RegexError`: the message, the examples and the regex
/// (the double spaces between examples are Go's).
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let examples: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{fmt}')",
        examples.join(" or ")
    )
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
pub fn is_dns1123_label(s: &str) -> bool {
    let lower_alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    framed(s, lower_alnum, |b| lower_alnum(b) || *b == b'-')
}

/// Dot-separated RFC 1123 labels.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(is_dns1123_label)
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: the name part of a label key,
/// and a non-empty label value.
pub fn is_qualified_name(s: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    framed(s, alnum, |b| alnum(b) || matches!(b, b'-' | b'_' | b'.'))
}

/// Non-empty, starting and ending with an `edge` byte, `inner` in between.
fn framed(s: &str, edge: impl Fn(&u8) -> bool, inner: impl Fn(&u8) -> bool) -> bool {
    match s.as_bytes() {
        [] => false,
        [only] => edge(only),
        [first, middle @ .., last] => edge(first) && edge(last) && middle.iter().all(inner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax() {
        for (s, label, subdomain, qualified) in [
            ("web", true, true, true),
            ("a", true, true, true),
            ("web-0", true, true, true),
            ("example.com", false, true, true),
            ("Web", false, false, true),
            ("my_name", false, false, true),
            ("-web", false, false, false),
            ("web-", false, false, false),
            ("a..b", false, false, true),
            ("", false, false, false),
        ] {
            assert_eq!(is_dns1123_label(s), label, "{s:?}");
            assert_eq!(is_dns1123_subdomain(s), subdomain, "{s:?}");
            assert_eq!(is_qualified_name(s), qualified, "{s:?}");
        }
    }

    #[test]
    fn regex_errors_read_as_go_prints_them() {
        assert_eq!(
            regex_error("bad", "[a-z]+", &["a", "b"]),
            "bad (e.g. 'a',  or 'b', regex used for validation is '[a-z]+')"
        );
        assert_eq!(
            regex_error("bad", "x", &[]),
            "bad (regex used for validation is 'x')"
        );
    }
}
