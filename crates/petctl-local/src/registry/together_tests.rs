//! Writes made together: one commit, each write checked and refused alone
//! (or, when asked, none stored unless all are admitted), each at its own
//! revision in the batch's order.

use super::*;
use crate::registry::write_tests::registry;
use petctl_model::kinds::by_name;
use serde_json::json;

fn config_map(name: &str) -> Intent {
    Intent::Create {
        kind: by_name("configmap").unwrap(),
        namespace: "default".into(),
        body: json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}),
        options: WriteOptions::default(),
    }
}

fn target(name: &str) -> Target {
    Target {
        kind: by_name("configmap").unwrap(),
        namespace: "default".into(),
        name: name.into(),
    }
}

fn replace(registry: &Registry, name: &str, data: Value, stale: bool) -> Intent {
    let mut body = registry.get(&target(name)).unwrap();
    body["data"] = data;
    if stale {
        body["metadata"]["resourceVersion"] = json!("1");
    }
    Intent::Replace {
        target: target(name),
        status: false,
        body,
        options: WriteOptions::default(),
    }
}

fn versions(outcomes: &[Result<Arc<Value>, ApiError>]) -> Vec<String> {
    outcomes
        .iter()
        .map(|o| match o {
            Ok(object) => meta::resource_version(object).to_string(),
            Err(err) => err.reason.to_string(),
        })
        .collect()
}

#[test]
fn writes_made_together_share_one_commit_and_fail_alone() {
    let (_dir, registry) = registry();
    registry.write_together(vec![vec![config_map("a")], vec![config_map("b")]]);
    let commits = registry.store().commits();
    let revision = registry.store().current_revision();
    let outcomes: Vec<_> = registry
        .write_together(vec![
            vec![replace(&registry, "a", json!({"k": "1"}), false)],
            vec![config_map("Not A Name")],
            vec![replace(&registry, "b", json!({"k": "2"}), true)],
            vec![config_map("c")],
        ])
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(
        versions(&outcomes),
        [
            (revision + 1).to_string(),
            "Invalid".into(),
            "Conflict".into(),
            (revision + 2).to_string()
        ]
    );
    assert_eq!(registry.store().commits(), commits + 1, "one commit");
    assert_eq!(registry.get(&target("a")).unwrap()["data"]["k"], "1");
    assert!(registry.get(&target("b")).unwrap().get("data").is_none());
}

#[test]
fn a_group_is_stored_only_when_all_of_it_is_admitted() {
    let (_dir, registry) = registry();
    let revision = registry.store().current_revision();
    let outcomes = registry.write_together(vec![
        vec![config_map("claim"), config_map("Not A Name")],
        vec![config_map("other")],
    ]);
    assert_eq!(versions(&outcomes[0]), ["Invalid", "Invalid"]);
    assert_eq!(
        outcomes[0][0], outcomes[0][1],
        "the refusal that stopped it"
    );
    assert_eq!(versions(&outcomes[1]), [(revision + 1).to_string()]);
    assert!(registry.get(&target("claim")).is_err());
}

#[test]
fn an_update_that_changes_nothing_is_answered_without_a_write() {
    let (_dir, registry) = registry();
    registry.write_together(vec![vec![config_map("a")]]);
    let revision = registry.store().current_revision();
    let same = Intent::Replace {
        target: target("a"),
        status: false,
        body: registry.get(&target("a")).unwrap(),
        options: WriteOptions::default(),
    };
    let outcomes = registry.write_together(vec![vec![same]]).remove(0);
    assert_eq!(versions(&outcomes), [revision.to_string()]);
    assert_eq!(registry.store().current_revision(), revision);
}
