//! Field errors as the API server words them (`spec.replicas: Invalid value:
//! -1: must be greater than or equal to 0`), and the field paths they name.

use std::fmt;

use petctl_model::field_path::FieldPath;

/// The kind of a field error, mirroring apimachinery's `field.ErrorType`.
/// Bad values are kept rendered the way the API server renders them: strings
/// quoted, numbers bare, maps as Go prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    Required,
    /// `None` when the value is too large to be worth repeating.
    Invalid {
        value: Option<String>,
    },
    Duplicate {
        value: String,
    },
    NotSupported {
        value: String,
    },
    NotFound {
        value: String,
    },
    Forbidden,
    TooLong,
    /// A field the schema of the kind does not have; not an apimachinery
    /// type: the message says it all.
    Unknown,
}

impl ErrorKind {
    /// The words that open the message: `Required value`, `Invalid value`, ….
    pub fn title(&self) -> &'static str {
        self.names().1
    }

    /// The `field.ErrorType` a `Status` cause carries as its reason:
    /// `FieldValueRequired`, `FieldValueInvalid`, ….
    pub fn reason(&self) -> &'static str {
        self.names().0
    }

    /// `(reason, title)`, as apimachinery's `field.ErrorType` and its
    /// `String()`; an unknown field is reported as an invalid value.
    fn names(&self) -> (&'static str, &'static str) {
        match self {
            ErrorKind::Required => ("FieldValueRequired", "Required value"),
            ErrorKind::Invalid { .. } => ("FieldValueInvalid", "Invalid value"),
            ErrorKind::Duplicate { .. } => ("FieldValueDuplicate", "Duplicate value"),
            ErrorKind::NotSupported { .. } => ("FieldValueNotSupported", "Unsupported value"),
            ErrorKind::NotFound { .. } => ("FieldValueNotFound", "Not found"),
            ErrorKind::Forbidden => ("FieldValueForbidden", "Forbidden"),
            ErrorKind::TooLong => ("FieldValueTooLong", "Too long"),
            ErrorKind::Unknown => ("FieldValueInvalid", "Unknown field"),
        }
    }

    fn value(&self) -> Option<&str> {
        match self {
            ErrorKind::Invalid { value } => value.as_deref(),
            ErrorKind::Duplicate { value }
            | ErrorKind::NotSupported { value }
            | ErrorKind::NotFound { value } => Some(value),
            _ => None,
        }
    }
}

/// A field path as the API server prints it, together with the path of the
/// value in the object, which is where a diagnostic points. They differ for
/// map keys (`resources[storage]`) and for logical paths the server invents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    pub at: FieldPath,
    pub shown: String,
}

impl Field {
    pub fn root() -> Self {
        Field::default()
    }

    pub fn new(name: &str) -> Self {
        Field::root().child(name)
    }

    /// A struct field: `spec.replicas`.
    pub fn child(&self, name: &str) -> Self {
        Field {
            at: self.at.key(name),
            shown: if self.shown.is_empty() {
                name.to_string()
            } else {
                format!("{}.{name}", self.shown)
            },
        }
    }

    /// A list item: `containers[0]`.
    pub fn index(&self, index: usize) -> Self {
        Field {
            at: self.at.index(index),
            shown: format!("{}[{index}]", self.shown),
        }
    }

    /// A map entry: `annotations[pod.alpha.kubernetes.io/initialized]`.
    pub fn key(&self, key: &str) -> Self {
        Field {
            at: self.at.key(key),
            shown: format!("{}[{key}]", self.shown),
        }
    }

    /// A map entry the server names but that does not stand in the object
    /// (`resources[storage]` for `resources.requests.storage`); the
    /// diagnostic points at this field.
    pub fn shown_key(&self, key: &str) -> Self {
        Field {
            at: self.at.clone(),
            shown: format!("{}[{key}]", self.shown),
        }
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the value stands in the object.
    pub path: FieldPath,
    /// The field as the API server names it.
    pub field: String,
    pub kind: ErrorKind,
    /// The detail after the kind and value; may be empty.
    pub message: String,
}

impl FieldError {
    fn new(field: &Field, kind: ErrorKind, message: impl Into<String>) -> Self {
        FieldError {
            path: field.at.clone(),
            field: field.shown.clone(),
            kind,
            message: message.into(),
        }
    }

    pub fn required(field: &Field, detail: impl Into<String>) -> Self {
        FieldError::new(field, ErrorKind::Required, detail)
    }

    pub fn invalid(field: &Field, value: impl Into<String>, detail: impl Into<String>) -> Self {
        let value = Some(value.into());
        FieldError::new(field, ErrorKind::Invalid { value }, detail)
    }

