//! The plan of an image upgrade, from the set and its pets as read: which
//! template containers change, what each pet needs (replace, wait, skip,
//! keep) and in which order. Pure, so the preflight rules are tested here.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{Disruption, Order, UpgradeOptions};
use crate::error::InvalidInput;
use crate::ops::pets::Pet;
use crate::ops::sets::Set;
use crate::ops::wait::PetState;
use crate::pod;

/// Waiting reasons that say a container is broken, not just slow: a pet in
/// one of them is down already, and replacing it cannot cost availability.
const BROKEN: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "Error",
    "OOMKilled",
];

/// One template container whose image changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub container: String,
    /// Its index in `spec.template.spec.containers`.
    #[serde(skip)]
    pub index: usize,
    /// The template's image when petctl read it.
    pub from: String,
    pub to: String,
}

/// What the upgrade does with one pet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Not Ready on an old image and broken (a stuck rollout, #67250):
    /// replaced before any other, without waiting for it.
    ReplaceStuck,
    /// Ready on an old image: deleted once no other pet is down.
    Replace,
    /// Missing, terminating, or on the new image but not Ready yet (an
    /// earlier run replaced it): waited for, never deleted again.
    Await,
    /// Ready on the new image already.
    Skip,
    /// Below the partition: left alone.
    Keep,
}

impl Action {
    fn describe(self) -> &'static str {
        match self {
            Action::ReplaceStuck => "replace first",
            Action::Replace => "replace",
            Action::Await => "wait",
            Action::Skip => "skip",
            Action::Keep => "keep",
        }
    }
}

/// One pet in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub pet: String,
    pub ordinal: i64,
    pub action: Action,
    pub state: PetState,
    /// The pet's image for the first changed container ("" when missing).
    pub image: String,
    /// The PodDisruptionBudgets selecting the pet (filled in by `prepare`).
    pub budgets: Vec<String>,
}

/// How the set takes a new template while petctl replaces its pets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// A PetSet, or a StatefulSet with OnDelete: nothing to change.
    OnDelete,
    /// A RollingUpdate StatefulSet: switched to OnDelete for the upgrade
    /// (its strategy recorded in [`super::STRATEGY_ANNOTATION`]) and
    /// restored after.
    Switch { original: Value },
    /// An earlier run switched it and did not finish.
    Switched { original: Value },
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `statefulset/web`.
    pub set: String,
    pub namespace: String,
    pub changes: Vec<Change>,
    pub strategy: Strategy,
    pub partition: i64,
    /// In the order they are handled.
    pub steps: Vec<Step>,
    /// The images to go back to on `--rollback-on-failure`, when known.
    pub previous: Vec<Change>,
}

impl Plan {
    /// Whether the template already has every new image (a resumed run).
    pub fn template_done(&self) -> bool {
        self.changes.iter().all(|c| c.from == c.to)
    }
}

/// Whether `pod` runs every new image.
pub fn on_target(pod: &Value, changes: &[Change]) -> bool {
    changes
        .iter()
        .all(|c| pod::image(pod, Some(&c.container)) == c.to)
}

/// Finds each named container in the template.
pub fn changes(set: &Set, options: &UpgradeOptions) -> Result<Vec<Change>, InvalidInput> {
    let template = set.template_images();
    let names: Vec<&str> = template.iter().map(|(n, _)| n.as_str()).collect();
    options
        .images
        .iter()
        .map(|wanted| {
            let found = template
                .iter()
                .enumerate()
                .find(|(_, (name, _))| *name == wanted.container);
            match found {
                Some((index, (_, image))) => Ok(Change {
                    container: wanted.container.clone(),
                    index,
                    from: image.clone(),
                    to: wanted.image.clone(),
                }),
                None => Err(unknown_container(set, &wanted.container, &names)),
            }
        })
        .collect()
}

fn unknown_container(set: &Set, name: &str, names: &[&str]) -> InvalidInput {
    let suggestion = petctl_model::suggest::closest(name, names.iter().copied())
        .map(|n| format!(": did you mean {n:?}?"))
        .unwrap_or_default();
    InvalidInput(format!(
        "{} {}/{} has no container {name:?}{suggestion} (its containers: {})",
        set.kind.singular,
        set.namespace(),
        set.name(),
        names.join(", ")
    ))
}

