//! The pure checks on a recorded timeline: readiness, creation and deletion
//! order, claim changes, final images, and — in server revision order —
//! the last state of each object, claims deleted while a set still wanted
//! them, and pods run on deleted, missing or Terminating claims.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use petctl::client::watch::Event;
use serde_json::Value;

use super::{Entry, Resource};

/// The string at `pointer` in `object`, or "".
pub fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The ordinal of pod `name` of set `set`.
pub fn ordinal(set: &str, name: &str) -> Option<i64> {
    let rest = name.strip_prefix(set)?.strip_prefix('-')?;
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    rest.parse().ok()
}

/// Ready and not Terminating.
pub fn ready(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp")
        .is_none_or(Value::is_null)
        && pod
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// A deletionTimestamp is set.
pub fn terminating(pod: &Value) -> bool {
    pod.pointer("/metadata/deletionTimestamp")
        .is_some_and(|v| !v.is_null())
}

/// Replays the entries of one resource; `visit` sees the state before and
/// after each entry (by name).
pub fn replay(
    entries: &[Entry],
    resource: Resource,
    mut visit: impl FnMut(&BTreeMap<String, Value>, &BTreeMap<String, Value>, &Entry),
) -> BTreeMap<String, Value> {
    let mut state: BTreeMap<String, Value> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.resource == resource) {
        let before = state.clone();
        match &entry.event {
            Event::Restarted(items) => {
                state = items
                    .iter()
                    .map(|o| (text(o, "/metadata/name").to_string(), o.clone()))
                    .collect();
            }
            Event::Applied(o) => {
                state.insert(text(o, "/metadata/name").to_string(), o.clone());
            }
            Event::Deleted(o) => {
                state.remove(text(o, "/metadata/name"));
            }
        }
        visit(&before, &state, entry);
    }
    state
}

/// The most pets of `set` (ordinals 0..replicas) not Ready at the same time
/// — missing, terminating or unready — after the first list.
pub fn max_not_ready(set: &str, replicas: i64, entries: &[Entry]) -> usize {
    let mut max = 0;
    replay(entries, Resource::Pod, |_, state, _| {
        let down = (0..replicas)
            .filter(|o| !state.get(&format!("{set}-{o}")).is_some_and(ready))
            .count();
        max = max.max(down);
    });
    max
}

/// How many pets of `set` (ordinals 0..replicas) are not Ready at the end.
pub fn not_ready_now(set: &str, replicas: i64, entries: &[Entry]) -> usize {
    let state = replay(entries, Resource::Pod, |_, _, _| {});
    (0..replicas)
        .filter(|o| !state.get(&format!("{set}-{o}")).is_some_and(ready))
        .count()
}

/// The pets of `set` in the order their pods were deleted (marked for
/// deletion, or gone without a mark), one entry per pod uid.
pub fn deletion_order(set: &str, entries: &[Entry]) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    let mut first = true;
    replay(entries, Resource::Pod, |before, after, _| {
        if std::mem::take(&mut first) {
            return;
        }
        let mut note = |pod: &Value| {
            let name = text(pod, "/metadata/name");
            if ordinal(set, name).is_some() && seen.insert(text(pod, "/metadata/uid").to_string()) {
                order.push(name.to_string());
            }
        };
        for pod in after.values().filter(|p| terminating(p)) {
            note(pod);
        }
        for (name, pod) in before {
            let gone = after
                .get(name)
                .is_none_or(|p| text(p, "/metadata/uid") != text(pod, "/metadata/uid"));
            if gone {
                note(pod);
            }
        }
    });
    order
}

/// The pets of `set` in the order their pods were created after the first
/// list, one entry per pod uid.
pub fn creation_order(set: &str, entries: &[Entry]) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut order = Vec::new();
    let mut first = true;
    replay(entries, Resource::Pod, |_, after, _| {
        let initial = std::mem::take(&mut first);
        for pod in after.values() {
            let name = text(pod, "/metadata/name");
            if ordinal(set, name).is_some()
                && seen.insert(text(pod, "/metadata/uid").to_string())
                && !initial
            {
                order.push(name.to_string());
            }
        }
    });
    order
}

