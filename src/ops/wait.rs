//! Waiting: one watch, a pure condition evaluated on every change, and a
//! timeout. No polling. Also the pet states that progress is reported in.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::pets::{assemble, Pet};
use super::sets::Set;
use crate::client::request::ListParams;
use crate::client::watch::{Cache, Watcher};
use crate::client::{Client, Error};
use crate::kinds;
use crate::output::pod;

/// Feeds every change of `watcher` to `condition` until it says done, or
/// the timeout passes. Returns what the condition said (None on timeout)
/// and the last state seen, for explaining a timeout.
pub async fn watch_until<T>(
    watcher: Watcher<'_>,
    timeout: Duration,
    condition: impl FnMut(&Cache) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    run_until(watcher, None, timeout, condition).await
}

/// Takes the watcher's first list now, so that a watch opened before a
/// change sees the state before it and every transition after.
pub async fn prime(watcher: &mut Watcher<'_>) -> Result<Cache, Error> {
    let mut cache = Cache::default();
    cache.apply(&watcher.next().await?);
    Ok(cache)
}

/// As `watch_until`, starting from a primed `cache`; the condition is
/// first asked about the cache as it is (an empty list is a state too).
pub async fn watch_until_from<T>(
    watcher: Watcher<'_>,
    cache: Cache,
    timeout: Duration,
    condition: impl FnMut(&Cache) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    run_until(watcher, Some(cache), timeout, condition).await
}

async fn run_until<T>(
    mut watcher: Watcher<'_>,
    primed: Option<Cache>,
    timeout: Duration,
    mut condition: impl FnMut(&Cache) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut cache = match primed {
        Some(cache) => {
            if let Some(done) = condition(&cache) {
                return Ok((Some(done), cache));
            }
            cache
        }
        None => Cache::default(),
    };
    loop {
        let event = match tokio::time::timeout_at(deadline, watcher.next()).await {
            Ok(event) => event?,
            Err(_) => return Ok((None, cache)),
        };
        cache.apply(&event);
        if let Some(done) = condition(&cache) {
            return Ok((Some(done), cache));
        }
    }
}

/// Where a pet stands, as progress shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PetState {
    Missing,
    /// Pending, ContainerCreating, CrashLoopBackOff, … (the pod's STATUS).
    Waiting(String),
    Running,
    Ready,
    Terminating,
}

impl std::fmt::Display for PetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PetState::Missing => f.write_str("Missing"),
            PetState::Waiting(reason) => f.write_str(reason),
            PetState::Running => f.write_str("Running"),
            PetState::Ready => f.write_str("Ready"),
            PetState::Terminating => f.write_str("Terminating"),
        }
    }
}

impl PetState {
    pub fn of(pod: Option<&Value>) -> PetState {
        let Some(p) = pod else {
            return PetState::Missing;
        };
        let status = pod::status(p);
        if status == "Terminating" {
            PetState::Terminating
        } else if pod::is_ready(p) {
            PetState::Ready
        } else if status == "Running" {
            PetState::Running
        } else {
            PetState::Waiting(status)
        }
    }
}

/// The pets of `set` as the pods in `cache` show them.
pub fn pets_in(set: &Set, cache: &Cache) -> Vec<Pet> {
    let pods: Vec<Value> = cache.values().cloned().collect();
    assemble(set, &pods, &[])
}

/// Every wanted pet is Ready (and, with `image`, runs it in `container`).
pub fn all_ready(set: &Set, pets: &[Pet]) -> bool {
    let first = set.first_ordinal();
    let wanted = first..first + set.replicas().max(0);
    pets.iter()
        .filter(|p| wanted.contains(&p.ordinal))
        .all(|p| PetState::of(p.pod.as_ref()) == PetState::Ready)
        && pets.iter().filter(|p| wanted.contains(&p.ordinal)).count() as i64
            == set.replicas().max(0)
}

/// Remembers each pet's last state and tells what changed.
#[derive(Debug, Default)]
pub struct StateTracker {
    last: BTreeMap<String, PetState>,
}

