//! Namespaces, after `pkg/registry/core/namespace/strategy.go`: a new
//! namespace gets the `kubernetes` finalizer in `spec.finalizers`; only
//! `namespaces/finalize` may change those, only `/status` the phase; and the
//! `kubernetes.io/metadata.name` label always names the namespace
//! (`SetDefaults_Namespace`).

use serde_json::{json, Value};

use super::obj;

/// The finalizer the namespace controller removes once the namespace is empty.
pub const FINALIZER: &str = "kubernetes";
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// `spec.finalizers` of a namespace.
pub fn spec_finalizers(namespace: &Value) -> Vec<String> {
    namespace
        .pointer("/spec/finalizers")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn apply_defaults(object: &mut Value) {
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if name.is_empty() {
        return;
    }
    if let Some(labels) = obj(object, "metadata").and_then(|meta| {
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        labels.as_object_mut()
    }) {
        labels.insert(NAME_LABEL.into(), json!(name));
    }
}

/// `PrepareForCreate`: the `kubernetes` finalizer is required, after any
/// the client gave.
pub(super) fn prepare_for_create(object: &mut Value) {
    let mut finalizers = spec_finalizers(object);
    if !finalizers.iter().any(|f| f == FINALIZER) {
        finalizers.push(FINALIZER.to_string());
    }
    if let Some(spec) = obj(object, "spec") {
        spec.insert("finalizers".into(), json!(finalizers));
    }
}

/// `PrepareForUpdate` of the main resource: `spec.finalizers` stay as they
/// were; only `namespaces/finalize` changes them.
pub(super) fn keep_finalizers(old: &Value, merged: &mut Value) {
    let old = old.pointer("/spec/finalizers").cloned();
    match (old, obj(merged, "spec")) {
        (Some(finalizers), Some(spec)) => {
            spec.insert("finalizers".into(), finalizers);
        }
        (None, Some(spec)) => {
            spec.remove("finalizers");
        }
        _ => {}
    }
    if merged
        .get("spec")
        .and_then(Value::as_object)
        .is_some_and(|s| s.is_empty())
    {
        if let Some(map) = merged.as_object_mut() {
            map.remove("spec");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_adds_the_kubernetes_finalizer_after_the_clients() {
        let mut ns = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["example.com/x"]}});
        prepare_for_create(&mut ns);
        apply_defaults(&mut ns);
        assert_eq!(
            ns["spec"]["finalizers"],
            json!(["example.com/x", "kubernetes"])
        );
        assert_eq!(ns["metadata"]["labels"][NAME_LABEL], "a");
        let mut bare = json!({"metadata": {"name": "b"}});
        prepare_for_create(&mut bare);
        assert_eq!(spec_finalizers(&bare), ["kubernetes"]);
    }

    #[test]
    fn an_update_keeps_the_finalizers() {
        let old = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}});
        let mut cleared = json!({"metadata": {"name": "a"}, "spec": {"finalizers": []}});
        keep_finalizers(&old, &mut cleared);
        assert_eq!(cleared["spec"]["finalizers"], json!(["kubernetes"]));
        let finalized = json!({"metadata": {"name": "a"}});
        let mut added = json!({"metadata": {"name": "a"}, "spec": {"finalizers": ["kubernetes"]}});
        keep_finalizers(&finalized, &mut added);
        assert!(added.get("spec").is_none());
    }
}
