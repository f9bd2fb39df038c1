//! One pod builder for both set controllers (`newStatefulSetPod`, the 1.4
//! PetSet's `newPCB`): a pet from a template, with its name, namespace,
//! hostname and subdomain, its claims mounted in place of the template's
//! volumes of the same name, and the kind's owner, labels and annotations.

use serde_json::{json, Map, Value};

use crate::registry::meta;

/// What the kind adds to a pet built from a template.
pub struct Identity<'a> {
    /// The controller reference to the set.
    pub owner: Value,
    pub labels: Vec<(&'a str, String)>,
    pub annotations: Vec<(&'a str, String)>,
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn insert_all(map: &mut Map<String, Value>, key: &str, entries: Vec<(&str, String)>) {
    if entries.is_empty() {
        return;
    }
    let inner = map.entry(key).or_insert_with(|| json!({}));
    if let Some(inner) = inner.as_object_mut() {
        for (k, v) in entries {
            inner.insert(k.into(), json!(v));
        }
    }
}

/// Pet `ordinal` of `set`, named `<set>-<ordinal>`, from `template`.
pub fn pet_from_template(set: &Value, template: &Value, ordinal: i64, identity: Identity) -> Value {
    let name = format!("{}-{ordinal}", meta::name(set));
    let mut metadata = object(template.get("metadata"));
    metadata.remove("generateName");
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(meta::namespace(set)));
    metadata.insert("ownerReferences".into(), json!([identity.owner]));
    insert_all(&mut metadata, "labels", identity.labels);
    insert_all(&mut metadata, "annotations", identity.annotations);
    let mut spec = object(template.get("spec"));
    spec.insert("hostname".into(), json!(name));
    let service = meta::str_at(set, "/spec/serviceName");
    if !service.is_empty() {
        spec.insert("subdomain".into(), json!(service));
    }
    let mut volumes = spec
        .get("volumes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let claims = set
        .pointer("/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for claim in claims {
        let volume = meta::name(claim);
        volumes.retain(|v| meta::str_at(v, "/name") != volume);
        volumes.push(json!({"name": volume, "persistentVolumeClaim": {"claimName": format!("{volume}-{name}")}}));
    }
    if !volumes.is_empty() {
        spec.insert("volumes".into(), json!(volumes));
    }
    json!({"metadata": metadata, "spec": spec})
}
