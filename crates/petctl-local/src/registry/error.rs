//! `metav1.Status` failures as kube-apiserver reports them: the code, the
//! reason, the message and the details, built from the kind and name involved.

use serde_json::{json, Map, Value};

use petctl_model::field_path::FieldPath;
use petctl_model::kinds::KindInfo;

/// One failure, ready to be rendered as a `Status` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// Boxed: errors travel in every Result of the registry.
    pub details: Option<Box<Value>>,
    /// Seconds for a Retry-After header.
    pub retry_after: Option<u64>,
    /// `metadata.continue` of the Status: the token an expired continue
    /// hands back for an inconsistent remainder of the list.
    pub list_continue: Option<String>,
}

/// One field-level failure of a 422 Invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub reason: &'static str,
    /// The field as the server prints it, e.g. `spec.replicas`.
    pub field: String,
    /// The detail after the field, e.g. `Invalid value: -1: must be greater than or equal to 0`.
    pub message: String,
}

impl Cause {
    pub fn new(reason: &'static str, field: impl ToString, message: impl Into<String>) -> Self {
        Cause {
            reason,
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// `Invalid value: VALUE: DETAIL`, as field.Invalid prints it.
    pub fn invalid(field: FieldPath, value: &Value, detail: &str) -> Self {
        let shown = match value {
            Value::String(s) => format!("{s:?}"),
            other => other.to_string(),
        };
        Cause::new(
            "FieldValueInvalid",
            field,
            format!("Invalid value: {shown}: {detail}"),
        )
    }

    pub fn forbidden(field: FieldPath, detail: &str) -> Self {
        Cause::new("FieldValueForbidden", field, format!("Forbidden: {detail}"))
    }

    pub fn required(field: FieldPath, detail: &str) -> Self {
        let message = if detail.is_empty() {
            "Required value".to_string()
        } else {
            format!("Required value: {detail}")
        };
        Cause::new("FieldValueRequired", field, message)
    }

    fn to_json(&self) -> Value {
        json!({"reason": self.reason, "message": self.message, "field": self.field})
    }

    fn line(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }
}

/// `statefulsets.apps`, or `pods` for the core group: how errors name a resource.
pub fn qualified_resource(kind: &KindInfo) -> String {
    kind.qualified_plural()
}

fn qualified_kind(kind: &KindInfo) -> String {
    if kind.group.is_empty() {
        kind.kind.to_string()
    } else {
        format!("{}.{}", kind.kind, kind.group)
    }
}

/// `StatusDetails` naming the object: `kind` is the resource (`pods`) for
/// most failures, the kind (`Pod`) for 422 Invalid, as `errors.NewInvalid`
/// fills it from a GroupKind.
fn details(name: &str, group: &str, kind: &str) -> Map<String, Value> {
    let mut map = Map::new();
    if !name.is_empty() {
        map.insert("name".into(), json!(name));
    }
    if !group.is_empty() {
        map.insert("group".into(), json!(group));
    }
    map.insert("kind".into(), json!(kind));
    map
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: None,
            retry_after: None,
            list_continue: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(Box::new(details));
        self
    }

    /// A failure about the object `name` of `kind` (its collection when
    /// `name` is empty), with details that name it.
    fn about(
        code: u16,
        reason: &'static str,
        kind: &KindInfo,
        name: &str,
        message: String,
    ) -> Self {
        let details = details(name, kind.group, kind.plural);
        ApiError::new(code, reason, message).with_details(Value::Object(details))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        ApiError::new(401, "Unauthorized", "Unauthorized")
    }

    /// The plain 404 for paths that name no resource.
    pub fn path_not_found() -> Self {
        ApiError::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn not_found(kind: &KindInfo, name: &str) -> Self {
        let message = format!("{} \"{name}\" not found", qualified_resource(kind));
        ApiError::about(404, "NotFound", kind, name, message)
    }

    /// 403 for a request the authorizer denied; `name` is empty for
    /// collection requests, and `why` says who cannot do what.
    pub fn forbidden(kind: &KindInfo, name: &str, why: &str) -> Self {
        let object = match name {
            "" => qualified_resource(kind),
            name => format!("{} {name:?}", qualified_resource(kind)),
        };
        let message = format!("{object} is forbidden: {why}");
        ApiError::about(403, "Forbidden", kind, name, message)
    }

    pub fn namespace_not_found(namespace: &str) -> Self {
        ApiError::new(
            404,
            "NotFound",
            format!("namespaces \"{namespace}\" not found"),
        )
        .with_details(json!({"name": namespace, "kind": "namespaces"}))
    }

    pub fn already_exists(kind: &KindInfo, name: &str) -> Self {
        let message = format!("{} \"{name}\" already exists", qualified_resource(kind));
        ApiError::about(409, "AlreadyExists", kind, name, message)
    }

    pub fn conflict(kind: &KindInfo, name: &str, why: &str) -> Self {
        let resource = qualified_resource(kind);
        let message = format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}");
        ApiError::about(409, "Conflict", kind, name, message)
    }

    pub fn modified(kind: &KindInfo, name: &str) -> Self {
        ApiError::conflict(
            kind,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422 Invalid with one cause per field error, as `errors.NewInvalid` builds it.
    pub fn invalid(kind: &KindInfo, name: &str, causes: &[Cause]) -> Self {
        let lines: Vec<String> = causes.iter().map(Cause::line).collect();
        let summary = match lines.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let mut details = details(name, kind.group, kind.kind);
        details.insert("causes".into(), causes.iter().map(Cause::to_json).collect());
        ApiError::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {summary}", qualified_kind(kind)),
        )
        .with_details(Value::Object(details))
    }

    /// The 422 kube-apiserver answers when the result of a PATCH does not
    /// decode: `errors.NewInvalid(schema.GroupKind{}, "", …)` against the
    /// field `patch`, so the kind and the name are empty.
    pub fn invalid_patch(shown: &str, detail: &str) -> Self {
        let cause = Cause::invalid(FieldPath::parse("patch"), &json!(shown), detail);
        let message = format!(" \"\" is invalid: {}", cause.line());
        let details = json!({"causes": [cause.to_json()]});
        ApiError::new(422, "Invalid", message).with_details(details)
    }

    pub fn method_not_allowed() -> Self {
        ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_details(json!({}))
    }

    pub fn too_large(limit: usize) -> Self {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    pub fn unsupported_media_type(content_type: &str, accepted: &[&str]) -> Self {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: {}",
                accepted.join(", ")
            ),
        )
        .with_details(json!({"causes": [{"reason": "UnexpectedServerResponse", "message": content_type}]}))
    }

    pub fn gone(message: impl Into<String>) -> Self {
        ApiError::new(410, "Expired", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::new(
            500,
            "InternalError",
            format!("Internal error occurred: {message}"),
        )
        .with_details(json!({"causes": [{"message": message}]}))
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut err = ApiError::new(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
        )
        .with_details(json!({"retryAfterSeconds": retry_after}));
        err.retry_after = Some(retry_after);
        err
    }

    /// The `metav1.Status` body.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(token) = &self.list_continue {
            status["metadata"]["continue"] = json!(token);
        }
        if let (Some(details), Some(map)) = (&self.details, status.as_object_mut()) {
            map.insert("details".into(), (**details).clone());
        }
        if let Some(map) = status.as_object_mut() {
            if self.reason.is_empty() {
                map.remove("reason");
            }
            map.insert("code".into(), json!(self.code));
        }
        status
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    fn sts() -> &'static KindInfo {
        by_name("statefulsets").unwrap()
    }

