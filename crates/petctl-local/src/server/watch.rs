//! Watch streams: the current state or the events after a resourceVersion,
//! then live events, filtered by namespace and selectors, as chunked JSON
//! lines (`{"type":"ADDED","object":{…}}`), with bookmarks, timeouts and
//! 410 Gone once the requested revision has been compacted away.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::Response;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use super::filter::Filter;
use super::query::Params;
use super::table::{self, Include};
use super::{respond, App};
use crate::registry::error::ApiError;
use crate::registry::meta;
use crate::store::{EventType, Revision, StoreError, StoreEvent};
use petctl_model::kinds::KindInfo;

/// How long a watch lasts when the client gives no timeoutSeconds.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// resourceVersion "" or "0": the current state as ADDED events first.
    Current,
    /// Every event after this revision.
    After(Revision),
}

pub fn parse_start(params: &Params) -> Result<Start, ApiError> {
    Ok(match params.resource_version()? {
        None => Start::Current,
        Some(revision) => Start::After(revision),
    })
}

/// How long a read at a resourceVersion the store has not reached yet
/// waits for it (`blockTimeout` in apiserver/pkg/storage/cacher/watch_cache.go).
const FRESHNESS_TIMEOUT: Duration = Duration::from_secs(3);

/// Waits, on the store's events, until the store has reached `revision`;
/// after [`FRESHNESS_TIMEOUT`] it is the cacher's
/// `NewTooLargeResourceVersionError` (apiserver/pkg/storage/errors.go): a
/// 504 Timeout with a ResourceVersionTooLarge cause, to retry after a second.
pub async fn wait_until_fresh(app: &App, revision: Revision) -> Result<(), ApiError> {
    let store = app.registry.store();
    let mut live = store.subscribe();
    let deadline = tokio::time::sleep(FRESHNESS_TIMEOUT);
    tokio::pin!(deadline);
    while store.current_revision() < revision {
        tokio::select! {
            _ = &mut deadline => {
                let mut err = ApiError::new(
                    504,
                    "Timeout",
                    format!(
                        "Timeout: Too large resource version: {revision}, current: {}",
                        store.current_revision()
                    ),
                )
                .with_details(json!({
                    "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                    "retryAfterSeconds": 1,
                }));
                err.retry_after = Some(1);
                return Err(err);
            }
            received = live.recv() => {
                if let Err(broadcast::error::RecvError::Closed) = received {
                    return Err(ApiError::internal("the store closed"));
                }
            }
        }
    }
    Ok(())
}

/// One watch event line.
pub fn event_line(event_type: &str, object: &Value) -> Vec<u8> {
    let mut line =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    line.push(b'\n');
    line
}

/// The ERROR event for a compacted revision.
pub fn gone_event(requested: Revision, oldest: Revision) -> Vec<u8> {
    let status = ApiError::gone(format!(
        "too old resource version: {requested} ({})",
        oldest.saturating_sub(1)
    ))
    .to_status();
    event_line("ERROR", &status)
}

/// How many recent encoded event lines [`SharedLines`] keeps.
const SHARED_LINES: usize = 64;

