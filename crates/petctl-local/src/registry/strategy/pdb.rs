//! PodDisruptionBudgets (policy/v1), after
//! `pkg/registry/policy/poddisruptionbudget/strategy.go` and
//! `pkg/apis/policy/validation/validation.go`: a new budget starts with an
//! empty status, `minAvailable` and `maxUnavailable` are exclusive,
//! non-negative ints or percentages up to 100%, and the unhealthy pod
//! eviction policy is one of two. Also what the disruption controller and
//! the eviction subresource share, as upstream's
//! `k8s.io/component-helpers/apps/poddisruptionbudget`: the selector and
//! the DisruptionAllowed condition.

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use serde_json::{json, Value};

use crate::registry::error::Cause;
use petctl_model::field_path::FieldPath;
use petctl_model::selector::LabelSelector;

pub const CONDITION: &str = "DisruptionAllowed";

/// `UnhealthyPodEvictionPolicyType`, sorted as `sets.List` gives them.
const EVICTION_POLICIES: &[&str] = &["AlwaysAllow", "IfHealthyBudget"];

/// `IsValidPercent`'s message (apimachinery util/validation).
const PERCENT_MESSAGE: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/// The status PrepareForCreate leaves: every counter zero (they are not
/// `omitempty` in policy/v1).
pub(super) fn initial_status() -> Value {
    json!({
        "disruptionsAllowed": 0,
        "currentHealthy": 0,
        "desiredHealthy": 0,
        "expectedPods": 0,
    })
}

/// `ValidatePodDisruptionBudgetSpec`, the parts the shared manifest
/// validation (which checks the selector) leaves out.
pub(super) fn validate(object: &Value) -> Vec<Cause> {
    let spec_field = FieldPath::root().key("spec");
    let Some(spec) = object.get("spec").filter(|s| s.is_object()) else {
        return Vec::new();
    };
    let mut causes = Vec::new();
    let present = |key: &str| spec.get(key).is_some_and(|v| !v.is_null());
    if present("minAvailable") && present("maxUnavailable") {
        causes.push(Cause::invalid(
            spec_field.clone(),
            spec,
            "minAvailable and maxUnavailable cannot be both set",
        ));
    }
    for key in ["minAvailable", "maxUnavailable"] {
        if let Some(value) = spec.get(key).filter(|v| !v.is_null()) {
            causes.extend(int_or_percent(spec_field.clone().key(key), value));
        }
    }
    if let Some(policy) = spec
        .get("unhealthyPodEvictionPolicy")
        .filter(|v| !v.is_null())
    {
        let name = policy.as_str().unwrap_or("");
        if !EVICTION_POLICIES.contains(&name) {
            causes.push(super::unsupported(
                spec_field.key("unhealthyPodEvictionPolicy"),
                policy,
                EVICTION_POLICIES,
            ));
        }
    }
    causes
}

/// `ValidatePositiveIntOrPercent` and `IsNotMoreThan100Percent`
/// (pkg/apis/apps/validation).
fn int_or_percent(field: FieldPath, value: &Value) -> Vec<Cause> {
    match value {
        Value::Number(n) if n.as_i64().is_some_and(|n| n < 0) => vec![Cause::invalid(
            field,
            value,
            "must be greater than or equal to 0",
        )],
        Value::Number(_) => Vec::new(),
        Value::String(text) => match parse_percent(text) {
            None => vec![Cause::invalid(field, value, PERCENT_MESSAGE)],
            Some(percent) if percent > 100 => {
                vec![Cause::invalid(
                    field,
                    value,
                    "must not be greater than 100%",
                )]
            }
            Some(_) => Vec::new(),
        },
        _ => vec![Cause::invalid(
            field,
            value,
            "must be an integer or percentage (e.g '5%')",
        )],
    }
}

/// `^[0-9]+%$`.
fn parse_percent(text: &str) -> Option<u64> {
    let digits = text.strip_suffix('%')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse().unwrap_or(u64::MAX))
}

/// The budget's selector; `None` matches nothing (a nil selector, or one
/// that does not parse), an empty one every pod of the namespace, as
/// `metav1.LabelSelectorAsSelector` makes them.
pub fn selector(pdb: &Value) -> Option<LabelSelector> {
    let raw = pdb.pointer("/spec/selector").filter(|s| !s.is_null())?;
    let parsed: metav1::LabelSelector = serde_json::from_value(raw.clone()).ok()?;
    LabelSelector::from_label_selector(&parsed).ok()
}

/// `apimeta.SetStatusCondition`: the transition time moves only when the
/// status does.
pub fn set_condition(status: &mut Value, condition: Value, now: &str) {
    let Some(map) = status.as_object_mut() else {
        return;
    };
    let conditions = map.entry("conditions").or_insert_with(|| json!([]));
    if !conditions.is_array() {
        *conditions = json!([]);
    }
    let Some(list) = conditions.as_array_mut() else {
        return;
    };
    let mut condition = condition;
    match list.iter_mut().find(|c| c["type"] == condition["type"]) {
        Some(existing) => {
            let moved = existing["status"] != condition["status"];
            condition["lastTransitionTime"] = if moved {
                json!(now)
            } else {
                existing["lastTransitionTime"].clone()
            };
            *existing = condition;
        }
        None => {
            condition["lastTransitionTime"] = json!(now);
            list.push(condition);
        }
    }
}

pub fn condition(status: &str, reason: &str, message: &str, generation: i64) -> Value {
    let mut c = json!({"type": CONDITION, "status": status, "reason": reason, "message": message});
    if generation != 0 {
        c["observedGeneration"] = json!(generation);
    }
    c
}

/// `UpdateDisruptionAllowedCondition`, from the status' own counters.
pub fn update_allowed_condition(status: &mut Value, now: &str) {
    let allowed = status["disruptionsAllowed"].as_i64().unwrap_or(0);
    let generation = status["observedGeneration"].as_i64().unwrap_or(0);
    let c = if allowed > 0 {
        condition("True", "SufficientPods", "", generation)
    } else {
        condition("False", "InsufficientPods", "", generation)
    };
    set_condition(status, c, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(spec: Value) -> Vec<String> {
        validate(&json!({"spec": spec}))
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn disruption_budget_specs_are_validated_as_upstream() {
        assert!(messages(json!({"maxUnavailable": 1})).is_empty());
        assert!(messages(json!({"minAvailable": "50%"})).is_empty());
        assert_eq!(
            messages(json!({"minAvailable": -1})),
            ["spec.minAvailable: Invalid value: -1: must be greater than or equal to 0"]
        );
        assert_eq!(
            messages(json!({"maxUnavailable": "150%"})),
            ["spec.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%"]
        );
        assert_eq!(
            messages(json!({"maxUnavailable": "x"})),
            [format!(
                "spec.maxUnavailable: Invalid value: \"x\": {PERCENT_MESSAGE}"
            )]
        );
        assert_eq!(
            messages(json!({"minAvailable": 1, "maxUnavailable": 1})).len(),
            1
        );
        assert_eq!(
            messages(json!({"unhealthyPodEvictionPolicy": "Never"})),
            ["spec.unhealthyPodEvictionPolicy: Unsupported value: \"Never\": supported values: \"AlwaysAllow\", \"IfHealthyBudget\""]
        );
    }
}
