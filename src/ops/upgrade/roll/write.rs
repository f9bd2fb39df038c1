//! The rollout's writes, each read-decide-write retried on the one
//! helper while its precondition shows the object moved on: the template
//! patch (and its rollback and the strategy restore), and a pet's delete.

use anyhow::bail;
use serde_json::Value;

use super::super::patch::{self, TemplateDecision};
use super::super::pet::uid_of;
use super::super::plan::{Action, Strategy};
use super::super::world::{Moved, Stop};
use super::super::STRATEGY_ANNOTATION;
use super::{Phase, Roll};
use crate::client::request::{DeleteOptions, PatchType, Preconditions, WriteParams};
use crate::kinds;
use crate::ops::conflict::{precondition_failed, retry, Attempt};
use crate::ops::wait::PetState;

/// How many times a write is tried when the server fails it transiently
/// or a precondition shows the object moved on.
const ATTEMPTS: u32 = 6;

impl Roll<'_, '_> {
    /// Reads the set, asks `decide` what patch it still needs, and sends
    /// it; a failed `test`, a conflict or a transient error reads again, so
    /// a write the server did but whose answer was lost is not repeated.
    pub(super) async fn converge(
        &mut self,
        what: &str,
        decide: impl Fn(&Value) -> TemplateDecision,
    ) -> anyhow::Result<()> {
        let api = self.client.api(self.set.kind, Some(self.set.namespace()));
        let name = self.set.name().to_string();
        let label = self.label();
        let attempt = async |_| {
            let current: Value = match api.get(&name).await {
                Ok(current) => current,
                Err(err) if err.is_not_found() => return Err(Stop(Moved::Deleted).into()),
                Err(err) => {
                    return Err(anyhow::Error::new(err).context(format!("cannot read {label}")))
                }
            };
            self.set.object = current;
            let ops = match decide(&self.set.object) {
                TemplateDecision::Done => return Ok(Attempt::Done(())),
                TemplateDecision::Patch(ops) => ops,
                TemplateDecision::Changed(changed) => bail!(
                    "{label} changed while petctl was upgrading it: {changed}; not overwriting it: check the set, then run the command again"
                ),
            };
            match api
                .patch(
                    &name,
                    PatchType::Json,
                    &Value::Array(ops),
                    &WriteParams::default(),
                )
                .await
            {
                Ok(written) => {
                    self.set.object = written.object;
                    self.expected.wrote(&self.set.object);
                    Ok(Attempt::Done(()))
                }
                Err(err) if precondition_failed(&err) || err.is_retryable() => {
                    Ok(Attempt::Conflict(err))
                }
                Err(err) => {
                    Err(anyhow::Error::new(err).context(format!("cannot {what} of {label}")))
                }
            }
        };
        retry(ATTEMPTS, attempt, |last| {
            bail!("cannot {what} of {label}: {ATTEMPTS} attempts failed, the last with: {last}")
        })
        .await
    }

    pub(super) async fn template(&mut self) -> anyhow::Result<()> {
        let switch = match &self.plan.strategy {
            Strategy::Switch { original } => Some(original.clone()),
            _ => None,
        };
        let changes = self.plan.changes.clone();
        let work = self.plan.steps.iter().any(|s| {
            matches!(
                s.action,
                Action::Replace | Action::ReplaceStuck | Action::Await
            )
        });
        // Nothing to replace and nothing to patch: leave the strategy be.
        let switch = switch.filter(|_| work || !self.plan.template_done());
        if self.plan.template_done() && switch.is_none() {
            return Ok(());
        }
        self.converge("patch the template", |set| {
            patch::template(set, &changes, switch.as_ref())
        })
        .await?;
        let images: Vec<String> = changes
            .iter()
            .map(|c| format!("{}={}", c.container, c.to))
            .collect();
        let mut text = format!("{}: template has {}", self.label(), images.join(", "));
        if switch.is_some() {
            text.push_str(&format!(
                "; strategy OnDelete until the upgrade finishes (RollingUpdate kept in annotation {STRATEGY_ANNOTATION})"
            ));
        }
        self.step_note(text);
        Ok(())
    }

    /// Deletes the pet's pod on its uid and resourceVersion; a conflict or
    /// a transient error reads it again: deleted by a lost answer,
    /// re-created, or changed (a status update) and still to delete.
    pub(super) async fn delete(&mut self, step: usize, back: bool) -> anyhow::Result<Phase> {
        // A retry after a budget refused the eviction has run its hook.
        if !back && self.refused.as_ref().is_none_or(|r| r.step != step) {
            if let Some(stop) = self.before_pet(step).await? {
                return Ok(stop);
            }
        }
        if self.pod(step).is_some_and(|pod| self.budgets.evicts(&pod)) {
            return self.evict(step, back).await;
        }
        let name = self.pet_name(step);
        let pods = kinds::by_name("pods")
            .ok_or_else(|| anyhow::anyhow!("pods are not in the kinds table"))?;
        let api = self.client.api(pods, Some(self.set.namespace()));
        let mut pod = self.pod(step);
        let until = self.pet_deadline();
        // Said once, however many tries the delete takes.
        let mut announced = false;
        let attempt = async |_| {
            let Some(current) = pod.take() else {
                // Gone already: the controller re-creates it.
                return Ok(Attempt::Done(None));
            };
            let uid = uid_of(&current);
            if PetState::of(Some(&current)) == PetState::Terminating {
                return Ok(Attempt::Done(uid));
            }
            let options = DeleteOptions {
                preconditions: Some(Preconditions {
                    uid: uid.clone(),
                    resource_version: current
                        .pointer("/metadata/resourceVersion")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                }),
                ..Default::default()
            };
            if !std::mem::replace(&mut announced, true) {
                self.step_note(format!("deleting {name}"));
            }
            match api.delete(&name, &options).await {
                Ok(_) => {
                    if let Some(d) = self.deleted.get_mut(step) {
                        *d = true;
                    }
                    Ok(Attempt::Done(uid))
                }
                Err(err) if err.is_not_found() => Ok(Attempt::Done(uid)),
                Err(err) if err.is_conflict() || err.is_retryable() => {
                    match api.get::<Value>(&name).await {
                        Ok(fresh) if uid_of(&fresh) != uid => Ok(Attempt::Done(uid)),
                        Ok(fresh) => {
                            pod = Some(fresh);
                            Ok(Attempt::Conflict(()))
                        }
                        Err(e) if e.is_not_found() => Ok(Attempt::Done(uid)),
                        Err(e) => {
                            Err(anyhow::Error::new(e).context(format!("cannot read pod {name}")))
                        }
                    }
                }
                Err(err) => {
                    Err(anyhow::Error::new(err).context(format!("cannot delete pod {name}")))
                }
            }
        };
        let old_uid = retry(ATTEMPTS, attempt, |()| {
            bail!("cannot delete pod {name}: {ATTEMPTS} attempts failed")
        })
        .await?;
        Ok(self.awaiting(step, old_uid, until, back))
    }

    pub(super) async fn restore(&mut self) -> anyhow::Result<()> {
        self.converge("restore the update strategy", |set| {
            patch::restore(set).map_or(TemplateDecision::Done, TemplateDecision::Patch)
        })
        .await?;
        if matches!(
            self.plan.strategy,
            Strategy::Switch { .. } | Strategy::Switched { .. }
        ) {
            let label = self.label();
            self.step_note(format!("{label}: update strategy restored"));
        }
        Ok(())
    }
}
