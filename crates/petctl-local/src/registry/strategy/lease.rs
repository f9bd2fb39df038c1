//! Leases (coordination.k8s.io/v1): the spec rules of
//! pkg/apis/coordination/validation `ValidateLeaseSpec`, on create and on
//! update.

use serde_json::Value;

use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;

pub(super) fn validate(lease: &Value) -> Vec<Cause> {
    let spec = FieldPath::root().key("spec");
    let mut causes = Vec::new();
    let int = |field: &str| {
        lease
            .pointer(&format!("/spec/{field}"))
            .and_then(Value::as_i64)
    };
    if let Some(seconds) = int("leaseDurationSeconds").filter(|s| *s <= 0) {
        causes.push(Cause::invalid(
            spec.key("leaseDurationSeconds"),
            &Value::from(seconds),
            "must be greater than 0",
        ));
    }
    if let Some(transitions) = int("leaseTransitions").filter(|t| *t < 0) {
        causes.push(Cause::invalid(
            spec.key("leaseTransitions"),
            &Value::from(transitions),
            "must be greater than or equal to 0",
        ));
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn durations_must_be_positive_and_transitions_not_negative() {
        assert!(
            validate(&json!({"spec": {"leaseDurationSeconds": 40, "leaseTransitions": 0}}))
                .is_empty()
        );
        let causes =
            validate(&json!({"spec": {"leaseDurationSeconds": 0, "leaseTransitions": -1}}));
        let fields: Vec<&str> = causes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            fields,
            ["spec.leaseDurationSeconds", "spec.leaseTransitions"]
        );
        assert_eq!(
            causes[0].message,
            "Invalid value: 0: must be greater than 0"
        );
    }
}
