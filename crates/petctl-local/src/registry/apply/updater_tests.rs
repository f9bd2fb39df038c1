//! The ownership rules of apply and update, by example.

use serde_json::{json, Value};

use super::managed::{Managed, Manager, Operation};
use super::updater::Updater;
use crate::registry::error::ApiError;
use crate::registry::strategy::Part;

const NOW: &str = "2026-12-02T10:00:00Z";

fn applier(name: &str) -> Manager {
    Manager {
        name: name.into(),
        operation: Operation::Apply,
        subresource: String::new(),
        api_version: "apps/v1".into(),
    }
}

fn updater() -> Updater {
    Updater::new("StatefulSet", true, Part::Main)
}

/// A manager applying through one updater, at NOW.
struct Applier {
    updater: Updater,
    manager: Manager,
}

impl Applier {
    fn new(updater: Updater, manager: &str) -> Applier {
        let manager = applier(manager);
        Applier { updater, manager }
    }

    fn apply(&self, live: &Value, config: &Value, managed: &mut Managed, force: bool) -> Value {
        let me = &self.manager;
        self.updater
            .apply(live, config, managed, me, force, NOW)
            .unwrap()
    }

    /// An unforced apply that must be refused as a 409 conflict; `managed`
    /// is left as it was.
    fn conflict(&self, live: &Value, config: &Value, managed: &Managed) -> ApiError {
        let mut scratch = managed.clone();
        let me = &self.manager;
        let err = self
            .updater
            .apply(live, config, &mut scratch, me, false, NOW)
            .unwrap_err();
        assert_eq!(err.code, 409);
        err
    }
}

/// `manager`'s apply of `config` to `live`, unforced, at NOW.
fn apply_as(live: &Value, config: &Value, managed: &mut Managed, manager: &str) -> Value {
    Applier::new(updater(), manager).apply(live, config, managed, false)
}

fn config(replicas: i64, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web"},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "nginx", "image": image}]}}}
    })
}

fn fields(managed: &Managed, manager: &Manager) -> Value {
    managed
        .get(manager)
        .map(|e| e.fields.to_fields_v1())
        .unwrap_or(Value::Null)
}

#[test]
fn an_applier_owns_exactly_what_it_applied() {
    let mut managed = Managed::default();
    let live = apply_as(&json!({}), &config(3, "nginx:1"), &mut managed, "kubectl");
    assert_eq!(live["spec"]["replicas"], 3);
    assert_eq!(
        fields(&managed, &applier("kubectl")),
        json!({"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
            "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}
        }}}}})
    );
    assert_eq!(managed.entries[0].time.as_deref(), Some(NOW));
}

#[test]
fn a_second_applier_conflicts_unless_forced_then_owns_the_field() {
    let mut managed = Managed::default();
    let live = apply_as(&json!({}), &config(3, "nginx:1"), &mut managed, "kubectl");
    let ops = Applier::new(updater(), "ops");
    let err = ops.conflict(&live, &config(5, "nginx:1"), &managed);
    assert_eq!(
        err.message,
        "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"
    );
    // The same value is no conflict: both own it.
    let mut shared = managed.clone();
    apply_as(&live, &config(3, "nginx:1"), &mut shared, "ops");
    assert_eq!(
        fields(&shared, &applier("ops")),
        fields(&shared, &applier("kubectl"))
    );
    let forced = ops.apply(&live, &config(5, "nginx:1"), &mut managed, true);
    assert_eq!(forced["spec"]["replicas"], 5);
    let kubectl = fields(&managed, &applier("kubectl"));
    assert_eq!(kubectl["f:spec"].get("f:replicas"), None);
    assert_eq!(
        fields(&managed, &applier("ops"))["f:spec"]["f:replicas"],
        json!({})
    );
}

