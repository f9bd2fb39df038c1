//! An informer-style cache: the objects of the kinds a controller watches,
//! kept current from the store's events, never older than what it holds.
//! Objects are held behind `Arc`, replaced whole on update, so a sync can
//! keep the ones it works on without copying them; indexes by controller
//! owner and by node (with the (namespace, name) order for namespaces;
//! each entry holds the object, so a walk reads no other map)
//! let a sync find a set's pods without scanning every object.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use crate::registry::{meta, Registry};
use crate::store::{EventType, ObjectKey, StoreEvent};
use petctl_model::kinds::{self, KindInfo};

/// One object a controller works on: its kind (`Pod`, `StatefulSet`, …),
/// namespace ("" for cluster-scoped kinds) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(kind: &'static str, namespace: &str, name: &str) -> Self {
        Key {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The key of a stored object of `kind`.
    pub fn of(kind: &'static str, object: &Value) -> Self {
        Key::new(kind, meta::namespace(object), meta::name(object))
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self.kind.to_ascii_lowercase();
        if self.namespace.is_empty() {
            write!(f, "{kind} {}", self.name)
        } else {
            write!(f, "{kind} {}/{}", self.namespace, self.name)
        }
    }
}

/// The kind of a store key, if it is one the kinds table knows.
pub fn kind_of(key: &ObjectKey) -> Option<&'static KindInfo> {
    kinds::KINDS
        .iter()
        .find(|k| k.group == key.group && k.plural == key.resource)
}

fn revision(object: &Value) -> u64 {
    meta::resource_version(object).parse().unwrap_or(0)
}

/// The uid of what an object belongs to: its controller ownerReference's,
/// or for a PersistentVolume its claimRef's (the claim it is bound to).
fn holder_uid(object: &Value) -> &str {
    controller_uid(object).unwrap_or_else(|| meta::str_at(object, "/spec/claimRef/uid"))
}

/// The claims a pod's volumes name.
fn claims_used(object: &Value) -> impl Iterator<Item = &str> {
    meta::items_at(object, "/spec/volumes")
        .iter()
        .map(|v| meta::str_at(v, "/persistentVolumeClaim/claimName"))
        .filter(|name| !name.is_empty())
}

/// The uid in an object's controller ownerReference, if it has one.
pub fn controller_uid(object: &Value) -> Option<&str> {
    meta::items_at(object, "/metadata/ownerReferences")
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)
}

type Slot = (String, String);

/// An object's slot, allocated once and shared by the map and the indexes
/// that hold the object.
type SharedSlot = Arc<Slot>;

/// The objects with each value of one indexed field. Entries hold the
/// object too, so a walk of an index reads no other map.
type Index = HashMap<String, BTreeMap<SharedSlot, Arc<Value>>>;

/// The objects of one kind, with their indexes.
#[derive(Debug, Default)]
struct Objects {
    by_slot: BTreeMap<SharedSlot, Arc<Value>>,
    /// By [`holder_uid`]; "" for objects nothing owns.
    by_owner: Index,
    /// By the claims a pod's volumes name.
    by_claim: Index,
    /// Pods by `spec.nodeName`; "" for unbound ones. Other kinds are not
    /// in it.
    by_node: Index,
    pods: bool,
}

fn index(index: &mut Index, value: &str, slot: &SharedSlot, object: &Arc<Value>) {
    // `entry` would take an owned key even when the entry exists, which it
    // nearly always does (the owner's uid, the node's name).
    let (slot, object) = (Arc::clone(slot), Arc::clone(object));
    match index.get_mut(value) {
        Some(slots) => {
            slots.insert(slot, object);
        }
        None => {
            index.insert(value.to_string(), BTreeMap::from([(slot, object)]));
        }
    }
}

fn unindex(index: &mut Index, value: &str, slot: &Slot) {
    if let Some(slots) = index.get_mut(value) {
        slots.remove(slot);
        if slots.is_empty() {
            index.remove(value);
        }
    }
}

fn node_of(pod: &Value) -> &str {
    meta::str_at(pod, "/spec/nodeName")
}

