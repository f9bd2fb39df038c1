//! PATCH bodies applied to an object: JSON Patch (RFC 6902), JSON merge patch
//! (RFC 7386) and Kubernetes strategic merge patch. Errors are classified by
//! the status kube-apiserver answers them with
//! (`staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go`):
//!
//! | failure | status |
//! |---|---|
//! | JSON Patch body that does not decode | 400 BadRequest |
//! | more than 10000 JSON Patch operations | 413 RequestEntityTooLarge |
//! | JSON Patch operation that fails, including a failed `test` | 422 Invalid, generic message |
//! | merge patch body that is not a JSON object (`Invalid JSON Patch`) | 400 BadRequest |
//! | strategic patch body that is not a JSON object; bad `$retainKeys` or `$setElementOrder` | 400 BadRequest |
//! | strategic patch with lists of lists | 422 Invalid, generic message |
//! | any other strategic merge failure (missing merge key, unknown `$patch`) | 500, reason Unknown |

pub(crate) mod schema;
mod strategic;

use serde_json::{Map, Value};

/// kube-apiserver refuses JSON patches with more operations than this.
pub const MAX_JSON_PATCH_OPERATIONS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// 400 BadRequest.
    #[error("{0}")]
    BadRequest(String),
    /// 413 RequestEntityTooLarge.
    #[error("{0}")]
    TooLarge(String),
    /// 422 Unprocessable Entity: reason Invalid, generic message.
    #[error("{0}")]
    Unprocessable(String),
    /// 500: kube-apiserver passes these strategic merge failures through
    /// unclassified (reason Unknown, the error as the message).
    #[error("{0}")]
    Internal(String),
}

/// The message kube-apiserver sends for a 422 built by
/// `NewGenericServerResponse`, which drops the patch library's detail.
pub const UNPROCESSABLE_MESSAGE: &str =
    "the server rejected our request due to an error in our request";

impl PatchError {
    pub fn http_status(&self) -> u16 {
        match self {
            PatchError::BadRequest(_) => 400,
            PatchError::TooLarge(_) => 413,
            PatchError::Unprocessable(_) => 422,
            PatchError::Internal(_) => 500,
        }
    }

    /// The `reason` of kube-apiserver's `Status`; "" is `Unknown`, what it
    /// sends for errors it does not classify.
    pub fn reason(&self) -> &'static str {
        match self {
            PatchError::BadRequest(_) => "BadRequest",
            PatchError::TooLarge(_) => "RequestEntityTooLarge",
            PatchError::Unprocessable(_) => "Invalid",
            PatchError::Internal(_) => "",
        }
    }

    /// The `message` of kube-apiserver's `Status`. A failed JSON Patch
    /// operation, a failed `test` included, reaches clients only as
    /// [`UNPROCESSABLE_MESSAGE`] with empty details; [`Display`](std::fmt::Display) keeps the
    /// detail for logs.
    pub fn status_message(&self) -> String {
        match self {
            PatchError::BadRequest(message) | PatchError::Internal(message) => message.clone(),
            PatchError::TooLarge(message) => format!("Request entity too large: {message}"),
            PatchError::Unprocessable(_) => UNPROCESSABLE_MESSAGE.to_string(),
        }
    }
}

/// Applies an RFC 6902 JSON Patch; all operations or none.
pub fn apply_json_patch(target: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let patch: json_patch::Patch =
        serde_json::from_slice(patch).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    if patch.0.len() > MAX_JSON_PATCH_OPERATIONS {
        return Err(PatchError::TooLarge(format!(
            "The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {}",
            patch.0.len()
        )));
    }
    let mut doc = target.clone();
    json_patch::patch(&mut doc, &patch.0)
        .map_err(|e| PatchError::Unprocessable(json_patch_message(&patch, &e)))?;
    Ok(doc)
}

/// evanphx/json-patch's wording, which kubectl users see from a real server.
fn json_patch_message(patch: &json_patch::Patch, error: &json_patch::PatchError) -> String {
    use json_patch::{PatchErrorKind, PatchOperation};
    let path = error.path.to_string();
    let operation = patch.0.get(error.operation);
    let op = match operation {
        Some(PatchOperation::Add(_)) => "add",
        Some(PatchOperation::Remove(_)) => "remove",
        Some(PatchOperation::Replace(_)) => "replace",
        Some(PatchOperation::Move(_)) => "move",
        Some(PatchOperation::Copy(_)) => "copy",
        Some(PatchOperation::Test(_)) => "test",
        None => "unknown",
    };
    match error.kind {
        PatchErrorKind::TestFailed => format!("testing value {path} failed: test failed"),
        PatchErrorKind::InvalidPointer => {
            format!("{op} operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        PatchErrorKind::InvalidFromPointer => {
            let from = match operation {
                Some(PatchOperation::Move(m)) => m.from.to_string(),
                Some(PatchOperation::Copy(c)) => c.from.to_string(),
                _ => String::new(),
            };
            format!("{op} operation does not apply: doc is missing from path: \"{from}\": missing value")
        }
        _ => error.to_string(),
    }
}

/// Applies an RFC 7386 merge patch. Field order is kept (removing a field
/// does not move the last one into its place).
pub fn apply_merge_patch(target: &Value, patch: &[u8]) -> Result<Value, PatchError> {
    let bad = || PatchError::BadRequest("Invalid JSON Patch".to_string());
    let patch: Value = serde_json::from_slice(patch).map_err(|_| bad())?;
    if !patch.is_object() {
        return Err(bad());
    }
    let mut doc = target.clone();
    merge(&mut doc, &patch);
    Ok(doc)
}

fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.shift_remove(key);
            } else {
                merge(map.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Applies a strategic merge patch to an object of `kind` (`StatefulSet`,
/// `Pod`, … or any name of a kind): lists with a merge key merge element by
/// element, and the `$patch`, `$retainKeys`, `$deleteFromPrimitiveList/…`
/// and `$setElementOrder/…` directives kubectl sends are honoured.
pub fn apply_strategic_merge_patch(
    target: &Value,
    patch: &[u8],
    kind: &str,
) -> Result<Value, PatchError> {
    let patch: Value =
        serde_json::from_slice(patch).map_err(|e| PatchError::BadRequest(e.to_string()))?;
    let patch = match patch {
        Value::Object(map) => map,
        // Go decodes `null` into a nil map: nothing to apply.
        Value::Null => Map::new(),
        other => {
            return Err(PatchError::BadRequest(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                go_json_type(&other)
            )))
        }
    };
    let Value::Object(original) = target else {
        return Err(PatchError::BadRequest("invalid JSON document".to_string()));
    };
    let merged = strategic::Merger::new(kind).merge_object(original.clone(), patch)?;
    Ok(Value::Object(merged))
}

/// The value kube-apiserver shows in the 422 for a patched object that does
/// not decode: the patched object's JSON for JSON and merge patches, and
/// for a strategic merge patch the patch itself printed as a Go map
/// (`fmt.Sprintf("%+v", patchMap)` in handlers/patch.go).
pub fn shown_value(patch_type: super::PatchType, patched: &Value, patch: &[u8]) -> String {
    match patch_type {
        super::PatchType::StrategicMerge => serde_json::from_slice::<Value>(patch)
            .map(|p| strategic::go_fmt(&p))
            .unwrap_or_default(),
        _ => patched.to_string(),
    }
}

fn go_json_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

#[cfg(test)]
mod tests;
