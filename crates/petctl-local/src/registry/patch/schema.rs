//! The patch strategy of each list in the kinds petctl serves: the
//! `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api, keyed by the
//! list's place in the object. Lists not named here are atomic (replaced).

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
}
