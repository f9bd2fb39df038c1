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

/// The types a schema allows (a list's `null` left out); none when it
/// does not say.
#[derive(Clone, Copy)]
enum Types<'s> {
    Any,
    One(&'s str),
    Many(&'s [Value]),
}

impl<'s> Types<'s> {
    fn of(schema: &'s Value) -> Self {
        match schema.get("type") {
            Some(Value::String(t)) => Types::One(t),
            Some(Value::Array(ts)) => Types::Many(ts),
            _ => Types::Any,
        }
    }

    fn iter(self) -> impl Iterator<Item = &'s str> {
        let (one, some): (Option<&str>, &[Value]) = match self {
            Types::Any => (None, &[]),
            Types::One(t) => (Some(t), &[]),
            Types::Many(ts) => (None, ts),
        };
        let some = some
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null");
        one.into_iter().chain(some)
    }

    fn allows(self, actual: &str) -> bool {
        let mut allowed = self.iter().peekable();
        allowed.peek().is_none()
            || allowed.any(|t| t == actual || (actual == "integer" && t == "number"))
    }

    fn shown(self) -> String {
        self.iter().collect::<Vec<_>>().join(" or ")
    }
}

/// Where the walk stands, borrowed from the frames above it: the
/// [`Field`] is only built for a finding, as most walks find nothing.
#[derive(Clone, Copy)]
enum At<'a> {
    Root,
    Child(&'a At<'a>, &'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn field(&self) -> Field {
        match *self {
            At::Root => Field::root(),
            At::Child(parent, name) => parent.field().child(name),
            At::Key(parent, key) => parent.field().key(key),
            At::Index(parent, index) => parent.field().index(index),
        }
    }
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
                .and_then(|pointer| self.target(pointer));
            match target {
                Some(next) => schema = next,
                None => return schema,
            }
        }
        schema
    }

    /// `Value::pointer` allocates for each segment; a definition's name
    /// needs no unescaping unless it holds a `~`.
    fn target(&self, pointer: &str) -> Option<&'s Value> {
        match pointer.strip_prefix("/$defs/") {
            Some(name) if !name.contains(['/', '~']) => self.root.get("$defs")?.get(name),
            _ => self.root.pointer(pointer),
        }
    }

    /// For `anyOf`/`oneOf` (how optional structs are written), the branch
    /// that fits the value's type, else the first that is not null.
    fn branch(&self, schema: &'s Value, actual: &str) -> &'s Value {
        let branches = ["anyOf", "oneOf"]
            .iter()
            .find_map(|k| schema.get(*k).and_then(Value::as_array));
        let Some(branches) = branches else {
            return schema;
        };
        let candidates = branches
            .iter()
            .map(|b| self.resolve(b))
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"));
        let mut first = None;
        for candidate in candidates {
            if Types::of(candidate).allows(actual) {
                return candidate;
            }
            first.get_or_insert(candidate);
        }
        first.unwrap_or(schema)
    }

    /// Walks `value`, the whole object, against `schema`.
    pub fn walk_root(&self, schema: &'s Value, value: &Value, out: &mut Findings) {
        self.walk(schema, value, &At::Root, out);
    }

    fn walk(&self, schema: &'s Value, value: &Value, at: &At<'_>, out: &mut Findings) {
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
                    .push(wrong_type(at, actual, "integer or string"));
            }
            return;
        }
        let allowed = Types::of(schema);
        if !allowed.allows(actual) {
            out.wrong_types
                .push(wrong_type(at, actual, &allowed.shown()));
            return;
        }
        match value {
            Value::Object(map) => self.walk_object(schema, map, at, out),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.walk(item_schema, item, &At::Index(at, i), out);
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
        at: &At<'_>,
        out: &mut Findings,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        for (key, value) in map {
            if let Some(property) = properties.and_then(|p| p.get(key)) {
                self.walk(property, value, &At::Child(at, key), out);
            } else if let Some(additional) = additional {
                self.walk(additional, value, &At::Key(at, key), out);
            } else if let Some(properties) = properties {
                let mut message = format!("unknown field {}", quote(key));
                if let Some(known) =
                    petctl_model::suggest::closest(key, properties.keys().map(String::as_str))
                {
                    message.push_str(&format!(", did you mean {}?", quote(known)));
                }
                out.unknown_fields
                    .push(FieldError::unknown(&At::Child(at, key).field(), message));
            }
            // An object schema with neither properties nor additional
            // properties (RawExtension, FieldsV1) holds anything.
        }
    }
}

fn wrong_type(at: &At<'_>, actual: &str, expected: &str) -> FieldError {
    FieldError::invalid(&at.field(), quote(actual), format!("expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn walk(schema: &Value, value: &Value) -> (Vec<String>, Vec<String>) {
        let mut out = Findings::default();
        Walker::new(schema).walk_root(schema, value, &mut out);
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
