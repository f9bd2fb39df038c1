//! `petctl migrate`: the exact output (stdout) and change notices (stderr)
//! for the example PetSet, in YAML and JSON, to apps/v1 and apps/v1beta1,
//! from a file and from stdin, and for an apps/v1beta1 file. Expected
//! output lives in tests/golden/migrate; run with PETCTL_BLESS=1 to rewrite
//! it, then review the diff.

use std::path::PathBuf;

use crate::support::{petctl, petctl_in, repo_root, scratch, Run, SetManifest};

fn golden_dir() -> PathBuf {
    repo_root().join("tests/golden/migrate")
}

#[track_caller]
fn assert_golden(name: &str, actual: &str) {
    let path = golden_dir().join(name);
    if std::env::var("PETCTL_BLESS").as_deref() == Ok("1") {
        if let Err(err) = std::fs::write(&path, actual) {
            panic!("cannot write {}: {err}", path.display());
        }
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read {}: {err} (run with PETCTL_BLESS=1 to create it)",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "output differs from {}; if the change is intended, rerun with PETCTL_BLESS=1 and review the diff",
        path.display()
    );
}

#[track_caller]
fn assert_run_golden(run: &Run, name: &str) {
    run.expect_success();
    assert_golden(&format!("{name}.stdout"), &run.stdout);
    assert_golden(&format!("{name}.stderr"), &run.stderr);
}

#[test]
fn example_petset_to_apps_v1_yaml() {
    let run = petctl(&["migrate", "-f", "examples/petset.yaml"]);
    assert_run_golden(&run, "petset-apps-v1.yaml");
}

#[test]
fn example_petset_to_apps_v1_json() {
    let run = petctl(&["migrate", "-f", "examples/petset.yaml", "-o", "json"]);
    assert_run_golden(&run, "petset-apps-v1.json");
    let list: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][1]["apiVersion"], "apps/v1");
}

#[test]
fn example_petset_to_apps_v1beta1() {
    let run = petctl(&[
        "migrate",
        "-f",
        "examples/petset.yaml",
        "--to",
        "apps/v1beta1",
    ]);
    assert_run_golden(&run, "petset-apps-v1beta1.yaml");
}

#[test]
fn stdin_gives_the_same_output_as_the_file() {
    let input = std::fs::read(repo_root().join("examples/petset.yaml")).unwrap_or_default();
    let home = scratch();
    let run = petctl_in(home.path(), &["migrate", "-f", "-"], Some(&input));
    assert_run_golden(&run, "petset-apps-v1.yaml");
}

#[test]
fn apps_v1beta1_statefulset_and_its_service_to_apps_v1() {
    let run = petctl(&[
        "migrate",
        "-f",
        "tests/golden/migrate/cockroachdb-v1beta1.yaml",
    ]);
    assert_run_golden(&run, "cockroachdb-apps-v1.yaml");
}

#[test]
fn a_set_without_selector_or_labels_is_refused() {
    // A literal, not a SetManifest: the builder always writes a selector and
    // labels, and the error's location (7:3) is a place in these bytes.
    let input = b"apiVersion: apps/v1alpha1\nkind: PetSet\nmetadata:\n  name: web\nspec:\n  serviceName: nginx\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";
    let home = scratch();
    let run = petctl_in(home.path(), &["migrate", "-f", "-"], Some(input));
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: -:7:3: petset \"web\": spec.template.metadata.labels: the set has no spec.selector and its template has no labels to make one from\n"
    );
}

#[test]
fn apps_v1_cannot_go_down_to_apps_v1beta1() {
    let input = SetManifest::statefulset("web")
        .service_name("nginx")
        .app("nginx")
        .container("nginx", "nginx")
        .yaml();
    let home = scratch();
    let run = petctl_in(
        home.path(),
        &["migrate", "-f", "-", "--to", "apps/v1beta1"],
        Some(input.as_bytes()),
    );
    run.expect_code(2);
    assert_eq!(
        run.stderr,
        "error: -:1:1: statefulset \"web\": apiVersion: cannot convert an apps/v1 StatefulSet down to apps/v1beta1\n"
    );
}
