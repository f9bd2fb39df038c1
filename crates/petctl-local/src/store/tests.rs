use super::*;
use serde_json::json;

fn key(resource: &str, namespace: &str, name: &str) -> ObjectKey {
    let group = if resource == "statefulsets" {
        "apps"
    } else {
        ""
    };
    ObjectKey::new(group, resource, namespace, name)
}

fn object(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}})
}

fn rv(object: &Value) -> &str {
    object["metadata"]["resourceVersion"].as_str().unwrap_or("")
}

/// Each write's resourceVersion, or its error.
fn summary(outcomes: &[Result<Value, StoreError>]) -> Vec<String> {
    outcomes
        .iter()
        .map(|o| match o {
            Ok(object) => rv(object).to_string(),
            Err(e) => e.to_string(),
        })
        .collect()
}

/// The revisions of the logged events after `after`.
fn logged(store: &Store, after: Revision) -> Vec<Revision> {
    let events = store.events_after(after).unwrap();
    events.iter().map(|e| e.revision).collect()
}

fn open(dir: &tempfile::TempDir) -> Arc<Store> {
    Store::open(&dir.path().join("store.redb")).unwrap()
}

#[test]
fn crud_stamps_revisions() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    assert_eq!(store.current_revision(), 0);
    let k = key("pods", "default", "web-0");

    let created = store.create(&k, object("web-0")).unwrap();
    assert_eq!(rv(&created), "1");
    assert!(matches!(
        store.create(&k, object("web-0")),
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(store.get(&k).unwrap(), Some(created.clone()));

    let updated = store.update(&k, object("web-0"), Some(1)).unwrap();
    assert_eq!(rv(&updated), "2");
    assert!(matches!(
        store.update(&k, object("web-0"), Some(1)),
        Err(StoreError::Conflict { current: 2 })
    ));
    assert_eq!(rv(&store.update(&k, object("web-0"), None).unwrap()), "3");

    assert!(matches!(
        store.delete(&k, Some(2)),
        Err(StoreError::Conflict { current: 3 })
    ));
    let deleted = store.delete(&k, Some(3)).unwrap();
    assert_eq!(rv(&deleted), "4");
    assert_eq!(deleted["metadata"]["name"], "web-0");
    assert_eq!(store.get(&k).unwrap(), None);
    assert!(matches!(store.delete(&k, None), Err(StoreError::NotFound)));
    assert!(matches!(
        store.update(&k, object("web-0"), None),
        Err(StoreError::NotFound)
    ));
    // Failed writes use no revision.
    assert_eq!(store.current_revision(), 4);
}

#[test]
fn list_is_a_sorted_range() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for (resource, namespace, name) in [
        ("pods", "b", "web-1"),
        ("pods", "a", "web-1"),
        ("pods", "a", "web-0"),
        ("podsx", "a", "x"),
        ("services", "a", "web"),
        ("statefulsets", "a", "web"),
    ] {
        store
            .create(&key(resource, namespace, name), object(name))
            .unwrap();
    }
    let names = |namespace: Option<&str>| {
        let (objects, revision) = store.list("", "pods", namespace).unwrap();
        assert_eq!(revision, 6);
        objects
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(None), ["web-0", "web-1", "web-1"]);
    assert_eq!(names(Some("a")), ["web-0", "web-1"]);
    assert_eq!(names(Some("c")), Vec::<String>::new());
    assert_eq!(
        store.count_by_resource().unwrap(),
        [
            ("apps/statefulsets".to_string(), 1),
            ("pods".to_string(), 3),
            ("podsx".to_string(), 1),
            ("services".to_string(), 1),
        ]
    );
}

