//! Where the controllers' Events are written: one thread for all of them,
//! as client-go's broadcaster hands a recorder's events to a goroutine of
//! its own (`StartRecordingToSink` in tools/record/event.go), so that a
//! reconcile does not wait for its events' commit and the events join the
//! commits of whatever else is being written meanwhile.
//!
//! Unlike client-go, which drops an event when its queue is full
//! (`maxQueuedEvents`), a full queue here makes the recorder wait: no event
//! is lost while the server runs. The events of one controller are created
//! in the order it recorded them; like any Event, one may appear after the
//! writes that followed it.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::runner::kind_info;
use crate::log::log;
use crate::registry::{meta, Registry, WriteOptions};

/// The most Events created in one commit: a Parallel sync that creates
/// 10,000 pods would otherwise write 10,000 Events in one burst, which every
/// controller then receives at once (peak RSS 1.6 -> 3.4 GiB at 10,000
/// pets, docs/benchmarks.md).
pub const EVENT_BATCH: usize = 64;

/// How long the writer gathers Events after the first of a batch before it
/// writes them: a reconcile records its Events one or two at a time, and
/// each write of its own costs a commit (an fsync). With this window, 1000
/// OrderedReady pets take 8,500 commits instead of 10,200, for 19,000
/// writes (docs/benchmarks.md, "Session 17"); an Event shows up at most
/// this much later, and client-go's recorder promises no time either.
pub const EVENT_LINGER: Duration = Duration::from_millis(20);

/// How many batches may wait for the writer before a recorder waits.
const QUEUED_BATCHES: usize = 1_024;

/// An Event to create: its namespace, the object, and its write options.
pub type Recorded = (String, Value, WriteOptions);

/// Hands Events to the writer thread, or writes them at once when there is
/// none (a controller driven by hand, in tests).
#[derive(Clone)]
pub struct EventSink {
    registry: Arc<Registry>,
    queue: Option<SyncSender<Vec<Recorded>>>,
}

impl EventSink {
    /// Starts the writer thread; it ends once every sink is dropped.
    pub fn start(registry: Arc<Registry>) -> Self {
        let (queue, batches) = mpsc::sync_channel(QUEUED_BATCHES);
        let writer = Arc::clone(&registry);
        let started = std::thread::Builder::new()
            .name("event-sink".into())
            .spawn(move || write_queued(&writer, &batches));
        match started {
            Ok(_) => EventSink {
                registry,
                queue: Some(queue),
            },
            Err(err) => {
                log(&format!(
                    "events: no writer thread ({err}): events are written inline"
                ));
                EventSink::inline(registry)
            }
        }
    }

    /// A sink that writes each batch before `send` returns.
    pub fn inline(registry: Arc<Registry>) -> Self {
        EventSink {
            registry,
            queue: None,
        }
    }

    pub fn send(&self, batch: Vec<Recorded>) {
        let batch = match &self.queue {
            Some(queue) => match queue.send(batch) {
                Ok(()) => return,
                // The writer is gone (it panicked): write here instead.
                Err(mpsc::SendError(batch)) => batch,
            },
            None => batch,
        };
        write(&self.registry, batch);
    }
}

/// The writer: each batch with whatever else is queued within
/// [`EVENT_LINGER`] of it, up to [`EVENT_BATCH`] Events per commit.
fn write_queued(registry: &Registry, batches: &Receiver<Vec<Recorded>>) {
    let mut pending: Vec<Recorded> = Vec::new();
    let mut open = true;
    while open {
        match batches.recv() {
            Ok(batch) => pending.extend(batch),
            Err(_) => break,
        }
        let deadline = Instant::now() + EVENT_LINGER;
        while pending.len() < EVENT_BATCH {
            let left = deadline.saturating_duration_since(Instant::now());
            match batches.recv_timeout(left) {
                Ok(more) => pending.extend(more),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        while !pending.is_empty() {
            let rest = pending.split_off(pending.len().min(EVENT_BATCH));
            write(registry, std::mem::replace(&mut pending, rest));
        }
    }
}

/// Creates `batch` in one commit; failing to record is logged, never an
/// error of the recorder, as with client-go's.
fn write(registry: &Registry, batch: Vec<Recorded>) {
    let Ok(info) = kind_info("Event") else {
        return;
    };
    let described: Vec<(String, String)> = batch
        .iter()
        .map(|(_, event, _)| {
            (
                meta::str_at(event, "/reason").to_string(),
                meta::str_at(event, "/involvedObject/name").to_string(),
            )
        })
        .collect();
    let outcomes = registry.create_together(info, batch);
    for (outcome, (reason, involved)) in outcomes.into_iter().zip(described) {
        if let Err(err) = outcome {
            log(&format!(
                "events: failed to record {reason} for {involved}: {}",
                err.message
            ));
        }
    }
}
