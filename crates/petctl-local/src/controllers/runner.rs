//! The loop every controller runs: load a cache, then apply the store's
//! events as they come (catching up through the event log after a lag),
//! reconcile the keys they touch, and wake keys whose timers are due.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::cache::{Cache, Key};
use super::event_sink::{EventSink, EVENT_BATCH};
use super::together::Pending;
use crate::log::log;
use crate::registry::apply::FieldManager;
use crate::registry::error::ApiError;
use crate::registry::{
    meta, DeleteOptions, Deleted, Preconditions, Registry, Target, WriteOptions,
};
use crate::store::{StoreError, StoreEvent};
use petctl_model::kinds::{self, KindInfo};

/// How many queued events are applied before reconciling.
const BATCH: usize = 1_024;
/// How far behind the store's broadcast a reconcile pass may fall before it
/// stops to apply what is queued. A receiver that falls behind by the whole
/// buffer relists (the event log keeps fewer events than the buffer), and
/// its cache then holds its own decoded copy of every object; meanwhile the
/// buffer holds every superseded version it has not seen (at 3000 pets
/// Parallel, the kubelet's pass over every pod, each write waiting for its
/// commit, fell that far behind).
const KEEP_UP: usize = crate::store::DEFAULT_WATCH_BUFFER / 4;
/// How many reconciles' deferred writes wait at most before they are
/// committed together.
const DEFER_BATCH: usize = 64;
/// The retry delay after a failed reconcile.
const RETRY: Duration = Duration::from_millis(500);

/// What a reconcile wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing until an event touches the key again.
    Done,
    /// Reconcile again at this instant (a simulated delay ends).
    At(Instant),
}

/// One controller: which kinds it caches, which keys an event touches, and
/// how a key is brought to its desired state.
pub trait Reconciler: Send + 'static {
    const NAME: &'static str;
    /// Every kind the controller caches.
    const KINDS: &'static [&'static str];
    /// Kinds whose changes wake the controller (through `keys_for`) but
    /// whose objects it does not read from the cache, which keeps none.
    const WOKEN_BY: &'static [&'static str] = &[];
    /// The kinds whose every object is reconciled at start and after a resync.
    const PRIMARY: &'static [&'static str];
    /// Work to do once, before the first reconcile (e.g. registering nodes).
    fn start(&mut self, _ctx: &mut Ctx) {}
    /// The keys to reconcile because `object` of `kind` changed.
    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key>;
    /// Sees an event the cache applied as news, with the keys it touches:
    /// for a controller that keeps what its syncs read (the StatefulSet
    /// controller's memos) and must hear what changed underneath.
    fn observe(&mut self, _kind: &'static str, _object: &Value, _keys: &[Key]) {}
    /// The cache was reloaded (a relist): forget anything kept from it.
    fn reset(&mut self) {}
    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError>;
}

/// What a reconcile works with: the cache and the registry, through helpers
/// that keep the cache in step with the controller's own writes.
pub struct Ctx {
    pub registry: Arc<Registry>,
    pub cache: Cache,
    /// The field manager its writes are recorded under (see [`manager_of`]).
    pub manager: &'static str,
    /// Events recorded during the current reconcile, handed to `sink` when
    /// it ends (see [`Ctx::record`]).
    pub events: Vec<(String, Value)>,
    pub sink: EventSink,
    /// The key being reconciled, which made the writes deferred meanwhile.
    pub(super) reconciling: Option<Key>,
    /// Writes deferred ([`Ctx::defer`]) and not yet committed, in order.
    pub(super) deferred: Vec<Pending>,
    /// The keys whose reconciles made a deferred write that failed.
    pub(super) failed: Vec<(Key, ApiError)>,
}

/// The field manager upstream records for a controller's writes: the
/// User-Agent of its client up to the first `/` (`managerOrUserAgent` in
/// endpoints/handlers/rest.go). Every controller of kube-controller-manager
/// (statefulset, persistentvolume, pvc-protection, garbage collector,
/// namespace, serviceaccount, root-ca-cert-publisher) shares its binary's
/// agent, `kube-controller-manager/v1.x (linux/amd64) kubernetes/…/NAME`;
/// the kubelet's writes (pod status, nodes, its events) are `kubelet`'s.
/// The PetSet controller is petctl's own operator, named after itself.
pub fn manager_of(controller: &str) -> &'static str {
    match controller {
        "kubelet" => "kubelet",
        "petset-controller" => "petset-controller",
        _ => "kube-controller-manager",
    }
}

pub fn kind_info(kind: &str) -> Result<&'static KindInfo, ApiError> {
    kinds::KINDS
        .iter()
        .find(|k| k.kind == kind)
        .ok_or_else(|| ApiError::internal(format!("unknown kind {kind}")))
}

