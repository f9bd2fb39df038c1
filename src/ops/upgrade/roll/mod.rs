//! The rollout itself, an explicit state machine driven by one watch of the
//! set's pods: patch the template, then for each pet in plan order admit,
//! delete and await its replacement; on failure roll back or stop; finally
//! restore a switched strategy. Every decision is re-read from the watch
//! cache, so a resumed run picks up where the cluster is.

use anyhow::Context as _;
use serde_json::Value;
use tokio::time::Instant;

use super::pet::{down_in, replacement, uid_of, unavailable, worded, Replacement};
use super::plan::{self, human, Action, Change, Strategy};
use super::world::{Expected, Stop};
use super::{Outcome, PetOutcome, PetResult, Prepared, Status, UpgradeOptions};
use crate::client::watch::{Cache, Event, Watcher};
use crate::client::Client;
use crate::ops::pets::Pet;
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::Set;
use crate::ops::wait::{LivePets, PetState, Said, Touched};

mod ending;
mod evict;
mod hooked;
mod write;

pub(super) use hooked::hook_plan;

enum Phase {
    /// Give the template the new images (and switch the strategy).
    Template,
    /// Look at step `i` afresh.
    Next(usize),
    /// Wait until deleting a Ready pet keeps at most max-unavailable down.
    Admit {
        step: usize,
        until: Instant,
    },
    /// Delete the pet's pod; `back` when rolling back.
    Delete {
        step: usize,
        back: bool,
    },
    /// Wait for the pod re-created after deleting `old_uid` to be Ready on
    /// the wanted images, then stable for min-ready.
    Await {
        step: usize,
        old_uid: Option<String>,
        until: Instant,
        ready_since: Option<Instant>,
        back: bool,
    },
    /// An eviction was refused (429): wait on the watch of the budgets
    /// until the one holding it allows a disruption, then admit again.
    Budget {
        step: usize,
        back: bool,
    },
    /// A pet did not get Ready.
    Failed {
        step: usize,
        reason: String,
        back: bool,
    },
    /// Give a switched set its own strategy back.
    Restore,
    Finished,
}

/// What woke a wait.
enum Seen {
    Set(Result<Event, crate::client::Error>),
    Pods(Result<Event, crate::client::Error>),
    Budget(Result<(), crate::client::Error>),
}

pub(super) struct Roll<'c, 'p> {
    client: &'c Client,
    set: Set,
    watcher: Watcher<'c>,
    cache: Cache,
    set_watcher: Watcher<'c>,
    expected: Expected,
    options: UpgradeOptions,
    plan: plan::Plan,
    progress: &'p mut dyn Progress,
    /// The set's pets as `cache` shows them, kept current per event.
    live: LivePets,
    said: Said,
    results: Vec<PetResult>,
    /// Pets this run deleted.
    deleted: Vec<bool>,
    deadline: Option<Instant>,
    status: Status,
    error: Option<String>,
    budgets: super::disruption::Budgets<'c>,
    /// The other sets of a rollout across several (see `prepare_among`).
    others: Vec<Set>,
    /// The step whose eviction a budget refused, the budgets' versions
    /// then, and until when it may wait.
    refused: Option<evict::Refusal>,
}

impl<'c, 'p> Roll<'c, 'p> {
    pub(super) fn new(prepared: Prepared<'c>, progress: &'p mut dyn Progress) -> Self {
        let results = vec![PetResult::Untouched; prepared.plan.steps.len()];
        let live = LivePets::new(&prepared.set, &prepared.cache);
        Roll {
            client: prepared.client,
            set: prepared.set,
            watcher: prepared.watcher,
            cache: prepared.cache,
            set_watcher: prepared.set_watcher,
            expected: prepared.expected,
            deadline: prepared.options.timeout.map(|t| Instant::now() + t),
            options: prepared.options,
            plan: prepared.plan,
            live,
            progress,
            said: Said::default(),
            deleted: vec![false; results.len()],
            results,
            status: Status::Completed,
            error: None,
            budgets: prepared.budgets,
            others: prepared.others,
            refused: None,
        }
    }

    fn label(&self) -> String {
        format!(
            "{} {}/{}",
            self.set.kind.singular,
            self.set.namespace(),
            self.set.name()
        )
    }

    fn step_note(&mut self, text: String) {
        self.progress.note(Note::Step(text));
    }

