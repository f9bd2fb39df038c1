//! `scale`: change a set's replicas with a precondition, then follow the
//! controller — new pets Running and Ready in ordinal order, removed pets
//! gone in reverse order — on one watch. Claims are never touched; the
//! outcome says which ones a scale-down left behind.

use std::time::Duration;

use serde_json::{json, Value};

use super::hooks::{Hooks, PetContext, When};
use super::progress::Progress;
use super::sets::{self, Set};
use super::wait;
use crate::client::request::WriteParams;
use crate::client::watch::Watcher;
use crate::client::{Client, Error};

#[derive(Debug, Clone)]
pub struct ScaleOptions {
    pub replicas: i64,
    /// `--current-replicas`: scale only if the set has this many now.
    pub current_replicas: Option<i64>,
    pub wait: bool,
    pub timeout: Duration,
    pub dry_run: bool,
    /// `--before-pet`/`--after-pet` around each removed pet: with them, a
    /// scale-down goes one pet at a time whatever the kind.
    pub hooks: Hooks,
}

/// What a scale will do, computed before anything changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePlan {
    pub from: i64,
    pub to: i64,
    /// Pets to be created, in the order the controller creates them.
    pub create: Vec<String>,
    /// Pets to be removed, in the order the controller removes them.
    pub remove: Vec<String>,
}

impl std::fmt::Display for ScalePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.from == self.to {
            return write!(f, "already at {} replicas", self.to);
        }
        write!(f, "from {} to {} replicas: ", self.from, self.to)?;
        if !self.create.is_empty() {
            write!(f, "create {}", self.create.join(", then "))?;
        } else {
            write!(f, "remove {}", self.remove.join(", then "))?;
        }
        Ok(())
    }
}

/// The plan: pets to create in ordinal order, or to remove in reverse.
pub fn plan(set: &Set, to: i64) -> ScalePlan {
    let from = set.replicas();
    let first = set.first_ordinal();
    let (create, remove) = if to > from {
        (
            (first + from..first + to)
                .map(|o| set.pet_name(o))
                .collect(),
            Vec::new(),
        )
    } else {
        (
            Vec::new(),
            (first + to..first + from)
                .rev()
                .map(|o| set.pet_name(o))
                .collect(),
        )
    };
    ScalePlan {
        from,
        to,
        create,
        remove,
    }
}

/// How a scale ended.
#[derive(Debug, Clone)]
pub struct ScaleOutcome {
    pub set: Set,
    pub plan: ScalePlan,
    /// The set is paused (PetSet `initialized: "false"`): pets will not
    /// follow until it is resumed.
    pub paused: bool,
    /// Claims of removed ordinals that still exist.
    pub kept_claims: Vec<String>,
}

/// The replicas change itself: the scale subresource with the
/// resourceVersion read, or (PetSets, which have no scale subresource) a
/// JSON Patch guarded by a `test` of the resourceVersion. A concurrent
/// change is re-read and retried while `--current-replicas` still holds.
async fn set_replicas(
    client: &Client,
    set: Set,
    options: &ScaleOptions,
) -> Result<Set, anyhow::Error> {
    let mut attempt = 0;
    sets::retry_on_conflict(client, set, async |set| {
        attempt += 1;
        // A repeat after a lost answer may find the change already made.
        if attempt > 1 && set.replicas() == options.replicas {
            return Ok(set.clone());
        }
        if let Some(expected) = options.current_replicas {
            if set.replicas() != expected {
                anyhow::bail!("Expected replicas to be {expected}, was {}", set.replicas());
            }
        }
        // A real 1.3/1.4 server has no petsets/scale: PetSets take a
        // guarded JSON Patch of spec.replicas wherever they are served.
        if set.kind.has_subresource("scale") && !set.is_petset() {
            let scale = json!({
                "apiVersion": "autoscaling/v1",
                "kind": "Scale",
                "metadata": {"name": set.name(), "namespace": set.namespace(), "resourceVersion": set.resource_version()},
                "spec": {"replicas": options.replicas},
            });
            client
                .api(set.kind, Some(set.namespace()))
                .replace(
                    set.name(),
                    Some("scale"),
                    &scale,
                    &WriteParams::dry_run(options.dry_run),
                )
                .await?;
            if options.dry_run {
                return Ok(set.clone());
            }
            Ok(sets::refresh(client, set).await?)
        } else {
            let op = json!({"op": "replace", "path": "/spec/replicas", "value": options.replicas});
            Ok(sets::patch_guarded(client, set, vec![op], options.dry_run).await?)
        }
    })
    .await
}

