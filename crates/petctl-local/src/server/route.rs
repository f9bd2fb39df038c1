//! Request paths to what they name: a discovery document, a health check, or
//! a resource request (group, version, namespace, resource, name,
//! subresource), the way kube-apiserver's RequestInfo resolves them.

use petctl_model::kinds::{self, KindInfo};

/// What a request path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/healthz`, `/livez`, `/readyz` and their sub-checks.
    Health,
    Version,
    /// `/api`: the core group's versions.
    CoreVersions,
    /// `/apis`: all groups.
    Groups,
    /// `/apis/{group}`.
    Group(String),
    /// `/api/v1` or `/apis/{group}/{version}`.
    ResourceList {
        group: String,
        version: String,
    },
    /// `/petctl/status`: uptime and object counts.
    ServerStatus,
    /// `/openapi/v2`.
    OpenApiV2,
    /// `/openapi/v3`.
    OpenApiRoot,
    /// `/openapi/v3/api/v1` or `/openapi/v3/apis/{group}/{version}`.
    OpenApi {
        group: String,
        version: String,
    },
    Resource(ResourcePath),
    /// A self-review any user may create (`kubectl auth whoami|can-i`).
    Review,
    NotFound,
}

/// A path under a served group/version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub kind: &'static KindInfo,
    /// The namespace in the path; None for cluster-scoped requests and for
    /// lists across all namespaces.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The legacy `/watch/` prefix.
    pub watch: bool,
}

/// Resolves a request path (without the query).
pub fn resolve(path: &str) -> Route {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["version"] => Route::Version,
        ["petctl", "status"] => Route::ServerStatus,
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiRoot,
        ["openapi", "v3", "api", version] => Route::OpenApi {
            group: String::new(),
            version: (*version).to_string(),
        },
        ["openapi", "v3", "apis", group, version] => Route::OpenApi {
            group: (*group).to_string(),
            version: (*version).to_string(),
        },
        ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews" | "selfsubjectrulesreviews"]
        | ["apis", "authentication.k8s.io", "v1", "selfsubjectreviews"] => Route::Review,
        ["api"] => Route::CoreVersions,
        ["apis"] => Route::Groups,
        ["apis", group] if served_group(group) => Route::Group((*group).to_string()),
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        _ => Route::NotFound,
    }
}

fn served_group(group: &str) -> bool {
    !group.is_empty() && kinds::KINDS.iter().any(|k| k.group == group)
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    if kinds::in_group_version(group, version).next().is_none() {
        return Route::NotFound;
    }
    let (watch, rest) = match rest {
        ["watch", rest @ ..] => (true, rest),
        _ => (false, rest),
    };
    if rest.is_empty() {
        return if watch {
            Route::NotFound
        } else {
            Route::ResourceList {
                group: group.to_string(),
                version: version.to_string(),
            }
        };
    }
    let find = |plural: &str| kinds::in_group_version(group, version).find(|k| k.plural == plural);
    let path = |kind, namespace: Option<&str>, name: Option<&str>, sub: Option<&str>| {
        Route::Resource(ResourcePath {
            kind,
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
            watch,
        })
    };
    match rest {
        // namespaces/{ns}/{resource}[/{name}[/{sub}]], unless the third
        // segment is a subresource of the namespace itself.
        ["namespaces", ns, resource, tail @ ..] if !is_namespace_subresource(resource) => {
            match (find(resource), tail) {
                (Some(kind), _) if !kind.namespaced => Route::NotFound,
                (Some(kind), []) => path(kind, Some(ns), None, None),
                (Some(kind), [name]) => path(kind, Some(ns), Some(name), None),
                (Some(kind), [name, sub]) => path(kind, Some(ns), Some(name), Some(sub)),
                _ => Route::NotFound,
            }
        }
        [resource, tail @ ..] => match (find(resource), tail) {
            (Some(kind), []) => path(kind, None, None, None),
            (Some(kind), _) if kind.namespaced => Route::NotFound,
            (Some(kind), [name]) => path(kind, None, Some(name), None),
            (Some(kind), [name, sub]) => path(kind, None, Some(name), Some(sub)),
            _ => Route::NotFound,
        },
        [] => Route::NotFound,
    }
}

fn is_namespace_subresource(segment: &str) -> bool {
    matches!(segment, "status" | "finalize")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (plural, namespace, name, subresource, watch)
    type Resolved = (String, Option<String>, Option<String>, Option<String>, bool);

    fn res(path: &str) -> Option<Resolved> {
        match resolve(path) {
            Route::Resource(r) => Some((
                r.kind.plural.to_string(),
                r.namespace,
                r.name,
                r.subresource,
                r.watch,
            )),
            _ => None,
        }
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn resource_paths_resolve() {
        for (path, want) in [
            ("/api/v1/pods", Some(("pods", None, None, None, false))),
            (
                "/api/v1/namespaces/default/pods",
                Some(("pods", s("default"), None, None, false)),
            ),
            (
                "/api/v1/namespaces/default/pods/web-0",
                Some(("pods", s("default"), s("web-0"), None, false)),
            ),
            (
                "/api/v1/namespaces/default/pods/web-0/status",
                Some(("pods", s("default"), s("web-0"), s("status"), false)),
            ),
            (
                "/api/v1/namespaces",
                Some(("namespaces", None, None, None, false)),
            ),
            (
                "/api/v1/namespaces/kube-system",
                Some(("namespaces", None, s("kube-system"), None, false)),
            ),
            (
                "/api/v1/namespaces/x/status",
                Some(("namespaces", None, s("x"), s("status"), false)),
            ),
            (
                "/api/v1/nodes/n1",
                Some(("nodes", None, s("n1"), None, false)),
            ),
            (
                "/apis/apps/v1/namespaces/default/statefulsets/web/scale",
                Some(("statefulsets", s("default"), s("web"), s("scale"), false)),
            ),
            (
                "/apis/apps/v1alpha1/namespaces/default/petsets",
                Some(("petsets", s("default"), None, None, false)),
            ),
            (
                "/api/v1/watch/namespaces/default/pods",
                Some(("pods", s("default"), None, None, true)),
            ),
            (
                "/apis/apps/v1/statefulsets",
                Some(("statefulsets", None, None, None, false)),
            ),
        ] {
            let want = want.map(|(a, b, c, d, e)| (a.to_string(), b, c, d, e));
            assert_eq!(res(path), want, "{path}");
        }
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in [
            "/api/v2/pods",
            "/apis/batch/v1/jobs",
            "/apis/apps/v1/deployments",
            "/apis/apps/v1alpha1/statefulsets",
            "/api/v1/namespaces/default/nodes",
            "/api/v1/nodes/n1/a/b",
            "/api/v1/namespaces/default/pods/a/b/c",
            "/apis/apps/v1/pods",
            "/",
            "/metrics",
            "/api/v1/watch",
        ] {
            assert_eq!(resolve(path), Route::NotFound, "{path}");
        }
    }

    #[test]
    fn discovery_paths_resolve() {
        assert_eq!(resolve("/api"), Route::CoreVersions);
        assert_eq!(resolve("/apis/"), Route::Groups);
        assert_eq!(resolve("/apis/apps"), Route::Group("apps".into()));
        assert_eq!(
            resolve("/apis/apps/v1alpha1"),
            Route::ResourceList {
                group: "apps".into(),
                version: "v1alpha1".into()
            }
        );
        assert_eq!(resolve("/readyz/ping"), Route::Health);
        assert_eq!(resolve("/version/"), Route::Version);
    }
}
