//! Request bodies: size limit, content types, and JSON or YAML decoding
//! into an object, each failure a `Status` the client can read.

use serde_json::Value;

use crate::registry::error::ApiError;
use crate::registry::PatchType;

/// kube-apiserver's limit for a request body.
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

const OBJECT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    super::protobuf::MEDIA_TYPE,
];
const PATCH_TYPES: &[&str] = &[
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
];

/// The media type without parameters, lower-cased; empty means JSON.
pub fn media_type(content_type: Option<&str>) -> String {
    content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Decodes an object body (POST, PUT, DELETE options).
pub fn decode_object(content_type: Option<&str>, bytes: &[u8]) -> Result<Value, ApiError> {
    let media = media_type(content_type);
    match media.as_str() {
        "" | "application/json" | "*/*" => decode_json(bytes),
        "application/yaml" | "application/x-yaml" | "text/yaml" => decode_yaml(bytes),
        super::protobuf::MEDIA_TYPE => super::protobuf::decode_object(bytes),
        other => Err(ApiError::unsupported_media_type(other, OBJECT_TYPES)),
    }
}

/// The patch type of a PATCH request's content type.
pub fn patch_type(content_type: Option<&str>) -> Result<PatchType, ApiError> {
    match media_type(content_type).as_str() {
        "application/json-patch+json" => Ok(PatchType::Json),
        "application/merge-patch+json" => Ok(PatchType::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchType::StrategicMerge),
        "application/apply-patch+yaml" => Ok(PatchType::Apply),
        other => Err(ApiError::unsupported_media_type(other, PATCH_TYPES)),
    }
}

fn decode_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::bad_request(format!(
            "couldn't get version/kind; json parse error: {}",
            err.to_string().to_lowercase()
        ))
    })
}

fn decode_yaml(bytes: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("yaml: invalid UTF-8 in the request body"))?;
    let value: Value = serde_yaml_ng::from_str(text).map_err(|err| {
        ApiError::bad_request(format!("error converting YAML to JSON: yaml: {err}"))
    })?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_decode_by_content_type() {
        assert_eq!(decode_object(None, br#"{"a":1}"#).unwrap()["a"], 1);
        assert_eq!(
            decode_object(Some("application/json; charset=utf-8"), br#"{"a":1}"#).unwrap()["a"],
            1
        );
        assert_eq!(
            decode_object(Some("application/yaml"), b"a: 1\n").unwrap()["a"],
            1
        );
        for (content_type, body, code) in [
            (Some("application/json"), &b"{not json"[..], 400),
            (Some("application/yaml"), &b"a: [1"[..], 400),
            (Some("application/yaml"), &b"\xff\xfe"[..], 400),
            (Some("text/plain"), &b"{}"[..], 415),
            (
                Some("application/vnd.kubernetes.protobuf"),
                &b"k8s\x00"[..],
                415,
            ),
        ] {
            assert_eq!(
                decode_object(content_type, body).unwrap_err().code,
                code,
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn patch_types() {
        for (content_type, want) in [
            ("application/json-patch+json", PatchType::Json),
            ("application/merge-patch+json", PatchType::Merge),
            (
                "application/strategic-merge-patch+json",
                PatchType::StrategicMerge,
            ),
            ("application/apply-patch+yaml", PatchType::Apply),
        ] {
            assert_eq!(patch_type(Some(content_type)).unwrap(), want);
        }
        assert_eq!(patch_type(Some("application/json")).unwrap_err().code, 415);
        assert_eq!(patch_type(None).unwrap_err().code, 415);
    }
}
