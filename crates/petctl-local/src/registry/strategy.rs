//! Per-kind strategies, as kube-apiserver's registries have them: defaults,
//! the status a new object starts with, which part of an object a write to
//! the main resource or to `/status` may change, and immutable fields.

use serde_json::{json, Map, Value};

use super::error::Cause;
use petctl_model::field_path::FieldPath;
use petctl_model::kinds::KindInfo;

const STATEFULSET_SPEC_FORBIDDEN: &str = "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
const PETSET_SPEC_FORBIDDEN: &str =
    "updates to petset spec for fields other than 'replicas' and 'containers' are forbidden.";
const POD_SPEC_FORBIDDEN: &str = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// Whether a kind bumps metadata.generation when its spec changes.
pub fn tracks_generation(kind: &KindInfo) -> bool {
    matches!(kind.kind, "StatefulSet" | "PetSet")
}

/// Whether a kind has a `status` that only `/status` may write.
pub fn has_status_subresource(kind: &KindInfo) -> bool {
    kind.has_subresource("status")
}

fn obj<'a>(value: &'a mut Value, key: &str) -> Option<&'a mut Map<String, Value>> {
    let map = value.as_object_mut()?;
    let entry = map.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut()
}

fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_string(), value);
    }
}

/// Fills defaults, as the versioned defaulting functions do.
pub fn apply_defaults(kind: &KindInfo, object: &mut Value) {
    match kind.kind {
        "StatefulSet" => default_statefulset(object),
        "PetSet" => default_petset(object),
        "Pod" => {
            if let Some(spec) = obj(object, "spec") {
                default_pod_spec(spec);
            }
        }
        "Service" => default_service(object),
        "PersistentVolumeClaim" => {
            if let Some(spec) = obj(object, "spec") {
                default(spec, "volumeMode", json!("Filesystem"));
                // The DefaultStorageClass admission plugin: a claim that
                // names no class gets the default one, "standard" here. An
                // explicit "" (no class) is kept.
                default(spec, "storageClassName", json!("standard"));
            }
        }
        "PersistentVolume" => {
            if let Some(spec) = obj(object, "spec") {
                default(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
                default(spec, "volumeMode", json!("Filesystem"));
            }
        }
        "Secret" => {
            if let Some(map) = object.as_object_mut() {
                default(map, "type", json!("Opaque"));
            }
        }
        "Namespace" => {
            if let Some(spec) = obj(object, "spec") {
                default(spec, "finalizers", json!(["kubernetes"]));
            }
        }
        _ => {}
    }
}

fn default_pod_spec(spec: &mut Map<String, Value>) {
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "securityContext", json!({}));
    default(spec, "schedulerName", json!("default-scheduler"));
    for list in ["initContainers", "containers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for container in containers.iter_mut().filter_map(Value::as_object_mut) {
                default_container(container);
            }
        }
    }
}

fn default_container(container: &mut Map<String, Value>) {
    let image = container.get("image").and_then(Value::as_str).unwrap_or("");
    let policy = if image_tag(image).is_none_or(|tag| tag == "latest") {
        "Always"
    } else {
        "IfNotPresent"
    };
    default(container, "imagePullPolicy", json!(policy));
    default(
        container,
        "terminationMessagePath",
        json!("/dev/termination-log"),
    );
    default(container, "terminationMessagePolicy", json!("File"));
    default(container, "resources", json!({}));
    if let Some(ports) = container.get_mut("ports").and_then(Value::as_array_mut) {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            default(port, "protocol", json!("TCP"));
        }
    }
}

