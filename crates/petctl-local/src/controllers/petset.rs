//! The PetSet controller (apps/v1alpha1), as in Kubernetes 1.4: pets
//! `<set>-<ordinal>` with the governing service as subdomain, one claim per
//! claim template and pet that the controller never deletes, created one at
//! a time in order and removed newest first, paused by the debug hook.

pub mod plan;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{json, Map, Value};

use self::plan::{plan, Action, Blocker};
use super::cache::{Cache, Key};
use super::claims;
use super::events;
use super::pods;
use super::runner::{Ctx, Next, Reconciler};
use super::statefulset::identity::{claim_templates, pod_name};
use super::statefulset::StatefulSetController;
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

pub const HOSTNAME_ANNOTATION: &str = "pod.beta.kubernetes.io/hostname";
pub const SUBDOMAIN_ANNOTATION: &str = "pod.beta.kubernetes.io/subdomain";
const COMPONENT: &str = "petset";

/// The claim of template `claim` for pet `ordinal`: `<claim>-<set>-<ordinal>`.
pub fn claim_name(claim: &str, set: &str, ordinal: i64) -> String {
    format!("{claim}-{set}-{ordinal}")
}

/// The claims of pet `ordinal`, labelled with the set's selector.
pub fn claims_for(set: &Value, ordinal: i64) -> Vec<Value> {
    let labels = set
        .pointer("/spec/selector/matchLabels")
        .cloned()
        .unwrap_or_else(|| json!({}));
    claim_templates(set)
        .into_iter()
        .map(|template| {
            let name = claim_name(meta::name(&template), meta::name(set), ordinal);
            let mut metadata = Map::new();
            metadata.insert("name".into(), json!(name));
            metadata.insert("namespace".into(), json!(meta::namespace(set)));
            metadata.insert("labels".into(), labels.clone());
            if let Some(annotations) = meta::at(&template, "/metadata/annotations") {
                metadata.insert("annotations".into(), annotations.clone());
            }
            json!({"metadata": metadata, "spec": template.get("spec").cloned().unwrap_or_else(|| json!({}))})
        })
        .collect()
}

/// The controller reference a set's pets carry.
fn controller_ref(set: &Value) -> Value {
    json!({"apiVersion": "apps/v1alpha1", "kind": "PetSet", "name": meta::name(set),
           "uid": meta::uid(set), "controller": true, "blockOwnerDeletion": true})
}

/// Pet `ordinal` from the current template: identity (name, hostname,
/// subdomain, as spec fields and as the 1.4 annotations), its claims mounted
/// in place of the template's volumes of the same name, and a controller
/// reference so cascading deletion works with today's kubectl.
pub fn new_pet(set: &Value, ordinal: i64) -> Value {
    let name = format!("{}-{ordinal}", meta::name(set));
    let identity = pods::Identity {
        owner: controller_ref(set),
        labels: Vec::new(),
        annotations: vec![
            (HOSTNAME_ANNOTATION, name),
            (
                SUBDOMAIN_ANNOTATION,
                meta::str_at(set, "/spec/serviceName").to_string(),
            ),
        ],
    };
    let template = meta::at(set, "/spec/template").unwrap_or(&Value::Null);
    pods::pet_from_template(set, template, ordinal, identity)
}

/// The set's pets: pods its selector picks that are named `<set>-<ordinal>`,
/// shared with the cache.
pub fn pets_of(cache: &Cache, set: &Value) -> Vec<Arc<Value>> {
    let Some(selector) = pods::selector(set) else {
        return Vec::new();
    };
    let name = meta::name(set);
    let prefix = format!("{name}-");
    cache
        .named_with("Pod", meta::namespace(set), &prefix)
        .filter(|p| {
            pods::selects(&selector, p)
                && petctl_model::ordinal::of_pod(name, meta::name(p)).is_some()
        })
        .cloned()
        .collect()
}

#[derive(Default)]
pub struct PetSetController {
    /// The last blocker reported per set, so each pause is one event.
    reported: HashMap<Key, String>,
    waits: claims::Waits,
}

/// The PetSet controller's words for its claim events.
const CLAIM_WORDING: claims::Wording = claims::Wording {
    component: COMPONENT,
    created: |_, _, claim| format!("pvc: {claim}"),
    failed: |_, _, claim, err| format!("pvc: {claim}, error: {}", err.message),
    waiting: |_, pet, why| format!("pet: {pet}, error: {why}"),
};

