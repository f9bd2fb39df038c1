//! Older StatefulSets (apps/v1beta1, apps/v1beta2) converted to apps/v1:
//! the old defaults written out, the change lines, the pause hook.

use serde_json::{json, Value};

use super::run;
use crate::convert::Target;

pub(super) fn statefulset(api_version: &str, spec_extra: Value) -> Value {
    let mut spec = json!({
        "serviceName": "nginx",
        "template": {
            "metadata": {"labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
        }
    });
    if let (Some(spec), Some(extra)) = (spec.as_object_mut(), spec_extra.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": api_version,
        "kind": "StatefulSet",
        "metadata": {"name": "web", "labels": {"team": "a"}},
        "spec": spec
    })
}

#[test]
fn older_statefulsets_get_their_old_defaults_written_out() {
    // (apiVersion, extra spec fields, expected updateStrategy, expected policy)
    let cases = [
        (
            "apps/v1beta1",
            json!({}),
            json!({"type": "OnDelete"}),
            "OrderedReady",
        ),
        (
            "apps/v1beta2",
            json!({}),
            json!({"type": "RollingUpdate"}),
            "OrderedReady",
        ),
        (
            "apps/v1beta1",
            json!({"updateStrategy": {"rollingUpdate": {"partition": 1}}, "podManagementPolicy": "Parallel"}),
            json!({"type": "OnDelete", "rollingUpdate": {"partition": 1}}),
            "Parallel",
        ),
        (
            "apps/v1beta1",
            json!({"updateStrategy": {"type": "RollingUpdate"}}),
            json!({"type": "RollingUpdate"}),
            "OrderedReady",
        ),
        (
            "apps/v1",
            json!({"selector": {"matchLabels": {"app": "nginx"}}}),
            Value::Null,
            "",
        ),
    ];
    for (api_version, extra, strategy, policy) in cases {
        let out = run(statefulset(api_version, extra.clone()), Target::AppsV1);
        assert_eq!(out.value["apiVersion"], "apps/v1");
        assert_eq!(
            out.value["spec"]["selector"],
            json!({"matchLabels": {"app": "nginx"}})
        );
        assert_eq!(
            out.value["spec"]["updateStrategy"], strategy,
            "{api_version} {extra}"
        );
        assert_eq!(
            out.value["spec"]["podManagementPolicy"]
                .as_str()
                .unwrap_or(""),
            policy,
            "{api_version} {extra}"
        );
        // The set's own labels are kept.
        assert_eq!(out.value["metadata"]["labels"], json!({"team": "a"}));
    }
}

#[test]
fn older_statefulset_change_lines() {
    let out = run(statefulset("apps/v1beta2", json!({})), Target::AppsV1);
    let s = "statefulset \"web\" (apps/v1beta2 -> apps/v1)";
    assert_eq!(
        out.changes,
        [
            format!("{s}: set apiVersion: apps/v1 and kind: StatefulSet"),
            format!("{s}: set spec.selector.matchLabels from the template labels {{app: nginx}}"),
            format!("{s}: set spec.podManagementPolicy: OrderedReady, the apps/v1beta2 default, written out"),
            format!("{s}: set spec.updateStrategy.type: RollingUpdate, the apps/v1beta2 default, written out"),
        ]
    );
    let out = run(statefulset("apps/v1", json!({})), Target::AppsV1);
    assert_eq!(
        out.changes,
        ["statefulset \"web\" (apps/v1): set spec.selector.matchLabels from the template labels {app: nginx}"]
    );
}

#[test]
fn apps_v1beta1_statefulset_without_initialized_is_not_paused() {
    let mut input = statefulset("apps/v1beta1", json!({}));
    input["spec"]["template"]["metadata"]["annotations"] =
        json!({"pod.alpha.kubernetes.io/initialized": "false"});
    let out = run(input.clone(), Target::AppsV1beta1);
    assert_eq!(
        out.value["spec"]["template"]["metadata"]["annotations"],
        json!({"pod.alpha.kubernetes.io/initialized": "false"})
    );
    input["spec"]["template"]["metadata"]
        .as_object_mut()
        .map(|m| m.shift_remove("annotations"));
    let out = run(input, Target::AppsV1);
    assert!(out.value["spec"]["template"]["metadata"]
        .get("annotations")
        .is_none());
}
