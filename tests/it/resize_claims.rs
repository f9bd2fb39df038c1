//! `petctl resize-claims` against the local control plane, on watch
//! timelines of pods and claims: a 3-pet PetSet and StatefulSet grown
//! online with no pet touched and the set recreated with the bigger
//! template; an offline class whose pets restart one at a time; the
//! refusals before any change; SIGKILL between the orphan delete and the
//! recreate, then a rerun; injected faults; the dry-run plan with retained
//! claims; and `kubectl get pvc` afterwards.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::support::{by_name, create_ready, petctl_at, LocalServer, SetManifest, OBSERVABLE_SIM};
use crate::timeline::{text, Entry, Resource, Timeline};
use petctl::client::watch::Event;

mod faults;
mod refusals;
mod restarts;
mod sigkill;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    PetSet,
    StatefulSet,
}

pub(crate) fn set_path(kind: Kind) -> &'static str {
    match kind {
        Kind::PetSet => "/apis/apps/v1alpha1/namespaces/default/petsets/web",
        Kind::StatefulSet => "/apis/apps/v1/namespaces/default/statefulsets/web",
    }
}

/// The set's manifest: 3 pets, a claim template `www` of `class` (the
/// default class when None), a label, an annotation and (StatefulSet) a
/// RollingUpdate partition to keep.
fn manifest(kind: Kind, class: Option<&str>) -> Value {
    let set = match kind {
        Kind::PetSet => SetManifest::petset("web")
            .pod_annotation("pod.alpha.kubernetes.io/initialized", "\"true\""),
        Kind::StatefulSet => SetManifest::statefulset("web").spec(
            "  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 1\n",
        ),
    };
    let mut set = set
        .label("tier", "db")
        .grace_period(1)
        .container("nginx", "nginx:1")
        .mount("www", "/data")
        .claim("www")
        .json();
    set["metadata"]["annotations"] = json!({"example.com/owner": "team-a"});
    if let Some(class) = class {
        set["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = json!(class);
    }
    set
}

/// Creates a class of the local provisioner.
pub(crate) fn create_class(server: &LocalServer, name: &str, extra: Value) {
    let mut class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                           "metadata": {"name": name}, "provisioner": "petctl.local/hostpath"});
    if let (Some(map), Value::Object(extra)) = (class.as_object_mut(), extra) {
        map.extend(extra);
    }
    let answer = server.post_json("/apis/storage.k8s.io/v1/storageclasses", &class);
    assert_eq!(answer.status, 201, "{}", answer.body);
}

/// A server (`flags` after the observable simulation) holding the 3-pet set
/// `web` of `kind`, every pet Ready and every claim Bound.
pub(crate) fn cluster(kind: Kind, class: Option<(&str, Value)>, flags: &[&str]) -> LocalServer {
    let mut all: Vec<&str> = OBSERVABLE_SIM.to_vec();
    all.extend_from_slice(flags);
    let server = LocalServer::start_with(&all);
    if let Some((name, extra)) = &class {
        create_class(&server, name, extra.clone());
    }
    let set = manifest(kind, class.as_ref().map(|(n, _)| *n));
    // Ready pets mount Bound claims only.
    create_ready(&server, "web.json", &set.to_string());
    server
}

pub(crate) use crate::upgrade::expect;

pub(crate) fn get(server: &LocalServer, path: &str) -> Value {
    server.get(path).json()
}

pub(crate) fn claim(server: &LocalServer, name: &str) -> Value {
    get(
        server,
        &format!("/api/v1/namespaces/default/persistentvolumeclaims/{name}"),
    )
}

/// Pod name -> uid, as the server has them now.
pub(crate) fn pod_uids(server: &LocalServer) -> BTreeMap<String, String> {
    by_name(server, "/api/v1/namespaces/default/pods")
        .into_iter()
        .map(|(name, pod)| (name, text(&pod, "/metadata/uid").to_string()))
        .collect()
}

/// Every pod uid the timeline saw, and whether any pod was deleted.
pub(crate) fn pod_history(entries: &[Entry]) -> (BTreeMap<String, Vec<String>>, Vec<String>) {
    let mut uids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut deleted = Vec::new();
    let mut see = |o: &Value| {
        let seen = uids
            .entry(text(o, "/metadata/name").to_string())
            .or_default();
        let uid = text(o, "/metadata/uid").to_string();
        if !seen.contains(&uid) {
            seen.push(uid);
        }
    };
    for entry in entries.iter().filter(|e| e.resource == Resource::Pod) {
        match &entry.event {
            Event::Restarted(items) => items.iter().for_each(&mut see),
            Event::Applied(o) => see(o),
            Event::Deleted(o) => deleted.push(text(o, "/metadata/name").to_string()),
        }
        if let Event::Applied(o) = &entry.event {
            if o.pointer("/metadata/deletionTimestamp").is_some() {
                deleted.push(text(o, "/metadata/name").to_string());
            }
        }
    }
    (uids, deleted)
}

