//! Object metadata (name, namespace, labels, annotations) and label
//! selectors: their validation and whether a selector matches a label set.

use serde_json::{Map, Value};

use super::error::{quote, Field, FieldError};
use super::names;

/// The syntax a kind demands of its object names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    Dns1123Subdomain,
    Dns1123Label,
    Dns1035Label,
}

impl NameRule {
    pub fn check(self, name: &str) -> Vec<String> {
        match self {
            NameRule::Dns1123Subdomain => names::dns1123_subdomain(name),
            NameRule::Dns1123Label => names::dns1123_label(name),
            NameRule::Dns1035Label => names::dns1035_label(name),
        }
    }
}

/// The largest total size of an object's annotations, keys and values.
const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// apimachinery's ValidateObjectMeta, for the fields a manifest sets.
pub fn validate_object_meta(meta: Option<&Value>, rule: NameRule, path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name = meta.and_then(|m| m.get("name")).and_then(Value::as_str);
    let generate_name = meta
        .and_then(|m| m.get("generateName"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match name {
        Some(name) if !name.is_empty() => {
            let field = path.child("name");
            for msg in rule.check(name) {
                errs.push(FieldError::invalid(&field, quote(name), msg));
            }
        }
        _ if generate_name.is_empty() => {
            errs.push(FieldError::required(
                &path.child("name"),
                "name or generateName is required",
            ));
        }
        _ => {}
    }
    if let Some(namespace) = meta
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
    {
        let field = path.child("namespace");
        for msg in names::dns1123_label(namespace) {
            errs.push(FieldError::invalid(&field, quote(namespace), msg));
        }
    }
    let labels = meta
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object);
    errs.extend(validate_labels(labels, &path.child("labels")));
    let annotations = meta
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    errs.extend(validate_annotations(
        annotations,
        &path.child("annotations"),
    ));
    errs
}

/// The field for a problem with one entry of a map the server reports as a
/// whole (`metadata.labels: Invalid value: "x y": …`), pointing at the entry.
fn entry(map: &Field, key: &str) -> Field {
    Field {
        at: map.at.key(key),
        shown: map.shown.clone(),
    }
}

/// apimachinery's ValidateLabels: every key a qualified name, every value a
/// label value.
pub fn validate_labels(labels: Option<&Map<String, Value>>, path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (key, value) in labels.into_iter().flatten() {
        let field = entry(path, key);
        for msg in names::qualified_name(key) {
            errs.push(FieldError::invalid(&field, quote(key), msg));
        }
        if let Some(value) = value.as_str() {
            for msg in names::label_value(value) {
                errs.push(FieldError::invalid(&field, quote(value), msg));
            }
        }
    }
    errs
}

/// apimachinery's ValidateAnnotations: qualified-name keys (case is not
/// significant) and a bounded total size.
pub fn validate_annotations(
    annotations: Option<&Map<String, Value>>,
    path: &Field,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut total = 0;
    for (key, value) in annotations.into_iter().flatten() {
        for msg in names::qualified_name(&key.to_lowercase()) {
            errs.push(FieldError::invalid(&entry(path, key), quote(key), msg));
        }
        total += key.len() + value.as_str().map_or(0, str::len);
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT));
    }
    errs
}

/// apimachinery's ValidateLabelSelector.
pub fn validate_selector(selector: &Value, path: &Field) -> Vec<FieldError> {
    let mut errs = validate_labels(
        selector.get("matchLabels").and_then(Value::as_object),
        &path.child("matchLabels"),
    );
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    for (i, req) in expressions.into_iter().flatten().enumerate() {
        let field = path.child("matchExpressions").index(i);
        let values = req
            .get("values")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        match req.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" | "NotIn" if values == 0 => errs.push(FieldError::required(
                &field.child("values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
            )),
            "Exists" | "DoesNotExist" if values > 0 => errs.push(FieldError::forbidden(
                &field.child("values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            other => errs.push(FieldError::invalid(
                &field.child("operator"),
                quote(other),
                "not a valid selector operator",
            )),
        }
        let key = req.get("key").and_then(Value::as_str).unwrap_or("");
        for msg in names::qualified_name(key) {
            errs.push(FieldError::invalid(&field.child("key"), quote(key), msg));
        }
    }
    errs
}