/// The partition: `--partition`, else a RollingUpdate StatefulSet's own.
pub fn partition(set: &Set, options: &UpgradeOptions) -> i64 {
    options.partition.unwrap_or_else(|| {
        recorded_or_current_strategy(set)
            .pointer("/rollingUpdate/partition")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    })
}

fn recorded_or_current_strategy(set: &Set) -> Value {
    recorded_strategy(set)
        .or_else(|| set.object.pointer("/spec/updateStrategy").cloned())
        .unwrap_or(Value::Null)
}

/// The strategy an unfinished run recorded on the set.
pub fn recorded_strategy(set: &Set) -> Option<Value> {
    let text = set
        .object
        .pointer("/metadata/annotations")?
        .get(super::STRATEGY_ANNOTATION)?
        .as_str()?;
    serde_json::from_str(text).ok()
}

fn strategy(set: &Set) -> Strategy {
    if let Some(original) = recorded_strategy(set) {
        return Strategy::Switched { original };
    }
    if set.update_strategy() == "OnDelete" {
        return Strategy::OnDelete;
    }
    let original = set
        .object
        .pointer("/spec/updateStrategy")
        .cloned()
        .unwrap_or_else(|| serde_json::json!({"type": "RollingUpdate"}));
    Strategy::Switch { original }
}

/// Whether an unready pet is broken (crash-looping, image not pulled)
/// rather than busy (starting, recovering), which must not be interrupted.
pub fn broken(pod: &Value) -> bool {
    BROKEN.contains(&pod::status(pod).as_str())
}

pub(super) fn action(
    pod: Option<&Value>,
    changes: &[Change],
    below_partition: bool,
) -> (Action, PetState) {
    let state = PetState::of(pod);
    let Some(pod) = pod.filter(|_| !below_partition) else {
        let action = if below_partition {
            Action::Keep
        } else {
            Action::Await
        };
        return (action, state);
    };
    let action = match (&state, on_target(pod, changes)) {
        (PetState::Terminating, _) => Action::Await,
        (PetState::Ready, true) => Action::Skip,
        (_, true) => Action::Await,
        (PetState::Ready, false) => Action::Replace,
        (_, false) => Action::ReplaceStuck,
    };
    (action, state)
}

/// The images to restore on failure: the template's when it still had
/// them, else (a resumed run) those of a pet not yet replaced.
fn previous(changes: &[Change], pets: &[Pet]) -> Vec<Change> {
    changes
        .iter()
        .filter_map(|c| {
            let from = if c.from != c.to {
                c.from.clone()
            } else {
                pets.iter()
                    .filter_map(|p| p.pod.as_ref())
                    .map(|p| pod::image(p, Some(&c.container)).to_string())
                    .find(|image| !image.is_empty() && *image != c.to)?
            };
            Some(Change {
                container: c.container.clone(),
                index: c.index,
                from: c.to.clone(),
                to: from,
            })
        })
        .collect()
}

