//! Editing untyped objects in place without disturbing the manifest's field
//! order, and reading values the way the Kubernetes Go code read them.

use serde_json::{Map, Value};

use petctl_model::field_path::FieldPath;

/// A conversion that cannot be done: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: FieldPath,
    pub message: String,
}

impl Problem {
    pub fn new(path: FieldPath, message: impl Into<String>) -> Self {
        Problem {
            path,
            message: message.into(),
        }
    }
}

/// Inserts `key` just before the first of `before` that `map` holds, or at
/// the end when it holds none of them. An existing `key` is replaced where
/// it stands.
pub fn insert_before(map: &mut Map<String, Value>, key: &str, value: Value, before: &[&str]) {
    insert_at(map, key, value, |keys| {
        keys.iter()
            .position(|k| before.contains(k))
            .unwrap_or(keys.len())
    });
}

/// Inserts `key` just after the last of `after` that `map` holds, or first
/// when it holds none of them.
pub fn insert_after(map: &mut Map<String, Value>, key: &str, value: Value, after: &[&str]) {
    insert_at(map, key, value, |keys| {
        keys.iter()
            .rposition(|k| after.contains(k))
            .map_or(0, |i| i + 1)
    });
}

/// Replaces `key` where it stands, or inserts it at the index `at` picks
/// from the keys `map` holds.
fn insert_at(
    map: &mut Map<String, Value>,
    key: &str,
    value: Value,
    at: impl FnOnce(&[&str]) -> usize,
) {
    if let Some(slot) = map.get_mut(key) {
        *slot = value;
        return;
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    let index = at(&keys);
    map.shift_insert(index, key.to_string(), value);
}

/// The object at `key` in `map`, created empty when absent. A value of
/// another type there is a problem at `path`.
pub fn object_at<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
    path: &FieldPath,
) -> Result<&'a mut Map<String, Value>, Problem> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if slot.is_null() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
        .ok_or_else(|| Problem::new(path.key(key), "must be an object"))
}

/// The string annotations at `metadata.annotations` of `object`, if any.
pub fn annotations(object: &Map<String, Value>) -> Option<&Map<String, Value>> {
    object.get("metadata")?.get("annotations")?.as_object()
}

/// The string value of annotation `key` of `object`. A value that is not a
/// string is a problem at `path` (the path of `object`).
pub fn annotation<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &FieldPath,
) -> Result<Option<&'a str>, Problem> {
    match annotations(object).and_then(|a| a.get(key)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Problem::new(
            path.key("metadata").key("annotations").key(key),
            "must be a string",
        )),
    }
}

/// The string annotations `beta` and `alpha` of `object`, for the fields
/// that had one of each before they became a field.
pub fn beta_and_alpha(
    object: &Map<String, Value>,
    beta: &str,
    alpha: &str,
    path: &FieldPath,
) -> Result<(Option<String>, Option<String>), Problem> {
    let read = |key| Ok(annotation(object, key, path)?.map(str::to_owned));
    Ok((read(beta)?, read(alpha)?))
}

/// Removes annotation `key` from `object`, and the `annotations` map with it
/// when it is left empty. Returns whether it was there.
pub fn remove_annotation(object: &mut Map<String, Value>, key: &str) -> bool {
    let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return false;
    };
    let Some(annotations) = metadata
        .get_mut("annotations")
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    let removed = annotations.shift_remove(key).is_some();
    if annotations.is_empty() {
        metadata.shift_remove("annotations");
    }
    removed
}

/// Sets annotation `key` of `object` to `value`, creating the maps it needs.
pub fn set_annotation(
    object: &mut Map<String, Value>,
    key: &str,
    value: &str,
    path: &FieldPath,
) -> Result<(), Problem> {
    let metadata = object_at(object, "metadata", path)?;
    let annotations = object_at(metadata, "annotations", &path.key("metadata"))?;
    annotations.insert(key.to_string(), Value::String(value.to_string()));
    Ok(())
}

/// Parses a boolean the way Go's `strconv.ParseBool` does, which is how
/// Kubernetes read its boolean annotations.
pub fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// A label map rendered on one line, as `{app: nginx, tier: db}`.
pub fn inline_map(map: &Map<String, Value>) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn insertion_keeps_field_order() {
        // (keys, anchors, insert before (or after), keys afterwards)
        type Case<'a> = (&'a [&'a str], &'a [&'a str], bool, &'a [&'a str]);
        let cases: &[Case] = &[
            (&["a", "b", "c"], &["b"], true, &["a", "new", "b", "c"]),
            (&["a", "b", "c"], &["x"], true, &["a", "b", "c", "new"]),
            (&["a", "b", "c"], &["c", "b"], true, &["a", "new", "b", "c"]),
            (
                &["a", "b", "c"],
                &["a", "b"],
                false,
                &["a", "b", "new", "c"],
            ),
            (&["a", "b", "c"], &["x"], false, &["new", "a", "b", "c"]),
        ];
        for (start, anchors, before, want) in cases {
            let mut map = Map::new();
            for k in *start {
                map.insert(k.to_string(), json!(1));
            }
            if *before {
                insert_before(&mut map, "new", json!(2), anchors);
            } else {
                insert_after(&mut map, "new", json!(2), anchors);
            }
            assert_eq!(keys(&Value::Object(map)), *want, "{start:?} {anchors:?}");
        }
    }

    #[test]
    fn removing_the_last_annotation_removes_the_map() {
        let mut object = json!({"metadata": {"name": "x", "annotations": {"a": "1", "b": "2"}}});
        let map = object.as_object_mut().unwrap();
        assert!(remove_annotation(map, "a"));
        assert!(!remove_annotation(map, "a"));
        assert_eq!(keys(&map["metadata"]), ["name", "annotations"]);
        assert!(remove_annotation(map, "b"));
        assert_eq!(keys(&map["metadata"]), ["name"]);
    }

    #[test]
    fn annotations_must_be_strings() {
        let object = json!({"metadata": {"annotations": {"a": "1", "b": true}}});
        let map = object.as_object().unwrap();
        let root = FieldPath::root();
        assert_eq!(annotation(map, "a", &root), Ok(Some("1")));
        assert_eq!(annotation(map, "c", &root), Ok(None));
        let err = annotation(map, "b", &root).unwrap_err();
        assert_eq!(err.path.to_string(), "metadata.annotations.b");
    }

    #[test]
    fn booleans_parse_like_go() {
        for (text, want) in [
            ("true", Some(true)),
            ("True", Some(true)),
            ("1", Some(true)),
            ("t", Some(true)),
            ("false", Some(false)),
            ("F", Some(false)),
            ("0", Some(false)),
            ("yes", None),
            ("", None),
            (" true", None),
        ] {
            assert_eq!(go_bool(text), want, "{text:?}");
        }
    }

    #[test]
    fn label_maps_render_inline() {
        let labels = json!({"app": "nginx", "tier": "db"});
        assert_eq!(
            inline_map(labels.as_object().unwrap()),
            "{app: nginx, tier: db}"
        );
    }
}