/// Whether a selector has no requirement at all (it would match everything).
pub fn selector_is_empty(selector: &Value) -> bool {
    let count = |key: &str| match selector.get(key) {
        Some(Value::Object(m)) => m.len(),
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    count("matchLabels") + count("matchExpressions") == 0
}

/// Whether `selector` selects an object carrying `labels`.
pub fn selector_matches(selector: &Value, labels: Option<&Map<String, Value>>) -> bool {
    let label = |key: &str| labels.and_then(|l| l.get(key)).and_then(Value::as_str);
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let labels_ok = match_labels
        .into_iter()
        .flatten()
        .all(|(k, v)| v.as_str().is_some_and(|v| label(k) == Some(v)));
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    let expressions_ok = expressions.into_iter().flatten().all(|req| {
        let key = req.get("key").and_then(Value::as_str).unwrap_or("");
        let values = petctl_model::json::strings(req, "/values");
        let present = label(key);
        match req.get("operator").and_then(Value::as_str) {
            Some("In") => present.is_some_and(|v| values.contains(&v)),
            Some("NotIn") => present.is_none_or(|v| !values.contains(&v)),
            Some("Exists") => present.is_some(),
            Some("DoesNotExist") => present.is_none(),
            _ => false,
        }
    });
    labels_ok && expressions_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(errs: &[FieldError]) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn names_follow_the_rule_of_the_kind() {
        let meta = Field::new("metadata");
        let cases: &[(Value, NameRule, &[&str])] = &[
            (json!({"name": "web"}), NameRule::Dns1123Label, &[]),
            (json!({"generateName": "web-"}), NameRule::Dns1123Label, &[]),
            (
                json!({}),
                NameRule::Dns1123Subdomain,
                &["metadata.name: Required value: name or generateName is required"],
            ),
            (
                json!({"name": "web.v1"}),
                NameRule::Dns1123Label,
                &["metadata.name: Invalid value: \"web.v1\": must not contain dots"],
            ),
            (json!({"name": "web.v1"}), NameRule::Dns1123Subdomain, &[]),
            (
                json!({"name": "web", "namespace": "Prod"}),
                NameRule::Dns1123Subdomain,
                &["metadata.namespace: Invalid value: \"Prod\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"],
            ),
            (
                json!({"name": "web", "labels": {"app": "-web"}}),
                NameRule::Dns1123Label,
                &["metadata.labels: Invalid value: \"-web\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"],
            ),
            (
                json!({"name": "web", "annotations": {"Pod.Alpha.Kubernetes.io/Initialized": "true"}}),
                NameRule::Dns1123Label,
                &[],
            ),
        ];
        for (value, rule, want) in cases {
            let got = messages(&validate_object_meta(Some(value), *rule, &meta));
            assert_eq!(got, *want, "{value}");
        }
        let bad_key = json!({"name": "web", "labels": {"bad key": "x"}});
        let errs = validate_object_meta(Some(&bad_key), NameRule::Dns1123Label, &meta);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].path.to_string(), "metadata.labels[bad key]");
        assert_eq!(errs[0].field, "metadata.labels");
    }

    #[test]
    fn selectors_validate_and_match() {
        let sel = json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["db", "cache"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        });
        assert!(validate_selector(&sel, &Field::new("selector")).is_empty());
        let labels = json!({"app": "web", "tier": "db"});
        assert!(selector_matches(&sel, labels.as_object()));
        let labels = json!({"app": "web", "tier": "db", "canary": "yes"});
        assert!(!selector_matches(&sel, labels.as_object()));
        assert!(!selector_matches(&sel, None));
        assert!(selector_is_empty(&json!({})));
        assert!(selector_is_empty(&json!({"matchLabels": {}})));
        assert!(!selector_is_empty(&sel));

        let bad = json!({"matchExpressions": [
            {"key": "a", "operator": "In"},
            {"key": "b", "operator": "Exists", "values": ["x"]},
            {"key": "c", "operator": "Like", "values": ["x"]}
        ]});
        assert_eq!(
            messages(&validate_selector(&bad, &Field::new("spec").child("selector"))),
            vec![
                "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
                "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "spec.selector.matchExpressions[2].operator: Invalid value: \"Like\": not a valid selector operator",
            ]
        );
    }
}
