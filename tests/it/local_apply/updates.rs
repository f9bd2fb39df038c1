//! Update entries as upstream keeps them: past 10 Update managers the
//! oldest are merged into one `ancient-changes` entry of their apiVersion,
//! Apply entries never (`managedfields/internal/capmanagers.go`);
//! managedFields sent with an update replace the stored ones, `[]` and
//! `[{}]` reset them, and ones that do not decode are ignored
//! (`decodeLiveOrNew` in `fieldmanager.go`).

use serde_json::json;

use super::{apply, config, entries, ok, CM};

fn merge_patch(server: &LocalServer, manager: &str, body: serde_json::Value) -> serde_json::Value {
    ok(server.request(
        "PATCH",
        &format!("{CM}/app?fieldManager={manager}"),
        Some("application/merge-patch+json"),
        body.to_string().as_bytes(),
    ))
}
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
    merge_patch(&server, "editor-12", json!({"data": {"k12": "v"}}));
    let object = ok(server.get(&format!("{CM}/app")));
    assert_eq!(
        entries(&object)
            .iter()
            .filter(|e| e.ends_with(" Update"))
            .count(),
        10
    );
}

#[test]
fn sent_managed_fields_reset_with_an_empty_entry_and_bad_ones_are_ignored() {
    let server = LocalServer::start();
    ok(apply(
        &server,
        "fieldManager=deploy",
        &config("  a: \"1\"\n"),
    ));
    // Entries that do not decode leave the stored ones as they are.
    let patched = merge_patch(
        &server,
        "editor",
        json!({"metadata": {"managedFields": [{"manager": "x", "operation": "Bogus"}]}, "data": {"b": "2"}}),
    );
    assert_eq!(entries(&patched), ["deploy Apply", "editor Update"]);
    // One empty entry resets them: nothing is tracked until the next apply.
    let reset = merge_patch(
        &server,
        "editor",
        json!({"metadata": {"managedFields": [{}]}, "data": {"c": "3"}}),
    );
    assert_eq!(reset["metadata"].get("managedFields"), None, "{reset:#}");
    assert_eq!(reset["data"], json!({"a": "1", "b": "2", "c": "3"}));
    let untracked = merge_patch(&server, "editor", json!({"data": {"d": "4"}}));
    assert_eq!(
        untracked["metadata"].get("managedFields"),
        None,
        "{untracked:#}"
    );
    // Entries sent as they are replace the stored ones.
    let applied = ok(apply(
        &server,
        "fieldManager=deploy",
        &config("  a: \"1\"\n"),
    ));
    let mut edited = applied.clone();
    edited["metadata"]["managedFields"] = json!([{
        "manager": "import", "operation": "Update", "apiVersion": "v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}}}
    }]);
    let replaced = ok(server.request(
        "PUT",
        &format!("{CM}/app?fieldManager=editor"),
        Some("application/json"),
        edited.to_string().as_bytes(),
    ));
    assert_eq!(entries(&replaced), ["import Update"], "{replaced:#}");
}
