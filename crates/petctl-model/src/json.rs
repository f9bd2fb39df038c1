//! Reading fields of API objects held as JSON values.

use serde_json::Value;

/// The string at the JSON `pointer` in `value`; empty when the field is
/// absent or not a string, as kubectl's printers show a missing field.
pub fn text<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The strings in the list at the JSON `pointer` in `value`; other items,
/// and anything but a list there, are passed over.
pub fn strings<'a>(value: &'a Value, pointer: &str) -> Vec<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// The string `key` of each of `items`, comma-joined as kubectl's wide
/// columns show them (a StatefulSet's CONTAINERS and IMAGES); items
/// without one are passed over.
pub fn joined(items: &[Value], key: &str) -> String {
    let values: Vec<&str> = items.iter().filter_map(|i| i[key].as_str()).collect();
    values.join(",")
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

    #[test]
    fn strings_of_a_list() {
        let claim = json!({"spec": {"accessModes": ["ReadWriteOnce", 1, "ReadOnlyMany"]}});
        assert_eq!(
            strings(&claim, "/spec/accessModes"),
            ["ReadWriteOnce", "ReadOnlyMany"]
        );
        assert!(strings(&claim, "/spec").is_empty());
        assert!(strings(&claim, "/status/accessModes").is_empty());
    }

    #[test]
    fn joined_names() {
        let containers = [json!({"name": "a"}), json!({}), json!({"name": "b"})];
        assert_eq!(joined(&containers, "name"), "a,b");
        assert_eq!(joined(&[], "name"), "");
    }
}
