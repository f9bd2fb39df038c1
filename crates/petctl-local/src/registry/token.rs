//! TokenRequest (`serviceaccounts/{name}/token`, authentication.k8s.io/v1),
//! after `pkg/registry/core/serviceaccount/storage/token.go` and
//! `pkg/serviceaccount/claims.go`: what a token issued for a ServiceAccount
//! claims, and whether the claims of a token presented later still hold —
//! the account, and the pod, secret or node it is bound to, exist with the
//! uid the token names and are not being deleted. Signing is the server's
//! (`server/token.rs`); this module only reads the registry.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::{meta, Registry, Target};
use petctl_model::kinds;

/// `--service-account-issuer`, as kubeadm and kind set it.
pub const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// `--api-audiences` defaults to the issuer.
pub const API_AUDIENCES: &[&str] = &[ISSUER];
/// `SetDefaults_TokenRequestSpec`: one hour.
pub const DEFAULT_EXPIRATION: i64 = 60 * 60;
/// `ValidateTokenRequest`: at least ten minutes, at most 2^32 seconds.
pub const MIN_EXPIRATION: i64 = 10 * 60;
const MAX_EXPIRATION: i64 = 1 << 32;
/// go-jose's `jwt.DefaultLeeway`, which `Claims.Validate` allows on exp,
/// nbf and iat, and claims.go on deletion timestamps.
pub const LEEWAY: i64 = 60;

const GROUP: &str = "authentication.k8s.io";

/// A token to sign and the TokenRequest that answers with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The TokenRequest, its `status.token` still empty.
    pub request: Value,
    /// The JWT claims: registered ones and the private `kubernetes.io`.
    pub claims: Value,
}

/// Who a valid token authenticates (`ServiceAccountInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceAccountInfo {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub pod: Option<(String, String)>,
    /// A node's uid is optional: a node that went leaves its name only.
    pub node: Option<(String, String)>,
    /// `CredentialIDForJTI`: `JTI=` and the token's id.
    pub credential_id: String,
}

impl ServiceAccountInfo {
    /// `serviceaccount.MakeUsername`.
    pub fn username(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }

    /// `ServiceAccountInfo.UserInfo`'s extra attributes.
    pub fn extra(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let key = |k: &str| format!("authentication.kubernetes.io/{k}");
        let mut extra = std::collections::BTreeMap::new();
        if let Some((name, uid)) = self
            .pod
            .as_ref()
            .filter(|(n, u)| !n.is_empty() && !u.is_empty())
        {
            extra.insert(key("pod-name"), vec![name.clone()]);
            extra.insert(key("pod-uid"), vec![uid.clone()]);
        }
        if !self.credential_id.is_empty() {
            extra.insert(key("credential-id"), vec![self.credential_id.clone()]);
        }
        if let Some((name, uid)) = self.node.as_ref().filter(|(n, _)| !n.is_empty()) {
            extra.insert(key("node-name"), vec![name.clone()]);
            if !uid.is_empty() {
                extra.insert(key("node-uid"), vec![uid.clone()]);
            }
        }
        extra
    }

    /// `MakeGroupNames`; `system:authenticated` is added by the
    /// authenticator chain, as for every user.
    pub fn groups(&self) -> Vec<String> {
        vec![
            "system:serviceaccounts".to_string(),
            format!("system:serviceaccounts:{}", self.namespace),
            "system:authenticated".to_string(),
        ]
    }
}

fn seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// 422 about a TokenRequest: `errors.NewInvalid(gvk.GroupKind(), name, errs)`.
fn invalid(name: &str, field: &str, value: &Value, detail: &str) -> ApiError {
    let shown = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    let message = format!("Invalid value: {shown}: {detail}");
    ApiError::new(
        422,
        "Invalid",
        format!("TokenRequest.{GROUP} {name:?} is invalid: {field}: {message}"),
    )
    .with_details(json!({
        "name": name, "group": GROUP, "kind": "TokenRequest",
        "causes": [{"reason": "FieldValueInvalid", "message": message, "field": field}],
    }))
}

