//! The merge schema of the kinds petctl serves, keyed by a field's place in
//! the object: for strategic merge patch the `patchStrategy` /
//! `patchMergeKey` struct tags of k8s.io/api ([`list_strategy`]), for
//! server-side apply the `+listType` / `+listMapKey` / `+mapType` /
//! `+structType` tags ([`apply_list_type`], [`is_atomic_map`]). Lists not
//! named here are atomic (replaced).

use petctl_model::kinds;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch's list replaces the object's (no `patchStrategy` tag; e.g.
    /// tolerations, args, volumeClaimTemplates).
    Replace,
    /// A set of scalars: union, with `$deleteFromPrimitiveList` to remove.
    MergeScalars,
    /// Objects merged element by element, matched by this field.
    MergeByKey(&'static str),
}

const CONTAINER_LISTS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Whether the object at `path` (field names from the root, list indices
/// left out) is a PodSpec.
fn is_pod_spec(kind: &str, path: &[&str]) -> bool {
    match path {
        ["spec"] => kind == "Pod",
        [.., "template", "spec"] => true,
        _ => false,
    }
}

/// The strategy of the list at `path` in an object of `kind` (any name of a
/// kind: `StatefulSet`, `statefulsets`, `sts`).
pub fn list_strategy(kind: &str, path: &[String]) -> ListStrategy {
    let kind = kinds::by_name(kind).map_or(kind, |info| info.kind);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let Some((&field, parent)) = path.split_last() else {
        return ListStrategy::Replace;
    };
    if parent.last() == Some(&"metadata") {
        return match field {
            "finalizers" => ListStrategy::MergeScalars,
            "ownerReferences" => ListStrategy::MergeByKey("uid"),
            _ => ListStrategy::Replace,
        };
    }
    if is_pod_spec(kind, parent) {
        return match field {
            "containers"
            | "initContainers"
            | "ephemeralContainers"
            | "volumes"
            | "imagePullSecrets"
            | "schedulingGates"
            | "resourceClaims" => ListStrategy::MergeByKey("name"),
            "hostAliases" => ListStrategy::MergeByKey("ip"),
            "topologySpreadConstraints" => ListStrategy::MergeByKey("topologyKey"),
            _ => ListStrategy::Replace,
        };
    }
    if let Some((&list, spec)) = parent.split_last() {
        if CONTAINER_LISTS.contains(&list) && is_pod_spec(kind, spec) {
            return match field {
                "ports" => ListStrategy::MergeByKey("containerPort"),
                "env" => ListStrategy::MergeByKey("name"),
                "volumeMounts" => ListStrategy::MergeByKey("mountPath"),
                "volumeDevices" => ListStrategy::MergeByKey("devicePath"),
                _ => ListStrategy::Replace,
            };
        }
    }
    match (kind, path.as_slice()) {
        ("Service", ["spec", "ports"]) => ListStrategy::MergeByKey("port"),
        ("Node", ["spec", "podCIDRs"]) => ListStrategy::MergeScalars,
        ("Node", ["status", "addresses"]) => ListStrategy::MergeByKey("type"),
        ("Pod", ["status", "podIPs" | "hostIPs"]) => ListStrategy::MergeByKey("ip"),
        (_, ["status", "conditions"]) => ListStrategy::MergeByKey("type"),
        _ => ListStrategy::Replace,
    }
}

/// How server-side apply merges a list (`x-kubernetes-list-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyListType {
    /// Replaced as a whole and owned as one field.
    Atomic,
    /// Scalars merged by value (`v:` in fieldsV1).
    Set,
    /// Objects merged by these key fields (`k:{...}` in fieldsV1).
    Map(&'static [&'static str]),
}

const NAME: &[&str] = &["name"];

/// The SSA list type of the list at `path` (as for [`list_strategy`]).
/// The keys differ from the strategic merge keys where k8s.io/api says so:
/// container ports are keyed by containerPort and protocol, service ports
/// by port and protocol, topology spread constraints by topologyKey and
/// whenUnsatisfiable.
pub fn apply_list_type(kind: &str, path: &[String]) -> ApplyListType {
    use ApplyListType::{Atomic, Map, Set};
    let kind = kinds::by_name(kind).map_or(kind, |info| info.kind);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let Some((&field, parent)) = path.split_last() else {
        return Atomic;
    };
    if parent.last() == Some(&"metadata") {
        return match field {
            "finalizers" => Set,
            "ownerReferences" => Map(&["uid"]),
            _ => Atomic,
        };
    }
    if is_pod_spec(kind, parent) {
        return match field {
            "containers"
            | "initContainers"
            | "ephemeralContainers"
            | "volumes"
            | "imagePullSecrets"
            | "schedulingGates"
            | "resourceClaims" => Map(NAME),
            "hostAliases" => Map(&["ip"]),
            "topologySpreadConstraints" => Map(&["topologyKey", "whenUnsatisfiable"]),
            _ => Atomic,
        };
    }
    if let Some((&list, spec)) = parent.split_last() {
        if CONTAINER_LISTS.contains(&list) && is_pod_spec(kind, spec) {
            return match field {
                "ports" => Map(&["containerPort", "protocol"]),
                "env" => Map(NAME),
                "volumeMounts" => Map(&["mountPath"]),
                "volumeDevices" => Map(&["devicePath"]),
                _ => Atomic,
            };
        }
    }
    match (kind, path.as_slice()) {
        ("Service", ["spec", "ports"]) => Map(&["port", "protocol"]),
        ("Node", ["spec", "podCIDRs"]) => Set,
        ("Node", ["status", "addresses"]) => Map(&["type"]),
        ("Pod", ["status", "podIPs" | "hostIPs"]) => Map(&["ip"]),
        (_, ["status", "conditions"]) => Map(&["type"]),
        (_, [.., "resources", "claims"]) => Map(NAME),
        _ => Atomic,
    }
}

