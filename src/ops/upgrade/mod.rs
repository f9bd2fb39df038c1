//! `upgrade-image`: change container images in a set's template and replace
//! its pets one by one, in order, by deleting each and waiting on a watch
//! for its re-creation — safe (never more than max-unavailable pets down)
//! and resumable (progress is read from the cluster, never remembered).

pub mod disruption;
pub mod fleet;
mod patch;
pub(crate) mod pet;
pub mod plan;
mod roll;
mod world;

use std::time::Duration;

use serde::Serialize;

use crate::client::request::ListParams;
use crate::client::watch::{Cache, Watcher};
use crate::client::Client;
use crate::error::InvalidInput;
use crate::kinds;
use crate::ops::access::{self, Need};
use crate::ops::progress::Progress;
use crate::ops::sets::Set;
use crate::ops::wait::pets_in;

pub use disruption::Disruption;
pub use plan::{Action, Change, Plan};

/// Where a RollingUpdate StatefulSet's own strategy is kept while petctl
/// holds it at OnDelete, so that any later run can restore it.
pub const STRATEGY_ANNOTATION: &str = "petctl.io/upgrade-update-strategy";

/// `CONTAINER=IMAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageChange {
    pub container: String,
    pub image: String,
}

impl ImageChange {
    pub fn parse(arg: &str) -> Result<ImageChange, InvalidInput> {
        match arg.split_once('=') {
            Some((container, image))
                if !container.is_empty()
                    && !image.is_empty()
                    && !image.contains(char::is_whitespace) =>
            {
                Ok(ImageChange {
                    container: container.to_string(),
                    image: image.to_string(),
                })
            }
            _ => Err(InvalidInput(format!(
                "invalid image change {arg:?}: expected CONTAINER=IMAGE, e.g. nginx=nginx-slim:0.8"
            ))),
        }
    }
}

/// The order pets are replaced in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Highest ordinal first, the StatefulSet convention: ordinal 0, often
    /// the primary, goes last.
    #[default]
    Descending,
    Ascending,
}

#[derive(Debug, Clone)]
pub struct UpgradeOptions {
    pub images: Vec<ImageChange>,
    pub order: Order,
    /// Only ordinals at or above it are replaced; None means the set's own
    /// RollingUpdate partition, or 0.
    pub partition: Option<i64>,
    pub pet_timeout: Duration,
    pub min_ready: Duration,
    pub max_unavailable: u32,
    /// Replace unready pets that do not look broken too.
    pub force: bool,
    pub rollback_on_failure: bool,
    /// For the whole upgrade; None means no limit beyond each pet's.
    pub timeout: Option<Duration>,
    /// `--before-pet`/`--after-pet`: around each pet's replacement.
    pub hooks: crate::ops::hooks::Hooks,
    /// Evict (honouring disruption budgets) or delete each pet.
    pub disruption: Disruption,
}

impl UpgradeOptions {
    /// What cannot be right whatever the cluster says.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        if self.images.is_empty() {
            return Err(InvalidInput::new(
                "no image given: name at least one CONTAINER=IMAGE",
            ));
        }
        for (i, change) in self.images.iter().enumerate() {
            if self.images[..i]
                .iter()
                .any(|c| c.container == change.container)
            {
                return Err(InvalidInput(format!(
                    "container {:?} is named more than once",
                    change.container
                )));
            }
        }
        if self.max_unavailable != 1 {
            return Err(InvalidInput(format!(
                "--max-unavailable {}: only 1 is supported (pets are replaced one at a time)",
                self.max_unavailable
            )));
        }
        if let Some(p) = self.partition.filter(|p| *p < 0) {
            return Err(InvalidInput(format!("--partition {p}: must be 0 or more")));
        }
        if self.pet_timeout.is_zero() {
            return Err(InvalidInput::new("--pet-timeout must be more than 0"));
        }
        Ok(())
    }
}

/// How an upgrade ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Only planned (`--dry-run`).
    Planned,
    Completed,
    /// A pet did not become Ready; the rest were left untouched.
    Failed,
    /// A pet did not become Ready and was brought back on the old image.
    RolledBack,
    /// Someone else changed the set (deleted, scaled, a new template) or
    /// took its lease: the upgrade stopped without touching more pets.
    Stopped,
    /// One rollout of several sets stopped before this one's turn: its
    /// template was not patched, its pets are untouched.
    NotStarted,
}

impl Status {
    /// How a person says it: `failed`, `rolled back`.
    pub fn words(self) -> &'static str {
        match self {
            Status::Planned => "planned",
            Status::Completed => "completed",
            Status::Failed => "failed",
            Status::RolledBack => "rolled back",
            Status::Stopped => "stopped",
            Status::NotStarted => "not started",
        }
    }
}

