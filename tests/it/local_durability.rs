//! Durability of the local control plane: every acknowledged write survives
//! `kill -9` of the server, the revision counter resumes, and a watch from
//! an old revision replays exactly the missed events.

use serde_json::{json, Value};

use crate::local_namespaces::await_object;
use crate::support::LocalServer;

const CM: &str = "/api/v1/namespaces/default/configmaps";

#[test]
fn acknowledged_writes_survive_kill_9() {
    let server = LocalServer::start();
    let mut written: Vec<(String, String)> = Vec::new();
    for i in 0..25 {
        let name = format!("cm-{i}");
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": i.to_string()}});
        let response = server.post_json(CM, &body);
        assert_eq!(response.status, 201, "{}", response.body);
        let rv = response.json()["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        written.push((name, rv));
    }
    let last: u64 = written.last().unwrap().1.parse().unwrap();
    let server = server.restart();
    for (name, rv) in &written {
        let got = server.get(&format!("{CM}/{name}"));
        assert_eq!(got.status, 200, "{name}: {}", got.body);
        assert_eq!(
            got.json()["metadata"]["resourceVersion"],
            json!(rv),
            "{name}"
        );
    }
    // The counter resumes after the last revision.
    let next = server.post_json(
        CM,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "after"}}),
    );
    let next_rv: u64 = next.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(next_rv > last, "{next_rv} after {last}");
}

#[test]
fn a_watch_from_before_the_crash_replays_exactly_the_missed_events() {
    let server = LocalServer::start();
    // The root CA publisher's map first, so only the test's writes follow.
    await_object(&server, CM, "kube-root-ca.crt");
    let first = server
        .post_json(
            CM,
            &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
        )
        .json();
    let seen = first["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut missed = Vec::new();
    for (method, path, body) in [
        (
            "POST",
            CM.to_string(),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"#,
        ),
        ("PATCH", format!("{CM}/a"), r#"{"data":{"x":"1"}}"#),
        ("DELETE", format!("{CM}/b"), ""),
    ] {
        let content_type = match method {
            "PATCH" => Some("application/merge-patch+json"),
            "POST" => Some("application/json"),
            _ => None,
        };
        let response = server.request(method, &path, content_type, body.as_bytes());
        assert!(response.status < 300, "{}", response.body);
        missed.push(response.json());
    }
    let server = server.restart();
    let response = server.get(&format!(
        "{CM}?watch=1&resourceVersion={seen}&timeoutSeconds=1"
    ));
    let events: Vec<Value> = response
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_string(),
                e["object"]["metadata"]["name"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
            .map(|(t, n)| (t.to_string(), n.to_string()))
    );
    assert_eq!(
        events[0]["object"]["metadata"]["resourceVersion"],
        missed[0]["metadata"]["resourceVersion"]
    );
    assert_eq!(events[1]["object"]["data"]["x"], "1");
}
