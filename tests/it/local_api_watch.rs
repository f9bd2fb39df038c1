//! The local control plane's watches over HTTP: resuming from a revision,
//! filters, a compacted revision answered 410 Gone, and bookmarks.

use serde_json::{json, Value};

use crate::local_api::configmap;
use crate::local_namespaces::await_object;
use crate::support::LocalServer;

/// The watch lines of a finished watch (timeoutSeconds bounds it).
fn watch_lines(server: &LocalServer, path: &str) -> Vec<Value> {
    let response = server.get(path);
    assert_eq!(response.status, 200, "{}", response.body);
    response
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn watch_resumes_from_a_revision_and_filters() {
    let server = LocalServer::start();
    let cm = "/api/v1/namespaces/default/configmaps";
    // The root CA publisher's map comes first, so that the watches below
    // see only the test's changes after it.
    await_object(&server, cm, "kube-root-ca.crt");
    let first = server
        .post_json(cm, &configmap("a", json!({"tier": "web"})))
        .json();
    let rv = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    server.post_json(cm, &configmap("b", json!({"tier": "db"})));
    server.merge_patch(
        &format!("{cm}/a"),
        br#"{"metadata":{"labels":{"tier":"db"}}}"#,
    );
    server.request("DELETE", &format!("{cm}/b"), None, b"");
    let all = watch_lines(
        &server,
        &format!("{cm}?watch=1&resourceVersion={rv}&timeoutSeconds=1"),
    );
    let seen: Vec<(String, String)> = all
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["object"]["metadata"]["name"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")];
    assert_eq!(seen, want.map(|(t, n)| (t.to_string(), n.to_string())));
    let web = watch_lines(
        &server,
        &format!("{cm}?watch=1&resourceVersion={rv}&timeoutSeconds=1&labelSelector=tier%3Dweb"),
    );
    let types: Vec<&str> = web.iter().map(|e| e["type"].as_str().unwrap()).collect();
    // a stops matching tier=web: the watcher sees it go.
    assert_eq!(types, ["DELETED"]);
    let current = watch_lines(&server, &format!("{cm}?watch=1&timeoutSeconds=1"));
    let names: Vec<(&str, &str)> = current
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap(),
                e["object"]["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(names, [("ADDED", "a"), ("ADDED", "kube-root-ca.crt")]);
}

#[test]
fn watch_from_a_compacted_revision_is_gone() {
    let server = LocalServer::start_with(&["--event-window", "5"]);
    let cm = "/api/v1/namespaces/default/configmaps";
    for i in 0..20 {
        server.post_json(cm, &configmap(&format!("c{i}"), json!({})));
    }
    let lines = watch_lines(
        &server,
        &format!("{cm}?watch=1&resourceVersion=1&timeoutSeconds=1"),
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["type"], "ERROR");
    assert_eq!(lines[0]["object"]["code"], 410);
    assert_eq!(lines[0]["object"]["reason"], "Expired");
    assert!(lines[0]["object"]["message"]
        .as_str()
        .unwrap()
        .starts_with("too old resource version: 1 ("));
}

#[test]
fn bookmarks_carry_the_current_revision() {
    let server = LocalServer::start_with(&["--bookmark-interval", "200ms"]);
    let lines = watch_lines(
        &server,
        "/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=1",
    );
    let bookmark = lines
        .iter()
        .find(|l| l["type"] == "BOOKMARK")
        .expect("a bookmark");
    assert_eq!(bookmark["object"]["kind"], "ConfigMap");
    assert!(
        bookmark["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}