/// What every completed online resize of `web` to 2Gi shows.
#[track_caller]
pub(crate) fn assert_resized_in_place(
    server: &LocalServer,
    kind: Kind,
    before: &Value,
    uids: &BTreeMap<String, String>,
    entries: &[Entry],
) {
    for ordinal in 0..3 {
        let c = claim(server, &format!("www-web-{ordinal}"));
        assert_eq!(text(&c, "/status/capacity/storage"), "2Gi", "{c}");
        assert_eq!(text(&c, "/spec/resources/requests/storage"), "2Gi");
    }
    let after = get(server, set_path(kind));
    assert_ne!(
        text(&after, "/metadata/uid"),
        text(before, "/metadata/uid"),
        "the set was recreated"
    );
    assert_eq!(
        after["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "2Gi"
    );
    for field in [
        "/metadata/labels",
        "/spec/template",
        "/spec/selector",
        "/spec/replicas",
    ] {
        assert_eq!(after.pointer(field), before.pointer(field), "{field} kept");
    }
    assert_eq!(
        after["metadata"]["annotations"]["example.com/owner"],
        "team-a"
    );
    assert!(
        after["metadata"]["annotations"]
            .get("petctl.io/operation-lease")
            .is_none(),
        "lease released: {after}"
    );
    if kind == Kind::StatefulSet {
        assert_eq!(
            after["spec"]["updateStrategy"],
            before["spec"]["updateStrategy"]
        );
    }
    let claims_deleted = crate::timeline::claim_deletions(entries);
    assert_eq!(claims_deleted, Vec::new(), "no claim deleted");
    let (history, deleted) = pod_history(entries);
    assert_eq!(deleted, Vec::<String>::new(), "no pod deleted");
    for (pet, uid) in uids {
        assert_eq!(history[pet], vec![uid.clone()], "{pet} kept its one pod");
    }
    assert_eq!(&pod_uids(server), uids, "the same pods at the end");
    let new_uid = text(&after, "/metadata/uid");
    for pet in uids.keys() {
        let pod = get(server, &format!("/api/v1/namespaces/default/pods/{pet}"));
        let owner = &pod["metadata"]["ownerReferences"][0];
        assert_eq!(owner["uid"], new_uid, "{pet} adopted: {pod}");
        assert_eq!(owner["controller"], true);
    }
    let saved = server.get("/api/v1/namespaces/default/configmaps/petctl-resize-web");
    assert_eq!(saved.status, 404, "the saved copy is deleted at the end");
}

fn resizes_online_keeping_every_pet(kind: Kind) {
    let server = cluster(kind, None, &["--allow-volume-expansion"]);
    let before = get(&server, set_path(kind));
    let uids = pod_uids(&server);
    let revisions: Vec<String> = (0..3)
        .map(|o| {
            let pod = get(&server, &format!("/api/v1/namespaces/default/pods/web-{o}"));
            text(&pod, "/metadata/labels/controller-revision-hash").to_string()
        })
        .collect();
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--yes"]);
    expect(&run, 0, &server);
    let entries = timeline.stop();
    let display = match kind {
        Kind::PetSet => "petset.apps/web",
        Kind::StatefulSet => "statefulset.apps/web",
    };
    assert_eq!(
        run.stdout,
        format!("{display} claims resized to www=2Gi; resized www-web-0, www-web-1, www-web-2; set recreated with the new templates, its pets adopted; its earlier copy is in {}\n",
            server.dir.path().join(format!("petctl-home/.local/state/petctl/resize/default/{}-web.json",
                if kind == Kind::PetSet { "petset" } else { "statefulset" })).display())
    );
    assert_resized_in_place(&server, kind, &before, &uids, &entries);
    for (o, revision) in revisions.iter().enumerate() {
        let pod = get(&server, &format!("/api/v1/namespaces/default/pods/web-{o}"));
        assert_eq!(
            text(&pod, "/metadata/labels/controller-revision-hash"),
            revision,
            "the revision does not hold the claim templates"
        );
    }
    if kind == Kind::StatefulSet {
        let after = get(&server, set_path(kind));
        assert_eq!(
            after["status"]["updateRevision"], before["status"]["updateRevision"],
            "{after}"
        );
    }
    // A second run finds everything done: nothing is written.
    let again = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--yes"]);
    expect(&again, 0, &server);
    assert!(
        again
            .stdout
            .contains("already at the size www-web-0, www-web-1, www-web-2"),
        "{again}"
    );
    assert!(!again.stdout.contains("recreated"), "{again}");
}

/// Both kinds, each on its own server.
#[test]
fn a_statefulset_and_a_petset_are_resized_online_without_touching_a_pet() {
    for kind in [Kind::StatefulSet, Kind::PetSet] {
        resizes_online_keeping_every_pet(kind);
    }
}