#[test]
fn events_replay_and_compact() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let k = key("pods", "default", "web-0");
    store.create(&k, object("web-0")).unwrap();
    store.update(&k, object("web-0"), None).unwrap();
    store.delete(&k, None).unwrap();

    let events = store.events_after(1).unwrap();
    let summary: Vec<_> = events
        .iter()
        .map(|e| (e.revision, e.event_type, rv(&e.object).to_string()))
        .collect();
    assert_eq!(
        summary,
        [
            (2, EventType::Modified, "2".to_string()),
            (3, EventType::Deleted, "3".to_string())
        ]
    );
    assert!(store.events_after(3).unwrap().is_empty());
    assert!(store.events_after(99).unwrap().is_empty());

    store.compact(1).unwrap();
    assert!(matches!(
        store.events_after(1),
        Err(StoreError::Compacted { oldest: 2 })
    ));
    assert_eq!(store.events_after(2).unwrap().len(), 1);
    // Compacting less than already compacted changes nothing.
    store.compact(10).unwrap();
    assert_eq!(store.events_after(2).unwrap().len(), 1);
}

#[test]
fn writes_compact_past_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        event_window: 5,
        compaction_slack: 3,
        watch_buffer: 16,
    };
    let store = Store::open_with(&dir.path().join("s.redb"), options).unwrap();
    let k = key("pods", "default", "web-0");
    store.create(&k, object("web-0")).unwrap();
    for _ in 0..7 {
        store.update(&k, object("web-0"), None).unwrap();
    }
    // 8 events: within window + slack, nothing compacted yet.
    assert_eq!(store.events_after(0).unwrap().len(), 8);
    store.update(&k, object("web-0"), None).unwrap();
    // The 9th event passes the limit: the newest 5 are kept.
    assert!(matches!(
        store.events_after(3),
        Err(StoreError::Compacted { oldest: 4 })
    ));
    assert_eq!(logged(&store, 4), [5, 6, 7, 8, 9]);
}

#[test]
fn reopening_resumes_revisions_and_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let k = key("pods", "default", "web-0");
    {
        let store = open(&dir);
        store.create(&k, object("web-0")).unwrap();
        store.update(&k, object("web-0"), None).unwrap();
        store.compact(1).unwrap();
    }
    let store = open(&dir);
    assert_eq!(store.current_revision(), 2);
    assert!(matches!(
        store.events_after(0),
        Err(StoreError::Compacted { oldest: 1 })
    ));
    let updated = store.update(&k, object("web-0"), Some(2)).unwrap();
    assert_eq!(rv(&updated), "3");
}

#[test]
fn subscribers_see_commits_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut rx = store.subscribe();
    let k = key("pods", "default", "web-0");
    store.create(&k, object("web-0")).unwrap();
    store.delete(&k, None).unwrap();
    let first = rx.try_recv().unwrap();
    let second = rx.try_recv().unwrap();
    assert_eq!((first.revision, first.event_type), (1, EventType::Added));
    assert_eq!(
        (second.revision, second.event_type),
        (2, EventType::Deleted)
    );
    assert!(rx.try_recv().is_err());
}

#[test]
fn non_objects_are_refused_without_using_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let err = store
        .create(&key("pods", "default", "x"), json!("just a string"))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "store: pods default/x is not a JSON object"
    );
    assert_eq!(store.current_revision(), 0);
    assert!(store.events_after(0).unwrap().is_empty());
}

#[test]
fn a_second_open_of_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _store = open(&dir);
    let err = Store::open(&dir.path().join("store.redb")).unwrap_err();
    assert!(
        err.to_string().contains("already in use"),
        "unexpected error: {err}"
    );
}

#[test]
fn concurrent_writers_get_distinct_increasing_revisions() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut rx = store.subscribe();
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let k = key("pods", "default", &format!("web-{t}"));
                let mut seen = vec![rv(&store.create(&k, object("web")).unwrap()).to_string()];
                for _ in 1..PER_THREAD {
                    let last = seen.last().unwrap().parse().unwrap();
                    // Each write of a thread sees its previous one.
                    let updated = store.update(&k, object("web"), Some(last)).unwrap();
                    seen.push(rv(&updated).to_string());
                }
                seen.iter()
                    .map(|r| r.parse().unwrap())
                    .collect::<Vec<Revision>>()
            })
        })
        .collect();
    let mut all = Vec::new();
    for writer in writers {
        let revisions = writer.join().unwrap();
        assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
        all.extend(revisions);
    }
    all.sort_unstable();
    let total = THREADS * PER_THREAD;
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    assert_eq!(store.current_revision(), total);
    assert!(
        store.commits() <= total,
        "{} commits for {total} writes",
        store.commits()
    );
    let broadcast: Vec<Revision> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|e| e.revision)
        .collect();
    assert_eq!(broadcast, (1..=total).collect::<Vec<_>>());
    assert_eq!(logged(&store, 0), broadcast);
}

