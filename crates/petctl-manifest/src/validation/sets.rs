//! PetSets (apps/v1alpha1, as Kubernetes 1.3/1.4 validated them) and
//! StatefulSets (apps/v1beta1, v1beta2, v1): the set's own rules, plus the
//! rules its pets and claims will meet, so that a set whose pets could never
//! be created is refused up front rather than left failing in events.

use serde_json::Value;

use super::core::validate_claim_spec;
use super::error::{go_string_map, quote, Field, FieldError};
use super::meta::{self, NameRule};
use super::pod::{self, PodRules};

/// Which set, at which apiVersion: they differ in defaults and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    PetSet,
    StatefulSetV1beta1,
    StatefulSetV1beta2,
    StatefulSetV1,
}

impl Flavor {
    /// PetSets and apps/v1beta1 StatefulSets default the selector to the
    /// template's labels; apps/v1beta2 and apps/v1 require it.
    fn defaults_selector(self) -> bool {
        matches!(self, Flavor::PetSet | Flavor::StatefulSetV1beta1)
    }

    fn is_petset(self) -> bool {
        self == Flavor::PetSet
    }
}

const NONNEGATIVE: &str = "must be greater than or equal to 0";

fn nonnegative(spec: &Value, key: &str, path: &Field, errs: &mut Vec<FieldError>) {
    if let Some(n) = spec.get(key).and_then(Value::as_i64) {
        if n < 0 {
            errs.push(FieldError::invalid(
                &path.child(key),
                n.to_string(),
                NONNEGATIVE,
            ));
        }
    }
}

/// Validates a PetSet or StatefulSet.
pub fn validate(flavor: Flavor, object: &Value) -> Vec<FieldError> {
    // PetSet names only had to be DNS subdomains; StatefulSet names have to
    // be DNS labels, since they become the pets' hostnames.
    let rule = if flavor.is_petset() {
        NameRule::Dns1123Subdomain
    } else {
        NameRule::Dns1123Label
    };
    let mut errs =
        meta::validate_object_meta(object.get("metadata"), rule, &Field::new("metadata"));
    let empty = Value::Object(Default::default());
    let spec = object
        .get("spec")
        .filter(|s| s.is_object())
        .unwrap_or(&empty);
    errs.extend(validate_spec(flavor, spec, &Field::new("spec")));
    errs
}