pub(super) fn target(kind: &'static KindInfo, namespace: &str, name: &str) -> Target {
    Target {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

/// The manager of an event a controller records: that of the component
/// it names, for the scheduler that runs inside the simulated kubelet
/// reports as `default-scheduler` from its own binary, `kube-scheduler`.
fn event_manager(event: &Value, fallback: &'static str) -> &'static str {
    match meta::str_at(event, "/source/component") {
        "default-scheduler" => "kube-scheduler",
        _ => fallback,
    }
}

/// The manager of a write: the controller's, except for the scheduler that
/// runs inside the simulated kubelet — a kubelet writes only pods bound to
/// its node, so a write of a pod not bound yet (its PodScheduled condition)
/// is the scheduler's, `kube-scheduler` as upstream records it.
pub(super) fn write_manager(kind: &str, object: &Value, controller: &'static str) -> &'static str {
    let unbound = meta::str_at(object, "/spec/nodeName").is_empty();
    match (kind, controller) {
        ("Pod", "kubelet") if unbound => "kube-scheduler",
        _ => controller,
    }
}

/// `body` with the apiVersion and kind of `info`.
pub(super) fn typed(info: &'static KindInfo, mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.insert("apiVersion".into(), json!(info.api_version()));
        map.insert("kind".into(), json!(info.kind));
    }
    body
}

pub(super) fn options_for(manager: &str) -> WriteOptions {
    WriteOptions {
        manager: FieldManager {
            user_agent: Some(manager.to_string()),
            ..FieldManager::default()
        },
        ..WriteOptions::default()
    }
}

impl Ctx {
    pub fn new(
        registry: Arc<Registry>,
        cache: Cache,
        manager: &'static str,
        sink: EventSink,
    ) -> Self {
        Ctx {
            registry,
            cache,
            manager,
            events: Vec::new(),
            sink,
            reconciling: None,
            deferred: Vec::new(),
            failed: Vec::new(),
        }
    }

    fn options(&self) -> WriteOptions {
        options_for(self.manager)
    }

    pub fn create(
        &mut self,
        kind: &'static str,
        namespace: &str,
        body: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let key = Key::new(kind, namespace, meta::name(&body));
        self.flush_writes_of(std::iter::once(&key));
        let object = Arc::new(self.submit(kind, namespace, body)?);
        self.cache.put(kind, Arc::clone(&object));
        Ok(object)
    }

    /// Records an Event. The events of a reconcile go to the sink when it
    /// ends ([`Ctx::flush_events`]), or every [`EVENT_BATCH`], but never
    /// ahead of the writes deferred before them.
    pub fn record(&mut self, namespace: &str, event: Value) {
        self.events.push((namespace.to_string(), event));
        if self.events.len() >= EVENT_BATCH && self.deferred.is_empty() {
            self.flush_events();
        }
    }

    /// Hands the events recorded since the last flush to the sink, which
    /// writes them without the controller waiting ([`EventSink`]).
    pub fn flush_events(&mut self) {
        if self.events.is_empty() {
            return;
        }
        let Ok(info) = kind_info("Event") else {
            return;
        };
        let batch = std::mem::take(&mut self.events)
            .into_iter()
            .map(|(namespace, body)| {
                let options = options_for(event_manager(&body, self.manager));
                (namespace, typed(info, body), options)
            })
            .collect();
        self.sink.send(batch);
    }

    fn submit(
        &mut self,
        kind: &'static str,
        namespace: &str,
        body: Value,
    ) -> Result<Value, ApiError> {
        let info = kind_info(kind)?;
        let options = self.create_options(kind, &body);
        let body = typed(info, body);
        Ok(self.registry.create(info, namespace, body, options)?.object)
    }

    pub(super) fn create_options(&self, kind: &str, body: &Value) -> WriteOptions {
        match kind {
            "Event" => options_for(event_manager(body, self.manager)),
            _ => self.options(),
        }
    }

    /// Replaces the object (or its status) with `object`, whose
    /// resourceVersion is the precondition; a conflict refreshes the cache.
    fn write(
        &mut self,
        kind: &'static str,
        subresource: Option<&str>,
        object: Value,
    ) -> Result<Arc<Value>, ApiError> {
        let info = kind_info(kind)?;
        let key = Key::of(kind, &object);
        self.flush_writes_of(std::iter::once(&key));
        let t = target(info, &key.namespace, &key.name);
        let options = options_for(write_manager(kind, &object, self.manager));
        let written = self
            .registry
            .update(&t, subresource, object, options)
            .map(|written| Arc::new(written.object));
        self.settle(kind, &key, written)
    }

    /// Keeps the cache in step with the outcome of a write of `key`.
    pub(super) fn settle(
        &mut self,
        kind: &'static str,
        key: &Key,
        outcome: Result<Arc<Value>, ApiError>,
    ) -> Result<Arc<Value>, ApiError> {
        match outcome {
            Ok(written) => {
                // An update that removed the last finalizer of a deleting
                // object deleted it.
                if meta::is_deleting(&written) && meta::finalizers(&written).is_empty() {
                    self.refresh(key);
                } else {
                    self.cache.put(kind, Arc::clone(&written));
                }
                Ok(written)
            }
            Err(err) => {
                if err.code == 409 || err.code == 404 {
                    self.refresh(key);
                }
                Err(err)
            }
        }
    }

    pub fn update(&mut self, kind: &'static str, object: Value) -> Result<Arc<Value>, ApiError> {
        self.write(kind, None, object)
    }

    pub fn update_status(
        &mut self,
        kind: &'static str,
        object: Value,
    ) -> Result<Arc<Value>, ApiError> {
        self.write(kind, Some("status"), object)
    }

    /// PUT `namespaces/NAME/finalize`: the namespace's `spec.finalizers`.
    pub fn finalize(&mut self, kind: &'static str, object: Value) -> Result<Arc<Value>, ApiError> {
        self.write(kind, Some("finalize"), object)
    }

    /// Deletes an object, preconditioned on its uid; `Ok(None)` when it is
    /// gone (or was already), `Ok(Some(_))` when its deletion is pending.
    pub fn delete(
        &mut self,
        key: &Key,
        uid: &str,
        options: DeleteOptions,
    ) -> Result<Option<Value>, ApiError> {
        let info = kind_info(key.kind)?;
        self.flush_writes_of(std::iter::once(key));
        let t = target(info, &key.namespace, &key.name);
        let options = DeleteOptions {
            preconditions: (!uid.is_empty()).then(|| Preconditions {
                uid: Some(uid.to_string()),
                resource_version: None,
            }),
            ..options
        };
        match self.registry.delete(&t, &options, WriteOptions::default()) {
            Ok(Deleted::Gone(_)) => {
                self.cache.remove(key);
                Ok(None)
            }
            Ok(Deleted::Pending(object)) => {
                self.cache.put(key.kind, object.clone());
                Ok(Some(object))
            }
            Err(err) if err.code == 404 => {
                self.cache.remove(key);
                Ok(None)
            }
            Err(err) => {
                if err.code == 409 {
                    self.refresh(key);
                }
                Err(err)
            }
        }
    }

    /// Re-reads one object from the registry into the cache.
    pub fn refresh(&mut self, key: &Key) {
        let Ok(info) = kind_info(key.kind) else {
            return;
        };
        match self.registry.get(&target(info, &key.namespace, &key.name)) {
            Ok(object) => self.cache.put(key.kind, object),
            Err(_) => self.cache.remove(key),
        }
    }
}

/// Runs blocking registry work without stalling the runtime's other tasks.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
        _ => work(),
    }
}

/// The timers of keys waiting for a simulated delay.
#[derive(Default)]
struct Timers {
    due: BTreeMap<Instant, BTreeSet<Key>>,
}

impl Timers {
    fn add(&mut self, at: Instant, key: Key) {
        self.due.entry(at).or_default().insert(key);
    }

    fn next(&self) -> Option<Instant> {
        self.due.keys().next().copied()
    }

    fn pop_due(&mut self, now: Instant, into: &mut BTreeSet<Key>) {
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > now {
                break;
            }
            into.extend(entry.remove());
        }
    }
}

