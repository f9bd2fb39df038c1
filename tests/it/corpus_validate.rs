//! Every real-world manifest of the corpus validates as written, and only
//! the real problems are flagged: apps/v1 StatefulSets without a selector.
//! (`migrate` accepts those: it validates what it converts them to.)

use petctl::manifest::{self, ValidationMode};

use crate::support::corpus_dir;

/// The files with a real problem, and the diagnostics each must produce.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "statefulset/k8s-e2e-cassandra.yaml",
        &["{f}:5:1: statefulset \"cassandra\": spec.selector: Required value"],
    ),
    (
        "statefulset/k8s-e2e-etcd.yaml",
        &["{f}:7:1: statefulset \"etcd\": spec.selector: Required value"],
    ),
    (
        "statefulset/k8s-e2e-mysql-galera.yaml",
        &["{f}:5:1: statefulset \"mysql\": spec.selector: Required value"],
    ),
];

fn corpus_files() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["petset", "statefulset"] {
        let entries = std::fs::read_dir(corpus_dir().join(dir)).expect("read corpus dir");
        for entry in entries {
            let name = entry.expect("corpus entry").file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                files.push(format!("{dir}/{name}"));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn corpus_files_validate_with_only_the_real_problems_flagged() {
    let files = corpus_files();
    assert!(files.len() >= 40, "corpus looks incomplete: {files:?}");
    let mut failures = Vec::new();
    for name in &files {
        let path = corpus_dir().join(name).to_string_lossy().into_owned();
        let (errors, warnings) =
            match manifest::load(std::slice::from_ref(&path), ValidationMode::Strict) {
                Ok(loaded) => (Vec::new(), loaded.warnings),
                Err(err) => (err.diagnostics, Vec::new()),
            };
        let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
        let want: Vec<String> = EXPECTED
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, lines)| lines.iter().map(|l| l.replace("{f}", &path)).collect())
            .unwrap_or_default();
        if got != want || !warnings.is_empty() {
            failures.push(format!(
                "{name}: want {want:#?}\ngot errors {got:#?}\nwarnings {warnings:#?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