/// Plans the upgrade, or refuses: unknown containers are invalid input;
/// unready pets that are not simply broken stop it unless `--force`.
pub fn plan(set: &Set, pets: &[Pet], options: &UpgradeOptions) -> anyhow::Result<Plan> {
    let changes = changes(set, options)?;
    let partition = partition(set, options);
    let wanted = set.wanted_ordinals();
    let mut steps: Vec<Step> = pets
        .iter()
        .filter(|p| wanted.contains(&p.ordinal))
        .map(|p| {
            let (action, state) = action(
                p.pod.as_ref(),
                &changes,
                p.ordinal - wanted.start < partition,
            );
            let image = p
                .pod
                .as_ref()
                .zip(changes.first())
                .map(|(pod, c)| pod::image(pod, Some(&c.container)).to_string())
                .unwrap_or_default();
            Step {
                pet: p.name.clone(),
                ordinal: p.ordinal,
                action,
                state,
                image,
                budgets: Vec::new(),
            }
        })
        .collect();
    let busy: Vec<String> = steps
        .iter()
        .zip(pets.iter().filter(|p| wanted.contains(&p.ordinal)))
        .filter(|(s, p)| s.action == Action::ReplaceStuck && !p.pod.as_ref().is_some_and(broken))
        .map(|(s, _)| format!("{} ({})", s.pet, s.state))
        .collect();
    if !busy.is_empty() && !options.force {
        anyhow::bail!(
            "refusing to upgrade {} {}/{}: {} not Ready on an old image and not broken, so {} may be busy (starting or recovering): wait for {} or pass --force to replace {} anyway",
            set.kind.singular,
            set.namespace(),
            set.name(),
            busy.join(", "),
            if busy.len() == 1 { "it" } else { "they" },
            if busy.len() == 1 { "it" } else { "them" },
            if busy.len() == 1 { "it" } else { "them" },
        );
    }
    let rank = |s: &Step| -> (u8, i64) {
        let first = u8::from(!matches!(s.action, Action::ReplaceStuck | Action::Await));
        let ordinal = match options.order {
            Order::Descending => -s.ordinal,
            Order::Ascending => s.ordinal,
        };
        (first, ordinal)
    };
    steps.sort_by_key(rank);
    Ok(Plan {
        set: format!("{}/{}", set.kind.singular, set.name()),
        namespace: set.namespace().to_string(),
        previous: previous(&changes, pets),
        changes,
        strategy: strategy(set),
        partition,
        steps,
    })
}

/// `5m`, `30s`, `250ms`.
pub fn human(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// The plan as shown before an upgrade and by `--dry-run`.
pub fn render(plan: &Plan, options: &UpgradeOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "upgrade {} in namespace {}:", plan.set, plan.namespace);
    for c in &plan.changes {
        if c.from == c.to {
            let _ = writeln!(
                out,
                "  container {}: {} (template already updated)",
                c.container, c.to
            );
        } else {
            let _ = writeln!(out, "  container {}: {} -> {}", c.container, c.from, c.to);
        }
    }
    let strategy = match &plan.strategy {
        Strategy::OnDelete => {
            "OnDelete: petctl deletes each pet, the controller recreates it".to_string()
        }
        Strategy::Switch { .. } => {
            "RollingUpdate: switched to OnDelete for the upgrade, restored after".to_string()
        }
        Strategy::Switched { .. } => {
            "OnDelete, switched by an unfinished upgrade: the recorded strategy is restored after"
                .to_string()
        }
    };
    let _ = writeln!(out, "strategy: {strategy}");
    let order = match options.order {
        Order::Descending => "descending",
        Order::Ascending => "ascending",
    };
    let _ = writeln!(
        out,
        "order: {order}, partition {}, max unavailable {}, min ready {}, pet timeout {}",
        plan.partition,
        options.max_unavailable,
        human(options.min_ready),
        human(options.pet_timeout)
    );
    let budgets = plan.steps.iter().any(|s| !s.budgets.is_empty());
    if budgets || options.disruption != Disruption::Auto {
        let how = match options.disruption {
            Disruption::Auto => "evict where a PodDisruptionBudget selects the pet, else delete",
            Disruption::Evict => "evict every pet (its budgets honoured)",
            Disruption::Delete => "delete every pet (budgets not honoured)",
        };
        let _ = writeln!(out, "disruption: {}: {how}", options.disruption.word());
    }
    let width = plan.steps.iter().map(|s| s.pet.len()).max().unwrap_or(0);
    for (i, step) in plan.steps.iter().enumerate() {
        let image = if step.image.is_empty() {
            String::new()
        } else {
            format!(" on {}", step.image)
        };
        let why = match step.action {
            Action::ReplaceStuck => " (stuck: it is down already)",
            Action::Keep => " (below the partition)",
            _ => "",
        };
        let budget = match (step.budgets.is_empty(), options.disruption) {
            (true, _) => String::new(),
            (false, Disruption::Delete) => {
                format!(" [budget {}: not honoured]", step.budgets.join(", "))
            }
            (false, _) => format!(" [budget {}]", step.budgets.join(", ")),
        };
        let _ = writeln!(
            out,
            "  {:>2}. {:<width$}  {:<13}  {}{image}{why}{budget}",
            i + 1,
            step.pet,
            step.action.describe(),
            step.state,
        );
    }
    out
}

#[cfg(test)]
mod tests;