#[test]
fn a_field_the_applier_stops_applying_goes_unless_another_manager_owns_it() {
    let updater = updater();
    let mut managed = Managed::default();
    let mut with_paused = config(3, "nginx:1");
    with_paused["spec"]["minReadySeconds"] = json!(5);
    with_paused["metadata"]["labels"] = json!({"team": "a"});
    let live = apply_as(&json!({}), &with_paused, &mut managed, "kubectl");
    // Another manager changes the label: it owns it from then on.
    let mut edited = live.clone();
    edited["metadata"]["labels"]["team"] = json!("b");
    let edit = Manager {
        name: "kubectl-edit".into(),
        operation: Operation::Update,
        ..applier("")
    };
    updater
        .update(&live, &edited, &mut managed, &edit, NOW)
        .unwrap();
    assert_eq!(
        fields(&managed, &edit),
        json!({"f:metadata": {"f:labels": {"f:team": {}}}})
    );
    let live = apply_as(&edited, &config(3, "nginx:1"), &mut managed, "kubectl");
    assert_eq!(live["spec"].get("minReadySeconds"), None);
    assert_eq!(live["metadata"]["labels"], json!({"team": "b"}));
}

#[test]
fn the_first_apply_to_an_untracked_object_records_what_was_there() {
    let mut managed = Managed::default();
    let live =
        json!({"metadata": {"name": "web", "uid": "u"}, "spec": {"replicas": 1, "paused": true}});
    let out = apply_as(&live, &config(1, "nginx:1"), &mut managed, "kubectl");
    assert_eq!(out["spec"]["paused"], true);
    let before = Manager {
        name: "before-first-apply".into(),
        operation: Operation::Update,
        ..applier("kubectl")
    };
    assert_eq!(
        fields(&managed, &before),
        json!({"f:spec": {"f:paused": {}, "f:replicas": {}}})
    );
}

#[test]
fn status_and_server_owned_metadata_are_nobody_s_on_the_main_resource() {
    let mut managed = Managed::default();
    let mut applied = config(1, "nginx:1");
    applied["status"] = json!({"replicas": 9});
    applied["metadata"]["uid"] = json!("x");
    let out = apply_as(&json!({}), &applied, &mut managed, "kubectl");
    assert_eq!(out.get("status"), None);
    let owned = fields(&managed, &applier("kubectl"));
    assert_eq!(owned.get("f:status"), None);
    assert_eq!(owned.get("f:metadata"), None);
    assert_eq!(owned.get("f:apiVersion"), None);
}

#[test]
fn a_no_op_apply_keeps_its_time() {
    let updater = updater();
    let mut managed = Managed::default();
    let live = updater
        .apply(
            &json!({}),
            &config(1, "nginx:1"),
            &mut managed,
            &applier("kubectl"),
            false,
            "T1",
        )
        .unwrap();
    updater
        .apply(
            &live,
            &config(1, "nginx:1"),
            &mut managed,
            &applier("kubectl"),
            false,
            "T2",
        )
        .unwrap();
    assert_eq!(managed.entries[0].time.as_deref(), Some("T1"));
}

#[test]
fn conflicts_on_allowed_fields_are_taken_as_if_forced_others_still_conflict() {
    let mut managed = Managed::default();
    let live = apply_as(
        &json!({}),
        &config(3, "nginx:1"),
        &mut managed,
        "kubectl-client-side-apply",
    );
    let mut replicas = super::fieldset::FieldSet::default();
    replicas.insert(&["f:spec".to_string(), "f:replicas".to_string()]);
    // Allowed replicas, but the image conflicts too: only the image is named.
    let kubectl = Applier::new(updater().allowing(replicas), "kubectl");
    let err = kubectl.conflict(&live, &config(5, "nginx:2"), &managed);
    assert!(
        err.message.contains("Apply failed with 1 conflict"),
        "{}",
        err.message
    );
    assert!(err.message.ends_with(".image"), "{}", err.message);
    // Replicas alone: taken over.
    let merged = kubectl.apply(&live, &config(5, "nginx:1"), &mut managed, false);
    assert_eq!(merged["spec"]["replicas"], 5);
    assert_eq!(
        fields(&managed, &applier("kubectl-client-side-apply"))["f:spec"].get("f:replicas"),
        None
    );
}