impl StateTracker {
    /// The pets whose state differs from the last call, in ordinal order.
    /// A pet that was seen and is no longer wanted nor present is reported
    /// once as Missing (gone).
    pub fn changes(&mut self, pets: &[Pet]) -> Vec<(String, PetState)> {
        let mut changed = Vec::new();
        for pet in pets {
            let state = PetState::of(pet.pod.as_ref());
            if self.last.get(&pet.name) != Some(&state) {
                self.last.insert(pet.name.clone(), state.clone());
                changed.push((pet.name.clone(), state));
            }
        }
        let vanished: Vec<String> = self
            .last
            .iter()
            .filter(|(name, state)| {
                **state != PetState::Missing && !pets.iter().any(|p| &p.name == *name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in vanished {
            self.last.insert(name.clone(), PetState::Missing);
            changed.push((name, PetState::Missing));
        }
        changed
    }
}

/// Why a pet is not Ready: its state, the container's waiting reason and
/// message, and its last events.
#[derive(Debug, Clone, PartialEq)]
pub struct NotReady {
    pub pet: String,
    pub state: PetState,
    pub detail: Option<String>,
    pub events: Vec<String>,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.pet, self.state)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        for event in &self.events {
            write!(f, "\n    {event}")?;
        }
        Ok(())
    }
}

fn waiting_detail(pod: &Value) -> Option<String> {
    pod.pointer("/status/containerStatuses")?
        .as_array()?
        .iter()
        .find_map(|cs| {
            let waiting = cs.pointer("/state/waiting")?;
            let reason = waiting.get("reason")?.as_str()?;
            let message = waiting.get("message").and_then(Value::as_str).unwrap_or("");
            Some(if message.is_empty() {
                format!("container {}: {reason}", cs["name"].as_str().unwrap_or("?"))
            } else {
                format!(
                    "container {}: {reason}: {message}",
                    cs["name"].as_str().unwrap_or("?")
                )
            })
        })
}

/// The last `limit` events about the object `name` with `uid` (an older
/// object of the same name has its own), oldest first, as `Reason: message`
/// lines.
pub async fn last_events(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
    limit: usize,
) -> Vec<String> {
    let Some(kind) = kinds::by_name("events") else {
        return Vec::new();
    };
    let url = format!(
        "{}{}",
        crate::client::request::path(kind, Some(namespace), None, None),
        ListParams::fields(format!(
            "involvedObject.name={name},involvedObject.uid={uid}"
        ))
        .query(false)
    );
    let Ok(resp) = client.send(crate::client::Method::GET, &url, None).await else {
        return Vec::new();
    };
    let list: Value = resp.json(client.server()).unwrap_or_default();
    let mut events: Vec<&Value> = list["items"].as_array().into_iter().flatten().collect();
    events.sort_by_key(|e| {
        e["lastTimestamp"]
            .as_str()
            .or(e["eventTime"].as_str())
            .unwrap_or("")
            .to_string()
    });
    events
        .iter()
        .rev()
        .take(limit)
        .rev()
        .map(|e| {
            format!(
                "{} {}: {}",
                e["type"].as_str().unwrap_or("Normal"),
                e["reason"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Explains each wanted pet that is not Ready.
pub async fn explain(client: &Client, set: &Set, pets: &[Pet]) -> Vec<NotReady> {
    let mut out = Vec::new();
    let first = set.first_ordinal();
    let wanted = first..first + set.replicas().max(0);
    for pet in pets.iter().filter(|p| wanted.contains(&p.ordinal)) {
        let state = PetState::of(pet.pod.as_ref());
        if state == PetState::Ready {
            continue;
        }
        out.push(NotReady {
            pet: pet.name.clone(),
            detail: pet.pod.as_ref().and_then(waiting_detail),
            events: match pet
                .pod
                .as_ref()
                .and_then(|p| p.pointer("/metadata/uid")?.as_str())
            {
                Some(uid) => last_events(client, set.namespace(), &pet.name, uid, 3).await,
                None => Vec::new(),
            },
            state,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_petset_status_counts_once_it_has_seen_the_spec() {
        let petset = |generation: i64, observed: Option<i64>, replicas: i64| {
            let mut status = json!({"replicas": replicas});
            if let Some(observed) = observed {
                status["observedGeneration"] = json!(observed);
            }
            json!({"kind": "PetSet", "metadata": {"generation": generation}, "spec": {"replicas": 1}, "status": status})
        };
        assert!(!status_caught_up(&petset(2, Some(1), 1)), "an old count");
        assert!(status_caught_up(&petset(2, Some(2), 1)));
        assert!(
            status_caught_up(&petset(2, None, 1)),
            "1.3 has no observedGeneration"
        );
        assert!(!status_caught_up(&petset(2, Some(2), 2)));
    }

    fn set() -> Set {
        Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 2}}),
        }
    }

    fn pod(name: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name}, "spec": {"containers": [{"name": "c"}]},
               "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    #[test]
    fn readiness_of_the_whole_set() {
        let s = set();
        assert!(!all_ready(&s, &assemble(&s, &[pod("web-0", true)], &[])));
        assert!(!all_ready(
            &s,
            &assemble(&s, &[pod("web-0", true), pod("web-1", false)], &[])
        ));
        assert!(all_ready(
            &s,
            &assemble(&s, &[pod("web-0", true), pod("web-1", true)], &[])
        ));
    }

    #[test]
    fn tracker_reports_only_changes() {
        let s = set();
        let mut t = StateTracker::default();
        let first = t.changes(&assemble(&s, &[pod("web-0", false)], &[]));
        assert_eq!(
            first,
            vec![
                ("web-0".into(), PetState::Running),
                ("web-1".into(), PetState::Missing)
            ]
        );
        assert!(t
            .changes(&assemble(&s, &[pod("web-0", false)], &[]))
            .is_empty());
        assert_eq!(
            t.changes(&assemble(&s, &[pod("web-0", true)], &[])),
            vec![("web-0".into(), PetState::Ready)]
        );
    }
}

/// How waiting for a set ended.
#[derive(Debug)]
pub enum SetWait {
    Ready,
    TimedOut(Vec<NotReady>),
}

/// Waits on one watch of the set's pods until every wanted pet is Running
/// and Ready, reporting each pet's state changes to `progress`.
pub async fn set_ready(
    client: &Client,
    set: &Set,
    timeout: Duration,
    progress: &mut dyn FnMut(&str, &PetState),
) -> Result<SetWait, Error> {
    let pods = kinds::by_name("pods").expect("pods are in the kinds table");
    let watcher = Watcher::new(
        client,
        pods,
        Some(set.namespace()),
        ListParams::labels(set.selector_string()),
    );
    let mut tracker = StateTracker::default();
    let deadline = tokio::time::Instant::now() + timeout;
    let (done, cache) = watch_until(watcher, timeout, |cache| {
        let pets = pets_in(set, cache);
        for (name, state) in tracker.changes(&pets) {
            progress(&name, &state);
        }
        all_ready(set, &pets).then_some(())
    })
    .await?;
    if done.is_none() {
        return Ok(SetWait::TimedOut(
            explain(client, set, &pets_in(set, &cache)).await,
        ));
    }
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    let watcher = Watcher::new(
        client,
        set.kind,
        Some(set.namespace()),
        ListParams::fields(format!("metadata.name={}", set.name())),
    );
    let (caught_up, _) = watch_until(watcher, left, |cache| {
        cache
            .get(set.namespace(), set.name())
            .filter(|s| status_caught_up(s))
            .map(|_| ())
    })
    .await?;
    Ok(match caught_up {
        Some(()) => SetWait::Ready,
        None => SetWait::TimedOut(Vec::new()),
    })
}

/// The set's own status agrees that every pet is there and (for a
/// StatefulSet) Ready, for the current generation — so what is read next
/// (`get`, `rollout status`) says the same.
pub fn status_caught_up(set: &Value) -> bool {
    let int = |p: &str| set.pointer(p).and_then(Value::as_i64);
    let replicas = int("/spec/replicas").unwrap_or(1);
    let observed = int("/status/observedGeneration") >= int("/metadata/generation");
    if set["kind"] == "PetSet" || set["apiVersion"] == "apps/v1alpha1" {
        // 1.3 PetSets may not report observedGeneration; 1.4 ones do, and
        // until it catches up their replicas count is the old spec's.
        let observed = observed || set.pointer("/status/observedGeneration").is_none();
        return observed && int("/status/replicas") == Some(replicas);
    }
    observed && int("/status/readyReplicas").unwrap_or(0) == replicas
}
