//! Field selectors: `field=value`, `field==value`, `field!=value`, joined by
//! commas (`\`, `\,` and `\=` escape in values), the fields each kind can be
//! selected by, and reading those fields from an object.

use std::fmt;

use serde_json::Value;

use super::SelectorError;
use crate::kinds;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOperator {
    Equals,
    NotEquals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub operator: FieldOperator,
    pub value: String,
}

/// A conjunction of terms; no terms selects everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

/// Pods, as kube-apiserver's field label conversion lists them.
const POD_FIELDS: &[&str] = &[
    "metadata.name",
    "metadata.namespace",
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
];
const EVENT_FIELDS: &[&str] = &[
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
];
const NAMESPACE_FIELDS: &[&str] = &["status.phase", "metadata.name"];
const SECRET_FIELDS: &[&str] = &["type", "metadata.namespace", "metadata.name"];
const NODE_FIELDS: &[&str] = &["metadata.name", "spec.unschedulable"];
const DEFAULT_FIELDS: &[&str] = &["metadata.name", "metadata.namespace"];

/// The fields `kind` (any of its names: `Pod`, `pods`, `po`) can be selected
/// by; every other kind supports `metadata.name` and `metadata.namespace`.
pub fn supported_fields(kind: &str) -> &'static [&'static str] {
    let kind = kinds::by_name(kind).map_or(kind, |info| info.kind);
    match kind {
        "Pod" => POD_FIELDS,
        "Event" => EVENT_FIELDS,
        "Namespace" => NAMESPACE_FIELDS,
        "Secret" => SECRET_FIELDS,
        "Node" => NODE_FIELDS,
        _ => DEFAULT_FIELDS,
    }
}

/// The value a field selector compares for `field` of `object`: strings as
/// they are, booleans and numbers printed, anything absent as "". Events'
/// `source` is the reporting component, and a node's `spec.unschedulable`
/// is "false" when unset, as kube-apiserver's selectable field sets have it.
pub fn field_value(object: &Value, field: &str) -> String {
    let path = match field {
        "source" if object.get("kind").and_then(Value::as_str) == Some("Event") => {
            "source.component"
        }
        other => other,
    };
    let found = path
        .split('.')
        .try_fold(object, |value, segment| value.get(segment));
    match found {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ if field == "spec.unschedulable" => "false".to_string(),
        _ => String::new(),
    }
}

impl FieldSelector {
    pub fn everything() -> Self {
        FieldSelector::default()
    }

    /// Parses the string form (apimachinery `fields.ParseSelector`). Terms are
    /// sorted by their text, as Go sorts them.
    pub fn parse(input: &str) -> Result<Self, SelectorError> {
        let mut parts = split_terms(input);
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let Some((field, operator, raw)) = split_term(part) else {
                return Err(SelectorError::Invalid(format!(
                    "invalid selector: '{input}'; can't understand '{part}'"
                )));
            };
            terms.push(FieldTerm {
                field: field.to_string(),
                operator,
                value: unescape(raw)?,
            });
        }
        Ok(FieldSelector { terms })
    }

    pub fn terms(&self) -> &[FieldTerm] {
        &self.terms
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Checks every field against what `kind` supports, rewriting the
    /// legacy `spec.host` of pods to `spec.nodeName` as kube-apiserver does.
    pub fn for_kind(mut self, kind: &str) -> Result<Self, SelectorError> {
        let supported = supported_fields(kind);
        for term in &mut self.terms {
            if term.field == "spec.host" && supported == POD_FIELDS {
                term.field = "spec.nodeName".to_string();
            }
            if !supported.contains(&term.field.as_str()) {
                return Err(SelectorError::UnsupportedField(term.field.clone()));
            }
        }
        Ok(self)
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.terms.iter().all(|term| {
            let equal = field_value(object, &term.field) == term.value;
            match term.operator {
                FieldOperator::Equals => equal,
                FieldOperator::NotEquals => !equal,
            }
        })
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = match term.operator {
                FieldOperator::Equals => "=",
                FieldOperator::NotEquals => "!=",
            };
            write!(f, "{}{op}{}", term.field, escape(&term.value))?;
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldSelector {
    type Err = SelectorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FieldSelector::parse(s)
    }
}

/// Splits on commas that are not escaped; the escapes stay in the terms.
fn split_terms(input: &str) -> Vec<&str> {
    if input.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in input.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(input.get(start..i).unwrap_or_default());
            start = i + 1;
        }
    }
    terms.push(input.get(start..).unwrap_or_default());
    terms
}

/// The first operator in the term splits it; fields cannot be escaped.
fn split_term(term: &str) -> Option<(&str, FieldOperator, &str)> {
    for (i, _) in term.char_indices() {
        let rest = term.get(i..).unwrap_or_default();
        let field = term.get(..i).unwrap_or_default();
        for (op, operator) in [
            ("!=", FieldOperator::NotEquals),
            ("==", FieldOperator::Equals),
            ("=", FieldOperator::Equals),
        ] {
            if let Some(value) = rest.strip_prefix(op) {
                return Some((field, operator, value));
            }
        }
    }
    None
}

