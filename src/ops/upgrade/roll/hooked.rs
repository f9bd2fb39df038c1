//! The per-pet hooks of a rollout: the before-hook right before a pet's
//! pod is deleted, the after-hook once its replacement is Ready past
//! min-ready. Which pets get them is read from the cluster like every
//! other decision: a pet already on the new image is skipped (no hooks),
//! one already deleted (a resumed run) is awaited and gets only its
//! after-hook. A failing hook stops the rollout with the pet untouched.

use super::super::plan::{Action, Plan};
use super::{Phase, Roll};
use crate::ops::hooks::{HookFailed, Hooks, PetContext, When};
use crate::ops::wait::PetState;

impl Roll<'_, '_> {
    fn hook_context(&self, step: usize) -> PetContext {
        let ordinal = self.plan.steps.get(step).map_or(0, |s| s.ordinal);
        let old = self.plan.changes.iter().map(|c| {
            self.plan
                .previous
                .iter()
                .find(|p| p.container == c.container)
                .map_or(c.from.as_str(), |p| p.to.as_str())
        });
        PetContext {
            old_image: old.collect::<Vec<_>>().join(","),
            new_image: self
                .plan
                .changes
                .iter()
                .map(|c| c.to.as_str())
                .collect::<Vec<_>>()
                .join(","),
            ..PetContext::of(&self.set, ordinal)
        }
    }

    /// The before-hook of a pet about to be deleted (one whose pod is gone
    /// or terminating already gets none): Some(phase) to stop.
    pub(super) async fn before_pet(&mut self, step: usize) -> anyhow::Result<Option<Phase>> {
        let pod = self.pod(step);
        if pod.is_none() || PetState::of(pod.as_ref()) == PetState::Terminating {
            return Ok(None);
        }
        self.hook(When::Before, step).await
    }

    /// The after-hook of a pet Ready on the new image: Some(phase) to stop.
    pub(super) async fn after_pet(&mut self, step: usize) -> anyhow::Result<Option<Phase>> {
        self.hook(When::After, step).await
    }

    async fn hook(&mut self, when: When, step: usize) -> anyhow::Result<Option<Phase>> {
        if self.options.hooks.command(when).is_none() {
            return Ok(None);
        }
        let context = self.hook_context(step);
        let hooks = self.options.hooks.clone();
        let err = match hooks.run(when, &context, &mut *self.progress).await {
            Ok(()) => return Ok(None),
            Err(err) if err.is::<HookFailed>() => err,
            Err(err) => return Err(err),
        };
        Ok(Some(self.failed_leaving_untouched(err.to_string())))
    }
}

/// The plan's hooks line: pets to replace get both hooks, pets to wait
/// for (replaced by an earlier run) only the after-hook.
pub(in super::super) fn hook_plan(plan: &Plan, hooks: &Hooks) -> String {
    let pets = |actions: &[Action]| -> Vec<&str> {
        plan.steps
            .iter()
            .filter(|s| actions.contains(&s.action))
            .map(|s| s.pet.as_str())
            .collect()
    };
    let replaced = [Action::Replace, Action::ReplaceStuck];
    let back = [Action::Replace, Action::ReplaceStuck, Action::Await];
    hooks
        .plan_line(&pets(&replaced), &pets(&back))
        .map(|line| format!("{line}\n"))
        .unwrap_or_default()
}
