//! The StatefulSet controller (apps/v1), after `pkg/controller/statefulset`:
//! adopts its pods, keeps ControllerRevisions of its template, runs the
//! planned creates and deletes with their claims, keeps claim
//! ownerReferences in line with the retention policy, reports status and
//! trims the revision history.

mod facts;
pub mod identity;
mod plan;
mod revision;

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use serde_json::{json, Value};

use self::facts::PodFacts;
use self::plan::{Step, View, Why};
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

/// Pods the set owns, or could adopt: picked by its selector, named
/// `<set>-<ordinal>`, and controlled by the set or by nothing; shared with
/// the cache, in name order. Found through the owner index, so a sync
/// looks at the set's own pods and the namespace's orphans only.
fn candidate_pods(cache: &Cache, set: &Value) -> Vec<Arc<Value>> {
    let Some(selector) = pods::selector(set) else {
        return Vec::new();
    };
    let namespace = meta::namespace(set);
    let mut found: Vec<(&str, &Arc<Value>)> = cache
        .owned_by("Pod", namespace, Some(meta::uid(set)))
        .chain(cache.owned_by("Pod", namespace, None))
        .map(|p| (meta::name(p), p))
        .filter(|(name, p)| {
            petctl_model::ordinal::of_pod(meta::name(set), name).is_some()
                && pods::selects(&selector, p)
        })
        .collect();
    found.sort_unstable_by_key(|(name, _)| *name);
    found.into_iter().map(|(_, p)| Arc::clone(p)).collect()
}

