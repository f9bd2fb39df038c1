//! Group commit: a writer queues its change; whoever finds no commit in
//! progress becomes the leader, drains the queue into one redb transaction
//! (each write at the next revision, later writes seeing earlier ones),
//! commits it with one fsync, publishes the revision, broadcasts the events
//! in revision order and only then acknowledges every writer of the batch.
//! The writers that queued meanwhile form the next batch.
//!
//! A write refused by its own checks (conflict, not found, already exists, an
//! object that cannot carry a version) fails alone: everything that can
//! refuse it runs before it touches a table, so it leaves no trace and uses
//! no revision. A failure of the transaction itself fails the whole batch and
//! publishes nothing.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use redb::{Durability, Table, WriteTransaction};
use serde_json::Value;

use super::{
    compact_in, keys, record, Context as _, EventType, ObjectKey, Revision, Store, StoreError,
    StoreEvent, EVENTS, OBJECTS,
};

/// One write, as the caller asked for it.
pub enum Op {
    Create(Value),
    /// Replace, only if still at the expected revision when one is given.
    Update(Value, Option<Revision>),
    Delete(Option<Revision>),
}

/// What a write does to the object table, decided from the current object.
struct Change {
    event_type: EventType,
    /// The object to store; `None` removes it.
    stored: Option<Value>,
}

impl Op {
    /// `current` is the revision of the stored object, if there is one.
    fn decide(self, current: Option<Revision>) -> Result<Change, StoreError> {
        let (event_type, stored) = match self {
            Op::Create(object) => match current {
                Some(_) => return Err(StoreError::AlreadyExists),
                None => (EventType::Added, Some(object)),
            },
            Op::Update(object, expected) => {
                check_current(current, expected)?;
                (EventType::Modified, Some(object))
            }
            Op::Delete(expected) => {
                check_current(current, expected)?;
                (EventType::Deleted, None)
            }
        };
        Ok(Change { event_type, stored })
    }
}

fn check_current(current: Option<Revision>, expected: Option<Revision>) -> Result<(), StoreError> {
    let stored = current.ok_or(StoreError::NotFound)?;
    match expected {
        Some(expected) if expected != stored => Err(StoreError::Conflict { current: stored }),
        _ => Ok(()),
    }
}

type Ticket = u64;
type Outcome = Result<Value, StoreError>;
/// An outcome as the leader hands it over: the object shared with the
/// broadcast event, copied by its own writer, not by the leader.
pub type Shared = Result<Arc<Value>, StoreError>;
/// Each write of a batch with its event, or why it was refused.
type Applied = Vec<(Ticket, Result<StoreEvent, StoreError>)>;

/// Writes queued by [`Store::enqueue`], to be waited for with
/// [`Store::wait_for`].
#[must_use = "queued writes are committed and acknowledged only by waiting for them"]
#[derive(Debug)]
pub struct Queued {
    tickets: std::ops::Range<Ticket>,
}

struct Request {
    ticket: Ticket,
    key: ObjectKey,
    op: Op,
}

#[derive(Default)]
struct Waiting {
    next_ticket: Ticket,
    pending: Vec<Request>,
    /// A leader is committing a batch.
    committing: bool,
    /// Outcomes not yet picked up by their writer.
    done: HashMap<Ticket, Shared>,
}

/// The writers waiting to be committed, and the outcomes waiting for them.
#[derive(Default)]
pub(super) struct Queue {
    waiting: Mutex<Waiting>,
    /// Signalled when a batch is acknowledged (and a new leader may start).
    acknowledged: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The leader of one batch; dropping it acknowledges the batch and hands the
/// queue on, also when the commit panicked (its writers then get an error
/// rather than waiting forever).
struct Leader<'a> {
    queue: &'a Queue,
    tickets: Vec<Ticket>,
    outcomes: Vec<(Ticket, Shared)>,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let mut waiting = self.queue.lock();
        waiting.done.extend(self.outcomes.drain(..));
        for ticket in &self.tickets {
            waiting.done.entry(*ticket).or_insert_with(|| {
                Err(StoreError::Backend(
                    "the commit of this write was abandoned".to_string(),
                ))
            });
        }
        waiting.committing = false;
        drop(waiting);
        self.queue.acknowledged.notify_all();
    }
}

/// A write that may still fail alone, ready to be applied.
struct Prepared {
    encoded_key: Vec<u8>,
    /// The object's stored bytes; `None` removes it.
    stored: Option<Vec<u8>>,
    event: StoreEvent,
    event_bytes: Vec<u8>,
}

impl Store {
    /// One durable write, committed with whatever other writes queued with
    /// it; returns once its batch is on disk and its event broadcast.
    pub(super) fn write(&self, key: &ObjectKey, op: Op) -> Outcome {
        let outcome = self.write_all(vec![(key.clone(), op)]).pop();
        let outcome = outcome
            .unwrap_or_else(|| Err(StoreError::Backend("the write has no outcome".to_string())));
        // The writer's own copy, made outside the leader's batch.
        outcome.map(Arc::unwrap_or_clone)
    }

