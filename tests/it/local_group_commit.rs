//! Group commit under `kill -9`: many concurrent writers create objects
//! while the server is SIGKILLed at seeded random moments, then restarted.
//! Every acknowledged write (a 201) survives with its resourceVersion, no
//! batch is half on disk (the revision counter, the event log and the
//! objects agree), and a watch from the oldest revision replays in order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{mpsc, Arc};
use std::thread;

use petctl::local::store::{EventType, ObjectKey, Revision, Store};
use serde_json::{json, Value};

use crate::support::{runtime, LocalServer, Rng};

const CM: &str = "/api/v1/namespaces/default/configmaps";
const WRITERS: usize = 8;
const ROUNDS: usize = 3;

/// One writer's acknowledged creates: name and resourceVersion.
type Acks = Vec<(String, String)>;

/// Creates ConfigMaps one after another until the server stops answering;
/// sends each acknowledged name on `acked` as it comes.
fn writer(
    server: &LocalServer,
    prefix: String,
    acked: mpsc::Sender<()>,
) -> impl FnOnce() -> Acks + Send + 'static {
    let client = server.client();
    let url = format!("{}{CM}", server.url);
    let token = server.token();
    move || {
        let mut acks = Vec::new();
        runtime().block_on(async {
            for i in 0.. {
                let name = format!("{prefix}-{i}");
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name}, "data": {"i": i.to_string()}});
                let sent = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                // A refused or cut connection: the server is gone.
                let Ok(response) = sent else { break };
                let status = response.status().as_u16();
                let Ok(text) = response.text().await else {
                    break;
                };
                assert_eq!(status, 201, "{name}: {text}");
                let created: Value = serde_json::from_str(&text).unwrap();
                let rv = created["metadata"]["resourceVersion"].as_str().unwrap();
                acks.push((name, rv.to_string()));
                let _ = acked.send(());
            }
        });
        acks
    }
}

#[test]
fn sigkill_during_concurrent_writes_loses_no_acknowledged_write_and_no_batch_is_partial() {
    let mut rng = Rng::seeded();
    eprintln!("{}", rng.seed);
    let mut server = LocalServer::start();
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    for round in 0..ROUNDS {
        let kill_after = 20 + rng.below(200) as usize;
        let (tx, rx) = mpsc::channel();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| thread::spawn(writer(&server, format!("r{round}-w{w}"), tx.clone())))
            .collect();
        drop(tx);
        for n in 0..kill_after {
            rx.recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("round {round}: ack {n} of {kill_after}: {e}"));
        }
        // Evidence that the writes were batched (not asserted: it depends
        // on the machine's timing).
        let status = server.get("/petctl/status").json();
        // The adversary's schedule, not a wait for a condition.
        thread::sleep(rng.millis_below(30));
        server.kill9();
        for writer in writers {
            acked.extend(writer.join().expect("writer"));
        }
        eprintln!(
            "round {round}: killed after {kill_after}+ acks; before it, revision {} in {} commits",
            status["resourceVersion"], status["storeCommits"]
        );
        server = server.restart();
    }

    // Every acknowledged create is there, with its resourceVersion.
    let list = server.get(CM).json();
    let stored: BTreeMap<&str, &str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|cm| {
            let meta = &cm["metadata"];
            (
                meta["name"].as_str().unwrap(),
                meta["resourceVersion"].as_str().unwrap(),
            )
        })
        .collect();
    for (name, rv) in &acked {
        assert_eq!(
            stored.get(name.as_str()),
            Some(&rv.as_str()),
            "acknowledged {name}"
        );
    }

    // A watch from the oldest revision replays every ConfigMap, in order.
    let watch = server.get(&format!("{CM}?watch=1&resourceVersion=1&timeoutSeconds=1"));
    let watched: Vec<(Revision, String)> = watch
        .body
        .lines()
        .map(|line| {
            let event: Value = serde_json::from_str(line).unwrap();
            let meta = &event["object"]["metadata"];
            let rv = meta["resourceVersion"].as_str().unwrap().parse().unwrap();
            (rv, meta["name"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(watched.windows(2).all(|w| w[0].0 < w[1].0), "{watched:?}");
    let replayed: BTreeMap<&str, String> = watched
        .iter()
        .map(|(rv, name)| (name.as_str(), rv.to_string()))
        .collect();
    assert_eq!(replayed.len(), stored.len());
    for (name, rv) in &stored {
        assert_eq!(replayed.get(name).map(String::as_str), Some(*rv), "{name}");
    }

    // The store itself: every revision has its event and the objects are
    // what the log replays to.
    let db = server.state_dir().join("store.redb");
    server.kill9();
    let store = Store::open(&db).expect("open the store after kill -9");
    check_log_matches_objects(&store);
    let logged: Vec<(Revision, String)> = store
        .events_after(1)
        .unwrap()
        .into_iter()
        .filter(|e| e.key.resource == "configmaps" && e.key.namespace == "default")
        .filter(|e| e.revision <= watched.last().map_or(0, |w| w.0))
        .map(|e| (e.revision, e.key.name))
        .collect();
    assert_eq!(logged, watched);
    eprintln!(
        "{} acknowledged writes over {ROUNDS} kills; revision {}",
        acked.len(),
        store.current_revision()
    );
}

/// Revisions 1..=current each have one event stamped with it, and replaying
/// the log gives exactly the stored objects of every resource it names.
fn check_log_matches_objects(store: &Store) {
    assert_eq!(
        store.compacted_revision(),
        0,
        "the test stays within the window"
    );
    let events = store.events_after(0).unwrap();
    let revisions: Vec<Revision> = events.iter().map(|e| e.revision).collect();
    assert_eq!(
        revisions,
        (1..=store.current_revision()).collect::<Vec<_>>()
    );
    let mut replayed: BTreeMap<ObjectKey, Value> = BTreeMap::new();
    let mut resources = BTreeSet::new();
    for event in events {
        resources.insert((event.key.group.clone(), event.key.resource.clone()));
        let rv = event.object["metadata"]["resourceVersion"].as_str();
        assert_eq!(
            rv,
            Some(event.revision.to_string().as_str()),
            "{}",
            event.key
        );
        match event.event_type {
            EventType::Deleted => replayed.remove(&event.key),
            _ => replayed.insert(event.key, Arc::unwrap_or_clone(event.object)),
        };
    }
    let mut stored = BTreeMap::new();
    for (group, resource) in resources {
        for object in store.list(&group, &resource, None).unwrap().0 {
            let meta = &object["metadata"];
            let namespace = meta["namespace"].as_str().unwrap_or("");
            let name = meta["name"].as_str().unwrap();
            stored.insert(ObjectKey::new(&group, &resource, namespace, name), object);
        }
    }
    assert_eq!(stored.len(), replayed.len());
    for (key, object) in &replayed {
        assert_eq!(stored.get(key), Some(object), "{key}");
    }
}
