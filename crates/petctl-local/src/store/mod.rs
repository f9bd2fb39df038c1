//! The local control plane's durable store: objects keyed by
//! group/resource/namespace/name, one global revision counter, and an event
//! log that lets a watch resume from any recent revision. Backed by redb; a
//! write returns only after its transaction is durable on disk.

mod commit;
mod counts;
mod decoded;
mod keys;
mod log;
mod record;

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    WriteTransaction,
};

pub use commit::{Op, Queued};
pub use counts::Counts;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

pub type Revision = u64;

/// Events kept for watch resume unless told otherwise: a watch that fell
/// further behind must relist (410 Gone).
pub const DEFAULT_EVENT_WINDOW: u64 = 10_000;

/// How many events past the window may pile up before a write compacts, so
/// that compaction runs once per this many writes rather than on every one.
pub const DEFAULT_COMPACTION_SLACK: u64 = 1_000;

/// Events buffered per subscriber before it lags. A lagging controller
/// replays the event log from disk, decoding its own copy of every object
/// (at 1000 pets Parallel, 270 MiB of a 490 MiB heap peak with a buffer of
/// 1024); a slot costs a few words while empty, and an event is dropped
/// once every receiver has seen it, so a deep buffer costs memory only
/// while someone is behind, and then one shared copy, not one per receiver.
pub const DEFAULT_WATCH_BUFFER: usize = 16_384;

const OBJECTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("objects");
const EVENTS: TableDefinition<u64, &[u8]> = TableDefinition::new("events");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// The revision when the event log was last compacted: the log's last key
/// is the revision otherwise, and compaction may leave no event.
const META_REVISION: &str = "revision";
/// Every event at or below this revision has been compacted away.
const META_COMPACTED: &str = "compacted";

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectKey {
    pub group: String,
    /// The plural resource name, e.g. `pods`.
    pub resource: String,
    /// Empty for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        ObjectKey {
            group: group.to_string(),
            resource: resource.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }
}

/// One object met by [`Store::scan`], still encoded.
pub struct Scanned<'a> {
    key: &'a [u8],
    bytes: &'a [u8],
}

impl<'a> Scanned<'a> {
    pub fn object(&self) -> Result<Value, StoreError> {
        Ok(record::decode_object(self.bytes)?.1)
    }

    /// The object's JSON as stored, `metadata.resourceVersion` included
    /// (the store stamps before it encodes): what encoding the decoded
    /// object gives, byte for byte, but for a float that serde_json's
    /// parser rounds in its last bit (server/list.rs tests).
    pub fn json(&self) -> Result<&'a [u8], StoreError> {
        record::object_json(self.bytes)
    }

    /// The namespace and name the object is stored under.
    pub fn id(&self) -> Result<(String, String), StoreError> {
        keys::decode(self.key)
            .map(|key| (key.namespace, key.name))
            .ok_or_else(|| StoreError::Backend("a stored key is not a key".into()))
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.group.is_empty() {
            write!(f, "{}.{}", self.resource, self.group)?;
        } else {
            f.write_str(&self.resource)?;
        }
        if self.namespace.is_empty() {
            write!(f, " {}", self.name)
        } else {
            write!(f, " {}/{}", self.namespace, self.name)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    /// The name a watch event carries, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct StoreEvent {
    pub revision: Revision,
    pub event_type: EventType,
    pub key: ObjectKey,
    /// The object after the change; for `Deleted`, its last state with
    /// `metadata.resourceVersion` set to the deletion revision. Shared and
    /// never changed once stored: every receiver of the broadcast, and every
    /// controller cache, holds this one copy.
    pub object: Arc<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists")]
    AlreadyExists,
    #[error("the object has been modified; its resourceVersion is now {current}")]
    Conflict { current: Revision },
    /// Events after the requested revision are gone; `oldest` is the lowest
    /// revision a watch can still resume from.
    #[error("too old resource version (the oldest available is {oldest})")]
    Compacted { oldest: Revision },
    #[error("store: {0}")]
    Backend(String),
}

/// Adds what the store was doing to a redb error (redb has one error type per
/// operation; they only need printing).
trait Context<T> {
    fn ctx(self, doing: &str) -> Result<T, StoreError>;
}

impl<T, E: fmt::Display> Context<T> for Result<T, E> {
    fn ctx(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Backend(format!("{doing}: {e}")))
    }
}

