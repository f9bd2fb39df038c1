//! Manifests: reading `-f` sources, parsing multi-document YAML and JSON with
//! exact source locations, validating the kinds petctl knows, and converting
//! PetSets and older StatefulSets to apps/v1.
//!
//! Also the validation (per field, with exact paths) and the schema checks
//! that the local control plane's registry reuses. It depends on
//! petctl-model and on neither half (petctl-client, petctl-local).
#![forbid(unsafe_code)]

pub mod convert;
pub mod diagnostic;
pub mod location;
pub mod parse;
pub mod read;
pub mod schema;
pub mod validate;
pub mod validation;

pub use diagnostic::{Diagnostic, ManifestError};
pub use location::{FieldPath, Location, Locations};
pub use read::{read_sources, SourceFile};

use std::sync::Arc;

/// One object read from a manifest: a YAML document, a JSON document, or one
/// item of a `List`.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from, as the user named it (`-` for stdin).
    pub file: Arc<str>,
    /// The object itself, untyped.
    pub value: serde_json::Value,
    /// Where each field of `value` stands in `file`.
    pub locations: Arc<Locations>,
    /// Where `value` sits inside the document: empty for a plain document,
    /// `items[3]` for the fourth item of a `List`.
    pub base: FieldPath,
}

impl Document {
    pub fn api_version(&self) -> &str {
        self.value
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    }

    pub fn kind(&self) -> &str {
        self.value
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value
            .pointer("/metadata/namespace")
            .and_then(|v| v.as_str())
    }

    /// The location of `path` (relative to this object), or of its nearest
    /// ancestor that has one.
    pub fn locate(&self, path: &FieldPath) -> Location {
        self.locations.nearest(&self.base.join(path))
    }
}

/// How unknown fields are treated, as kubectl's `--validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValidationMode {
    /// Unknown fields are errors (kubectl's default, `--validate=strict`).
    #[default]
    Strict,
    /// Unknown fields are reported as warnings.
    Warn,
    /// Unknown fields are not checked; the semantic checks still run.
    Ignore,
}

impl std::str::FromStr for ValidationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" | "true" => Ok(ValidationMode::Strict),
            "warn" => Ok(ValidationMode::Warn),
            "ignore" | "false" => Ok(ValidationMode::Ignore),
            other => Err(format!(
                "invalid value {other:?} for --validate: must be one of strict, warn, ignore (or true, false)"
            )),
        }
    }
}

/// What loading found: the objects, and warnings that did not stop it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Document>,
    pub warnings: Vec<Diagnostic>,
}

/// Reads, parses and validates every `-f` source. Any error in any document
/// fails the whole load, so nothing is sent half-way.
pub fn load(sources: &[String], mode: ValidationMode) -> Result<Loaded, ManifestError> {
    let files = read_sources(sources)?;
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    for file in &files {
        match parse::parse_file(file) {
            Ok(docs) => loaded.documents.extend(docs),
            Err(err) => errors.extend(err.diagnostics),
        }
    }
    for doc in &loaded.documents {
        let report = validate::validate(doc, mode);
        errors.extend(report.errors);
        loaded.warnings.extend(report.warnings);
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(ManifestError::new(errors))
    }
}
