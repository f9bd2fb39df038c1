//! The reviews any authenticated user may create about themselves:
//! SelfSubjectReview (`kubectl auth whoami`) and SelfSubjectAccessReview
//! (`kubectl auth can-i`, and petctl's permission preflight). They are
//! answered from the request's user and the authorization policy, and not
//! stored.

use serde_json::{json, Value};

use super::auth::User;
use super::authz::{self, Attributes};
use crate::local::registry::error::ApiError;

pub const SELF_REVIEWS: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

/// Answers the review `object` posted to `path` by `user`.
pub fn answer(path: &str, user: &User, object: Value) -> Result<Value, ApiError> {
    if path.trim_end_matches('/') == SELF_REVIEWS {
        return Ok(json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": {"username": user.name, "groups": user.groups}},
        }));
    }
    let spec = object.get("spec").cloned().unwrap_or_else(|| json!({}));
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    let allowed = match (spec.get("resourceAttributes"), spec.get("nonResourceAttributes")) {
        (Some(resource), None) => {
            let verb = text(resource, "verb");
            let group = text(resource, "group");
            let plural = text(resource, "resource");
            authz::allows(
                user,
                &Attributes {
                    verb: &verb,
                    group: &group,
                    resource: &plural,
                },
            )
        }
        // Discovery, health and version paths are open to every
        // authenticated user (system:discovery); other paths to masters.
        (None, Some(non_resource)) => {
            let path = text(non_resource, "path");
            let verb = text(non_resource, "verb");
            user.is_master() || (verb == "get" && is_discovery(&path))
        }
        _ => {
            return Err(ApiError::new(
                422,
                "Invalid",
                "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes: Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ))
        }
    };
    Ok(json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "metadata": {"creationTimestamp": null},
        "spec": spec,
        "status": {"allowed": allowed},
    }))
}

fn is_discovery(path: &str) -> bool {
    [
        "/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi",
    ]
    .iter()
    .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS_REVIEWS: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

    fn user(groups: &[&str]) -> User {
        User {
            name: "alice".into(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
        }
    }

    fn can(user: &User, verb: &str, group: &str, resource: &str) -> bool {
        let review = json!({"spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource, "namespace": "default"}}});
        answer(ACCESS_REVIEWS, user, review).unwrap()["status"]["allowed"] == true
    }

    #[test]
    fn access_reviews_follow_the_policy() {
        let viewer = user(&["system:authenticated"]);
        assert!(can(&viewer, "list", "apps", "petsets"));
        assert!(!can(&viewer, "patch", "apps", "petsets"));
        assert!(!can(&viewer, "get", "", "secrets"));
        let admin = user(&["system:masters"]);
        assert!(can(&admin, "delete", "", "pods"));
        let paths =
            json!({"spec": {"nonResourceAttributes": {"path": "/apis/apps", "verb": "get"}}});
        assert_eq!(
            answer(ACCESS_REVIEWS, &viewer, paths).unwrap()["status"]["allowed"],
            true
        );
        assert_eq!(
            answer(ACCESS_REVIEWS, &viewer, json!({"spec": {}}))
                .unwrap_err()
                .code,
            422
        );
    }

    #[test]
    fn whoami_names_the_user_and_groups() {
        let review = answer(
            SELF_REVIEWS,
            &user(&["dev", "system:authenticated"]),
            json!({}),
        )
        .unwrap();
        assert_eq!(
            review["status"]["userInfo"],
            json!({"username": "alice", "groups": ["dev", "system:authenticated"]})
        );
    }
}
