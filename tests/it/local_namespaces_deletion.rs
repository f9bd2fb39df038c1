//! A namespace's DELETE options and its deletion conditions, as
//! kube-apiserver's namespace storage and the garbage collector and the
//! namespace controller of kube-controller-manager have them: Orphan and
//! Foreground (or `orphanDependents`) add the `orphan` or
//! `foregroundDeletion` metadata finalizer, the collector orphans or
//! deletes the namespace's dependents and removes it, and the namespace goes
//! only once both its spec and its metadata finalizers are empty; the
//! conditions of a namespace whose content is held, then released, on a
//! recorded watch timeline. Over HTTPS and with the real kubectl.

use std::time::Duration;

use serde_json::{json, Value};

use crate::local_namespaces::{await_gone, condition, create_namespace, revision};
use crate::local_patch::{events_until, watch_until};
use crate::support::{kubectl_or_skip, kubectl_with, LocalServer};

const WAIT: Duration = Duration::from_secs(60);
const NAMESPACES: &str = "/api/v1/namespaces";
const DEFAULT_MAPS: &str = "/api/v1/namespaces/default/configmaps";
const MERGE: &str = "application/merge-patch+json";

/// A ConfigMap in `default` owned by `namespace` (a cluster-scoped owner
/// may own objects in any namespace).
fn owned_map(server: &LocalServer, name: &str, namespace: &Value, hold: bool) -> Value {
    let mut map = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": name,
        "ownerReferences": [{"apiVersion": "v1", "kind": "Namespace",
                             "name": namespace["metadata"]["name"],
                             "uid": namespace["metadata"]["uid"],
                             "blockOwnerDeletion": hold}],
    }});
    if hold {
        map["metadata"]["finalizers"] = json!(["example.com/hold"]);
    }
    let created = server.post_json(DEFAULT_MAPS, &map);
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()
}

/// DELETE with a DeleteOptions body; `code` is 202 for
/// `orphanDependents: false` on an object that stays (endpoints/handlers/delete.go).
fn delete_with(server: &LocalServer, name: &str, options: Value, code: u16) -> Value {
    let deleted = server.request(
        "DELETE",
        &format!("{NAMESPACES}/{name}"),
        Some("application/json"),
        options.to_string().as_bytes(),
    );
    assert_eq!(deleted.status, code, "{}", deleted.body);
    let namespace = deleted.json();
    assert_eq!(namespace["kind"], "Namespace");
    assert_eq!(namespace["status"]["phase"], "Terminating");
    assert_eq!(namespace["spec"]["finalizers"], json!(["kubernetes"]));
    namespace
}

/// Drops the finalizers that hold the object at `path`.
fn release(server: &LocalServer, path: &str) {
    let released = server.request(
        "PATCH",
        path,
        Some(MERGE),
        br#"{"metadata":{"finalizers":null}}"#,
    );
    assert_eq!(released.status, 200, "{}", released.body);
}

/// The events of a watch of `path` (which names a revision to replay
/// from) up to the first DELETED.
fn until_deleted(server: &LocalServer, path: &str, what: &str) -> Vec<Value> {
    events_until(server, path, what, WAIT, |events| {
        events.iter().any(|e| e["type"] == "DELETED")
    })
}