    pub(super) async fn run(mut self) -> anyhow::Result<Outcome> {
        self.report_changes(&Touched::All);
        let mut phase = Phase::Template;
        loop {
            if matches!(phase, Phase::Finished) {
                break;
            }
            phase = match self.step(phase).await {
                Ok(next) => next,
                Err(err) => match err.downcast::<Stop>() {
                    Ok(Stop(moved)) => self.stopped(moved),
                    Err(err) => return Err(err),
                },
            };
        }
        Ok(Outcome {
            set: self.plan.set.clone(),
            namespace: self.plan.namespace.clone(),
            status: self.status,
            images: self.plan.changes.clone(),
            pets: self
                .plan
                .steps
                .iter()
                .zip(&self.results)
                .map(|(s, r)| PetOutcome {
                    name: s.pet.clone(),
                    ordinal: s.ordinal,
                    result: *r,
                    budgets: s.budgets.clone(),
                })
                .collect(),
            error: self.error,
            hooks: None,
        })
    }

    async fn step(&mut self, phase: Phase) -> anyhow::Result<Phase> {
        Ok(match phase {
            Phase::Template => {
                self.template().await?;
                Phase::Next(0)
            }
            Phase::Next(step) => self.next(step),
            Phase::Admit { step, until } => self.admit(step, until).await?,
            Phase::Delete { step, back } => self.delete(step, back).await?,
            Phase::Budget { step, back } => self.budget(step, back).await?,
            Phase::Await {
                step,
                old_uid,
                until,
                ready_since,
                back,
            } => self.wait(step, old_uid, until, ready_since, back).await?,
            Phase::Failed { step, reason, back } => self.failed(step, reason, back).await?,
            Phase::Restore => {
                self.restore().await?;
                Phase::Finished
            }
            Phase::Finished => Phase::Finished,
        })
    }

    fn pets(&self) -> &[Pet] {
        self.live.pets()
    }

    fn pod(&self, step: usize) -> Option<Value> {
        let name = &self.plan.steps.get(step)?.pet;
        self.cache.get(self.set.namespace(), name).cloned()
    }

    fn pet_name(&self, step: usize) -> String {
        self.plan
            .steps
            .get(step)
            .map(|s| s.pet.clone())
            .unwrap_or_default()
    }

    /// Each state change of the pets `touched`, and each blocker as it is
    /// first seen.
    fn report_changes(&mut self, touched: &Touched) {
        for (pet, state) in self.said.states(&self.set, &self.live, touched) {
            self.progress.note(Note::Pet {
                pet,
                state: state.to_string(),
            });
        }
        for blocker in self.said.blockers(&self.set, &self.live, touched) {
            self.progress.note(Note::Warning(blocker.notice(&self.set)));
        }
    }

    /// The pet deadline, capped by the whole upgrade's.
    fn pet_deadline(&self) -> Instant {
        let pet = Instant::now() + self.options.pet_timeout;
        self.deadline.map_or(pet, |d| d.min(pet))
    }

    /// Waits for the next change of the set or its pods, until `until`.
    /// False when the time ran out first; a [`Stop`] error when the set
    /// changed under the upgrade.
    async fn changed(&mut self, until: Instant) -> anyhow::Result<bool> {
        // Every `next()` is cancel-safe: the ones not chosen resume.
        let seen = tokio::time::timeout_at(until, async {
            tokio::select! {
                biased;
                event = self.set_watcher.next() => Seen::Set(event),
                event = self.watcher.next() => Seen::Pods(event),
                seen = self.budgets.next() => Seen::Budget(seen),
            }
        })
        .await;
        match seen {
            Err(_) => Ok(false),
            Ok(Seen::Set(event)) => {
                let event = event.with_context(|| format!("lost the watch of {}", self.label()))?;
                self.set_seen(&event)?;
                Ok(true)
            }
            Ok(Seen::Pods(event)) => {
                let event = event
                    .with_context(|| format!("lost the watch of the pets of {}", self.label()))?;
                self.cache.apply(&event);
                let touched = self.live.apply(&self.set, &self.cache, &event);
                self.report_changes(&touched);
                Ok(true)
            }
            Ok(Seen::Budget(seen)) => {
                seen.with_context(|| {
                    format!(
                        "lost the watch of the disruption budgets of {}",
                        self.label()
                    )
                })?;
                Ok(true)
            }
        }
    }

    /// A watch event of the set: Err([`Stop`]) when it moved.
    fn set_seen(&mut self, event: &Event) -> anyhow::Result<()> {
        let mut set_cache = Cache::default();
        set_cache.apply(event);
        let seen = match event {
            Event::Deleted(_) => None,
            _ => set_cache.get(self.set.namespace(), self.set.name()),
        };
        let label = self.label();
        match self.expected.moved(seen, &label) {
            Some(moved) => Err(Stop(moved).into()),
            None => Ok(()),
        }
    }

