//! A pet's claims before its pod, shared by the StatefulSet and PetSet
//! controllers, after `createPersistentVolumeClaims` in
//! `pkg/controller/statefulset/stateful_pod_control.go`: a missing claim is
//! created, a claim being deleted makes the pet wait ("pvc … is being
//! deleted"), and the decision is made on a live read, never on the cache
//! alone, since a claim deleted a moment ago may still be cached.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::cache::{Cache, Key};
use super::events;
use super::runner::{kind_info, Ctx};
use super::statefulset::identity::claim_templates;
use super::together::{Outcome as Written, Write};
use crate::registry::error::ApiError;
use crate::registry::meta;

/// What became of one claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It exists and is not being deleted.
    Present,
    Created(Arc<Value>),
    /// It is being deleted: the pet must wait for it to go.
    Deleting {
        uid: String,
    },
    Failed(ApiError),
}

/// Makes sure each of `claims` (the pet's, from its set's templates) exists,
/// creating the missing ones; returns each claim's name and outcome.
pub fn ensure(ctx: &mut Ctx, namespace: &str, claims: Vec<Value>) -> Vec<(String, Outcome)> {
    claims
        .into_iter()
        .map(|claim| {
            let key = Key::of("PersistentVolumeClaim", &claim);
            ctx.refresh(&key);
            let outcome = match ctx.cache.get(&key) {
                Some(existing) => present(existing),
                None => match ctx.create("PersistentVolumeClaim", namespace, claim) {
                    Ok(created) => Outcome::Created(created),
                    // Created meanwhile by someone else: what it is now counts.
                    Err(err) if err.code == 409 => {
                        ctx.refresh(&key);
                        ctx.cache.get(&key).map_or(Outcome::Failed(err), present)
                    }
                    Err(err) => Outcome::Failed(err),
                },
            };
            (key.name, outcome)
        })
        .collect()
}

impl Outcome {
    #[cfg(test)]
    fn created(&self) -> Option<&Value> {
        match self {
            Outcome::Created(claim) => Some(&**claim),
            _ => None,
        }
    }
}

fn present(claim: &Value) -> Outcome {
    if meta::is_deleting(claim) {
        Outcome::Deleting {
            uid: meta::uid(claim).to_string(),
        }
    } else {
        Outcome::Present
    }
}

/// How a controller words its claim events: each message given the set's
/// name, the pod's and the claim's (or, for a wait, why).
pub struct Wording {
    pub component: &'static str,
    pub created: fn(&str, &str, &str) -> String,
    /// The message of a failed create, given also the error.
    pub failed: fn(&str, &str, &str, &ApiError) -> String,
    /// The message of a new pet waiting on claims being deleted.
    pub waiting: fn(&str, &str, &str) -> String,
}

/// The claims of one pet of `set`, made sure of before its pod is created
/// (`new_pod`) or while it is Pending, since its claim may have gone since
/// (`createMissingPersistentVolumeClaims`). Records an event per created or
/// failed claim, and one per wait of a new pod on claims being deleted.
/// Returns whether every claim existed already.
pub fn prepare(
    ctx: &mut Ctx,
    waits: &mut Waits,
    set: &Value,
    pet: &Key,
    claims: Vec<Value>,
    new_pod: bool,
    wording: &Wording,
) -> Result<bool, ApiError> {
    let outcomes = ensure(ctx, &pet.namespace, claims);
    let mut existed = true;
    for (claim, outcome) in &outcomes {
        match outcome {
            Outcome::Created(_) => {
                existed = false;
                let message = (wording.created)(meta::name(set), &pet.name, claim);
                events::normal(ctx, set, wording.component, "SuccessfulCreate", message);
            }
            Outcome::Failed(err) => {
                let message = (wording.failed)(meta::name(set), &pet.name, claim, err);
                events::warning(ctx, set, wording.component, "FailedCreate", message);
                return Err(err.clone());
            }
            Outcome::Present | Outcome::Deleting { .. } => {}
        }
    }
    let Some(why) = deleting_error(&outcomes).filter(|_| new_pod) else {
        waits.0.remove(pet);
        return Ok(existed);
    };
    let uids = deleting_uids(&outcomes);
    if waits.0.get(pet) != Some(&uids) {
        let message = (wording.waiting)(meta::name(set), &pet.name, &why);
        events::warning(ctx, set, wording.component, "FailedCreate", message);
        waits.0.insert(pet.clone(), uids);
    }
    Err(ApiError::conflict(
        kind_info("PersistentVolumeClaim")?,
        &pet.name,
        &why,
    ))
}

