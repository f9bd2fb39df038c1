//! Pod specs, alone or as the template of a set: containers (names, images,
//! ports, mounts, resources), init containers, including the 1.3–1.5
//! init-containers annotations, and volumes.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::error::{quote, Field, FieldError};
use super::{names, quantity};

/// The annotations that carried init containers before the field existed.
pub const INIT_CONTAINER_ANNOTATIONS: &[&str] = &[
    "pod.alpha.kubernetes.io/init-containers",
    "pod.beta.kubernetes.io/init-containers",
];

const PROTOCOLS: &[&str] = &["TCP", "UDP", "SCTP"];

/// Everything a pod spec is checked against.
pub struct PodRules<'a> {
    /// Volumes the pod gets without declaring them: a set's claim templates.
    pub claim_volumes: &'a [&'a str],
    /// The restart policies allowed; empty when the caller checks it.
    pub restart_policies: &'a [&'a str],
}

fn items<'v>(spec: Option<&'v Value>, key: &str) -> &'v [Value] {
    spec.and_then(|s| s.get(key))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn str_of<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

/// Validates a pod spec; `annotations` are the pod's (or template's), for
/// the init containers they may carry.
pub fn validate_pod_spec(
    spec: Option<&Value>,
    annotations: Option<(&Map<String, Value>, &Field)>,
    path: &Field,
    rules: &PodRules<'_>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut volumes: Vec<&str> = rules.claim_volumes.to_vec();
    let mut declared = HashSet::new();
    for (i, volume) in items(spec, "volumes").iter().enumerate() {
        let field = path.child("volumes").index(i).child("name");
        let name = str_of(volume, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&field, ""));
            continue;
        }
        for msg in names::dns1123_label(name) {
            errs.push(FieldError::invalid(&field, quote(name), msg));
        }
        if !declared.insert(name) {
            errs.push(FieldError::duplicate(&field, quote(name)));
        }
        volumes.push(name);
    }

    let mut container_names = HashSet::new();
    let containers = items(spec, "containers");
    if containers.is_empty() {
        errs.push(FieldError::required(&path.child("containers"), ""));
    }
    for (i, container) in containers.iter().enumerate() {
        let field = path.child("containers").index(i);
        errs.extend(validate_container(
            container,
            &field,
            &volumes,
            &mut container_names,
        ));
    }
    for (i, container) in items(spec, "initContainers").iter().enumerate() {
        let field = path.child("initContainers").index(i);
        errs.extend(validate_container(
            container,
            &field,
            &volumes,
            &mut container_names,
        ));
    }
    if let Some((annotations, annotations_path)) = annotations {
        for key in INIT_CONTAINER_ANNOTATIONS {
            if let Some(json) = annotations.get(*key).and_then(Value::as_str) {
                let field = annotations_path.key(key);
                errs.extend(validate_init_annotation(
                    json,
                    &field,
                    &volumes,
                    &container_names,
                ));
            }
        }
    }

    if let Some(policy) = spec
        .and_then(|s| s.get("restartPolicy"))
        .and_then(Value::as_str)
    {
        if !rules.restart_policies.is_empty() && !rules.restart_policies.contains(&policy) {
            errs.push(FieldError::not_supported(
                &path.child("restartPolicy"),
                quote(policy),
                rules.restart_policies,
            ));
        }
    }
    errs
}

/// The init containers of a `pod.*.kubernetes.io/init-containers`
/// annotation: a JSON array of containers inside a string. Problems inside
/// it point at the annotation, since the JSON has no lines of its own.
fn validate_init_annotation(
    json: &str,
    field: &Field,
    volumes: &[&str],
    container_names: &HashSet<&str>,
) -> Vec<FieldError> {
    let parsed: Result<Value, _> = serde_json::from_str(json);
    let containers = match parsed {
        Err(err) => {
            return vec![FieldError::invalid_omitted(
                field,
                format!("must be a JSON array of containers: {err}"),
            )]
        }
        Ok(Value::Array(items)) if items.iter().all(Value::is_object) => items,
        Ok(_) => {
            return vec![FieldError::invalid_omitted(
                field,
                "must be a JSON array of containers",
            )]
        }
    };
    let mut names: HashSet<String> = container_names.iter().map(|s| s.to_string()).collect();
    let mut errs = Vec::new();
    for (i, container) in containers.iter().enumerate() {
        let item = field.index(i);
        errs.extend(validate_container(
            container,
            &item,
            volumes,
            &mut HashSet::new(),
        ));
        let name = str_of(container, "name");
        if !name.is_empty() && !names.insert(name.to_string()) {
            errs.push(FieldError::duplicate(&item.child("name"), quote(name)));
        }
    }
    for err in &mut errs {
        err.path = field.at.clone();
    }
    errs
}

