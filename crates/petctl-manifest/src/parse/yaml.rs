//! YAML streams: every document through serde_yaml_ng (the judge of syntax,
//! with its depth and alias limits), then through the location index.
//!
//! Scalars follow YAML 1.2 as serde_yaml_ng reads them: `yes`, `on` and
//! `012` stay strings. Kubernetes reads YAML 1.1 (go-yaml v2), where they are
//! `true`, `true` and 10; no corpus file has such unquoted values.

use std::sync::Arc;

use serde::de::DeserializeSeed;

use super::index::{index_documents, too_deep, Origin};
use super::syntax::{nesting_message, yaml_error};
use super::value::{expansion_budget, Builder, Problem};
use super::RawDocument;
use crate::diagnostic::{Diagnostic, ManifestError};
use crate::location::{Location, Locations};

/// The index of the first document serde_yaml_ng finds a syntax error in
/// (usize::MAX if none), read with nothing built.
fn first_syntax_error(text: &str) -> usize {
    serde_yaml_ng::Deserializer::from_str(text)
        .position(|document| {
            <serde::de::IgnoredAny as serde::Deserialize>::deserialize(document).is_err()
        })
        .unwrap_or(usize::MAX)
}

/// The non-empty documents of a YAML stream, with their locations.
pub(crate) fn documents(name: &Arc<str>, text: &str) -> Result<Vec<RawDocument>, ManifestError> {
    if let Some(at) = too_deep(text) {
        return Err(Diagnostic::at(name, at, nesting_message()).into());
    }
    let builder = Builder::new(expansion_budget(text.len()));
    let mut values = Vec::new();
    let mut errors = Vec::new();
    let mut first_unsound = None;
    for (i, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        match builder.seed().deserialize(document) {
            Ok(value) => values.push(value),
            Err(err) => {
                let at = err.location().map(|l| Location {
                    line: l.line(),
                    column: l.column(),
                });
                match (builder.take_problem(), at) {
                    (Some(Problem::AtNode(message)), at) => {
                        errors.push(match at {
                            Some(at) => Diagnostic::at(name, at, message),
                            None => Diagnostic::file(name, message),
                        });
                        // Go on to the next document only while the stream
                        // is sound: serde_yaml_ng's document iterator, past a
                        // document with a syntax error, hands out events that
                        // make it panic (a duplicate key before an undefined
                        // alias did).
                        if i < *first_unsound.get_or_insert_with(|| first_syntax_error(text)) {
                            continue;
                        }
                        break;
                    }
                    (Some(Problem::TooLarge), _) => errors.push(Diagnostic::file(
                        name,
                        "aliases expand the documents to more than twice the size of the file",
                    )),
                    (_, Some(at)) => {
                        let (at, message) = yaml_error(&err.to_string(), at, text);
                        errors.push(Diagnostic::at(name, at, message));
                    }
                    (_, None) => errors.push(Diagnostic::file(name, err.to_string())),
                }
                break;
            }
        }
    }
    if !errors.is_empty() {
        return Err(ManifestError::new(errors));
    }
    let values: Vec<_> = values.into_iter().filter(|v| !v.is_null()).collect();
    let mut indexes: Vec<Locations> = index_documents(text, Origin::START)
        .into_iter()
        .filter(|d| !d.is_null)
        .map(|d| d.locations)
        .collect();
    // yaml-rust2 may stop early at something libyaml accepts; the documents
    // it did read line up. Should it ever see more documents than serde, no
    // location is better than a wrong one.
    if indexes.len() > values.len() {
        indexes.clear();
    }
    indexes.resize_with(values.len(), Locations::default);
    Ok(values
        .into_iter()
        .zip(indexes)
        .map(|(value, locations)| RawDocument { value, locations })
        .collect())
}
