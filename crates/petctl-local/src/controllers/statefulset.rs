//! The StatefulSet controller (apps/v1), after `pkg/controller/statefulset`:
//! adopts its pods, keeps ControllerRevisions of its template, runs the
//! planned creates and deletes with their claims, keeps claim
//! ownerReferences in line with the retention policy, reports status and
//! trims the revision history.

mod facts;
pub mod identity;
mod memo;
mod plan;
mod revision;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use serde_json::{json, Value};

use self::facts::PodFacts;
use self::memo::SetMemo;
use self::plan::{Step, View, Why};
use self::revision::Wanted;
use super::cache::{controller_uid, Cache, Key};
use super::claims;
use super::events;
use super::pods;
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

pub use self::identity::{POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL};

const COMPONENT: &str = "statefulset-controller";

/// The controller reference a set's pods and revisions carry.
pub fn controller_ref(set: &Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": meta::name(set),
           "uid": meta::uid(set), "controller": true, "blockOwnerDeletion": true})
}

#[derive(Default)]
pub struct StatefulSetController {
    waits: claims::Waits,
    /// Per set, what its last sync read (see [`memo`]).
    memos: HashMap<Key, SetMemo>,
}

/// The StatefulSet controller's words for its claim events
/// (stateful_pod_control.go).
const CLAIM_WORDING: claims::Wording = claims::Wording {
    component: COMPONENT,
    created: |set, pod, claim| {
        format!("create Claim {claim} Pod {pod} in StatefulSet {set} success")
    },
    failed: |set, pod, claim, err| {
        format!(
            "create Claim {claim} for Pod {pod} in StatefulSet {set} failed error: {}",
            err.message
        )
    },
    waiting: |set, pod, why| format!("create Pod {pod} in StatefulSet {set} failed error: {why}"),
};

/// The most pets created in one commit: Parallel creates go in batches of
/// 1, 2, 4, … up to this, as `slowStartBatch` sends them
/// (stateful_set_control.go), each batch after the last one succeeded.
const CREATE_BATCH: usize = 64;

