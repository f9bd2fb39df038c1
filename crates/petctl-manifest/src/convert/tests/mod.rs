//! Conversion cases, each an input object, a target, and the exact object
//! and change lines expected: PetSets and Services here, older StatefulSets
//! in `statefulset`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::{convert, Converted, Target};
use crate::{Document, FieldPath};
use statefulset::statefulset;

mod statefulset;

fn doc(value: Value) -> Document {
    Document {
        file: Arc::from("web.yaml"),
        value,
        locations: Default::default(),
        base: FieldPath::root(),
    }
}

fn run(value: Value, target: Target) -> Converted {
    match convert(&doc(value), target) {
        Ok(converted) => converted,
        Err(err) => panic!("conversion failed: {err}"),
    }
}

/// The change lines that name one of `words`.
fn lines_about<'a>(out: &'a Converted, words: &[&str]) -> Vec<&'a String> {
    out.changes
        .iter()
        .filter(|l| words.iter().any(|w| l.contains(w)))
        .collect()
}

fn petset(template_annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1alpha1",
        "kind": "PetSet",
        "metadata": {"name": "web"},
        "spec": {
            "serviceName": "nginx",
            "replicas": 2,
            "template": {
                "metadata": {"labels": {"app": "nginx"}, "annotations": template_annotations},
                "spec": {"containers": [{"name": "nginx", "image": "nginx-slim:0.8"}]}
            },
            "volumeClaimTemplates": [{
                "metadata": {
                    "name": "www",
                    "annotations": {"volume.alpha.kubernetes.io/storage-class": "anything"}
                },
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    })
}

const P: &str = "petset \"web\" (apps/v1alpha1 -> apps/v1)";
const P_BETA: &str = "petset \"web\" (apps/v1alpha1 -> apps/v1beta1)";
const INIT: &str = "spec.template.metadata.annotations[pod.alpha.kubernetes.io/initialized]";
const PAUSED: &str = "a PetSet without it is paused, and the upgrade guide keeps it paused; remove it to let the set proceed";
const IGNORED: &str =
    "note: apps/v1 ignores it (since Kubernetes 1.8), so there the set will not stay paused";
const ALPHA_CLASS: &str = "removed spec.volumeClaimTemplates[0].metadata.annotations[volume.alpha.kubernetes.io/storage-class]: \"anything\": the alpha provisioner never read its value, so spec.volumeClaimTemplates[0].spec.storageClassName stays unset and the cluster's default StorageClass provisions the claim";

#[test]
fn petset_becomes_an_apps_v1_statefulset_that_keeps_its_behaviour() {
    let out = run(
        petset(json!({"pod.alpha.kubernetes.io/initialized": "true"})),
        Target::AppsV1,
    );
    assert_eq!(
        out.value,
        json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "web", "labels": {"app": "nginx"}},
            "spec": {
                "selector": {"matchLabels": {"app": "nginx"}},
                "serviceName": "nginx",
                "replicas": 2,
                "podManagementPolicy": "OrderedReady",
                "updateStrategy": {"type": "OnDelete"},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx-slim:0.8"}]}
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
                }]
            }
        })
    );
    let spec_keys: Vec<&str> = out.value["spec"]
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        spec_keys,
        [
            "selector",
            "serviceName",
            "replicas",
            "podManagementPolicy",
            "updateStrategy",
            "template",
            "volumeClaimTemplates"
        ]
    );
    assert_eq!(
        out.changes,
        [
            format!("{P}: set apiVersion: apps/v1 and kind: StatefulSet"),
            format!("{P}: set metadata.labels to the template labels {{app: nginx}}, as apps/v1alpha1 defaulted them"),
            format!("{P}: set spec.selector.matchLabels from the template labels {{app: nginx}}"),
            format!("{P}: set spec.podManagementPolicy: OrderedReady: a PetSet creates and deletes its pets one at a time, in order"),
            format!("{P}: set spec.updateStrategy.type: OnDelete: a PetSet's pets take a new template only when they are deleted (apps/v1 defaults to RollingUpdate)"),
            format!("{P}: removed {INIT}: \"true\": it is the default since apps/v1beta1, and apps/v1 ignores it"),
            format!("{P}: {ALPHA_CLASS}"),
        ]
    );
}

