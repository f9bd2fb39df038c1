//! Resource quantities (`500m`, `1Gi`, `1e3`) parsed the way apimachinery's
//! `resource.ParseQuantity` parses them, to the precision validation needs:
//! well-formed or not, and the sign of the value.

use std::cmp::Ordering;

/// apimachinery's ErrFormatWrong.
pub const FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
/// apimachinery's ErrNumeric.
pub const NUMERIC: &str = "unable to parse numeric part of quantity";
/// apimachinery's ErrSuffix.
pub const SUFFIX: &str = "unable to parse quantity's suffix";

/// A parsed quantity: only its sign is kept, which is all validation asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity {
    sign: Ordering,
}

impl Quantity {
    pub fn is_negative(&self) -> bool {
        self.sign == Ordering::Less
    }

    pub fn is_positive(&self) -> bool {
        self.sign == Ordering::Greater
    }
}

const SUFFIXES: &[&str] = &[
    "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u", "m", "k", "M", "G", "T", "P", "E",
];

fn valid_suffix(suffix: &str) -> bool {
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    // A decimal exponent: e or E followed by a signed integer.
    match suffix.strip_prefix(['e', 'E']) {
        Some(exp) => {
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

fn digits_end(b: &[u8], from: usize) -> usize {
    b.iter()
        .skip(from)
        .position(|c| !c.is_ascii_digit())
        .map_or(b.len(), |n| from + n)
}

/// Parses a quantity string, returning apimachinery's error message when it
/// is not one.
pub fn parse(text: &str) -> Result<Quantity, &'static str> {
    let b = text.as_bytes();
    if b.is_empty() {
        return Err(FORMAT_WRONG);
    }
    let mut pos = 0;
    let mut negative = false;
    match b.first() {
        Some(b'-') => {
            negative = true;
            pos += 1;
        }
        Some(b'+') => pos += 1,
        _ => {}
    }
    let int_end = digits_end(b, pos);
    let mut nonzero = b[pos..int_end].iter().any(|&c| c != b'0');
    let mut any_digit = int_end > pos;
    pos = int_end;
    if b.get(pos) == Some(&b'.') {
        let frac_end = digits_end(b, pos + 1);
        nonzero |= b[pos + 1..frac_end].iter().any(|&c| c != b'0');
        any_digit |= frac_end > pos + 1;
        pos = frac_end;
    }
    let suffix_start = pos;
    while b.get(pos).is_some_and(|c| b"eEinumkKMGTP".contains(c)) {
        pos += 1;
    }
    if matches!(b.get(pos), Some(b'-' | b'+')) {
        pos += 1;
    }
    pos = digits_end(b, pos);
    if pos != b.len() {
        return Err(FORMAT_WRONG);
    }
    if !valid_suffix(&text[suffix_start..]) {
        return Err(SUFFIX);
    }
    if !any_digit {
        return Err(NUMERIC);
    }
    let sign = match (nonzero, negative) {
        (false, _) => Ordering::Equal,
        (true, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
    };
    Ok(Quantity { sign })
}

/// A quantity as it stands in a manifest: a string or a bare number.
pub fn parse_value(value: &serde_json::Value) -> Option<Result<Quantity, &'static str>> {
    match value {
        serde_json::Value::String(s) => Some(parse(s)),
        serde_json::Value::Number(n) => Some(parse(&n.to_string())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_quantities_parse() {
        for ok in [
            "1", "0", "500m", "0.5", "1Gi", "10Gi", "100Mi", "5Mi", "1e3", "1E-2", "+1k", ".5",
            "1.", "2T", "1Ei", "100n", "-1",
        ] {
            assert!(parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_quantities_are_refused_with_the_server_message() {
        for (bad, msg) in [
            ("1GB", FORMAT_WRONG),
            ("1Gb", FORMAT_WRONG),
            ("ten", FORMAT_WRONG),
            ("", FORMAT_WRONG),
            ("1 Gi", FORMAT_WRONG),
            ("1K", SUFFIX),
            ("1e", SUFFIX),
            ("1mi", SUFFIX),
            ("Gi", NUMERIC),
        ] {
            assert_eq!(parse(bad), Err(msg), "{bad}");
        }
    }

    #[test]
    fn signs() {
        assert!(parse("1Gi").unwrap().is_positive());
        assert!(parse("-1").unwrap().is_negative());
        assert!(!parse("0.000").unwrap().is_positive());
        assert!(!parse("0Gi").unwrap().is_negative());
        assert!(parse_value(&serde_json::json!(2))
            .unwrap()
            .unwrap()
            .is_positive());
        assert!(parse_value(&serde_json::json!(0.5))
            .unwrap()
            .unwrap()
            .is_positive());
        assert!(parse_value(&serde_json::json!(true)).is_none());
    }
}
