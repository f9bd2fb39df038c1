//! Writes a controller makes at once that do not read one another's
//! outcome (a pet's claims and its pod; a volume's phase and its claim's
//! binding): each is checked exactly as its own request would be, and all
//! that pass go to the store as one batch, so into one commit, as the same
//! requests sent concurrently would share a group commit. The store still
//! gives each its own revision, in the batch's order, its own
//! precondition check and its own watch event.

use std::sync::Arc;

use serde_json::Value;

use super::error::ApiError;
use super::verbs::admit_replacement;
use super::write::{deletes, Intended};
use super::{meta, store_error, Registry, Target, WriteOptions};
use crate::store::{Op, Queued};
use petctl_model::kinds::KindInfo;

/// One write of a batch.
pub enum Intent {
    /// POST `body` as a new object of `kind`.
    Create {
        kind: &'static KindInfo,
        namespace: String,
        body: Value,
        options: WriteOptions,
    },
    /// PUT `body` over the object, or over its status with `status`; the
    /// body's resourceVersion is its precondition.
    Replace {
        target: Target,
        status: bool,
        body: Value,
        options: WriteOptions,
    },
    /// POST a Binding of the pod to `node` (`pods/NAME/binding`).
    Bind { target: Target, node: String },
}

/// Writes admitted and queued by [`Registry::submit_together`], waiting
/// for their commit ([`Registry::finish`]).
#[must_use = "submitted writes are acknowledged only by Registry::finish"]
pub struct Submitted {
    queued: Queued,
    targets: Vec<Target>,
    /// Each write by group: `None` where it went to the store.
    groups: Vec<Vec<Option<Step>>>,
}

/// Where one write of the batch stands.
enum Step {
    /// Goes to the store as this write.
    Store(Target, Op),
    /// Answered without the batch: refused, unchanged, or written alone.
    Done(Result<Arc<Value>, ApiError>),
}

/// A group's writes with the first refusal, if any, given to every write
/// of the group still to be stored, so that none is.
fn refuse_together(mut group: Vec<Step>) -> Vec<Step> {
    let refused = group.iter().find_map(|step| match step {
        Step::Done(Err(err)) => Some(err.clone()),
        _ => None,
    });
    if let Some(refused) = refused {
        for step in &mut group {
            if let Step::Store(..) = step {
                *step = Step::Done(Err(refused.clone()));
            }
        }
    }
    group
}

impl Registry {
    /// Writes `groups` in one commit; each write's stored object (shared
    /// with its watch event), or why it failed, by group and in order. The
    /// writes of a group are stored only if every one of them is admitted
    /// (a pod only with its claims); groups are refused alone. A write with
    /// no precondition, a dry run and a create that allocates (a Service)
    /// are written alone, as their own requests would be: the first is
    /// retried on a conflict, the others hold locks of their own.
    pub fn write_together(
        &self,
        groups: Vec<Vec<Intent>>,
    ) -> Vec<Vec<Result<Arc<Value>, ApiError>>> {
        let submitted = self.submit_together(groups);
        self.finish(submitted)
    }

    /// [`Registry::write_together`] without waiting: every write is
    /// admitted now and those admitted are queued for the store's next
    /// commit; [`Registry::finish`] waits for it and gives the outcomes.
    /// Nothing is stored or seen by anyone before that commit.
    pub fn submit_together(&self, groups: Vec<Vec<Intent>>) -> Submitted {
        let groups: Vec<Vec<Step>> = groups
            .into_iter()
            .map(|group| refuse_together(group.into_iter().map(|i| self.admit(i)).collect()))
            .collect();
        let mut targets = Vec::new();
        let mut writes = Vec::new();
        let groups: Vec<Vec<Option<Step>>> = groups
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|step| match step {
                        Step::Store(target, op) => {
                            writes.push((target.key(), op));
                            targets.push(target);
                            None
                        }
                        done => Some(done),
                    })
                    .collect()
            })
            .collect();
        Submitted {
            queued: self.store.enqueue(writes),
            targets,
            groups,
        }
    }

    /// Waits for the commit of writes [`Registry::submit_together`] queued;
    /// each one's stored object, or why it failed, by group and in order.
    pub fn finish(&self, submitted: Submitted) -> Vec<Vec<Result<Arc<Value>, ApiError>>> {
        let Submitted {
            queued,
            targets,
            groups,
        } = submitted;
        let mut stored = self
            .store
            .wait_for(queued)
            .into_iter()
            .zip(targets)
            .map(|(outcome, target)| outcome.map_err(|e| store_error(&target, e)));
        groups
            .into_iter()
            .map(|group| {
                group
                    .into_iter()
                    .map(|step| match step {
                        Some(Step::Done(outcome)) => outcome,
                        _ => stored.next().unwrap_or_else(|| {
                            Err(ApiError::internal("the store lost a write's outcome"))
                        }),
                    })
                    .collect()
            })
            .collect()
    }

    fn admit(&self, intent: Intent) -> Step {
        match intent {
            Intent::Create {
                kind,
                namespace,
                body,
                options,
            } => {
                if kind.kind == "Service" || options.dry_run {
                    let written = self.create(kind, &namespace, body, options);
                    return Step::Done(written.map(|w| Arc::new(w.object)));
                }
                match self.admit_new(kind, &namespace, body, &options) {
                    Ok((target, object, _)) => Step::Store(target, Op::Create(object)),
                    Err(err) => Step::Done(Err(err)),
                }
            }
            Intent::Replace {
                target,
                status,
                body,
                options,
            } => {
                let subresource = status.then_some("status");
                if meta::resource_version(&body).is_empty() || options.dry_run {
                    let written = self.update(&target, subresource, body, options);
                    return Step::Done(written.map(|w| Arc::new(w.object)));
                }
                match self.intend_replacement(&target, subresource, body, &options) {
                    Ok(step) => step,
                    Err(err) => Step::Done(Err(err)),
                }
            }
            Intent::Bind { target, node } => match self.admit_binding(&target, &node) {
                Ok((bound, expected)) => Step::Store(target, Op::Update(bound, Some(expected))),
                Err(err) => Step::Done(Err(err)),
            },
        }
    }

    fn intend_replacement(
        &self,
        target: &Target,
        subresource: Option<&str>,
        body: Value,
        options: &WriteOptions,
    ) -> Result<Step, ApiError> {
        let (part, body, _) = admit_replacement(target, subresource, body, options)?;
        let mut body = Some(body);
        let mut change = |_: &Value| {
            body.take()
                .map(|body| (body, Vec::new()))
                .ok_or_else(|| ApiError::modified(target.kind, &target.name))
        };
        Ok(match self.intend(target, part, options, &mut change)? {
            Intended::Answered(written) => Step::Done(Ok(Arc::new(written.object))),
            // Deleting instead of storing is a write of its own.
            Intended::Store {
                object, current_rv, ..
            } if deletes(target, &object) => {
                Step::Done(self.commit_update(target, object, current_rv).map(Arc::new))
            }
            Intended::Store {
                object, current_rv, ..
            } => Step::Store(target.clone(), Op::Update(object, Some(current_rv))),
        })
    }
}

#[cfg(test)]
#[path = "together_tests.rs"]
mod tests;
