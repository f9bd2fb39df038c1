//! Validation of the kinds petctl knows, reporting the object, field path and
//! location of every problem: unknown fields (with a suggestion) and the
//! semantic rules of the API server for the fields petctl relies on.

use super::diagnostic::Diagnostic;
use super::{Document, ValidationMode};
use crate::validation::{self, FieldError};

/// What validation of one document found.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Validates one document. Unknown fields are errors, warnings or ignored as
/// `mode` says; a value of the wrong JSON type is always an error, since no
/// API server could decode it; semantic rules always apply. Kinds without a
/// schema or rules pass untouched.
pub fn validate(doc: &Document, mode: ValidationMode) -> Report {
    let (api_version, kind) = (doc.api_version(), doc.kind());
    let mut report = Report::default();
    let object = object_label(doc);
    let diagnostic = |err: &FieldError| {
        let diagnostic = Diagnostic::at(&doc.file, doc.locate(&err.path), err.to_string());
        match &object {
            Some(object) => diagnostic.with_object(object.clone()),
            None => diagnostic,
        }
    };
    if let Some(findings) = crate::schema::check(api_version, kind, &doc.value) {
        let unknown = findings.unknown_fields.iter().map(diagnostic);
        match mode {
            ValidationMode::Strict => report.errors.extend(unknown),
            ValidationMode::Warn => report.warnings.extend(unknown),
            ValidationMode::Ignore => {}
        }
        report
            .errors
            .extend(findings.wrong_types.iter().map(diagnostic));
    }
    let semantic = validation::validate_object(api_version, kind, &doc.value);
    report.errors.extend(semantic.iter().map(diagnostic));
    report
}

/// The object as diagnostics name it: `petset "web"`; just the kind when it
/// has no name; nothing for a document without a kind.
fn object_label(doc: &Document) -> Option<String> {
    let kind = doc.kind().to_ascii_lowercase();
    match (kind.is_empty(), doc.name()) {
        (true, _) => None,
        (false, "") => Some(kind),
        (false, name) => Some(format!("{kind} {}", validation::error::quote(name))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FieldPath, Location, Locations};
    use serde_json::json;
    use std::sync::Arc;

    fn doc(value: serde_json::Value, locations: &[(&str, usize, usize)]) -> Document {
        let mut locs = Locations::default();
        for (path, line, column) in locations {
            locs.insert(
                FieldPath::parse(path),
                Location {
                    line: *line,
                    column: *column,
                },
            );
        }
        Document {
            file: Arc::from("web.yaml"),
            value,
            locations: Arc::new(locs),
            base: FieldPath::root(),
        }
    }

    fn shown(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics.iter().map(ToString::to_string).collect()
    }

    fn petset() -> serde_json::Value {
        json!({
            "apiVersion": "apps/v1alpha1", "kind": "PetSet",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": -1, "serviceName": "nginx",
                "template": {"metadata": {"labels": {"app": "nginx"}},
                             "spec": {"containers": [{"name": "nginx", "image": "nginx"}],
                                      "contianers": []}}
            }
        })
    }

    const PETSET_LOCATIONS: &[(&str, usize, usize)] = &[
        ("spec", 4, 1),
        ("spec.replicas", 5, 3),
        ("spec.template.spec.contianers", 12, 7),
    ];

    #[test]
    fn diagnostics_name_file_line_object_and_field() {
        let report = validate(&doc(petset(), PETSET_LOCATIONS), ValidationMode::Strict);
        assert_eq!(
            shown(&report.errors),
            vec![
                "web.yaml:12:7: petset \"web\": spec.template.spec.contianers: unknown field \"contianers\", did you mean \"containers\"?",
                "web.yaml:5:3: petset \"web\": spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            ]
        );
        assert!(report.warnings.is_empty());
    }

    #[test]
    fn modes_decide_what_unknown_fields_are() {
        let report = validate(&doc(petset(), PETSET_LOCATIONS), ValidationMode::Warn);
        assert_eq!(report.errors.len(), 1);
        assert_eq!(report.warnings.len(), 1);
        let report = validate(&doc(petset(), PETSET_LOCATIONS), ValidationMode::Ignore);
        assert_eq!(report.errors.len(), 1);
        assert!(report.warnings.is_empty());
        let mut wrong = petset();
        wrong["spec"]["replicas"] = json!("3");
        let report = validate(&doc(wrong, PETSET_LOCATIONS), ValidationMode::Ignore);
        assert_eq!(
            shown(&report.errors),
            vec!["web.yaml:5:3: petset \"web\": spec.replicas: Invalid value: \"string\": expected integer"]
        );
    }

    #[test]
    fn unknown_kinds_pass_untouched() {
        let value = json!({"apiVersion": "example.com/v1", "kind": "Widget", "spec": {"x": 1}});
        let report = validate(&doc(value, &[]), ValidationMode::Strict);
        assert!(report.errors.is_empty() && report.warnings.is_empty());
    }
}
