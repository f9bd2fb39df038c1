//! The merge schema of the kinds petctl serves: ONE table ([`FIELDS`]) of
//! the k8s.io/api struct tags that say how a field merges — `patchStrategy`
//! / `patchMergeKey` for strategic merge patch ([`list_strategy`]),
//! `+listType` / `+listMapKey` / `+mapType` / `+structType` for server-side
//! apply ([`apply_list_type`], [`is_atomic_map`]) — and the source of the
//! `x-kubernetes-*` extensions the OpenAPI documents carry
//! (`server/openapi/extensions.rs`). Lists not named here are atomic
//! (replaced).

use petctl_model::kinds::{self, KindInfo};

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

/// How one field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// A list, with its strategic merge strategy and its SSA list type. The
    /// SSA keys differ from the strategic merge key where k8s.io/api says
    /// so: container ports are keyed by containerPort and protocol, service
    /// ports by port and protocol, topology spread constraints by
    /// topologyKey and whenUnsatisfiable.
    List(ListStrategy, ApplyListType),
    /// A list as [`Merge::List`] whose patch strategy is also `retainKeys`
    /// (`patchStrategy=merge,retainKeys`): kubectl apply sends
    /// `$retainKeys` for it, which strategic merge honours wherever it
    /// comes; only the OpenAPI extension tells the two apart.
    ListRetainingKeys(ListStrategy, ApplyListType),
    /// A map (`+mapType=atomic`) or a struct (`+structType=atomic` on its
    /// type, e.g. LabelSelector) owned as one field.
    Atomic,
}

/// Where in an object a field of [`FIELDS`] sits: the API type holding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// ObjectMeta, at any depth.
    Metadata,
    /// A Pod's spec or any pod template's spec.
    PodSpec,
    /// An element of a PodSpec's container lists.
    Container,
    /// The top-level spec of this kind, or of every kind.
    Spec(Option<&'static str>),
    /// The top-level status of this kind, or of every kind.
    Status(Option<&'static str>),
    /// A container's ResourceRequirements.
    Resources,
    /// Anywhere inside an affinity.
    Affinity,
    /// An element of topologySpreadConstraints.
    TopologySpread,
    /// The types that hold object references (PVC and PV specs).
    References,
}

/// One field: its place, its name, how it merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldMerge {
    pub place: Place,
    pub field: &'static str,
    pub merge: Merge,
}

const NAME: &[&str] = &["name"];

macro_rules! rows {
    ($($place:expr => [$($field:literal),+] $merge:expr;)*) => {
        &[$($(FieldMerge { place: $place, field: $field, merge: $merge },)+)*]
    };
}

/// The fields whose merge is not the default, from k8s.io/api's struct tags
/// (`staging/src/k8s.io/api/core/v1/types.go`, `apps/v1/types.go`,
/// apimachinery's `meta/v1/types.go`).
pub static FIELDS: &[FieldMerge] = {
    use ApplyListType::{Map, Set};
    use ListStrategy::{MergeByKey, MergeScalars, Replace};
    use Merge::{Atomic, List, ListRetainingKeys};
    use Place::*;
    rows! {
        Metadata => ["finalizers"] List(MergeScalars, Set);
        Metadata => ["ownerReferences"] List(MergeByKey("uid"), Map(&["uid"]));
        PodSpec => ["containers", "initContainers", "ephemeralContainers", "imagePullSecrets",
                    "schedulingGates"]
            List(MergeByKey("name"), Map(NAME));
        PodSpec => ["volumes", "resourceClaims"] ListRetainingKeys(MergeByKey("name"), Map(NAME));
        PodSpec => ["hostAliases"] List(MergeByKey("ip"), Map(&["ip"]));
        PodSpec => ["topologySpreadConstraints"]
            List(MergeByKey("topologyKey"), Map(&["topologyKey", "whenUnsatisfiable"]));
        PodSpec => ["nodeSelector"] Atomic;
        Container => ["ports"] List(MergeByKey("containerPort"), Map(&["containerPort", "protocol"]));
        Container => ["env"] List(MergeByKey("name"), Map(NAME));
        Container => ["volumeMounts"] List(MergeByKey("mountPath"), Map(&["mountPath"]));
        Container => ["volumeDevices"] List(MergeByKey("devicePath"), Map(&["devicePath"]));
        Spec(Some("Service")) => ["ports"] List(MergeByKey("port"), Map(&["port", "protocol"]));
        Spec(Some("Node")) => ["podCIDRs"] List(MergeScalars, Set);
        Status(Some("Node")) => ["addresses"] List(MergeByKey("type"), Map(&["type"]));
        Status(Some("Pod")) => ["podIPs", "hostIPs"] List(MergeByKey("ip"), Map(&["ip"]));
        Status(None) => ["conditions"] List(MergeByKey("type"), Map(&["type"]));
        Resources => ["claims"] List(Replace, Map(NAME));
        // A LabelSelector is `+structType=atomic`; a Service's selector is a
        // `+mapType=atomic` map.
        Spec(None) => ["selector"] Atomic;
        Affinity => ["labelSelector", "namespaceSelector",
                     "requiredDuringSchedulingIgnoredDuringExecution"] Atomic;
        TopologySpread => ["labelSelector"] Atomic;
        References => ["dataSource", "dataSourceRef", "claimRef"] Atomic;
    }
};

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

