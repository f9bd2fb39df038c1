//! The controllers' Event writer under `kill -9`: a Parallel StatefulSet
//! creates its pets in bulk, each with the Events of its claim, volume,
//! binding, scheduling and containers, and the server is SIGKILLed at a
//! seeded moment of that stream and restarted on its state dir. Events
//! still queued may be lost (they are best-effort, as client-go's), but no
//! Event is about an object that never was stored, none is there twice, and
//! the controllers go on.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use petctl::client::watch::Event;
use petctl::kinds::KindInfo;
use petctl::local::store::{ObjectKey, Store};
use serde_json::{json, Value};

use crate::local_patch::{events_until, watch_until};
use crate::support::{LocalServer, Rng, SetManifest};
use crate::timeline::{text, Entry, Resource, Timeline};

const SETS: &str = "/apis/apps/v1/namespaces/default/statefulsets";
const EVENTS: &str = "/api/v1/namespaces/default/events";
const WAIT: Duration = Duration::from_secs(40);
/// Pets added after the restart, whose Events only the restarted
/// controllers can write.
const MORE: i64 = 4;

#[test]
fn sigkill_while_pets_are_created_keeps_no_event_ahead_of_its_object_and_none_twice() {
    let mut rng = Rng::seeded();
    eprintln!("{}", rng.seed);
    let replicas = 60 + rng.below(61) as i64;
    let kill_after = Duration::from_millis(3 + rng.below(1500));
    let mut server = LocalServer::start();
    let timeline = Timeline::start(&server, "default");
    let set = SetManifest::statefulset("web")
        .pod_management_policy("Parallel")
        .replicas(replicas)
        .container("nginx", "nginx:1.25")
        .mount("www", "/data")
        .claim("www")
        .json();
    let created = server.post_json(SETS, &set);
    assert_eq!(created.status, 201, "{}", created.body);
    // The adversary's schedule, not a wait for a condition.
    std::thread::sleep(kill_after);
    server.kill9();
    // The recorder's watches broke with the server: what it has is final.
    let watched = watched_uids(&timeline.entries());
    drop(timeline);

    // The state dir as the kill left it: every Event in it is about an
    // object stored, with that uid, before the Event.
    let store =
        Store::open(&server.state_dir().join("store.redb")).expect("open the store after kill -9");
    let (kept, _) = store.list("", "events", Some("default")).unwrap();
    for event in &kept {
        let stored = store.get(&involved_key(event)).unwrap();
        assert_eq!(
            stored.as_ref().map(|o| text(o, "/metadata/uid")),
            Some(text(event, "/involvedObject/uid")),
            "an Event stored ahead of its object: {event}"
        );
    }
    drop(store);
    eprintln!(
        "{replicas} pets, killed {kill_after:?} after the create: {} pods and {} claims watched, {} Events on disk",
        count_of(&watched, Resource::Pod),
        count_of(&watched, Resource::Claim),
        kept.len()
    );

    let server = server.restart();
    let total = replicas + MORE;
    let patch = json!({"spec": {"replicas": total}}).to_string();
    let scaled = server.merge_patch(&format!("{SETS}/web"), patch.as_bytes());
    assert_eq!(scaled.status, 200, "{}", scaled.body);
    watch_until(
        &server,
        &format!("{SETS}?fieldSelector=metadata.name%3Dweb"),
        &format!("{total} Ready pets after the restart"),
        WAIT,
        |set| set["status"]["readyReplicas"] == total && set["status"]["replicas"] == total,
    );
    let new_pets: Vec<String> = (replicas..total).map(|i| format!("web-{i}")).collect();
    events_until(
        &server,
        EVENTS,
        &format!("the Events of {new_pets:?}"),
        WAIT,
        |events| {
            let events: Vec<&Value> = events.iter().map(|e| &e["object"]).collect();
            new_pets.iter().all(|pet| has_its_events(&events, pet))
        },
    );

    let listed: Vec<Value> = server.get(EVENTS).json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let now = current_uids(&server, &listed);
    for event in &listed {
        let uid = text(event, "/involvedObject/uid");
        assert!(
            now.contains(uid) || watched.contains_key(uid),
            "an Event about an object that never was stored: {event}"
        );
    }
    let names: BTreeSet<&str> = listed.iter().map(|e| text(e, "/metadata/name")).collect();
    assert_eq!(names.len(), listed.len(), "an Event name listed twice");
    let mut occurrences: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for event in listed.iter().filter(|e| of_the_set(e)) {
        let occurrence = (
            text(event, "/reason"),
            text(event, "/involvedObject/uid"),
            text(event, "/message"),
        );
        *occurrences.entry(occurrence).or_default() += 1;
    }
    let twice: Vec<_> = occurrences.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "{} Events written twice, first {:?}",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    eprintln!(
        "after the restart: {} Events listed, {} of the set's pets and claims",
        listed.len(),
        occurrences.len()
    );
}