#[test]
fn a_refused_write_in_the_middle_of_a_batch_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut rx = store.subscribe();
    let (a, b) = (key("pods", "default", "a"), key("pods", "default", "b"));
    let outcomes = store.commit_together(vec![
        (a.clone(), Op::Create(object("a"))),
        // Sees the create above, at revision 1.
        (a.clone(), Op::Update(object("a"), Some(7))),
        (b.clone(), Op::Create(object("b"))),
        (a.clone(), Op::Create(object("a"))),
        (
            key("pods", "default", "d"),
            Op::Create(json!("not an object")),
        ),
        (a.clone(), Op::Update(object("a"), Some(1))),
        (key("pods", "default", "c"), Op::Delete(None)),
        (b.clone(), Op::Delete(Some(2))),
    ]);
    let summary = summary(&outcomes);
    assert_eq!(
        summary,
        [
            "1",
            "the object has been modified; its resourceVersion is now 1",
            "2",
            "already exists",
            "store: pods default/d is not a JSON object",
            "3",
            "not found",
            "4",
        ]
    );
    assert_eq!(store.commits(), 1);
    assert_eq!(store.current_revision(), 4);
    assert_eq!(rv(&store.get(&a).unwrap().unwrap()), "3");
    assert_eq!(store.get(&b).unwrap(), None);
    let broadcast: Vec<(Revision, EventType, String)> = std::iter::from_fn(|| rx.try_recv().ok())
        .map(|e| (e.revision, e.event_type, e.key.name.clone()))
        .collect();
    let expected = [
        (1, EventType::Added, "a"),
        (2, EventType::Added, "b"),
        (3, EventType::Modified, "a"),
        (4, EventType::Deleted, "b"),
    ]
    .map(|(r, t, n)| (r, t, n.to_string()));
    assert_eq!(broadcast, expected);
    let logged: Vec<(Revision, EventType, String)> = store
        .events_after(0)
        .unwrap()
        .into_iter()
        .map(|e| (e.revision, e.event_type, e.key.name))
        .collect();
    assert_eq!(logged, expected);
    // The deletion's event carries the object's last state at its revision.
    let deleted = store.events_after(3).unwrap().remove(0).object;
    assert_eq!(
        (rv(&deleted), &deleted["metadata"]["name"]),
        ("4", &json!("b"))
    );
}

#[test]
fn a_batch_of_refused_writes_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let outcomes = store.commit_together(vec![
        (key("pods", "default", "a"), Op::Delete(None)),
        (key("pods", "default", "a"), Op::Update(object("a"), None)),
    ]);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Err(StoreError::NotFound))));
    assert_eq!((store.commits(), store.current_revision()), (0, 0));
    // The next write still gets the first revision.
    let created = store
        .create(&key("pods", "default", "a"), object("a"))
        .unwrap();
    assert_eq!((rv(&created), store.commits()), ("1", 1));
}

#[test]
fn creates_queued_together_share_one_commit_and_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    store
        .create(&key("events", "default", "b"), object("b"))
        .unwrap();
    let outcomes: Vec<Result<Value, StoreError>> = store
        .write_together(vec![
            (key("events", "default", "a"), Op::Create(object("a"))),
            (key("events", "default", "b"), Op::Create(object("b"))),
            (key("events", "default", "c"), Op::Create(object("c"))),
        ])
        .into_iter()
        .map(|outcome| outcome.map(Arc::unwrap_or_clone))
        .collect();
    let summary = summary(&outcomes);
    assert_eq!(summary, ["2", "already exists", "3"]);
    assert_eq!((store.commits(), store.current_revision()), (2, 3));
    assert!(store.write_together(Vec::new()).is_empty());
    assert_eq!(store.commits(), 2);
}