/// What changed in the claims between the first list and the end: claims
/// deleted, re-created (new uid) or added. Empty when nothing did.
pub fn claims_changed(entries: &[Entry]) -> Vec<String> {
    let mut initial: Option<BTreeMap<String, Value>> = None;
    let mut changes = Vec::new();
    let last = replay(entries, Resource::Claim, |_, after, entry| {
        if initial.is_none() {
            initial = Some(after.clone());
        } else if let Event::Deleted(claim) = &entry.event {
            changes.push(format!("{} deleted", text(claim, "/metadata/name")));
        }
    });
    let initial = initial.unwrap_or_default();
    for (name, claim) in &initial {
        match last.get(name) {
            Some(now) if text(now, "/metadata/uid") == text(claim, "/metadata/uid") => {}
            Some(_) => changes.push(format!("{name} re-created")),
            None if changes.iter().any(|c| c == &format!("{name} deleted")) => {}
            None => changes.push(format!("{name} gone")),
        }
    }
    for name in last.keys().filter(|n| !initial.contains_key(*n)) {
        changes.push(format!("{name} added"));
    }
    changes
}

/// Whether the claims are the same at the end as at the start.
pub fn claims_unchanged(entries: &[Entry]) -> bool {
    claims_changed(entries).is_empty()
}

/// Each pet of `set` at the end: its pod's images, in container order.
pub fn final_images(set: &str, entries: &[Entry]) -> BTreeMap<String, Vec<String>> {
    replay(entries, Resource::Pod, |_, _, _| {})
        .into_iter()
        .filter(|(name, _)| ordinal(set, name).is_some())
        .map(|(name, pod)| {
            let images = pod
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|c| text(c, "/image").to_string())
                .collect();
            (name, images)
        })
        .collect()
}

/// A resourceVersion as the integer the local control plane makes it.
pub fn revision(object: &Value) -> u64 {
    text(object, "/metadata/resourceVersion")
        .parse()
        .unwrap_or(0)
}

/// One change after the first lists, in server revision order.
pub struct Change<'a> {
    pub revision: u64,
    pub resource: Resource,
    pub object: &'a Value,
    pub deleted: bool,
}

/// The first list of each resource (the state before), and every later
/// change sorted by resourceVersion: the watches of different resources
/// deliver in their own order, the revisions say what happened first. A
/// relist counts as each of its objects applied at its own revision.
pub fn by_revision(entries: &[Entry]) -> (Vec<&Entry>, Vec<Change<'_>>) {
    let mut initial: Vec<&Entry> = Vec::new();
    let mut changes = Vec::new();
    for entry in entries {
        let first = !initial.iter().any(|e| e.resource == entry.resource);
        match &entry.event {
            Event::Restarted(_) if first => initial.push(entry),
            Event::Restarted(items) => changes.extend(items.iter().map(|o| Change {
                revision: revision(o),
                resource: entry.resource,
                object: o,
                deleted: false,
            })),
            Event::Applied(o) | Event::Deleted(o) => changes.push(Change {
                revision: revision(o),
                resource: entry.resource,
                object: o,
                deleted: matches!(entry.event, Event::Deleted(_)),
            }),
        }
    }
    changes.sort_by_key(|c| c.revision);
    (initial, changes)
}

/// The last state of each object of `resource`, by name.
pub fn last_state(entries: &[Entry], resource: Resource) -> BTreeMap<String, Value> {
    let (initial, changes) = by_revision(entries);
    let mut state = BTreeMap::new();
    for entry in initial.into_iter().filter(|e| e.resource == resource) {
        if let Event::Restarted(items) = &entry.event {
            for o in items {
                state.insert(text(o, "/metadata/name").to_string(), o.clone());
            }
        }
    }
    for change in changes.iter().filter(|c| c.resource == resource) {
        let name = text(change.object, "/metadata/name").to_string();
        if change.deleted {
            state.remove(&name);
        } else {
            state.insert(name, change.object.clone());
        }
    }
    state
}

/// The state of every resource, by name, replayed in revision order;
/// `visit` sees the state just before each change.
fn replay_by_revision(
    entries: &[Entry],
    mut visit: impl FnMut(&BTreeMap<(Resource, String), Value>, &Change<'_>),
) {
    let (initial, changes) = by_revision(entries);
    let mut state: BTreeMap<(Resource, String), Value> = BTreeMap::new();
    for entry in initial {
        if let Event::Restarted(items) = &entry.event {
            for o in items {
                state.insert(
                    (entry.resource, text(o, "/metadata/name").into()),
                    o.clone(),
                );
            }
        }
    }
    for change in &changes {
        visit(&state, change);
        let key = (
            change.resource,
            text(change.object, "/metadata/name").to_string(),
        );
        if change.deleted {
            state.remove(&key);
        } else {
            state.insert(key, change.object.clone());
        }
    }
}

pub fn running(pod: &Value) -> bool {
    text(pod, "/status/phase") == "Running"
}

/// The claims `pod` mounts, by name.
pub fn claims_mounted(pod: &Value) -> Vec<&str> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.pointer("/persistentVolumeClaim/claimName")?.as_str())
        .collect()
}

