//! The cap on Update entries (`managedfields/internal/capmanagers.go`):
//! past 10 Update managers the oldest are merged into one
//! `ancient-changes` entry of their apiVersion; Apply entries never are.

use serde_json::json;

use super::{apply, config, entries, ok, CM};
use crate::support::LocalServer;

#[test]
fn past_ten_update_managers_the_oldest_merge_into_ancient_changes() {
    let server = LocalServer::start();
    ok(apply(
        &server,
        "fieldManager=deploy",
        &config("  applied: \"1\"\n"),
    ));
    for i in 0..12 {
        ok(server.request(
            "PATCH",
            &format!("{CM}/app?fieldManager=editor-{i:02}"),
            Some("application/merge-patch+json"),
            json!({"data": {format!("k{i:02}"): "v"}})
                .to_string()
                .as_bytes(),
        ));
    }
    let object = ok(server.get(&format!("{CM}/app")));
    let all = entries(&object);
    let updates: Vec<&String> = all.iter().filter(|e| e.ends_with(" Update")).collect();
    assert_eq!(updates.len(), 10, "{all:?}");
    assert!(all.contains(&"deploy Apply".to_string()), "{all:?}");
    assert!(
        all.contains(&"ancient-changes Update".to_string()),
        "{all:?}"
    );
    // Every key is still owned, by exactly one entry; the bucket holds the
    // three oldest editors' keys and is of their apiVersion.
    let list = object["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for i in 0..12 {
        let key = format!("f:k{i:02}");
        let owners = list
            .iter()
            .filter(|e| e["fieldsV1"]["f:data"].get(&key).is_some())
            .count();
        assert_eq!(owners, 1, "{key} in {list:#?}");
    }
    let bucket = list
        .iter()
        .find(|e| e["manager"] == "ancient-changes")
        .expect("the bucket");
    assert_eq!(bucket["apiVersion"], "v1");
    assert_eq!(
        bucket["fieldsV1"]["f:data"].as_object().map(|m| m.len()),
        Some(3),
        "{bucket:#}"
    );
    // The next editor merges one more into it.
    ok(server.request(
        "PATCH",
        &format!("{CM}/app?fieldManager=editor-12"),
        Some("application/merge-patch+json"),
        br#"{"data":{"k12":"v"}}"#,
    ));
    let object = ok(server.get(&format!("{CM}/app")));
    assert_eq!(
        entries(&object)
            .iter()
            .filter(|e| e.ends_with(" Update"))
            .count(),
        10
    );
}