fn validate_spec(flavor: Flavor, spec: &Value, path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    if !flavor.is_petset() {
        if let Some(policy) = spec.get("podManagementPolicy").and_then(Value::as_str) {
            if !matches!(policy, "OrderedReady" | "Parallel") {
                errs.push(FieldError::invalid(
                    &path.child("podManagementPolicy"),
                    quote(policy),
                    "must be 'OrderedReady' or 'Parallel'",
                ));
            }
        }
        if let Some(rolling) = spec.pointer("/updateStrategy/rollingUpdate") {
            let rolling_path = path.child("updateStrategy").child("rollingUpdate");
            nonnegative(rolling, "partition", &rolling_path, &mut errs);
        }
    }
    nonnegative(spec, "replicas", path, &mut errs);
    if !flavor.is_petset() {
        nonnegative(spec, "minReadySeconds", path, &mut errs);
    }

    let template = spec.get("template");
    let template_meta = template.and_then(|t| t.get("metadata"));
    let template_labels = template_meta
        .and_then(|m| m.get("labels"))
        .and_then(Value::as_object);
    let defaulted;
    let selector = match spec.get("selector").filter(|s| !s.is_null()) {
        Some(selector) => Some(selector),
        None if flavor.defaults_selector() && template_labels.is_some_and(|l| !l.is_empty()) => {
            defaulted = serde_json::json!({ "matchLabels": template_labels });
            Some(&defaulted)
        }
        None => None,
    };
    let selector_path = path.child("selector");
    let mut selector_usable = false;
    match selector {
        None => errs.push(FieldError::required(&selector_path, "")),
        Some(selector) => {
            let selector_errs = meta::validate_selector(selector, &selector_path);
            selector_usable = selector_errs.is_empty();
            errs.extend(selector_errs);
            if meta::selector_is_empty(selector) {
                selector_usable = false;
                let (package, detail) = if flavor.is_petset() {
                    ("unversioned", "empty selector is not valid for petset.")
                } else {
                    ("v1", "empty selector is invalid for statefulset")
                };
                errs.push(FieldError::invalid(
                    &selector_path,
                    go_selector(package, selector),
                    detail,
                ));
            }
        }
    }

    let template_path = path.child("template");
    let meta_path = template_path.child("metadata");
    if let Some(selector) = selector.filter(|_| selector_usable) {
        if !meta::selector_matches(selector, template_labels) {
            errs.push(FieldError::invalid(
                &meta_path.child("labels"),
                go_string_map(template_labels),
                "`selector` does not match template `labels`",
            ));
        }
    }
    // The server names template labels and annotations without `metadata`.
    let labels_path = Field {
        at: meta_path.child("labels").at,
        shown: template_path.child("labels").shown,
    };
    errs.extend(meta::validate_labels(template_labels, &labels_path));
    let annotations = template_meta
        .and_then(|m| m.get("annotations"))
        .and_then(Value::as_object);
    let annotations_path = Field {
        at: meta_path.child("annotations").at,
        shown: template_path.child("annotations").shown,
    };
    errs.extend(meta::validate_annotations(annotations, &annotations_path));

    let pod_spec = template.and_then(|t| t.get("spec"));
    let pod_path = template_path.child("spec");
    if let Some(policy) = pod_spec
        .and_then(|s| s.get("restartPolicy"))
        .and_then(Value::as_str)
    {
        if policy != "Always" {
            errs.push(FieldError::not_supported(
                &pod_path.child("restartPolicy"),
                quote(policy),
                &["Always"],
            ));
        }
    }
    if !flavor.is_petset()
        && pod_spec.is_some_and(|s| s.get("activeDeadlineSeconds").is_some_and(|v| !v.is_null()))
    {
        errs.push(FieldError::forbidden(
            &pod_path.child("activeDeadlineSeconds"),
            "activeDeadlineSeconds in StatefulSet is not Supported",
        ));
    }
    if flavor.is_petset()
        && spec
            .get("serviceName")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
    {
        errs.push(FieldError::required(&path.child("serviceName"), ""));
    }

    let claims = spec
        .get("volumeClaimTemplates")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let claim_names: Vec<&str> = claims
        .iter()
        .filter_map(|c| c.pointer("/metadata/name").and_then(Value::as_str))
        .filter(|n| !n.is_empty())
        .collect();
    let rules = PodRules {
        claim_volumes: &claim_names,
        restart_policies: &[],
    };
    let annotation_field = meta_path.child("annotations");
    errs.extend(pod::validate_pod_spec(
        pod_spec,
        annotations.map(|a| (a, &annotation_field)),
        &pod_path,
        &rules,
    ));
    errs.extend(validate_claim_templates(
        claims,
        &path.child("volumeClaimTemplates"),
    ));
    errs
}

fn validate_claim_templates(claims: &[Value], path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, claim) in claims.iter().enumerate() {
        let claim_path = path.index(i);
        let name_field = claim_path.child("metadata").child("name");
        let name = claim
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if name.is_empty() {
            errs.push(FieldError::required(&name_field, ""));
        } else {
            // A claim template's name becomes the name of a pod volume.
            errs.extend(pod::unique_label(name, &name_field, &mut seen));
        }
        let empty = Value::Object(Default::default());
        let spec = claim
            .get("spec")
            .filter(|s| s.is_object())
            .unwrap_or(&empty);
        errs.extend(validate_claim_spec(spec, &claim_path.child("spec")));
    }
    errs
}