/// A pet to create: its pod, and the claims it mounts.
pub struct NewPet {
    pub key: Key,
    pub claims: Vec<Value>,
    pub pod: Value,
}

/// What became of a new pet: whether every claim existed already, and the
/// pod's create; or the claims' error, which stopped the pod.
pub type PetOutcome = Result<(bool, Written), ApiError>;

/// [`prepare`] for new pods, each created after its missing claims and
/// only with them, as `CreateStatefulPod` creates the claims and then the
/// pod; all in one commit, the pets refused alone. A claim being deleted
/// stops its pod (the claims are read live first); such a pet is prepared
/// and created alone. Outcomes in the pets' order.
pub fn create_with_pods(
    ctx: &mut Ctx,
    waits: &mut Waits,
    set: &Value,
    pets: Vec<NewPet>,
    wording: &Wording,
) -> Vec<PetOutcome> {
    let mut outcomes: Vec<Option<PetOutcome>> = Vec::with_capacity(pets.len());
    let mut batched = Vec::new();
    let mut groups = Vec::new();
    for pet in pets {
        match missing_claims(ctx, &pet.claims) {
            Some(missing) => {
                groups.push(pet_writes(&pet.key, &missing, pet.pod));
                batched.push((pet.key, missing));
                outcomes.push(None);
            }
            None => {
                // The wait, its event and any other missing claim, as
                // before a pod alone; gone meanwhile, the pod follows alone.
                let alone = prepare(ctx, waits, set, &pet.key, pet.claims, true, wording)
                    .map(|existed| (existed, ctx.create("Pod", &pet.key.namespace, pet.pod)));
                outcomes.push(Some(alone));
            }
        }
    }
    let mut written = ctx.write_together(groups).into_iter();
    let mut batched = batched.into_iter();
    outcomes
        .into_iter()
        .map(|outcome| match outcome {
            Some(alone) => alone,
            None => {
                let (pet, missing) = batched.next().ok_or_else(no_outcome)?;
                let group = written.next().ok_or_else(no_outcome)?;
                settle_pet(ctx, waits, set, &pet, &missing, group, wording)
            }
        })
        .collect()
}

fn no_outcome() -> ApiError {
    ApiError::internal("a pet's create has no outcome")
}

/// The claims among `claims` missing from the store, read live; `None` if
/// one is being deleted.
fn missing_claims(ctx: &mut Ctx, claims: &[Value]) -> Option<Vec<Value>> {
    let mut missing = Vec::new();
    for claim in claims {
        let key = Key::of("PersistentVolumeClaim", claim);
        ctx.refresh(&key);
        match ctx.cache.get(&key).map(present) {
            Some(Outcome::Deleting { .. }) => return None,
            Some(_) => {}
            None => missing.push(claim.clone()),
        }
    }
    Some(missing)
}

/// A pet's writes: its missing claims, then its pod.
fn pet_writes(pet: &Key, missing: &[Value], pod: Value) -> Vec<Write> {
    let create = |kind, body| Write::Create {
        kind,
        namespace: pet.namespace.clone(),
        body,
    };
    let mut writes: Vec<Write> = missing
        .iter()
        .map(|claim| create("PersistentVolumeClaim", claim.clone()))
        .collect();
    writes.push(create("Pod", pod));
    writes
}

