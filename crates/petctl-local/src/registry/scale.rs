//! The `scale` subresource: an autoscaling/v1 Scale view of a StatefulSet.

use serde_json::{json, Value};

use super::error::ApiError;
use petctl_manifest::schema::Findings;
use petctl_manifest::validation::{Field, FieldError};

/// The fields of an autoscaling/v1 Scale and the JSON type each holds;
/// `metadata` is an ObjectMeta, which the object's own write checks.
const SCALE_FIELDS: &[(&str, &[(&str, &str)])] = &[
    ("apiVersion", &[]),
    ("kind", &[]),
    ("metadata", &[]),
    ("spec", &[("replicas", "integer")]),
    ("status", &[("replicas", "integer"), ("selector", "string")]),
];

/// Unknown fields and wrong types of a Scale written by a client.
pub fn findings(scale: &Value) -> Findings {
    let mut out = Findings::default();
    let Some(map) = scale.as_object() else {
        return out;
    };
    for (key, value) in map {
        let field = Field::new(key);
        let Some((_, children)) = SCALE_FIELDS.iter().find(|(k, _)| k == key) else {
            out.unknown_fields.push(FieldError::unknown(
                &field,
                format!("unknown field \"{key}\""),
            ));
            continue;
        };
        let Some(inner) = value.as_object().filter(|_| !children.is_empty()) else {
            continue;
        };
        for (child, value) in inner {
            let field = field.child(child);
            match children.iter().find(|(k, _)| k == child) {
                None => out.unknown_fields.push(FieldError::unknown(
                    &field,
                    format!("unknown field \"{child}\""),
                )),
                Some((_, expected)) if json_type(value).is_some_and(|t| t != *expected) => {
                    out.wrong_types.push(wrong_type(&field, value, expected))
                }
                Some(_) => {}
            }
        }
    }
    out
}

/// The Scale for an object with `spec.replicas`, `status.replicas` and a
/// label selector.
pub fn to_scale(object: &Value) -> Value {
    let meta = object.get("metadata").cloned().unwrap_or(json!({}));
    let pick = |key: &str| meta.get(key).cloned().unwrap_or(Value::Null);
    let mut metadata = json!({
        "name": pick("name"),
        "namespace": pick("namespace"),
        "uid": pick("uid"),
        "resourceVersion": pick("resourceVersion"),
        "creationTimestamp": pick("creationTimestamp"),
    });
    if let Some(map) = metadata.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": object.pointer("/spec/replicas").cloned().unwrap_or(json!(0))},
        "status": {
            "replicas": object.pointer("/status/replicas").cloned().unwrap_or(json!(0)),
            "selector": selector_string(object.pointer("/spec/selector")),
        },
    })
}

/// A LabelSelector as the `key=value,key in (a,b)` string Scale carries.
fn selector_string(selector: Option<&Value>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in labels {
            parts.push(format!("{k}={}", v.as_str().unwrap_or("")));
        }
    }
    if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let part = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => format!("{key} in ({})", values.join(",")),
                "NotIn" => format!("{key} notin ({})", values.join(",")),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                _ => continue,
            };
            parts.push(part);
        }
    }
    parts.sort();
    parts.join(",")
}

/// The JSON type of a Scale's leaf; `None` for a null, which is unset.
fn json_type(value: &Value) -> Option<&'static str> {
    match value {
        Value::Null => None,
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
        Value::String(_) => Some("string"),
        Value::Bool(_) => Some("boolean"),
        Value::Number(_) => Some("number"),
        Value::Array(_) => Some("array"),
        Value::Object(_) => Some("object"),
    }
}

fn wrong_type(field: &Field, value: &Value, expected: &str) -> FieldError {
    let actual = json_type(value).unwrap_or("null");
    FieldError::invalid(
        field,
        format!("\"{actual}\""),
        format!("expected {expected}"),
    )
}

/// Applies a Scale written by a client to the object: only spec.replicas
/// changes; the Scale's resourceVersion, if any, is the precondition.
pub fn apply_scale(object: &Value, scale: &Value) -> Result<Value, ApiError> {
    let replicas = scale.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
    if !replicas.is_i64() {
        return Err(ApiError::bad_request(format!(
            "spec.replicas: Invalid value: {replicas}: must be an integer"
        )));
    }
    let mut updated = object.clone();
    if let Some(spec) = updated.get_mut("spec").and_then(Value::as_object_mut) {
        spec.insert("replicas".into(), replicas);
    }
    if let Some(meta) = updated.get_mut("metadata").and_then(Value::as_object_mut) {
        match scale.pointer("/metadata/resourceVersion") {
            Some(rv) if rv.as_str().is_some_and(|s| !s.is_empty()) => {
                meta.insert("resourceVersion".into(), rv.clone());
            }
            _ => {
                meta.remove("resourceVersion");
            }
        }
    }
    Ok(updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_view_and_write() {
        let sts = json!({"metadata": {"name": "web", "namespace": "default", "resourceVersion": "7"},
                         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "nginx"},
                                  "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]}},
                         "status": {"replicas": 1}});
        let scale = to_scale(&sts);
        assert_eq!(scale["spec"]["replicas"], 2);
        assert_eq!(scale["status"]["replicas"], 1);
        assert_eq!(scale["status"]["selector"], "app=nginx,tier in (a,b)");
        assert_eq!(scale["metadata"]["resourceVersion"], "7");
        let updated = apply_scale(&sts, &json!({"spec": {"replicas": 5}})).unwrap();
        assert_eq!(updated["spec"]["replicas"], 5);
        assert!(updated["metadata"].get("resourceVersion").is_none());
        assert!(apply_scale(&sts, &json!({"spec": {"replicas": "x"}})).is_err());
    }
}
