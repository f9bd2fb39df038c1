//! The local control plane's store from the outside: acknowledged writes
//! survive `kill -9`, revisions resume above them, watches replay exactly
//! what they missed, compaction answers "too old", and parallel writers get
//! unique, gap-free revisions.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread;

use petctl::local::store::{EventType, ObjectKey, Revision, Store, StoreError};
use serde_json::{json, Value};

/// Set in the child process: the database the writer fills.
const WRITER_ENV: &str = "PETCTL_TEST_STORE_WRITER_DB";
/// The writer stops by itself after this many objects if never killed.
const WRITER_LIMIT: usize = 5_000;
/// Acknowledgements the parent waits for before killing the writer.
const ACKS_BEFORE_KILL: usize = 40;

fn pod_key(name: &str) -> ObjectKey {
    ObjectKey {
        group: String::new(),
        resource: "pods".to_string(),
        namespace: "default".to_string(),
        name: name.to_string(),
    }
}

fn pod(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}})
}

fn resource_version(object: &Value) -> &str {
    object["metadata"]["resourceVersion"].as_str().unwrap_or("")
}

/// Not a test on its own: run by `killed_writer_loses_no_acknowledged_write`
/// in a child process, where it writes pods and prints `ACK <name> <rv>`
/// after each write returns.
#[test]
fn store_writer_child() {
    let Some(db) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&db)).expect("open store in writer");
    let stdout = std::io::stdout();
    for i in 0..WRITER_LIMIT {
        let name = format!("pod-{i}");
        let created = store.create(&pod_key(&name), pod(&name)).expect("create");
        let mut out = stdout.lock();
        writeln!(out, "ACK {name} {}", resource_version(&created)).expect("write ack");
        out.flush().expect("flush ack");
    }
}

/// Kills the writer if the test fails before it does.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn killed_writer_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.redb");
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(exe)
        .args([
            "--exact",
            "local_store::store_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WRITER_ENV, &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn writer");
    let mut child = ChildGuard(child);
    let stdout = child.0.stdout.take().expect("writer stdout");
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut lines = BufReader::new(stdout).lines();
    while acked.len() < ACKS_BEFORE_KILL {
        let Some(line) = lines.next() else {
            panic!("the writer stopped after {} acks", acked.len());
        };
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("ACK ") {
            let (name, rv) = rest.split_once(' ').unwrap();
            acked.insert(name.to_string(), rv.to_string());
        }
    }
    // SIGKILL in the middle of the stream of writes.
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    // Acks printed between our last read and the kill also count.
    for line in lines.map_while(Result::ok) {
        if let Some((name, rv)) = line.strip_prefix("ACK ").and_then(|r| r.split_once(' ')) {
            acked.insert(name.to_string(), rv.to_string());
        }
    }
    drop(child);
    assert!(
        acked.len() < WRITER_LIMIT,
        "the writer finished before it was killed"
    );

    let store = Store::open(&db).expect("reopen after kill -9");
    let mut highest: Revision = 0;
    for (name, rv) in &acked {
        let object = store
            .get(&pod_key(name))
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged {name} (rv {rv}) was lost"));
        assert_eq!(resource_version(&object), rv, "{name}");
        highest = highest.max(rv.parse().unwrap());
    }
    assert!(
        store.current_revision() >= highest,
        "revision {} is below the acknowledged {highest}",
        store.current_revision()
    );
    let (listed, _) = store.list("", "pods", Some("default")).unwrap();
    assert!(listed.len() >= acked.len());
    let next = store.create(&pod_key("after"), pod("after")).unwrap();
    let next: Revision = resource_version(&next).parse().unwrap();
    assert!(
        next > highest,
        "revision {next} did not resume above {highest}"
    );
    assert_eq!(next, store.current_revision());
}

#[test]
fn watch_replays_exactly_the_missed_events() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    store.create(&pod_key("web-0"), pod("web-0")).unwrap();
    let (_, seen) = store.list("", "pods", None).unwrap();

    // What a watcher that disconnected at `seen` misses.
    store.create(&pod_key("web-1"), pod("web-1")).unwrap();
    let updated = store
        .update(&pod_key("web-0"), pod("web-0"), Some(1))
        .unwrap();
    store.delete(&pod_key("web-1"), None).unwrap();

    let missed: Vec<(Revision, EventType, String, String)> = store
        .events_after(seen)
        .unwrap()
        .into_iter()
        .map(|e| {
            let rv = resource_version(&e.object).to_string();
            (e.revision, e.event_type, e.key.name, rv)
        })
        .collect();
    assert_eq!(
        missed,
        [
            (2, EventType::Added, "web-1".to_string(), "2".to_string()),
            (3, EventType::Modified, "web-0".to_string(), "3".to_string()),
            (4, EventType::Deleted, "web-1".to_string(), "4".to_string()),
        ]
    );
    assert_eq!(resource_version(&updated), "3");

    // The log survives a restart, so a watch can resume across one.
    drop(store);
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    assert_eq!(store.events_after(seen).unwrap().len(), 3);
    assert!(store.events_after(4).unwrap().is_empty());
}

#[test]
fn compaction_makes_old_revisions_gone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.redb")).unwrap();
    for i in 0..10 {
        let name = format!("web-{i}");
        store.create(&pod_key(&name), pod(&name)).unwrap();
    }
    store.compact(3).unwrap();
    match store.events_after(2) {
        Err(StoreError::Compacted { oldest }) => assert_eq!(oldest, 7),
        other => panic!("expected Compacted, got {other:?}"),
    }
    let kept: Vec<Revision> = store
        .events_after(7)
        .unwrap()
        .iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(kept, [8, 9, 10]);
    // Objects are untouched by compaction.
    assert_eq!(store.list("", "pods", None).unwrap().0.len(), 10);
}

#[test]
fn parallel_writers_get_unique_gap_free_revisions() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<Store> = Store::open(&dir.path().join("store.redb")).unwrap();
    let mut events = store.subscribe();
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|i| {
                        let name = format!("t{t}-{i}");
                        let created = store.create(&pod_key(&name), pod(&name)).unwrap();
                        resource_version(&created).parse::<Revision>().unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut revisions: Vec<Revision> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    revisions.sort_unstable();
    let total = (THREADS * PER_THREAD) as Revision;
    assert_eq!(revisions, (1..=total).collect::<Vec<_>>());
    assert_eq!(store.current_revision(), total);

    // Subscribers saw every commit, in revision order.
    let mut broadcast = Vec::new();
    while let Ok(event) = events.try_recv() {
        broadcast.push(event.revision);
    }
    assert_eq!(broadcast, (1..=total).collect::<Vec<_>>());
    let counts = store.count_by_resource().unwrap();
    assert_eq!(counts, [("pods".to_string(), THREADS * PER_THREAD)]);
}
