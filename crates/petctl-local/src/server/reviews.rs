//! The reviews any authenticated user may create about themselves:
//! SelfSubjectReview (`kubectl auth whoami`), SelfSubjectAccessReview
//! (`kubectl auth can-i`, and petctl's permission preflight) and
//! SelfSubjectRulesReview (`kubectl auth can-i --list`). They are answered
//! from the request's user and the authorization policy, and not stored.

use serde_json::{json, Value};

use super::auth::User;
use super::authz::{self, Attributes};
use crate::registry::error::ApiError;

/// Paths open to every authenticated user (RBAC's system:discovery).
const DISCOVERY: [&str; 7] = [
    "/api", "/apis", "/version", "/healthz", "/livez", "/readyz", "/openapi",
];

/// Answers the review `object` posted to `path` by `user`.
pub fn answer(path: &str, user: &User, object: Value) -> Result<Value, ApiError> {
    match path.trim_end_matches('/').rsplit('/').next() {
        Some("selfsubjectreviews") => Ok(self_review(user)),
        Some("selfsubjectrulesreviews") => Ok(rules_review(user, object)),
        _ => access_review(user, object),
    }
}

/// `kubectl auth whoami`: the user as authentication saw it; uid and
/// extra only when set (omitempty).
fn self_review(user: &User) -> Value {
    let mut info = json!({"username": user.name, "groups": user.groups});
    if !user.uid.is_empty() {
        info["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        info["extra"] = json!(user.extra);
    }
    json!({
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "SelfSubjectReview",
        "metadata": {"creationTimestamp": null},
        "status": {"userInfo": info},
    })
}

/// What the user may do, as rules: everything for masters; for anyone
/// else the view role's reads, the self reviews and discovery.
fn rules_review(user: &User, object: Value) -> Value {
    let (resource_rules, non_resource_rules) = if user.is_master() {
        (
            json!([{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]),
            json!([{"verbs": ["*"], "nonResourceURLs": ["*"]}]),
        )
    } else {
        let mut groups: Vec<&str> = petctl_model::kinds::KINDS.iter().map(|k| k.group).collect();
        groups.sort_unstable();
        groups.dedup();
        let mut rules: Vec<Value> = groups
            .iter()
            .map(|group| {
                let resources: Vec<&str> = petctl_model::kinds::KINDS
                    .iter()
                    .filter(|k| k.group == *group && !(group.is_empty() && k.plural == "secrets"))
                    .map(|k| k.plural)
                    .collect();
                json!({"verbs": ["get", "list", "watch"], "apiGroups": [group], "resources": resources})
            })
            .collect();
        rules.push(json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}));
        rules.push(json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]}));
        let urls: Vec<String> = DISCOVERY
            .iter()
            .flat_map(|p| [p.to_string(), format!("{p}/*")])
            .collect();
        (
            json!(rules),
            json!([{"verbs": ["get"], "nonResourceURLs": urls}]),
        )
    };
    json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "metadata": {"creationTimestamp": null},
        "spec": object.get("spec").cloned().unwrap_or_else(|| json!({})),
        "status": {
            "resourceRules": resource_rules,
            "nonResourceRules": non_resource_rules,
            "incomplete": false,
        },
    })
}

fn access_review(user: &User, object: Value) -> Result<Value, ApiError> {
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
    DISCOVERY
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
            ..User::default()
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
    fn rules_list_the_view_role_without_secrets() {
        let path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
        let review = answer(path, &user(&[]), json!({"spec": {"namespace": "default"}})).unwrap();
        let core = &review["status"]["resourceRules"][0];
        assert_eq!(core["apiGroups"], json!([""]));
        assert!(core["resources"]
            .as_array()
            .unwrap()
            .contains(&json!("pods")));
        assert!(!core["resources"]
            .as_array()
            .unwrap()
            .contains(&json!("secrets")));
        let admin = answer(path, &user(&["system:masters"]), json!({})).unwrap();
        assert_eq!(admin["status"]["resourceRules"][0]["verbs"], json!(["*"]));
    }

    #[test]
    fn whoami_names_the_user_and_groups() {
        let review = answer(
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
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
