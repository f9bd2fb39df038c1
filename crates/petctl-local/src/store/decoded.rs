//! The latest version of each object as its write left it, decoded: the
//! `Arc` its watch event and the controllers' caches share. A read for an
//! update ([`Store::get_shared`](super::Store::get_shared)) takes it rather
//! than decoding the stored JSON again, when it is still the stored
//! version. Held weakly: an object nobody holds any more is decoded from
//! the store, as before. Events are not kept: nobody reads one to update
//! it, and there are many.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use serde_json::Value;

use super::{EventType, ObjectKey, Revision, StoreEvent};

#[derive(Default)]
pub(super) struct Decoded {
    latest: Mutex<HashMap<ObjectKey, (Revision, Weak<Value>)>>,
}

impl Decoded {
    /// Called for every committed write, in commit order.
    pub(super) fn record(&self, event: &StoreEvent) {
        if event.key.resource == "events" {
            return;
        }
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        match event.event_type {
            EventType::Deleted => {
                latest.remove(&event.key);
            }
            EventType::Added | EventType::Modified => {
                let entry = (event.revision, Arc::downgrade(&event.object));
                match latest.get_mut(&event.key) {
                    Some(held) => *held = entry,
                    None => {
                        latest.insert(event.key.clone(), entry);
                    }
                }
            }
        }
    }

    /// The object of `key` at `revision`, if that version is still held.
    pub(super) fn get(&self, key: &ObjectKey, revision: Revision) -> Option<Arc<Value>> {
        let latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        let (held, object) = latest.get(key)?;
        (*held == revision).then(|| object.upgrade()).flatten()
    }
}