/// A name that must be a DNS-1123 label and unique among its siblings
/// (`seen`): container, port and claim template names, which pods use as
/// keys.
pub(super) fn unique_label<'v>(
    name: &'v str,
    field: &Field,
    seen: &mut HashSet<&'v str>,
) -> Vec<FieldError> {
    let mut errs: Vec<FieldError> = names::dns1123_label(name)
        .into_iter()
        .map(|msg| FieldError::invalid(field, quote(name), msg))
        .collect();
    if !seen.insert(name) {
        errs.push(FieldError::duplicate(field, quote(name)));
    }
    errs
}

fn validate_container<'v>(
    container: &'v Value,
    path: &Field,
    volumes: &[&str],
    names_seen: &mut HashSet<&'v str>,
) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let name_field = path.child("name");
    let name = str_of(container, "name");
    if name.is_empty() {
        errs.push(FieldError::required(&name_field, ""));
    } else {
        errs.extend(unique_label(name, &name_field, names_seen));
    }
    if str_of(container, "image").trim().is_empty() {
        errs.push(FieldError::required(&path.child("image"), ""));
    }
    errs.extend(validate_ports(
        items(Some(container), "ports"),
        &path.child("ports"),
    ));
    errs.extend(validate_mounts(
        items(Some(container), "volumeMounts"),
        &path.child("volumeMounts"),
        volumes,
    ));
    if let Some(resources) = container.get("resources") {
        errs.extend(validate_resources(resources, &path.child("resources")));
    }
    errs
}

fn validate_ports(ports: &[Value], path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let field = path.index(i);
        let name = str_of(port, "name");
        if !name.is_empty() {
            for msg in names::port_name(name) {
                errs.push(FieldError::invalid(&field.child("name"), quote(name), msg));
            }
        }
        let container_port = field.child("containerPort");
        match port.get("containerPort") {
            None | Some(Value::Null) => errs.push(FieldError::required(&container_port, "")),
            // Other types are the schema check's to report.
            Some(value) => match value.as_i64() {
                Some(0) => errs.push(FieldError::required(&container_port, "")),
                Some(number) => errs.extend(port_number(&container_port, number, number)),
                None => {}
            },
        }
        if let Some(host_port) = port.get("hostPort").and_then(Value::as_i64) {
            if host_port != 0 {
                errs.extend(port_number(&field.child("hostPort"), host_port, host_port));
            }
        }
        errs.extend(protocol(port, &field.child("protocol"), PROTOCOLS));
    }
    errs
}

/// apimachinery's port range check of `number`, shown as `shown`.
pub(super) fn port_number(field: &Field, number: i64, shown: impl ToString) -> Vec<FieldError> {
    names::port_number(number)
        .into_iter()
        .map(|msg| FieldError::invalid(field, shown.to_string(), msg))
        .collect()
}

/// A port's `protocol`, one of `supported` when set.
pub(super) fn protocol(port: &Value, field: &Field, supported: &[&str]) -> Option<FieldError> {
    let protocol = port.get("protocol").and_then(Value::as_str)?;
    (!supported.contains(&protocol))
        .then(|| FieldError::not_supported(field, quote(protocol), supported))
}

fn validate_mounts(mounts: &[Value], path: &Field, volumes: &[&str]) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let mut mount_paths = HashSet::new();
    for (i, mount) in mounts.iter().enumerate() {
        let field = path.index(i);
        let name = str_of(mount, "name");
        if name.is_empty() {
            errs.push(FieldError::required(&field.child("name"), ""));
        } else if !volumes.contains(&name) {
            errs.push(FieldError::not_found(&field.child("name"), quote(name)));
        }
        let mount_path = str_of(mount, "mountPath");
        if mount_path.is_empty() {
            errs.push(FieldError::required(&field.child("mountPath"), ""));
        } else if !mount_paths.insert(mount_path) {
            errs.push(FieldError::invalid(
                &field.child("mountPath"),
                quote(mount_path),
                "must be unique",
            ));
        }
    }
    errs
}

/// Requests and limits: every value a well-formed, non-negative quantity.
pub fn validate_resources(resources: &Value, path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    for section in ["requests", "limits"] {
        let entries = resources.get(section).and_then(Value::as_object);
        for (name, value) in entries.into_iter().flatten() {
            let field = path.child(section).key(name);
            match quantity::parse_value(value) {
                Some(Err(msg)) => errs.push(FieldError::invalid(&field, render(value), msg)),
                Some(Ok(q)) if q.is_negative() => errs.push(FieldError::invalid(
                    &field,
                    render(value),
                    "must be greater than or equal to 0",
                )),
                _ => {}
            }
        }
    }
    errs
}