/// The uids the recorder saw before the kill, each with its collection.
fn watched_uids(entries: &[Entry]) -> BTreeMap<String, Resource> {
    let mut uids = BTreeMap::new();
    for entry in entries {
        let objects = match &entry.event {
            Event::Restarted(objects) => objects.iter().collect(),
            Event::Applied(object) | Event::Deleted(object) => vec![object],
        };
        for object in objects {
            uids.insert(text(object, "/metadata/uid").to_string(), entry.resource);
        }
    }
    uids
}

fn count_of(watched: &BTreeMap<String, Resource>, resource: Resource) -> usize {
    watched.values().filter(|r| **r == resource).count()
}

/// The kind an Event's involvedObject is, by its apiVersion and kind.
fn involved_kind(event: &Value) -> &'static KindInfo {
    let api_version = text(event, "/involvedObject/apiVersion");
    let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
    let kind = text(event, "/involvedObject/kind");
    petctl::kinds::KINDS
        .iter()
        .find(|k| k.kind == kind && k.group == group)
        .unwrap_or_else(|| panic!("an Event about an unknown kind: {event}"))
}

fn involved_key(event: &Value) -> ObjectKey {
    let kind = involved_kind(event);
    ObjectKey::new(
        kind.group,
        kind.plural,
        text(event, "/involvedObject/namespace"),
        text(event, "/involvedObject/name"),
    )
}

/// The uids of every object in the collections `events` are about, as the
/// server has them now.
fn current_uids(server: &LocalServer, events: &[Value]) -> BTreeSet<String> {
    let collections: BTreeSet<String> = events
        .iter()
        .map(|event| {
            let kind = involved_kind(event);
            let api = match kind.group {
                "" => "/api/v1".to_string(),
                group => format!("/apis/{group}/{}", kind.version),
            };
            match text(event, "/involvedObject/namespace") {
                "" => format!("{api}/{}", kind.plural),
                namespace => format!("{api}/namespaces/{namespace}/{}", kind.plural),
            }
        })
        .collect();
    let mut uids = BTreeSet::new();
    for collection in collections {
        let list = server.get(&collection).json();
        for item in list["items"].as_array().into_iter().flatten() {
            uids.insert(text(item, "/metadata/uid").to_string());
        }
    }
    uids
}

/// Whether `event` is about the set, one of its pets or one of their
/// claims: each of those Events is written once for what it says happened.
fn of_the_set(event: &Value) -> bool {
    let name = text(event, "/involvedObject/name");
    match text(event, "/involvedObject/kind") {
        "StatefulSet" => name == "web",
        "Pod" => name.starts_with("web-"),
        "PersistentVolumeClaim" => name.starts_with("www-web-"),
        _ => false,
    }
}

/// Whether `events` hold all that is written for `pet`'s creation: its
/// claim's and pod's SuccessfulCreate on the set, its claim provisioned
/// and bound, its pod scheduled and its container started.
fn has_its_events(events: &[&Value], pet: &str) -> bool {
    let claim = format!("www-{pet}");
    let has = |name: &str, reason: &str| {
        events
            .iter()
            .any(|e| text(e, "/involvedObject/name") == name && text(e, "/reason") == reason)
    };
    let created = |message: String| {
        events.iter().any(|e| {
            text(e, "/involvedObject/name") == "web"
                && text(e, "/reason") == "SuccessfulCreate"
                && text(e, "/message") == message
        })
    };
    created(format!(
        "create Claim {claim} Pod {pet} in StatefulSet web success"
    )) && created(format!("create Pod {pet} in StatefulSet web successful"))
        && ["ProvisioningSucceeded", "Bound"]
            .iter()
            .all(|reason| has(&claim, reason))
        && ["Scheduled", "Pulled", "Created", "Started"]
            .iter()
            .all(|reason| has(pet, reason))
}
