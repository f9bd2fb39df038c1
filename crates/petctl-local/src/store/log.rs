//! Reading the event log: the events after a revision, decoded one at a
//! time, or only their keys.

use super::{
    meta_value, record, Context as _, ObjectKey, Revision, Store, StoreError, StoreEvent, EVENTS,
    META, META_COMPACTED,
};

impl Store {
    /// Every event with a revision above `after`, oldest first.
    pub fn events_after(&self, after: Revision) -> Result<Vec<StoreEvent>, StoreError> {
        let mut out = Vec::new();
        self.visit_events(after, &mut |event| {
            out.push(event);
            true
        })?;
        Ok(out)
    }

    /// Gives `visit` each event with a revision above `after`, oldest
    /// first, decoded one at a time, until it returns false: a reader that
    /// wants a prefix of the log never holds the whole log decoded.
    pub fn visit_events(
        &self,
        after: Revision,
        visit: &mut dyn FnMut(StoreEvent) -> bool,
    ) -> Result<(), StoreError> {
        self.visit_log(after, record::decode_event, visit)
    }

    /// Whether an event above `after` has a key `touched` picks; only the
    /// events' keys are decoded, their objects skipped over.
    pub fn changed_since(
        &self,
        after: Revision,
        touched: &dyn Fn(&ObjectKey) -> bool,
    ) -> Result<bool, StoreError> {
        let mut changed = false;
        self.visit_log(after, record::decode_event_key, &mut |key| {
            changed = touched(&key);
            !changed
        })?;
        Ok(changed)
    }

    /// The records of the log above `after`, each decoded by `decode`, to
    /// `visit` until it returns false; `Compacted` if the log no longer
    /// reaches back to `after`.
    fn visit_log<T>(
        &self,
        after: Revision,
        decode: fn(Revision, &[u8]) -> Result<T, StoreError>,
        visit: &mut dyn FnMut(T) -> bool,
    ) -> Result<(), StoreError> {
        let txn = self.read()?;
        let meta = txn.open_table(META).ctx("open meta")?;
        let compacted = meta_value(&meta, META_COMPACTED)?;
        if after < compacted {
            return Err(StoreError::Compacted { oldest: compacted });
        }
        let events = txn.open_table(EVENTS).ctx("open events")?;
        let Some(first) = after.checked_add(1) else {
            return Ok(());
        };
        for entry in events.range(first..).ctx("read events")? {
            let (revision, value) = entry.ctx("read events")?;
            if !visit(decode(revision.value(), value.value())?) {
                break;
            }
        }
        Ok(())
    }
}
