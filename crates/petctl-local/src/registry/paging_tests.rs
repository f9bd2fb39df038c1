use super::*;
use std::sync::Arc;

use crate::store::{ObjectKey, Store, StoreOptions};
use petctl_model::kinds::by_name;
use serde_json::json;

fn key(name: &str) -> ObjectKey {
    ObjectKey {
        group: String::new(),
        resource: "configmaps".into(),
        namespace: "default".into(),
        name: name.into(),
    }
}

fn object(name: &str, data: &str) -> Value {
    json!({"metadata": {"name": name, "namespace": "default"}, "data": {"v": data}})
}

/// A registry on a store of config maps a, b and c, keeping `window`
/// events, and the continue token after the first page of one.
fn three_config_maps(window: u64) -> (tempfile::TempDir, Arc<Store>, Registry, String) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        event_window: window,
        compaction_slack: 1,
        ..StoreOptions::default()
    };
    let store = Store::open_with(&dir.path().join("s.redb"), options).unwrap();
    let registry = Registry::new(store.clone());
    for name in ["a", "b", "c"] {
        store.create(&key(name), object(name, "old")).unwrap();
    }
    let first = registry
        .list(configmaps(), Some("default"), &all, Some(1), None)
        .unwrap();
    let token = first.next.expect("a continue token");
    (dir, store, registry, token)
}

fn configmaps() -> &'static KindInfo {
    by_name("configmaps").unwrap()
}

fn all(_: &Value) -> bool {
    true
}

#[test]
fn later_pages_show_the_revision_of_the_first() {
    let (_dir, store, registry, token) = three_config_maps(100);
    store.update(&key("b"), object("b", "new"), None).unwrap();
    store.delete(&key("c"), None).unwrap();
    store.create(&key("d"), object("d", "new")).unwrap();
    let rest = registry
        .list(configmaps(), Some("default"), &all, None, Some(&token))
        .unwrap();
    let seen: Vec<(&str, &Value)> = rest
        .items
        .iter()
        .map(|o| (meta::name(o), &o["data"]["v"]))
        .collect();
    assert_eq!(seen, [("b", &json!("old")), ("c", &json!("old"))]);
    assert_eq!(rest.revision, 3);
}

#[test]
fn a_state_older_than_the_log_is_410_not_a_guess() {
    let (_dir, store, registry, _) = three_config_maps(5);
    for n in 0..10 {
        store
            .create(&key(&format!("z{n}")), object("z", ""))
            .unwrap();
    }
    // b's state at the token's revision was written before the log.
    let token = registry
        .list(configmaps(), Some("default"), &all, Some(1), None)
        .unwrap()
        .next
        .unwrap();
    store.update(&key("b"), object("b", "new"), None).unwrap();
    let err = registry
        .list(configmaps(), Some("default"), &all, None, Some(&token))
        .unwrap_err();
    assert_eq!((err.code, err.reason), (410, "Expired"));
}

#[test]
fn a_continue_token_older_than_the_compaction_is_410_with_a_fresh_token() {
    let (_dir, store, registry, token) = three_config_maps(5);
    let cm = configmaps();

    for n in 0..10 {
        store
            .update(&key("a"), object("a", &n.to_string()), None)
            .unwrap();
    }
    let err = registry
        .list(cm, Some("default"), &all, Some(1), Some(&token))
        .unwrap_err();
    assert_eq!((err.code, err.reason), (410, "Expired"));
    let status = err.to_status();
    assert!(status["message"]
        .as_str()
        .unwrap()
        .starts_with("The provided continue parameter is too old to display a consistent list result. You can start"));
    let again = status["metadata"]["continue"]
        .as_str()
        .expect("a fresh token");
    let rest = registry
        .list(cm, Some("default"), &all, None, Some(again))
        .unwrap();
    let names: Vec<&str> = rest.items.iter().map(meta::name).collect();
    assert_eq!(names, ["b", "c"]);
}

fn names(page: &Page) -> Vec<&str> {
    page.items.iter().map(meta::name).collect()
}

#[test]
fn pages_walk_the_keys_from_the_token_and_count_what_follows() {
    let (_dir, store, registry, _) = three_config_maps(100);
    for name in ["d", "e"] {
        store.create(&key(name), object(name, "old")).unwrap();
    }
    let cm = configmaps();
    let first = registry
        .list_page(cm, Some("default"), None, Some(2), None)
        .unwrap();
    assert_eq!((names(&first), first.remaining), (vec!["a", "b"], 3));
    let second = registry
        .list_page(cm, Some("default"), None, Some(2), first.next.as_deref())
        .unwrap();
    assert_eq!((names(&second), second.remaining), (vec!["c", "d"], 1));
    let last = registry
        .list_page(cm, Some("default"), None, Some(2), second.next.as_deref())
        .unwrap();
    assert_eq!((names(&last), last.next.as_deref()), (vec!["e"], None));
    assert_eq!(last.revision, first.revision);
    let everything = registry.list_page(cm, None, None, None, None).unwrap();
    assert_eq!(names(&everything), ["a", "b", "c", "d", "e"]);
}

#[test]
fn a_selector_filters_before_the_limit_counts() {
    let (_dir, store, registry, _) = three_config_maps(100);
    for (name, v) in [("d", "new"), ("e", "old"), ("f", "new")] {
        store.create(&key(name), object(name, v)).unwrap();
    }
    let cm = configmaps();
    let new = |o: &Value| o["data"]["v"] == "new";
    let first = registry
        .list_page(cm, Some("default"), Some(&new), Some(1), None)
        .unwrap();
    // Upstream leaves remainingItemCount out for a selector.
    assert_eq!((names(&first), first.remaining), (vec!["d"], 0));
    let rest = registry
        .list_page(
            cm,
            Some("default"),
            Some(&new),
            Some(1),
            first.next.as_deref(),
        )
        .unwrap();
    assert_eq!((names(&rest), rest.next.as_deref()), (vec!["f"], None));
}