/// Tunables; [`Default`] gives the documented defaults.
#[derive(Clone, Copy, Debug)]
pub struct StoreOptions {
    /// How many of the newest events are kept for watch resume.
    pub event_window: u64,
    /// How far past the window the log may grow before a write compacts it.
    pub compaction_slack: u64,
    /// Events buffered per subscriber.
    pub watch_buffer: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            event_window: DEFAULT_EVENT_WINDOW,
            compaction_slack: DEFAULT_COMPACTION_SLACK,
            watch_buffer: DEFAULT_WATCH_BUFFER,
        }
    }
}

pub struct Store {
    db: Database,
    /// The writes waiting for the next group commit.
    queue: commit::Queue,
    /// Held from the start of a write transaction until its events are
    /// broadcast, so subscribers see events in commit order.
    write_lock: Mutex<()>,
    revision: AtomicU64,
    /// Durable write transactions since open (one per batch of writes).
    commits: AtomicU64,
    compacted: AtomicU64,
    /// Each event is shared by every receiver: a receiver's copy is a
    /// reference count, not a copy of the object.
    events: broadcast::Sender<Arc<StoreEvent>>,
    options: StoreOptions,
    /// Serializes the allocations that read the store and then write what
    /// they chose (a Service's cluster IP): one per store, however many
    /// registries (server, controllers, DNS) write to it.
    allocation: Mutex<()>,
    decoded: decoded::Decoded,
    counts: Counts,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("revision", &self.current_revision())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `path`, creating it if needed, and resumes its
    /// revision counter.
    pub fn open(path: &Path) -> Result<Arc<Store>, StoreError> {
        Self::open_with(path, StoreOptions::default())
    }