/// The tag of an image reference, ignoring a registry port and a digest.
fn image_tag(image: &str) -> Option<&str> {
    if image.contains('@') {
        return Some("digest");
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').map(|(_, tag)| tag)
}

fn default_template(spec: &mut Map<String, Value>) {
    if let Some(template) = spec.get_mut("template") {
        if let Some(pod_spec) = obj(template, "spec") {
            default_pod_spec(pod_spec);
        }
    }
}

fn default_statefulset(object: &mut Value) {
    let Some(spec) = obj(object, "spec") else {
        return;
    };
    default(spec, "replicas", json!(1));
    default(spec, "podManagementPolicy", json!("OrderedReady"));
    default(spec, "revisionHistoryLimit", json!(10));
    default(
        spec,
        "updateStrategy",
        json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
    );
    if let Some(strategy) = spec
        .get_mut("updateStrategy")
        .and_then(Value::as_object_mut)
    {
        if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate") {
            let rolling = strategy.entry("rollingUpdate").or_insert_with(|| json!({}));
            if let Some(rolling) = rolling.as_object_mut() {
                default(rolling, "partition", json!(0));
            }
        }
    }
    default(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    default_template(spec);
    if let Some(claims) = spec
        .get_mut("volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for claim in claims.iter_mut() {
            if let Some(map) = claim.as_object_mut() {
                default(map, "apiVersion", json!("v1"));
                default(map, "kind", json!("PersistentVolumeClaim"));
            }
            if let Some(claim_spec) = obj(claim, "spec") {
                default(claim_spec, "volumeMode", json!("Filesystem"));
            }
            if let Some(status) = obj(claim, "status") {
                default(status, "phase", json!("Pending"));
            }
        }
    }
}

/// apps/v1alpha1 defaulting: replicas 1; the selector and the set's labels
/// come from the template's labels when missing.
fn default_petset(object: &mut Value) {
    let template_labels = object
        .pointer("/spec/template/metadata/labels")
        .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
        .cloned();
    if let Some(spec) = obj(object, "spec") {
        default(spec, "replicas", json!(1));
        if let Some(labels) = &template_labels {
            default(spec, "selector", json!({"matchLabels": labels}));
        }
        default_template(spec);
    }
    if let (Some(labels), Some(meta)) = (template_labels, obj(object, "metadata")) {
        if meta
            .get("labels")
            .and_then(Value::as_object)
            .is_none_or(Map::is_empty)
        {
            meta.insert("labels".into(), labels);
        }
    }
}