impl Place {
    /// Whether the object at `parent` in an object of `kind` is this place.
    fn holds(self, kind: &str, parent: &[&str]) -> bool {
        let top = |name: &str, of: Option<&str>| parent == [name] && of.is_none_or(|k| k == kind);
        match self {
            Place::Metadata => parent.last() == Some(&"metadata"),
            Place::PodSpec => is_pod_spec(kind, parent),
            Place::Container => match parent.split_last() {
                Some((list, spec)) => CONTAINER_LISTS.contains(list) && is_pod_spec(kind, spec),
                None => false,
            },
            Place::Spec(of) => top("spec", of),
            Place::Status(of) => top("status", of),
            Place::Resources => parent.last() == Some(&"resources"),
            Place::Affinity => parent.contains(&"affinity"),
            Place::TopologySpread => parent.last() == Some(&"topologySpreadConstraints"),
            Place::References => true,
        }
    }

    /// The OpenAPI definitions this place stands for (see
    /// [`definition_name`]); `served` are the kinds whose documents are
    /// being built.
    pub fn definitions(self, served: &[&KindInfo]) -> Vec<String> {
        let core = |names: &[&str]| -> Vec<String> {
            names
                .iter()
                .map(|n| format!("io.k8s.api.core.v1.{n}"))
                .collect()
        };
        let per_kind = |of: Option<&str>, suffix: &str| -> Vec<String> {
            served
                .iter()
                .filter(|k| of.is_none_or(|of| of == k.kind))
                .map(|k| format!("{}{suffix}", definition_name(k)))
                .collect()
        };
        match self {
            Place::Metadata => vec!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta".into()],
            Place::PodSpec => core(&["PodSpec"]),
            Place::Container => core(&["Container", "EphemeralContainer"]),
            Place::Spec(of) => per_kind(of, "Spec"),
            Place::Status(of) => per_kind(of, "Status"),
            Place::Resources => core(&["ResourceRequirements"]),
            Place::Affinity => core(&["NodeAffinity", "PodAffinityTerm"]),
            Place::TopologySpread => core(&["TopologySpreadConstraint"]),
            Place::References => core(&["PersistentVolumeClaimSpec", "PersistentVolumeSpec"]),
        }
    }
}

/// The OpenAPI name of a kind's schema, as kube-apiserver names it
/// (`io.k8s.api.apps.v1.StatefulSet`, `io.k8s.api.core.v1.Pod`); PetSet
/// gets `io.k8s.api.apps.v1alpha1.PetSet`, as 1.4's `v1alpha1.PetSet`.
pub fn definition_name(kind: &KindInfo) -> String {
    let group = if kind.group.is_empty() {
        "core"
    } else {
        // The Go package: coordination.k8s.io's types are io.k8s.api.coordination.
        kind.group.split('.').next().unwrap_or(kind.group)
    };
    format!("io.k8s.api.{group}.{}.{}", kind.version, kind.kind)
}

/// The row of [`FIELDS`] for the field at `path` in an object of `kind`
/// (any name of a kind: `StatefulSet`, `statefulsets`, `sts`).
fn merge_of(kind: &str, path: &[String]) -> Option<Merge> {
    let kind = kinds::by_name(kind).map_or(kind, |info| info.kind);
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let (&field, parent) = path.split_last()?;
    FIELDS
        .iter()
        .find(|row| row.field == field && row.place.holds(kind, parent))
        .map(|row| row.merge)
}

/// The strategy of the list at `path` (field names from the root, list
/// indices left out).
pub fn list_strategy(kind: &str, path: &[String]) -> ListStrategy {
    match merge_of(kind, path) {
        Some(Merge::List(strategy, _) | Merge::ListRetainingKeys(strategy, _)) => strategy,
        _ => ListStrategy::Replace,
    }
}

/// The SSA list type of the list at `path` (as for [`list_strategy`]).
pub fn apply_list_type(kind: &str, path: &[String]) -> ApplyListType {
    match merge_of(kind, path) {
        Some(Merge::List(_, list_type) | Merge::ListRetainingKeys(_, list_type)) => list_type,
        _ => ApplyListType::Atomic,
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
    merge_of(kind, path) == Some(Merge::Atomic)
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
        // ServiceSpec.selector is `+mapType=atomic` (x-kubernetes-map-type
        // in api/openapi-spec/v3/api__v1_openapi.json).
        assert!(atomic("Service", "spec.selector"));
        assert!(atomic("StatefulSet", "spec.template.spec.nodeSelector"));
        assert!(!atomic("StatefulSet", "spec.template.metadata.labels"));
    }
}
