//! Parsing one manifest file into documents: multi-document YAML or JSON,
//! `List` kinds expanded, with the location of every field recorded.

mod index;
mod json;
mod objects;
mod syntax;
mod value;
mod yaml;

#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod hostile_tests;

use super::diagnostic::{Diagnostic, ManifestError};
use super::location::Locations;
use super::read::SourceFile;
use super::Document;

/// One non-empty document as the parsers read it, before its shape is
/// checked and `List`s are expanded.
#[derive(Debug)]
pub(crate) struct RawDocument {
    pub value: serde_json::Value,
    pub locations: Locations,
}

/// Parses every document of `file`. Empty documents (a leading `---`, a
/// trailing one) are skipped; a file with no object at all is an error.
pub fn parse_file(file: &SourceFile) -> Result<Vec<Document>, ManifestError> {
    let raw = if json::looks_like_json(&file.text) {
        json::documents(&file.name, &file.text)?
    } else {
        yaml::documents(&file.name, &file.text)?
    };
    if raw.is_empty() {
        return Err(Diagnostic::file(
            &file.name,
            "no objects in file (only comments or empty documents)",
        )
        .into());
    }
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in raw.into_iter().enumerate() {
        objects::expand(&file.name, i + 1, raw, &mut documents, &mut errors);
    }
    if errors.is_empty() {
        Ok(documents)
    } else {
        Err(ManifestError::new(errors))
    }
}
