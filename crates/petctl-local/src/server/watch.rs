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
use tokio::sync::{broadcast, mpsc};

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
        self.sent.insert(identity(object));
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
        let id = identity(&event.object);
        let matches = (self.filter)(&event.object);
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
        let encode = || self.line(event_type, &event.object);
        Some(match &self.shared {
            Some(shared) => shared.line((event.revision, event_type, self.table), encode),
            None => Bytes::from(encode()),
        })
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
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let mut translator = Translator::new(kind, filter, selective, 0);
    translator.table = table;
    translator.shared = Some(app.shared_lines.clone());
    tokio::spawn(run(
        app, kind, start, translator, live, tx, timeout, bookmarks,
    ));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    let mut response = respond::json(200, &Value::Null);
    *response.body_mut() = Body::from_stream(stream);
    Ok(response)
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
    let events = match store.events_after(0) {
        Ok(events) => events,
        Err(StoreError::Compacted { oldest }) => match store.events_after(oldest) {
            Ok(events) => events,
            Err(_) => return,
        },
        Err(_) => return,
    };
    for event in events.iter().take_while(|e| e.revision <= revision) {
        if event.key.group != kind.group || event.key.resource != kind.plural {
            continue;
        }
        match event.event_type {
            EventType::Deleted => {
                translator.sent.remove(&identity(&event.object));
            }
            _ => translator.seed(&event.object),
        }
    }
}

/// The events after the translator's last revision, read from the log.
fn catch_up(
    store: &crate::store::Store,
    translator: &mut Translator,
) -> Result<Vec<Bytes>, Vec<u8>> {
    let requested = translator.last;
    match store.events_after(requested) {
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

/// Sends lines; false once the client has gone.
async fn send_all(tx: &mpsc::Sender<Bytes>, lines: Vec<Bytes>) -> bool {
    for line in lines {
        if tx.send(line).await.is_err() {
            return false;
        }
    }
    true
}

/// Sends a catch-up's lines, or its error line and ends the watch; false
/// once the watch is over (the error sent, or the client gone).
async fn forward(tx: &mpsc::Sender<Bytes>, result: Result<Vec<Bytes>, Vec<u8>>) -> bool {
    match result {
        Ok(lines) => send_all(tx, lines).await,
        Err(error) => {
            let _ = tx.send(Bytes::from(error)).await;
            false
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn run(
    app: Arc<App>,
    kind: &'static KindInfo,
    start: Start,
    translator: Translator,
    mut live: broadcast::Receiver<Arc<StoreEvent>>,
    tx: mpsc::Sender<Bytes>,
    timeout: Duration,
    bookmarks: bool,
) {
    let store = app.registry.store().clone();
    let started = tokio::task::spawn_blocking(move || {
        let mut translator = translator;
        let result = initial_events(&store, kind, start, &mut translator);
        (translator, result)
    })
    .await;
    let Ok((mut translator, result)) = started else {
        return;
    };
    if !forward(&tx, result).await {
        return;
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut shutdown = app.shutdown.clone();
    let mut ticker = tokio::time::interval(app.bookmark_interval);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = shutdown.changed() => return,
            _ = tx.closed() => return,
            _ = ticker.tick(), if bookmarks => {
                if tx.send(translator.bookmark()).await.is_err() {
                    return;
                }
            }
            received = live.recv() => match received {
                Ok(event) => {
                    if let Some(line) = translator.translate(&event) {
                        if tx.send(line).await.is_err() {
                            return;
                        }
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    let store = app.registry.store().clone();
                    let caught = tokio::task::spawn_blocking(move || {
                        let result = catch_up(&store, &mut translator);
                        (translator, result)
                    })
                    .await;
                    let Ok((back, result)) = caught else { return };
                    translator = back;
                    if !forward(&tx, result).await {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
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