impl PetSetController {
    /// The pet's claims, created when missing; whether they all existed.
    /// A claim being deleted stops a new pet, as in the StatefulSet
    /// controller.
    fn create_claims(
        &mut self,
        ctx: &mut Ctx,
        set: &Value,
        ordinal: i64,
        new_pet: bool,
    ) -> Result<bool, ApiError> {
        let pet = Key::new(
            "Pod",
            meta::namespace(set),
            &pod_name(meta::name(set), ordinal),
        );
        let claims = claims_for(set, ordinal);
        let waits = &mut self.waits;
        claims::prepare(ctx, waits, set, &pet, claims, new_pet, &CLAIM_WORDING)
    }

    /// The pet with its missing claims, in one commit.
    fn create_pet(&mut self, ctx: &mut Ctx, set: &Value, ordinal: i64) -> Result<(), ApiError> {
        let pet = new_pet(set, ordinal);
        let name = meta::name(&pet).to_string();
        let key = Key::new("Pod", meta::namespace(set), &name);
        let new = claims::NewPet {
            key,
            claims: claims_for(set, ordinal),
            pod: pet,
        };
        let outcome =
            claims::create_with_pods(ctx, &mut self.waits, set, vec![new], &CLAIM_WORDING);
        let (recreated, outcome) = outcome
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(ApiError::internal("the pet's create has no outcome")))?;
        let created = if recreated && !claim_templates(set).is_empty() {
            format!("pet: {name} (recreated with its claims)")
        } else {
            format!("pet: {name}")
        };
        let failed = |err: &ApiError| format!("pet: {name}, error: {}", err.message);
        events::pod_created(ctx, set, COMPONENT, &name, outcome, created, failed)
    }

    fn report_blocked(&mut self, ctx: &mut Ctx, key: &Key, set: &Value, pet: &str, why: Blocker) {
        let failing = ctx
            .cache
            .get(&Key::new("Pod", &key.namespace, pet))
            .and_then(|p| meta::at(p, "/status/containerStatuses/0/restartCount"))
            .and_then(Value::as_i64)
            .is_some_and(|r| r > 0);
        let note = format!("{pet}/{why:?}/{failing}");
        if self.reported.get(key) == Some(&note) {
            return;
        }
        self.reported.insert(key.clone(), note);
        match why {
            Blocker::Paused => {
                let message = format!(
                    "pet {pet} has {}=false: creation and deletion are paused",
                    pods::INITIALIZED_ANNOTATION
                );
                events::normal(ctx, set, COMPONENT, "Paused", message);
            }
            Blocker::Unhealthy => {
                if failing {
                    events::warning(
                        ctx,
                        set,
                        COMPONENT,
                        "PetFailing",
                        format!("pet {pet} is failing: its containers keep restarting"),
                    );
                }
            }
            Blocker::Dying => {}
        }
    }

    fn update_status(ctx: &mut Ctx, set: &Value, replicas: usize) -> Result<(), ApiError> {
        // 1.4 counted the pets it synced; the pets that exist tell more.
        let replicas = json!(replicas);
        let generation = set
            .pointer("/metadata/generation")
            .cloned()
            .unwrap_or(json!(1));
        if meta::at(set, "/status/replicas") == Some(&replicas)
            && meta::at(set, "/status/observedGeneration") == Some(&generation)
        {
            return Ok(());
        }
        let mut next = set.clone();
        next["status"] = json!({"replicas": replicas, "observedGeneration": generation});
        ctx.update_status("PetSet", next)?;
        Ok(())
    }
}

impl Reconciler for PetSetController {
    const NAME: &'static str = "petset-controller";

