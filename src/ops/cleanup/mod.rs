//! `cleanup-pvcs`: removing the claims a set no longer uses — those of
//! ordinals at or above its replicas, or, for a set named as deleted, those
//! of the templates the user names — and only those. Candidates are chosen
//! by what the set is (its own templates, its selector, no other live set
//! naming the claim, no pod mounting it; see `select`); the choice is made
//! again on a fresh snapshot before each DELETE (see `recheck`), and every
//! DELETE carries the claim's uid and resourceVersion (see `remove`).

mod recheck;
mod remove;
mod select;

use std::time::Duration;

use serde_json::Value;

use super::progress::{Note, Progress};
use super::sets::{self, Set};
use super::wait;
use crate::client::discovery::Served;
use crate::client::request::ListParams;
use crate::client::watch::Watcher;
use crate::client::Client;
use crate::kinds::{self, KindInfo};
use crate::selector::LabelSelector;

pub use remove::{remove, Outcome, Removed};
pub use select::{select, set_selector, Candidate, Refusal, Selection};

/// A set that is gone, as the user names it: its name, the templates its
/// claims were made from, and the selector labels they carry.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedSet {
    pub name: String,
    pub namespace: String,
    pub templates: Vec<String>,
    pub selector: LabelSelector,
}

/// Whose claims are cleaned up.
#[derive(Debug, Clone)]
pub enum Target {
    /// A live set: claims of its templates at ordinals it does not want.
    Set(Set),
    /// A deleted set: claims of the named templates, any ordinal.
    Deleted(DeletedSet),
}

impl Target {
    pub fn name(&self) -> &str {
        match self {
            Target::Set(s) => s.name(),
            Target::Deleted(d) => &d.name,
        }
    }

    pub fn namespace(&self) -> &str {
        match self {
            Target::Set(s) => s.namespace(),
            Target::Deleted(d) => &d.namespace,
        }
    }

    fn templates(&self) -> Vec<String> {
        match self {
            Target::Set(s) => s.claim_template_names(),
            Target::Deleted(d) => d.templates.clone(),
        }
    }

    fn selector(&self) -> Option<LabelSelector> {
        match self {
            Target::Set(s) => set_selector(s),
            Target::Deleted(d) => Some(d.selector.clone()),
        }
    }

    /// `petset "web"`, or `the deleted set "web"`.
    pub fn label(&self) -> String {
        match self {
            Target::Set(s) => s.label(),
            Target::Deleted(d) => format!("the deleted set {:?}", d.name),
        }
    }

    /// Whether `set` is this live target (same kind and name).
    fn is(&self, set: &Set) -> bool {
        matches!(self, Target::Set(s) if s.kind.kind == set.kind.kind && s.name() == set.name())
    }
}

/// One snapshot of what cleanup decides on: every live set of the
/// namespace, its claims and its pods.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub sets: Vec<Set>,
    pub claims: Vec<Value>,
    pub pods: Vec<Value>,
}

/// What the user is shown and confirms; `remove` deletes exactly these
/// candidates or stops.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    /// The user's `-l`, narrowing the candidates further.
    pub extra: Option<LabelSelector>,
    /// The set kinds listed in a snapshot, the target's kind last so that
    /// the set is the last thing read before a DELETE.
    kinds: Vec<&'static KindInfo>,
    pub selection: Selection,
}

/// What the user asked to clean up.
#[derive(Debug, Clone)]
pub enum Asked {
    /// `NAME` or `KIND/NAME` of a live set.
    Set(String),
    Deleted(DeletedSet),
}

