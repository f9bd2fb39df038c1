//! The bridge between client-side and server-side apply for kubectl
//! (`managedfields/internal/lastappliedmanager.go` and
//! `lastappliedupdater.go`): a server-side apply by the `kubectl` manager
//! does not conflict on fields the live object still has as the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation records
//! them, and keeps that annotation in step with what it applied, so that
//! a later client-side `kubectl apply` computes its three-way patch from it.

use serde_json::Value;

use super::fieldset::FieldSet;
use super::typed::Typed;
use crate::registry::meta;

pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Only kubectl's own server-side apply is bridged; another manager name
/// opts out, as upstream.
pub const KUBECTL: &str = "kubectl";

fn last_applied(object: &Value) -> Option<&str> {
    object
        .pointer("/metadata/annotations")
        .and_then(|a| a.get(LAST_APPLIED))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The fields whose conflicts kubectl may take over: those of the
/// annotation's configuration that the live object holds with the same
/// value. Empty when there is no annotation, it does not decode, or it is
/// of another apiVersion (`allowedConflictsFromLastApplied`).
pub fn allowed_conflicts(typed: &Typed, api_version: &str, live: &Value) -> FieldSet {
    let Some(text) = last_applied(live) else {
        return FieldSet::default();
    };
    let Ok(config) = serde_json::from_str::<Value>(text) else {
        return FieldSet::default();
    };
    if config.get("apiVersion").and_then(Value::as_str) != Some(api_version) {
        return FieldSet::default();
    }
    let (Ok(fields), Ok(comparison)) = (typed.field_set(&config), typed.compare(&config, live))
    else {
        return FieldSet::default();
    };
    fields
        .difference(&comparison.modified)
        .difference(&comparison.added)
        .difference(&comparison.removed)
}

/// After an apply by kubectl, an object that carries the annotation gets
/// the applied configuration as its new value (`buildLastApplied`); one
/// without it is left alone.
pub fn refresh(object: &mut Value, config: &Value) {
    if last_applied(object).is_none() {
        return;
    }
    let mut config = config.clone();
    if let Some(annotations) = config
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        annotations.shift_remove(LAST_APPLIED);
    }
    let encoded = go_json(&config);
    if let Some(annotations) = meta::metadata_mut(object)
        .and_then(|m| m.get_mut("annotations"))
        .and_then(Value::as_object_mut)
    {
        annotations.insert(LAST_APPLIED.into(), Value::String(encoded));
    }
}

/// `value` as Go's `json.Encoder` writes an unstructured object: keys
/// sorted, compact, `<`, `>`, `&`, U+2028 and U+2029 escaped, and a
/// newline at the end — the bytes kubectl's client-side apply writes too.
pub fn go_json(value: &Value) -> String {
    let text = serde_json::to_string(&meta::canonical(value)).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(annotation: &str) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "annotations": {LAST_APPLIED: annotation}},
            "spec": {"replicas": 2, "serviceName": "web"}
        })
    }

    #[test]
    fn fields_still_as_last_applied_may_be_taken_over() {
        let typed = Typed::new("StatefulSet");
        let text = r#"{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web"},"spec":{"replicas":2,"serviceName":"old"}}"#;
        let allowed = allowed_conflicts(&typed, "apps/v1", &live(text));
        let path = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(allowed.has(&path(&["f:spec", "f:replicas"])));
        assert!(!allowed.has(&path(&["f:spec", "f:serviceName"])));
        assert!(allowed_conflicts(&typed, "apps/v2", &live(text)).is_empty());
        assert!(allowed_conflicts(&typed, "apps/v1", &live("not json")).is_empty());
    }

    #[test]
    fn the_annotation_follows_the_applied_configuration_as_go_encodes_it() {
        let mut object = live("{}\n");
        let config = json!({"kind": "StatefulSet", "apiVersion": "apps/v1",
            "metadata": {"name": "web", "annotations": {"a": "<&>", LAST_APPLIED: "x"}}});
        refresh(&mut object, &config);
        assert_eq!(
            object["metadata"]["annotations"][LAST_APPLIED],
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"annotations\":{\"a\":\"\\u003c\\u0026\\u003e\"},\"name\":\"web\"}}\n"
        );
        let mut bare = json!({"metadata": {"name": "web"}});
        refresh(&mut bare, &config);
        assert_eq!(bare, json!({"metadata": {"name": "web"}}));
    }
}