#[derive(Default)]
pub struct StatefulSetController {
    waits: claims::Waits,
}

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
            owned.push(Arc::new(ctx.update(kind, next)?));
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

    /// The current and update revisions (`getStatefulSetRevisions`).
    fn revisions(ctx: &mut Ctx, set: &Value) -> Result<(Value, Value), ApiError> {
        let uid = meta::uid(set);
        let mut history: Vec<Value> = ctx
            .cache
            .owned_by("ControllerRevision", meta::namespace(set), Some(uid))
            .map(|r| Value::clone(r))
            .collect();
        history.sort_by_key(revision::number);
        let next_number = history.last().map_or(1, |r| revision::number(r) + 1);
        let collisions = meta::int_at(set, "/status/collisionCount").unwrap_or(0);
        let wanted = revision::new_revision(set, next_number, collisions);
        let equivalent = history
            .iter()
            .position(|r| r.get("data") == wanted.get("data"));
        let update = match equivalent {
            Some(i) if i + 1 == history.len() => history[i].clone(),
            Some(i) => {
                let mut bumped = history[i].clone();
                bumped["revision"] = json!(next_number);
                ctx.update("ControllerRevision", bumped)?
            }
            None => match ctx.create("ControllerRevision", meta::namespace(set), wanted) {
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
            },
        };
        let current_name = meta::str_at(set, "/status/currentRevision");
        let current = history
            .iter()
            .find(|r| meta::name(r) == current_name)
            .cloned()
            .unwrap_or_else(|| update.clone());
        Ok((current, update))
    }

    fn sync_claim_owners(ctx: &mut Ctx, set: &Value, pods: &[PodFacts]) -> Result<(), ApiError> {
        let wanted = wanted_ordinals(set);
        for pod in pods.iter().filter(|p| !p.dying) {
            let Some(ordinal) = pod.ordinal else {
                continue;
            };
            let condemned = !wanted.contains(&ordinal);
            for claim in identity::claim_names(set, ordinal) {
                let key = Key::new("PersistentVolumeClaim", meta::namespace(set), &claim);
                let Some(existing) = ctx.cache.get(&key) else {
                    continue;
                };
                if meta::is_deleting(existing)
                    || identity::claim_owners_in_line(set, pod.pod, condemned, existing)
                {
                    continue;
                }
                let wanted = identity::claim_owner_refs(set, pod.pod, condemned, existing);
                let mut next = existing.clone();
                next["metadata"]["ownerReferences"] = json!(wanted);
                ctx.update("PersistentVolumeClaim", next)?;
            }
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
        let set_name = meta::name(set);
        let pod_name = identity::pod_name(set_name, ordinal);
        let pet = Key::new("Pod", meta::namespace(set), &pod_name);
        let wording = claims::Wording {
            component: COMPONENT,
            created: &|claim| {
                format!("create Claim {claim} Pod {pod_name} in StatefulSet {set_name} success")
            },
            failed: &|claim, err| {
                format!(
                    "create Claim {claim} for Pod {pod_name} in StatefulSet {set_name} failed error: {}",
                    err.message
                )
            },
            waiting: &|pod, why| {
                format!("create Pod {pod} in StatefulSet {set_name} failed error: {why}")
            },
        };
        let claims = identity::claims_for(set, ordinal);
        claims::prepare(ctx, &mut self.waits, set, &pet, claims, new_pod, &wording)?;
        Ok(())
    }

    fn create_pod(
        &mut self,
        ctx: &mut Ctx,
        set: &Value,
        ordinal: i64,
        template: &Value,
        revision: &str,
    ) -> Result<(), ApiError> {
        let pod = identity::new_pod(set, template, ordinal, revision);
        let pod_name = meta::name(&pod).to_string();
        self.create_claims(ctx, set, ordinal, true)?;
        let set_name = meta::name(set);
        let created = format!("create Pod {pod_name} in StatefulSet {set_name} successful");
        let failed = |err: &ApiError| {
            let why = &err.message;
            format!("create Pod {pod_name} in StatefulSet {set_name} failed error: {why}")
        };
        events::create_pod(ctx, set, COMPONENT, pod, created, failed)
    }

    fn delete_pod(
        ctx: &mut Ctx,
        set: &Value,
        pods: &[PodFacts],
        name: &str,
        why: Why,
    ) -> Result<(), ApiError> {
        let uid = pods.iter().find(|p| p.name == name).map_or("", |p| p.uid);
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
        let in_use: std::collections::HashSet<&str> = pods.iter().map(|p| p.revision).collect();
        let mut history: Vec<Arc<Value>> = ctx
            .cache
            .owned_by("ControllerRevision", meta::namespace(set), Some(uid))
            .filter(|r| !live.contains(&meta::name(r)) && !in_use.contains(meta::name(r)))
            .cloned()
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
fn wanted_ordinals(set: &Value) -> std::ops::Range<i64> {
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

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(set) = ctx.cache.shared(key).cloned() else {
            return Ok(Next::Done);
        };
        // A set being deleted is left to the garbage collector, as
        // updateStatefulSet does after computing its status.
        if meta::is_deleting(&set) {
            return Ok(Next::Done);
        }
        let candidates = candidate_pods(&ctx.cache, &set);
        let pods = Self::adopt(ctx, "Pod", &controller_ref(&set), candidates)?;
        Self::adopt_revisions(ctx, &set)?;
        let (current, update) = Self::revisions(ctx, &set)?;
        let (current_name, update_name) = (
            meta::name(&current).to_string(),
            meta::name(&update).to_string(),
        );
        let facts = PodFacts::all(&set, pods.iter().map(|p| &**p));
        let view = View {
            set: &set,
            pods: &facts,
            current_revision: &current_name,
            update_revision: &update_name,
            now: SystemTime::now(),
        };
        let plan = plan::plan(&view);
        Self::sync_claim_owners(ctx, &set, &facts)?;
        let wanted = wanted_ordinals(&set);
        for pod in facts.iter().filter(|p| p.pending()) {
            match pod.ordinal {
                Some(ordinal) if wanted.contains(&ordinal) => {
                    self.create_claims(ctx, &set, ordinal, false)?
                }
                _ => {}
            }
        }
        for step in &plan.steps {
            match step {
                Step::Create {
                    ordinal,
                    at_update: true,
                } => self.create_pod(
                    ctx,
                    &set,
                    *ordinal,
                    meta::at(&set, "/spec/template").unwrap_or(&Value::Null),
                    &update_name,
                )?,
                Step::Create {
                    ordinal,
                    at_update: false,
                } => self.create_pod(
                    ctx,
                    &set,
                    *ordinal,
                    &revision::template_of(&current),
                    &current_name,
                )?,
                Step::Delete { name, why } => Self::delete_pod(ctx, &set, &facts, name, *why)?,
            }
        }
        Self::write_status(ctx, &set, plan.status.clone())?;
        let live = [current_name.as_str(), update_name.as_str()];
        Self::truncate_history(ctx, &set, &facts, &live)?;
        Ok(match plan.requeue {
            Some(after) => Next::At(Instant::now() + after),
            None => Next::Done,
        })
    }
}