#[test]
fn initialized_annotation_follows_the_upgrade_guide() {
    // (annotations on the template, target, expected annotation afterwards, expected line)
    let cases: Vec<(Value, Target, Option<&str>, Option<String>)> = vec![
        (
            json!({}),
            Target::AppsV1beta1,
            Some("false"),
            Some(format!("{P_BETA}: added {INIT}: \"false\": {PAUSED}")),
        ),
        (
            json!({}),
            Target::AppsV1,
            Some("false"),
            Some(format!("{P}: added {INIT}: \"false\": {PAUSED}; {IGNORED}")),
        ),
        (
            json!({"pod.alpha.kubernetes.io/initialized": "true"}),
            Target::AppsV1beta1,
            None,
            Some(format!("{P_BETA}: removed {INIT}: \"true\": it is the default since apps/v1beta1")),
        ),
        (
            json!({"pod.alpha.kubernetes.io/initialized": "false"}),
            Target::AppsV1beta1,
            Some("false"),
            None,
        ),
        (
            json!({"pod.alpha.kubernetes.io/initialized": "false"}),
            Target::AppsV1,
            Some("false"),
            Some(format!("{P}: kept {INIT}: \"false\"; {IGNORED}")),
        ),
        (
            json!({"pod.alpha.kubernetes.io/initialized": "yes"}),
            Target::AppsV1beta1,
            Some("false"),
            Some(format!("{P_BETA}: replaced {INIT}: \"yes\" with \"false\": a PetSet reads a value that is not a boolean as paused")),
        ),
    ];
    for (annotations, target, want, line) in cases {
        let out = run(petset(annotations.clone()), target);
        let got = out
            .value
            .pointer("/spec/template/metadata/annotations/pod.alpha.kubernetes.io~1initialized")
            .and_then(Value::as_str);
        assert_eq!(got, want, "{annotations} {target:?}");
        let lines = lines_about(&out, &["initialized"]);
        assert_eq!(
            lines,
            line.iter().collect::<Vec<_>>(),
            "{annotations} {target:?}"
        );
    }
}

#[test]
fn apps_v1beta1_target_keeps_the_annotations_kubernetes_1_5_read() {
    let mut input = petset(json!({
        "pod.alpha.kubernetes.io/initialized": "true",
        "pod.beta.kubernetes.io/init-containers": "[{\"name\": \"install\", \"image\": \"busybox\"}]"
    }));
    input["spec"]["template"]["metadata"]["labels"] = json!({"app": "nginx", "tier": "web"});
    let out = run(input, Target::AppsV1beta1);
    assert_eq!(out.value["apiVersion"], "apps/v1beta1");
    assert_eq!(
        out.value["spec"]["template"]["metadata"]["annotations"],
        json!({"pod.beta.kubernetes.io/init-containers": "[{\"name\": \"install\", \"image\": \"busybox\"}]"})
    );
    assert_eq!(
        out.value["spec"]["volumeClaimTemplates"][0]["metadata"]["annotations"],
        json!({"volume.alpha.kubernetes.io/storage-class": "anything"})
    );
    // Kubernetes 1.5 and 1.6 have no updateStrategy or podManagementPolicy.
    assert!(out.value["spec"].get("updateStrategy").is_none());
    assert!(out.value["spec"].get("podManagementPolicy").is_none());
    assert!(out.value["spec"]["template"]["spec"]
        .get("initContainers")
        .is_none());
    assert_eq!(
        out.changes,
        [
            format!("{P_BETA}: set apiVersion: apps/v1beta1 and kind: StatefulSet"),
            format!("{P_BETA}: set metadata.labels to the template labels {{app: nginx, tier: web}}, as apps/v1alpha1 defaulted them"),
            format!("{P_BETA}: set spec.selector.matchLabels from the template labels {{app: nginx, tier: web}}"),
            format!("{P_BETA}: removed {INIT}: \"true\": it is the default since apps/v1beta1"),
        ]
    );
}

