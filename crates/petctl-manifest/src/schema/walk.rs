//! Walking an object against a JSON schema: each field the schema does not
//! have, and each value of the wrong JSON type.

use serde_json::{Map, Value};

use crate::validation::error::quote;
use crate::validation::{Field, FieldError};

/// What a walk found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Findings {
    /// Fields the schema does not have, each with a suggestion when a known
    /// field is close.
    pub unknown_fields: Vec<FieldError>,
    /// Values of a JSON type the field cannot hold (`replicas: "3"`).
    pub wrong_types: Vec<FieldError>,
}

impl Findings {
    pub fn is_empty(&self) -> bool {
        self.unknown_fields.is_empty() && self.wrong_types.is_empty()
    }
}

/// `$ref` chains longer than this are treated as unresolvable.
const MAX_REF_DEPTH: usize = 16;

/// A schema document: the root holds the definitions `$ref`s point into.
pub struct Walker<'s> {
    root: &'s Value,
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool) == Some(true)
}

/// The non-null types a schema allows; empty when it does not say.
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect(),
        _ => Vec::new(),
    }
}

fn type_allows(allowed: &[&str], actual: &str) -> bool {
    allowed.is_empty()
        || allowed.contains(&actual)
        || (actual == "integer" && allowed.contains(&"number"))
}

impl<'s> Walker<'s> {
    pub fn new(root: &'s Value) -> Self {
        Walker { root }
    }

    /// Follows `$ref`s (`#/$defs/io.k8s.api.core.v1.PodSpec`) to the schema
    /// that says something.
    fn resolve(&self, mut schema: &'s Value) -> &'s Value {
        for _ in 0..MAX_REF_DEPTH {
            let target = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
                .and_then(|pointer| self.root.pointer(pointer));
            match target {
                Some(next) => schema = next,
                None => return schema,
            }
        }
        schema
    }

    /// For `anyOf`/`oneOf` (how optional structs are written), the branch
    /// that fits the value's type.
    fn branch(&self, schema: &'s Value, actual: &str) -> &'s Value {
        let branches = ["anyOf", "oneOf"]
            .iter()
            .find_map(|k| schema.get(*k).and_then(Value::as_array));
        let Some(branches) = branches else {
            return schema;
        };
        let candidates: Vec<&'s Value> = branches
            .iter()
            .map(|b| self.resolve(b))
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        candidates
            .iter()
            .find(|b| type_allows(&types(b), actual))
            .or(candidates.first())
            .copied()
            .unwrap_or(schema)
    }

    pub fn walk(&self, schema: &'s Value, value: &Value, field: &Field, out: &mut Findings) {
        // A null is an unset field, whatever its type.
        if value.is_null() {
            return;
        }
        let actual = json_type(value);
        let schema = self.branch(self.resolve(schema), actual);
        if flag(schema, "x-kubernetes-preserve-unknown-fields") {
            return;
        }
        if flag(schema, "x-kubernetes-int-or-string") {
            if !matches!(actual, "integer" | "string") {
                out.wrong_types
                    .push(wrong_type(field, actual, "integer or string"));
            }
            return;
        }
        let allowed = types(schema);
        if !type_allows(&allowed, actual) {
            out.wrong_types
                .push(wrong_type(field, actual, &allowed.join(" or ")));
            return;
        }
        match value {
            Value::Object(map) => self.walk_object(schema, map, field, out),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item_schema, item, &field.index(i), out);
                    }
                }
            }
            _ => {}
        }
    }

    fn walk_object(
        &self,
        schema: &'s Value,
        map: &Map<String, Value>,
        field: &Field,
        out: &mut Findings,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        for (key, value) in map {
            if let Some(property) = properties.and_then(|p| p.get(key)) {
                self.walk(property, value, &field.child(key), out);
            } else if let Some(additional) = additional {
                self.walk(additional, value, &field.key(key), out);
            } else if let Some(properties) = properties {
                let mut message = format!("unknown field {}", quote(key));
                if let Some(known) =
                    petctl_model::suggest::closest(key, properties.keys().map(String::as_str))
                {
                    message.push_str(&format!(", did you mean {}?", quote(known)));
                }
                out.unknown_fields
                    .push(FieldError::unknown(&field.child(key), message));
            }
            // An object schema with neither properties nor additional
            // properties (RawExtension, FieldsV1) holds anything.
        }
    }
}

fn wrong_type(field: &Field, actual: &str, expected: &str) -> FieldError {
    FieldError::invalid(field, quote(actual), format!("expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(schema: &Value, value: &Value) -> (Vec<String>, Vec<String>) {
        let mut out = Findings::default();
        Walker::new(schema).walk(schema, value, &Field::root(), &mut out);
        let show = |v: &[FieldError]| v.iter().map(ToString::to_string).collect();
        (show(&out.unknown_fields), show(&out.wrong_types))
    }

    #[test]
    fn refs_maps_and_free_form_objects() {
        let schema = json!({
            "type": "object",
            "properties": {
                "spec": {"$ref": "#/$defs/Spec"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "raw": {"type": "object"},
                "opt": {"anyOf": [{"$ref": "#/$defs/Spec"}, {"type": "null"}]},
                "port": {"x-kubernetes-int-or-string": true},
                "anything": {"x-kubernetes-preserve-unknown-fields": true, "type": "object", "properties": {}}
            },
            "$defs": {"Spec": {"type": "object", "properties": {
                "replicas": {"type": ["integer", "null"]},
                "ratio": {"type": "number"},
                "names": {"type": "array", "items": {"type": "string"}}
            }}}
        });
        let value = json!({
            "spec": {"replicas": 3, "ratio": 1, "names": ["a"], "replcas": 1},
            "labels": {"app": "web", "n": 1},
            "raw": {"whatever": {"x": 1}},
            "opt": {"replicas": "3"},
            "port": "http",
            "anything": {"x": 1},
            "extra": null
        });
        let (unknown, wrong) = walk(&schema, &value);
        assert_eq!(
            unknown,
            vec![
                "spec.replcas: unknown field \"replcas\", did you mean \"replicas\"?",
                "extra: unknown field \"extra\"",
            ]
        );
        assert_eq!(
            wrong,
            vec![
                "labels[n]: Invalid value: \"integer\": expected string",
                "opt.replicas: Invalid value: \"string\": expected integer",
            ]
        );
        let (_, wrong) = walk(&schema, &json!({"port": 1.5, "spec": {"names": "a"}}));
        assert_eq!(
            wrong,
            vec![
                "port: Invalid value: \"number\": expected integer or string",
                "spec.names: Invalid value: \"string\": expected array",
            ]
        );
    }

    #[test]
    fn a_ref_cycle_ends() {
        let schema = json!({"$ref": "#/$defs/A", "$defs": {"A": {"$ref": "#/$defs/A"}}});
        assert_eq!(walk(&schema, &json!({"x": 1})), (vec![], vec![]));
    }
}
