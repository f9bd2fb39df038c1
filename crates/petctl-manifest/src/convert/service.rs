//! Services: the alpha tolerate-unready-endpoints annotation, which let a
//! governing Service publish pets before they were ready, becomes its
//! successor field `publishNotReadyAddresses` (Kubernetes 1.24 stopped
//! reading the annotation).

use serde_json::Value;

use super::object::{annotation, go_bool, object_at, remove_annotation, Problem};
use super::{Changes, Converted, Target};
use crate::Document;
use petctl_model::field_path::FieldPath;

const TOLERATE_ALPHA: &str = "service.alpha.kubernetes.io/tolerate-unready-endpoints";
/// Found in real manifests, but the endpoints controller only ever read the
/// alpha key, so it never had an effect.
const TOLERATE_BETA: &str = "service.beta.kubernetes.io/tolerate-unready-endpoints";

pub(super) fn convert(doc: &Document, target: Target) -> Result<Converted, Problem> {
    let mut value = doc.value.clone();
    let mut changes = Changes::new(format!("service {:?}", doc.name()));
    if let (Target::AppsV1, Some(service)) = (target, value.as_object_mut()) {
        let root = FieldPath::root();
        let annotations = root.key("metadata").key("annotations");
        if let Some(text) = annotation(service, TOLERATE_ALPHA, &root)?.map(str::to_owned) {
            let shown = annotations.key(TOLERATE_ALPHA);
            remove_annotation(service, TOLERATE_ALPHA);
            match go_bool(&text) {
                Some(true) => {
                    let spec = object_at(service, "spec", &root)?;
                    if spec.get("publishNotReadyAddresses") != Some(&Value::Bool(true)) {
                        spec.insert("publishNotReadyAddresses".into(), Value::Bool(true));
                    }
                    changes.push(format!(
                        "moved {shown}: {text:?} to spec.publishNotReadyAddresses: true, its successor"
                    ));
                }
                Some(false) => {
                    changes.push(format!("removed {shown}: {text:?}: it asked for nothing"))
                }
                None => changes.push(format!(
                    "removed {shown}: {text:?}: it is not a boolean, so Kubernetes ignored it"
                )),
            }
        }
        if let Some(text) = annotation(service, TOLERATE_BETA, &root)? {
            changes.push(format!(
                "left {}: {text:?} as it is: Kubernetes never read the beta key; set spec.publishNotReadyAddresses: true if pets must resolve before they are ready",
                annotations.key(TOLERATE_BETA)
            ));
        }
    }
    Ok(Converted {
        value,
        changes: changes.lines,
    })
}