fn unescape(raw: &str) -> Result<String, SelectorError> {
    if !raw.contains(['\\', ',', '=']) {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('\\' | ',' | '=')) => out.push(next),
                Some(next) => {
                    return Err(SelectorError::Invalid(format!(
                        "invalid field selector: invalid escape sequence: \\{next}"
                    )))
                }
                None => {
                    return Err(SelectorError::Invalid(
                        "invalid field selector: invalid escape sequence: \\".to_string(),
                    ))
                }
            },
            // Go prints the rune with %v: its code point.
            ',' | '=' => {
                return Err(SelectorError::Invalid(format!(
                    "invalid field selector: unescaped character in value: {}",
                    u32::from(c)
                )))
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | ',' | '=') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_prints() {
        let cases = [
            ("", ""),
            ("metadata.name=web-0", "metadata.name=web-0"),
            ("metadata.name==web-0", "metadata.name=web-0"),
            ("status.phase!=Running", "status.phase!=Running"),
            (
                "status.phase=Running,metadata.name=a",
                "metadata.name=a,status.phase=Running",
            ),
            ("a=x\\,y\\=z\\\\", "a=x\\,y\\=z\\\\"),
            ("a=", "a="),
            (",a=b,", "a=b"),
        ];
        for (input, want) in cases {
            let selector = FieldSelector::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(selector.to_string(), want, "{input:?}");
        }
        let selector = FieldSelector::parse("a=x\\,y").unwrap();
        assert_eq!(selector.terms()[0].value, "x,y");
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("name", "invalid selector: 'name'; can't understand 'name'"),
            ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
            (
                "a=b\\x",
                "invalid field selector: invalid escape sequence: \\x",
            ),
            (
                "a=b\\",
                "invalid field selector: invalid escape sequence: \\",
            ),
        ];
        for (input, want) in cases {
            let err = FieldSelector::parse(input).unwrap_err();
            assert_eq!(err, SelectorError::Invalid(want.to_string()), "{input:?}");
        }
        // Terms split at the first operator, leaving an unescaped '=' (61).
        for input in ["a=b=c", "a!==b"] {
            assert_eq!(
                FieldSelector::parse(input).unwrap_err().to_string(),
                "invalid field selector: unescaped character in value: 61"
            );
        }
    }

    #[test]
    fn supported_fields_per_kind() {
        let cases: &[(&str, &str, Result<&str, &str>)] = &[
            ("Pod", "status.phase=Running", Ok("status.phase=Running")),
            ("pods", "spec.host=node-1", Ok("spec.nodeName=node-1")),
            ("po", "spec.nodeName=", Ok("spec.nodeName=")),
            ("Pod", "spec.containers=x", Err("spec.containers")),
            (
                "Event",
                "involvedObject.name=web-0,type=Warning",
                Ok("involvedObject.name=web-0,type=Warning"),
            ),
            ("events", "count=1", Err("count")),
            ("StatefulSet", "metadata.name=web", Ok("metadata.name=web")),
            ("statefulsets", "status.replicas=1", Err("status.replicas")),
            ("Service", "spec.host=x", Err("spec.host")),
            ("Secret", "type=Opaque", Ok("type=Opaque")),
            (
                "Namespace",
                "status.phase=Active",
                Ok("status.phase=Active"),
            ),
            (
                "Node",
                "spec.unschedulable=false",
                Ok("spec.unschedulable=false"),
            ),
        ];
        for (kind, input, want) in cases {
            let got = FieldSelector::parse(input).unwrap().for_kind(kind);
            match want {
                Ok(printed) => assert_eq!(got.unwrap().to_string(), *printed, "{kind} {input}"),
                Err(field) => assert_eq!(
                    got.unwrap_err().to_string(),
                    format!("field label not supported: {field}"),
                    "{kind} {input}"
                ),
            }
        }
    }

    #[test]
    fn matching() {
        let pod = json!({
            "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default"},
            "spec": {"nodeName": "node-1", "restartPolicy": "Always"},
            "status": {"phase": "Running", "podIP": "10.0.0.5"}
        });
        let event = json!({
            "kind": "Event",
            "involvedObject": {"kind": "Pod", "name": "web-0"},
            "source": {"component": "kubelet"},
            "count": 3
        });
        let node = json!({"kind": "Node", "metadata": {"name": "n"}});
        let cases = [
            (&pod, "metadata.name=web-0", true),
            (&pod, "metadata.name=web-1", false),
            (&pod, "metadata.name!=web-1,status.phase=Running", true),
            (&pod, "spec.nodeName=", false),
            (&pod, "status.nominatedNodeName=", true),
            (&pod, "spec.schedulerName!=", false),
            (
                &event,
                "involvedObject.name=web-0,involvedObject.kind=Pod",
                true,
            ),
            (&event, "source=kubelet", true),
            (&event, "count=3", true),
            (&node, "spec.unschedulable=false", true),
            (&pod, "", true),
        ];
        for (object, input, want) in cases {
            let selector = FieldSelector::parse(input).unwrap();
            assert_eq!(selector.matches(object), want, "{input}");
        }
    }
}