#[test]
fn a_token_from_another_namespace_starts_at_the_range() {
    let (_dir, _store, registry, _) = three_config_maps(100);
    let cm = configmaps();
    for (ns, want) in [("a", vec!["a", "b", "c"]), ("zzz", vec![])] {
        let token = encode_continue(3, None, ns, "b");
        let page = registry
            .list_page(cm, Some("default"), None, None, Some(&token))
            .unwrap();
        assert_eq!(names(&page), want, "{ns}");
    }
}

#[test]
fn continue_tokens_round_trip_and_reject_garbage() {
    let token = encode_continue(42, None, "default", "web-1");
    assert_eq!(
        decode_continue(&token).unwrap(),
        (42, None, "default".into(), "web-1".into())
    );
    let token = encode_continue(42, Some(7), "default", "web-1");
    assert_eq!(
        decode_continue(&token).unwrap(),
        (42, Some(7), "default".into(), "web-1".into())
    );
    let hex = |text: &str| text.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    for bad in ["zz", "abc", "", "3132", &hex("4+x/a/b"), &hex("4+/a/b")] {
        assert_eq!(decode_continue(bad).unwrap_err().code, 400, "{bad}");
    }
}

#[test]
fn remaining_counts_follow_creates_and_deletes_in_and_across_namespaces() {
    let (_dir, store, registry, _) = three_config_maps(100);
    let other = |name: &str| ObjectKey {
        namespace: "other".into(),
        ..key(name)
    };
    for name in ["a", "b"] {
        let mut object = object(name, "old");
        object["metadata"]["namespace"] = json!("other");
        store.create(&other(name), object).unwrap();
    }
    store.delete(&key("b"), None).unwrap();
    let cm = configmaps();
    let page = |namespace, token: Option<&str>| -> Page {
        registry
            .list_page(cm, namespace, None, Some(1), token)
            .unwrap()
    };
    // default: a, c; other: a, b.
    let first = page(Some("default"), None);
    assert_eq!((names(&first), first.remaining), (vec!["a"], 1));
    let all = page(None, None);
    assert_eq!((names(&all), all.remaining), (vec!["a"], 3));
    let second = page(None, all.next.as_deref());
    assert_eq!((names(&second), second.remaining), (vec!["c"], 2));
    let third = page(None, second.next.as_deref());
    assert_eq!((names(&third), third.remaining), (vec!["a"], 1));
    // Written since the first page: the rest as it was then, still counted.
    store.delete(&other("b"), None).unwrap();
    let fourth = page(None, third.next.as_deref());
    assert_eq!((names(&fourth), fourth.next.as_deref()), (vec!["b"], None));
}

/// A writer creates objects while pages are listed: every first page, cut
/// short once full, must count the objects after it as they were at its own
/// revision (initial objects + one per create since), whether the store's
/// counts were at that revision or had moved on (then walked).
#[test]
fn remaining_counts_hold_at_each_pages_revision_under_concurrent_creates() {
    let (_dir, store, registry, _) = three_config_maps(100_000);
    let start = store.current_revision();
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0..300 {
                let name = format!("n{i:04}");
                store.create(&key(&name), object(&name, "new")).unwrap();
            }
        })
    };
    let cm = configmaps();
    let mut pages = 0;
    while !writer.is_finished() || pages == 0 {
        let page: Page = registry
            .list_page(cm, Some("default"), None, Some(2), None)
            .unwrap();
        let at_revision = 3 + (page.revision - start) as usize;
        assert_eq!(page.items.len() + page.remaining, at_revision, "{pages}");
        pages += 1;
    }
    writer.join().unwrap();
    assert!(pages > 1);
}

/// Writes to other resources, or to this one in another namespace, since
/// the first page leave the resource as it was: the next page is read live
/// at the first page's revision; a write to it is rebuilt from the log.
#[test]
fn a_continued_page_after_writes_elsewhere_is_read_live_at_the_first_revision() {
    let (_dir, store, registry, token) = three_config_maps(100);
    let first_revision = decode_continue(&token).unwrap().0;
    let elsewhere = [
        ObjectKey {
            resource: "secrets".into(),
            ..key("s")
        },
        ObjectKey {
            namespace: "other".into(),
            ..key("x")
        },
    ];
    for key in &elsewhere {
        let mut object = object(&key.name, "new");
        object["metadata"]["namespace"] = json!(key.namespace);
        store.create(key, object).unwrap();
    }
    let cm = configmaps();
    let next: Page = registry
        .list_page(cm, Some("default"), None, Some(1), Some(&token))
        .unwrap();
    assert_eq!((names(&next), next.revision), (vec!["b"], first_revision));
    assert_eq!(next.remaining, 1);
    // All namespaces: the write in "other" counts.
    assert!(!registry.unchanged_since(cm, None, first_revision));
    assert!(registry.unchanged_since(cm, Some("default"), first_revision));
    store.update(&key("c"), object("c", "new"), None).unwrap();
    assert!(!registry.unchanged_since(cm, Some("default"), first_revision));
    let last: Page = registry
        .list_page(cm, Some("default"), None, Some(1), next.next.as_deref())
        .unwrap();
    let data = last.items[0]["data"]["v"].as_str().unwrap().to_string();
    assert_eq!((names(&last), data.as_str()), (vec!["c"], "old"));
}
