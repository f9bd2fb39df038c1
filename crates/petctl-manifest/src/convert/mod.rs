//! Conversion of PetSets (apps/v1alpha1) and older StatefulSets
//! (apps/v1beta1, apps/v1beta2) to the apps/v1 StatefulSet that keeps their
//! behaviour (or to apps/v1beta1, for the Kubernetes 1.5 migration),
//! reporting every change made.

mod claims;
mod object;
mod pod_template;
mod service;
mod set;

use serde_json::Value;

use super::diagnostic::{Diagnostic, ManifestError};
use super::read::read_sources;
use super::validate::validate;
use super::{parse, Document, ValidationMode};
use petctl_model::types::petset;

pub use object::Problem;

/// The apiVersion to convert to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    AppsV1,
    /// apps/v1beta1, for the Kubernetes 1.5-era migration.
    AppsV1beta1,
}

impl Target {
    pub fn api_version(self) -> &'static str {
        match self {
            Target::AppsV1 => "apps/v1",
            Target::AppsV1beta1 => "apps/v1beta1",
        }
    }
}

/// The versions of a set that conversion reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    PetSet,
    V1beta1,
    V1beta2,
    V1,
}

impl Source {
    fn of(doc: &Document) -> Option<Source> {
        match (doc.api_version(), doc.kind()) {
            (petset::API_VERSION, petset::KIND) => Some(Source::PetSet),
            ("apps/v1beta1", "StatefulSet") => Some(Source::V1beta1),
            ("apps/v1beta2", "StatefulSet") => Some(Source::V1beta2),
            ("apps/v1", "StatefulSet") => Some(Source::V1),
            _ => None,
        }
    }

    fn api_version(self) -> &'static str {
        match self {
            Source::PetSet => petset::API_VERSION,
            Source::V1beta1 => "apps/v1beta1",
            Source::V1beta2 => "apps/v1beta2",
            Source::V1 => "apps/v1",
        }
    }

    fn display_name(self) -> &'static str {
        match self {
            Source::PetSet => "petset",
            _ => "statefulset",
        }
    }
}

/// The result of converting one document.
#[derive(Debug, Clone)]
pub struct Converted {
    pub value: Value,
    /// One line per change, e.g.
    /// `petset "web" (apps/v1alpha1 -> apps/v1): set spec.updateStrategy.type: OnDelete ...`.
    pub changes: Vec<String>,
}

/// The change lines of one object, each prefixed with the object.
struct Changes {
    prefix: String,
    lines: Vec<String>,
}

impl Changes {
    fn new(prefix: String) -> Self {
        Changes {
            prefix,
            lines: Vec::new(),
        }
    }

    fn push(&mut self, change: impl std::fmt::Display) {
        self.lines.push(format!("{}: {change}", self.prefix));
    }
}

/// Converts `doc` to `target`. Documents of other kinds are returned
/// unchanged with no changes listed, except Services, whose alpha
/// tolerate-unready-endpoints annotation becomes `publishNotReadyAddresses`
/// for apps/v1.
pub fn convert(doc: &Document, target: Target) -> Result<Converted, Diagnostic> {
    let result = match Source::of(doc) {
        Some(source) => set::convert(doc, source, target),
        None if doc.api_version() == "v1" && doc.kind() == "Service" => {
            service::convert(doc, target)
        }
        None => Ok(Converted {
            value: doc.value.clone(),
            changes: Vec::new(),
        }),
    };
    result.map_err(|problem| {
        let object = match Source::of(doc) {
            Some(source) => format!("{} {:?}", source.display_name(), doc.name()),
            None => format!("{} {:?}", doc.kind().to_ascii_lowercase(), doc.name()),
        };
        Diagnostic::at(&doc.file, doc.locate(&problem.path), problem.message)
            .with_object(object)
            .with_path(problem.path)
    })
}

/// What `petctl migrate` produces: the converted objects in input order,
/// every change made, and the warnings validation of the result raised.
#[derive(Debug, Default)]
pub struct Migration {
    pub objects: Vec<Value>,
    pub changes: Vec<String>,
    pub warnings: Vec<Diagnostic>,
}

/// Reads and parses every `-f` source, then converts its documents with
/// [`convert_documents`]. The input is not validated against its own old
/// version: the converted objects are validated instead, so whatever would
/// stop them from being created is reported.
pub fn migrate(
    sources: &[String],
    target: Target,
    mode: ValidationMode,
) -> Result<Migration, ManifestError> {
    let files = read_sources(sources)?;
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        match parse::parse_file(file) {
            Ok(docs) => documents.extend(docs),
            Err(err) => errors.extend(err.diagnostics),
        }
    }
    if !errors.is_empty() {
        return Err(ManifestError::new(errors));
    }
    convert_documents(&documents, target, mode)
}

/// Converts every document and validates each result. Any error in any
/// document fails the whole migration, so nothing is printed half-way.
pub fn convert_documents(
    documents: &[Document],
    target: Target,
    mode: ValidationMode,
) -> Result<Migration, ManifestError> {
    let mut migration = Migration::default();
    let mut errors = Vec::new();
    for doc in documents {
        match convert(doc, target) {
            Ok(converted) => {
                let result = Document {
                    value: converted.value,
                    ..doc.clone()
                };
                let report = validate(&result, mode);
                errors.extend(report.errors);
                migration.warnings.extend(report.warnings);
                migration.changes.extend(converted.changes);
                migration.objects.push(result.value);
            }
            Err(diagnostic) => errors.push(diagnostic),
        }
    }
    if errors.is_empty() {
        Ok(migration)
    } else {
        Err(ManifestError::new(errors))
    }
}

#[cfg(test)]
mod tests;