#[test]
fn init_containers_annotation_becomes_the_field() {
    let alpha = "[{\"name\": \"install\", \"image\": \"busybox\"}]";
    let beta = "[{\"name\": \"install\", \"image\": \"busybox\"}, {\"name\": \"bootstrap\", \"image\": \"debian\"}]";
    let from_alpha = "spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers]";
    let from_beta = "spec.template.metadata.annotations[pod.beta.kubernetes.io/init-containers]";
    let to = "spec.template.spec.initContainers";
    // (annotations, existing field, expected names, expected lines)
    type Case = (Value, Option<Value>, Vec<&'static str>, Vec<String>);
    let cases: Vec<Case> = vec![
        (
            json!({"pod.alpha.kubernetes.io/init-containers": alpha}),
            None,
            vec!["install"],
            vec![format!("{P}: moved {from_alpha} to {to} (install)")],
        ),
        (
            json!({"pod.alpha.kubernetes.io/init-containers": alpha, "pod.beta.kubernetes.io/init-containers": beta}),
            None,
            vec!["install", "bootstrap"],
            vec![
                format!("{P}: moved {from_beta} to {to} (install, bootstrap)"),
                format!("{P}: removed {from_alpha}: the beta annotation took precedence over it"),
            ],
        ),
        (
            json!({"pod.beta.kubernetes.io/init-containers": beta}),
            Some(json!([{"name": "old", "image": "busybox"}])),
            vec!["install", "bootstrap"],
            vec![
                format!("{P}: moved {from_beta} to {to} (install, bootstrap)"),
                format!("{P}: replaced the existing {to} with the annotation's: the annotation took precedence in Kubernetes 1.5 to 1.7"),
            ],
        ),
    ];
    for (mut annotations, field, names, lines) in cases {
        annotations["pod.alpha.kubernetes.io/initialized"] = json!("true");
        let mut input = petset(annotations.clone());
        let order = if field.is_some() {
            // An existing field is replaced where it stands.
            ["containers", "initContainers"]
        } else {
            ["initContainers", "containers"]
        };
        if let Some(field) = field {
            input["spec"]["template"]["spec"]["initContainers"] = field;
        }
        let out = run(input, Target::AppsV1);
        let pod_spec = &out.value["spec"]["template"]["spec"];
        let got: Vec<&str> = pod_spec["initContainers"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(got, names, "{annotations}");
        let keys: Vec<&str> = pod_spec
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys, order, "{annotations}");
        assert!(out.value["spec"]["template"]["metadata"]
            .get("annotations")
            .is_none());
        let got_lines = lines_about(&out, &["init-containers", "initContainers"]);
        assert_eq!(got_lines, lines.iter().collect::<Vec<_>>(), "{annotations}");
    }
}

#[test]
fn affinity_annotation_fills_the_parts_the_field_lacks() {
    let mut input = petset(json!({
        "pod.alpha.kubernetes.io/initialized": "true",
        "scheduler.alpha.kubernetes.io/affinity": "{\"podAntiAffinity\": {\"preferredDuringSchedulingIgnoredDuringExecution\": []}, \"nodeAffinity\": {\"x\": 1}}"
    }));
    input["spec"]["template"]["spec"]["affinity"] = json!({"nodeAffinity": {"kept": true}});
    let out = run(input, Target::AppsV1);
    assert_eq!(
        out.value["spec"]["template"]["spec"]["affinity"],
        json!({
            "nodeAffinity": {"kept": true},
            "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}
        })
    );
    let lines = lines_about(&out, &["affinity"]);
    assert_eq!(
        lines,
        [
            &format!("{P}: moved spec.template.metadata.annotations[scheduler.alpha.kubernetes.io/affinity] to spec.template.spec.affinity"),
            &format!("{P}: kept the existing spec.template.spec.affinity.nodeAffinity: the field took precedence over the annotation"),
        ]
    );
}

#[test]
fn loose_pod_affinity_terms_are_wrapped_where_they_belong() {
    let input = petset(json!({
        "pod.alpha.kubernetes.io/initialized": "true",
        "scheduler.alpha.kubernetes.io/affinity": "{\"podAntiAffinity\": {\"preferredDuringSchedulingIgnoredDuringExecution\": [{\"weight\": 100, \"labelSelector\": {\"matchLabels\": {\"app\": \"db\"}}, \"topologyKey\": \"kubernetes.io/hostname\"}]}}"
    }));
    let out = run(input, Target::AppsV1);
    assert_eq!(
        out.value["spec"]["template"]["spec"]["affinity"],
        json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
            "weight": 100,
            "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}
        }]}})
    );
    assert!(out.changes.contains(&format!(
        "{P}: moved labelSelector, topologyKey of spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0] into its podAffinityTerm: Kubernetes ignored them where they stood, so this preference takes effect only now"
    )));
}