/// The objects of `slots` (a map or an index entry) in `namespace` whose
/// names start with `prefix` ("" for all), in name order.
fn named_in<'a>(
    slots: Option<&'a BTreeMap<SharedSlot, Arc<Value>>>,
    namespace: &'a str,
    prefix: &'a str,
) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
    slots.into_iter().flat_map(move |slots| {
        // A map wholly inside the namespace (an owner's entry: uids are
        // unique and ownerReferences namespace-local) is walked whole,
        // without comparing each slot.
        let inside = |entry: Option<(&SharedSlot, _)>| entry.is_some_and(|(s, _)| s.0 == namespace);
        let whole =
            prefix.is_empty() && inside(slots.first_key_value()) && inside(slots.last_key_value());
        let all = whole.then(|| slots.values());
        let ranged = (!whole).then(|| {
            slots
                .range::<Slot, _>((namespace.to_string(), prefix.to_string())..)
                .take_while(move |(slot, _)| slot.0 == namespace && slot.1.starts_with(prefix))
                .map(|(_, object)| object)
        });
        all.into_iter()
            .flatten()
            .chain(ranged.into_iter().flatten())
    })
}

impl Objects {
    fn of(kind: &str) -> Self {
        Objects {
            pods: kind == "Pod",
            ..Objects::default()
        }
    }

    fn insert(&mut self, slot: Slot, object: Arc<Value>) {
        let slot = match self.remove(&slot) {
            Some(held) => held,
            None => Arc::new(slot),
        };
        index(&mut self.by_owner, holder_uid(&object), &slot, &object);
        for claim in claims_used(&object) {
            index(&mut self.by_claim, claim, &slot, &object);
        }
        if self.pods {
            index(&mut self.by_node, node_of(&object), &slot, &object);
        }
        self.by_slot.insert(slot, object);
    }

    /// Removes the object in `slot`; gives back its shared slot.
    fn remove(&mut self, slot: &Slot) -> Option<SharedSlot> {
        let (held, old) = self.by_slot.remove_entry(slot)?;
        unindex(&mut self.by_owner, holder_uid(&old), slot);
        for claim in claims_used(&old) {
            unindex(&mut self.by_claim, claim, slot);
        }
        if self.pods {
            unindex(&mut self.by_node, node_of(&old), slot);
        }
        Some(held)
    }
}

/// The objects of some kinds, by namespace and name.
#[derive(Debug, Default)]
pub struct Cache {
    objects: HashMap<&'static str, Objects>,
    /// Kinds whose events are news to the controller but whose objects it
    /// never reads from the cache, so they are not kept.
    followed: &'static [&'static str],
}

impl Cache {
    /// A cache of `kinds`, filled from the registry.
    pub fn load(registry: &Registry, kinds: &[&'static str]) -> Self {
        let mut cache = Cache::watching(kinds);
        for name in kinds {
            let Some(kind) = kinds::KINDS.iter().find(|k| k.kind == *name) else {
                continue;
            };
            match registry.list(kind, None, &|_| true, None, None) {
                Ok(page) => {
                    for object in page.items {
                        cache.put(kind.kind, object);
                    }
                }
                Err(err) => crate::log::log(&format!(
                    "controllers: failed to list {}: {}",
                    kind.plural, err.message
                )),
            }
        }
        cache
    }

    /// An empty cache of `kinds`.
    pub fn watching(kinds: &[&'static str]) -> Self {
        Cache {
            objects: kinds.iter().map(|k| (*k, Objects::of(k))).collect(),
            followed: &[],
        }
    }

    /// The same cache, also reporting the events of `kinds` as news
    /// without keeping their objects.
    pub fn following(mut self, kinds: &'static [&'static str]) -> Self {
        self.followed = kinds;
        self
    }

    pub fn watches(&self, kind: &str) -> bool {
        self.objects.contains_key(kind)
    }

    /// Applies a store event; returns the kind when the cache holds it and
    /// the event was newer than what the cache had.
    pub fn apply(&mut self, event: &StoreEvent) -> Option<&'static str> {
        let kind = kind_of(&event.key)?.kind;
        let Some(objects) = self.objects.get_mut(kind) else {
            return self.followed.contains(&kind).then_some(kind);
        };
        let slot = (event.key.namespace.clone(), event.key.name.clone());
        if let Some(held) = objects.by_slot.get(&slot) {
            let held_revision = revision(held);
            if held_revision == event.revision
                && event.event_type != EventType::Deleted
                && !Arc::ptr_eq(held, &event.object)
            {
                // The controller's own write, already applied: keep the
                // event's copy, which every other holder shares (indexed
                // anew, in case the registry's answer differed).
                objects.insert(slot, event.object.clone());
                return None;
            }
            if held_revision >= event.revision {
                return None;
            }
        }
        match event.event_type {
            EventType::Deleted => {
                objects.remove(&slot);
            }
            EventType::Added | EventType::Modified => objects.insert(slot, event.object.clone()),
        }
        Some(kind)
    }

