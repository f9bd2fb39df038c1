//! The companions of a set: Services, PersistentVolumeClaims (and claim
//! templates), Pods, ConfigMaps, Secrets, Namespaces, PodDisruptionBudgets
//! and StorageClasses, validated on the fields a manifest sets.

use std::collections::HashSet;

use serde_json::Value;

use super::error::{quote, Field, FieldError};
use super::meta::{self, NameRule};
use super::pod::{self, render, PodRules};
use super::{names, quantity};

const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];
const SERVICE_TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];

fn metadata(object: &Value, rule: NameRule) -> Vec<FieldError> {
    meta::validate_object_meta(object.get("metadata"), rule, &Field::new("metadata"))
}

fn spec_of(object: &Value) -> Option<&Value> {
    object.get("spec").filter(|s| s.is_object())
}

/// Any kind whose only rule petctl checks is its name.
pub fn validate_named(object: &Value, rule: NameRule) -> Vec<FieldError> {
    metadata(object, rule)
}

/// Namespaces: a DNS label for a name, and `spec.finalizers` as
/// `validateFinalizerName` (pkg/apis/core/validation/validation.go) checks
/// them: qualified names, and `kubernetes` the only one without a prefix.
pub fn validate_namespace(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Label);
    let finalizers = spec_of(object)
        .and_then(|s| s.get("finalizers"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let path = Field::new("spec").child("finalizers");
    for (i, finalizer) in finalizers.iter().enumerate() {
        let Some(name) = finalizer.as_str() else {
            continue;
        };
        let field = path.index(i);
        for msg in names::qualified_name(name) {
            errs.push(FieldError::invalid(&field, quote(name), msg));
        }
        if !name.contains('/') && name != "kubernetes" {
            errs.push(FieldError::invalid(
                &field,
                quote(name),
                "name is neither a standard finalizer name nor is it fully qualified",
            ));
        }
    }
    errs
}

pub fn validate_service(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1035Label);
    let spec = spec_of(object);
    let path = Field::new("spec");
    let ports = spec
        .and_then(|s| s.get("ports"))
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let str_field = |key: &str| spec.and_then(|s| s.get(key)).and_then(Value::as_str);
    let kind = str_field("type").unwrap_or("ClusterIP");
    let headless = str_field("clusterIP") == Some("None");
    if ports.is_empty() && !headless && kind != "ExternalName" {
        errs.push(FieldError::required(&path.child("ports"), ""));
    }
    let mut port_names = HashSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = path.child("ports").index(i);
        let name = port.get("name").and_then(Value::as_str).unwrap_or("");
        let name_field = port_path.child("name");
        if name.is_empty() {
            if ports.len() > 1 {
                errs.push(FieldError::required(&name_field, ""));
            }
        } else {
            errs.extend(pod::unique_label(name, &name_field, &mut port_names));
        }
        let number = port.get("port").map_or(Some(0), Value::as_i64);
        if let Some(number) = number {
            errs.extend(pod::port_number(&port_path.child("port"), number, number));
        }
        match port.get("targetPort") {
            Some(Value::Number(n)) => {
                let target = n.as_i64().unwrap_or(-1);
                if target != 0 {
                    errs.extend(pod::port_number(&port_path.child("targetPort"), target, n));
                }
            }
            Some(Value::String(s)) if !s.is_empty() => {
                for msg in names::port_name(s) {
                    errs.push(FieldError::invalid(
                        &port_path.child("targetPort"),
                        quote(s),
                        msg,
                    ));
                }
            }
            _ => {}
        }
        errs.extend(pod::protocol(port, &port_path.child("protocol"), PROTOCOLS));
    }
    if !SERVICE_TYPES.contains(&kind) {
        errs.push(FieldError::not_supported(
            &path.child("type"),
            quote(kind),
            SERVICE_TYPES,
        ));
    }
    let selector = spec
        .and_then(|s| s.get("selector"))
        .and_then(Value::as_object);
    errs.extend(meta::validate_labels(selector, &path.child("selector")));
    errs
}