#[test]
fn storage_class_annotations_become_storage_class_name() {
    let claim = "spec.volumeClaimTemplates[0]";
    let beta_path =
        format!("{claim}.metadata.annotations[volume.beta.kubernetes.io/storage-class]");
    let alpha_path =
        format!("{claim}.metadata.annotations[volume.alpha.kubernetes.io/storage-class]");
    // (annotations, existing storageClassName, expected storageClassName, expected lines)
    type Case = (
        Value,
        Option<&'static str>,
        Option<&'static str>,
        Vec<String>,
    );
    let cases: Vec<Case> = vec![
        (
            json!({"volume.alpha.kubernetes.io/storage-class": "anything"}),
            None,
            None,
            vec![format!("{P}: {ALPHA_CLASS}")],
        ),
        (
            json!({"volume.beta.kubernetes.io/storage-class": "nginx-sc"}),
            None,
            Some("nginx-sc"),
            vec![format!("{P}: moved {beta_path}: \"nginx-sc\" to {claim}.spec.storageClassName")],
        ),
        (
            json!({"volume.beta.kubernetes.io/storage-class": "fast", "volume.alpha.kubernetes.io/storage-class": "anything"}),
            Some("slow"),
            Some("fast"),
            vec![
                format!("{P}: moved {beta_path}: \"fast\" to {claim}.spec.storageClassName"),
                format!("{P}: replaced {claim}.spec.storageClassName: \"slow\" with the annotation's class, which Kubernetes reads first"),
                format!("{P}: removed {alpha_path}: \"anything\": the beta annotation took precedence over it"),
            ],
        ),
        (
            json!({"volume.alpha.kubernetes.io/storage-class": "anything"}),
            Some("fast"),
            Some("fast"),
            vec![format!("{P}: removed {alpha_path}: \"anything\": {claim}.spec.storageClassName took precedence over it")],
        ),
    ];
    for (annotations, existing, want, lines) in cases {
        let mut input = petset(json!({"pod.alpha.kubernetes.io/initialized": "true"}));
        input["spec"]["volumeClaimTemplates"][0]["metadata"]["annotations"] = annotations.clone();
        if let Some(existing) = existing {
            input["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = json!(existing);
        }
        let out = run(input, Target::AppsV1);
        let vct = &out.value["spec"]["volumeClaimTemplates"][0];
        assert_eq!(
            vct["spec"]["storageClassName"].as_str(),
            want,
            "{annotations}"
        );
        assert!(
            vct["metadata"].get("annotations").is_none(),
            "{annotations}"
        );
        let got = lines_about(&out, &["storage"]);
        assert_eq!(got, lines.iter().collect::<Vec<_>>(), "{annotations}");
    }
}

#[test]
fn server_populated_fields_are_stripped() {
    let mut input = petset(json!({"pod.alpha.kubernetes.io/initialized": "true"}));
    input["metadata"] = json!({
        "name": "web", "namespace": "default", "uid": "1234", "resourceVersion": "42",
        "selfLink": "/apis/apps/v1alpha1/namespaces/default/petsets/web",
        "creationTimestamp": "2016-10-01T00:00:00Z", "generation": 3,
        "labels": {"app": "nginx"}
    });
    input["status"] = json!({"replicas": 2});
    let out = run(input, Target::AppsV1);
    assert_eq!(
        out.value["metadata"],
        json!({"name": "web", "namespace": "default", "labels": {"app": "nginx"}})
    );
    assert!(out.value.get("status").is_none());
    assert!(out.changes.contains(&format!(
        "{P}: removed status, metadata.selfLink, metadata.uid, metadata.resourceVersion, metadata.generation, metadata.creationTimestamp, set by the API server"
    )));
}

#[test]
fn tolerate_unready_endpoints_becomes_publish_not_ready_addresses() {
    let service = |annotations: Value| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "nginx", "annotations": annotations},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"}}
        })
    };
    let alpha = "metadata.annotations[service.alpha.kubernetes.io/tolerate-unready-endpoints]";
    let beta = "metadata.annotations[service.beta.kubernetes.io/tolerate-unready-endpoints]";
    // (annotations, target, publishNotReadyAddresses, annotations kept, lines)
    type Case = (Value, Target, Option<bool>, bool, Vec<String>);
    let cases: Vec<Case> = vec![
        (
            json!({"service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"}),
            Target::AppsV1,
            Some(true),
            false,
            vec![format!("service \"nginx\": moved {alpha}: \"true\" to spec.publishNotReadyAddresses: true, its successor")],
        ),
        (
            json!({"service.alpha.kubernetes.io/tolerate-unready-endpoints": "false"}),
            Target::AppsV1,
            None,
            false,
            vec![format!("service \"nginx\": removed {alpha}: \"false\": it asked for nothing")],
        ),
        (
            json!({"service.alpha.kubernetes.io/tolerate-unready-endpoints": "true"}),
            Target::AppsV1beta1,
            None,
            true,
            vec![],
        ),
        (
            json!({"service.beta.kubernetes.io/tolerate-unready-endpoints": "true"}),
            Target::AppsV1,
            None,
            true,
            vec![format!("service \"nginx\": left {beta}: \"true\" as it is: Kubernetes never read the beta key; set spec.publishNotReadyAddresses: true if pets must resolve before they are ready")],
        ),
    ];
    for (annotations, target, publish, keeps_annotations, lines) in cases {
        let out = run(service(annotations.clone()), target);
        assert_eq!(
            out.value["spec"]["publishNotReadyAddresses"].as_bool(),
            publish,
            "{annotations}"
        );
        assert_eq!(
            out.value["metadata"].get("annotations").is_some(),
            keeps_annotations,
            "{annotations}"
        );
        assert_eq!(out.changes, lines, "{annotations}");
    }
}

