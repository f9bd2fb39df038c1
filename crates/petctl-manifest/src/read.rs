//! Reading `-f` sources: files, directories (sorted; .yaml, .yml and .json)
//! and `-` for stdin, with a size limit checked before anything is parsed.

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;

use super::diagnostic::{Diagnostic, ManifestError};
use super::location::Location;

/// The largest manifest file petctl reads. Larger files are refused before
/// they are parsed, so memory stays bounded. The API server itself refuses
/// request bodies over 3 MiB, so no single object can be larger anyway.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// The extensions read from a directory, as kubectl's `-f DIR`.
const MANIFEST_EXTENSIONS: [&str; 3] = ["json", "yaml", "yml"];

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
    read_sources_from(sources, &mut io::stdin().lock())
}

/// [`read_sources`] with `stdin` standing for `-`. Every source is read even
/// when an earlier one fails, so all problems are reported at once.
pub fn read_sources_from(
    sources: &[String],
    stdin: &mut dyn Read,
) -> Result<Vec<SourceFile>, ManifestError> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut stdin_read = false;
    for source in sources {
        let name: Arc<str> = Arc::from(source.as_str());
        let read = if source == "-" {
            if stdin_read {
                Err(Diagnostic::file(
                    &name,
                    "standard input can be read only once; give \"-f -\" once",
                ))
            } else {
                stdin_read = true;
                read_stream(&name, stdin).map(|f| vec![f])
            }
        } else {
            read_path(&name, Path::new(source))
        };
        match read {
            Ok(read) => files.extend(read),
            Err(diagnostic) => errors.push(diagnostic),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(ManifestError::new(errors))
    }
}

fn read_path(name: &Arc<str>, path: &Path) -> Result<Vec<SourceFile>, Diagnostic> {
    let metadata = fs::metadata(path).map_err(|e| Diagnostic::file(name, io_message(&e)))?;
    if !metadata.is_dir() {
        return read_file(name, path).map(|f| vec![f]);
    }
    let mut entries = Vec::new();
    for entry in fs::read_dir(path).map_err(|e| Diagnostic::file(name, io_message(&e)))? {
        let entry = entry.map_err(|e| Diagnostic::file(name, io_message(&e)))?;
        let entry_path = entry.path();
        let is_manifest = entry_path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e));
        // Symlinks are followed; subdirectories are not entered.
        if is_manifest && entry_path.metadata().is_ok_and(|m| !m.is_dir()) {
            entries.push(entry.file_name());
        }
    }
    if entries.is_empty() {
        return Err(Diagnostic::file(
            name,
            "directory has no .yaml, .yml or .json files",
        ));
    }
    entries.sort();
    let mut files = Vec::new();
    let mut first_error = None;
    for entry in entries {
        let entry_path = path.join(&entry);
        let entry_name: Arc<str> = Arc::from(entry_path.to_string_lossy().as_ref());
        match read_file(&entry_name, &entry_path) {
            Ok(file) => files.push(file),
            Err(d) => {
                first_error.get_or_insert(d);
            }
        }
    }
    match first_error {
        Some(d) => Err(d),
        None => Ok(files),
    }
}

fn read_file(name: &Arc<str>, path: &Path) -> Result<SourceFile, Diagnostic> {
    let file = fs::File::open(path).map_err(|e| Diagnostic::file(name, io_message(&e)))?;
    if let Ok(metadata) = file.metadata() {
        if metadata.is_file() && metadata.len() > MAX_MANIFEST_BYTES {
            return Err(too_large(name, Some(metadata.len())));
        }
    }
    read_stream(name, &mut { file })
}

/// Reads at most one byte over the limit, so even an endless stream is
/// refused with bounded memory.
fn read_stream(name: &Arc<str>, reader: &mut dyn Read) -> Result<SourceFile, Diagnostic> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Diagnostic::file(name, io_message(&e)))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(too_large(name, None));
    }
    decode(name, bytes).map(|text| SourceFile {
        name: name.clone(),
        text,
    })
}

fn too_large(name: &Arc<str>, size: Option<u64>) -> Diagnostic {
    let message = match size {
        Some(size) => {
            format!("file is {size} bytes, over the {MAX_MANIFEST_BYTES}-byte limit for a manifest")
        }
        None => format!("input is over the {MAX_MANIFEST_BYTES}-byte limit for a manifest"),
    };
    Diagnostic::file(name, message)
}