fn kind(plural: &str) -> Result<&'static kinds::KindInfo, ApiError> {
    kinds::by_name(plural).ok_or_else(|| ApiError::internal(format!("{plural} are not served")))
}

/// `{"name": …, "uid": …}` of an object, as claims.go's `ref`.
fn reference(object: &Value) -> Value {
    json!({"name": meta::name(object), "uid": meta::uid(object)})
}

impl Registry {
    fn read_named(&self, plural: &str, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.get(&Target {
            kind: kind(plural)?,
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// `TokenREST.Create`: checks the request against the account and the
    /// object it binds to, and builds the claims. `jti` is the token's id.
    pub fn token_request(
        &self,
        namespace: &str,
        name: &str,
        body: &Value,
        now: SystemTime,
        jti: &str,
    ) -> Result<Issue, ApiError> {
        let given = |pointer: &str| meta::str_at(body, pointer);
        for (field, want) in [("name", name), ("namespace", namespace)] {
            let value = given(&format!("/metadata/{field}"));
            if !value.is_empty() && value != want {
                return Err(invalid(
                    name,
                    &format!("metadata.{field}"),
                    &json!(value),
                    &format!("must match the service account {field} if specified"),
                ));
            }
        }
        let account = self.read_named("serviceaccounts", namespace, name)?;
        let uid = meta::uid(&account).to_string();
        if !given("/metadata/uid").is_empty() && given("/metadata/uid") != uid {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on TokenRequest.{GROUP} {name:?}: the UID in the token request ({}) does not match the UID of the service account ({uid})",
                    given("/metadata/uid")
                ),
            ));
        }
        let audiences: Vec<Value> = match body.pointer("/spec/audiences").and_then(Value::as_array)
        {
            Some(list) if !list.is_empty() => list.clone(),
            _ => API_AUDIENCES.iter().map(|a| json!(a)).collect(),
        };
        let expiration = match body.pointer("/spec/expirationSeconds") {
            None | Some(Value::Null) => DEFAULT_EXPIRATION,
            Some(value) => value.as_i64().ok_or_else(|| {
                ApiError::bad_request(format!(
                    "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: spec.expirationSeconds: {value} is not an integer"
                ))
            })?,
        };
        // ValidateTokenRequest: NewInvalid(gvk.GroupKind(), "", errs).
        if expiration < MIN_EXPIRATION {
            return Err(invalid(
                "",
                "spec.expirationSeconds",
                &json!(expiration),
                "may not specify a duration less than 10 minutes",
            ));
        }
        if expiration > MAX_EXPIRATION {
            return Err(invalid(
                "",
                "spec.expirationSeconds",
                &json!(expiration),
                "may not specify a duration larger than 2^32 seconds",
            ));
        }
        // createValidation: NamespaceLifecycle refuses a token in a
        // terminating namespace, after the checks above, as TokenREST calls it.
        self.admit_in_namespace(kind("serviceaccounts")?, namespace, name)?;
        let bound = body
            .pointer("/spec/boundObjectRef")
            .filter(|r| !r.is_null());
        let mut private = Map::new();
        private.insert("namespace".into(), json!(namespace));
        private.insert("serviceaccount".into(), reference(&account));
        if let Some(bound) = bound {
            self.bind(namespace, name, bound, &mut private)?;
        }
        let issued = seconds(now);
        let claims = json!({
            "iss": ISSUER,
            "sub": format!("system:serviceaccount:{namespace}:{name}"),
            "aud": audiences,
            "iat": issued,
            "nbf": issued,
            "exp": issued + expiration,
            "jti": jti,
            "kubernetes.io": private,
        });
        let expires = now + std::time::Duration::from_secs(expiration as u64);
        let request = json!({
            "kind": "TokenRequest",
            "apiVersion": format!("{GROUP}/v1"),
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": uid,
                "creationTimestamp": meta::rfc3339(now),
            },
            "spec": {
                "audiences": audiences,
                "expirationSeconds": expiration,
                "boundObjectRef": bound.cloned().unwrap_or(Value::Null),
            },
            "status": {"token": "", "expirationTimestamp": meta::rfc3339(expires)},
        });
        Ok(Issue { request, claims })
    }

    /// The bound object's part of the claims: a pod (and the node it runs
    /// on), a secret or a node, whose uid must be the one the reference gives.
    fn bind(
        &self,
        namespace: &str,
        account: &str,
        bound: &Value,
        private: &mut Map<String, Value>,
    ) -> Result<(), ApiError> {
        let api_version = meta::str_at(bound, "/apiVersion");
        let kind_name = meta::str_at(bound, "/kind");
        let name = meta::str_at(bound, "/name");
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let object = match (group, kind_name) {
            ("", "Pod") => {
                let pod = self.read_named("pods", namespace, name)?;
                // The ServiceAccount admission plugin defaults the name.
                let runs_as = match meta::str_at(&pod, "/spec/serviceAccountName") {
                    "" => "default",
                    other => other,
                };
                if runs_as != account {
                    return Err(ApiError::bad_request(format!(
                        "cannot bind token for serviceaccount {account:?} to pod running with different serviceaccount name."
                    )));
                }
                let node_name = meta::str_at(&pod, "/spec/nodeName");
                if !node_name.is_empty() {
                    // A node that is gone still leaves its name in the claims.
                    let node = match self.read_named("nodes", "", node_name) {
                        Ok(node) => reference(&node),
                        Err(err) if err.code == 404 => json!({"name": node_name}),
                        Err(err) => return Err(err),
                    };
                    private.insert("node".into(), node);
                }
                private.insert("pod".into(), reference(&pod));
                pod
            }
            ("", "Secret") => {
                let secret = self.read_named("secrets", namespace, name)?;
                private.insert("secret".into(), reference(&secret));
                secret
            }
            ("", "Node") => {
                let node = self.read_named("nodes", "", name)?;
                private.insert("node".into(), reference(&node));
                node
            }
            _ => {
                let shown = match group {
                    "" => format!("/{}, Kind={kind_name}", api_version),
                    _ => format!(
                        "{group}/{}, Kind={kind_name}",
                        api_version.rsplit('/').next().unwrap_or("")
                    ),
                };
                return Err(ApiError::bad_request(format!(
                    "cannot bind token to object of type {shown}"
                )));
            }
        };
        let want = meta::str_at(bound, "/uid");
        if !want.is_empty() && want != meta::uid(&object) {
            return Err(ApiError::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {kind_name} {name:?}: the UID in the bound object reference ({want}) does not match the UID in record. The object might have been deleted and then recreated"
                ),
            ));
        }
        Ok(())
    }

    /// `validator.Validate` of claims.go, on claims whose signature held:
    /// the times (with go-jose's leeway), then the account and the bound
    /// objects as they are now. The error says why, for the log only: the
    /// client gets a plain 401.
    pub fn token_subject(
        &self,
        claims: &Value,
        now: SystemTime,
    ) -> Result<ServiceAccountInfo, String> {
        check_times(claims, seconds(now))?;
        let audiences: Vec<&str> = match claims.get("aud") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !audiences.iter().any(|a| API_AUDIENCES.contains(a)) {
            return Err(format!(
                "token audiences {audiences:?} is invalid for the target audiences {API_AUDIENCES:?}"
            ));
        }
        let private = claims.get("kubernetes.io").cloned().unwrap_or(Value::Null);
        let namespace = meta::str_at(&private, "/namespace");
        let account = meta::str_at(&private, "/serviceaccount/name");
        let uid = meta::str_at(&private, "/serviceaccount/uid");
        let deleted_before = seconds(now) - LEEWAY;
        let still_there = |plural: &str, ns: &str, reference: &Value| -> Result<(), String> {
            let name = meta::str_at(reference, "/name");
            let object = self.read_named(plural, ns, name).map_err(|e| e.message)?;
            let claimed = meta::str_at(reference, "/uid");
            if meta::uid(&object) != claimed {
                return Err(format!(
                    "{plural} UID ({}) does not match claim ({claimed})",
                    meta::uid(&object)
                ));
            }
            let deleted = petctl_model::time::parse_system(meta::str_at(
                &object,
                "/metadata/deletionTimestamp",
            ));
            if deleted.is_some_and(|at| seconds(at) < deleted_before) {
                return Err(format!("{plural} {ns}/{name} has been deleted"));
            }
            Ok(())
        };
        if namespace.is_empty() || account.is_empty() {
            return Err("service account token claims name no service account".to_string());
        }
        still_there("serviceaccounts", namespace, &private["serviceaccount"])?;
        if let Some(secret) = private.get("secret") {
            still_there("secrets", namespace, secret)?;
        }
        match (private.get("pod"), private.get("node")) {
            (Some(pod), _) => still_there("pods", namespace, pod)?,
            // A pod-bound token's node is informational.
            (None, Some(node)) => still_there("nodes", "", node)?,
            (None, None) => {}
        }
        let named = |key: &str| {
            private.get(key).map(|r| {
                (
                    meta::str_at(r, "/name").to_string(),
                    meta::str_at(r, "/uid").to_string(),
                )
            })
        };
        let jti = meta::str_at(claims, "/jti");
        Ok(ServiceAccountInfo {
            namespace: namespace.to_string(),
            name: account.to_string(),
            uid: uid.to_string(),
            pod: named("pod"),
            node: named("node"),
            credential_id: if jti.is_empty() {
                String::new()
            } else {
                format!("JTI={jti}")
            },
        })
    }
}

