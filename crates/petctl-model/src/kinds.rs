//! The one table of kinds that petctl knows: group, version, plural, short
//! names, scope and subresources. The client, the local control plane and the
//! CLI all read it, so a kind is described exactly once.

/// One served resource: a kind at one group/version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: &'static str,
    /// The API group; "" is the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    pub subresources: &'static [&'static str],
    pub verbs: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A namespace's storage has no DeleteCollection
/// (kubernetes/kubernetes `pkg/registry/core/namespace/storage/storage.go`
/// wraps the generic store without it), so kube-apiserver's installer
/// (`staging/src/k8s.io/apiserver/pkg/endpoints/installer.go`,
/// `isCollectionDeleter`) neither lists the verb nor routes the DELETE.
const NAMESPACE_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

impl KindInfo {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The lower-case name used in messages, e.g. `petset`, `statefulset`.
    pub fn display_name(&self) -> &'static str {
        self.singular
    }

    /// Whether the resource serves `verb` (a discovery verb: `list`,
    /// `deletecollection`, …).
    pub fn serves(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }

    /// Whether `name` is one of this kind's names: kind, plural, singular or a
    /// short name, case-insensitively.
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        name == self.kind.to_ascii_lowercase()
            || name == self.plural
            || name == self.singular
            || self.short_names.contains(&name.as_str())
    }

    /// `statefulsets.apps`, or `pods` for the core group: how errors and
    /// RBAC name a resource.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has_subresource(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }
}

macro_rules! kind {
    ($kind:literal, $group:literal, $version:literal, $plural:literal, $singular:literal,
     [$($short:literal),*], $namespaced:literal, [$($sub:literal),*]) => {
        kind!($kind, $group, $version, $plural, $singular, [$($short),*], $namespaced,
              [$($sub),*], ALL_VERBS)
    };
    ($kind:literal, $group:literal, $version:literal, $plural:literal, $singular:literal,
     [$($short:literal),*], $namespaced:literal, [$($sub:literal),*], $verbs:expr) => {
        KindInfo {
            kind: $kind,
            group: $group,
            version: $version,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            namespaced: $namespaced,
            subresources: &[$($sub),*],
            verbs: $verbs,
        }
    };
}

/// Every kind the local control plane serves and the client handles natively.
pub static KINDS: &[KindInfo] = &[
    kind!(
        "Namespace",
        "",
        "v1",
        "namespaces",
        "namespace",
        ["ns"],
        false,
        ["status", "finalize"],
        NAMESPACE_VERBS
    ),
    kind!(
        "Pod",
        "",
        "v1",
        "pods",
        "pod",
        ["po"],
        true,
        // Eviction, create only (pkg/registry/core/pod/storage/eviction.go);
        // exec and attach stream (pkg/registry/core/pod/rest/subresources.go).
        ["status", "log", "eviction", "exec", "attach"]
    ),
    kind!(
        "Service",
        "",
        "v1",
        "services",
        "service",
        ["svc"],
        true,
        ["status"]
    ),
    kind!(
        "PersistentVolumeClaim",
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        ["pvc"],
        true,
        ["status"]
    ),
    kind!(
        "PersistentVolume",
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        ["pv"],
        false,
        ["status"]
    ),
    kind!("Node", "", "v1", "nodes", "node", ["no"], false, ["status"]),
    kind!("Event", "", "v1", "events", "event", ["ev"], true, []),
    kind!(
        "ConfigMap",
        "",
        "v1",
        "configmaps",
        "configmap",
        ["cm"],
        true,
        []
    ),
    kind!("Secret", "", "v1", "secrets", "secret", [], true, []),
    kind!(
        "ServiceAccount",
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        true,
        // TokenRequest, create only (pkg/registry/core/serviceaccount/storage/token.go).
        ["token"]
    ),
    kind!(
        "StatefulSet",
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        ["sts"],
        true,
        ["status", "scale"]
    ),
    kind!(
        "ControllerRevision",
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        [],
        true,
        []
    ),
    kind!(
        "PetSet",
        "apps",
        "v1alpha1",
        "petsets",
        "petset",
        [],
        true,
        // A 1.3/1.4 server had no petsets/scale; the local control plane
        // serves it so that the guide's `kubectl scale petset` works with
        // today's kubectl. petctl itself never relies on it for PetSets.
        ["status", "scale"]
    ),
    // Endpoints (no status: pkg/registry/core/endpoint/storage/storage.go).
    kind!(
        "Endpoints",
        "",
        "v1",
        "endpoints",
        "endpoints",
        ["ep"],
        true,
        []
    ),
    // discovery.k8s.io: what the endpointslice controller writes.
    kind!(
        "EndpointSlice",
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        [],
        true,
        []
    ),
    // policy/v1: disruption budgets (pkg/registry/policy/poddisruptionbudget).
    kind!(
        "PodDisruptionBudget",
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        ["pdb"],
        true,
        ["status"]
    ),
    // storage.k8s.io
    kind!(
        "StorageClass",
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        ["sc"],
        false,
        []
    ),
    // coordination.k8s.io: the Leases nodes renew in kube-node-lease.
    kind!(
        "Lease",
        "coordination.k8s.io",
        "v1",
        "leases",
        "lease",
        [],
        true,
        []
    ),
];

/// Looks a kind up by its `apiVersion` and `kind`, as written in a manifest.
pub fn by_api_version(api_version: &str, kind: &str) -> Option<&'static KindInfo> {
    KINDS
        .iter()
        .find(|k| k.kind == kind && k.api_version() == api_version)
}

/// Looks a kind up by any of its names (`petsets`, `sts`, `StatefulSet`, …).
pub fn by_name(name: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.answers_to(name))
}

/// A kind petctl's own code names (`pods`, `pvc`, …): the table always has
/// it, so a miss is a bug, not bad input.
pub fn builtin(name: &str) -> &'static KindInfo {
    by_name(name).unwrap_or_else(|| panic!("{name:?} is missing from the kinds table"))
}

/// The kinds served under one group/version, in table order.
pub fn in_group_version<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static KindInfo> + 'a {
    KINDS
        .iter()
        .filter(move |k| k.group == group && k.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_kinds() {
        for (name, kind) in [
            ("sts", "StatefulSet"),
            ("statefulsets", "StatefulSet"),
            ("StatefulSet", "StatefulSet"),
            ("petset", "PetSet"),
            ("pvc", "PersistentVolumeClaim"),
            ("po", "Pod"),
            ("sa", "ServiceAccount"),
        ] {
            assert_eq!(by_name(name).map(|k| k.kind), Some(kind), "{name}");
        }
        assert!(by_name("deployment").is_none());
    }

    #[test]
    fn api_versions_resolve() {
        assert_eq!(
            by_api_version("apps/v1alpha1", "PetSet").unwrap().plural,
            "petsets"
        );
        assert_eq!(by_api_version("v1", "Service").unwrap().plural, "services");
        assert!(by_api_version("apps/v1beta1", "StatefulSet").is_none());
    }
}
