//! JSON files: a single object or a stream of objects, read by serde_json
//! for its exact error positions; each object is then indexed on its own.

use std::sync::Arc;

use serde::de::{Deserialize, DeserializeSeed, Deserializer};

use super::index::{index_documents, Origin};
use super::syntax::json_message;
use super::value::Builder;
use super::RawDocument;
use crate::diagnostic::{Diagnostic, ManifestError};
use crate::location::Location;

/// A value read with petctl's rules (no duplicate keys). JSON has no
/// aliases, so there is nothing to budget.
struct Strict(serde_json::Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Builder::new(usize::MAX)
            .seed()
            .deserialize(deserializer)
            .map(Strict)
    }
}

/// Whether `text` is JSON: its first non-blank character opens an object
/// or an array, as kubectl decides.
pub(crate) fn looks_like_json(text: &str) -> bool {
    matches!(text.trim_start().chars().next(), Some('{' | '['))
}

pub(crate) fn documents(name: &Arc<str>, text: &str) -> Result<Vec<RawDocument>, ManifestError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Strict>();
    let mut documents = Vec::new();
    let mut start = 0;
    loop {
        let value = match stream.next() {
            None => return Ok(documents),
            Some(Ok(Strict(value))) => value,
            Some(Err(err)) => {
                let at = Location {
                    line: err.line(),
                    column: err.column().max(1),
                };
                let message = json_message(&err.to_string());
                return Err(Diagnostic::at(name, at, message).into());
            }
        };
        let end = stream.byte_offset();
        let slice_start = text
            .get(start..end)
            .and_then(|s| s.find(|c: char| !c.is_whitespace()))
            .map_or(start, |i| start + i);
        let slice = text.get(slice_start..end).unwrap_or("");
        let locations = index_documents(slice, Origin::of_offset(text, slice_start))
            .into_iter()
            .next()
            .map(|d| d.locations)
            .unwrap_or_default();
        documents.push(RawDocument { value, locations });
        start = end;
    }
}