/// `jwt.Claims.Validate` with `DefaultLeeway`, in claims.go's words.
pub fn check_times(claims: &Value, now: i64) -> Result<(), String> {
    let at = |key: &str| claims.get(key).and_then(Value::as_i64);
    if at("nbf").is_some_and(|nbf| now + LEEWAY < nbf) {
        return Err("service account token is not valid yet".to_string());
    }
    if at("exp").is_none_or(|exp| now - LEEWAY > exp) {
        return Err("service account token has expired".to_string());
    }
    if at("iat").is_some_and(|iat| now + LEEWAY < iat) {
        return Err("service account token is issued in the future".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_hold_within_the_leeway_only() {
        let claims = json!({"iat": 1000, "nbf": 1000, "exp": 1600});
        assert_eq!(check_times(&claims, 1000), Ok(()));
        assert_eq!(check_times(&claims, 1660), Ok(()));
        assert_eq!(
            check_times(&claims, 1661).unwrap_err(),
            "service account token has expired"
        );
        assert_eq!(
            check_times(&claims, 939).unwrap_err(),
            "service account token is not valid yet"
        );
        assert_eq!(
            check_times(&json!({"nbf": 0}), 5).unwrap_err(),
            "service account token has expired",
            "a token without exp never validates"
        );
    }

    #[test]
    fn a_service_account_is_its_user_and_groups() {
        let mut info = ServiceAccountInfo {
            namespace: "shop".into(),
            name: "default".into(),
            uid: "u".into(),
            ..ServiceAccountInfo::default()
        };
        assert!(info.extra().is_empty());
        info.pod = Some(("web-0".into(), "p".into()));
        info.node = Some(("node-1".into(), String::new()));
        info.credential_id = "JTI=j".into();
        let extra: Vec<(String, Vec<String>)> = info.extra().into_iter().collect();
        let pair = |k: &str, v: &str| {
            (
                format!("authentication.kubernetes.io/{k}"),
                vec![v.to_string()],
            )
        };
        assert_eq!(
            extra,
            [
                pair("credential-id", "JTI=j"),
                pair("node-name", "node-1"),
                pair("pod-name", "web-0"),
                pair("pod-uid", "p"),
            ]
        );
        assert_eq!(info.username(), "system:serviceaccount:shop:default");
        assert_eq!(
            info.groups(),
            [
                "system:serviceaccounts",
                "system:serviceaccounts:shop",
                "system:authenticated"
            ]
        );
    }

    #[test]
    fn invalid_requests_are_worded_as_upstream() {
        let err = invalid(
            "",
            "spec.expirationSeconds",
            &json!(599),
            "may not specify a duration less than 10 minutes",
        );
        assert_eq!(err.code, 422);
        assert_eq!(
            err.message,
            "TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes"
        );
    }
}