impl StatefulSetController {
    /// Gives the objects of `kind` that no controller owns the set's
    /// controller reference (`ClaimPods`, `AdoptOrphanRevisions`).
    pub(super) fn adopt(
        ctx: &mut Ctx,
        kind: &'static str,
        owner: &Value,
        objects: Vec<Arc<Value>>,
    ) -> Result<Vec<Arc<Value>>, ApiError> {
        let mut owned = Vec::with_capacity(objects.len());
        for object in objects {
            if controller_uid(&object).is_some() || pods::is_dying(&object) {
                owned.push(object);
                continue;
            }
            let mut next = Value::clone(&object);
            let mut refs = next["metadata"]["ownerReferences"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            refs.push(owner.clone());
            next["metadata"]["ownerReferences"] = json!(refs);
            owned.push(ctx.update(kind, next)?);
        }
        Ok(owned)
    }

    /// `adoptOrphanRevisions` (pkg/controller/statefulset/stateful_set.go):
    /// the revisions the selector picks that no controller owns — those of
    /// a set orphan-deleted and recreated — become this set's, so that the
    /// same template keeps its revision name and no pet is rolled.
    fn adopt_revisions(ctx: &mut Ctx, set: &Value) -> Result<(), ApiError> {
        let Some(selector) = pods::selector(set) else {
            return Ok(());
        };
        let orphans: Vec<Arc<Value>> = ctx
            .cache
            .owned_by("ControllerRevision", meta::namespace(set), None)
            .filter(|r| pods::selects(&selector, r))
            .cloned()
            .collect();
        if !orphans.is_empty() {
            Self::adopt(ctx, "ControllerRevision", &controller_ref(set), orphans)?;
        }
        Ok(())
    }

    /// The current and update revisions (`getStatefulSetRevisions`), the
    /// wanted one rebuilt only when its inputs changed (`wanted`).
    fn revisions(
        ctx: &mut Ctx,
        set: &Value,
        wanted: &mut Option<Wanted>,
    ) -> Result<(Arc<Value>, Arc<Value>), ApiError> {
        let uid = meta::uid(set);
        let mut history: Vec<Arc<Value>> = ctx
            .cache
            .owned_by("ControllerRevision", meta::namespace(set), Some(uid))
            .cloned()
            .collect();
        history.sort_by_key(|r| revision::number(r));
        let next_number = history.last().map_or(1, |r| revision::number(r) + 1);
        let collisions = meta::int_at(set, "/status/collisionCount").unwrap_or(0);
        let wanted = Wanted::of(wanted, set, collisions);
        let equivalent = history
            .iter()
            .position(|r| r.get("data") == wanted.get("data"));
        let update = match equivalent {
            Some(i) if i + 1 == history.len() => Arc::clone(&history[i]),
            Some(i) => {
                let mut bumped = Value::clone(&history[i]);
                bumped["revision"] = json!(next_number);
                ctx.update("ControllerRevision", bumped)?
            }
            None => {
                let mut fresh = wanted.clone();
                fresh["revision"] = json!(next_number);
                match ctx.create("ControllerRevision", meta::namespace(set), fresh) {
                    Ok(created) => created,
                    Err(err) if err.code == 409 => {
                        // A revision of that name with other data: a hash
                        // collision, resolved by bumping collisionCount.
                        let mut next = set.clone();
                        next["status"]["collisionCount"] = json!(collisions + 1);
                        ctx.update_status("StatefulSet", next)?;
                        return Err(err);
                    }
                    Err(err) => return Err(err),
                }
            }
        };
        let current_name = meta::str_at(set, "/status/currentRevision");
        let current = history
            .iter()
            .find(|r| meta::name(r) == current_name)
            .cloned()
            .unwrap_or_else(|| Arc::clone(&update));
        Ok((current, update))
    }

    /// Writes the claims whose ownerReferences are out of line.
    fn sync_claim_owners(ctx: &mut Ctx, set: &Value, memo: &mut SetMemo) -> Result<(), ApiError> {
        for next in memo.claims_to_fix(&ctx.cache, set) {
            ctx.update("PersistentVolumeClaim", next)?;
        }
        Ok(())
    }

    /// `createPersistentVolumeClaims` for pet `ordinal`, before its pod is
    /// created (`new_pod`) or for a Pending pod whose claim may have gone
    /// since (`createMissingPersistentVolumeClaims`). A claim being
    /// deleted stops a new pod, with one FailedCreate event per wait.
    fn create_claims(
        &mut self,
        ctx: &mut Ctx,
        set: &Value,
        ordinal: i64,
        new_pod: bool,
    ) -> Result<(), ApiError> {
        let pet = Self::pet(set, ordinal);
        let claims = identity::claims_for(set, ordinal);
        let waits = &mut self.waits;
        claims::prepare(ctx, waits, set, &pet, claims, new_pod, &CLAIM_WORDING)?;
        Ok(())
    }

    fn pet(set: &Value, ordinal: i64) -> Key {
        let pod_name = identity::pod_name(meta::name(set), ordinal);
        Key::new("Pod", meta::namespace(set), &pod_name)
    }

    /// The pods of `creates` (ordinal, template, revision), each with its
    /// missing claims, all in one commit; stops at the first that failed.
    fn create_pods(
        &mut self,
        ctx: &mut Ctx,
        set: &Value,
        creates: &[(i64, &Value, &str)],
    ) -> Result<(), ApiError> {
        let pets = creates
            .iter()
            .map(|&(ordinal, template, revision)| claims::NewPet {
                key: Self::pet(set, ordinal),
                claims: identity::claims_for(set, ordinal),
                pod: identity::new_pod(set, template, ordinal, revision),
            })
            .collect::<Vec<_>>();
        let names: Vec<String> = pets.iter().map(|p| p.key.name.clone()).collect();
        let outcomes = claims::create_with_pods(ctx, &mut self.waits, set, pets, &CLAIM_WORDING);
        let set_name = meta::name(set);
        let mut first_error = None;
        for (pod_name, outcome) in names.iter().zip(outcomes) {
            let created = format!("create Pod {pod_name} in StatefulSet {set_name} successful");
            let failed = |err: &ApiError| {
                let why = &err.message;
                format!("create Pod {pod_name} in StatefulSet {set_name} failed error: {why}")
            };
            let result = outcome.and_then(|(_, pod)| {
                events::pod_created(ctx, set, COMPONENT, pod_name, pod, created, failed)
            });
            if let Err(err) = result {
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    fn delete_pod(
        ctx: &mut Ctx,
        set: &Value,
        pods: &[PodFacts],
        name: &str,
        why: Why,
    ) -> Result<(), ApiError> {
        let uid = pods
            .iter()
            .find(|p| p.name == name)
            .map_or("", |p| p.uid.as_str());
        ctx.delete(
            &Key::new("Pod", meta::namespace(set), name),
            uid,
            DeleteOptions::default(),
        )?;
        let message = match why {
            Why::Failed => format!(
                "delete Pod {name} in StatefulSet {} successful (it failed)",
                meta::name(set)
            ),
            Why::ScaleDown | Why::Update => format!(
                "delete Pod {name} in StatefulSet {} successful",
                meta::name(set)
            ),
        };
        events::normal(ctx, set, COMPONENT, "SuccessfulDelete", message);
        Ok(())
    }

    fn write_status(ctx: &mut Ctx, set: &Value, status: Value) -> Result<(), ApiError> {
        let old = set.get("status").cloned().unwrap_or_else(|| json!({}));
        let mut merged = old.clone();
        if let (Some(merged), Some(fresh)) = (merged.as_object_mut(), status.as_object()) {
            for (k, v) in fresh {
                merged.insert(k.clone(), v.clone());
            }
        }
        if merged == old {
            return Ok(());
        }
        let mut next = set.clone();
        next["status"] = merged;
        ctx.update_status("StatefulSet", next)?;
        Ok(())
    }

    /// `truncateHistory`: keeps the live revisions and the newest
    /// revisionHistoryLimit others.
    fn truncate_history(
        ctx: &mut Ctx,
        set: &Value,
        pods: &[PodFacts],
        live: &[&str],
    ) -> Result<(), ApiError> {
        let limit = meta::int_at(set, "/spec/revisionHistoryLimit")
            .unwrap_or(10)
            .max(0) as usize;
        let uid = meta::uid(set);
        let not_live: Vec<Arc<Value>> = ctx
            .cache
            .owned_by("ControllerRevision", meta::namespace(set), Some(uid))
            .filter(|r| !live.contains(&meta::name(r)))
            .cloned()
            .collect();
        // Most syncs stop here, before reading the pods' revisions.
        if not_live.len() <= limit {
            return Ok(());
        }
        let in_use: std::collections::HashSet<&str> =
            pods.iter().map(|p| p.revision.as_str()).collect();
        let mut history: Vec<Arc<Value>> = not_live
            .into_iter()
            .filter(|r| !in_use.contains(meta::name(r)))
            .collect();
        if history.len() <= limit {
            return Ok(());
        }
        history.sort_by_key(|r| revision::number(r));
        let excess = history.len() - limit;
        for old in history.into_iter().take(excess) {
            ctx.delete(
                &Key::of("ControllerRevision", &old),
                meta::uid(&old),
                DeleteOptions::default(),
            )?;
        }
        Ok(())
    }
}

/// The ordinals the set keeps: `start` up to `start + replicas`.
pub(super) fn wanted_ordinals(set: &Value) -> std::ops::Range<i64> {
    let start = meta::int_at(set, "/spec/ordinals/start").unwrap_or(0);
    let replicas = meta::int_at(set, "/spec/replicas").unwrap_or(1);
    start..start + replicas
}

impl Reconciler for StatefulSetController {
    const NAME: &'static str = "statefulset-controller";

    const KINDS: &'static [&'static str] = &[
        "StatefulSet",
        "Pod",
        "PersistentVolumeClaim",
        "ControllerRevision",
    ];
    const PRIMARY: &'static [&'static str] = &["StatefulSet"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "StatefulSet" => vec![Key::of(kind, object)],
            "PersistentVolumeClaim" => claims::sets_of_claim(cache, "StatefulSet", object),
            "Pod" | "ControllerRevision" => {
                cache.keys_where("StatefulSet", Some(meta::namespace(object)), |set| {
                    controller_uid(object) == Some(meta::uid(set))
                        || (kind == "Pod"
                            && controller_uid(object).is_none()
                            && petctl_model::ordinal::of_pod(meta::name(set), meta::name(object))
                                .is_some())
                })
            }
            _ => Vec::new(),
        }
    }

    /// A claim event names the sets it concerns: their memos ask about
    /// that claim's owners again.
    fn observe(&mut self, kind: &'static str, object: &Value, keys: &[Key]) {
        if kind != "PersistentVolumeClaim" {
            return;
        }
        for key in keys {
            if let Some(memo) = self.memos.get_mut(key) {
                memo.claim_changed(meta::name(object));
            }
        }
    }

    fn reset(&mut self) {
        self.memos.clear();
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(set) = ctx.cache.shared(key).cloned() else {
            self.memos.remove(key);
            return Ok(Next::Done);
        };
        // A set being deleted is left to the garbage collector, as
        // updateStatefulSet does after computing its status.
        if meta::is_deleting(&set) {
            self.memos.remove(key);
            return Ok(Next::Done);
        }
        let mut memo = self.memos.remove(key).unwrap_or_default();
        let next = self.sync(ctx, &set, &mut memo);
        self.memos.insert(key.clone(), memo);
        next
    }
}

impl StatefulSetController {
    /// One sync of `set`, reading through (and keeping) its `memo`.
    fn sync(&mut self, ctx: &mut Ctx, set: &Value, memo: &mut SetMemo) -> Result<Next, ApiError> {
        memo.refresh(&ctx.cache, set);
        let orphans = memo.orphans();
        if !orphans.is_empty() {
            for adopted in Self::adopt(ctx, "Pod", &controller_ref(set), orphans)? {
                memo.rewritten(set, adopted);
            }
        }
        Self::adopt_revisions(ctx, set)?;
        let (current, update) = Self::revisions(ctx, set, &mut memo.wanted)?;
        let (current_name, update_name) = (
            meta::name(&current).to_string(),
            meta::name(&update).to_string(),
        );
        let view = View {
            set,
            pods: memo.pods(),
            current_revision: &current_name,
            update_revision: &update_name,
            now: SystemTime::now(),
        };
        let plan = plan::plan(&view);
        Self::sync_claim_owners(ctx, set, memo)?;
        for (name, ordinal) in memo.to_prepare(set) {
            // Its claims are read live: their owners are asked about again.
            memo.recheck(&name);
            self.create_claims(ctx, set, ordinal, false)?;
            memo.prepared(&ctx.cache, set, &name);
        }
        let update_template = meta::at(set, "/spec/template").unwrap_or(&Value::Null);
        let current_template = plan
            .steps
            .iter()
            .any(|step| {
                matches!(
                    step,
                    Step::Create {
                        at_update: false,
                        ..
                    }
                )
            })
            .then(|| revision::template_of(&current));
        let mut creates: Vec<(i64, &Value, &str)> = Vec::new();
        let mut batch = 1;
        for step in &plan.steps {
            match step {
                Step::Create { ordinal, at_update } => {
                    let at = match (at_update, &current_template) {
                        (false, Some(template)) => (template, current_name.as_str()),
                        _ => (update_template, update_name.as_str()),
                    };
                    creates.push((*ordinal, at.0, at.1));
                    if creates.len() == batch {
                        self.create_pods(ctx, set, &std::mem::take(&mut creates))?;
                        batch = (batch * 2).min(CREATE_BATCH);
                    }
                }
                Step::Delete { name, why } => {
                    if !creates.is_empty() {
                        self.create_pods(ctx, set, &std::mem::take(&mut creates))?;
                    }
                    Self::delete_pod(ctx, set, memo.pods(), name, *why)?;
                }
            }
        }
        if !creates.is_empty() {
            self.create_pods(ctx, set, &creates)?;
        }
        Self::write_status(ctx, set, plan.status)?;
        let live = [current_name.as_str(), update_name.as_str()];
        Self::truncate_history(ctx, set, memo.pods(), &live)?;
        Ok(match plan.requeue {
            Some(after) => Next::At(Instant::now() + after),
            None => Next::Done,
        })
    }
}