#[test]
fn delete_options_set_the_metadata_finalizers_the_collector_then_clears() {
    let server = LocalServer::start();

    // Orphan: the namespace's dependents stay, without the reference.
    let orph = create_namespace(&server, "orph");
    owned_map(&server, "kept", &orph, false);
    let marked = delete_with(&server, "orph", json!({"propagationPolicy": "Orphan"}), 200);
    assert_eq!(marked["metadata"]["finalizers"], json!(["orphan"]));
    let last = await_gone(&server, NAMESPACES, "orph");
    assert_eq!(last["metadata"]["finalizers"], Value::Null, "{last}");
    assert_eq!(last["spec"]["finalizers"], json!([]));
    let kept = server.get(&format!("{DEFAULT_MAPS}/kept"));
    assert_eq!(kept.status, 200, "{}", kept.body);
    assert_eq!(kept.json()["metadata"]["ownerReferences"], Value::Null);

    // Foreground: finalized, the namespace still waits for the dependent
    // that blocks it, and goes after it.
    let fore = create_namespace(&server, "fore");
    let held = owned_map(&server, "held", &fore, true);
    let before = held["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let marked = delete_with(
        &server,
        "fore",
        json!({"propagationPolicy": "Foreground"}),
        200,
    );
    assert_eq!(
        marked["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    let path = format!("{NAMESPACES}?fieldSelector=metadata.name%3Dfore");
    let waiting = watch_until(&server, &path, "fore finalized", WAIT, |ns| {
        ns["spec"]["finalizers"] == json!([])
    });
    assert_eq!(
        waiting["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    let dependent = server.get(&format!("{DEFAULT_MAPS}/held")).json();
    assert!(
        dependent["metadata"]["deletionTimestamp"].is_string(),
        "{dependent}"
    );
    release(&server, &format!("{DEFAULT_MAPS}/held"));
    await_gone(&server, NAMESPACES, "fore");
    let maps = until_deleted(
        &server,
        &format!("{DEFAULT_MAPS}?resourceVersion={before}"),
        "held to go",
    );
    let namespaces = until_deleted(
        &server,
        &format!("{path}&resourceVersion={before}"),
        "fore to go",
    );
    let gone = |events: &[Value]| events.iter().find(|e| e["type"] == "DELETED").map(revision);
    assert!(gone(&maps) < gone(&namespaces), "the dependent went first");

    // The deprecated orphanDependents: false is foreground; no options
    // leave the metadata finalizers alone.
    create_namespace(&server, "legacy");
    let marked = delete_with(&server, "legacy", json!({"orphanDependents": false}), 202);
    assert_eq!(
        marked["metadata"]["finalizers"],
        json!(["foregroundDeletion"])
    );
    await_gone(&server, NAMESPACES, "legacy");
    create_namespace(&server, "plain");
    let plain = server.request("DELETE", &format!("{NAMESPACES}/plain"), None, b"");
    assert_eq!(plain.status, 200, "{}", plain.body);
    assert_eq!(plain.json()["metadata"]["finalizers"], Value::Null);
    await_gone(&server, NAMESPACES, "plain");
}

/// (status, reason, message) of each condition type, in upstream's order.
fn conditions_of(namespace: &Value) -> Vec<(String, String, String)> {
    [
        "NamespaceDeletionDiscoveryFailure",
        "NamespaceDeletionGroupVersionParsingFailure",
        "NamespaceDeletionContentFailure",
        "NamespaceContentRemaining",
        "NamespaceFinalizersRemaining",
    ]
    .iter()
    .map(|kind| {
        let c = condition(namespace, kind);
        let text = |key: &str| c[key].as_str().unwrap_or("").to_string();
        (text("status"), text("reason"), text("message"))
    })
    .collect()
}

fn said(status: &str, reason: &str, message: &str) -> (String, String, String) {
    (status.into(), reason.into(), message.into())
}

#[test]
fn the_conditions_of_held_then_released_content_on_a_timeline() {
    let server = LocalServer::start();
    let shop = create_namespace(&server, "shop");
    let before = shop["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let held = json!({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "held", "finalizers": ["example.com/hold"]}});
    let made = server.post_json(&format!("{NAMESPACES}/shop/configmaps"), &held);
    assert_eq!(made.status, 201, "{}", made.body);
    let path = format!("{NAMESPACES}?fieldSelector=metadata.name%3Dshop");
    server.request("DELETE", &format!("{NAMESPACES}/shop"), None, b"");
    watch_until(&server, &path, "shop to report the held map", WAIT, |ns| {
        condition(ns, "NamespaceFinalizersRemaining")["status"] == "True"
    });
    release(&server, &format!("{NAMESPACES}/shop/configmaps/held"));
    let timeline = until_deleted(
        &server,
        &format!("{path}&resourceVersion={before}"),
        "shop to go",
    );
    let states: Vec<&Value> = timeline.iter().map(|e| &e["object"]).collect();
    let ok = |kind: &str| {
        let (reason, message) = match kind {
            "discovery" => (
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            "parsing" => (
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            "content" => (
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
            "remaining" => ("ContentRemoved", "All content successfully removed"),
            _ => (
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished",
            ),
        };
        said("False", reason, message)
    };
    let holding = vec![
        ok("discovery"),
        ok("parsing"),
        ok("content"),
        said(
            "True",
            "SomeResourcesRemain",
            "Some resources are remaining: configmaps. has 1 resource instances",
        ),
        said(
            "True",
            "SomeFinalizersRemain",
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances",
        ),
    ];
    let emptied = vec![
        ok("discovery"),
        ok("parsing"),
        ok("content"),
        ok("remaining"),
        ok("finalizers"),
    ];
    let first = |want: &dyn Fn(&Value) -> bool| {
        states
            .iter()
            .position(|s| want(s))
            .unwrap_or_else(|| panic!("not on the timeline: {timeline:#?}"))
    };
    let terminating = first(&|s| s["status"]["phase"] == "Terminating");
    let reported = first(&|s| conditions_of(s) == holding);
    let cleared = first(&|s| conditions_of(s) == emptied);
    let finalized = first(&|s| s["spec"]["finalizers"] == json!([]));
    let deleted = timeline
        .iter()
        .position(|e| e["type"] == "DELETED")
        .unwrap();
    assert!(
        terminating < reported && reported < cleared && cleared < finalized && finalized < deleted,
        "{terminating} {reported} {cleared} {finalized} {deleted}: {timeline:#?}"
    );
    assert!(
        states[terminating]["status"]["conditions"].is_null(),
        "Terminating before any condition"
    );
    // A condition's time moves only when its status does.
    let time = |at: usize, kind: &str| condition(states[at], kind)["lastTransitionTime"].clone();
    assert_eq!(
        time(reported, "NamespaceDeletionContentFailure"),
        time(cleared, "NamespaceDeletionContentFailure")
    );
    assert!(time(cleared, "NamespaceContentRemaining").is_string());
}

#[test]
fn kubectl_deletes_namespaces_with_cascade_orphan_and_foreground() {
    let Some(kubectl) =
        kubectl_or_skip("kubectl_deletes_namespaces_with_cascade_orphan_and_foreground")
    else {
        return;
    };
    let server = LocalServer::start();
    let k = |args: &[&str]| kubectl_with(&kubectl, &server, args, None);
    let orph = create_namespace(&server, "orph");
    owned_map(&server, "kept", &orph, false);
    let deleted = k(&["delete", "namespace", "orph", "--cascade=orphan"]);
    deleted.expect_success();
    assert_eq!(deleted.stdout, "namespace \"orph\" deleted\n");
    assert_eq!(server.get(&format!("{NAMESPACES}/orph")).status, 404);
    let refs = k(&[
        "get",
        "cm",
        "kept",
        "-n",
        "default",
        "-o",
        "jsonpath={.metadata.ownerReferences}",
    ]);
    refs.expect_success();
    assert_eq!(refs.stdout, "", "orphaned");

    let fore = create_namespace(&server, "fore");
    owned_map(&server, "held", &fore, true);
    let deleted = k(&[
        "delete",
        "namespace",
        "fore",
        "--cascade=foreground",
        "--wait=false",
    ]);
    deleted.expect_success();
    assert_eq!(deleted.stdout, "namespace \"fore\" deleted\n");
    let path = format!("{NAMESPACES}?fieldSelector=metadata.name%3Dfore");
    watch_until(&server, &path, "fore finalized", WAIT, |ns| {
        ns["spec"]["finalizers"] == json!([])
    });
    let finalizers = k(&["get", "ns", "fore", "-o", "jsonpath={.metadata.finalizers}"]);
    finalizers.expect_success();
    assert_eq!(finalizers.stdout, r#"["foregroundDeletion"]"#);
    k(&[
        "patch",
        "cm",
        "held",
        "-n",
        "default",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .expect_success();
    k(&["wait", "--for=delete", "namespace/fore", "--timeout=60s"]).expect_success();
    let gone = k(&["get", "cm", "held", "-n", "default"]);
    gone.expect_code(1);
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): configmaps \"held\" not found\n"
    );
}
