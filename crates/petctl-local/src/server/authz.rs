//! Authorization, as RBAC with two bindings: `system:masters` may do
//! anything, and every other authenticated user has the built-in `view`
//! role (get, list and watch on everything but Secrets). A denied request
//! gets kube-apiserver's 403 and its exact message.

use hyper::Method;

use super::auth::User;
use super::route::ResourcePath;
use crate::registry::error::ApiError;

/// The read-only verbs of the `view` role.
const VIEW_VERBS: [&str; 3] = ["get", "list", "watch"];

/// The RBAC verb of a resource request, as kube-apiserver's RequestInfo
/// names it.
pub fn verb(method: &Method, path: &ResourcePath, watch: bool) -> &'static str {
    let named = path.name.is_some();
    // A WebSocket exec or attach is a GET, authorized as the create it is
    // (apiserver's AuthorizePodWebsocketUpgradeCreatePermission, 1.31+).
    if named && matches!(path.subresource.as_deref(), Some("exec" | "attach")) {
        return "create";
    }
    match *method {
        Method::GET | Method::HEAD if watch => "watch",
        Method::GET | Method::HEAD if named => "get",
        Method::GET | Method::HEAD => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "",
    }
}

/// What a request asks to do, as far as the policy looks.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
}

/// The policy: `system:masters` may do anything, anyone else may read
/// anything but Secrets.
pub fn allows(user: &User, attributes: &Attributes<'_>) -> bool {
    let secret = attributes.group.is_empty() && attributes.resource == "secrets";
    user.is_master() || (VIEW_VERBS.contains(&attributes.verb) && !secret)
}

/// Allows the request, or answers 403 Forbidden.
pub fn authorize(user: &User, verb: &str, path: &ResourcePath) -> Result<(), ApiError> {
    let attributes = Attributes {
        verb,
        group: path.kind.group,
        resource: path.kind.plural,
    };
    if allows(user, &attributes) {
        return Ok(());
    }
    Err(forbidden(user, verb, path))
}

fn forbidden(user: &User, verb: &str, path: &ResourcePath) -> ApiError {
    let kind = path.kind;
    let resource = match &path.subresource {
        Some(sub) => format!("{}/{sub}", kind.plural),
        None => kind.plural.to_string(),
    };
    let scope = match &path.namespace {
        Some(ns) => format!("in the namespace {ns:?}"),
        None => "at the cluster scope".to_string(),
    };
    let why = format!(
        "User {:?} cannot {verb} resource {resource:?} in API group {:?} {scope}",
        user.name, kind.group
    );
    ApiError::forbidden(kind, path.name.as_deref().unwrap_or(""), &why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds;

    fn viewer() -> User {
        User {
            name: "alice".into(),
            groups: vec!["system:authenticated".into()],
            ..User::default()
        }
    }

    fn at(
        kind: &str,
        namespace: Option<&str>,
        name: Option<&str>,
        sub: Option<&str>,
    ) -> ResourcePath {
        ResourcePath {
            kind: kinds::by_name(kind).unwrap(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
            watch: false,
        }
    }

    #[test]
    fn verbs_follow_request_info() {
        let named = at("pods", Some("default"), Some("p"), None);
        let list = at("pods", Some("default"), None, None);
        assert_eq!(verb(&Method::GET, &named, false), "get");
        assert_eq!(verb(&Method::GET, &list, false), "list");
        assert_eq!(verb(&Method::GET, &list, true), "watch");
        assert_eq!(verb(&Method::POST, &list, false), "create");
        assert_eq!(verb(&Method::PUT, &named, false), "update");
        assert_eq!(verb(&Method::PATCH, &named, false), "patch");
        assert_eq!(verb(&Method::DELETE, &named, false), "delete");
        assert_eq!(verb(&Method::DELETE, &list, false), "deletecollection");
        // A WebSocket exec is a GET, authorized as create.
        let exec = at("pods", Some("default"), Some("web-0"), Some("exec"));
        assert_eq!(verb(&Method::GET, &exec, false), "create");
        assert_eq!(
            authorize(&viewer(), "create", &exec).unwrap_err().message,
            r#"pods "web-0" is forbidden: User "alice" cannot create resource "pods/exec" in API group "" in the namespace "default""#
        );
    }

    #[test]
    fn viewers_read_everything_but_secrets() {
        let pods = at("pods", Some("default"), None, None);
        assert!(authorize(&viewer(), "list", &pods).is_ok());
        assert!(authorize(&viewer(), "watch", &pods).is_ok());
        let secrets = at("secrets", Some("default"), Some("s"), None);
        assert_eq!(authorize(&viewer(), "get", &secrets).unwrap_err().code, 403);
        let mut admin = viewer();
        admin.groups.push("system:masters".into());
        assert!(authorize(&admin, "delete", &secrets).is_ok());
    }

    #[test]
    fn denials_carry_kube_apiservers_message() {
        let scale = at("statefulsets", Some("default"), Some("web"), Some("scale"));
        let err = authorize(&viewer(), "update", &scale).unwrap_err();
        assert_eq!(err.reason, "Forbidden");
        assert_eq!(
            err.message,
            r#"statefulsets.apps "web" is forbidden: User "alice" cannot update resource "statefulsets/scale" in API group "apps" in the namespace "default""#
        );
        let create = at("pods", Some("default"), None, None);
        assert_eq!(
            authorize(&viewer(), "create", &create).unwrap_err().message,
            r#"pods is forbidden: User "alice" cannot create resource "pods" in API group "" in the namespace "default""#
        );
        let nodes = at("nodes", None, Some("n1"), None);
        assert_eq!(
            authorize(&viewer(), "delete", &nodes).unwrap_err().message,
            r#"nodes "n1" is forbidden: User "alice" cannot delete resource "nodes" in API group "" at the cluster scope"#
        );
    }
}
