//! Reading `-f` sources: files, directories (sorted; .yaml, .yml and .json)
//! and `-` for stdin, with a size limit checked before anything is parsed.

use std::sync::Arc;

use super::diagnostic::{Diagnostic, ManifestError};

/// The largest manifest file petctl reads. Larger files are refused before
/// they are parsed, so memory stays bounded. The API server itself refuses
/// request bodies over 3 MiB, so no single object can be larger anyway.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// The text of one manifest file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name as the user gave it (joined with the directory for files
    /// found in a directory); `-` for stdin.
    pub name: Arc<str>,
    pub text: String,
}

/// Reads every source in order. Directories are expanded to their manifest
/// files, sorted by name, without descending into subdirectories.
pub fn read_sources(sources: &[String]) -> Result<Vec<SourceFile>, ManifestError> {
    let _ = sources;
    Err(ManifestError::single(Diagnostic::file(
        &Arc::from("-"),
        "not implemented",
    )))
}
