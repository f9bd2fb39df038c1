//! How many objects each resource holds, in all namespaces and in each one,
//! as of a revision: a LIST page's remainingItemCount is then the count less
//! the objects before and on the page, where counting the keys after the
//! page reads every leaf page of the range (half of a `limit=10` LIST's
//! server CPU at 1000 pods, docs/benchmarks.md "Session 18").

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use redb::ReadableTable;

use super::{keys, Context as _, EventType, ObjectKey, Revision, StoreError};

#[derive(Debug, Default)]
struct Counted {
    revision: Revision,
    /// By [`keys::prefix`], with and without the namespace.
    by_prefix: HashMap<Vec<u8>, usize>,
}

#[derive(Debug, Default)]
pub struct Counts(Mutex<Counted>);

/// The two prefixes a key counts under: its resource's and its namespace's.
fn prefixes(key: &ObjectKey) -> [Vec<u8>; 2] {
    [
        keys::prefix(&key.group, &key.resource, None),
        keys::prefix(&key.group, &key.resource, Some(&key.namespace)),
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
            by_prefix: HashMap::new(),
        };
        for entry in objects.iter().ctx("count objects")? {
            let (key, _) = entry.ctx("count objects")?;
            if let Some(key) = keys::decode(key.value()) {
                for prefix in prefixes(&key) {
                    *counted.by_prefix.entry(prefix).or_default() += 1;
                }
            }
        }
        Ok(Counts(Mutex::new(counted)))
    }

    /// Takes in a committed event, the one after the last taken in.
    pub(super) fn apply(&self, event_type: EventType, key: &ObjectKey, revision: Revision) {
        let mut counted = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        counted.revision = revision;
        for prefix in prefixes(key) {
            let count = counted.by_prefix.entry(prefix).or_default();
            match event_type {
                EventType::Added => *count += 1,
                EventType::Deleted => *count = count.saturating_sub(1),
                EventType::Modified => {}
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
        let counted = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        (counted.revision == revision).then(|| {
            let prefix = keys::prefix(group, resource, namespace);
            counted.by_prefix.get(&prefix).copied().unwrap_or(0)
        })
    }
}
