//! `/openapi/v2`: the Swagger 2.0 document. The protobuf form (gnostic's
//! `openapi.v2.Document`) is what kubectl 1.27 and 1.28 download to learn
//! that PATCH of each kind accepts `fieldValidation`, so they validate on the
//! server, and what `kubectl explain --output=plaintext-openapiv2` reads.
//! Both forms carry the PATCH operations and the definitions: the v3
//! schemas with `#/definitions/` references.

use serde_json::{json, Value};

use super::v3;
use crate::server::discovery::GIT_VERSION;
use petctl_model::kinds::{self, KindInfo};

/// kube-apiserver answers with this (a `.` where clients ask with `@`).
pub const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// A protobuf message being written: fields in order, length-delimited.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) -> &mut Self {
        self.varint(u64::from(field << 3 | 2));
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
        self
    }

    fn string(&mut self, field: u32, text: &str) -> &mut Self {
        self.bytes(field, text.as_bytes())
    }

    fn message(&mut self, field: u32, message: Message) -> &mut Self {
        self.bytes(field, &message.0)
    }

    fn boolean(&mut self, field: u32, value: bool) -> &mut Self {
        self.varint(u64::from(field << 3));
        self.varint(u64::from(value));
        self
    }
}

/// gnostic's `Any`: a value as YAML text, which JSON text is.
fn any(value: &Value) -> Message {
    let mut any = Message::default();
    any.string(2, &value.to_string());
    any
}

/// One Swagger 2.0 schema as gnostic's `openapi.v2.Schema` (field numbers
/// from google/gnostic `openapiv2/OpenAPIv2.proto`), as kube-openapi's
/// `ToProtoModels` reads it: references, types, items, properties,
/// additionalProperties, required and the `x-` extensions.
fn schema_message(schema: &Value) -> Message {
    let mut out = Message::default();
    let Value::Object(map) = schema else {
        return out;
    };
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    if let Some(reference) = text("$ref") {
        out.string(1, reference);
    }
    if let Some(format) = text("format") {
        out.string(2, format);
    }
    if let Some(description) = text("description") {
        out.string(4, description);
    }
    if let Some(default) = map.get("default") {
        out.message(5, any(default));
    }
    let list = |key: &str| map.get(key).and_then(Value::as_array).into_iter().flatten();
    for name in list("required").filter_map(Value::as_str) {
        out.string(19, name);
    }
    for value in list("enum") {
        out.message(20, any(value));
    }
    match map.get("additionalProperties") {
        Some(Value::Bool(allowed)) => {
            let mut item = Message::default();
            item.boolean(2, *allowed);
            out.message(21, item);
        }
        Some(additional @ Value::Object(_)) => {
            let mut item = Message::default();
            item.message(1, schema_message(additional));
            out.message(21, item);
        }
        _ => {}
    }
    let types: Vec<&str> = match map.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let mut item = Message::default();
        for t in types {
            item.string(1, t);
        }
        out.message(22, item);
    }
    if let Some(items) = map.get("items") {
        let mut item = Message::default();
        item.message(1, schema_message(items));
        out.message(23, item);
    }
    for part in list("allOf") {
        out.message(24, schema_message(part));
    }
    if let Some(Value::Object(properties)) = map.get("properties") {
        let mut named = Message::default();
        for (name, property) in properties {
            let mut entry = Message::default();
            entry.string(1, name).message(2, schema_message(property));
            named.message(1, entry);
        }
        out.message(25, named);
    }
    for (key, value) in map.iter().filter(|(key, _)| key.starts_with("x-")) {
        let mut extension = Message::default();
        extension.string(1, key).message(2, any(value));
        out.message(31, extension);
    }
    out
}

fn gvk_yaml(kind: &KindInfo) -> String {
    format!(
        "group: \"{}\"\nkind: {}\nversion: {}\n",
        kind.group, kind.kind, kind.version
    )
}

fn path(kind: &KindInfo) -> String {
    let prefix = if kind.group.is_empty() {
        format!("/api/{}", kind.version)
    } else {
        format!("/apis/{}/{}", kind.group, kind.version)
    };
    let scope = if kind.namespaced {
        "namespaces/{namespace}/"
    } else {
        ""
    };
    format!("{prefix}/{scope}{}/{{name}}", kind.plural)
}

const QUERY_PARAMETERS: &[&str] = &["dryRun", "fieldManager", "fieldValidation", "force"];