    /// An invalid value not worth repeating (a whole JSON document).
    pub fn invalid_omitted(field: &Field, detail: impl Into<String>) -> Self {
        FieldError::new(field, ErrorKind::Invalid { value: None }, detail)
    }

    pub fn duplicate(field: &Field, value: impl Into<String>) -> Self {
        let value = value.into();
        FieldError::new(field, ErrorKind::Duplicate { value }, "")
    }

    pub fn not_found(field: &Field, value: impl Into<String>) -> Self {
        let value = value.into();
        FieldError::new(field, ErrorKind::NotFound { value }, "")
    }

    pub fn not_supported(field: &Field, value: impl Into<String>, supported: &[&str]) -> Self {
        let value = value.into();
        let detail = if supported.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = supported.iter().map(|s| quote(s)).collect();
            format!("supported values: {}", quoted.join(", "))
        };
        FieldError::new(field, ErrorKind::NotSupported { value }, detail)
    }

    pub fn forbidden(field: &Field, detail: impl Into<String>) -> Self {
        FieldError::new(field, ErrorKind::Forbidden, detail)
    }

    pub fn too_long(field: &Field, max_bytes: usize) -> Self {
        FieldError::new(
            field,
            ErrorKind::TooLong,
            format!("may not be more than {max_bytes} bytes"),
        )
    }

    pub fn unknown(field: &Field, message: impl Into<String>) -> Self {
        FieldError::new(field, ErrorKind::Unknown, message)
    }

    /// Everything after the field: `Invalid value: -1: must be greater than or equal to 0`.
    pub fn detail(&self) -> String {
        if self.kind == ErrorKind::Unknown {
            return self.message.clone();
        }
        let mut out = self.kind.title().to_string();
        if let Some(value) = self.kind.value() {
            out.push_str(": ");
            out.push_str(value);
        }
        if !self.message.is_empty() {
            out.push_str(": ");
            out.push_str(&self.message);
        }
        out
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.detail())
        } else {
            write!(f, "{}: {}", self.field, self.detail())
        }
    }
}

/// A string as Go's `%q` prints it.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `map[string]string` as Go's `%#v` prints it: keys sorted.
pub fn go_string_map(map: Option<&serde_json::Map<String, serde_json::Value>>) -> String {
    let Some(map) = map else {
        return "map[string]string(nil)".to_string();
    };
    let mut entries: Vec<(&String, String)> = map
        .iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    entries.sort();
    let body: Vec<String> = entries
        .iter()
        .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
        .collect();
    format!("map[string]string{{{}}}", body.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_like_the_api_server() {
        let spec = Field::new("spec");
        let cases = [
            (
                FieldError::invalid(
                    &spec.child("replicas"),
                    "-1",
                    "must be greater than or equal to 0",
                ),
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            ),
            (
                FieldError::required(&spec.child("selector"), ""),
                "spec.selector: Required value",
            ),
            (
                FieldError::duplicate(
                    &spec.child("containers").index(1).child("name"),
                    quote("nginx"),
                ),
                "spec.containers[1].name: Duplicate value: \"nginx\"",
            ),
            (
                FieldError::not_supported(
                    &spec.child("restartPolicy"),
                    quote("Never"),
                    &["Always"],
                ),
                "spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
            ),
            (
                FieldError::not_found(
                    &spec.child("volumeMounts").index(0).child("name"),
                    quote("www"),
                ),
                "spec.volumeMounts[0].name: Not found: \"www\"",
            ),
            (
                FieldError::required(&spec.child("resources").shown_key("storage"), ""),
                "spec.resources[storage]: Required value",
            ),
            (
                FieldError::forbidden(&spec.child("x"), "not allowed"),
                "spec.x: Forbidden: not allowed",
            ),
            (
                FieldError::invalid_omitted(&spec.key("a.b/c"), "must be JSON"),
                "spec[a.b/c]: Invalid value: must be JSON",
            ),
            (
                FieldError::unknown(&spec.child("replcas"), "unknown field \"replcas\""),
                "spec.replcas: unknown field \"replcas\"",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
        let storage = Field::new("spec").child("resources").shown_key("storage");
        assert_eq!(storage.at.to_string(), "spec.resources");
    }

    #[test]
    fn go_rendering() {
        assert_eq!(quote("a\"b\n"), "\"a\\\"b\\n\"");
        let map = serde_json::json!({"tier": "db", "app": "web"});
        assert_eq!(
            go_string_map(map.as_object()),
            "map[string]string{\"app\":\"web\", \"tier\":\"db\"}"
        );
        assert_eq!(go_string_map(None), "map[string]string(nil)");
    }
}
