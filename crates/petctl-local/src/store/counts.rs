//! How many objects each resource holds, in all namespaces and in each one,
//! as of a revision: a LIST page's remainingItemCount is then the count less
//! the objects before and on the page, where counting the keys after the
//! page reads every leaf page of the range (half of a `limit=10` LIST's
//! server CPU at 1000 pods, docs/benchmarks.md "Session 18"), and
//! `petctl local status` reads its counts without a scan.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use redb::ReadableTable;

use super::{keys, Context as _, EventType, ObjectKey, Revision, StoreError};

/// A resource (group, resource), and one of its namespaces or all of them.
type Scope = (String, String, Option<String>);

#[derive(Debug, Default)]
struct Counted {
    revision: Revision,
    by_scope: HashMap<Scope, usize>,
}

#[derive(Debug, Default)]
pub struct Counts(Mutex<Counted>);

/// The two scopes a key counts in: its resource's and its namespace's.
fn scopes(key: &ObjectKey) -> [Scope; 2] {
    let (group, resource) = (&key.group, &key.resource);
    [
        (group.clone(), resource.clone(), None),
        (group.clone(), resource.clone(), Some(key.namespace.clone())),
    ]
}

impl Counts {
    /// Counts the objects of `objects`, the table as of `revision`.
    pub(super) fn load(
        objects: &impl ReadableTable<&'static [u8], &'static [u8]>,
        revision: Revision,
    ) -> Result<Counts, StoreError> {
        let mut counted = Counted {
            revision,
            by_scope: HashMap::new(),
        };
        for entry in objects.iter().ctx("count objects")? {
            let (key, _) = entry.ctx("count objects")?;
            let key = keys::decode(key.value())
                .ok_or_else(|| StoreError::Backend("stored key is unreadable".to_string()))?;
            for scope in scopes(&key) {
                *counted.by_scope.entry(scope).or_default() += 1;
            }
        }
        Ok(Counts(Mutex::new(counted)))
    }

    /// Takes in a committed event, the one after the last taken in.
    pub(super) fn apply(&self, event_type: EventType, key: &ObjectKey, revision: Revision) {
        let mut counted = self.lock();
        counted.revision = revision;
        if event_type == EventType::Modified {
            return;
        }
        for scope in scopes(key) {
            let count = counted.by_scope.entry(scope).or_default();
            match event_type {
                EventType::Added => *count += 1,
                _ => *count = count.saturating_sub(1),
            }
        }
    }

    /// How many objects of `group/resource` (in `namespace`, when given)
    /// the store held at `revision`, if that is the revision the counts are
    /// at (the newest commit's, once its events are broadcast).
    pub fn at(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        revision: Revision,
    ) -> Option<usize> {
        let counted = self.lock();
        (counted.revision == revision).then(|| {
            let scope = (group.into(), resource.into(), namespace.map(str::to_string));
            counted.by_scope.get(&scope).copied().unwrap_or(0)
        })
    }

    /// How many objects each resource that has any holds, as
    /// `group/resource` (just the resource for the core group), sorted.
    pub(super) fn by_resource(&self) -> Vec<(String, usize)> {
        let counted = self.lock();
        let mut counts: Vec<(String, usize)> = counted
            .by_scope
            .iter()
            .filter(|((_, _, namespace), count)| namespace.is_none() && **count > 0)
            .map(|((group, resource, _), count)| match group.as_str() {
                "" => (resource.clone(), *count),
                group => (format!("{group}/{resource}"), *count),
            })
            .collect();
        counts.sort();
        counts
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counted> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
