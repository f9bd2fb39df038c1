//! One rollout across several sets (`upgrade-image -l SELECTOR` or `SET1
//! SET2 …`): each set keeps its own [`Roll`](super::roll), run one after
//! the other in the fleet's order, with max-unavailable counted over every
//! set's pets (see [`super::prepare_among`]) and each set's template patched
//! only when its turn comes. A set that does not complete stops the rollout:
//! the later sets are `notStarted`, their pets untouched. Every set's
//! operation lease is taken before anything changes, all or none.

use std::future::Future;
use std::pin::Pin;

use anyhow::Context as _;

use super::{prepare_among, Outcome, PetResult, Prepared, Status, UpgradeOptions};
use crate::client::request::ListParams;
use crate::client::Client;
use crate::ops::lease::{self, Lease, Request};
use crate::ops::progress::{Note, Progress};
use crate::ops::sets::{self, Set};

/// The order sets are rolled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SetOrder {
    /// As named on the command line.
    #[default]
    Given,
    Name,
}

/// Puts `sets` in `order`: by name (then kind) or as given.
pub fn ordered(mut sets: Vec<Set>, order: SetOrder) -> Vec<Set> {
    if order == SetOrder::Name {
        sets.sort_by(|a, b| (a.name(), a.kind.singular).cmp(&(b.name(), b.kind.singular)));
    }
    sets
}

/// Every PetSet and StatefulSet of `namespace` that `selector` matches, by
/// name; an empty answer names the selector.
pub async fn select(
    client: &Client,
    served: &crate::client::discovery::Served,
    namespace: &str,
    selector: &str,
) -> anyhow::Result<Vec<Set>> {
    let mut found = Vec::new();
    for kind in sets::served_set_kinds(served) {
        let items = client
            .api(kind, Some(namespace))
            .list(&ListParams::labels(selector.to_string()))
            .await
            .with_context(|| format!("cannot list the {} of namespace {namespace}", kind.plural))?;
        found.extend(items.into_iter().map(|object| Set { kind, object }));
    }
    if found.is_empty() {
        anyhow::bail!("no PetSet or StatefulSet in namespace {namespace} matches -l {selector}");
    }
    Ok(ordered(found, SetOrder::Name))
}

/// The sets other than the `i`th.
fn others(sets: &[Set], i: usize) -> Vec<Set> {
    sets.iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, s)| s.clone())
        .collect()
}

/// Plans every set (the preflight of each, before anything changes).
pub async fn prepare_all<'c>(
    client: &'c Client,
    sets: &[Set],
    options: &UpgradeOptions,
) -> anyhow::Result<Vec<Prepared<'c>>> {
    let mut prepared = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let label = set.label();
        let one = prepare_among(client, set.clone(), options.clone(), others(sets, i))
            .await
            .map_err(|e| e.context(format!("cannot upgrade {label}")))?;
        prepared.push(one);
    }
    Ok(prepared)
}

/// The plans as text, in rollout order.
pub fn render(prepared: &[Prepared<'_>]) -> String {
    let names: Vec<String> = prepared.iter().map(|p| p.plan.set.clone()).collect();
    let mut out = format!(
        "rollout of {} sets, in this order: {}; max unavailable counted across all of them\n",
        names.len(),
        names.join(", ")
    );
    for p in prepared {
        out.push_str(&p.render());
    }
    out
}

/// The outcome of a set the rollout did not reach.
fn not_started(mut planned: Outcome) -> Outcome {
    planned.status = Status::NotStarted;
    planned.hooks = None;
    for pet in &mut planned.pets {
        pet.result = PetResult::Untouched;
    }
    planned
}

/// Takes every set's operation lease, in order, or none: when one is
/// refused, those already taken are released and the refusal returned.
pub async fn acquire_all<'c>(
    client: &'c Client,
    sets: Vec<Set>,
    request: &Request,
) -> anyhow::Result<(Vec<Lease<'c>>, Vec<Set>)> {
    let mut leases: Vec<Lease<'c>> = Vec::new();
    let mut held = Vec::new();
    for set in sets {
        match lease::acquire(client, set, request).await {
            Ok((lease, set)) => {
                leases.push(lease);
                held.push(set);
            }
            Err(err) => {
                for lease in &leases {
                    // Each expires by itself if this fails too.
                    let _ = lease.release().await;
                }
                return Err(err);
            }
        }
    }
    Ok((leases, held))
}

type Work<'a, T> = Pin<Box<dyn Future<Output = anyhow::Result<T>> + 'a>>;

/// Runs `work` holding every lease (renewed meanwhile, each removed at the
/// end): the holds nest, so losing any stops the work.
pub async fn hold_all<'a, T: 'a>(
    leases: Vec<Lease<'a>>,
    work: impl Future<Output = anyhow::Result<T>> + 'a,
) -> anyhow::Result<T> {
    let mut held: Work<'a, T> = Box::pin(work);
    for lease in leases.into_iter().rev() {
        held = Box::pin(lease.hold(held));
    }
    held.await
}

/// Rolls `sets` (as their leases left them) one after the other; `planned`
/// are their dry-run outcomes, reported for the sets not reached. Each
/// set is planned again when its turn comes, from the cluster as it is
/// then, so a resumed run picks up per set.
pub async fn execute(
    client: &Client,
    sets: Vec<Set>,
    options: &UpgradeOptions,
    planned: Vec<Outcome>,
    progress: &mut dyn Progress,
) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    let mut stopped = false;
    for (i, (set, planned)) in sets.iter().zip(planned).enumerate() {
        if stopped {
            outcomes.push(not_started(planned));
            continue;
        }
        let label = set.label();
        let mut prepared = prepare_among(client, set.clone(), options.clone(), others(&sets, i))
            .await
            .map_err(|e| e.context(format!("cannot upgrade {label}")))?;
        prepared.under_lease(set);
        progress.note(Note::Step(format!(
            "{label}: its turn ({} of {})",
            i + 1,
            sets.len()
        )));
        let outcome = prepared.execute(&mut *progress).await?;
        stopped = outcome.status != Status::Completed;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(kind: &str, name: &str) -> Set {
        Set {
            kind: crate::kinds::by_name(kind).unwrap(),
            object: json!({"metadata": {"name": name, "namespace": "default"}}),
        }
    }

    #[test]
    fn sets_are_ordered_as_given_or_by_name() {
        let sets = vec![
            set("statefulset", "hot"),
            set("petset", "cold"),
            set("statefulset", "cold"),
        ];
        let names = |sets: Vec<Set>| -> Vec<String> {
            sets.iter()
                .map(|s| format!("{}/{}", s.kind.singular, s.name()))
                .collect()
        };
        assert_eq!(
            names(ordered(sets.clone(), SetOrder::Given)),
            ["statefulset/hot", "petset/cold", "statefulset/cold"]
        );
        assert_eq!(
            names(ordered(sets, SetOrder::Name)),
            ["petset/cold", "statefulset/cold", "statefulset/hot"]
        );
    }

    #[test]
    fn a_set_not_reached_is_untouched() {
        let planned = Outcome {
            set: "statefulset/b".into(),
            namespace: "default".into(),
            status: Status::Planned,
            images: vec![],
            pets: vec![super::super::PetOutcome {
                name: "b-0".into(),
                ordinal: 0,
                result: PetResult::Planned(super::super::Action::Replace),
                budgets: vec![],
            }],
            error: None,
            hooks: None,
        };
        let outcome = not_started(planned);
        assert_eq!(outcome.status, Status::NotStarted);
        assert_eq!(outcome.pets[0].result, PetResult::Untouched);
    }
}
