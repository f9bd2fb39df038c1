//! EndpointSlices (discovery.k8s.io/v1): `addressType` is required, one of
//! three, and immutable (pkg/apis/discovery/validation
//! `ValidateEndpointSliceCreate` / `ValidateEndpointSliceUpdate`).

use serde_json::Value;

use super::unsupported;
use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;

const ADDRESS_TYPES: &[&str] = &["FQDN", "IPv4", "IPv6"];

pub(super) fn validate_slice(slice: &Value) -> Vec<Cause> {
    let field = FieldPath::root().key("addressType");
    match slice.get("addressType").and_then(Value::as_str) {
        None | Some("") => vec![Cause::required(field, "")],
        Some(kind) if !ADDRESS_TYPES.contains(&kind) => {
            vec![unsupported(field, &Value::from(kind), ADDRESS_TYPES)]
        }
        Some(_) => Vec::new(),
    }
}

pub(super) fn validate_slice_update(old: &Value, new: &Value) -> Vec<Cause> {
    let mut causes = validate_slice(new);
    if old.get("addressType") != new.get("addressType") {
        causes.push(Cause::invalid(
            FieldPath::root().key("addressType"),
            new.get("addressType").unwrap_or(&Value::Null),
            "field is immutable",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn address_types_are_required_supported_and_immutable() {
        assert!(validate_slice(&json!({"addressType": "IPv4"})).is_empty());
        assert_eq!(validate_slice(&json!({}))[0].message, "Required value");
        assert_eq!(
            validate_slice(&json!({"addressType": "IPv5"}))[0].message,
            "Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", \"IPv6\""
        );
        let changed = validate_slice_update(
            &json!({"addressType": "IPv4"}),
            &json!({"addressType": "IPv6"}),
        );
        assert_eq!(
            changed[0].message,
            "Invalid value: \"IPv6\": field is immutable"
        );
    }
}
