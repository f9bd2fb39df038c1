//! Waiting: one watch, a pure condition evaluated on every change, and a
//! timeout. No polling. A wait on a set's pets also reports each pet's
//! state change and, as soon as the watch shows it, each blocker (a
//! pause, a crash loop, an image that cannot be pulled, a pet that cannot
//! be scheduled), once; a timeout explains what is still missing.

mod diagnosis;
mod live;
mod pet;

use std::time::Duration;

use serde_json::Value;

pub use diagnosis::{blockers, explain, last_events, report, Blocker, NotReady, Notices};
pub use live::{LivePets, Said, Touched};
pub use pet::{all_ready, pets_in, settled, shown, wanted, PetState, StateTracker};

use super::pets::Pet;
use super::progress::{Note, Progress};
use super::sets::Set;
use crate::client::request::ListParams;
use crate::client::watch::{Cache, Event, Watcher};
use crate::client::{Client, Error};
use crate::kinds;

/// Feeds every change of `watcher` to `condition` until it says done, or
/// the timeout passes. Returns what the condition said (None on timeout)
/// and the last state seen, for explaining a timeout.
pub async fn watch_until<T>(
    watcher: Watcher<'_>,
    timeout: Duration,
    mut condition: impl FnMut(&Cache) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    run_until(watcher, None, timeout, |cache, _| condition(cache)).await
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
    mut condition: impl FnMut(&Cache) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    run_until(watcher, Some(cache), timeout, |cache, _| condition(cache)).await
}

/// The watch loop of every wait: `condition` is asked after each event,
/// which it is given (None for a primed cache's first look).
async fn run_until<T>(
    mut watcher: Watcher<'_>,
    primed: Option<Cache>,
    timeout: Duration,
    mut condition: impl FnMut(&Cache, Option<&Event>) -> Option<T>,
) -> Result<(Option<T>, Cache), Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut cache = match primed {
        Some(cache) => {
            if let Some(done) = condition(&cache, None) {
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
        if let Some(done) = condition(&cache, Some(&event)) {
            return Ok((Some(done), cache));
        }
    }
}

/// A watch on the set's pods, by its selector.
pub fn pets_watcher<'c>(client: &'c Client, set: &Set) -> Watcher<'c> {
    let pods = kinds::by_name("pods").expect("pods are in the kinds table");
    Watcher::new(
        client,
        pods,
        Some(set.namespace()),
        ListParams::labels(set.selector_string()),
    )
}

/// Follows the set's pods on `watcher` (from its primed `before`, or its
/// first list) until `done` holds for the pets or `timeout` passes. Every
/// pet's state change and every blocker, when first seen, go to
/// `progress`. Returns whether it was done, and the pets last seen.
pub async fn pets_until(
    set: &Set,
    watcher: Watcher<'_>,
    before: Option<Cache>,
    timeout: Duration,
    progress: &mut dyn Progress,
    done: impl FnMut(&[Pet]) -> bool,
) -> Result<(bool, Vec<Pet>), Error> {
    let mut said = Said::default();
    pets_until_said(set, watcher, before, timeout, progress, &mut said, done).await
}

/// [`pets_until`], saying only what `said` has not said yet.
pub async fn pets_until_said(
    set: &Set,
    watcher: Watcher<'_>,
    before: Option<Cache>,
    timeout: Duration,
    progress: &mut dyn Progress,
    said: &mut Said,
    mut done: impl FnMut(&[Pet]) -> bool,
) -> Result<(bool, Vec<Pet>), Error> {
    let mut live: Option<LivePets> = None;
    let condition = |cache: &Cache, event: Option<&Event>| {
        let touched = match (live.as_mut(), event) {
            (Some(live), Some(event)) => live.apply(set, cache, event),
            _ => {
                live = Some(LivePets::new(set, cache));
                Touched::All
            }
        };
        let live = live.as_ref()?;
        for (pet, state) in said.states(set, live, &touched) {
            let state = shown(set, &pet, &state);
            progress.note(Note::Pet { pet, state });
        }
        if done(live.pets()) {
            return Some(());
        }
        for blocker in said.blockers(set, live, &touched) {
            progress.note(Note::Warning(blocker.notice(set)));
        }
        None
    };
    let (finished, cache) = run_until(watcher, before, timeout, condition).await?;
    let pets = match live {
        Some(live) => live.into_pets(),
        None => pets_in(set, &cache),
    };
    Ok((finished.is_some(), pets))
}

/// A wait that ran out of time: what it waited for and why it is not so.
#[derive(Debug)]
pub struct TimedOut {
    pub timeout: Duration,
    /// `petset "web" to reach 3 replicas`.
    pub waiting_for: String,
    /// Indented lines: each pet not Ready with its events, the pause.
    pub reasons: Vec<String>,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed out after {:?} waiting for {}",
            self.timeout, self.waiting_for
        )?;
        if !self.reasons.is_empty() {
            write!(f, ":\n{}", self.reasons.join("\n"))?;
        }
        Ok(())
    }
}

