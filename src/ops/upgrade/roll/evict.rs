//! Taking a pet down through the Eviction API, and waiting — on the watch
//! of the budgets and the pods, never a timer — while a budget refuses.

use std::collections::BTreeMap;

use anyhow::bail;
use serde_json::Value;
use tokio::time::Instant;

use super::super::disruption::{evicted, Evicted};
use super::super::pet::uid_of;
use super::super::plan::human;
use super::{Phase, Roll};
use crate::client::request::{DeleteOptions, Preconditions};
use crate::json::text;
use crate::kinds;
use crate::ops::wait::PetState;

/// How many times an eviction is sent while the pod keeps changing under it.
const ATTEMPTS: u32 = 6;

/// A refused eviction: of which step, the budgets' resourceVersions then
/// (a retry waits for a newer status), and until when it may wait.
pub(super) struct Refusal {
    pub(super) step: usize,
    versions: BTreeMap<String, String>,
    until: Instant,
    cause: String,
}

impl Roll<'_, '_> {
    fn budget_versions(&self, pod: &Value) -> BTreeMap<String, String> {
        self.budgets
            .covering(pod)
            .iter()
            .map(|b| {
                (
                    text(b, "/metadata/name").to_string(),
                    text(b, "/metadata/resourceVersion").to_string(),
                )
            })
            .collect()
    }

    /// Evicts the pet's pod on its uid (`deleteOptions.preconditions`): the
    /// server deletes it only if its budgets allow a disruption now.
    pub(super) async fn evict(&mut self, step: usize, back: bool) -> anyhow::Result<Phase> {
        let name = self.pet_name(step);
        let pods = kinds::by_name("pods")
            .ok_or_else(|| anyhow::anyhow!("pods are not in the kinds table"))?;
        let api = self.client.api(pods, Some(self.set.namespace()));
        let until = self.pet_deadline();
        let mut pod = self.pod(step);
        for attempt in 0..ATTEMPTS {
            let Some(current) = pod.take() else {
                return Ok(self.awaiting(step, None, until, back));
            };
            let uid = uid_of(&current);
            if PetState::of(Some(&current)) == PetState::Terminating {
                return Ok(self.awaiting(step, uid, until, back));
            }
            if attempt == 0 && self.refused.as_ref().is_none_or(|r| r.step != step) {
                let budgets = self.budgets.names(&current);
                let through = if budgets.is_empty() {
                    String::new()
                } else {
                    format!(" (disruption budget {})", budgets.join(", "))
                };
                self.step_note(format!("evicting {name}{through}"));
            }
            let options = DeleteOptions {
                preconditions: Some(Preconditions {
                    uid: uid.clone(),
                    resource_version: None,
                }),
                ..Default::default()
            };
            // Read before sending: a status written after the refusal is newer.
            let versions = self.budget_versions(&current);
            match evicted(api.evict(&name, &options).await, &name)? {
                Evicted::Done => {
                    if let Some(d) = self.deleted.get_mut(step) {
                        *d = true;
                    }
                    self.refused = None;
                    return Ok(self.awaiting(step, uid, until, back));
                }
                Evicted::Refused(cause) => {
                    let until = match &self.refused {
                        Some(r) if r.step == step => r.until,
                        _ => until,
                    };
                    self.refused = Some(Refusal {
                        step,
                        versions,
                        until,
                        cause,
                    });
                    return Ok(Phase::Budget { step, back });
                }
                Evicted::Conflict => match api.get::<Value>(&name).await {
                    // Re-created: the eviction did go through.
                    Ok(fresh) if uid_of(&fresh) != uid => {
                        return Ok(self.awaiting(step, uid, until, back))
                    }
                    Ok(fresh) => pod = Some(fresh),
                    Err(e) if e.is_not_found() => return Ok(self.awaiting(step, uid, until, back)),
                    Err(e) => {
                        return Err(anyhow::Error::new(e).context(format!("cannot read pod {name}")))
                    }
                },
            }
        }
        bail!("cannot evict pod {name}: {ATTEMPTS} attempts failed as it kept changing")
    }

    /// Waits until no budget selecting the pet holds it up any more — seen
    /// on a newer status than the refusal's, or the pod changed — then
    /// admits it again (petctl's own max-unavailable still applies).
    pub(super) async fn budget(&mut self, step: usize, back: bool) -> anyhow::Result<Phase> {
        let name = self.pet_name(step);
        let Some(refusal) = self.refused.as_ref().filter(|r| r.step == step) else {
            return Ok(Phase::Delete { step, back });
        };
        let (until, versions, cause) = (
            refusal.until,
            refusal.versions.clone(),
            refusal.cause.clone(),
        );
        let mut shown: Option<(String, i64)> = None;
        loop {
            let Some(pod) = self.pod(step) else {
                return Ok(Phase::Delete { step, back });
            };
            let holding = self.budgets.holding(&pod);
            let newer = self.budget_versions(&pod) != versions;
            match &holding {
                None if newer => {
                    return Ok(if back {
                        Phase::Delete { step, back }
                    } else {
                        Phase::Admit { step, until }
                    });
                }
                Some(held) if shown.as_ref() != Some(held) => {
                    let (budget, allowed) = held;
                    self.step_note(format!(
                        "{name}: waiting for disruption budget {budget}: {allowed} allowed"
                    ));
                    shown = holding.clone();
                }
                _ => {}
            }
            if !self.changed(until).await? {
                let budget = holding
                    .map_or_else(|| cause.clone(), |(b, _)| format!("disruption budget {b}"));
                return Ok(Phase::Failed {
                    step,
                    reason: format!(
                        "{name} was not evicted: {budget} allowed no disruption within --pet-timeout {} ({cause})",
                        human(self.options.pet_timeout)
                    ),
                    back,
                });
            }
        }
    }
}