/// A scalar as the API server renders a bad value.
pub fn render(value: &Value) -> String {
    match value {
        Value::String(s) => quote(s),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SET_RULES: PodRules<'static> = PodRules {
        claim_volumes: &["www"],
        restart_policies: &[],
    };

    fn check(spec: Value) -> Vec<String> {
        let path = Field::new("spec").child("template").child("spec");
        validate_pod_spec(Some(&spec), None, &path, &SET_RULES)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_good_template_passes() {
        let spec = json!({
            "containers": [{
                "name": "nginx", "image": "nginx:1.7",
                "ports": [{"containerPort": 80, "name": "web"}],
                "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginx/html"},
                                 {"name": "conf", "mountPath": "/etc/nginx"}],
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": 1}}
            }],
            "volumes": [{"name": "conf", "emptyDir": {}}]
        });
        assert_eq!(check(spec), Vec::<String>::new());
    }

    #[test]
    fn container_rules() {
        let p = "spec.template.spec";
        let cases: Vec<(Value, Vec<String>)> = vec![
            (json!({}), vec![format!("{p}.containers: Required value")]),
            (json!({"containers": []}), vec![format!("{p}.containers: Required value")]),
            (
                json!({"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "a", "image": "y"}]}),
                vec![format!("{p}.initContainers[0].name: Duplicate value: \"a\"")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "x"}]}),
                vec![format!("{p}.containers[1].name: Duplicate value: \"a\"")],
            ),
            (
                json!({"containers": [{"name": "a"}]}),
                vec![format!("{p}.containers[0].image: Required value")],
            ),
            (
                json!({"containers": [{"image": "x"}]}),
                vec![format!("{p}.containers[0].name: Required value")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x", "volumeMounts": [{"name": "data", "mountPath": "/d"}]}]}),
                vec![format!("{p}.containers[0].volumeMounts[0].name: Not found: \"data\"")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]}),
                vec![format!("{p}.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x", "ports": [{"name": "web"}]}]}),
                vec![format!("{p}.containers[0].ports[0].containerPort: Required value")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x", "resources": {"requests": {"memory": "1GB"}}}]}),
                vec![format!("{p}.containers[0].resources.requests[memory]: Invalid value: \"1GB\": {}", quantity::FORMAT_WRONG)],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x", "resources": {"limits": {"cpu": -1}}}]}),
                vec![format!("{p}.containers[0].resources.limits[cpu]: Invalid value: -1: must be greater than or equal to 0")],
            ),
            (
                json!({"containers": [{"name": "a", "image": "x"}], "volumes": [{"name": "v"}, {"name": "v"}]}),
                vec![format!("{p}.volumes[1].name: Duplicate value: \"v\"")],
            ),
        ];
        for (spec, want) in cases {
            assert_eq!(check(spec.clone()), want, "{spec}");
        }
    }

    #[test]
    fn restart_policy_is_checked_against_the_allowed_set() {
        let spec =
            json!({"containers": [{"name": "a", "image": "x"}], "restartPolicy": "Sometimes"});
        let rules = PodRules {
            claim_volumes: &[],
            restart_policies: &["Always", "OnFailure", "Never"],
        };
        let errs = validate_pod_spec(Some(&spec), None, &Field::new("spec"), &rules);
        assert_eq!(
            errs[0].to_string(),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\""
        );
    }

    #[test]
    fn init_container_annotations() {
        let path = Field::new("spec").child("template").child("spec");
        let ann_path = Field::new("spec")
            .child("template")
            .child("metadata")
            .child("annotations");
        let spec = json!({"containers": [{"name": "nginx", "image": "x"}]});
        let run = |json: &str| -> Vec<FieldError> {
            let mut ann = Map::new();
            ann.insert(INIT_CONTAINER_ANNOTATIONS[0].to_string(), json!(json));
            validate_pod_spec(Some(&spec), Some((&ann, &ann_path)), &path, &SET_RULES)
        };
        assert!(run(r#"[{"name": "install", "image": "busybox", "volumeMounts": [{"name": "www", "mountPath": "/w"}]}]"#).is_empty());
        let errs = run(r#"[{"name": "install", "image": "busybox""#);
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].to_string(),
            "spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers]: Invalid value: must be a JSON array of containers: EOF while parsing an object at line 1 column 39"
        );
        assert_eq!(
            run(r#"{"name": "x"}"#)[0].detail(),
            "Invalid value: must be a JSON array of containers"
        );
        let errs = run(r#"[{"name": "nginx", "image": "busybox"}, {"name": "b"}]"#);
        let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers][0].name: Duplicate value: \"nginx\"",
                "spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers][1].image: Required value",
            ]
        );
        assert_eq!(
            errs[1].path.to_string(),
            "spec.template.metadata.annotations[pod.alpha.kubernetes.io/init-containers]"
        );
    }
}
