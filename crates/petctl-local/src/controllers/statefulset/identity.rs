//! A StatefulSet pod's identity and storage, as `stateful_set_utils.go`
//! builds them: name, hostname, subdomain, the pod-name / pod-index /
//! revision labels, the claims per ordinal, and the ownerReferences a claim
//! should carry under the set's persistentVolumeClaimRetentionPolicy.

use serde_json::{json, Map, Value};

use crate::controllers::pods;
use crate::registry::meta;

pub const POD_NAME_LABEL: &str = "statefulset.kubernetes.io/pod-name";
pub const POD_INDEX_LABEL: &str = "apps.kubernetes.io/pod-index";
pub const REVISION_LABEL: &str = "controller-revision-hash";

pub fn pod_name(set: &str, ordinal: i64) -> String {
    format!("{set}-{ordinal}")
}

/// The set's claim templates (PetSets and StatefulSets alike).
pub fn claim_templates(set: &Value) -> Vec<Value> {
    meta::list_at(set, "/spec/volumeClaimTemplates")
}

/// `getPersistentVolumeClaims`: one claim per template, named
/// `<claim>-<set>-<ordinal>`, labelled with the selector's matchLabels.
pub fn claims_for(set: &Value, ordinal: i64) -> Vec<Value> {
    let selector = set
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    claim_templates(set)
        .into_iter()
        .map(|mut claim| {
            let name = format!(
                "{}-{}",
                meta::name(&claim),
                pod_name(meta::name(set), ordinal)
            );
            let metadata = claim
                .get("metadata")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let mut labels = metadata
                .get("labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            labels.extend(selector.clone());
            let mut fresh = Map::new();
            fresh.insert("name".into(), json!(name));
            fresh.insert("namespace".into(), json!(meta::namespace(set)));
            fresh.insert("labels".into(), Value::Object(labels));
            if let Some(annotations) = metadata.get("annotations") {
                fresh.insert("annotations".into(), annotations.clone());
            }
            if let Some(map) = claim.as_object_mut() {
                map.insert("metadata".into(), Value::Object(fresh));
                map.remove("status");
                map.remove("apiVersion");
                map.remove("kind");
            }
            claim
        })
        .collect()
}

/// The names of pod `ordinal`'s claims, without building the claims.
pub fn claim_names(set: &Value, ordinal: i64) -> Vec<String> {
    meta::at(set, "/spec/volumeClaimTemplates")
        .and_then(Value::as_array)
        .map(|templates| {
            templates
                .iter()
                .map(|t| format!("{}-{}", meta::name(t), pod_name(meta::name(set), ordinal)))
                .collect()
        })
        .unwrap_or_default()
}

/// `newStatefulSetPod` with `template` (the template of the revision the pod
/// is created at) and `revision` (that revision's name).
pub fn new_pod(set: &Value, template: &Value, ordinal: i64, revision: &str) -> Value {
    let identity = pods::Identity {
        owner: super::controller_ref(set),
        labels: vec![
            (POD_NAME_LABEL, pod_name(meta::name(set), ordinal)),
            (POD_INDEX_LABEL, ordinal.to_string()),
            (REVISION_LABEL, revision.to_string()),
        ],
        annotations: Vec::new(),
    };
    pods::pet_from_template(set, template, ordinal, identity)
}

/// Retain or Delete, for one of the two retention triggers.
fn deletes(set: &Value, when: &str) -> bool {
    meta::at(set, "/spec/persistentVolumeClaimRetentionPolicy")
        .and_then(|policy| policy.get(when))
        .and_then(Value::as_str)
        == Some("Delete")
}

fn reference(api_version: &str, kind: &str, owner: &Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "name": meta::name(owner), "uid": meta::uid(owner)})
}

/// Which of the set's and the pod's references a claim should carry:
/// the set's under whenDeleted=Delete while its pod is in range, the pod's
/// under whenScaled=Delete once the pod is condemned.
fn wanted_refs(set: &Value, condemned: bool) -> (bool, bool) {
    let (when_deleted, when_scaled) = (deletes(set, "whenDeleted"), deletes(set, "whenScaled"));
    (
        when_deleted && !(when_scaled && condemned),
        when_scaled && condemned,
    )
}

/// The ownerReferences `claim` should have (`updateClaimOwnerRefForSetAndPod`):
/// a reference to the set under whenDeleted=Delete while its pod is in range,
/// a reference to the pod under whenScaled=Delete once the pod is condemned;
/// references to other owners are kept.
pub fn claim_owner_refs(set: &Value, pod: &Value, condemned: bool, claim: &Value) -> Vec<Value> {
    let set_uid = meta::uid(set);
    let pod_uid = meta::uid(pod);
    let mut refs: Vec<Value> = meta::list_at(claim, "/metadata/ownerReferences");
    refs.retain(|r| {
        let uid = meta::str_at(r, "/uid");
        uid != set_uid && uid != pod_uid
    });
    let (set_ref, pod_ref) = wanted_refs(set, condemned);
    if set_ref {
        refs.push(reference("apps/v1", "StatefulSet", set));
    }
    if pod_ref {
        refs.push(reference("v1", "Pod", pod));
    }
    refs
}