/// Writes queued without waiting are invisible (no object, no revision,
/// no event) until someone commits them: a later writer, who commits them
/// with its own in one batch, or their own wait. Their outcomes wait for
/// them meanwhile.
#[test]
fn queued_writes_are_invisible_until_a_commit_and_ride_with_the_next_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut events = store.subscribe();
    let queued = store.enqueue(vec![
        (key("pods", "default", "a"), Op::Create(object("a"))),
        (key("pods", "default", "b"), Op::Create(object("b"))),
    ]);
    assert!(store.get(&key("pods", "default", "a")).unwrap().is_none());
    assert_eq!((store.commits(), store.current_revision()), (0, 0));
    assert!(events.try_recv().is_err());
    // The next writer leads a batch holding the queued writes before its own.
    let c = store
        .create(&key("pods", "default", "c"), object("c"))
        .unwrap();
    assert_eq!(rv(&c), "3");
    assert_eq!((store.commits(), store.current_revision()), (1, 3));
    let outcomes: Vec<Result<Value, StoreError>> = store
        .wait_for(queued)
        .into_iter()
        .map(|outcome| outcome.map(Arc::unwrap_or_clone))
        .collect();
    assert_eq!(summary(&outcomes), ["1", "2"]);
    assert_eq!(store.commits(), 1);
    // Alone, a queued write is committed by its own wait.
    let queued = store.enqueue(vec![(
        key("pods", "default", "a"),
        Op::Update(object("a"), Some(9)),
    )]);
    let outcome = store.wait_for(queued).pop().unwrap();
    assert!(matches!(outcome, Err(StoreError::Conflict { current: 1 })));
    assert_eq!((store.commits(), store.current_revision()), (1, 3));
}

#[test]
fn a_shared_read_is_the_held_version_or_a_fresh_decode() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let mut rx = store.subscribe();
    let k = key("pods", "default", "web-0");
    store.create(&k, object("web-0")).unwrap();
    let held = rx.try_recv().unwrap();
    let shared = store.get_shared(&k).unwrap().unwrap();
    assert!(Arc::ptr_eq(&shared, &held.object), "the event's copy");
    assert_eq!(Some(&*shared), store.get(&k).unwrap().as_ref());

    // A newer version nobody holds is decoded, and equals a plain read.
    store.update(&k, object("web-0"), Some(1)).unwrap();
    drop(rx);
    drop(held);
    drop(shared);
    let fresh = store.get_shared(&k).unwrap().unwrap();
    assert_eq!(rv(&fresh), "2");
    assert_eq!(Some(&*fresh), store.get(&k).unwrap().as_ref());

    // An older version still held is not the current one.
    let mut rx = store.subscribe();
    store.update(&k, object("web-0"), Some(2)).unwrap();
    let third = rx.try_recv().unwrap();
    assert!(!Arc::ptr_eq(&fresh, &third.object));
    let now = store.get_shared(&k).unwrap().unwrap();
    assert!(Arc::ptr_eq(&now, &third.object));
    assert_eq!(rv(&now), "3");

    store.delete(&k, None).unwrap();
    assert!(store.get_shared(&k).unwrap().is_none());
}

#[test]
fn the_revision_survives_a_reopen_without_a_record_per_commit() {
    let dir = tempfile::tempdir().unwrap();
    let k = key("pods", "default", "web-0");
    {
        let store = open(&dir);
        store.create(&k, object("web-0")).unwrap();
        store.update(&k, object("web-0"), None).unwrap();
        store.delete(&k, None).unwrap();
    }
    // The last event's key is the revision.
    let store = open(&dir);
    assert_eq!(store.current_revision(), 3);
    // A compaction that leaves no event records the revision itself.
    store.compact(0).unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.current_revision(), 3);
    let mut revision = 0;
    store
        .scan("", "pods", None, None, &mut |_| Ok(true))
        .map(|r| revision = r)
        .unwrap();
    assert_eq!(revision, 3, "a LIST's revision");
    let created = store.create(&k, object("web-0")).unwrap();
    assert_eq!(rv(&created), "4");
}
