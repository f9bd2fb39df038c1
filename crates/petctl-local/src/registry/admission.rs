//! Admission on create: the StorageObjectInUseProtection plugin
//! (`plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go`)
//! gives every claim and every volume its protection finalizer, so neither
//! goes while it is in use; the protection controller removes them. The
//! DefaultTolerationSeconds plugin
//! (`plugin/pkg/admission/defaulttolerationseconds/admission.go`) gives
//! every pod 300 s of tolerance for a not-ready or unreachable node.

use serde_json::{json, Value};

use super::meta;
use petctl_model::kinds::KindInfo;

pub const PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION: &str = "kubernetes.io/pv-protection";

/// The protection finalizer of a kind, if it has one.
pub fn protection_finalizer(kind: &str) -> Option<&'static str> {
    match kind {
        "PersistentVolumeClaim" => Some(PVC_PROTECTION),
        "PersistentVolume" => Some(PV_PROTECTION),
        _ => None,
    }
}

/// The taints the node lifecycle controller puts on a lost node.
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
/// `--default-not-ready-toleration-seconds` and
/// `--default-unreachable-toleration-seconds` of kube-apiserver.
pub const DEFAULT_TOLERATION_SECONDS: i64 = 300;

/// Adds the NoExecute tolerations for a not-ready and an unreachable node
/// that the pod does not have yet; a toleration with no key (or no effect)
/// counts as one for either.
fn default_toleration_seconds(pod: &mut Value) {
    let have = meta::list_at(pod, "/spec/tolerations");
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let tolerates = |taint: &str| {
        have.iter().any(|t| {
            let key = meta::str_at(t, "/key");
            (key.is_empty() || key == taint)
                && matches!(meta::str_at(t, "/effect"), "" | "NoExecute")
        })
    };
    let mut tolerations = have.clone();
    for taint in [NOT_READY_TAINT, UNREACHABLE_TAINT] {
        if !tolerates(taint) {
            tolerations.push(
                json!({"key": taint, "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": DEFAULT_TOLERATION_SECONDS}),
            );
        }
    }
    if tolerations.len() != have.len() {
        spec.insert("tolerations".into(), json!(tolerations));
    }
}

/// Mutates a new object as the admission chain does.
pub fn admit_create(kind: &KindInfo, object: &mut Value) {
    if kind.kind == "Pod" {
        default_toleration_seconds(object);
    }
    let Some(finalizer) = protection_finalizer(kind.kind) else {
        return;
    };
    let mut finalizers = meta::finalizers(object);
    if finalizers.iter().any(|f| f == finalizer) {
        return;
    }
    finalizers.push(finalizer.to_string());
    if let Some(meta) = meta::metadata_mut(object) {
        meta.insert("finalizers".into(), json!(finalizers));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    #[test]
    fn claims_and_volumes_get_their_finalizer_once() {
        let pvc = by_name("pvc").unwrap();
        let mut claim = json!({"metadata": {"name": "a", "finalizers": ["x"]}});
        admit_create(pvc, &mut claim);
        admit_create(pvc, &mut claim);
        assert_eq!(
            claim["metadata"]["finalizers"],
            json!(["x", PVC_PROTECTION])
        );
        let mut volume = json!({"metadata": {"name": "pv"}});
        admit_create(by_name("pv").unwrap(), &mut volume);
        assert_eq!(volume["metadata"]["finalizers"], json!([PV_PROTECTION]));
        let mut pod = json!({"metadata": {"name": "p"}});
        admit_create(by_name("pods").unwrap(), &mut pod);
        assert!(pod["metadata"].get("finalizers").is_none());
    }

    #[test]
    fn pods_get_the_default_toleration_seconds_they_lack() {
        let pods = by_name("pods").unwrap();
        let mut pod = json!({"spec": {"containers": []}});
        admit_create(pods, &mut pod);
        assert_eq!(
            pod["spec"]["tolerations"],
            json!([
                {"key": NOT_READY_TAINT, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                {"key": UNREACHABLE_TAINT, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            ])
        );
        let own = json!({"key": UNREACHABLE_TAINT, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 2});
        let mut pod = json!({"spec": {"tolerations": [own]}});
        admit_create(pods, &mut pod);
        assert_eq!(pod["spec"]["tolerations"].as_array().map(Vec::len), Some(2));
        assert_eq!(pod["spec"]["tolerations"][0], own);
        let mut tolerant = json!({"spec": {"tolerations": [{"operator": "Exists"}]}});
        admit_create(pods, &mut tolerant);
        assert_eq!(
            tolerant["spec"]["tolerations"],
            json!([{"operator": "Exists"}])
        );
    }
}