/// Whether `claim` already has the ownerReferences `claim_owner_refs`
/// would give it, read without building them (a sync asks this of every
/// claim of the set, and the answer is almost always yes).
pub fn claim_owners_in_line(set: &Value, pod: &Value, condemned: bool, claim: &Value) -> bool {
    let (set_uid, pod_uid) = (meta::uid(set), meta::uid(pod));
    let have = meta::items_at(claim, "/metadata/ownerReferences");
    let ours = |r: &Value| matches!(meta::str_at(r, "/uid"), u if u == set_uid || u == pod_uid);
    let kept = have.iter().take_while(|r| !ours(r)).count();
    let (set_ref, pod_ref) = wanted_refs(set, condemned);
    let mut tail = have[kept..].iter();
    let mut next_is = |api_version: &str, kind: &str, owner: &Value| {
        tail.next()
            .is_some_and(|r| is_reference(r, api_version, kind, owner))
    };
    (!set_ref || next_is("apps/v1", "StatefulSet", set))
        && (!pod_ref || next_is("v1", "Pod", pod))
        && tail.next().is_none()
}

/// `r` equals `reference(api_version, kind, owner)`.
fn is_reference(r: &Value, api_version: &str, kind: &str, owner: &Value) -> bool {
    let Some(map) = r.as_object() else {
        return false;
    };
    let is = |key: &str, want: &str| map.get(key).and_then(Value::as_str) == Some(want);
    map.len() == 4
        && is("apiVersion", api_version)
        && is("kind", kind)
        && is("name", meta::name(owner))
        && is("uid", meta::uid(owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(when_deleted: &str, when_scaled: &str) -> Value {
        json!({"metadata": {"name": "web", "namespace": "default", "uid": "s"},
               "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "web"}},
                        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": when_deleted, "whenScaled": when_scaled},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": [{"name": "c", "image": "nginx:1"}]}},
                        "volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                  "metadata": {"name": "www", "labels": {"tier": "data"}},
                                                  "spec": {"accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Pending"}}]}})
    }

    #[test]
    fn pods_get_their_identity() {
        let s = set("Retain", "Retain");
        let pod = new_pod(&s, &s["spec"]["template"], 2, "web-abc");
        assert_eq!(pod["metadata"]["name"], "web-2");
        assert_eq!(
            pod["metadata"]["labels"],
            json!({"app": "web", POD_NAME_LABEL: "web-2", POD_INDEX_LABEL: "2", REVISION_LABEL: "web-abc"})
        );
        assert_eq!(pod["spec"]["hostname"], "web-2");
        assert_eq!(pod["spec"]["subdomain"], "nginx");
        assert_eq!(
            pod["spec"]["volumes"],
            json!([{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-2"}}])
        );
        assert_eq!(pod["metadata"]["ownerReferences"][0]["controller"], true);
        let claims = claims_for(&s, 2);
        assert_eq!(claims[0]["metadata"]["name"], "www-web-2");
        assert_eq!(
            claims[0]["metadata"]["labels"],
            json!({"tier": "data", "app": "web"})
        );
        assert!(claims[0].get("status").is_none());
    }

    #[test]
    fn claim_owners_follow_the_retention_policy() {
        let pod = json!({"metadata": {"name": "web-3", "uid": "p"}});
        let claim =
            json!({"metadata": {"name": "www-web-3", "ownerReferences": [{"uid": "other"}]}});
        let owners = |policy: (&str, &str), condemned: bool| -> Vec<String> {
            claim_owner_refs(&set(policy.0, policy.1), &pod, condemned, &claim)
                .iter()
                .map(|r| meta::str_at(r, "/uid").to_string())
                .collect()
        };
        for (policy, condemned, want) in [
            (("Retain", "Retain"), false, vec!["other"]),
            (("Retain", "Retain"), true, vec!["other"]),
            (("Delete", "Retain"), false, vec!["other", "s"]),
            (("Delete", "Retain"), true, vec!["other", "s"]),
            (("Retain", "Delete"), false, vec!["other"]),
            (("Retain", "Delete"), true, vec!["other", "p"]),
            (("Delete", "Delete"), false, vec!["other", "s"]),
            (("Delete", "Delete"), true, vec!["other", "p"]),
        ] {
            assert_eq!(
                owners(policy, condemned),
                want,
                "{policy:?} condemned={condemned}"
            );
            let s = set(policy.0, policy.1);
            let mut fixed = claim.clone();
            fixed["metadata"]["ownerReferences"] =
                json!(claim_owner_refs(&s, &pod, condemned, &claim));
            assert!(claim_owners_in_line(&s, &pod, condemned, &fixed));
            let untouched = want == ["other"];
            assert_eq!(claim_owners_in_line(&s, &pod, condemned, &claim), untouched);
            let mut reversed = fixed.clone();
            if let Some(refs) = reversed["metadata"]["ownerReferences"].as_array_mut() {
                refs.reverse();
            }
            assert_eq!(
                claim_owners_in_line(&s, &pod, condemned, &reversed),
                untouched
            );
        }
    }
}
