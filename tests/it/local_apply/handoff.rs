//! Moving between client-side and server-side `kubectl apply`, both ways
//! (`managedfields/internal/lastappliedmanager.go`, `lastappliedupdater.go`):
//! a server-side apply by `kubectl` takes over, without a conflict, the
//! fields its user last applied client-side and the object still has as
//! applied, and keeps `kubectl.kubernetes.io/last-applied-configuration`
//! in step, so that a client-side apply after it prunes what it should.

use serde_json::{json, Value};

use super::{entries, Kubectl};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn config_map(data: &[(&str, &str)]) -> String {
    let mut yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n".to_string();
    for (key, value) in data {
        yaml.push_str(&format!("  {key}: \"{value}\"\n"));
    }
    yaml
}

fn kubectl(test: &str) -> Option<Kubectl> {
    Kubectl::start(test, &[])
}

impl Kubectl {
    fn config_map(&self) -> Value {
        let run = self.run(
            &[
                "get",
                "configmap",
                "app",
                "-o",
                "json",
                "--show-managed-fields",
            ],
            None,
        );
        run.expect_success();
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
    }

    /// The annotation's configuration, parsed.
    #[track_caller]
    fn last_applied(&self) -> Value {
        let object = self.config_map();
        let text = object["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .unwrap_or_else(|| panic!("no {LAST_APPLIED} in {object:#}"));
        assert!(text.ends_with('\n'), "{text:?}");
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    }
}

#[test]
fn server_side_apply_takes_over_what_was_last_applied_client_side() {
    let Some(kubectl) = kubectl("server_side_apply_takes_over_what_was_last_applied_client_side")
    else {
        return;
    };
    let first = kubectl.run(
        &["apply", "-f", "-"],
        Some(&config_map(&[("a", "1"), ("b", "2")])),
    );
    first.expect_success();
    assert_eq!(first.stdout, "configmap/app created\n");
    assert_eq!(
        entries(&kubectl.config_map()),
        ["kubectl-client-side-apply Update"]
    );
    // Someone else changes b: it is no longer as last applied.
    kubectl
        .run(
            &[
                "patch",
                "configmap",
                "app",
                "--type=merge",
                "-p",
                r#"{"data":{"b":"5"}}"#,
                "--field-manager=editor",
            ],
            None,
        )
        .expect_success();
    // Changing both conflicts on b alone: a is still as last applied.
    let conflict = kubectl.run(
        &["apply", "--server-side", "-f", "-"],
        Some(&config_map(&[("a", "9"), ("b", "7")])),
    );
    conflict.expect_code(1);
    assert!(
        conflict
            .stderr
            .contains("Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.b"),
        "{}",
        conflict.stderr
    );
    // Agreeing on b, a is taken over without --force-conflicts.
    let run = kubectl.run(
        &["apply", "--server-side", "-f", "-"],
        Some(&config_map(&[("a", "9"), ("b", "5")])),
    );
    run.expect_success();
    assert_eq!(run.stdout, "configmap/app serverside-applied\n");
    let object = kubectl.config_map();
    assert_eq!(object["data"], json!({"a": "9", "b": "5"}));
    // kubectl then folds the client-side entry into its own and keeps the
    // annotation under kubectl-last-applied (its csaupgrade).
    assert_eq!(
        entries(&object),
        [
            "editor Update",
            "kubectl Apply",
            "kubectl-last-applied Apply"
        ],
        "{object:#}"
    );
    assert_eq!(kubectl.last_applied()["data"], json!({"a": "9", "b": "5"}));
}

#[test]
fn client_side_apply_after_server_side_apply_prunes_by_the_kept_annotation() {
    let Some(kubectl) =
        kubectl("client_side_apply_after_server_side_apply_prunes_by_the_kept_annotation")
    else {
        return;
    };
    kubectl
        .run(&["apply", "-f", "-"], Some(&config_map(&[("a", "1")])))
        .expect_success();
    kubectl
        .run(
            &["apply", "--server-side", "-f", "-"],
            Some(&config_map(&[("a", "1"), ("c", "3")])),
        )
        .expect_success();
    let applied = kubectl.last_applied();
    assert_eq!(applied["data"], json!({"a": "1", "c": "3"}));
    assert_eq!(applied["kind"], "ConfigMap");
    assert_eq!(applied["metadata"].get("annotations"), None, "{applied:#}");
    // Back to client-side apply: c, in the annotation and not in the file, goes.
    let back = kubectl.run(&["apply", "-f", "-"], Some(&config_map(&[("a", "1")])));
    back.expect_success();
    assert_eq!(back.stdout, "configmap/app configured\n");
    assert_eq!(kubectl.config_map()["data"], json!({"a": "1"}));
    assert_eq!(kubectl.last_applied()["data"], json!({"a": "1"}));
    // And once more server-side, from the file's state.
    kubectl
        .run(
            &["apply", "--server-side", "-f", "-"],
            Some(&config_map(&[("a", "2")])),
        )
        .expect_success();
    assert_eq!(kubectl.config_map()["data"], json!({"a": "2"}));
    assert_eq!(kubectl.last_applied()["data"], json!({"a": "2"}));
}