#[test]
fn other_documents_pass_through_unchanged() {
    let value = json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "x"}, "status": {}});
    for target in [Target::AppsV1, Target::AppsV1beta1] {
        let out = run(value.clone(), target);
        assert_eq!(out.value, value);
        assert!(out.changes.is_empty());
    }
}

#[test]
fn what_cannot_be_converted_is_an_error_naming_the_field() {
    let mut no_labels = petset(json!({}));
    no_labels["spec"]["template"]["metadata"]
        .as_object_mut()
        .map(|m| m.shift_remove("labels"));
    let mut bad_json = petset(json!({"pod.beta.kubernetes.io/init-containers": "[{\"name\": "}));
    bad_json["metadata"]["name"] = json!("db");
    let not_a_list = petset(json!({"pod.beta.kubernetes.io/init-containers": "{}"}));
    let bad_affinity = petset(json!({"scheduler.alpha.kubernetes.io/affinity": "[]"}));
    let cases = [
        (no_labels, Target::AppsV1, "web.yaml: petset \"web\": spec.template.metadata.labels: the set has no spec.selector and its template has no labels to make one from"),
        (bad_json, Target::AppsV1, "web.yaml: petset \"db\": spec.template.metadata.annotations[pod.beta.kubernetes.io/init-containers]: is not valid JSON: EOF while parsing a value at line 1 column 10"),
        (not_a_list, Target::AppsV1, "web.yaml: petset \"web\": spec.template.metadata.annotations[pod.beta.kubernetes.io/init-containers]: must be a JSON list of containers"),
        (bad_affinity, Target::AppsV1, "web.yaml: petset \"web\": spec.template.metadata.annotations[scheduler.alpha.kubernetes.io/affinity]: must be a JSON object"),
        (statefulset("apps/v1", json!({})), Target::AppsV1beta1, "web.yaml: statefulset \"web\": apiVersion: cannot convert an apps/v1 StatefulSet down to apps/v1beta1"),
        (json!({"apiVersion": "apps/v1alpha1", "kind": "PetSet", "metadata": {"name": "web"}}), Target::AppsV1, "web.yaml: petset \"web\": spec: must be an object"),
    ];
    for (input, target, want) in cases {
        match convert(&doc(input), target) {
            Ok(out) => panic!("expected {want:?}, converted to {}", out.value),
            Err(err) => assert_eq!(err.to_string(), want),
        }
    }
}