/// The events of one pet's writes, and what the pet came to.
fn settle_pet(
    ctx: &mut Ctx,
    waits: &mut Waits,
    set: &Value,
    pet: &Key,
    missing: &[Value],
    mut written: Vec<Written>,
    wording: &Wording,
) -> PetOutcome {
    let pod = written.pop().ok_or_else(no_outcome)?;
    for (claim, outcome) in missing.iter().zip(written) {
        let claim = meta::name(claim);
        match outcome {
            // Not written because the pod was refused: the pod's outcome
            // tells.
            Err(err) if pod.as_ref().err() == Some(&err) => {}
            Ok(_) => {
                let message = (wording.created)(meta::name(set), &pet.name, claim);
                events::normal(ctx, set, wording.component, "SuccessfulCreate", message);
            }
            // Created meanwhile by someone else.
            Err(err) if err.code == 409 => {}
            Err(err) => {
                let message = (wording.failed)(meta::name(set), &pet.name, claim, &err);
                events::warning(ctx, set, wording.component, "FailedCreate", message);
                return Err(err);
            }
        }
    }
    waits.0.remove(pet);
    Ok((missing.is_empty(), pod))
}

/// Per pet, the uids of the claims being deleted whose wait it reported.
#[derive(Debug, Default)]
pub struct Waits(HashMap<Key, Vec<String>>);

/// The error of a pet that waits on claims being deleted, worded as
/// upstream's aggregate of "pvc NAME is being deleted".
pub fn deleting_error(outcomes: &[(String, Outcome)]) -> Option<String> {
    let lines: Vec<String> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Deleting { .. }))
        .map(|(name, _)| format!("pvc {name} is being deleted"))
        .collect();
    match lines.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(format!("[{}]", many.join(", "))),
    }
}

/// The uids of the claims being deleted: one wait, one event.
pub fn deleting_uids(outcomes: &[(String, Outcome)]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            Outcome::Deleting { uid } => Some(uid.clone()),
            _ => None,
        })
        .collect()
}

