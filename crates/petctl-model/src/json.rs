//! Reading fields of API objects held as JSON values.

use serde_json::Value;

/// The string at the JSON `pointer` in `value`; empty when the field is
/// absent or not a string, as kubectl's printers show a missing field.
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_and_other_types_read_as_empty() {
        let pod = json!({"metadata": {"name": "web-0", "generation": 2}});
        assert_eq!(text(&pod, "/metadata/name"), "web-0");
        assert_eq!(text(&pod, "/metadata/generation"), "");
        assert_eq!(text(&pod, "/metadata/uid"), "");
        assert_eq!(text(&pod, "/spec/nodeName"), "");
    }
}
