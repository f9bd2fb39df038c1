//! The claim templates of a set: the storage-class annotations that
//! `storageClassName` replaced.

use serde_json::{json, Map, Value};

use super::object::{beta_and_alpha, object_at, remove_annotation, Problem};
use super::{Changes, Target};
use petctl_model::field_path::FieldPath;

const STORAGE_CLASS_BETA: &str = "volume.beta.kubernetes.io/storage-class";
/// The alpha annotation asked for dynamic provisioning by the cluster's one
/// alpha provisioner and its value was never read (the persistent volume
/// controller's `findAlphaProvisionablePlugin`), so values like `anything`
/// name no StorageClass. Its modern meaning is "the default class".
const STORAGE_CLASS_ALPHA: &str = "volume.alpha.kubernetes.io/storage-class";

pub(super) fn convert(
    spec: &mut Map<String, Value>,
    target: Target,
    changes: &mut Changes,
) -> Result<(), Problem> {
    if target != Target::AppsV1 {
        return Ok(());
    }
    let base = FieldPath::root().key("spec").key("volumeClaimTemplates");
    let claims = match spec.get_mut("volumeClaimTemplates") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Array(claims)) => claims,
        Some(_) => return Err(Problem::new(base, "must be a list")),
    };
    for (i, claim) in claims.iter_mut().enumerate() {
        let path = base.index(i);
        let claim = claim
            .as_object_mut()
            .ok_or_else(|| Problem::new(path.clone(), "must be an object"))?;
        storage_class(claim, &path, changes)?;
    }
    Ok(())
}

fn storage_class(
    claim: &mut Map<String, Value>,
    path: &FieldPath,
    changes: &mut Changes,
) -> Result<(), Problem> {
    let (beta, alpha) = beta_and_alpha(claim, STORAGE_CLASS_BETA, STORAGE_CLASS_ALPHA, path)?;
    let annotations = path.key("metadata").key("annotations");
    let field = path.key("spec").key("storageClassName");
    if let Some(class) = &beta {
        let spec = object_at(claim, "spec", path)?;
        let previous = spec.insert("storageClassName".into(), json!(class));
        remove_annotation(claim, STORAGE_CLASS_BETA);
        changes.push(format!(
            "moved {}: {class:?} to {field}",
            annotations.key(STORAGE_CLASS_BETA)
        ));
        if let Some(previous) = previous.filter(|p| !p.is_null() && p != &json!(class)) {
            changes.push(format!(
                "replaced {field}: {previous} with the annotation's class, which Kubernetes reads first"
            ));
        }
    }
    if let Some(value) = &alpha {
        let has_class = claim
            .get("spec")
            .and_then(|s| s.get("storageClassName"))
            .is_some_and(|c| !c.is_null());
        remove_annotation(claim, STORAGE_CLASS_ALPHA);
        let shown = annotations.key(STORAGE_CLASS_ALPHA);
        changes.push(if beta.is_some() {
            format!("removed {shown}: {value:?}: the beta annotation took precedence over it")
        } else if has_class {
            format!("removed {shown}: {value:?}: {field} took precedence over it")
        } else {
            format!(
                "removed {shown}: {value:?}: the alpha provisioner never read its value, so {field} stays unset and the cluster's default StorageClass provisions the claim"
            )
        });
    }
    Ok(())
}
