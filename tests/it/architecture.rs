//! The layers, checked: which crate may depend on which (from `cargo
//! metadata`), where reqwest may be named, that ops never import output, and
//! how long a source file may grow. docs/architecture.md draws the picture.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::repo_root;

/// The host's target triple, so that `cargo metadata` needs only the
/// packages built here (others may not be downloaded).
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// Every crate's normal and build dependencies, transitively, by name.
fn dependency_closures() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(repo_root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON");
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    // Direct edges, dev-dependencies left out: a test may use anything.
    let mut direct: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].as_str() != Some("dev"))
            })
            .map(|d| d["pkg"].as_str().unwrap())
            .collect();
        direct.insert(node["id"].as_str().unwrap(), deps);
    }
    let mut closures = BTreeMap::new();
    for member in meta["workspace_members"].as_array().unwrap() {
        let mut seen = BTreeSet::new();
        let mut todo = vec![member.as_str().unwrap()];
        while let Some(id) = todo.pop() {
            for &dep in &direct[id] {
                if seen.insert(dep) {
                    todo.push(dep);
                }
            }
        }
        closures.insert(
            names[member.as_str().unwrap()].to_string(),
            seen.into_iter().map(|id| names[id].to_string()).collect(),
        );
    }
    closures
}

#[test]
fn crates_depend_only_downwards() {
    let closures = dependency_closures();
    let forbidden: &[(&str, &[&str])] = &[
        (
            "petctl-model",
            &[
                "petctl",
                "petctl-manifest",
                "petctl-client",
                "petctl-local",
                "reqwest",
            ],
        ),
        (
            "petctl-manifest",
            &["petctl", "petctl-client", "petctl-local", "reqwest"],
        ),
        (
            "petctl-client",
            &["petctl", "petctl-manifest", "petctl-local"],
        ),
        ("petctl-local", &["petctl", "petctl-client", "reqwest"]),
    ];
    let mut broken = Vec::new();
    for (krate, never) in forbidden {
        let deps = closures
            .get(*krate)
            .unwrap_or_else(|| panic!("{krate} is not a workspace member"));
        for dep in *never {
            if deps.contains(*dep) {
                broken.push(format!("{krate} depends on {dep}"));
            }
        }
    }
    assert!(broken.is_empty(), "layer rules broken: {broken:#?}");
    assert!(closures["petctl"].contains("petctl-local"));
}

/// The `.rs` files under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The sources of the packages, relative to the repository: src/ and
/// crates/ (tests and benches may use anything their dev-dependencies give).
fn sources() -> Vec<(String, String)> {
    sources_in(&["src", "crates"])
}

/// The Rust files under `dirs` of the repository, with their text, by
/// path relative to the repository.
fn sources_in(dirs: &[&str]) -> Vec<(String, String)> {
    let root = repo_root();
    dirs.iter()
        .flat_map(|dir| rust_files(&root.join(dir)))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let rel = path.strip_prefix(&root).unwrap();
            (rel.to_string_lossy().replace('\\', "/"), text)
        })
        .collect()
}

#[test]
fn reqwest_is_named_only_in_the_client_crate() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| {
            !path.starts_with("crates/petctl-client/") && text.contains("reqwest")
        })
        .map(|(path, _)| path)
        .collect();
    assert!(
        offenders.is_empty(),
        "reqwest outside crates/petctl-client: {offenders:#?}"
    );
}

#[test]
fn ops_never_import_output() {
    // ops/wait.rs still reaches pod facts through crate::output::pod
    // (another change is rewriting it); it is the one file left.
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| path.starts_with("src/ops/") && text.contains("crate::output"))
        .map(|(path, _)| path)
        .collect();
    assert!(offenders.is_empty(), "ops importing output: {offenders:#?}");
}

#[test]
fn only_the_client_crate_sends_raw_requests() {
    // The root package reaches the API through the typed verbs
    // (petctl_client::Api); petctl-local, which has its own `http::Method`,
    // cannot depend on the client at all (crates_depend_only_downwards).
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(path, text)| {
            let flat: String = text.split_whitespace().collect();
            path.starts_with("src/")
                && (text.contains("Method::")
                    || text.contains("send_guarded(")
                    || flat.contains("client.send(")
                    || flat.contains(".send(crate::client"))
        })
        .map(|(path, _)| path)
        .collect();
    assert!(
        offenders.is_empty(),
        "raw client sends outside crates/petctl-client: {offenders:#?}"
    );
}

const MAX_LINES: usize = 600;

/// Files over MAX_LINES that are still to be split, each with the most
/// lines it may have. The list only shrinks: a file split below the limit
/// must leave it, and none may grow.
const TOO_LONG: &[(&str, usize)] = &[];

/// Every Rust file of src/, crates/ and tests/ stays within MAX_LINES.
#[test]
fn source_files_stay_short() {
    let mut problems = Vec::new();
    for (path, text) in sources_in(&["src", "crates", "tests"]) {
        let lines = text.lines().count();
        match TOO_LONG.iter().find(|(p, _)| *p == path) {
            Some((_, allowed)) if lines > *allowed => problems.push(format!(
                "{path}: {lines} lines, grown past its allowance of {allowed}: split it by concept"
            )),
            Some(_) if lines <= MAX_LINES => problems.push(format!(
                "{path}: {lines} lines, now within {MAX_LINES}: take it off TOO_LONG"
            )),
            Some(_) => {}
            None if lines > MAX_LINES => problems.push(format!(
                "{path}: {lines} lines, over {MAX_LINES}: split it by concept"
            )),
            None => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
