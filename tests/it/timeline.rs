//! The invariant recorder: a background thread watches the pods, claims,
//! PetSets and StatefulSets of a namespace through petctl's own client
//! library, from before an operation starts until stopped, and keeps every
//! event with its time. Pure helpers then check the invariants of ordered
//! operations on it, some in server revision order (the local control
//! plane's resourceVersions are integers).
//!
//! ```ignore
//! let timeline = Timeline::start(&server, "default");
//! petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]);
//! let entries = timeline.stop();
//! assert_eq!(deletion_order("web", &entries), ["web-2", "web-1", "web-0"]);
//! assert!(max_not_ready("web", 3, &entries) <= 1);
//! ```

#![allow(dead_code)]

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use petctl::client::kubeconfig::{load, resolve, LoadingRules, Overrides};
use petctl::client::request::ListParams;
use petctl::client::watch::{Event, Watcher};
use petctl::client::{Client, ClientOptions};

use crate::support::LocalServer;

/// Which collection an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Pod,
    Claim,
    PetSet,
    StatefulSet,
}

/// What is watched, and under which kind-table name.
const WATCHED: [(Resource, &str); 4] = [
    (Resource::Pod, "pods"),
    (Resource::Claim, "persistentvolumeclaims"),
    (Resource::PetSet, "petsets"),
    (Resource::StatefulSet, "statefulsets"),
];

/// One watch event: `Restarted` carries the whole state (the first list,
/// or a relist after a 410).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Since the recorder started.
    pub at: Duration,
    pub resource: Resource,
    pub event: Event,
}

type Shared = Arc<(Mutex<Vec<Entry>>, Condvar)>;

/// A running recorder; [`Timeline::stop`] ends it and returns the entries.
pub struct Timeline {
    shared: Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

fn client_for(server: &LocalServer) -> Result<Client, String> {
    let rules = LoadingRules {
        explicit: Some(server.kubeconfig()),
        ..Default::default()
    };
    let loaded = load(&rules).map_err(|e| format!("{e:#}"))?;
    let resolved = resolve(&loaded.config, &Overrides::default()).map_err(|e| format!("{e:#}"))?;
    Client::new(&resolved, ClientOptions::default()).map_err(|e| format!("{e:#}"))
}

/// Records every event of one watcher, until it fails.
async fn pump(
    mut watcher: Watcher<'_>,
    resource: Resource,
    record: &impl Fn(Resource, Event),
) -> Result<(), String> {
    loop {
        record(resource, watcher.next().await.map_err(|e| e.to_string())?);
    }
}

impl Timeline {
    /// Starts watching pods, claims and sets in `namespace`; returns once
    /// every first list is in, so nothing the operation does is missed.
    pub fn start(server: &LocalServer, namespace: &str) -> Timeline {
        let client = client_for(server).expect("a client for the local control plane");
        let shared: Shared = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
        let namespace = namespace.to_string();
        let recorded = shared.clone();
        let thread = std::thread::spawn(move || -> Result<(), String> {
            let rt = crate::support::runtime();
            rt.block_on(async move {
                let started = Instant::now();
                let kind = |n: &str| petctl::kinds::by_name(n).expect("kind in table");
                let mut watchers = WATCHED.map(|(resource, name)| {
                    let watcher =
                        Watcher::new(&client, kind(name), Some(&namespace), ListParams::default());
                    (resource, watcher)
                });
                let record = |resource, event| {
                    let (lock, cond) = &*recorded;
                    lock.lock().expect("timeline lock").push(Entry {
                        at: started.elapsed(),
                        resource,
                        event,
                    });
                    cond.notify_all();
                };
                for (resource, watcher) in &mut watchers {
                    record(*resource, watcher.next().await.map_err(|e| e.to_string())?);
                }
                let _ = ready_tx.send(());
                // Each watcher runs in its own loop: a `next()` cut short
                // by a select would lose its stream and relist.
                let [pods, claims, petsets, statefulsets] = watchers;
                tokio::select! {
                    result = pump(pods.1, pods.0, &record) => result,
                    result = pump(claims.1, claims.0, &record) => result,
                    result = pump(petsets.1, petsets.0, &record) => result,
                    result = pump(statefulsets.1, statefulsets.0, &record) => result,
                    _ = &mut stop_rx => Ok(()),
                }
            })
        });
        if ready_rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let why = thread.join().map(|r| r.err().unwrap_or_default());
            panic!("the timeline recorder did not start: {why:?}");
        }
        Timeline {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The entries so far.
    pub fn entries(&self) -> Vec<Entry> {
        self.shared.0.lock().expect("timeline lock").clone()
    }

    /// Blocks until `condition` holds for the entries so far; panics after
    /// `timeout`, naming `what`.
    pub fn wait_for(&self, what: &str, timeout: Duration, condition: impl Fn(&[Entry]) -> bool) {
        let (lock, cond) = &*self.shared;
        let deadline = Instant::now() + timeout;
        let mut entries = lock.lock().expect("timeline lock");
        while !condition(&entries) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "timed out after {timeout:?} waiting for {what}"
            );
            entries = cond.wait_timeout(entries, left).expect("timeline lock").0;
        }
    }

    /// Stops recording and returns every entry.
    pub fn stop(mut self) -> Vec<Entry> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            match thread.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => panic!("the timeline recorder failed: {e}"),
                Err(_) => panic!("the timeline recorder panicked"),
            }
        }
        self.entries()
    }
}

impl Drop for Timeline {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

mod checks;
pub use checks::*;