/// The default of a list-map key an element may leave out (its openapi
/// `default`): both port lists default `protocol` to TCP.
pub fn list_key_default(key: &str) -> Option<&'static str> {
    (key == "protocol").then_some("TCP")
}

/// Whether the map or struct at `path` is owned as one field
/// (`+mapType=atomic`, `+structType=atomic`): label selectors, a pod's
/// nodeSelector, node selectors in affinity, object references.
pub fn is_atomic_map(kind: &str, path: &[String]) -> bool {
    let kind = kinds::by_name(kind).map_or(kind, |info| info.kind);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let Some((&field, parent)) = path.split_last() else {
        return false;
    };
    match field {
        "selector" => parent == ["spec"] && kind != "Service",
        "nodeSelector" => is_pod_spec(kind, parent),
        "labelSelector"
        | "namespaceSelector"
        | "requiredDuringSchedulingIgnoredDuringExecution" => {
            parent.contains(&"affinity") || parent.last() == Some(&"topologySpreadConstraints")
        }
        "dataSource" | "dataSourceRef" | "claimRef" => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListStrategy::*;

    fn strategy(kind: &str, path: &str) -> ListStrategy {
        let path: Vec<String> = path.split('.').map(String::from).collect();
        list_strategy(kind, &path)
    }

    #[test]
    fn a_pod_and_every_pod_template_share_their_strategies() {
        let pod: &[(&str, ListStrategy)] = &[
            ("metadata.finalizers", MergeScalars),
            ("metadata.ownerReferences", MergeByKey("uid")),
            ("spec.containers", MergeByKey("name")),
            ("spec.initContainers", MergeByKey("name")),
            ("spec.volumes", MergeByKey("name")),
            ("spec.imagePullSecrets", MergeByKey("name")),
            ("spec.tolerations", Replace),
            ("spec.hostAliases", MergeByKey("ip")),
            ("spec.containers.ports", MergeByKey("containerPort")),
            ("spec.containers.env", MergeByKey("name")),
            ("spec.containers.volumeMounts", MergeByKey("mountPath")),
            ("spec.containers.args", Replace),
        ];
        let templates = [
            ("Pod", ""),
            ("StatefulSet", "spec.template."),
            ("statefulsets", "spec.template."),
            ("PetSet", "spec.template."),
        ];
        for (path, want) in pod {
            for (kind, prefix) in templates {
                let path = format!("{prefix}{path}");
                assert_eq!(strategy(kind, &path), *want, "{kind} {path}");
            }
        }
    }

    #[test]
    fn other_lists_by_kind() {
        let cases: &[(&str, &str, ListStrategy)] = &[
            ("StatefulSet", "metadata.finalizers", MergeScalars),
            ("StatefulSet", "spec.volumeClaimTemplates", Replace),
            (
                "StatefulSet",
                "spec.volumeClaimTemplates.spec.accessModes",
                Replace,
            ),
            ("StatefulSet", "spec.containers", Replace),
            ("Service", "spec.ports", MergeByKey("port")),
            ("Pod", "spec.ports", Replace),
            ("StatefulSet", "status.conditions", MergeByKey("type")),
            ("Pod", "status.conditions", MergeByKey("type")),
            ("Pod", "status.podIPs", MergeByKey("ip")),
            ("Pod", "status.containerStatuses", Replace),
            ("Node", "status.addresses", MergeByKey("type")),
            ("ConfigMap", "data", Replace),
        ];
        for (kind, path, want) in cases {
            assert_eq!(strategy(kind, path), *want, "{kind} {path}");
        }
    }

    #[test]
    fn apply_list_types_follow_the_list_map_keys_of_k8s_api() {
        use ApplyListType::*;
        let apply = |kind: &str, path: &str| {
            let path: Vec<String> = path.split('.').map(String::from).collect();
            apply_list_type(kind, &path)
        };
        let cases: &[(&str, &str, ApplyListType)] = &[
            (
                "StatefulSet",
                "spec.template.spec.containers",
                Map(&["name"]),
            ),
            (
                "StatefulSet",
                "spec.template.spec.containers.ports",
                Map(&["containerPort", "protocol"]),
            ),
            ("Pod", "spec.containers.env", Map(&["name"])),
            ("Pod", "spec.containers.volumeMounts", Map(&["mountPath"])),
            ("Pod", "spec.containers.args", Atomic),
            ("Pod", "spec.tolerations", Atomic),
            ("Service", "spec.ports", Map(&["port", "protocol"])),
            ("StatefulSet", "metadata.finalizers", Set),
            ("StatefulSet", "spec.volumeClaimTemplates", Atomic),
            ("PetSet", "status.conditions", Map(&["type"])),
        ];
        for (kind, path, want) in cases {
            assert_eq!(apply(kind, path), *want, "{kind} {path}");
        }
        let atomic = |kind: &str, path: &str| {
            let path: Vec<String> = path.split('.').map(String::from).collect();
            is_atomic_map(kind, &path)
        };
        assert!(atomic("StatefulSet", "spec.selector"));
        assert!(!atomic("Service", "spec.selector"));
        assert!(atomic("StatefulSet", "spec.template.spec.nodeSelector"));
        assert!(!atomic("StatefulSet", "spec.template.metadata.labels"));
    }
}