fn text(v: &Value, p: &str) -> String {
    v.pointer(p)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Reads a snapshot: claims, pods, then the sets (the target's kind last).
async fn observe(
    client: &Client,
    namespace: &str,
    set_kinds: &[&'static KindInfo],
) -> anyhow::Result<World> {
    let all = ListParams::default();
    let ns = Some(namespace);
    let claims = client.list_objects(kinds::builtin("pvc"), ns, &all).await?;
    let pods = client
        .list_objects(kinds::builtin("pods"), ns, &all)
        .await?;
    let mut sets = Vec::new();
    for kind in set_kinds {
        for object in client.list_objects(kind, ns, &all).await? {
            sets.push(Set { kind, object });
        }
    }
    Ok(World { sets, claims, pods })
}

impl Plan {
    async fn observe(&self, client: &Client) -> anyhow::Result<World> {
        observe(client, self.target.namespace(), &self.kinds).await
    }
}

/// Resolves what was asked, waits out terminating pets, and chooses the
/// candidates. A set that does not exist is an error (the client's
/// NotFound), never a reason to go by claim names.
pub async fn plan(
    client: &Client,
    served: &Served,
    namespace: &str,
    asked: Asked,
    extra: Option<LabelSelector>,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<Plan> {
    let mut set_kinds = sets::served_set_kinds(served);
    let target = match asked {
        Asked::Set(reference) => {
            let set = sets::find(client, served, namespace, &reference).await?;
            set_kinds.retain(|k| k.kind != set.kind.kind);
            set_kinds.push(set.kind);
            Target::Set(set)
        }
        Asked::Deleted(deleted) => Target::Deleted(deleted),
    };
    wait_out_terminating(client, &target, timeout, progress).await?;
    let world = observe(client, namespace, &set_kinds).await?;
    let target = match target {
        Target::Set(planned) => {
            let fresh = recheck::fresh_set(&Target::Set(planned.clone()), &world);
            match fresh {
                Some(fresh) => Target::Set(fresh.clone()),
                None => anyhow::bail!(
                    "{} was deleted while its claims were being listed; nothing deleted",
                    planned.label()
                ),
            }
        }
        Target::Deleted(deleted) => {
            if let Some(live) = world.sets.iter().find(|s| s.name() == deleted.name) {
                anyhow::bail!(
                    "{} still exists in namespace {namespace:?}: clean up its unused claims with `cleanup-pvcs {}/{}`; nothing deleted",
                    live.label(),
                    live.kind.singular,
                    live.name()
                );
            }
            Target::Deleted(deleted)
        }
    };
    let selection = select(&target, extra.as_ref(), &world);
    Ok(Plan {
        target,
        extra,
        kinds: set_kinds,
        selection,
    })
}

/// Waits until no pet of the set is terminating, so that no claim is
/// judged unused while its pod is still shutting down.
async fn wait_out_terminating(
    client: &Client,
    target: &Target,
    timeout: Duration,
    progress: &mut dyn Progress,
) -> anyhow::Result<()> {
    let pods = kinds::by_name("pods").expect("pods are in the kinds table");
    let name = target.name().to_string();
    let is_terminating_pet = |p: &Value| {
        let pod_name = text(p, "/metadata/name");
        let pet = pod_name
            .strip_prefix(&name)
            .and_then(|r| r.strip_prefix('-'))
            .is_some_and(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_digit()));
        pet && p
            .pointer("/metadata/deletionTimestamp")
            .is_some_and(|v| !v.is_null())
    };
    let mut watcher = Watcher::new(
        client,
        pods,
        Some(target.namespace()),
        ListParams::default(),
    );
    let cache = wait::prime(&mut watcher).await?;
    let terminating: Vec<String> = cache
        .values()
        .filter(|p| is_terminating_pet(p))
        .map(|p| text(p, "/metadata/name"))
        .collect();
    if terminating.is_empty() {
        return Ok(());
    }
    progress.note(Note::Step(format!(
        "waiting for terminating pets to finish: {}",
        terminating.join(", ")
    )));
    let (done, _) = wait::watch_until_from(watcher, cache, timeout, |c| {
        (!c.values().any(is_terminating_pet)).then_some(())
    })
    .await?;
    if done.is_none() {
        anyhow::bail!(
            "timed out after {timeout:?} waiting for terminating pets ({}) to finish",
            terminating.join(", ")
        );
    }
    Ok(())
}
