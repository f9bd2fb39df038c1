//! Checks on a client's body before it is stored: that it is the kind the
//! path names, that its namespace agrees with the path, unknown fields
//! (`fieldValidation`), and the semantic validation of the object.

use serde_json::Value;

use super::error::{ApiError, Cause};
use petctl_manifest::schema::Findings;
use petctl_manifest::validation::FieldError;
use petctl_model::field_path::{FieldPath, Segment};
use petctl_model::kinds::KindInfo;

/// `fieldValidation`: what to do with fields the kind does not have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    /// The server's default.
    #[default]
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn parse(value: &str) -> Result<Self, ApiError> {
        match value {
            "Ignore" => Ok(FieldValidation::Ignore),
            "Warn" | "" => Ok(FieldValidation::Warn),
            "Strict" => Ok(FieldValidation::Strict),
            other => Err(ApiError::bad_request(format!(
                "fieldValidation parameter unsupported: {other}"
            ))),
        }
    }
}

/// The body's apiVersion and kind must be the ones of the path.
pub fn check_type(kind: &KindInfo, body: &Value) -> Result<(), ApiError> {
    let Some(map) = body.as_object() else {
        return Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}'",
            truncate(&body.to_string())
        )));
    };
    let body_kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let api_version = map.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    if body_kind.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Object 'Kind' is missing in '{}'",
            truncate(&body.to_string())
        )));
    }
    if api_version != kind.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            kind.api_version()
        )));
    }
    if body_kind != kind.kind {
        return Err(ApiError::bad_request(format!(
            "{body_kind} in version \"{}\" cannot be handled as a {}: the kind of the object ({body_kind}) does not match the kind on the URL ({})",
            kind.version, kind.kind, kind.kind
        )));
    }
    Ok(())
}

/// The Scale body of a `/scale` write.
pub fn check_scale(body: &Value) -> Result<(), ApiError> {
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or("Scale");
    let api_version = body
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("autoscaling/v1");
    if kind != "Scale" || api_version != "autoscaling/v1" {
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{api_version}\" cannot be handled as a Scale: expected autoscaling/v1 Scale"
        )));
    }
    Ok(())
}