    const KINDS: &'static [&'static str] = &["PetSet", "Pod", "PersistentVolumeClaim"];
    const PRIMARY: &'static [&'static str] = &["PetSet"];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        match kind {
            "PetSet" => vec![Key::of(kind, object)],
            "PersistentVolumeClaim" => claims::sets_of_claim(cache, "PetSet", object),
            "Pod" => cache.keys_where("PetSet", Some(meta::namespace(object)), |set| {
                petctl_model::ordinal::of_pod(meta::name(set), meta::name(object)).is_some()
                    && pods::selector(set).is_some_and(|s| pods::selects(&s, object))
            }),
            _ => Vec::new(),
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let Some(set) = ctx.cache.shared(key).cloned() else {
            self.reported.remove(key);
            return Ok(Next::Done);
        };
        let pets = pets_of(&ctx.cache, &set);
        let live = pets.iter().filter(|p| !pods::is_dying(p)).count();
        if meta::is_deleting(&set) {
            return Ok(Next::Done);
        }
        // 1.4 PetSets took their pets by selector and name alone; the
        // controller reference each pet gets at creation (for cascading
        // deletion) is given to pets orphaned by a set deleted with
        // propagationPolicy Orphan and recreated, as a StatefulSet adopts.
        let pets = StatefulSetController::adopt(ctx, "Pod", &controller_ref(&set), pets)?;
        let replicas = set
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        for pet in pets.iter().filter(|p| pods::is_pending(p)) {
            match petctl_model::ordinal::of_pod(&key.name, meta::name(pet)) {
                Some(ordinal) if ordinal < replicas => {
                    self.create_claims(ctx, &set, ordinal, false)?;
                }
                _ => {}
            }
        }
        let refs: Vec<&Value> = pets.iter().map(|p| &**p).collect();
        match plan(&key.name, replicas, &refs) {
            Action::Create(ordinal) => {
                self.reported.remove(key);
                self.create_pet(ctx, &set, ordinal)?;
                Self::update_status(ctx, &set, live + 1)?;
            }
            Action::Delete(name) => {
                self.reported.remove(key);
                let pet_key = Key::new("Pod", &key.namespace, &name);
                let uid = pets
                    .iter()
                    .find(|p| meta::name(p) == name)
                    .map_or("", |p| meta::uid(p));
                ctx.delete(&pet_key, uid, DeleteOptions::default())?;
                events::normal(
                    ctx,
                    &set,
                    COMPONENT,
                    "SuccessfulDelete",
                    format!("pet: {name}"),
                );
                Self::update_status(ctx, &set, live.saturating_sub(1))?;
            }
            Action::Blocked { pet, why } => {
                self.report_blocked(ctx, key, &set, &pet, why);
                Self::update_status(ctx, &set, live)?;
            }
            Action::Steady => {
                self.reported.remove(key);
                Self::update_status(ctx, &set, live)?;
            }
        }
        Ok(Next::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Value {
        json!({"metadata": {"name": "web", "namespace": "default", "uid": "s1"},
               "spec": {"serviceName": "nginx", "replicas": 2,
                        "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"},
                                                  "annotations": {"pod.alpha.kubernetes.io/initialized": "true"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx-slim:0.8"}],
                                              "volumes": [{"name": "www", "emptyDir": {}}]}},
                        "volumeClaimTemplates": [{"metadata": {"name": "www", "annotations": {"volume.alpha.kubernetes.io/storage-class": "anything"}},
                                                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    }

    #[test]
    fn pets_carry_their_identity() {
        let pet = new_pet(&set(), 1);
        assert_eq!(pet["metadata"]["name"], "web-1");
        assert_eq!(pet["metadata"]["labels"], json!({"app": "nginx"}));
        assert_eq!(pet["metadata"]["annotations"][HOSTNAME_ANNOTATION], "web-1");
        assert_eq!(
            pet["metadata"]["annotations"][SUBDOMAIN_ANNOTATION],
            "nginx"
        );
        assert_eq!(
            pet["metadata"]["annotations"][pods::INITIALIZED_ANNOTATION],
            "true"
        );
        assert_eq!(pet["spec"]["hostname"], "web-1");
        assert_eq!(pet["spec"]["subdomain"], "nginx");
        assert_eq!(
            pet["spec"]["volumes"],
            json!([{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}])
        );
        assert_eq!(pet["metadata"]["ownerReferences"][0]["uid"], "s1");
        assert_eq!(pet["metadata"]["ownerReferences"][0]["controller"], true);
    }

    #[test]
    fn claims_are_named_per_pet_and_labelled_with_the_selector() {
        let claims = claims_for(&set(), 0);
        assert_eq!(claims.len(), 1);
        assert_eq!(claims[0]["metadata"]["name"], "www-web-0");
        assert_eq!(claims[0]["metadata"]["labels"], json!({"app": "nginx"}));
        assert_eq!(
            claims[0]["metadata"]["annotations"]["volume.alpha.kubernetes.io/storage-class"],
            "anything"
        );
        assert_eq!(claims[0]["spec"]["resources"]["requests"]["storage"], "1Gi");
    }
}