fn default_service(object: &mut Value) {
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

/// The status a freshly created object starts with; whatever status the
/// client sent is dropped, as PrepareForCreate does.
pub fn initial_status(kind: &KindInfo, object: &Value) -> Option<Value> {
    match kind.kind {
        "StatefulSet" => Some(json!({"replicas": 0, "availableReplicas": 0})),
        "PetSet" => Some(json!({"replicas": 0})),
        "Pod" => Some(json!({"phase": "Pending", "qosClass": qos_class(object)})),
        "PersistentVolumeClaim" => Some(json!({"phase": "Pending"})),
        "PersistentVolume" => Some(json!({"phase": "Pending"})),
        "Namespace" => Some(json!({"phase": "Active"})),
        "Service" => Some(json!({"loadBalancer": {}})),
        "Node" => object.get("status").cloned(),
        _ => None,
    }
}

fn qos_class(pod: &Value) -> &'static str {
    let containers = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has = |c: &Value, what: &str| {
        c.pointer(&format!("/resources/{what}"))
            .and_then(Value::as_object)
            .is_some_and(|m| !m.is_empty())
    };
    if containers
        .iter()
        .all(|c| !has(c, "requests") && !has(c, "limits"))
    {
        return "BestEffort";
    }
    let guaranteed = containers.iter().all(|c| {
        let limits = c.pointer("/resources/limits");
        let requests = c.pointer("/resources/requests");
        ["cpu", "memory"].iter().all(|r| {
            let limit = limits.and_then(|l| l.get(*r));
            limit.is_some()
                && requests
                    .and_then(|q| q.get(*r))
                    .is_none_or(|q| Some(q) == limit)
        })
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// Which part of the object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The main resource: everything but status.
    Main,
    /// `/status`: status only.
    Status,
}

/// The object to store for an update: for the main resource the old status
/// is kept; for `/status` only the new status is taken, and the old labels,
/// annotations and spec are kept (ResetObjectMetaForStatus).
pub fn merge_for_update(kind: &KindInfo, part: Part, old: &Value, new: Value) -> Value {
    if !has_status_subresource(kind) {
        return new;
    }
    match part {
        Part::Main => {
            let mut merged = new;
            if let Some(map) = merged.as_object_mut() {
                match old.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
            }
            merged
        }
        Part::Status => {
            let mut merged = old.clone();
            if let Some(map) = merged.as_object_mut() {
                match new.get("status") {
                    Some(status) => map.insert("status".into(), status.clone()),
                    None => map.remove("status"),
                };
                if let Some(rv) = new.pointer("/metadata/resourceVersion") {
                    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                        meta.insert("resourceVersion".into(), rv.clone());
                    }
                }
            }
            merged
        }
    }
}

/// Update rules that depend on the old object: immutable fields.
pub fn validate_update(kind: &KindInfo, old: &Value, new: &Value) -> Vec<Cause> {
    let spec = FieldPath::root().key("spec");
    let mut causes = Vec::new();
    match kind.kind {
        "StatefulSet" => {
            let strip = |v: &Value| {
                without(
                    v.get("spec"),
                    &[
                        "replicas",
                        "ordinals",
                        "template",
                        "updateStrategy",
                        "persistentVolumeClaimRetentionPolicy",
                        "minReadySeconds",
                    ],
                )
            };
            if strip(old) != strip(new) {
                causes.push(Cause::forbidden(spec, STATEFULSET_SPEC_FORBIDDEN));
            }
        }
        "PetSet" => {
            let strip = |v: &Value| {
                let mut s = without(v.get("spec"), &["replicas"]);
                if let Some(containers) = s.pointer_mut("/template/spec/containers") {
                    *containers = Value::Null;
                }
                s
            };
            if strip(old) != strip(new) {
                causes.push(Cause::forbidden(spec, PETSET_SPEC_FORBIDDEN));
            }
        }
        "Pod" => {
            let strip = |v: &Value| {
                let mut s = without(
                    v.get("spec"),
                    &[
                        "activeDeadlineSeconds",
                        "tolerations",
                        "terminationGracePeriodSeconds",
                    ],
                );
                for list in ["containers", "initContainers"] {
                    if let Some(items) = s.get_mut(list).and_then(Value::as_array_mut) {
                        for item in items.iter_mut().filter_map(Value::as_object_mut) {
                            item.remove("image");
                        }
                    }
                }
                s
            };
            if strip(old) != strip(new) {
                causes.push(Cause::forbidden(spec, POD_SPEC_FORBIDDEN));
            }
        }
        "Service" => {
            let ip = |v: &Value| v.pointer("/spec/clusterIP").cloned().unwrap_or(Value::Null);
            let (old_ip, new_ip) = (ip(old), ip(new));
            if old_ip != new_ip && !new_ip.is_null() {
                causes.push(Cause::invalid(
                    spec.key("clusterIPs").index(0),
                    &new_ip,
                    "may not change once set",
                ));
            }
        }
        "PersistentVolumeClaim" => {
            let strip = |v: &Value| {
                let mut s = without(v.get("spec"), &["resources", "volumeName"]);
                if let Some(map) = s.as_object_mut() {
                    map.remove("volumeAttributesClassName");
                }
                s
            };
            let old_bound = old
                .pointer("/spec/volumeName")
                .is_some_and(|v| v.as_str() != Some(""));
            if old_bound && old.pointer("/spec/volumeName") != new.pointer("/spec/volumeName") {
                causes.push(Cause::forbidden(spec.clone(), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
            } else if strip(old) != strip(new) {
                causes.push(Cause::forbidden(spec, "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"));
            }
        }
        _ => {}
    }
    causes
}

fn without(spec: Option<&Value>, keys: &[&str]) -> Value {
    let mut spec = spec.cloned().unwrap_or(Value::Null);
    if let Some(map) = spec.as_object_mut() {
        for key in keys {
            map.remove(*key);
        }
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    fn sts() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
               "spec": {"serviceName": "nginx", "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}})
    }

    #[test]
    fn statefulset_defaults() {
        let kind = by_name("sts").unwrap();
        let mut object = sts();
        apply_defaults(kind, &mut object);
        for (pointer, want) in [
            ("/spec/replicas", json!(1)),
            ("/spec/podManagementPolicy", json!("OrderedReady")),
            ("/spec/updateStrategy/type", json!("RollingUpdate")),
            ("/spec/updateStrategy/rollingUpdate/partition", json!(0)),
            ("/spec/revisionHistoryLimit", json!(10)),
            (
                "/spec/persistentVolumeClaimRetentionPolicy/whenDeleted",
                json!("Retain"),
            ),
            (
                "/spec/persistentVolumeClaimRetentionPolicy/whenScaled",
                json!("Retain"),
            ),
            ("/spec/template/spec/restartPolicy", json!("Always")),
            (
                "/spec/template/spec/containers/0/imagePullPolicy",
                json!("IfNotPresent"),
            ),
        ] {
            assert_eq!(object.pointer(pointer), Some(&want), "{pointer}");
        }
    }

    #[test]
    fn petset_selector_and_labels_come_from_the_template() {
        let kind = by_name("petset").unwrap();
        let mut object = json!({"metadata": {"name": "web"}, "spec": {"template": {"metadata": {"labels": {"app": "nginx"}}}}});
        apply_defaults(kind, &mut object);
        assert_eq!(
            object.pointer("/spec/selector/matchLabels/app"),
            Some(&json!("nginx"))
        );
        assert_eq!(
            object.pointer("/metadata/labels/app"),
            Some(&json!("nginx"))
        );
        assert_eq!(object.pointer("/spec/replicas"), Some(&json!(1)));
    }

    #[test]
    fn statefulset_updates_only_allowed_fields() {
        let kind = by_name("sts").unwrap();
        let old = sts();
        let mut scaled = old.clone();
        scaled["spec"]["replicas"] = json!(5);
        scaled["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.26");
        assert!(validate_update(kind, &old, &scaled).is_empty());
        let mut renamed = old.clone();
        renamed["spec"]["serviceName"] = json!("other");
        let causes = validate_update(kind, &old, &renamed);
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].field.to_string(), "spec");
        assert_eq!(
            causes[0].message,
            format!("Forbidden: {STATEFULSET_SPEC_FORBIDDEN}")
        );
    }

    #[test]
    fn petset_updates_only_replicas_and_containers() {
        let kind = by_name("petset").unwrap();
        let old = sts();
        let mut ok = old.clone();
        ok["spec"]["replicas"] = json!(3);
        ok["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
        assert!(validate_update(kind, &old, &ok).is_empty());
        let mut bad = old.clone();
        bad["spec"]["template"]["metadata"]["labels"]["x"] = json!("y");
        assert_eq!(validate_update(kind, &old, &bad).len(), 1);
    }

    #[test]
    fn status_writes_keep_the_spec_and_main_writes_keep_the_status() {
        let kind = by_name("sts").unwrap();
        let mut old = sts();
        old["status"] = json!({"replicas": 1});
        let mut new = sts();
        new["spec"]["replicas"] = json!(9);
        new["status"] = json!({"replicas": 7});
        let main = merge_for_update(kind, Part::Main, &old, new.clone());
        assert_eq!(main["status"], json!({"replicas": 1}));
        assert_eq!(main["spec"]["replicas"], json!(9));
        let status = merge_for_update(kind, Part::Status, &old, new);
        assert_eq!(status["status"], json!({"replicas": 7}));
        assert!(status["spec"].get("replicas").is_none());
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        for (image, want) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.25", "IfNotPresent"),
            ("localhost:5000/nginx", "Always"),
            ("gcr.io/google_containers/nginx-slim:0.8", "IfNotPresent"),
        ] {
            let mut c = Map::new();
            c.insert("image".into(), json!(image));
            default_container(&mut c);
            assert_eq!(c["imagePullPolicy"], json!(want), "{image}");
        }
    }
}
