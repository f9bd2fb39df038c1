//! How a rollout that cannot go on ends: stopped because someone else
//! changed the set, or failed on a pet, rolled back when it can be, and
//! said so with the pets left untouched.

use super::super::patch;
use super::super::plan::{Action, Strategy};
use super::super::world::Moved;
use super::super::{PetResult, Status, STRATEGY_ANNOTATION};
use super::{Phase, Roll};
use crate::ops::pets::Pet;
use crate::ops::wait::explain;

impl Roll<'_, '_> {
    /// Someone else changed the set: stop, saying what changed. Pets a
    /// scale-down removed are gone, not down.
    pub(super) fn stopped(&mut self, moved: Moved) -> Phase {
        let label = self.label();
        let what = match moved {
            Moved::Deleted => format!("{label} was deleted while petctl was upgrading it"),
            Moved::Recreated => format!(
                "{label} was deleted and created again while petctl was upgrading it"
            ),
            Moved::Scaled { from, to } => {
                let first = self.set.first_ordinal();
                let mut removed = Vec::new();
                for (s, r) in self.plan.steps.iter().zip(self.results.iter_mut()) {
                    if s.ordinal >= first + to.max(0) && s.ordinal < first + from {
                        *r = PetResult::Removed;
                        removed.push(s.pet.clone());
                    }
                }
                let mut text = format!(
                    "{label} was scaled from {from} to {to} replicas by someone else while petctl was upgrading it"
                );
                if !removed.is_empty() {
                    text.push_str(&format!(
                        "; {} removed by that scale-down (gone, not down)",
                        removed.join(", ")
                    ));
                }
                text
            }
            Moved::Template(diff) => format!(
                "the template of {label} was changed by someone else while petctl was upgrading it: {diff}"
            ),
            Moved::Lease(why) => why,
        };
        let untouched: Vec<String> = self
            .plan
            .steps
            .iter()
            .zip(self.results.iter().zip(&self.deleted))
            .filter(|(_, (r, deleted))| **r == PetResult::Untouched && !**deleted)
            .map(|(s, _)| s.pet.clone())
            .collect();
        let message = format!("{what}; no further pet was replaced");
        self.end(Status::Stopped, message, &untouched)
    }

    pub(super) async fn failed(
        &mut self,
        step: usize,
        reason: String,
        back: bool,
    ) -> anyhow::Result<Phase> {
        let name = self.pet_name(step);
        let pets: Vec<Pet> = self
            .pets()
            .iter()
            .filter(|p| p.name == name)
            .cloned()
            .collect();
        let why: Vec<String> = explain(self.client, &self.set, &pets)
            .await
            .iter()
            .map(|n| format!("  {n}"))
            .collect();
        let mut message = reason;
        if !why.is_empty() {
            message = format!("{message}:\n{}", why.join("\n"));
        }
        if !back {
            if let Some(r) = self.results.get_mut(step) {
                *r = PetResult::Failed;
            }
        }
        let can_roll_back = !back
            && self.options.rollback_on_failure
            && self.plan.previous.len() == self.plan.changes.len()
            && self
                .plan
                .steps
                .get(step)
                .is_some_and(|s| s.action != Action::Keep);
        if can_roll_back {
            self.step_note(format!(
                "{name} failed; rolling the template back and replacing {name} again"
            ));
            self.error = Some(message);
            let previous = self.plan.previous.clone();
            self.converge("roll the template back", |set| {
                patch::template(set, &previous, None)
            })
            .await?;
            self.status = Status::RolledBack;
            return Ok(Phase::Delete { step, back: true });
        }
        if back {
            let first = self.error.take().unwrap_or_default();
            self.error = Some(format!("{first}\nthe rollback failed too: {message}"));
            self.status = Status::Failed;
            return Ok(Phase::Finished);
        }
        if self.options.rollback_on_failure {
            message.push_str("\nno rollback: the previous image is not known");
        }
        Ok(self.failed_leaving_untouched(message))
    }

    /// Fails the rollout with `message`, naming the pets left untouched.
    pub(super) fn failed_leaving_untouched(&mut self, message: String) -> Phase {
        let untouched: Vec<String> = self
            .plan
            .steps
            .iter()
            .zip(&self.results)
            .filter(|(_, r)| **r == PetResult::Untouched)
            .map(|(s, _)| s.pet.clone())
            .collect();
        self.end(Status::Failed, message, &untouched)
    }

    /// Ends the rollout as `status` with `message`, naming the pets left
    /// untouched and a strategy left switched.
    fn end(&mut self, status: Status, mut message: String, untouched: &[String]) -> Phase {
        if !untouched.is_empty() {
            message.push_str(&format!("\nleft untouched: {}", untouched.join(", ")));
        }
        self.strategy_note(&mut message);
        self.status = status;
        self.error = Some(message);
        Phase::Finished
    }

    /// A switched set stays OnDelete when the upgrade does not finish.
    fn strategy_note(&self, message: &mut String) {
        if !matches!(self.plan.strategy, Strategy::OnDelete) {
            message.push_str(&format!(
                "\n{} stays OnDelete (its own strategy is kept in annotation {STRATEGY_ANNOTATION}) until an upgrade-image run completes",
                self.plan.set
            ));
        }
    }
}
