//! Admission on create: the StorageObjectInUseProtection plugin
//! (`plugin/pkg/admission/storage/storageobjectinuseprotection/admission.go`)
//! gives every claim and every volume its protection finalizer, so neither
//! goes while it is in use; the protection controller removes them.

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

/// Mutates a new object as the admission chain does.
pub fn admit_create(kind: &KindInfo, object: &mut Value) {
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
}