    /// Writes `writes` in one batch, so in one commit: each one fails or
    /// succeeds alone, as concurrent writes would; their outcomes in order,
    /// each object shared with its event rather than copied.
    pub fn write_together(&self, writes: Vec<(ObjectKey, Op)>) -> Vec<Shared> {
        self.write_all(writes)
    }

    /// Queues `writes` at once, so that they land in the same batch, and
    /// waits for that batch (leading it if no commit is in progress).
    fn write_all(&self, writes: Vec<(ObjectKey, Op)>) -> Vec<Shared> {
        let queued = self.enqueue(writes);
        self.wait_for(queued)
    }

    /// Queues `writes` at once, so that they land in the same batch,
    /// without waiting for it: a leader that starts meanwhile commits them
    /// with its own, and [`Store::wait_for`] commits them otherwise. Until
    /// then nothing of them is visible: not stored, no revision, no event.
    pub fn enqueue(&self, writes: Vec<(ObjectKey, Op)>) -> Queued {
        let mut waiting = self.queue.lock();
        let first = waiting.next_ticket;
        for (key, op) in writes {
            let ticket = waiting.next_ticket;
            waiting.next_ticket += 1;
            waiting.pending.push(Request { ticket, key, op });
        }
        Queued {
            tickets: first..waiting.next_ticket,
        }
    }