/// Scales `set` and, with `wait`, follows the controller until the pets
/// match. Every pet's state change goes to `progress`.
pub async fn scale(
    client: &Client,
    set: Set,
    options: &ScaleOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<ScaleOutcome> {
    let plan = plan(&set, options.replicas);
    let paused = set.is_petset() && set.paused();
    if options.dry_run {
        let set = set_replicas(client, set, options).await?;
        return Ok(ScaleOutcome {
            set,
            plan,
            paused,
            kept_claims: Vec::new(),
        });
    }
    // The watch lists before the change, so no transition is missed.
    let mut watcher = wait::pets_watcher(client, &set);
    let mut before = wait::prime(&mut watcher).await?;
    let pods_now: Vec<Value> = before.values().cloned().collect();
    let paused =
        paused || (set.is_petset() && !super::pause::paused_pets(&set, &pods_now).is_empty());
    let deadline = tokio::time::Instant::now() + options.timeout;
    let mut said = wait::Said::default();
    let hooked = options.hooks.any() && plan.to < plan.from;
    if hooked && paused {
        anyhow::bail!(
            "{} is paused (pod.alpha.kubernetes.io/initialized: \"false\"), so its pets would not go and their hooks could not follow; resume it first (petctl resume {})",
            set.label(),
            set.name()
        );
    }
    let set = if plan.from == plan.to && options.current_replicas.is_none() {
        set
    } else if hooked {
        // Each step's pet is gone, its after-hook run, before the next.
        let set = step_down(client, set, options, deadline, progress, &mut said).await?;
        watcher = wait::pets_watcher(client, &set);
        before = wait::prime(&mut watcher).await?;
        set
    } else if set.is_petset() && !paused && plan.to + 1 < plan.from {
        let set = step_down(client, set, options, deadline, progress, &mut said).await?;
        // The last step is followed from here on: the steps' history is
        // behind, and already said.
        watcher = wait::pets_watcher(client, &set);
        before = wait::prime(&mut watcher).await?;
        set_replicas(
            client,
            set,
            &ScaleOptions {
                current_replicas: None,
                ..options.clone()
            },
        )
        .await?
    } else {
        set_replicas(client, set, options).await?
    };
    // A paused set is not done: the wait says so and goes on, for the
    // set may be resumed meanwhile.
    if options.wait {
        let wait = Wait {
            deadline,
            timeout: options.timeout,
        };
        follow(client, &set, watcher, before, wait, progress, &mut said).await?;
    }
    let kept_claims = kept_claims(client, &set, plan.from.max(plan.to)).await?;
    Ok(ScaleOutcome {
        set,
        plan,
        paused,
        kept_claims,
    })
}

/// Lowers a PetSet's replicas one at a time, each removed pet gone before
/// the next step, down to one above `options.replicas` (the caller makes
/// the last step) — or, with hooks, of any set down to `options.replicas`,
/// each pet's before-hook run before the step and its after-hook once it
/// is gone. The 1.3/1.4 PetSet controller removes the
/// newest-created pets first, not the highest ordinals, so after pets were
/// recreated (an upgrade, a crash) a jump of several replicas would take
/// them out of order; one at a time, the only surplus pet is the highest.
async fn step_down(
    client: &Client,
    mut set: Set,
    options: &ScaleOptions,
    deadline: tokio::time::Instant,
    progress: &mut dyn Progress,
    said: &mut wait::Said,
) -> anyhow::Result<Set> {
    // `--current-replicas` holds for the first step only.
    let mut expected = options.current_replicas;
    let hooks = &options.hooks;
    // Checked before the first hook runs, not only by the first write.
    if let Some(wanted) = expected.filter(|e| *e != set.replicas() && hooks.any()) {
        anyhow::bail!("Expected replicas to be {wanted}, was {}", set.replicas());
    }
    let floor = options.replicas + i64::from(!hooks.any());
    while set.replicas() > floor {
        let pet = PetContext::of(&set, set.first_ordinal() + set.replicas() - 1);
        hooks.run(When::Before, &pet, progress).await?;
        let step = ScaleOptions {
            replicas: set.replicas() - 1,
            current_replicas: expected.take(),
            ..options.clone()
        };
        let mut watcher = wait::pets_watcher(client, &set);
        let before = wait::prime(&mut watcher).await?;
        set = set_replicas(client, set, &step).await?;
        let gone = format!("{}-{}", set.name(), set.first_ordinal() + step.replicas);
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        // The step is followed like any wait: each pet's change and each
        // blocker (a pause, a pet the controller waits on) said at once.
        let surplus_gone = |pets: &[super::pets::Pet]| {
            !pets
                .iter()
                .any(|p| !wait::wanted(&set, p.ordinal) && p.pod.is_some())
        };
        let (done, pets) = wait::pets_until_said(
            &set,
            watcher,
            Some(before),
            left,
            progress,
            said,
            surplus_gone,
        )
        .await?;
        if !done {
            let waiting_for = format!(
                "{gone} to go before scaling {} further (it stays at {} replicas)",
                set.label(),
                set.replicas()
            );
            return Err(timed_out(client, &set, &pets, options.timeout, waiting_for).await);
        }
        hooks.run(When::After, &pet, progress).await?;
    }
    Ok(set)
}

/// The whole scale's `--timeout`, and when it runs out.
#[derive(Debug, Clone, Copy)]
struct Wait {
    deadline: tokio::time::Instant,
    timeout: Duration,
}

/// Waits until pets 0..replicas are Ready and no pet at or above replicas
/// is left, reporting each change and each blocker; then until the set's
/// status agrees.
async fn follow(
    client: &Client,
    set: &Set,
    watcher: Watcher<'_>,
    before: crate::client::watch::Cache,
    wait: Wait,
    progress: &mut dyn Progress,
    said: &mut wait::Said,
) -> anyhow::Result<()> {
    let Wait { deadline, timeout } = wait;
    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
    let (done, pets) =
        wait::pets_until_said(set, watcher, Some(before), left, progress, said, |pets| {
            wait::settled(set, pets)
        })
        .await?;
    if !done {
        let waiting_for = format!("{} to reach {} replicas", set.label(), set.replicas());
        return Err(timed_out(client, set, &pets, timeout, waiting_for).await);
    }
    wait::status_caught_up_by(client, set, deadline, timeout).await
}

/// The timeout of a scale's wait: why each wanted pet is not Ready, and
/// each pet above the replicas still there.
async fn timed_out(
    client: &Client,
    set: &Set,
    pets: &[super::pets::Pet],
    timeout: Duration,
    waiting_for: String,
) -> anyhow::Error {
    let (_, mut reasons) = wait::report(client, set, pets).await;
    for pet in pets
        .iter()
        .filter(|p| !wait::wanted(set, p.ordinal) && p.pod.is_some())
    {
        reasons.push(format!("  {}: still there ({})", pet.name, pet.state));
    }
    wait::TimedOut {
        timeout,
        waiting_for,
        reasons,
    }
    .into()
}

/// The claims of ordinals at or above the set's replicas (up to `upto`)
/// that still exist.
async fn kept_claims(client: &Client, set: &Set, upto: i64) -> Result<Vec<String>, Error> {
    let first = set.first_ordinal();
    let removed = first + set.replicas()..first + upto;
    Ok(super::pets::claims(client, set)
        .await?
        .into_iter()
        .filter(|(ordinal, _)| removed.contains(ordinal))
        .map(|(_, name)| name)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;

    fn set(replicas: i64) -> Set {
        Set {
            kind: kinds::by_name("petset").unwrap(),
            object: json!({"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": replicas}}),
        }
    }

    #[test]
    fn plans_go_up_in_order_and_down_in_reverse() {
        let up = plan(&set(2), 5);
        assert_eq!(up.create, vec!["web-2", "web-3", "web-4"]);
        assert_eq!(
            up.to_string(),
            "from 2 to 5 replicas: create web-2, then web-3, then web-4"
        );
        let down = plan(&set(5), 3);
        assert_eq!(down.remove, vec!["web-4", "web-3"]);
        assert_eq!(
            down.to_string(),
            "from 5 to 3 replicas: remove web-4, then web-3"
        );
        assert_eq!(plan(&set(3), 3).to_string(), "already at 3 replicas");
    }
}
