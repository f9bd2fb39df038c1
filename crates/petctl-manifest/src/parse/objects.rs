//! The shape every object must have before anything else looks at it: a
//! mapping with a string `apiVersion`, `kind` and `metadata.name` (or
//! `generateName`); a `List` stands for its items, each checked the same way.

use std::sync::Arc;

use serde_json::Value;

use super::RawDocument;
use crate::diagnostic::Diagnostic;
use crate::location::FieldPath;
use crate::Document;

/// One thing wrong with the shape of an object.
#[derive(Debug, PartialEq, Eq)]
struct Problem {
    /// The field whose location the diagnostic points at.
    at: FieldPath,
    /// The field path printed in the diagnostic.
    path: FieldPath,
    message: String,
}

impl Problem {
    fn new(path: FieldPath, message: impl Into<String>) -> Self {
        Problem {
            at: path.clone(),
            path,
            message: message.into(),
        }
    }
}

/// Checks document `number` (1-based, empty documents not counted) and
/// adds its objects to `out`, or what is wrong with it to `errors`.
pub(crate) fn expand(
    file: &Arc<str>,
    number: usize,
    raw: RawDocument,
    out: &mut Vec<Document>,
    errors: &mut Vec<Diagnostic>,
) {
    let locations = Arc::new(raw.locations);
    let root = FieldPath::root();
    let mut problems = check_object(&raw.value, &root);
    let mut objects = Vec::new();
    if problems.is_empty() {
        if is_list(&raw.value) {
            let items_path = root.key("items");
            match take_items(raw.value) {
                Ok(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        let base = items_path.index(i);
                        let found = if is_list(&item) {
                            vec![Problem::new(
                                base.clone(),
                                "a List inside a List is not supported",
                            )]
                        } else {
                            check_object(&item, &base)
                        };
                        if found.is_empty() {
                            objects.push((item, base));
                        }
                        problems.extend(found);
                    }
                }
                Err(problem) => problems.push(problem),
            }
        } else {
            objects.push((raw.value, root));
        }
    }
    for problem in problems {
        errors.push(
            Diagnostic::at(file, locations.nearest(&problem.at), problem.message)
                .with_object(format!("document {number}"))
                .with_path(problem.path),
        );
    }
    out.extend(objects.into_iter().map(|(value, base)| Document {
        file: file.clone(),
        value,
        locations: locations.clone(),
        base,
    }));
}

/// `kind: List`, or any `…List` kind with `items`, as kubectl reads them.
fn is_list(value: &Value) -> bool {
    match value.get("kind").and_then(Value::as_str) {
        Some("List") => true,
        Some(kind) => kind.ends_with("List") && value.get("items").is_some(),
        None => false,
    }
}

fn take_items(value: Value) -> Result<Vec<Value>, Problem> {
    let path = FieldPath::root().key("items");
    let items = match value {
        Value::Object(mut map) => map.remove("items"),
        _ => None,
    };
    match items {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(other) => Err(Problem::new(
            path,
            format!("must be a list, not {}", describe(&other)),
        )),
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn check_object(value: &Value, base: &FieldPath) -> Vec<Problem> {
    let Some(map) = value.as_object() else {
        return vec![Problem::new(
            base.clone(),
            format!(
                "expected an object (a mapping with apiVersion, kind and metadata), found {}",
                describe(value)
            ),
        )];
    };
    let mut problems = Vec::new();
    for field in ["apiVersion", "kind"] {
        match map.get(field) {
            None | Some(Value::Null) => {
                problems.push(Problem::new(base.clone(), format!("missing {field:?}")))
            }
            Some(Value::String(s)) if s.is_empty() => {
                problems.push(Problem::new(base.key(field), "must not be empty"))
            }
            Some(Value::String(_)) => {}
            Some(other) => problems.push(Problem::new(
                base.key(field),
                format!("must be a string, not {}", describe(other)),
            )),
        }
    }
    if !is_list(value) {
        problems.extend(check_name(map.get("metadata"), base));
    }
    problems
}

fn check_name(metadata: Option<&Value>, base: &FieldPath) -> Option<Problem> {
    let missing = |at: FieldPath| Problem {
        at,
        path: base.clone(),
        message: "missing \"metadata.name\" (or \"metadata.generateName\")".to_string(),
    };
    let metadata_path = base.key("metadata");
    let map = match metadata {
        None | Some(Value::Null) => return Some(missing(base.clone())),
        Some(Value::Object(map)) => map,
        Some(other) => {
            return Some(Problem::new(
                metadata_path,
                format!("must be a mapping, not {}", describe(other)),
            ))
        }
    };
    let mut named = false;
    for field in ["name", "generateName"] {
        match map.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => named |= !s.is_empty(),
            Some(other) => {
                return Some(Problem::new(
                    metadata_path.key(field),
                    format!("must be a string, not {}", describe(other)),
                ))
            }
        }
    }
    (!named).then(|| missing(metadata_path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problems(value: Value) -> Vec<String> {
        check_object(&value, &FieldPath::root())
            .into_iter()
            .map(|p| format!("{}|{}|{}", p.at, p.path, p.message))
            .collect()
    }

    #[test]
    fn shapes_are_checked() {
        let name = json!({"name": "x"});
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": name}), vec![]),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "x-"}}),
                vec![],
            ),
            (json!([1]), vec!["||expected an object (a mapping with apiVersion, kind and metadata), found a list"]),
            (
                json!({"metadata": name}),
                vec!["||missing \"apiVersion\"", "||missing \"kind\""],
            ),
            (
                json!({"apiVersion": 1, "kind": "", "metadata": name}),
                vec!["apiVersion|apiVersion|must be a string, not a number", "kind|kind|must not be empty"],
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod"}),
                vec!["||missing \"metadata.name\" (or \"metadata.generateName\")"],
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"labels": {}}}),
                vec!["metadata||missing \"metadata.name\" (or \"metadata.generateName\")"],
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": 7}}),
                vec!["metadata.name|metadata.name|must be a string, not a number"],
            ),
            (
                json!({"apiVersion": "v1", "kind": "Pod", "metadata": "x"}),
                vec!["metadata|metadata|must be a mapping, not a string"],
            ),
            (json!({"apiVersion": "v1", "kind": "List", "items": []}), vec![]),
        ];
        for (value, want) in cases {
            assert_eq!(problems(value.clone()), want, "{value}");
        }
    }

    #[test]
    fn lists_expand_into_their_items() {
        let file: Arc<str> = Arc::from("l.yaml");
        let raw = RawDocument {
            value: json!({"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}},
                {"apiVersion": "v1", "metadata": {"name": "b"}},
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}},
            ]}),
            locations: Default::default(),
        };
        let (mut out, mut errors) = (Vec::new(), Vec::new());
        expand(&file, 1, raw, &mut out, &mut errors);
        let names: Vec<_> = out.iter().map(|d| (d.name(), d.base.to_string())).collect();
        assert_eq!(
            names,
            [("a", "items[0]".to_string()), ("c", "items[2]".to_string())]
        );
        let errors: Vec<_> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors, ["l.yaml: document 1: items[1]: missing \"kind\""]);
    }
}