impl std::error::Error for TimedOut {}

/// Waits until every wanted pet of `set` is Running and Ready, then until
/// the set's status agrees; the create, resume and scale contract.
pub async fn set_ready(
    client: &Client,
    set: &Set,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let watcher = pets_watcher(client, set);
    let deadline = tokio::time::Instant::now() + timeout;
    let (ready, pets) = pets_until(set, watcher, None, timeout, progress, |pets| {
        all_ready(set, pets)
    })
    .await?;
    if !ready {
        let (not_ready, reasons) = report(client, set, &pets).await;
        return Err(TimedOut {
            timeout,
            waiting_for: format!(
                "{}: {} of {} pets not Ready",
                set.label(),
                not_ready.len(),
                set.replicas()
            ),
            reasons,
        }
        .into());
    }
    status_caught_up_by(client, set, deadline, timeout).await
}

/// Waits until the set's own status has caught up (see
/// [`status_caught_up`]), until `deadline`.
pub async fn status_caught_up_by(
    client: &Client,
    set: &Set,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> anyhow::Result<()> {
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    let watcher = set_watcher(client, set);
    let (caught_up, _) = watch_until(watcher, left, |cache| {
        cache
            .get(set.namespace(), set.name())
            .filter(|s| status_caught_up(s))
            .map(|_| ())
    })
    .await?;
    match caught_up {
        Some(()) => Ok(()),
        None => Err(TimedOut {
            timeout,
            waiting_for: format!("the status of {} to catch up", set.label()),
            reasons: Vec::new(),
        }
        .into()),
    }
}

/// Waits until the set's controller has seen its current spec: its
/// status's observedGeneration reaches its generation (the pause contract
/// of a StatefulSet, whose partition is in the spec).
pub async fn generation_observed(
    client: &Client,
    set: &Set,
    timeout: Duration,
) -> anyhow::Result<()> {
    let watcher = set_watcher(client, set);
    let (seen, _) = watch_until(watcher, timeout, |cache| {
        let set = cache.get(set.namespace(), set.name())?;
        let int = |p: &str| set.pointer(p).and_then(Value::as_i64);
        (int("/status/observedGeneration") >= int("/metadata/generation")).then_some(())
    })
    .await?;
    seen.ok_or_else(|| {
        TimedOut {
            timeout,
            waiting_for: format!("the controller of {} to see its change", set.label()),
            reasons: Vec::new(),
        }
        .into()
    })
}

/// A watch on the set itself.
fn set_watcher<'c>(client: &'c Client, set: &Set) -> Watcher<'c> {
    Watcher::new(
        client,
        set.kind,
        Some(set.namespace()),
        ListParams::fields(format!("metadata.name={}", set.name())),
    )
}

/// The set's own status agrees that every pet is there and (for a
/// StatefulSet) Ready and, rolling, updated above its partition, for the
/// current generation — so what is read next (`get`, `rollout status`)
/// says the same.
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
    let rolling = set
        .pointer("/spec/updateStrategy/type")
        .and_then(Value::as_str)
        != Some("OnDelete");
    let partition = int("/spec/updateStrategy/rollingUpdate/partition").unwrap_or(0);
    // As `kubectl rollout status`: pets at or above the partition run the
    // update revision.
    let updated = !rolling
        || int("/status/updatedReplicas").unwrap_or(replicas) >= (replicas - partition).max(0);
    observed && updated && int("/status/readyReplicas").unwrap_or(0) == replicas
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

    #[test]
    fn a_rolling_statefulset_status_counts_once_updated_above_the_partition() {
        let sts = |partition: i64, updated: i64| {
            json!({"kind": "StatefulSet", "metadata": {"generation": 1},
                   "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}},
                   "status": {"observedGeneration": 1, "readyReplicas": 3, "updatedReplicas": updated}})
        };
        assert!(!status_caught_up(&sts(0, 2)), "still rolling");
        assert!(status_caught_up(&sts(0, 3)));
        assert!(status_caught_up(&sts(2, 1)), "below the partition is kept");
        assert!(status_caught_up(&sts(3, 0)), "paused");
        let mut on_delete = sts(0, 0);
        on_delete["spec"]["updateStrategy"] = json!({"type": "OnDelete"});
        assert!(status_caught_up(&on_delete));
    }

    #[test]
    fn a_timeout_names_what_it_waited_for() {
        let timed_out = TimedOut {
            timeout: Duration::from_secs(2),
            waiting_for: "petset \"web\" to reach 3 replicas".into(),
            reasons: vec!["  web-2: Missing".into()],
        };
        assert_eq!(
            timed_out.to_string(),
            "timed out after 2s waiting for petset \"web\" to reach 3 replicas:\n  web-2: Missing"
        );
    }
}