    /// Stores an object the controller just wrote, unless the cache already
    /// has a newer version. A write of a kind the cache does not watch (an
    /// Event most controllers record) is not kept: kept, it would make the
    /// cache follow that kind's every event from then on.
    pub fn put(&mut self, kind: &'static str, object: impl Into<Arc<Value>>) {
        let Some(objects) = self.objects.get_mut(kind) else {
            return;
        };
        let object = object.into();
        let slot = (
            meta::namespace(&object).to_string(),
            meta::name(&object).to_string(),
        );
        if objects
            .by_slot
            .get(&slot)
            .is_some_and(|o| revision(o) > revision(&object))
        {
            return;
        }
        objects.insert(slot, object);
    }

    /// Forgets an object the controller just deleted.
    pub fn remove(&mut self, key: &Key) {
        if let Some(objects) = self.objects.get_mut(key.kind) {
            objects.remove(&(key.namespace.clone(), key.name.clone()));
        }
    }

    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.shared(key).map(|object| &**object)
    }

    /// The object, shared: kept by a sync that writes meanwhile, no copy.
    pub fn shared(&self, key: &Key) -> Option<&Arc<Value>> {
        self.objects
            .get(key.kind)?
            .by_slot
            .get(&(key.namespace.clone(), key.name.clone()))
    }

    /// The objects of `kind` in `namespace` (all namespaces for `None`).
    pub fn list<'a>(
        &'a self,
        kind: &str,
        namespace: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        let Some(objects) = self.objects.get(kind) else {
            return Box::new(std::iter::empty());
        };
        match namespace {
            None => Box::new(objects.by_slot.values().map(|o| &**o)),
            Some(namespace) => {
                Box::new(named_in(Some(&objects.by_slot), namespace, "").map(|o| &**o))
            }
        }
    }

    /// The objects of `kind` in `namespace` whose names start with `prefix`
    /// (a set's `<set>-`), shared, in name order.
    pub fn named_with<'a>(
        &'a self,
        kind: &str,
        namespace: &'a str,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        named_in(
            self.objects.get(kind).map(|o| &o.by_slot),
            namespace,
            prefix,
        )
    }

    /// The objects of `kind` in `namespace` whose controller ownerReference
    /// (a PersistentVolume's claimRef) has `uid`, or that nothing owns for
    /// `None`, shared.
    pub fn owned_by<'a>(
        &'a self,
        kind: &str,
        namespace: &'a str,
        uid: Option<&str>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let objects = self.objects.get(kind);
        let slots = objects.and_then(|o| o.by_owner.get(uid.unwrap_or("")));
        named_in(slots, namespace, "")
    }

    /// The pods in `namespace` whose volumes name `claim`.
    pub fn using_claim<'a>(
        &'a self,
        namespace: &'a str,
        claim: &str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        let slots = self.objects.get("Pod").and_then(|o| o.by_claim.get(claim));
        named_in(slots, namespace, "").map(|o| &**o)
    }

    /// The pods bound to `node` ("" for unbound ones).
    pub fn on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Value> + 'a {
        let slots = self.objects.get("Pod").and_then(|o| o.by_node.get(node));
        slots
            .into_iter()
            .flat_map(|slots| slots.values())
            .map(|o| &**o)
    }

    /// How many pods are bound to `node`.
    pub fn count_on_node(&self, node: &str) -> usize {
        self.objects
            .get("Pod")
            .and_then(|objects| objects.by_node.get(node))
            .map_or(0, BTreeMap::len)
    }

    /// The keys of the objects of `kind` in `namespace` (all namespaces for
    /// `None`) that `wanted` picks: the objects an event of another kind
    /// concerns.
    pub fn keys_where<'a>(
        &'a self,
        kind: &'static str,
        namespace: Option<&'a str>,
        wanted: impl Fn(&Value) -> bool,
    ) -> Vec<Key> {
        self.list(kind, namespace)
            .filter(|object| wanted(object))
            .map(|object| Key::of(kind, object))
            .collect()
    }

    /// The keys of the claims `pod`'s volumes name that the cache holds and
    /// `wanted` picks, in order, each once: the claims a pod's event concerns.
    pub fn claims_of(&self, pod: &Value, wanted: impl Fn(&Value) -> bool) -> Vec<Key> {
        let namespace = meta::namespace(pod);
        let keys: BTreeSet<Key> = claims_used(pod)
            .map(|name| Key::new("PersistentVolumeClaim", namespace, name))
            .filter(|key| self.get(key).is_some_and(&wanted))
            .collect();
        keys.into_iter().collect()
    }

    /// Every key the cache holds of `kind`.
    pub fn keys(&self, kind: &'static str) -> Vec<Key> {
        self.objects
            .get(kind)
            .map(|objects| {
                objects
                    .by_slot
                    .keys()
                    .map(|slot| Key::new(kind, &slot.0, &slot.1))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(revision: u64, event_type: EventType, name: &str) -> StoreEvent {
        StoreEvent {
            revision,
            event_type,
            key: ObjectKey::new("", "pods", "default", name),
            object: Arc::new(
                json!({"metadata": {"name": name, "namespace": "default", "resourceVersion": revision.to_string()}}),
            ),
        }
    }

    #[test]
    fn events_never_roll_the_cache_back() {
        let mut cache = Cache::watching(&["Pod"]);
        assert_eq!(
            cache.apply(&event(5, EventType::Added, "web-0")),
            Some("Pod")
        );
        assert_eq!(cache.apply(&event(4, EventType::Modified, "web-0")), None);
        assert_eq!(cache.apply(&event(5, EventType::Deleted, "web-0")), None);
        assert_eq!(cache.list("Pod", Some("default")).count(), 1);
        assert_eq!(
            cache.apply(&event(6, EventType::Deleted, "web-0")),
            Some("Pod")
        );
        assert_eq!(cache.list("Pod", None).count(), 0);
        // A write the controller put itself gives way to its event's copy.
        cache.put(
            "Pod",
            Value::clone(&event(8, EventType::Added, "own").object),
        );
        let own = event(8, EventType::Added, "own");
        assert_eq!(cache.apply(&own), None, "its own write is not news");
        let held = cache.shared(&Key::new("Pod", "default", "own")).unwrap();
        assert!(Arc::ptr_eq(held, &own.object));
        let mut other = event(7, EventType::Added, "x");
        other.key.resource = "configmaps".into();
        assert_eq!(cache.apply(&other), None, "unwatched kinds are ignored");
        // Nor does a write of an unwatched kind make the cache follow it.
        cache.put(
            "Event",
            json!({"metadata": {"name": "e", "namespace": "default"}}),
        );
        assert!(!cache.watches("Event"));
    }

    #[test]
    fn followed_kinds_are_news_but_not_kept() {
        let mut cache = Cache::watching(&["Namespace"]).following(&["Pod"]);
        assert_eq!(
            cache.apply(&event(5, EventType::Added, "web-0")),
            Some("Pod")
        );
        assert_eq!(
            cache.apply(&event(6, EventType::Deleted, "web-0")),
            Some("Pod")
        );
        assert!(!cache.watches("Pod"));
        assert_eq!(cache.list("Pod", None).count(), 0);
        cache.put(
            "Pod",
            Value::clone(&event(7, EventType::Added, "own").object),
        );
        assert!(cache.get(&Key::new("Pod", "default", "own")).is_none());
        let mut other = event(8, EventType::Added, "x");
        other.key.resource = "configmaps".into();
        assert_eq!(cache.apply(&other), None, "nor is any other kind");
    }

    fn pod(namespace: &str, name: &str, rv: u64, owner: Option<&str>, node: &str) -> Value {
        let refs: Vec<Value> = owner
            .map(|uid| json!({"uid": uid, "controller": true}))
            .into_iter()
            .collect();
        json!({"metadata": {"name": name, "namespace": namespace, "resourceVersion": rv.to_string(),
                            "ownerReferences": refs}, "spec": {"nodeName": node}})
    }

    #[test]
    fn indexes_follow_updates_and_removals() {
        let mut cache = Cache::watching(&["Pod", "PersistentVolume"]);
        cache.put("Pod", pod("a", "web-0", 1, Some("set"), "n1"));
        cache.put("Pod", pod("a", "web-1", 2, None, ""));
        cache.put("Pod", pod("b", "web-0", 3, Some("set"), "n1"));
        cache.put("Pod", pod("ab", "x", 3, None, "n2"));
        let names = |it: &mut dyn Iterator<Item = &Value>| -> Vec<String> {
            it.map(|o| format!("{}/{}", meta::namespace(o), meta::name(o)))
                .collect()
        };
        assert_eq!(
            names(&mut cache.list("Pod", Some("a"))),
            ["a/web-0", "a/web-1"]
        );
        let named: Vec<&str> = cache
            .named_with("Pod", "a", "web-")
            .map(|o| meta::name(o))
            .collect();
        assert_eq!(named, ["web-0", "web-1"]);
        assert_eq!(cache.named_with("Pod", "a", "x").count(), 0);
        let owned = |cache: &Cache, uid| {
            cache
                .owned_by("Pod", "a", uid)
                .map(|o| meta::name(o).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(owned(&cache, Some("set")), ["web-0"]);
        assert_eq!(owned(&cache, None), ["web-1"]);
        assert_eq!(cache.count_on_node("n1"), 2);
        assert_eq!(names(&mut cache.on_node("")), ["a/web-1"]);
        // Adopted and bound: both indexes move.
        cache.put("Pod", pod("a", "web-1", 4, Some("set"), "n2"));
        assert_eq!(owned(&cache, Some("set")), ["web-0", "web-1"]);
        assert!(owned(&cache, None).is_empty());
        assert_eq!(names(&mut cache.on_node("n2")), ["a/web-1", "ab/x"]);
        cache.remove(&Key::new("Pod", "a", "web-0"));
        assert_eq!(owned(&cache, Some("set")), ["web-1"]);
        assert_eq!(cache.count_on_node("n1"), 1);
        assert_eq!(cache.on_node("").count(), 0);
        cache.put("Pod", json!({"metadata": {"name": "p", "namespace": "a", "resourceVersion": "9"},
            "spec": {"volumes": [{"persistentVolumeClaim": {"claimName": "data"}}, {"emptyDir": {}}]}}));
        assert_eq!(names(&mut cache.using_claim("a", "data")), ["a/p"]);
        assert_eq!(cache.using_claim("b", "data").count(), 0);
        cache.put(
            "PersistentVolume",
            json!({"metadata": {"name": "pv", "resourceVersion": "1"},
            "spec": {"claimRef": {"uid": "c1"}}}),
        );
        assert_eq!(
            cache.owned_by("PersistentVolume", "", Some("c1")).count(),
            1
        );
        // An older version never replaces a newer one, nor its index entries.
        cache.put("Pod", pod("a", "web-1", 3, None, ""));
        assert_eq!(owned(&cache, Some("set")), ["web-1"]);
        // Every index hands out the version the map holds, not a copy.
        let held = cache.shared(&Key::new("Pod", "a", "web-1")).unwrap();
        let walked = cache.owned_by("Pod", "a", Some("set")).next().unwrap();
        assert!(Arc::ptr_eq(held, walked));
        assert!(std::ptr::eq(&**held, cache.on_node("n2").next().unwrap()));
        assert!(cache
            .owned_by("PersistentVolume", "", None)
            .next()
            .is_none());
    }
}