/// The patch operation of one kind.
fn patch_operation(kind: &KindInfo) -> Message {
    let mut operation = Message::default();
    operation.string(5, &format!("patch{}", kind.kind));
    for name in QUERY_PARAMETERS {
        let mut query = Message::default();
        query.string(2, "query").string(4, name).string(6, "string");
        let mut non_body = Message::default();
        non_body.message(3, query);
        let mut parameter = Message::default();
        parameter.message(2, non_body);
        let mut item = Message::default();
        item.message(1, parameter);
        operation.message(8, item);
    }
    let mut any = Message::default();
    any.string(2, &gvk_yaml(kind));
    let mut extension = Message::default();
    extension
        .string(1, "x-kubernetes-group-version-kind")
        .message(2, any);
    operation.message(13, extension);
    operation
}

/// The protobuf document.
pub fn document_protobuf() -> Vec<u8> {
    let mut paths = Message::default();
    for kind in kinds::KINDS {
        let mut item = Message::default();
        item.message(8, patch_operation(kind));
        let mut named = Message::default();
        named.string(1, &path(kind)).message(2, item);
        paths.message(2, named);
    }
    let mut info = Message::default();
    info.string(1, "Kubernetes").string(2, GIT_VERSION);
    let mut definitions = Message::default();
    if let Value::Object(all) = definitions_json() {
        for (name, schema) in &all {
            let mut named = Message::default();
            named.string(1, name).message(2, schema_message(schema));
            definitions.message(1, named);
        }
    }
    let mut document = Message::default();
    document
        .string(1, "2.0")
        .message(2, info)
        .message(8, paths)
        .message(9, definitions);
    document.0
}

/// The same document as JSON, for clients that ask for JSON.
pub fn document_json() -> Value {
    let mut paths = serde_json::Map::new();
    for kind in kinds::KINDS {
        let parameters: Vec<Value> = QUERY_PARAMETERS
            .iter()
            .map(|name| json!({"in": "query", "name": name, "type": "string", "uniqueItems": true}))
            .collect();
        paths.insert(
            path(kind),
            json!({"patch": {
                "operationId": format!("patch{}", kind.kind),
                "parameters": parameters,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-group-version-kind": {"group": kind.group, "kind": kind.kind, "version": kind.version},
            }}),
        );
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "definitions": definitions_json(),
    })
}

/// Every served schema, in Swagger 2.0's shape: a reference is `$ref` with
/// its description beside it (no `allOf`), under `#/definitions/`.
fn definitions_json() -> Value {
    let mut all = serde_json::Map::new();
    for document in v3::documents() {
        let Ok(parsed) = serde_json::from_slice::<Value>(&document.bytes) else {
            continue;
        };
        if let Some(Value::Object(schemas)) = parsed.pointer("/components/schemas") {
            for (name, schema) in schemas {
                all.entry(name.clone())
                    .or_insert_with(|| to_v2(schema.clone()));
            }
        }
    }
    Value::Object(all)
}

fn to_v2(mut schema: Value) -> Value {
    match &mut schema {
        Value::Object(map) => {
            let single_ref = match map.get("allOf") {
                Some(Value::Array(list)) if list.len() == 1 => list[0].get("$ref").cloned(),
                _ => None,
            };
            if let Some(reference) = single_ref {
                map.remove("allOf");
                map.insert("$ref".into(), reference);
            }
            for value in map.values_mut() {
                *value = to_v2(std::mem::take(value));
            }
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                *reference = reference.replace("#/components/schemas/", "#/definitions/");
            }
        }
        Value::Array(list) => {
            for value in list.iter_mut() {
                *value = to_v2(std::mem::take(value));
            }
        }
        _ => {}
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_fields_encode_like_protobuf() {
        let mut m = Message::default();
        m.varint(300);
        assert_eq!(m.0, [0xac, 0x02]);
        let mut m = Message::default();
        m.string(1, "2.0");
        assert_eq!(m.0, [0x0a, 3, b'2', b'.', b'0']);
    }

    #[test]
    fn document_names_every_kind() {
        let doc = document_protobuf();
        assert_eq!(&doc[..5], &[0x0a, 3, b'2', b'.', b'0']);
        let text = String::from_utf8_lossy(&doc);
        assert!(text.contains("/apis/apps/v1alpha1/namespaces/{namespace}/petsets/{name}"));
        assert!(text.contains("kind: StatefulSet"));
        // The definitions, with their extensions as JSON (YAML) text.
        assert!(text.contains("io.k8s.api.apps.v1.StatefulSetSpec"));
        assert!(text.contains("x-kubernetes-list-map-keys"));
        assert!(text.contains(r#"[{"group":"apps","kind":"StatefulSet","version":"v1"}]"#));
        let json = document_json();
        assert!(json["paths"]["/api/v1/nodes/{name}"]["patch"].is_object());
        let spec = &json["definitions"]["io.k8s.api.apps.v1.StatefulSet"]["properties"]["spec"];
        assert_eq!(
            spec["$ref"],
            "#/definitions/io.k8s.api.apps.v1.StatefulSetSpec"
        );
    }
}
