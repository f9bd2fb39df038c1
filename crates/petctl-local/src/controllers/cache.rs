//! An informer-style cache: the objects of the kinds a controller watches,
//! kept current from the store's events, never older than what it holds.

use std::collections::{BTreeMap, HashMap};

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

/// The objects of some kinds, by namespace and name.
#[derive(Debug, Default)]
pub struct Cache {
    objects: HashMap<&'static str, BTreeMap<(String, String), Value>>,
}

impl Cache {
    /// A cache of `kinds`, filled from the registry.
    pub fn load(registry: &Registry, kinds: &[&'static str]) -> Self {
        let mut cache = Cache::default();
        for name in kinds {
            cache.objects.entry(name).or_default();
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

    pub fn watches(&self, kind: &str) -> bool {
        self.objects.contains_key(kind)
    }

    /// Applies a store event; returns the kind when the cache holds it and
    /// the event was newer than what the cache had.
    pub fn apply(&mut self, event: &StoreEvent) -> Option<&'static str> {
        let kind = kind_of(&event.key)?.kind;
        let objects = self.objects.get_mut(kind)?;
        let slot = (event.key.namespace.clone(), event.key.name.clone());
        if objects
            .get(&slot)
            .is_some_and(|o| revision(o) >= event.revision)
        {
            return None;
        }
        match event.event_type {
            EventType::Deleted => {
                objects.remove(&slot);
            }
            EventType::Added | EventType::Modified => {
                objects.insert(slot, event.object.clone());
            }
        }
        Some(kind)
    }

    /// Stores an object the controller just wrote, unless the cache already
    /// has a newer version.
    pub fn put(&mut self, kind: &'static str, object: Value) {
        let slot = (
            meta::namespace(&object).to_string(),
            meta::name(&object).to_string(),
        );
        let objects = self.objects.entry(kind).or_default();
        if objects
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
        self.objects
            .get(key.kind)?
            .get(&(key.namespace.clone(), key.name.clone()))
    }

    /// The objects of `kind` in `namespace` (all namespaces for `None`).
    pub fn list<'a>(
        &'a self,
        kind: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects
            .get(kind)
            .into_iter()
            .flat_map(|objects| objects.iter())
            .filter(move |((ns, _), _)| namespace.is_none_or(|want| want == ns))
            .map(|(_, object)| object)
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

    /// Every key the cache holds of `kind`.
    pub fn keys(&self, kind: &'static str) -> Vec<Key> {
        self.objects
            .get(kind)
            .map(|objects| {
                objects
                    .keys()
                    .map(|(ns, name)| Key::new(kind, ns, name))
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
            object: json!({"metadata": {"name": name, "namespace": "default", "resourceVersion": revision.to_string()}}),
        }
    }

    #[test]
    fn events_never_roll_the_cache_back() {
        let mut cache = Cache::default();
        cache.objects.entry("Pod").or_default();
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
        let mut other = event(7, EventType::Added, "x");
        other.key.resource = "configmaps".into();
        assert_eq!(cache.apply(&other), None, "unwatched kinds are ignored");
    }
}
