//! What an applied configuration's metadata does besides its labels and
//! annotations: a resourceVersion is a precondition, as in any update
//! (handlers/patch.go), and the fields nobody owns (`stripmeta.go`: name,
//! namespace, uid, creationTimestamp, generation, resourceVersion …) are
//! never in an entry.

use serde_json::json;

use super::{apply, ok};
use crate::support::LocalServer;

#[test]
fn a_resource_version_in_the_applied_config_is_a_precondition_and_nobody_owns_it() {
    let server = LocalServer::start();
    let body = |rv: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: default\n  resourceVersion: \"{rv}\"\n  labels:\n    tier: web\ndata:\n  a: \"1\"\n"
        )
    };
    let created = ok(apply(
        &server,
        "fieldManager=deploy",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: \"0\"\n",
    ));
    let rv = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("")
        .to_string();
    apply(&server, "fieldManager=deploy", &body("1")).expect_status(
        409,
        "Conflict",
        "Operation cannot be fulfilled on configmaps \"app\": the object has been modified; please apply your changes to the latest version and try again",
    );
    let applied = ok(apply(&server, "fieldManager=deploy", &body(&rv)));
    assert_eq!(applied["data"]["a"], "1");
    assert_eq!(
        applied["metadata"]["managedFields"][0]["fieldsV1"],
        json!({"f:data": {"f:a": {}}, "f:metadata": {"f:labels": {"f:tier": {}}}})
    );
}