/// Which line an event becomes: its revision, the event type a watcher
/// sends it as, and the encoding (JSON, or a Table with these columns).
type LineKey = (Revision, &'static str, Option<Include>);

/// Recent event lines, encoded once and shared by every watcher that sends
/// the same event in the same form: a thousand watchers of one write cost
/// one serialization, not a thousand.
#[derive(Default)]
pub struct SharedLines {
    recent: Mutex<VecDeque<(LineKey, Bytes)>>,
}

impl SharedLines {
    fn line(&self, key: LineKey, encode: impl FnOnce() -> Vec<u8>) -> Bytes {
        let find = |recent: &VecDeque<(LineKey, Bytes)>| {
            recent
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .map(|(_, line)| line.clone())
        };
        if let Some(line) = find(&self.lock()) {
            return line;
        }
        let line = Bytes::from(encode());
        let mut recent = self.lock();
        if find(&recent).is_none() {
            if recent.len() >= SHARED_LINES {
                recent.pop_front();
            }
            recent.push_back((key, line.clone()));
        }
        line
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(LineKey, Bytes)>> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Turns store events into the events one watcher sees. An object that
/// stops matching the selectors is sent as DELETED, one that starts
/// matching as ADDED, as kube-apiserver's watch cache does.
pub struct Translator {
    kind: &'static KindInfo,
    /// Events carry one-row Tables instead of objects (`kubectl get -w`).
    table: Option<Include>,
    filter: Filter,
    selective: bool,
    sent: HashSet<(String, String)>,
    pub last: Revision,
    /// Where lines of live events are shared with the other watchers.
    shared: Option<Arc<SharedLines>>,
}

impl Translator {
    pub fn new(kind: &'static KindInfo, filter: Filter, selective: bool, last: Revision) -> Self {
        Translator {
            kind,
            table: None,
            filter,
            selective,
            sent: HashSet::new(),
            last,
            shared: None,
        }
    }

    /// The initial ADDED event for an object of the current state.
    pub fn initial(&mut self, object: &Value) -> Option<Bytes> {
        if !(self.filter)(object) {
            return None;
        }
        if self.selective {
            self.sent.insert(identity(object));
        }
        Some(Bytes::from(self.line("ADDED", object)))
    }

    /// Records that an object matched at the starting revision, so that a
    /// resumed watch knows which objects its client has seen.
    fn seed(&mut self, object: &Value) {
        if (self.filter)(object) {
            self.sent.insert(identity(object));
        } else {
            self.sent.remove(&identity(object));
        }
    }

    pub fn translate(&mut self, event: &StoreEvent) -> Option<Bytes> {
        if event.revision <= self.last {
            return None;
        }
        self.last = event.revision;
        if event.key.group != self.kind.group || event.key.resource != self.kind.plural {
            return None;
        }
        let matches = (self.filter)(&event.object);
        if !self.selective {
            // Without selectors the filter reads only the namespace (and
            // the name), which an object never changes: it matches always
            // or never, so which objects were sent does not matter. A
            // thousand watchers of one write skip a thousand key copies.
            return matches.then(|| self.shared_line(event, event.event_type.as_str()));
        }
        let id = identity(&event.object);
        let known = self.sent.contains(&id);
        let event_type = match (event.event_type, matches, known) {
            (EventType::Deleted, true, _) | (EventType::Deleted, false, true) => {
                self.sent.remove(&id);
                "DELETED"
            }
            (EventType::Deleted, false, false) => return None,
            (_, false, true) if self.selective => {
                self.sent.remove(&id);
                "DELETED"
            }
            (_, false, _) => return None,
            (EventType::Added, true, _) => {
                self.sent.insert(id);
                "ADDED"
            }
            (EventType::Modified, true, known) => {
                self.sent.insert(id);
                if known || !self.selective {
                    "MODIFIED"
                } else {
                    "ADDED"
                }
            }
        };
        Some(self.shared_line(event, event_type))
    }

    /// The line of `event` sent as `event_type`, encoded once for every
    /// watcher that sends it so.
    fn shared_line(&self, event: &StoreEvent, event_type: &'static str) -> Bytes {
        let encode = || self.line(event_type, &event.object);
        match &self.shared {
            Some(shared) => shared.line((event.revision, event_type, self.table), encode),
            None => Bytes::from(encode()),
        }
    }

    fn line(&self, event_type: &str, object: &Value) -> Vec<u8> {
        match self.table {
            Some(include) => {
                let metadata = json!({"resourceVersion": meta::resource_version(object)});
                event_line(
                    event_type,
                    &table::table(self.kind, std::slice::from_ref(object), metadata, include),
                )
            }
            None => event_line(event_type, object),
        }
    }

    fn bookmark(&self) -> Bytes {
        Bytes::from(event_line(
            "BOOKMARK",
            &json!({
                "kind": self.kind.kind,
                "apiVersion": self.kind.api_version(),
                "metadata": {"resourceVersion": self.last.to_string()},
            }),
        ))
    }
}

fn identity(object: &Value) -> (String, String) {
    (
        meta::namespace(object).to_string(),
        meta::name(object).to_string(),
    )
}

/// Starts a watch and returns the streaming response.
pub fn start(
    app: Arc<App>,
    kind: &'static KindInfo,
    filter: Filter,
    params: &Params,
    table: Option<Include>,
) -> Result<Response<Body>, ApiError> {
    let start = parse_start(params)?;
    let timeout = params
        .timeout()?
        .filter(|t| !t.is_zero())
        .unwrap_or(DEFAULT_TIMEOUT);
    let timeout = match app.faults.watch_lifetime(&app.dice) {
        Some(cut) => timeout.min(cut),
        None => timeout,
    };
    let bookmarks = params.flag("allowWatchBookmarks");
    let selective = ["labelSelector", "fieldSelector"]
        .iter()
        .any(|p| params.get(p).is_some_and(|v| !v.trim().is_empty()));
    // Subscribe before reading, so no event falls between the two.
    let live = app.registry.store().subscribe();
    let mut translator = Translator::new(kind, filter, selective, 0);
    translator.table = table;
    translator.shared = Some(app.shared_lines.clone());
    let opening = Opening {
        app,
        kind,
        start,
        translator,
        live,
        timeout,
        bookmarks,
    };
    // The connection pulls each line straight from the store's broadcast:
    // no task and channel per watcher between the two.
    let stream = futures_util::stream::unfold(Stream::Opening(Box::new(opening)), |state| async {
        let mut watcher = match state {
            Stream::Opening(opening) => (*opening).open().await?,
            Stream::Live(watcher) => watcher,
        };
        let line = watcher.next_line().await?;
        Some((Ok::<_, std::io::Error>(line), Stream::Live(watcher)))
    });
    let mut response = respond::json(200, &Value::Null);
    *response.body_mut() = Body::from_stream(stream);
    Ok(response)
}

enum Stream {
    Opening(Box<Opening>),
    Live(Box<Watcher>),
}

/// A watch before its starting events are read.
struct Opening {
    app: Arc<App>,
    kind: &'static KindInfo,
    start: Start,
    translator: Translator,
    live: broadcast::Receiver<Arc<StoreEvent>>,
    timeout: Duration,
    bookmarks: bool,
}

impl Opening {
    /// Reads the starting events off the async workers; None if that failed.
    async fn open(self) -> Option<Box<Watcher>> {
        let store = self.app.registry.store().clone();
        let (kind, start, translator) = (self.kind, self.start, self.translator);
        let (translator, result) = tokio::task::spawn_blocking(move || {
            let mut translator = translator;
            let result = initial_events(&store, kind, start, &mut translator);
            (translator, result)
        })
        .await
        .ok()?;
        let app = self.app;
        let mut ticker = tokio::time::interval(app.bookmark_interval);
        ticker.tick().await;
        let mut watcher = Watcher {
            shutdown: app.shutdown.clone(),
            app,
            translator,
            live: self.live,
            pending: VecDeque::new(),
            ending: false,
            deadline: Box::pin(tokio::time::sleep(self.timeout)),
            ticker,
            bookmarks: self.bookmarks,
        };
        watcher.queue(result);
        Some(Box::new(watcher))
    }
}

/// A watch sending live events.
struct Watcher {
    app: Arc<App>,
    translator: Translator,
    live: broadcast::Receiver<Arc<StoreEvent>>,
    /// Lines to send before the next live event.
    pending: VecDeque<Bytes>,
    /// The watch ends once `pending` is sent.
    ending: bool,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    ticker: tokio::time::Interval,
    bookmarks: bool,
}

impl Watcher {
    /// Queues a catch-up's lines, or its error line, which ends the watch.
    fn queue(&mut self, result: Result<Vec<Bytes>, Vec<u8>>) {
        match result {
            Ok(lines) => self.pending.extend(lines),
            Err(error) => {
                self.pending.push_back(Bytes::from(error));
                self.ending = true;
            }
        }
    }

    /// The next line to send; None once the watch is over.
    async fn next_line(&mut self) -> Option<Bytes> {
        loop {
            if let Some(line) = self.pending.pop_front() {
                return Some(line);
            }
            if self.ending {
                return None;
            }
            tokio::select! {
                _ = &mut self.deadline => return None,
                _ = self.shutdown.changed() => return None,
                _ = self.ticker.tick(), if self.bookmarks => return Some(self.translator.bookmark()),
                received = self.live.recv() => match received {
                    Ok(event) => {
                        if let Some(line) = self.translator.translate(&event) {
                            return Some(line);
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let store = self.app.registry.store().clone();
                        let requested = self.translator.last;
                        let events =
                            tokio::task::spawn_blocking(move || store.events_after(requested))
                                .await
                                .ok()?;
                        let result = caught_up(events, &mut self.translator);
                        self.queue(result);
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// Reads the starting events: the current state, or the events after the
/// requested revision. An Err is the ERROR line that ends the watch.
fn initial_events(
    store: &crate::store::Store,
    kind: &'static KindInfo,
    start: Start,
    translator: &mut Translator,
) -> Result<Vec<Bytes>, Vec<u8>> {
    let internal =
        |e: StoreError| event_line("ERROR", &ApiError::internal(e.to_string()).to_status());
    match start {
        Start::Current => {
            let (mut items, revision) = store
                .list(kind.group, kind.plural, None)
                .map_err(internal)?;
            items.sort_by_key(identity);
            let lines = items.iter().filter_map(|o| translator.initial(o)).collect();
            translator.last = revision;
            Ok(lines)
        }
        Start::After(revision) => {
            if translator.selective {
                seed_at(store, kind, revision, translator);
            }
            translator.last = revision;
            catch_up(store, translator)
        }
    }
}

/// Seeds a selective watch resumed at `revision` with the objects that
/// matched then, as far as the event log still tells.
fn seed_at(
    store: &crate::store::Store,
    kind: &'static KindInfo,
    revision: Revision,
    translator: &mut Translator,
) {
    // Decoded one at a time up to `revision`: the log before a resumed
    // watch's revision can be most of the store's history.
    let mut seed = |event: StoreEvent| {
        if event.revision > revision {
            return false;
        }
        if event.key.group == kind.group && event.key.resource == kind.plural {
            match event.event_type {
                EventType::Deleted => {
                    translator.sent.remove(&identity(&event.object));
                }
                _ => translator.seed(&event.object),
            }
        }
        true
    };
    if let Err(StoreError::Compacted { oldest }) = store.visit_events(0, &mut seed) {
        let _ = store.visit_events(oldest, &mut seed);
    }
}

/// The events after the translator's last revision, read from the log.
fn catch_up(
    store: &crate::store::Store,
    translator: &mut Translator,
) -> Result<Vec<Bytes>, Vec<u8>> {
    caught_up(store.events_after(translator.last), translator)
}

/// The lines of the events read after the translator's last revision.
fn caught_up(
    events: Result<Vec<StoreEvent>, StoreError>,
    translator: &mut Translator,
) -> Result<Vec<Bytes>, Vec<u8>> {
    let requested = translator.last;
    match events {
        Ok(events) => Ok(events
            .iter()
            .filter_map(|e| translator.translate(e))
            .collect()),
        Err(StoreError::Compacted { oldest }) => Err(gone_event(requested, oldest)),
        Err(e) => Err(event_line(
            "ERROR",
            &ApiError::internal(e.to_string()).to_status(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ObjectKey;
    use petctl_model::kinds::by_name;

    fn event(revision: Revision, event_type: EventType, name: &str, app: &str) -> StoreEvent {
        StoreEvent {
            revision,
            event_type,
            key: ObjectKey {
                group: String::new(),
                resource: "pods".into(),
                namespace: "default".into(),
                name: name.into(),
            },
            object: Arc::new(
                json!({"metadata": {"name": name, "namespace": "default", "labels": {"app": app}}}),
            ),
        }
    }

    fn kind_of(line: &[u8]) -> String {
        let value: Value = serde_json::from_slice(line).unwrap();
        value["type"].as_str().unwrap().to_string()
    }

    #[test]
    fn objects_leaving_the_selection_are_deleted() {
        let pods = by_name("pods").unwrap();
        let filter: Filter =
            Arc::new(|o: &Value| o.pointer("/metadata/labels/app") == Some(&json!("web")));
        let mut t = Translator::new(pods, filter, true, 0);
        let seen: Vec<Option<String>> = [
            event(1, EventType::Added, "a", "web"),
            event(2, EventType::Modified, "a", "db"),
            event(3, EventType::Modified, "a", "web"),
            event(4, EventType::Modified, "a", "web"),
            event(4, EventType::Modified, "a", "web"),
            event(5, EventType::Added, "b", "db"),
            event(6, EventType::Deleted, "a", "web"),
        ]
        .iter()
        .map(|e| t.translate(e).map(|l| kind_of(&l)))
        .collect();
        let want = [
            Some("ADDED"),
            Some("DELETED"),
            Some("ADDED"),
            Some("MODIFIED"),
            None,
            None,
            Some("DELETED"),
        ];
        assert_eq!(seen, want.map(|w| w.map(str::to_string)));
    }

    #[test]
    fn other_resources_are_skipped_and_gone_is_410() {
        let sts = by_name("sts").unwrap();
        let mut t = Translator::new(sts, Arc::new(|_: &Value| true), false, 0);
        assert!(t.translate(&event(1, EventType::Added, "a", "x")).is_none());
        let line: Value = serde_json::from_slice(&gone_event(5, 100)).unwrap();
        assert_eq!(line["type"], "ERROR");
        assert_eq!(line["object"]["code"], 410);
        assert_eq!(line["object"]["reason"], "Expired");
        assert_eq!(
            line["object"]["message"],
            "too old resource version: 5 (99)"
        );
    }
}