/// An empty selector as Go's `%#v` prints the LabelSelector the server saw.
fn go_selector(package: &str, selector: &Value) -> String {
    let labels = match selector.get("matchLabels").and_then(Value::as_object) {
        Some(map) => go_string_map(Some(map)),
        None => "map[string]string(nil)".to_string(),
    };
    let expressions = match selector.get("matchExpressions") {
        Some(Value::Array(_)) => format!("[]{package}.LabelSelectorRequirement{{}}"),
        _ => format!("[]{package}.LabelSelectorRequirement(nil)"),
    };
    format!("{package}.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{expressions}}}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn web(flavor: Flavor) -> Value {
        let api_version = match flavor {
            Flavor::PetSet => "apps/v1alpha1",
            Flavor::StatefulSetV1beta1 => "apps/v1beta1",
            Flavor::StatefulSetV1beta2 => "apps/v1beta2",
            Flavor::StatefulSetV1 => "apps/v1",
        };
        json!({
            "apiVersion": api_version,
            "kind": if flavor == Flavor::PetSet { "PetSet" } else { "StatefulSet" },
            "metadata": {"name": "web"},
            "spec": {
                "serviceName": "nginx",
                "replicas": 2,
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {
                    "metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{
                        "name": "nginx", "image": "nginx-slim:0.7",
                        "ports": [{"containerPort": 80, "name": "web"}],
                        "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"}]
                    }]}
                },
                "volumeClaimTemplates": [{
                    "metadata": {"name": "www"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
                }]
            }
        })
    }

    fn check(flavor: Flavor, edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut value = web(flavor);
        edit(&mut value);
        validate(flavor, &value)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn set(value: &mut Value, pointer: &str, new: Value) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.insert(key.to_string(), new);
        }
    }

    fn remove(value: &mut Value, pointer: &str) {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        if let Some(Value::Object(map)) = value.pointer_mut(parent) {
            map.remove(key);
        }
    }

    #[test]
    fn the_canonical_examples_are_valid() {
        for flavor in [
            Flavor::PetSet,
            Flavor::StatefulSetV1beta1,
            Flavor::StatefulSetV1beta2,
            Flavor::StatefulSetV1,
        ] {
            assert_eq!(check(flavor, |_| {}), Vec::<String>::new(), "{flavor:?}");
        }
    }

    #[test]
    fn set_rules() {
        use Flavor::*;
        type Edit = Box<dyn FnOnce(&mut Value)>;
        let cases: Vec<(Flavor, Edit, &[&str])> = vec![
            (StatefulSetV1, Box::new(|v| set(v, "/spec/replicas", json!(-1))),
             &["spec.replicas: Invalid value: -1: must be greater than or equal to 0"]),
            (StatefulSetV1, Box::new(|v| remove(v, "/spec/selector")), &["spec.selector: Required value"]),
            (StatefulSetV1beta2, Box::new(|v| remove(v, "/spec/selector")), &["spec.selector: Required value"]),
            (StatefulSetV1beta1, Box::new(|v| remove(v, "/spec/selector")), &[]),
            (PetSet, Box::new(|v| remove(v, "/spec/selector")), &[]),
            (PetSet, Box::new(|v| { remove(v, "/spec/selector"); remove(v, "/spec/template/metadata/labels"); }),
             &["spec.selector: Required value"]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/selector", json!({}))),
             &["spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for statefulset"]),
            (PetSet, Box::new(|v| set(v, "/spec/selector", json!({"matchLabels": {}}))),
             &["spec.selector: Invalid value: unversioned.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]unversioned.LabelSelectorRequirement(nil)}: empty selector is not valid for petset."]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/selector/matchLabels/app", json!("web"))),
             &["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"nginx\"}: `selector` does not match template `labels`"]),
            (PetSet, Box::new(|v| remove(v, "/spec/serviceName")), &["spec.serviceName: Required value"]),
            (StatefulSetV1, Box::new(|v| remove(v, "/spec/serviceName")), &[]),
            (StatefulSetV1, Box::new(|v| set(v, "/metadata/name", json!("web.v2"))),
             &["metadata.name: Invalid value: \"web.v2\": must not contain dots"]),
            (PetSet, Box::new(|v| set(v, "/metadata/name", json!("web.v2"))), &[]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/template/spec/restartPolicy", json!("OnFailure"))),
             &["spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/podManagementPolicy", json!("Random"))),
             &["spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'"]),
            (StatefulSetV1, Box::new(|v| remove(v, "/spec/volumeClaimTemplates/0/spec/resources")),
             &["spec.volumeClaimTemplates[0].spec.resources[storage]: Required value"]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/volumeClaimTemplates/0/metadata/name", json!("data"))),
             &["spec.template.spec.containers[0].volumeMounts[0].name: Not found: \"www\""]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/template/spec/containers/0/name", json!("Nginx"))),
             &["spec.template.spec.containers[0].name: Invalid value: \"Nginx\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/template/spec/activeDeadlineSeconds", json!(10))),
             &["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported"]),
            (StatefulSetV1, Box::new(|v| set(v, "/spec/template/metadata/labels/app", json!("-x"))),
             &["spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"-x\"}: `selector` does not match template `labels`",
               "spec.template.labels: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"]),
        ];
        for (i, (flavor, edit, want)) in cases.into_iter().enumerate() {
            assert_eq!(check(flavor, edit), want.to_vec(), "case {i}");
        }
    }

    #[test]
    fn a_missing_spec_is_reported_field_by_field() {
        let value = json!({"metadata": {"name": "web"}});
        let got: Vec<String> = validate(Flavor::StatefulSetV1, &value)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            got,
            vec![
                "spec.selector: Required value",
                "spec.template.spec.containers: Required value",
            ]
        );
    }
}