/// Every claim deletion after the first list — the deletionTimestamp being
/// set, or the claim gone without one — as `(revision, claim)`, one per uid.
pub fn claim_deletions(entries: &[Entry]) -> Vec<(u64, Value)> {
    let mut seen = BTreeSet::new();
    let mut deletions = Vec::new();
    replay_by_revision(entries, |_, change| {
        let marked = change.deleted || terminating(change.object);
        if change.resource == Resource::Claim
            && marked
            && seen.insert(text(change.object, "/metadata/uid").to_string())
        {
            deletions.push((change.revision, change.object.clone()));
        }
    });
    deletions
}

/// Claims of `set` (a `resource` with claim template `template`) deleted
/// while the set wanted their ordinal: at the revision of the deletion, the
/// set's replicas were above it. One message per such claim.
pub fn claims_deleted_while_wanted(
    entries: &[Entry],
    resource: Resource,
    set: &str,
    template: &str,
) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut wanted = Vec::new();
    replay_by_revision(entries, |state, change| {
        let claim = text(change.object, "/metadata/name");
        let marked = change.deleted || terminating(change.object);
        if change.resource != Resource::Claim
            || !marked
            || !seen.insert(text(change.object, "/metadata/uid").to_string())
        {
            return;
        }
        let Some(ordinal) = claim
            .strip_prefix(template)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|pet| ordinal(set, pet))
        else {
            return;
        };
        let Some(owner) = state.get(&(resource, set.to_string())) else {
            return;
        };
        let replicas = owner
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        if ordinal < replicas {
            wanted.push(format!(
                "claim {claim} was deleted at revision {} while {set} had {replicas} replicas (since revision {})",
                change.revision,
                revision(owner)
            ));
        }
    });
    wanted
}

/// Pods created or turned Running on a claim that was deleted: the claim
/// of that name, at the pod's revision, is a deleted one still terminating,
/// or (for a Running pod) gone with no new claim in its place.
pub fn pods_on_deleted_claims(entries: &[Entry]) -> Vec<String> {
    let mut deleted_uids = BTreeSet::new();
    let mut deleted_names = BTreeSet::new();
    let mut found = Vec::new();
    replay_by_revision(entries, |state, change| {
        let name = text(change.object, "/metadata/name").to_string();
        if change.resource == Resource::Claim && (change.deleted || terminating(change.object)) {
            deleted_uids.insert(text(change.object, "/metadata/uid").to_string());
            deleted_names.insert(name.clone());
        }
        if change.resource != Resource::Pod || change.deleted {
            return;
        }
        let before = state.get(&(Resource::Pod, name.clone()));
        let created =
            before.is_none_or(|p| text(p, "/metadata/uid") != text(change.object, "/metadata/uid"));
        let started = running(change.object) && !before.is_some_and(running);
        if !created && !started {
            return;
        }
        for claim in claims_mounted(change.object) {
            let now = state.get(&(Resource::Claim, claim.to_string()));
            let on_deleted = now.is_some_and(|c| deleted_uids.contains(text(c, "/metadata/uid")));
            let on_nothing = now.is_none() && started && deleted_names.contains(claim);
            if on_deleted || on_nothing {
                found.push(format!(
                    "pod {name} {} at revision {} on claim {claim}, which was deleted",
                    if started { "ran" } else { "was created" },
                    change.revision
                ));
            }
        }
    });
    found
}