type Events = tokio::sync::broadcast::Receiver<Arc<StoreEvent>>;

struct Loop<R: Reconciler> {
    reconciler: R,
    ctx: Ctx,
    dirty: BTreeSet<Key>,
    timers: Timers,
    /// The newest store revision applied.
    last: u64,
}

impl<R: Reconciler> Loop<R> {
    fn apply(&mut self, event: &StoreEvent) {
        self.last = self.last.max(event.revision);
        if let Some(kind) = self.ctx.cache.apply(event) {
            let keys = self
                .reconciler
                .keys_for(&self.ctx.cache, kind, &event.object);
            self.reconciler.observe(kind, &event.object, &keys);
            self.dirty.extend(keys);
        }
    }

    fn mark_all(&mut self) {
        for kind in R::PRIMARY {
            let keys = self.ctx.cache.keys(kind);
            self.dirty.extend(keys);
        }
    }

    /// Catches up after the broadcast dropped events: replays the log, or
    /// relists everything when the log no longer reaches back that far.
    fn resync(&mut self) {
        match self.ctx.registry.store().events_after(self.last) {
            Ok(events) => {
                for event in &events {
                    self.apply(event);
                }
            }
            Err(StoreError::Compacted { .. }) | Err(_) => {
                self.last = self.ctx.registry.current_revision();
                self.ctx.cache = Cache::load(&self.ctx.registry, R::KINDS).following(R::WOKEN_BY);
                self.reconciler.reset();
                self.mark_all();
            }
        }
    }