    /// Waits until the batch of `queued` is on disk and its events
    /// broadcast (leading it if no commit is in progress); their outcomes
    /// in order.
    pub fn wait_for(&self, queued: Queued) -> Vec<Shared> {
        let tickets = queued.tickets;
        let mut waiting = self.queue.lock();
        loop {
            if tickets.clone().all(|t| waiting.done.contains_key(&t)) {
                return tickets.filter_map(|t| waiting.done.remove(&t)).collect();
            }
            if waiting.committing {
                waiting = self
                    .queue
                    .acknowledged
                    .wait(waiting)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // No commit in progress and ours are not done: queued together,
            // they are all still pending, so this writer leads the next batch.
            waiting.committing = true;
            let batch = std::mem::take(&mut waiting.pending);
            drop(waiting);
            let mut leader = Leader {
                queue: &self.queue,
                tickets: batch.iter().map(|r| r.ticket).collect(),
                outcomes: Vec::new(),
            };
            leader.outcomes = self.commit_batch(batch);
            drop(leader);
            waiting = self.queue.lock();
        }
    }

    /// Commits `writes` as one batch, as a leader would; their outcomes in
    /// order.
    #[cfg(test)]
    pub(super) fn commit_together(&self, writes: Vec<(ObjectKey, Op)>) -> Vec<Outcome> {
        let batch = (0..)
            .zip(writes)
            .map(|(ticket, (key, op))| Request { ticket, key, op })
            .collect();
        let outcomes = self.commit_batch(batch);
        outcomes
            .into_iter()
            .map(|(_, outcome)| outcome.map(Arc::unwrap_or_clone))
            .collect()
    }

    /// Applies `batch` in order in one transaction, commits it, publishes and
    /// broadcasts; the outcome of every write, in the batch's order.
    fn commit_batch(&self, batch: Vec<Request>) -> Vec<(Ticket, Shared)> {
        let _guard = self.lock_writes();
        let tickets: Vec<Ticket> = batch.iter().map(|r| r.ticket).collect();
        let applied = match self.apply_batch(batch) {
            Ok(applied) => applied,
            Err(e) => {
                let message = e.to_string();
                return tickets
                    .into_iter()
                    .map(|t| (t, Err(StoreError::Backend(message.clone()))))
                    .collect();
            }
        };
        let mut outcomes = Vec::with_capacity(applied.len());
        for (ticket, result) in applied {
            outcomes.push((
                ticket,
                result.map(|event| {
                    let object = Arc::clone(&event.object);
                    self.counts
                        .apply(event.event_type, &event.key, event.revision);
                    self.revision.store(event.revision, Ordering::SeqCst);
                    self.decoded.record(&event);
                    // No subscribers is not an error.
                    let _ = self.events.send(Arc::new(event));
                    object
                }),
            ));
        }
        outcomes
    }

    /// The transaction of one batch: each write's event (or its refusal),
    /// durable on disk when this returns `Ok`.
    fn apply_batch(&self, batch: Vec<Request>) -> Result<Applied, StoreError> {
        let mut txn = self.db.begin_write().ctx("begin write")?;
        txn.set_durability(Durability::Immediate)
            .ctx("set durability")?;
        let applied = self.apply_in(&txn, batch);
        let last = match &applied {
            Ok(applied) => applied.iter().rev().find_map(|(_, r)| r.as_ref().ok()),
            Err(_) => None,
        };
        let Some(last) = last.map(|event| event.revision) else {
            // Nothing to make durable: every write was refused, or the
            // transaction failed.
            let _ = txn.abort();
            return applied;
        };
        let compacted = match self.finish_in(&txn, last) {
            Ok(compacted) => compacted,
            Err(e) => {
                let _ = txn.abort();
                return Err(e);
            }
        };
        txn.commit().ctx("commit")?;
        self.commits.fetch_add(1, Ordering::SeqCst);
        if let Some(compacted) = compacted {
            self.compacted.store(compacted, Ordering::SeqCst);
        }
        applied
    }

    fn apply_in(&self, txn: &WriteTransaction, batch: Vec<Request>) -> Result<Applied, StoreError> {
        let mut objects = txn.open_table(OBJECTS).ctx("open objects")?;
        let mut events = txn.open_table(EVENTS).ctx("open events")?;
        let mut revision = self.current_revision() + 1;
        let mut applied = Vec::with_capacity(batch.len());
        for Request { ticket, key, op } in batch {
            let prepared = match prepare(&objects, key, op, revision)? {
                Ok(prepared) => prepared,
                Err(refused) => {
                    applied.push((ticket, Err(refused)));
                    continue;
                }
            };
            let key = prepared.encoded_key.as_slice();
            match &prepared.stored {
                Some(value) => {
                    objects.insert(key, value.as_slice()).ctx("insert")?;
                }
                None => {
                    objects.remove(key).ctx("remove")?;
                }
            }
            events
                .insert(revision, prepared.event_bytes.as_slice())
                .ctx("append event")?;
            applied.push((ticket, Ok(prepared.event)));
            revision += 1;
        }
        Ok(applied)
    }

    /// Compacts the event log once it has grown past the window and its
    /// slack. The batch's last revision needs no record of its own: it is
    /// the key of the log's last event (see [`super::revision_in`]).
    fn finish_in(
        &self,
        txn: &WriteTransaction,
        last: Revision,
    ) -> Result<Option<Revision>, StoreError> {
        let compacted = self.compacted.load(Ordering::SeqCst);
        let limit = self
            .options
            .event_window
            .saturating_add(self.options.compaction_slack);
        if last.saturating_sub(compacted) > limit {
            let cutoff = last.saturating_sub(self.options.event_window);
            return Ok(Some(compact_in(txn, cutoff, last)?));
        }
        Ok(None)
    }
}

/// Everything about one write that can refuse it, done before any table is
/// touched: the outer error fails the transaction, the inner one only this
/// write.
fn prepare(
    objects: &Table<&[u8], &[u8]>,
    key: ObjectKey,
    op: Op,
    revision: Revision,
) -> Result<Result<Prepared, StoreError>, StoreError> {
    use redb::ReadableTable as _;
    let encoded_key = keys::encode(&key);
    let current = objects
        .get(encoded_key.as_slice())
        .ctx("get")?
        .map(|value| Current::read(value.value(), &op));
    Ok(prepare_change(current, encoded_key, key, op, revision))
}

/// The stored object a write replaces: its revision, and the object itself
/// only for a deletion, whose event carries it (a create or an update needs
/// just the revision, so its JSON is not decoded).
struct Current {
    revision: Revision,
    object: Option<Value>,
}

impl Current {
    fn read(bytes: &[u8], op: &Op) -> Result<Current, StoreError> {
        Ok(match op {
            Op::Delete(_) => {
                let (revision, object) = record::decode_object(bytes)?;
                Current {
                    revision,
                    object: Some(object),
                }
            }
            Op::Create(_) | Op::Update(..) => Current {
                revision: record::stored_revision(bytes)?,
                object: None,
            },
        })
    }
}

fn prepare_change(
    current: Option<Result<Current, StoreError>>,
    encoded_key: Vec<u8>,
    key: ObjectKey,
    op: Op,
    revision: Revision,
) -> Result<Prepared, StoreError> {
    let current = current.transpose()?;
    let change = op.decide(current.as_ref().map(|c| c.revision))?;
    let mut object = match change.stored {
        Some(object) => object,
        // A deletion's event carries the object's last state.
        None => current.and_then(|c| c.object).ok_or(StoreError::NotFound)?,
    };
    record::stamp(&mut object, revision, &key)?;
    // Encoded once: the object table keeps these bytes, and the event
    // record wraps the same JSON.
    let encoded = record::encode_object(revision, &object)?;
    let event = StoreEvent {
        revision,
        event_type: change.event_type,
        key,
        object: Arc::new(object),
    };
    let event_bytes = record::encode_event_of(&event, record::object_json(&encoded)?)?;
    let stored = match change.event_type {
        EventType::Deleted => None,
        _ => Some(encoded),
    };
    Ok(Prepared {
        encoded_key,
        stored,
        event,
        event_bytes,
    })
}