pub fn validate_claim(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Subdomain);
    let empty = Value::Object(Default::default());
    errs.extend(validate_claim_spec(
        spec_of(object).unwrap_or(&empty),
        &Field::new("spec"),
    ));
    errs
}

/// A claim's spec, standalone or in a set's claim template: access modes and
/// a positive storage request.
pub fn validate_claim_spec(spec: &Value, path: &Field) -> Vec<FieldError> {
    let mut errs = Vec::new();
    let modes = spec
        .get("accessModes")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    let modes_path = path.child("accessModes");
    if modes.is_empty() {
        errs.push(FieldError::required(
            &modes_path,
            "at least 1 access mode is required",
        ));
    }
    for mode in modes.iter().filter_map(Value::as_str) {
        if !ACCESS_MODES.contains(&mode) {
            errs.push(FieldError::not_supported(
                &modes_path,
                quote(mode),
                ACCESS_MODES,
            ));
        }
    }
    let resources_path = path.child("resources");
    let storage_shown = resources_path.shown_key("storage");
    let storage = spec.pointer("/resources/requests/storage");
    match storage.filter(|v| !v.is_null()) {
        None => errs.push(FieldError::required(&storage_shown, "")),
        Some(value) => {
            let field = Field {
                at: resources_path.child("requests").child("storage").at,
                shown: storage_shown.shown,
            };
            match quantity::parse_value(value) {
                Some(Err(msg)) => errs.push(FieldError::invalid(&field, render(value), msg)),
                Some(Ok(q)) if !q.is_positive() => errs.push(FieldError::invalid(
                    &field,
                    render(value),
                    "must be greater than zero",
                )),
                _ => {}
            }
        }
    }
    if let Some(resources) = spec.get("resources") {
        let storage_at = resources_path.child("requests").key("storage").at;
        errs.extend(
            pod::validate_resources(resources, &resources_path)
                .into_iter()
                .filter(|e| e.path != storage_at),
        );
    }
    errs
}

pub fn validate_pod(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Subdomain);
    let annotations = object
        .pointer("/metadata/annotations")
        .and_then(Value::as_object);
    let annotations_path = Field::new("metadata").child("annotations");
    let rules = PodRules {
        claim_volumes: &[],
        restart_policies: &["Always", "OnFailure", "Never"],
    };
    errs.extend(pod::validate_pod_spec(
        spec_of(object),
        annotations.map(|a| (a, &annotations_path)),
        &Field::new("spec"),
        &rules,
    ));
    errs
}

const CONFIG_KEY_FMT: &str = "[-._a-zA-Z0-9]+";
const CONFIG_KEY_MSG: &str =
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'";

/// apimachinery's IsConfigMapKey, used for ConfigMap and Secret keys.
fn config_key(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push(names::max_len_error(253));
    }
    let charset_ok = !key.is_empty()
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    if !charset_ok {
        errs.push(format!(
            "{CONFIG_KEY_MSG} (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '{CONFIG_KEY_FMT}')"
        ));
    }
    if key == "." {
        errs.push("must not be '.'".to_string());
    } else if key == ".." {
        errs.push("must not be '..'".to_string());
    } else if key.starts_with("..") {
        errs.push("must not start with '..'".to_string());
    }
    errs
}

/// ConfigMaps and Secrets: names and data keys.
pub fn validate_config(object: &Value, sections: &[&str]) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Subdomain);
    for section in sections {
        let entries = object.get(*section).and_then(Value::as_object);
        for key in entries.into_iter().flatten().map(|(k, _)| k) {
            let field = Field::new(section).key(key);
            for msg in config_key(key) {
                errs.push(FieldError::invalid(&field, quote(key), msg));
            }
        }
    }
    errs
}

pub fn validate_disruption_budget(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Subdomain);
    if let Some(selector) = object.pointer("/spec/selector").filter(|s| s.is_object()) {
        errs.extend(meta::validate_selector(
            selector,
            &Field::new("spec").child("selector"),
        ));
    }
    errs
}