/// What happened to one pet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum PetResult {
    /// What the plan would do (`--dry-run`).
    Planned(Action),
    Replaced,
    /// Replaced by an earlier run; waited for until Ready.
    Awaited,
    Skipped,
    /// Below the partition.
    Kept,
    Failed,
    RolledBack,
    /// The upgrade stopped before this pet.
    Untouched,
    /// Removed by someone else's scale-down during the upgrade: gone, not down.
    Removed,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PetOutcome {
    pub name: String,
    pub ordinal: i64,
    pub result: PetResult,
    /// The PodDisruptionBudgets that select the pet, when planned.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub budgets: Vec<String>,
}

/// The outcome, as `-o json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// `statefulset/web`.
    pub set: String,
    pub namespace: String,
    pub status: Status,
    pub images: Vec<Change>,
    pub pets: Vec<PetOutcome>,
    /// Why it failed: the pet, its state, the container's reason, events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The hooks a `--dry-run` would run (pets to replace get both, pets to
    /// wait for the after-hook).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hooks: Option<PlannedHooks>,
}

/// `--before-pet`/`--after-pet` in a planned outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedHooks {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_pet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_pet: Option<String>,
    pub timeout_seconds: u64,
}

impl PlannedHooks {
    fn of(hooks: &crate::ops::hooks::Hooks) -> Option<PlannedHooks> {
        hooks.any().then(|| PlannedHooks {
            before_pet: hooks.before.clone(),
            after_pet: hooks.after.clone(),
            timeout_seconds: hooks.timeout.as_secs(),
        })
    }
}

impl Outcome {
    fn planned(plan: &Plan, hooks: &crate::ops::hooks::Hooks) -> Outcome {
        Outcome {
            set: plan.set.clone(),
            namespace: plan.namespace.clone(),
            status: Status::Planned,
            images: plan.changes.clone(),
            pets: plan
                .steps
                .iter()
                .map(|s| PetOutcome {
                    name: s.pet.clone(),
                    ordinal: s.ordinal,
                    result: PetResult::Planned(s.action),
                    budgets: s.budgets.clone(),
                })
                .collect(),
            error: None,
            hooks: PlannedHooks::of(hooks),
        }
    }
}

/// An upgrade that has read the cluster and planned, with its watch of the
/// set's pods open, ready to be shown, confirmed, and run.
pub struct Prepared<'c> {
    client: &'c Client,
    set: Set,
    watcher: Watcher<'c>,
    cache: Cache,
    /// The watch of the set itself, to notice others' changes.
    set_watcher: Watcher<'c>,
    expected: world::Expected,
    options: UpgradeOptions,
    budgets: disruption::Budgets<'c>,
    /// The other sets of one rollout across several: their pets down count
    /// against max-unavailable too (the pod watch is then the namespace's).
    others: Vec<Set>,
    pub plan: Plan,
}

/// Opens the two watches the upgrade uses throughout, one on the set and
/// one on its pods (so no change between planning and the first delete is
/// missed), and plans from their first lists.
pub async fn prepare<'c>(
    client: &'c Client,
    set: Set,
    options: UpgradeOptions,
) -> anyhow::Result<Prepared<'c>> {
    prepare_among(client, set, options, Vec::new()).await
}

/// As [`prepare`], for one set of a rollout across several: `others`' pets
/// down are counted against max-unavailable too, from one watch of the
/// namespace's pods (the shared view of who is down).
pub async fn prepare_among<'c>(
    client: &'c Client,
    set: Set,
    options: UpgradeOptions,
    others: Vec<Set>,
) -> anyhow::Result<Prepared<'c>> {
    options.validate()?;
    let mut set_watcher = Watcher::new(
        client,
        set.kind,
        Some(set.namespace()),
        ListParams::fields(format!("metadata.name={}", set.name())),
    );
    let listed = set_watcher
        .next()
        .await
        .map_err(|e| anyhow::anyhow!(e).context(format!("cannot watch {}", set.label())))?;
    let set = match listed {
        crate::client::watch::Event::Restarted(mut items) if items.len() == 1 => Set {
            kind: set.kind,
            object: items.remove(0),
        },
        _ => anyhow::bail!("{} was deleted", set.label()),
    };
    let expected = world::Expected::of(&set.object);
    let pods =
        kinds::by_name("pods").ok_or_else(|| anyhow::anyhow!("pods are not in the kinds table"))?;
    let params = if others.is_empty() {
        ListParams::labels(set.selector_string())
    } else {
        ListParams::default()
    };
    let mut watcher = Watcher::new(client, pods, Some(set.namespace()), params);
    let mut cache = Cache::default();
    let first = watcher.next().await.map_err(|e| {
        anyhow::anyhow!(e).context(format!(
            "cannot list the pets of {} {}/{}",
            set.kind.singular,
            set.namespace(),
            set.name()
        ))
    })?;
    cache.apply(&first);
    let budgets = disruption::Budgets::open(client, set.namespace(), options.disruption).await?;
    let mut plan = plan::plan(&set, &pets_in(&set, &cache), &options)?;
    for step in &mut plan.steps {
        if let Some(pod) = cache.get(set.namespace(), &step.pet) {
            step.budgets = budgets.names(pod);
        }
    }
    Ok(Prepared {
        budgets,
        others,
        client,
        set,
        watcher,
        cache,
        set_watcher,
        expected,
        options,
        plan,
    })
}