    #[test]
    fn messages_match_kube_apiserver() {
        let pods = by_name("pods").unwrap();
        for (err, code, message) in [
            (ApiError::not_found(sts(), "web"), 404, "statefulsets.apps \"web\" not found"),
            (ApiError::not_found(pods, "web-0"), 404, "pods \"web-0\" not found"),
            (ApiError::already_exists(sts(), "web"), 409, "statefulsets.apps \"web\" already exists"),
            (
                ApiError::modified(sts(), "web"),
                409,
                "Operation cannot be fulfilled on statefulsets.apps \"web\": the object has been modified; please apply your changes to the latest version and try again",
            ),
            (ApiError::namespace_not_found("x"), 404, "namespaces \"x\" not found"),
            (ApiError::too_large(3145728), 413, "Request entity too large: limit is 3145728"),
        ] {
            assert_eq!(err.code, code);
            assert_eq!(err.message, message);
        }
    }

    #[test]
    fn invalid_lists_causes() {
        let one = ApiError::invalid(
            sts(),
            "web",
            &[Cause::invalid(
                FieldPath::parse("spec.replicas"),
                &json!(-1),
                "must be greater than or equal to 0",
            )],
        );
        assert_eq!(
            one.message,
            "StatefulSet.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"
        );
        let status = one.to_status();
        assert_eq!(status["details"]["causes"][0]["field"], "spec.replicas");
        assert_eq!(
            status["details"]["causes"][0]["reason"],
            "FieldValueInvalid"
        );
        assert_eq!(status["details"]["kind"], "StatefulSet");
        assert_eq!(status["code"], 422);
        let two = ApiError::invalid(
            sts(),
            "web",
            &[
                Cause::required(FieldPath::parse("spec.selector"), ""),
                Cause::invalid(FieldPath::parse("metadata.name"), &json!("A"), "bad"),
            ],
        );
        assert_eq!(
            two.message,
            "StatefulSet.apps \"web\" is invalid: [spec.selector: Required value, metadata.name: Invalid value: \"A\": bad]"
        );
    }

    #[test]
    fn unauthorized_body_is_exact() {
        assert_eq!(
            ApiError::unauthorized().to_status().to_string(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
        );
    }
}