/// The pods that started (first seen Running after recording began) while a
/// claim they mount was missing or Terminating at that revision, as
/// "pod@rev on claim (why)".
pub fn started_on_bad_claims(entries: &[Entry]) -> Vec<String> {
    let (initial, changes) = by_revision(entries);
    let mut claims: BTreeMap<String, Value> = BTreeMap::new();
    let mut started: BTreeMap<String, bool> = BTreeMap::new();
    for entry in initial {
        let Event::Restarted(items) = &entry.event else {
            continue;
        };
        for o in items {
            match entry.resource {
                Resource::Claim => {
                    claims.insert(text(o, "/metadata/name").to_string(), o.clone());
                }
                Resource::Pod => {
                    started.insert(text(o, "/metadata/uid").to_string(), running(o));
                }
                Resource::PetSet | Resource::StatefulSet => {}
            }
        }
    }
    let mut bad = Vec::new();
    for change in &changes {
        let name = text(change.object, "/metadata/name").to_string();
        match (change.resource, change.deleted) {
            (Resource::Claim, true) => {
                claims.remove(&name);
            }
            (Resource::Claim, false) => {
                claims.insert(name, change.object.clone());
            }
            (Resource::Pod, false) if running(change.object) => {
                let uid = text(change.object, "/metadata/uid").to_string();
                if std::mem::replace(started.entry(uid).or_default(), true) {
                    continue;
                }
                for claim in claims_mounted(change.object) {
                    let why = match claims.get(claim) {
                        None => "missing",
                        Some(c) if terminating(c) => "Terminating",
                        Some(_) => continue,
                    };
                    bad.push(format!("{name}@{} on {claim} ({why})", change.revision));
                }
            }
            (Resource::Pod, _) | (Resource::PetSet | Resource::StatefulSet, _) => {}
        }
    }
    bad
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, uid: &str, ready: bool, deleting: bool) -> Value {
        let mut p = json!({"metadata": {"name": name, "uid": uid},
            "spec": {"containers": [{"name": "c", "image": format!("img-{uid}")}]},
            "status": {"conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}});
        if deleting {
            p["metadata"]["deletionTimestamp"] = json!("t");
        }
        p
    }

    fn e(resource: Resource, event: Event) -> Entry {
        Entry {
            at: Duration::ZERO,
            resource,
            event,
        }
    }

    #[test]
    fn helpers_read_a_rollout() {
        use Event::*;
        use Resource::*;
        let claim = json!({"metadata": {"name": "www-web-0", "uid": "c0"}});
        let entries = vec![
            e(
                Pod,
                Restarted(vec![
                    pod("web-0", "a", true, false),
                    pod("web-1", "b", true, false),
                ]),
            ),
            e(Claim, Restarted(vec![claim.clone()])),
            e(Pod, Applied(pod("web-1", "b", true, true))),
            e(Pod, Deleted(pod("web-1", "b", true, true))),
            e(Pod, Applied(pod("web-1", "c", false, false))),
            e(Pod, Applied(pod("web-1", "c", true, false))),
            e(Pod, Deleted(pod("web-0", "a", true, false))),
            e(Pod, Applied(pod("web-0", "d", true, false))),
        ];
        assert_eq!(deletion_order("web", &entries), ["web-1", "web-0"]);
        assert_eq!(creation_order("web", &entries), ["web-1", "web-0"]);
        assert_eq!(max_not_ready("web", 2, &entries), 1);
        assert!(claims_unchanged(&entries));
        assert_eq!(final_images("web", &entries)["web-0"], ["img-d"]);
        let mut more = entries.clone();
        more.push(e(Claim, Deleted(claim)));
        assert_eq!(claims_changed(&more), ["www-web-0 deleted"]);
    }

    fn at(mut object: Value, rv: u64) -> Value {
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        object
    }

    #[test]
    fn revision_order_decides_what_a_deletion_raced() {
        use Event::*;
        use Resource::*;
        let set =
            |replicas: i64| json!({"metadata": {"name": "web"}, "spec": {"replicas": replicas}});
        let claim = |name: &str, uid: &str| json!({"metadata": {"name": name, "uid": uid}});
        let mut pod_on = pod("web-2", "p2", false, false);
        pod_on["spec"]["volumes"] = json!([{"persistentVolumeClaim": {"claimName": "www-web-2"}}]);
        let mut terminating_claim = at(claim("www-web-2", "c2"), 13);
        terminating_claim["metadata"]["deletionTimestamp"] = json!("t");
        // The claim watch delivers its deletion before the set watch
        // delivers the scale-up that happened first.
        let entries = vec![
            e(StatefulSet, Restarted(vec![at(set(1), 10)])),
            e(
                Claim,
                Restarted(vec![
                    at(claim("www-web-1", "c1"), 5),
                    at(claim("www-web-2", "c2"), 6),
                ]),
            ),
            e(Pod, Restarted(vec![])),
            e(Claim, Deleted(at(claim("www-web-1", "c1"), 12))),
            e(Claim, Applied(terminating_claim)),
            e(StatefulSet, Applied(at(set(3), 11))),
            e(Pod, Applied(at(pod_on, 14))),
        ];
        assert_eq!(
            claims_deleted_while_wanted(&entries, StatefulSet, "web", "www"),
            [
                "claim www-web-1 was deleted at revision 12 while web had 3 replicas (since revision 11)",
                "claim www-web-2 was deleted at revision 13 while web had 3 replicas (since revision 11)"
            ]
        );
        assert_eq!(claim_deletions(&entries).len(), 2);
        assert_eq!(
            pods_on_deleted_claims(&entries),
            ["pod web-2 was created at revision 14 on claim www-web-2, which was deleted"]
        );
        // Scaled up only after the deletions: nothing was wanted.
        let mut later = entries[..5].to_vec();
        later.push(e(StatefulSet, Applied(at(set(3), 15))));
        assert!(claims_deleted_while_wanted(&later, StatefulSet, "web", "www").is_empty());
    }
}