pub fn validate_storage_class(object: &Value) -> Vec<FieldError> {
    let mut errs = metadata(object, NameRule::Dns1123Subdomain);
    let provisioner = object
        .get("provisioner")
        .and_then(Value::as_str)
        .unwrap_or("");
    if provisioner.is_empty() {
        errs.push(FieldError::required(&Field::new("provisioner"), ""));
    }
    errs
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shown(errs: Vec<FieldError>) -> Vec<String> {
        errs.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn namespace_finalizers_are_standard_or_qualified() {
        let ns = |finalizers: Value| json!({"metadata": {"name": "shop"}, "spec": {"finalizers": finalizers}});
        assert!(validate_namespace(&ns(json!(["kubernetes", "example.com/hold"]))).is_empty());
        assert_eq!(
            shown(validate_namespace(&ns(json!(["bogus"])))),
            ["spec.finalizers[0]: Invalid value: \"bogus\": name is neither a standard finalizer name nor is it fully qualified"]
        );
    }

    #[test]
    fn services() {
        let ok = json!({"metadata": {"name": "nginx"}, "spec": {
            "clusterIP": "None", "selector": {"app": "nginx"},
            "ports": [{"port": 80, "name": "web", "targetPort": "web"}]}});
        assert!(validate_service(&ok).is_empty());
        let headless_no_ports =
            json!({"metadata": {"name": "nginx"}, "spec": {"clusterIP": "None"}});
        assert!(validate_service(&headless_no_ports).is_empty());
        let bad = json!({"metadata": {"name": "1nginx"}, "spec": {
            "type": "Internal",
            "ports": [{"port": 80}, {"port": 70000, "name": "b", "targetPort": 0, "protocol": "HTTP"}]}});
        assert_eq!(
            shown(validate_service(&bad)),
            vec![
                "metadata.name: Invalid value: \"1nginx\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "spec.ports[0].name: Required value",
                "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ports[1].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            ]
        );
        let no_ports = json!({"metadata": {"name": "nginx"}, "spec": {}});
        assert_eq!(
            shown(validate_service(&no_ports)),
            vec!["spec.ports: Required value"]
        );
    }

    #[test]
    fn claims() {
        let spec = |v: Value| shown(validate_claim_spec(&v, &Field::new("spec")));
        assert!(spec(
            json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}})
        )
        .is_empty());
        assert_eq!(
            spec(json!({"accessModes": ["ReadWriteOnce"]})),
            vec!["spec.resources[storage]: Required value"]
        );
        assert_eq!(
            spec(json!({"resources": {"requests": {"storage": "0"}}})),
            vec![
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
            ]
        );
        assert_eq!(
            spec(json!({"accessModes": ["ReadWriteSometimes"], "resources": {"requests": {"storage": "1GB"}}})),
            vec![
                "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
                format!("spec.resources[storage]: Invalid value: \"1GB\": {}", quantity::FORMAT_WRONG).as_str(),
            ]
        );
        let errs = validate_claim_spec(
            &json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1GB"}}}),
            &Field::new("spec"),
        );
        assert_eq!(errs[0].path.to_string(), "spec.resources.requests.storage");
    }

    #[test]
    fn pods_configs_and_others() {
        let pod = json!({"metadata": {"name": "web-0"}, "spec": {"restartPolicy": "Never", "containers": [{"name": "a", "image": "x"}]}});
        assert!(validate_pod(&pod).is_empty());
        let cm = json!({"metadata": {"name": "conf"}, "data": {"my.cnf": "x", "bad key": "y"}});
        assert_eq!(
            shown(validate_config(&cm, &["data", "binaryData"])),
            vec!["data[bad key]: Invalid value: \"bad key\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]
        );
        let sc = json!({"metadata": {"name": "fast"}});
        assert_eq!(
            shown(validate_storage_class(&sc)),
            vec!["provisioner: Required value"]
        );
        let ns = json!({"metadata": {"name": "my.ns"}});
        assert_eq!(
            shown(validate_named(&ns, NameRule::Dns1123Label)),
            vec!["metadata.name: Invalid value: \"my.ns\": must not contain dots"]
        );
    }
}
