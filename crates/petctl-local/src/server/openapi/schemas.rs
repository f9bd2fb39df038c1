//! The OpenAPI schemas of the served kinds, generated from the types
//! (k8s-openapi's `JsonSchema` impls, petctl's PetSet) and brought into
//! kube-apiserver's shape: a `$ref` with siblings wrapped in `allOf`, no
//! `null` types, no `required: [metadata]`, and the `x-kubernetes-*`
//! extensions of `registry/patch/schema.rs`.

use k8s_openapi::api::{apps, core, policy, storage};
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value};

use super::extensions;
use crate::registry::patch::schema::definition_name;
use petctl_model::kinds::KindInfo;

const SCALE: &str = "io.k8s.api.autoscaling.v1.Scale";

/// Where v3 documents keep their schemas; v2 rewrites it to `#/definitions/`.
pub const V3_REFS: &str = "#/components/schemas/";

/// Registers the schema of `kind` (and every schema it refers to).
fn register(generator: &mut SchemaGenerator, kind: &KindInfo) {
    match (kind.group, kind.kind) {
        ("", "Namespace") => generator.subschema_for::<core::v1::Namespace>(),
        ("", "Pod") => generator.subschema_for::<core::v1::Pod>(),
        ("", "Service") => generator.subschema_for::<core::v1::Service>(),
        ("", "PersistentVolumeClaim") => {
            generator.subschema_for::<core::v1::PersistentVolumeClaim>()
        }
        ("", "PersistentVolume") => generator.subschema_for::<core::v1::PersistentVolume>(),
        ("", "Node") => generator.subschema_for::<core::v1::Node>(),
        ("", "Event") => generator.subschema_for::<core::v1::Event>(),
        ("", "ConfigMap") => generator.subschema_for::<core::v1::ConfigMap>(),
        ("", "Secret") => generator.subschema_for::<core::v1::Secret>(),
        ("", "ServiceAccount") => generator.subschema_for::<core::v1::ServiceAccount>(),
        ("", "Endpoints") => generator.subschema_for::<core::v1::Endpoints>(),
        ("discovery.k8s.io", "EndpointSlice") => {
            generator.subschema_for::<k8s_openapi::api::discovery::v1::EndpointSlice>()
        }
        ("apps", "StatefulSet") => generator.subschema_for::<apps::v1::StatefulSet>(),
        ("apps", "ControllerRevision") => generator.subschema_for::<apps::v1::ControllerRevision>(),
        ("policy", "PodDisruptionBudget") => {
            generator.subschema_for::<policy::v1::PodDisruptionBudget>()
        }
        ("apps", "PetSet") => generator.subschema_for::<petctl_model::types::PetSet>(),
        ("storage.k8s.io", "StorageClass") => {
            generator.subschema_for::<storage::v1::StorageClass>()
        }
        ("coordination.k8s.io", "Lease") => {
            generator.subschema_for::<k8s_openapi::api::coordination::v1::Lease>()
        }
        _ => return,
    };
}

/// The schemas of `kinds` and of everything they refer to, by name, in
/// kube-apiserver's v3 shape.
pub fn definitions(kinds: &[&KindInfo]) -> Map<String, Value> {
    let mut generator = SchemaSettings::openapi3()
        .with(|settings| {
            settings.meta_schema = None;
            settings.transforms.clear();
        })
        .into_generator();
    for kind in kinds {
        register(&mut generator, kind);
    }
    // The scale subresource reads and writes autoscaling/v1 Scale, which
    // kube-apiserver's document of the group/version serving it carries.
    if kinds.iter().any(|kind| kind.has_subresource("scale")) {
        generator.subschema_for::<k8s_openapi::api::autoscaling::v1::Scale>();
    }
    let mut definitions = generator.take_definitions(false);
    for schema in definitions.values_mut() {
        normalize(schema);
    }
    for kind in kinds {
        // k8s-openapi requires metadata because its field is not an
        // Option; kube-apiserver's schemas do not, but for Event, whose
        // ObjectMeta has no `omitempty` (core/v1 `types.go`).
        if kind.kind != "Event" {
            unrequire(&mut definitions, &definition_name(kind), "metadata");
        }
    }
    // k8s-openapi makes the "effectively required" names of references
    // (LocalObjectReference, SecretKeySelector …) required; upstream leaves
    // them optional with a default of "" and says so in the description.
    let effectively_required: Vec<String> = definitions
        .iter()
        .filter(|(_, schema)| {
            schema
                .pointer("/properties/name/description")
                .and_then(Value::as_str)
                .is_some_and(|d| d.contains(EFFECTIVELY_REQUIRED))
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in effectively_required {
        unrequire(&mut definitions, &name, "name");
    }
    extensions::apply(&mut definitions, kinds);
    unrequire(&mut definitions, SCALE, "metadata");
    if let Some(Value::Object(scale)) = definitions.get_mut(SCALE) {
        scale.insert(
            "x-kubernetes-group-version-kind".into(),
            serde_json::json!([{"group": "autoscaling", "kind": "Scale", "version": "v1"}]),
        );
    }
    definitions
}

const EFFECTIVELY_REQUIRED: &str =
    "This field is effectively required, but due to backwards compatibility is allowed to be empty";

/// Drops `property` from the `required` list of the schema `name`.
fn unrequire(definitions: &mut Map<String, Value>, name: &str, property: &str) {
    if let Some(Value::Object(schema)) = definitions.get_mut(name) {
        if let Some(Value::Array(required)) = schema.get_mut("required") {
            required.retain(|p| p != property);
            if required.is_empty() {
                schema.remove("required");
            }
        }
    }
}

/// One schema into kube-apiserver's shape, depth first.
fn normalize(schema: &mut Value) {
    if let Value::Bool(true) = schema {
        *schema = Value::Object(Map::new());
    }
    let Value::Object(map) = schema else { return };
    for (key, value) in map.iter_mut() {
        match key.as_str() {
            "properties" | "patternProperties" => {
                if let Value::Object(properties) = value {
                    properties.values_mut().for_each(normalize);
                }
            }
            "items" | "additionalProperties" => normalize(value),
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(list) = value {
                    list.iter_mut().for_each(normalize);
                }
            }
            _ => {}
        }
    }
    map.remove("nullable");
    // `Option<T>` of a derived type: `type: [T, "null"]` or
    // `anyOf: [T, {type: null}]`; kube-apiserver just says T.
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(any_of)) = map.get("anyOf") {
        let not_null: Vec<&Value> = any_of
            .iter()
            .filter(|s| s.get("type") != Some(&Value::from("null")))
            .collect();
        if let [Value::Object(only)] = not_null.as_slice() {
            let only = only.clone();
            map.remove("anyOf");
            for (key, value) in only {
                map.entry(key).or_insert(value);
            }
        }
    }
    // OpenAPI 3.0 ignores a `$ref`'s siblings; kube-apiserver keeps the
    // description and default beside an `allOf` of the one reference
    // (kube-openapi's builder3 `allOf` wrapping).
    if map.len() > 1 {
        if let Some(reference) = map.remove("$ref") {
            let mut only = Map::new();
            only.insert("$ref".into(), reference);
            map.insert("allOf".into(), Value::Array(vec![Value::Object(only)]));
        }
    }
}

/// The names `schema` refers to, directly.
pub fn references(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                if let Some(name) = reference.strip_prefix(V3_REFS) {
                    out.push(name.to_string());
                }
            }
            map.values().for_each(|v| references(v, out));
        }
        Value::Array(list) => list.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}