/// The text of a manifest: UTF-8 without NUL bytes, with any byte-order
/// mark dropped.
fn decode(name: &Arc<str>, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Diagnostic::file(
            name,
            "file is UTF-16 text; save it as UTF-8",
        ));
    }
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(Diagnostic::at(
            name,
            location_of(&bytes, nul),
            "NUL byte: this is a binary file, not a YAML or JSON manifest",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = location_of(e.as_bytes(), e.utf8_error().valid_up_to());
        Diagnostic::at(name, at, "invalid UTF-8: a manifest must be UTF-8 text")
    })?;
    if text.trim().is_empty() {
        return Err(Diagnostic::file(name, "file is empty"));
    }
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The 1-based line and column (in characters) of byte `offset`.
fn location_of(bytes: &[u8], offset: usize) -> Location {
    let before = bytes.get(..offset).unwrap_or(bytes);
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or(&[]))
        .chars()
        .count()
        + 1;
    Location { line, column }
}

/// An I/O error as a short lowercase phrase, without the OS error number.
fn io_message(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            let text = match text.find(" (os error") {
                Some(i) => &text[..i],
                None => &text,
            };
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "read error".to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(result: Result<Vec<SourceFile>, ManifestError>) -> Vec<String> {
        match result {
            Ok(files) => files.iter().map(|f| format!("ok {}", f.name)).collect(),
            Err(err) => err.diagnostics.iter().map(ToString::to_string).collect(),
        }
    }

    /// Reads `sources` (relative to `dir`, or `-`); names in the messages
    /// are written with `D` for `dir`.
    fn read(dir: &Path, sources: &[&str], stdin: &[u8]) -> Vec<String> {
        let d = dir.to_string_lossy();
        let sources: Vec<String> = sources
            .iter()
            .map(|s| match *s {
                "-" => "-".to_string(),
                s => format!("{d}/{s}"),
            })
            .collect();
        messages(read_sources_from(&sources, &mut { stdin }))
            .into_iter()
            .map(|m| m.replace(&*d, "D"))
            .collect()
    }

    #[test]
    fn sources_are_read_in_order_and_all_errors_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(dir.join("a.yaml"), "kind: A\n").unwrap();
        fs::create_dir(dir.join("d")).unwrap();
        fs::create_dir(dir.join("d/sub.yaml")).unwrap();
        fs::create_dir(dir.join("empty")).unwrap();
        for f in [
            "d/b.yml",
            "d/a.json",
            "d/c.yaml",
            "d/notes.txt",
            "d/sub.yaml/x.yaml",
        ] {
            fs::write(dir.join(f), "kind: X\n").unwrap();
        }
        fs::write(dir.join("blank.yaml"), "  \n\n").unwrap();
        fs::write(dir.join("nul.yaml"), b"kind: A\nab\0c\n").unwrap();
        fs::write(dir.join("latin1.yaml"), b"kind: A\nname: caf\xe9\n").unwrap();
        fs::write(dir.join("utf16.yaml"), b"\xff\xfek\0").unwrap();
        fs::write(dir.join("bom.yaml"), "\u{feff}kind: A\n").unwrap();

        assert_eq!(
            read(dir, &["a.yaml", "d", "-", "bom.yaml"], b"kind: S\n"),
            [
                "ok D/a.yaml",
                "ok D/d/a.json",
                "ok D/d/b.yml",
                "ok D/d/c.yaml",
                "ok -",
                "ok D/bom.yaml"
            ]
        );
        assert_eq!(
            read(
                dir,
                &[
                    "nope.yaml",
                    "empty",
                    "blank.yaml",
                    "nul.yaml",
                    "latin1.yaml",
                    "utf16.yaml",
                    "-",
                    "-"
                ],
                b""
            ),
            [
                "D/nope.yaml: no such file or directory",
                "D/empty: directory has no .yaml, .yml or .json files",
                "D/blank.yaml: file is empty",
                "D/nul.yaml:2:3: NUL byte: this is a binary file, not a YAML or JSON manifest",
                "D/latin1.yaml:2:10: invalid UTF-8: a manifest must be UTF-8 text",
                "D/utf16.yaml: file is UTF-16 text; save it as UTF-8",
                "-: file is empty",
                "-: standard input can be read only once; give \"-f -\" once",
            ]
        );
    }

    #[test]
    fn a_bom_is_dropped() {
        let name: Arc<str> = Arc::from("x");
        assert_eq!(decode(&name, "\u{feff}a: 1".into()).unwrap(), "a: 1");
    }

    #[test]
    fn size_is_limited_for_files_and_streams() {
        let tmp = tempfile::tempdir().unwrap();
        let big = tmp.path().join("big.yaml");
        let size = MAX_MANIFEST_BYTES + 10;
        fs::File::create(&big).unwrap().set_len(size).unwrap();
        assert_eq!(
            read(tmp.path(), &["big.yaml"], b""),
            [format!(
                "D/big.yaml: file is {size} bytes, over the 4194304-byte limit for a manifest"
            )]
        );
        let endless = io::repeat(b'a');
        let name: Arc<str> = Arc::from("-");
        let err = read_stream(&name, &mut endless.take(u64::MAX)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "-: input is over the 4194304-byte limit for a manifest"
        );
    }
}
