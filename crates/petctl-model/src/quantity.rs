//! Resource quantities as the API writes them (`1Gi`, `1500Mi`, `2G`,
//! `2e9`), read as numbers so that sizes compare by value: the one reading
//! both the storage admission of the local control plane and
//! `resize-claims` use.

use serde_json::Value;

/// A storage size in bytes, for comparing requests (`1Gi` < `1500Mi`).
pub fn storage_bytes(value: Option<&Value>) -> Option<f64> {
    let text = value?.as_str()?;
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp => {
            let power: i32 = exp.strip_prefix(['e', 'E'])?.parse().ok()?;
            10f64.powi(power)
        }
    };
    Some(number * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn storage_sizes_compare_across_suffixes() {
        let bytes = |s: &str| storage_bytes(Some(&json!(s)));
        assert_eq!(bytes("1Gi"), Some(1073741824.0));
        assert!(bytes("1Gi") < bytes("1500Mi"));
        assert_eq!(bytes("2G"), bytes("2e9"));
        assert_eq!(bytes("1Xi"), None);
    }
}