/// The namespace the object goes to: the path's; a different one in the
/// body is an error.
pub fn check_namespace(
    kind: &KindInfo,
    path_namespace: &str,
    body: &Value,
) -> Result<String, ApiError> {
    if !kind.namespaced {
        return Ok(String::new());
    }
    let body_namespace = body
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("");
    if path_namespace.is_empty() {
        return Err(ApiError::bad_request(
            "the request must name a namespace for a namespaced resource",
        ));
    }
    if !body_namespace.is_empty() && body_namespace != path_namespace {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(path_namespace.to_string())
}

/// Where a body to decode came from. kube-apiserver answers a body it cannot
/// decode with 400 for a create or an update, but with 422 against the
/// field `patch` when the body is the result of a PATCH, and a strict
/// decoding error of a PATCH is a 422 too
/// (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`,
/// `applyPatchToCurrentObject` and `applyPatchToObject`).
pub enum Origin<'a> {
    Body(&'a KindInfo),
    /// The value kube-apiserver shows, given the patched object: that
    /// object for JSON and merge patches, the patch as a Go map for a
    /// strategic merge patch.
    Patch(&'a dyn Fn(&Value) -> String),
}

impl Origin<'_> {
    fn wrong_type(&self, object: &Value, error: &FieldError) -> ApiError {
        match self {
            Origin::Body(kind) => ApiError::bad_request(format!(
                "{} in version \"{}\" cannot be handled as a {}: {}: {}",
                kind.kind,
                kind.version,
                kind.kind,
                error.field,
                error.detail()
            )),
            Origin::Patch(shown) => {
                let detail = format!("{}: {}", error.field, error.detail());
                ApiError::invalid_patch(&shown(object), &detail)
            }
        }
    }

    fn strict(&self, object: &Value, lines: &[String]) -> ApiError {
        let message = format!("strict decoding error: {}", lines.join(", "));
        match self {
            Origin::Body(_) => ApiError::bad_request(message),
            Origin::Patch(shown) => ApiError::invalid_patch(&shown(object), &message),
        }
    }
}

/// Decodes `object` as its kind, as kube-apiserver's decoder does: a value
/// of the wrong JSON type fails whatever the mode; unknown fields fail
/// under Strict, are warnings under Warn and are dropped under Warn and
/// Ignore, since a typed object has nowhere to keep them.
pub fn decode(
    kind: &KindInfo,
    object: &mut Value,
    mode: FieldValidation,
    origin: Origin,
) -> Result<Vec<String>, ApiError> {
    match petctl_manifest::schema::check(&kind.api_version(), kind.kind, object) {
        Some(findings) => apply_findings(findings, object, mode, origin),
        None => Ok(Vec::new()),
    }
}

/// [`decode`] for findings the caller made (the Scale of `/scale`).
pub fn apply_findings(
    findings: Findings,
    object: &mut Value,
    mode: FieldValidation,
    origin: Origin,
) -> Result<Vec<String>, ApiError> {
    if let Some(wrong) = findings.wrong_types.first() {
        return Err(origin.wrong_type(object, wrong));
    }
    let lines: Vec<String> = findings
        .unknown_fields
        .iter()
        .map(|error| format!("unknown field \"{}\"", error.field))
        .collect();
    if mode == FieldValidation::Strict && !lines.is_empty() {
        return Err(origin.strict(object, &lines));
    }
    for error in &findings.unknown_fields {
        remove_at(object, &error.path);
    }
    Ok(match mode {
        FieldValidation::Warn => lines,
        _ => Vec::new(),
    })
}

/// Removes the field at `path`, if it is there.
fn remove_at(object: &mut Value, path: &FieldPath) {
    let Some((last, parents)) = path.0.split_last() else {
        return;
    };
    let mut at = object;
    for segment in parents {
        let next = match segment {
            Segment::Key(key) => at.get_mut(key.as_str()),
            Segment::Index(i) => at.get_mut(*i),
        };
        match next {
            Some(next) => at = next,
            None => return,
        }
    }
    if let (Segment::Key(key), Some(map)) = (last, at.as_object_mut()) {
        map.shift_remove(key);
    }
}

/// Semantic validation of the whole object; `extra` are causes found by
/// the caller.
pub fn validate(kind: &KindInfo, object: &Value, extra: &[Cause]) -> Vec<Cause> {
    let mut causes: Vec<Cause> = extra.to_vec();
    let name_field = FieldPath::root().key("metadata").key("name");
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    if name.is_empty() {
        causes.push(Cause::required(
            name_field,
            "name or generateName is required",
        ));
    }
    for error in
        petctl_manifest::validation::validate_object(&kind.api_version(), kind.kind, object)
    {
        let cause = Cause::new(error.kind.reason(), &error.field, error.detail());
        let duplicate_name_error = name.is_empty() && cause.field == "metadata.name";
        if !causes.contains(&cause) && !duplicate_name_error {
            causes.push(cause);
        }
    }
    causes.extend(super::strategy::validate(kind, object));
    causes
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;
    use serde_json::json;

    #[test]
    fn body_type_must_match_the_path() {
        let sts = by_name("sts").unwrap();
        assert!(check_type(
            sts,
            &json!({"apiVersion": "apps/v1", "kind": "StatefulSet"})
        )
        .is_ok());
        for (body, message) in [
            (json!({"apiVersion": "apps/v1beta1", "kind": "StatefulSet"}), "the API version in the data (apps/v1beta1) does not match the expected API version (apps/v1)"),
            (json!({"apiVersion": "apps/v1"}), "Object 'Kind' is missing in '{\"apiVersion\":\"apps/v1\"}'"),
            (json!([1]), "Object 'Kind' is missing in '[1]'"),
        ] {
            let err = check_type(sts, &body).unwrap_err();
            assert_eq!((err.code, err.message.as_str()), (400, message));
        }
        let err = check_type(sts, &json!({"apiVersion": "apps/v1", "kind": "Pod"})).unwrap_err();
        assert_eq!(err.code, 400);
    }

    #[test]
    fn namespaces_must_agree() {
        let pods = by_name("pods").unwrap();
        assert_eq!(
            check_namespace(pods, "a", &json!({"metadata": {}})).unwrap(),
            "a"
        );
        assert_eq!(
            check_namespace(pods, "a", &json!({"metadata": {"namespace": "a"}})).unwrap(),
            "a"
        );
        assert_eq!(
            check_namespace(pods, "a", &json!({"metadata": {"namespace": "b"}}))
                .unwrap_err()
                .code,
            400
        );
        let nodes = by_name("nodes").unwrap();
        assert_eq!(check_namespace(nodes, "", &json!({})).unwrap(), "");
    }
}