impl<'c> Prepared<'c> {
    /// The plan as text.
    pub fn render(&self) -> String {
        let text = plan::render(&self.plan, &self.options);
        text + &roll::hook_plan(&self.plan, &self.options.hooks)
    }

    /// Fails before any change unless the user may patch the set and
    /// delete (and evict) its pods.
    pub async fn check_access(&self) -> anyhow::Result<()> {
        let namespace = self.set.namespace();
        let mut needs = vec![
            Need::new("patch", self.set.kind, namespace),
            Need::new("delete", kinds::builtin("pods"), namespace),
        ];
        let evicts = match self.options.disruption {
            Disruption::Evict => true,
            Disruption::Auto => self.plan.steps.iter().any(|s| !s.budgets.is_empty()),
            Disruption::Delete => false,
        };
        if evicts {
            needs.push(Need::new("create", kinds::builtin("pods"), namespace).on("eviction"));
        }
        access::require(
            self.client,
            &needs,
            &format!("upgrade of {}", self.set.label()),
        )
        .await
    }

    /// Runs under the operation lease on `set` (as the lease left it): a
    /// watch event showing the lease taken over stops the upgrade.
    pub fn under_lease(&mut self, set: &Set) {
        self.expected.lease = crate::ops::lease::lease_of(&set.object).map(|r| r.id);
    }

    /// The outcome of `--dry-run`.
    pub fn planned(&self) -> Outcome {
        Outcome::planned(&self.plan, &self.options.hooks)
    }

    /// Patches the template and replaces the pets. A pet that does not get
    /// Ready is an outcome (`Failed`, `RolledBack`), not an error; errors
    /// are the API's, and running the same command again resumes.
    pub async fn execute(self, progress: &mut dyn Progress) -> anyhow::Result<Outcome> {
        roll::Roll::new(self, progress).run().await
    }
}

/// Plans and runs an upgrade.
pub async fn run(
    client: &Client,
    set: Set,
    options: UpgradeOptions,
    progress: &mut dyn Progress,
) -> anyhow::Result<Outcome> {
    prepare(client, set, options).await?.execute(progress).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options that change `images`: descending, one pet at a time, no partition.
    pub(super) fn options(images: &[&str]) -> UpgradeOptions {
        UpgradeOptions {
            images: images
                .iter()
                .map(|i| ImageChange::parse(i).unwrap())
                .collect(),
            order: Order::Descending,
            partition: None,
            pet_timeout: Duration::from_secs(300),
            min_ready: Duration::ZERO,
            max_unavailable: 1,
            force: false,
            rollback_on_failure: false,
            timeout: None,
            hooks: Default::default(),
            disruption: Disruption::Auto,
        }
    }

    #[test]
    fn image_changes_parse() {
        assert_eq!(
            ImageChange::parse("nginx=registry:5000/nginx:1.1@sha256:ab").unwrap(),
            ImageChange {
                container: "nginx".into(),
                image: "registry:5000/nginx:1.1@sha256:ab".into()
            }
        );
        for bad in ["nginx", "=img", "nginx=", "nginx=a b"] {
            assert_eq!(
                ImageChange::parse(bad).unwrap_err().0,
                format!("invalid image change {bad:?}: expected CONTAINER=IMAGE, e.g. nginx=nginx-slim:0.8")
            );
        }
    }

    #[test]
    fn options_validate() {
        assert!(options(&["a=x"]).validate().is_ok());
        let cases: Vec<(UpgradeOptions, &str)> = vec![
            (
                options(&[]),
                "no image given: name at least one CONTAINER=IMAGE",
            ),
            (
                options(&["a=x", "a=y"]),
                "container \"a\" is named more than once",
            ),
            (
                UpgradeOptions {
                    max_unavailable: 2,
                    ..options(&["a=x"])
                },
                "--max-unavailable 2: only 1 is supported (pets are replaced one at a time)",
            ),
            (
                UpgradeOptions {
                    partition: Some(-1),
                    ..options(&["a=x"])
                },
                "--partition -1: must be 0 or more",
            ),
            (
                UpgradeOptions {
                    pet_timeout: Duration::ZERO,
                    ..options(&["a=x"])
                },
                "--pet-timeout must be more than 0",
            ),
        ];
        for (o, want) in cases {
            assert_eq!(o.validate().unwrap_err().0, want);
        }
    }
}