    pub fn open_with(path: &Path, options: StoreOptions) -> Result<Arc<Store>, StoreError> {
        // The database holds Secrets and tokens: created 0600 before redb
        // opens it, whatever the umask (an existing one is made 0600 too);
        // redb takes an empty file as a new database.
        use std::os::unix::fs::OpenOptionsExt as _;
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .and_then(|file| crate::state::restrict(&file))
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", path.display())))?;
        // 16 MiB of page cache: the same server CPU as with 32 or 64 MiB at
        // 1000 to 10,000 pets, and less peak RSS (16 MiB less at 1000,
        // 40-77 MiB at 10,000; docs/benchmarks.md, "Memory at 3000-10,000
        // pets" and "Session 16").
        let db = Database::builder()
            .set_cache_size(16 * 1024 * 1024)
            .create(path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Backend(format!(
                    "{} is already in use by another process",
                    path.display()
                )),
                e => StoreError::Backend(format!("cannot open {}: {e}", path.display())),
            })?;
        let (revision, compacted, counts) = {
            let txn = db.begin_write().ctx("begin")?;
            let counters = {
                // Opening the tables creates them in a new database.
                let objects = txn.open_table(OBJECTS).ctx("open objects")?;
                let events = txn.open_table(EVENTS).ctx("open events")?;
                let meta = txn.open_table(META).ctx("open meta")?;
                let revision = revision_in(&meta, &events)?;
                (
                    revision,
                    meta_value(&meta, META_COMPACTED)?,
                    counts::Counts::load(&objects, revision)?,
                )
            };
            txn.commit().ctx("commit")?;
            counters
        };
        let (events, _) = broadcast::channel(options.watch_buffer.max(1));
        Ok(Arc::new(Store {
            db,
            queue: commit::Queue::default(),
            write_lock: Mutex::new(()),
            revision: AtomicU64::new(revision),
            commits: AtomicU64::new(0),
            compacted: AtomicU64::new(compacted),
            events,
            options,
            allocation: Mutex::new(()),
            decoded: decoded::Decoded::default(),
            counts,
        }))
    }

    /// Held by an allocation from its read of what is taken until its
    /// choice is stored.
    pub fn allocation_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.allocation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The revision of the newest acknowledged write (0 for an empty store).
    pub fn current_revision(&self) -> Revision {
        self.revision.load(Ordering::SeqCst)
    }

    /// How many durable write transactions (each one fsync) this store has
    /// committed since it was opened; concurrent writes share one.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// Every event at or below this revision has been compacted away, so
    /// nothing older can be resumed from.
    pub fn compacted_revision(&self) -> Revision {
        self.compacted.load(Ordering::SeqCst)
    }

    pub fn get(&self, key: &ObjectKey) -> Result<Option<Value>, StoreError> {
        self.stored(key, |bytes| Ok(record::decode_object(bytes)?.1))
    }

    /// [`Store::get`], shared with the watch event and the caches that
    /// hold this version when they still do (see [`decoded`]).
    pub fn get_shared(&self, key: &ObjectKey) -> Result<Option<Arc<Value>>, StoreError> {
        self.stored(key, |bytes| {
            match self.decoded.get(key, record::stored_revision(bytes)?) {
                Some(object) => Ok(object),
                None => Ok(Arc::new(record::decode_object(bytes)?.1)),
            }
        })
    }

    /// The object's JSON as stored, undecoded (see [`Scanned::json`]).
    pub fn get_json(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.stored(key, |bytes| Ok(record::object_json(bytes)?.to_vec()))
    }

    fn stored<T>(
        &self,
        key: &ObjectKey,
        read: impl FnOnce(&[u8]) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.read()?;
        let objects = txn.open_table(OBJECTS).ctx("open objects")?;
        let found = objects.get(keys::encode(key).as_slice()).ctx("get")?;
        found.map(|value| read(value.value())).transpose()
    }

    /// Every object of `group/resource` (in `namespace`, if given), sorted by
    /// namespace and name, with the store revision of that snapshot.
    pub fn list(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
    ) -> Result<(Vec<Value>, Revision), StoreError> {
        let mut out = Vec::new();
        let revision = self.scan(group, resource, namespace, None, &mut |o| {
            out.push(o.object()?);
            Ok(true)
        })?;
        Ok((out, revision))
    }

    /// Walks the objects of `group/resource` (in `namespace`, if given) in
    /// (namespace, name) order, starting after `after`, until `visit` says
    /// stop; an object is decoded only when the visitor asks for it, so a
    /// page of a long list costs the page. Returns the snapshot's revision.
    pub fn scan(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        visit: &mut dyn FnMut(Scanned<'_>) -> Result<bool, StoreError>,
    ) -> Result<Revision, StoreError> {
        use std::ops::Bound;
        let txn = self.read()?;
        let meta = txn.open_table(META).ctx("open meta")?;
        let events = txn.open_table(EVENTS).ctx("open events")?;
        let revision = revision_in(&meta, &events)?;
        let objects = txn.open_table(OBJECTS).ctx("open objects")?;
        let prefix = keys::prefix(group, resource, namespace);
        let end = keys::prefix_end(&prefix);
        let start = match after {
            Some((ns, name)) => keys::encode(&ObjectKey::new(group, resource, ns, name)),
            None => Vec::new(),
        };
        if start >= end {
            return Ok(revision);
        }
        let lower = if start < prefix {
            Bound::Included(prefix.as_slice())
        } else {
            Bound::Excluded(start.as_slice())
        };
        let range = objects
            .range::<&[u8]>((lower, Bound::Excluded(end.as_slice())))
            .ctx("list")?;
        for entry in range {
            let (key, value) = entry.ctx("list")?;
            if !visit(Scanned {
                key: key.value(),
                bytes: value.value(),
            })? {
                break;
            }
        }
        Ok(revision)
    }

    /// How many objects each resource holds (see [`Counts::at`]).
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Stores a new object at the next revision and returns it as stored.
    pub fn create(&self, key: &ObjectKey, object: Value) -> Result<Value, StoreError> {
        self.write(key, Op::Create(object))
    }

    /// Replaces an object; with `expected`, only if it is still at that
    /// revision.
    pub fn update(
        &self,
        key: &ObjectKey,
        object: Value,
        expected: Option<Revision>,
    ) -> Result<Value, StoreError> {
        self.write(key, Op::Update(object, expected))
    }

    /// Removes an object and returns its last state, stamped with the
    /// deletion revision.
    pub fn delete(&self, key: &ObjectKey, expected: Option<Revision>) -> Result<Value, StoreError> {
        self.write(key, Op::Delete(expected))
    }

    /// Every event committed from now on, in revision order. A receiver that
    /// falls more than the watch buffer behind gets `RecvError::Lagged` and
    /// must catch up through [`Store::events_after`].
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoreEvent>> {
        self.events.subscribe()
    }

    /// Drops every event but the newest `keep_last`.
    pub fn compact(&self, keep_last: u64) -> Result<(), StoreError> {
        let _guard = self.lock_writes();
        let revision = self.current_revision();
        let cutoff = revision.saturating_sub(keep_last);
        let compacted = self.transact(|txn| compact_in(txn, cutoff, revision))?;
        self.compacted.store(compacted, Ordering::SeqCst);
        Ok(())
    }

    /// How many objects each resource holds, as `group/resource` (just the
    /// resource for the core group), sorted.
    pub fn count_by_resource(&self) -> Result<Vec<(String, usize)>, StoreError> {
        Ok(self.counts.by_resource())
    }

    fn read(&self) -> Result<ReadTransaction, StoreError> {
        self.db.begin_read().ctx("begin read")
    }

    /// Serialises batch commits and compaction: whoever holds it reads the
    /// revision counter, writes and publishes before the next one starts.
    fn lock_writes(&self) -> MutexGuard<'_, ()> {
        self.write_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in one durable write transaction: committed when it
    /// succeeds, aborted when it fails.
    fn transact<T>(
        &self,
        work: impl FnOnce(&WriteTransaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut txn = self.db.begin_write().ctx("begin write")?;
        txn.set_durability(Durability::Immediate)
            .ctx("set durability")?;
        match work(&txn) {
            Ok(done) => {
                txn.commit().ctx("commit")?;
                self.commits.fetch_add(1, Ordering::SeqCst);
                Ok(done)
            }
            Err(e) => {
                // The error that made us abort is the one worth reporting.
                let _ = txn.abort();
                Err(e)
            }
        }
    }
}

/// Removes events at or below `cutoff` and records it, with the store's
/// `revision`, which the log may no longer hold; returns the new
/// compaction mark (never lower than the old one).
fn compact_in(
    txn: &WriteTransaction,
    cutoff: Revision,
    revision: Revision,
) -> Result<Revision, StoreError> {
    let mut meta = txn.open_table(META).ctx("open meta")?;
    let compacted = meta_value(&meta, META_COMPACTED)?;
    if cutoff <= compacted {
        return Ok(compacted);
    }
    let mut events = txn.open_table(EVENTS).ctx("open events")?;
    events.retain_in(..=cutoff, |_, _| false).ctx("compact")?;
    meta.insert(META_COMPACTED, cutoff).ctx("compact")?;
    meta.insert(META_REVISION, revision).ctx("compact")?;
    Ok(cutoff)
}

/// The store's revision: the last event's, or the one recorded at the last
/// compaction when that left no later event (a store written before the
/// log's key was the record kept it in `META_REVISION` at every commit,
/// which the larger of the two also covers).
fn revision_in(
    meta: &impl ReadableTable<&'static str, u64>,
    events: &impl ReadableTable<u64, &'static [u8]>,
) -> Result<Revision, StoreError> {
    let last = events.last().ctx("read events")?.map(|(k, _)| k.value());
    Ok(last.unwrap_or(0).max(meta_value(meta, META_REVISION)?))
}

fn meta_value(meta: &impl ReadableTable<&'static str, u64>, name: &str) -> Result<u64, StoreError> {
    Ok(meta
        .get(name)
        .ctx("read meta")?
        .map(|v| v.value())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests;
