//! Services: defaults (type, IP families, target ports) and a cluster IP
//! that may not change once set.

use serde_json::{json, Value};

use super::{default, obj};
use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;

pub(super) fn apply_defaults(object: &mut Value) {
    let Some(spec) = obj(object, "spec") else {
        return;
    };
    default(spec, "type", json!("ClusterIP"));
    default(spec, "sessionAffinity", json!("None"));
    let cluster_ip = spec.get("clusterIP").and_then(Value::as_str) == Some("None");
    if spec.get("type").and_then(Value::as_str) != Some("ExternalName") {
        default(spec, "internalTrafficPolicy", json!("Cluster"));
        default(spec, "ipFamilies", json!(["IPv4"]));
        default(spec, "ipFamilyPolicy", json!("SingleStack"));
    }
    if cluster_ip {
        default(spec, "clusterIPs", json!(["None"]));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            default(port, "protocol", json!("TCP"));
            if let Some(number) = port.get("port").cloned() {
                default(port, "targetPort", number);
            }
        }
    }
}

/// Update rules that depend on the old object: immutable fields.
pub(super) fn validate_update(old: &Value, new: &Value) -> Vec<Cause> {
    let spec = FieldPath::root().key("spec");
    let mut causes = Vec::new();
    let ip = |v: &Value| v.pointer("/spec/clusterIP").cloned().unwrap_or(Value::Null);
    let (old_ip, new_ip) = (ip(old), ip(new));
    if old_ip != new_ip && !new_ip.is_null() {
        causes.push(Cause::invalid(
            spec.key("clusterIPs").index(0),
            &new_ip,
            "may not change once set",
        ));
    }
    causes
}