/// The sets of `kind` in the claim's namespace whose pet claim it is
/// (`<template>-<set>-<ordinal>`), so a claim's coming and going wakes them.
pub fn sets_of_claim(cache: &Cache, kind: &'static str, claim: &Value) -> Vec<Key> {
    let name = meta::name(claim);
    cache.keys_where(kind, Some(meta::namespace(claim)), |set| {
        claim_templates(set).iter().any(|template| {
            name.strip_prefix(meta::name(template))
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|pet| petctl_model::ordinal::of_pod(meta::name(set), pet))
                .is_some()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::controllers::event_sink::EventSink;
    use crate::controllers::runner::Reconciler;
    use crate::controllers::statefulset::{identity, StatefulSetController};
    use crate::registry::{DeleteOptions, Registry, Target, WriteOptions};
    use crate::store::Store;
    use petctl_model::kinds::by_name;

    const KINDS: &[&str] = &[
        "StatefulSet",
        "Pod",
        "PersistentVolumeClaim",
        "ControllerRevision",
    ];

    fn set() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"serviceName": "web", "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "main", "image": "nginx"}]}},
                "volumeClaimTemplates": [{"metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    }

    /// A registry holding the set, and a controller context over it.
    fn context() -> (tempfile::TempDir, Ctx, Value) {
        let dir = tempfile::tempdir().unwrap();
        let registry = Arc::new(Registry::new(
            Store::open(&dir.path().join("s.redb")).unwrap(),
        ));
        registry.bootstrap().unwrap();
        let set = registry
            .create(
                by_name("sts").unwrap(),
                "default",
                set(),
                WriteOptions::default(),
            )
            .unwrap()
            .object;
        let cache = Cache::load(&registry, KINDS);
        (
            dir,
            Ctx::new(
                registry.clone(),
                cache,
                "kube-controller-manager",
                EventSink::inline(registry),
            ),
            set,
        )
    }

    fn claim_target() -> Target {
        Target {
            kind: by_name("pvc").unwrap(),
            namespace: "default".into(),
            name: "www-web-0".into(),
        }
    }

    /// Deletes the claim behind the cache's back, finalizers and all.
    fn delete_behind_the_cache(ctx: &Ctx) {
        let registry = &ctx.registry;
        registry
            .delete(
                &claim_target(),
                &DeleteOptions::default(),
                WriteOptions::default(),
            )
            .unwrap();
        let mut claim = registry.get(&claim_target()).unwrap();
        claim["metadata"]["finalizers"] = json!([]);
        registry
            .update(&claim_target(), None, claim, WriteOptions::default())
            .unwrap();
        assert!(registry.get(&claim_target()).is_err());
    }

    #[test]
    fn a_claim_the_cache_still_holds_is_created_again_once_gone() {
        let (_dir, mut ctx, set) = context();
        let first = ensure(&mut ctx, "default", identity::claims_for(&set, 0));
        assert!(matches!(first[0].1, Outcome::Created(_)), "{first:?}");
        delete_behind_the_cache(&ctx);
        let stale = Key::new("PersistentVolumeClaim", "default", "www-web-0");
        ctx.cache.put(
            "PersistentVolumeClaim",
            first[0].1.created().unwrap().clone(),
        );
        assert!(ctx.cache.get(&stale).is_some());
        let again = ensure(&mut ctx, "default", identity::claims_for(&set, 0));
        assert!(matches!(again[0].1, Outcome::Created(_)), "{again:?}");
    }

    #[test]
    fn a_claim_being_deleted_is_seen_even_when_the_cache_has_it_live() {
        let (_dir, mut ctx, set) = context();
        ensure(&mut ctx, "default", identity::claims_for(&set, 0));
        ctx.registry
            .delete(
                &claim_target(),
                &DeleteOptions::default(),
                WriteOptions::default(),
            )
            .unwrap();
        let outcomes = ensure(&mut ctx, "default", identity::claims_for(&set, 0));
        assert!(
            matches!(outcomes[0].1, Outcome::Deleting { .. }),
            "{outcomes:?}"
        );
    }

    #[test]
    fn a_pending_pet_whose_claim_is_gone_gets_it_on_the_next_sync() {
        let (_dir, mut ctx, set) = context();
        let pod = identity::new_pod(&set, &set["spec"]["template"], 0, "web-1");
        let mut pod = pod;
        pod["apiVersion"] = json!("v1");
        pod["kind"] = json!("Pod");
        ctx.registry
            .create(
                by_name("pods").unwrap(),
                "default",
                pod,
                WriteOptions::default(),
            )
            .unwrap();
        ctx.cache = Cache::load(&ctx.registry, KINDS);
        assert!(ctx.registry.get(&claim_target()).is_err());
        let key = Key::of("StatefulSet", &set);
        StatefulSetController::default()
            .reconcile(&mut ctx, &key)
            .unwrap();
        let claim = ctx.registry.get(&claim_target()).unwrap();
        assert_eq!(claim["metadata"]["labels"], json!({"app": "web"}));
    }

    #[test]
    fn waits_are_worded_as_upstream() {
        let deleting = |uid: &str| Outcome::Deleting { uid: uid.into() };
        assert_eq!(deleting_error(&[("a".into(), Outcome::Present)]), None);
        let one = [("www-web-0".to_string(), deleting("u1"))];
        assert_eq!(
            deleting_error(&one).as_deref(),
            Some("pvc www-web-0 is being deleted")
        );
        let two = [
            ("www-web-0".to_string(), deleting("u1")),
            ("log-web-0".to_string(), Outcome::Present),
            ("data-web-0".to_string(), deleting("u2")),
        ];
        assert_eq!(
            deleting_error(&two).as_deref(),
            Some("[pvc www-web-0 is being deleted, pvc data-web-0 is being deleted]")
        );
        assert_eq!(deleting_uids(&two), ["u1", "u2"]);
    }
}