    fn next(&mut self, step: usize) -> Phase {
        let Some(planned) = self.plan.steps.get(step) else {
            return match self.plan.strategy {
                Strategy::OnDelete => Phase::Finished,
                _ => Phase::Restore,
            };
        };
        let pod = self.pod(step);
        let action = match planned.action {
            Action::Keep => Action::Keep,
            _ => plan::action(pod.as_ref(), &self.plan.changes, false).0,
        };
        let until = self.pet_deadline();
        match action {
            Action::Keep => {
                self.results[step] = PetResult::Kept;
                Phase::Next(step + 1)
            }
            Action::Skip => {
                self.results[step] = PetResult::Skipped;
                let text = format!("{}: already Ready on the new image, skipped", planned.pet);
                self.step_note(text);
                Phase::Next(step + 1)
            }
            Action::Await => {
                let terminating = PetState::of(pod.as_ref()) == PetState::Terminating;
                Phase::Await {
                    step,
                    old_uid: pod.as_ref().filter(|_| terminating).and_then(uid_of),
                    until,
                    ready_since: None,
                    back: false,
                }
            }
            // Down already: replacing it costs no availability.
            Action::ReplaceStuck => Phase::Delete { step, back: false },
            Action::Replace => Phase::Admit { step, until },
        }
    }

    async fn admit(&mut self, step: usize, until: Instant) -> anyhow::Result<Phase> {
        let name = self.pet_name(step);
        let wanted = self.set.wanted_ordinals();
        loop {
            let mut down = worded(&unavailable(self.pets(), &wanted, &name));
            down.extend(down_in(&self.others, &self.cache));
            if down.len() < self.options.max_unavailable as usize {
                return Ok(Phase::Delete { step, back: false });
            }
            if !self.changed(until).await? {
                return Ok(Phase::Failed {
                    step,
                    reason: format!(
                        "{name} was not replaced: {} stayed not Ready, and replacing {name} would take more than {} pet down",
                        down.join(", "),
                        self.options.max_unavailable
                    ),
                    back: false,
                });
            }
        }
    }

    fn awaiting(&self, step: usize, old_uid: Option<String>, until: Instant, back: bool) -> Phase {
        Phase::Await {
            step,
            old_uid,
            until,
            ready_since: None,
            back,
        }
    }

    async fn wait(
        &mut self,
        step: usize,
        old_uid: Option<String>,
        until: Instant,
        mut ready_since: Option<Instant>,
        back: bool,
    ) -> anyhow::Result<Phase> {
        let name = self.pet_name(step);
        let changes: Vec<Change> = if back {
            self.plan.previous.clone()
        } else {
            self.plan.changes.clone()
        };
        loop {
            let pod = self.pod(step);
            let now = Instant::now();
            match replacement(pod.as_ref(), old_uid.as_deref(), &changes) {
                Replacement::Ready => {
                    let since = *ready_since.get_or_insert(now);
                    if now >= since + self.options.min_ready {
                        let (result, how) = if back {
                            (PetResult::RolledBack, "back on the previous image")
                        } else if self.deleted.get(step).copied().unwrap_or(false) {
                            (PetResult::Replaced, "replaced: Ready on the new image")
                        } else {
                            (PetResult::Awaited, "Ready on the new image")
                        };
                        if let Some(r) = self.results.get_mut(step) {
                            *r = result;
                        }
                        self.step_note(format!("{name}: {how}"));
                        if !back {
                            if let Some(stop) = self.after_pet(step).await? {
                                return Ok(stop);
                            }
                        }
                        return Ok(if back { Phase::Restore } else { Phase::Next(step + 1) });
                    }
                }
                Replacement::WrongImage(image) => {
                    return Ok(Phase::Failed {
                        step,
                        reason: format!(
                            "{name} came back with image {image}, not {}: did someone change the template?",
                            changes.iter().map(|c| c.to.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        back,
                    })
                }
                Replacement::Waiting(_) => ready_since = None,
            }
            let stable = ready_since.map(|s| s + self.options.min_ready);
            let wake = stable.map_or(until, |s| s.min(until));
            if self.changed(wake).await? || stable.is_some_and(|s| Instant::now() >= s) {
                continue;
            }
            if Instant::now() >= until {
                let limit = if self.deadline.is_some_and(|d| d <= until) {
                    format!(
                        "the upgrade's --timeout {}",
                        human(self.options.timeout.unwrap_or_default())
                    )
                } else {
                    format!("--pet-timeout {}", human(self.options.pet_timeout))
                };
                return Ok(Phase::Failed {
                    step,
                    reason: format!("{name} was not Ready on the wanted image within {limit}"),
                    back,
                });
            }
        }
    }
}