    /// Applies up to `limit` queued events without waiting for more;
    /// true if the broadcast dropped some (the caller resyncs).
    fn drain(&mut self, events: &mut Events, limit: usize) -> bool {
        for _ in 0..limit {
            match events.try_recv() {
                Ok(event) => self.apply(&event),
                Err(TryRecvError::Lagged(_)) => return true,
                Err(_) => break,
            }
        }
        false
    }

    /// Reconciles the dirty keys, then those due again at once, until none
    /// is left. Deferred writes are committed when a pass ends, every
    /// [`DEFER_BATCH`], and before a key whose writes wait is reconciled
    /// again; a reconcile's Events go to the sink after its writes.
    fn reconcile_dirty(&mut self, events: &mut Events) {
        loop {
            while let Some(key) = self.dirty.pop_first() {
                if events.len() >= KEEP_UP && self.drain(events, usize::MAX) {
                    self.resync();
                }
                if self.ctx.deferred_by(&key) {
                    self.flush_writes();
                }
                self.ctx.reconciling = Some(key.clone());
                let next = self.reconciler.reconcile(&mut self.ctx, &key);
                self.ctx.reconciling = None;
                if self.ctx.deferred_len() >= DEFER_BATCH {
                    self.flush_writes();
                } else if self.ctx.deferred_len() == 0 {
                    self.ctx.flush_events();
                }
                match next {
                    Ok(Next::Done) => {}
                    Ok(Next::At(at)) => self.timers.add(at, key),
                    Err(err) => self.retry(key, &err),
                }
                self.retry_failed();
            }
            self.flush_writes();
            if self.drain(events, BATCH) {
                self.resync();
            }
            self.timers.pop_due(Instant::now(), &mut self.dirty);
            if self.dirty.is_empty() {
                return;
            }
        }
    }

    fn flush_writes(&mut self) {
        self.ctx.flush_writes();
        self.ctx.flush_events();
        self.retry_failed();
    }

    fn retry_failed(&mut self) {
        for (key, err) in self.ctx.take_failed() {
            self.retry(key, &err);
        }
    }

    fn retry(&mut self, key: Key, err: &ApiError) {
        if err.code != 409 {
            log(&format!("{}: {key}: {}", R::NAME, err.message));
        }
        self.timers.add(Instant::now() + RETRY, key);
    }
}

/// Runs one controller until the store's event stream closes; its Events
/// go to `sink`.
pub async fn run<R: Reconciler>(reconciler: R, registry: Arc<Registry>, sink: EventSink) {
    let mut events = registry.store().subscribe();
    let last = registry.current_revision();
    let cache = blocking(|| Cache::load(&registry, R::KINDS).following(R::WOKEN_BY));
    let mut state = Loop {
        reconciler,
        ctx: Ctx::new(registry, cache, manager_of(R::NAME), sink),
        dirty: BTreeSet::new(),
        timers: Timers::default(),
        last,
    };
    blocking(|| {
        state.reconciler.start(&mut state.ctx);
        state.ctx.flush_events();
        state.mark_all();
        state.reconcile_dirty(&mut events);
    });
    loop {
        let next = state.timers.next();
        let sleep = async move {
            match next {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = events.recv() => match received {
                Ok(event) => {
                    state.apply(&event);
                    if state.drain(&mut events, BATCH) {
                        blocking(|| state.resync());
                    }
                }
                Err(RecvError::Lagged(_)) => blocking(|| state.resync()),
                Err(RecvError::Closed) => return,
            },
            () = sleep => {}
        }
        let now = Instant::now();
        state.timers.pop_due(now, &mut state.dirty);
        // Most events concern no key of this controller: handing the
        // runtime's worker over (block_in_place) for nothing costs a
        // thread wake-up each time.
        if !state.dirty.is_empty() {
            blocking(|| state.reconcile_dirty(&mut events));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_pop_in_order_and_only_when_due() {
        let start = Instant::now();
        let mut timers = Timers::default();
        timers.add(
            start + Duration::from_secs(2),
            Key::new("Pod", "default", "web-1"),
        );
        timers.add(
            start + Duration::from_secs(1),
            Key::new("Pod", "default", "web-0"),
        );
        assert_eq!(timers.next(), Some(start + Duration::from_secs(1)));
        let mut due = BTreeSet::new();
        timers.pop_due(start, &mut due);
        assert!(due.is_empty());
        timers.pop_due(start + Duration::from_millis(1500), &mut due);
        assert_eq!(
            due.into_iter().map(|k| k.name).collect::<Vec<_>>(),
            ["web-0"]
        );
        assert_eq!(timers.next(), Some(start + Duration::from_secs(2)));
    }
}
