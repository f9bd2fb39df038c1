//! Secrets: `stringData` is a write-only convenience; it is merged into
//! `data` (base64) and never stored, as `Convert_v1_Secret_To_core_Secret`
//! does (pkg/apis/core/v1/conversion.go): the internal type has no such
//! field, so every create, update and patch drops it.

use base64::Engine;
use serde_json::{json, Value};

use super::{default, obj};

pub(super) fn apply_defaults(object: &mut Value) {
    merge_string_data(object);
    if let Some(map) = object.as_object_mut() {
        default(map, "type", json!("Opaque"));
    }
}

/// Moves every `stringData` entry into `data`, where it wins over a key of
/// the same name.
fn merge_string_data(object: &mut Value) {
    let Some(string_data) = object
        .as_object_mut()
        .and_then(|map| map.remove("stringData"))
    else {
        return;
    };
    let Value::Object(entries) = string_data else {
        return;
    };
    if entries.is_empty() {
        return;
    }
    let Some(data) = obj(object, "data") else {
        return;
    };
    let engine = base64::engine::general_purpose::STANDARD;
    for (key, value) in entries {
        let text = match value {
            Value::String(text) => text,
            other => other.to_string(),
        };
        data.insert(key, json!(engine.encode(text)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_data_is_merged_into_data_and_dropped() {
        let mut secret = json!({"data": {"a": "b2xk", "keep": "eA=="},
                                "stringData": {"a": "new", "b": "two"}});
        apply_defaults(&mut secret);
        assert_eq!(
            secret,
            json!({"data": {"a": "bmV3", "keep": "eA==", "b": "dHdv"}, "type": "Opaque"})
        );
        let mut empty = json!({"stringData": {}});
        apply_defaults(&mut empty);
        assert_eq!(empty, json!({"type": "Opaque"}));
    }
}
