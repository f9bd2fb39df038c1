//! A diagnostic names exactly what is wrong and where: file, line and column,
//! the object, the field path, and the message.

use std::fmt;
use std::sync::Arc;

use super::location::{FieldPath, Location};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: Arc<str>,
    /// None when the problem is with the file as a whole (unreadable, too large).
    pub location: Option<Location>,
    /// The object, as `petset "web"`, when the problem is inside one.
    pub object: Option<String>,
    /// The field path, when the problem is with one field.
    pub path: Option<FieldPath>,
    pub message: String,
}

impl Diagnostic {
    /// A problem with a whole file.
    pub fn file(file: &Arc<str>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.clone(),
            location: None,
            object: None,
            path: None,
            message: message.into(),
        }
    }

    /// A problem at one place in a file.
    pub fn at(file: &Arc<str>, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            location: Some(location),
            ..Diagnostic::file(file, message)
        }
    }

    pub fn with_object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    pub fn with_path(mut self, path: FieldPath) -> Self {
        self.path = (!path.is_root()).then_some(path);
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(loc) = self.location.filter(|l| l.line > 0) {
            write!(f, ":{loc}")?;
        }
        if let Some(object) = &self.object {
            write!(f, ": {object}")?;
        }
        if let Some(path) = &self.path {
            write!(f, ": {path}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// One or more diagnostics that stop a manifest from being used. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub diagnostics: Vec<Diagnostic>,
}

impl ManifestError {
    pub fn new(diagnostics: Vec<Diagnostic>) -> Self {
        ManifestError { diagnostics }
    }

    pub fn single(diagnostic: Diagnostic) -> Self {
        ManifestError {
            diagnostics: vec![diagnostic],
        }
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.diagnostics.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ManifestError {}

impl From<Diagnostic> for ManifestError {
    fn from(d: Diagnostic) -> Self {
        ManifestError::single(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_object_and_path() {
        let file: Arc<str> = Arc::from("web.yaml");
        let d = Diagnostic::at(&file, Location { line: 9, column: 3 }, "must be >= 0")
            .with_object("petset \"web\"")
            .with_path(FieldPath::parse("spec.replicas"));
        assert_eq!(
            d.to_string(),
            "web.yaml:9:3: petset \"web\": spec.replicas: must be >= 0"
        );
        assert_eq!(
            Diagnostic::file(&file, "file is empty").to_string(),
            "web.yaml: file is empty"
        );
    }
}
