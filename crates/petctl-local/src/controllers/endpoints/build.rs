//! What a Service's Endpoints and EndpointSlices should hold, as pure
//! functions of the Service and its pods: `syncService` of
//! pkg/controller/endpoint/endpoints_controller.go and `podToEndpoint` /
//! `getEndpointPorts` of staging/src/k8s.io/endpointslice/utils.go.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::registry::meta;
use petctl_model::pod::is_ready;

/// `discovery.LabelServiceName`.
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
/// `discovery.LabelManagedBy` and the endpointslice controller's name.
pub const SLICE_MANAGED_BY: (&str, &str) = (
    "endpointslice.kubernetes.io/managed-by",
    "endpointslice-controller.k8s.io",
);
/// `LabelManagedBy` and `ControllerName` of the endpoints controller (1.33).
pub const ENDPOINTS_MANAGED_BY: (&str, &str) =
    ("endpoints.kubernetes.io/managed-by", "endpoint-controller");
/// `v1.IsHeadlessService`.
const HEADLESS_LABEL: &str = "service.kubernetes.io/headless";

/// The value of label `key` ("" when unset).
pub fn label<'a>(object: &'a Value, key: &str) -> &'a str {
    object
        .pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn is_headless(service: &Value) -> bool {
    meta::str_at(service, "/spec/clusterIP") == "None"
}

/// The Service's selector, when it has one the controllers act on: a
/// Service without one (or an ExternalName Service) is left alone.
pub fn selector(service: &Value) -> Option<&Map<String, Value>> {
    if meta::str_at(service, "/spec/type") == "ExternalName" {
        return None;
    }
    service
        .pointer("/spec/selector")
        .and_then(Value::as_object)
        .filter(|s| !s.is_empty())
}

/// Whether the pods' labels carry every key and value of the selector.
pub fn selects(selector: &Map<String, Value>, pod: &Value) -> bool {
    let labels = pod.pointer("/metadata/labels").and_then(Value::as_object);
    selector
        .iter()
        .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// `ShouldPodBeInEndpoints`: not terminal, with an IP, and terminating only
/// when those are included.
fn in_endpoints(pod: &Value, include_terminating: bool) -> bool {
    let phase = meta::str_at(pod, "/status/phase");
    !matches!(phase, "Succeeded" | "Failed")
        && !meta::str_at(pod, "/status/podIP").is_empty()
        && (include_terminating || !meta::is_deleting(pod))
}

fn publishes_not_ready(service: &Value) -> bool {
    service
        .pointer("/spec/publishNotReadyAddresses")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// `ShouldSetHostname`: the pod's hostname, when its subdomain is this
/// Service in its namespace.
fn hostname<'a>(pod: &'a Value, service: &Value) -> Option<&'a str> {
    let hostname = meta::str_at(pod, "/spec/hostname");
    (!hostname.is_empty()
        && meta::str_at(pod, "/spec/subdomain") == meta::name(service)
        && meta::namespace(pod) == meta::namespace(service))
    .then_some(hostname)
}

fn target_ref(pod: &Value) -> Value {
    json!({"kind": "Pod", "namespace": meta::namespace(pod), "name": meta::name(pod),
           "uid": meta::uid(pod)})
}

/// `podutil.FindPort`: a number, or the container port of that name and
/// protocol.
fn find_port(pod: &Value, target: &Value, protocol: &str) -> Option<i64> {
    if let Some(number) = target.as_i64() {
        return Some(number);
    }
    let name = target.as_str()?;
    if let Ok(number) = name.parse::<i64>() {
        return Some(number);
    }
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .find(|p| p["name"] == name && p["protocol"].as_str().unwrap_or("TCP") == protocol)
        .and_then(|p| p["containerPort"].as_i64())
}

/// One resolved port of a pod: the service port's name, the number on the
/// pod, protocol and appProtocol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Port {
    name: String,
    port: i64,
    protocol: String,
    app_protocol: Option<String>,
}

/// `getEndpointPorts`: the Service's ports this pod serves.
fn pod_ports(service: &Value, pod: &Value) -> Vec<Port> {
    service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|sp| {
            let protocol = sp["protocol"].as_str().unwrap_or("TCP").to_string();
            let target = match &sp["targetPort"] {
                Value::Null => &sp["port"],
                target => target,
            };
            Some(Port {
                name: sp["name"].as_str().unwrap_or("").to_string(),
                port: find_port(pod, target, &protocol)?,
                protocol,
                app_protocol: sp["appProtocol"].as_str().map(str::to_string),
            })
        })
        .collect()
}

/// A port as the API writes it: core/v1's EndpointPort omits an empty name
/// and has `port` before `protocol`; discovery/v1's always names it (a
/// pointer) and has `protocol` first, as the Go structs order them.
fn port_json(port: &Port, slice: bool) -> Value {
    let mut out = Map::new();
    if slice || !port.name.is_empty() {
        out.insert("name".into(), json!(port.name));
    }
    let number = ("port", json!(port.port));
    let protocol = ("protocol", json!(port.protocol));
    let (first, second) = if slice {
        (protocol, number)
    } else {
        (number, protocol)
    };
    for (key, value) in [first, second] {
        out.insert(key.into(), value);
    }
    if let Some(app) = &port.app_protocol {
        out.insert("appProtocol".into(), json!(app));
    }
    Value::Object(out)
}

/// The labels both objects start from: the Service's, with the headless
/// label set or removed.
fn service_labels(service: &Value) -> Map<String, Value> {
    let mut labels = service
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if is_headless(service) {
        labels.insert(HEADLESS_LABEL.into(), json!(""));
    } else {
        labels.remove(HEADLESS_LABEL);
    }
    labels
}

/// The Endpoints' labels (`newEndpoints.Labels` in syncService).
pub fn endpoints_labels(service: &Value) -> Value {
    let mut labels = service_labels(service);
    labels.insert(ENDPOINTS_MANAGED_BY.0.into(), json!(ENDPOINTS_MANAGED_BY.1));
    Value::Object(labels)
}

/// A slice's labels (`setEndpointSliceLabels`).
pub fn slice_labels(service: &Value) -> Value {
    let mut labels = service_labels(service);
    labels.insert(SERVICE_NAME_LABEL.into(), json!(meta::name(service)));
    labels.insert(SLICE_MANAGED_BY.0.into(), json!(SLICE_MANAGED_BY.1));
    Value::Object(labels)
}

/// The Endpoints' `subsets`, repacked as `endpoints.RepackSubsets` does:
/// one subset per port set, addresses sorted by IP. `Null` when empty.
pub fn subsets(service: &Value, pods: &[&Value]) -> Value {
    let tolerate_unready = publishes_not_ready(service);
    let mut by_ports: BTreeMap<Vec<Port>, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    let no_ports = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .is_none_or(Vec::is_empty);
    for pod in pods.iter().filter(|p| in_endpoints(p, tolerate_unready)) {
        let mut address = Map::new();
        address.insert("ip".into(), json!(meta::str_at(pod, "/status/podIP")));
        if let Some(hostname) = hostname(pod, service) {
            address.insert("hostname".into(), json!(hostname));
        }
        let node = meta::str_at(pod, "/spec/nodeName");
        if !node.is_empty() {
            address.insert("nodeName".into(), json!(node));
        }
        address.insert("targetRef".into(), target_ref(pod));
        let ports = pod_ports(service, pod);
        // A pod serving none of the ports is left out, but for a headless
        // Service without ports.
        if ports.is_empty() && !(no_ports && is_headless(service)) {
            continue;
        }
        let entry = by_ports.entry(ports).or_default();
        if tolerate_unready || is_ready(pod) {
            entry.0.push(Value::Object(address));
        } else {
            entry.1.push(Value::Object(address));
        }
    }
    let subsets: Vec<Value> = by_ports
        .into_iter()
        .map(|(ports, (mut ready, mut not_ready))| {
            let ip = |a: &Value| a["ip"].as_str().unwrap_or("").to_string();
            ready.sort_by_key(ip);
            not_ready.sort_by_key(ip);
            let mut subset = Map::new();
            if !ready.is_empty() {
                subset.insert("addresses".into(), json!(ready));
            }
            if !not_ready.is_empty() {
                subset.insert("notReadyAddresses".into(), json!(not_ready));
            }
            if !ports.is_empty() {
                let ports: Vec<Value> = ports.iter().map(|p| port_json(p, false)).collect();
                subset.insert("ports".into(), json!(ports));
            }
            Value::Object(subset)
        })
        .collect();
    if subsets.is_empty() {
        Value::Null
    } else {
        json!(subsets)
    }
}

/// What one EndpointSlice holds: its `ports` and `endpoints` (`Null` for an
/// empty list, as the API returns them).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceContent {
    pub ports: Value,
    pub endpoints: Value,
}

/// The slices a Service calls for, one per port set; a Service with no
/// endpoints gets one placeholder slice (`placeholderSliceCompare`).
pub fn slices(service: &Value, pods: &[&Value]) -> Vec<SliceContent> {
    let publish = publishes_not_ready(service);
    let mut by_ports: BTreeMap<Vec<Port>, Vec<Value>> = BTreeMap::new();
    let mut pods: Vec<&&Value> = pods.iter().filter(|p| in_endpoints(p, true)).collect();
    pods.sort_by_key(|p| meta::name(p));
    for pod in pods {
        let serving = is_ready(pod);
        let terminating = meta::is_deleting(pod);
        // "ready" is never true for a terminating pod unless not-ready
        // addresses are published (podToEndpoint).
        let ready = publish || (serving && !terminating);
        let mut endpoint = Map::new();
        endpoint.insert(
            "addresses".into(),
            json!([meta::str_at(pod, "/status/podIP")]),
        );
        endpoint.insert(
            "conditions".into(),
            json!({"ready": ready, "serving": serving, "terminating": terminating}),
        );
        if let Some(hostname) = hostname(pod, service) {
            endpoint.insert("hostname".into(), json!(hostname));
        }
        endpoint.insert("targetRef".into(), target_ref(pod));
        let node = meta::str_at(pod, "/spec/nodeName");
        if !node.is_empty() {
            endpoint.insert("nodeName".into(), json!(node));
        }
        by_ports
            .entry(pod_ports(service, pod))
            .or_default()
            .push(Value::Object(endpoint));
    }
    let mut slices: Vec<SliceContent> = by_ports
        .into_iter()
        .map(|(ports, endpoints)| SliceContent {
            ports: if ports.is_empty() {
                Value::Null
            } else {
                Value::Array(ports.iter().map(|p| port_json(p, true)).collect())
            },
            endpoints: Value::Array(endpoints),
        })
        .collect();
    if slices.is_empty() {
        slices.push(SliceContent {
            ports: Value::Null,
            endpoints: Value::Null,
        });
    }
    slices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(extra: Value) -> Value {
        let mut svc = json!({"metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {"clusterIP": "None", "selector": {"app": "nginx"},
                     "ports": [{"name": "web", "port": 80, "protocol": "TCP", "targetPort": "web"}]}});
        if let (Some(spec), Some(extra)) = (svc["spec"].as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        svc
    }

    fn pod(name: &str, ip: &str, ready: bool) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "uid": format!("u-{name}"),
                            "labels": {"app": "nginx"}},
               "spec": {"hostname": name, "subdomain": "nginx", "nodeName": "node-1",
                        "containers": [{"name": "nginx", "ports": [{"name": "web", "containerPort": 8080}]}]},
               "status": {"phase": "Running", "podIP": ip,
                          "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}]}})
    }

    /// web-0 Ready, web-1 not.
    fn pets() -> (Value, Value) {
        (
            pod("web-0", "10.244.0.2", true),
            pod("web-1", "10.244.0.3", false),
        )
    }

    #[test]
    fn subsets_split_ready_from_not_ready_and_name_hostnames() {
        let (a, b) = pets();
        let got = subsets(&service(json!({})), &[&b, &a]);
        assert_eq!(got[0]["addresses"][0]["ip"], "10.244.0.2");
        assert_eq!(got[0]["addresses"][0]["hostname"], "web-0");
        assert_eq!(got[0]["addresses"][0]["targetRef"]["uid"], "u-web-0");
        assert_eq!(got[0]["notReadyAddresses"][0]["ip"], "10.244.0.3");
        assert_eq!(
            got[0]["ports"],
            json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
        );
        let published = subsets(
            &service(json!({"publishNotReadyAddresses": true})),
            &[&a, &b],
        );
        assert_eq!(published[0]["addresses"].as_array().map(Vec::len), Some(2));
        assert_eq!(subsets(&service(json!({})), &[]), Value::Null);
    }

    #[test]
    fn slices_carry_conditions_and_a_placeholder_when_empty() {
        let (a, b) = pets();
        let got = slices(&service(json!({})), &[&b, &a]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].endpoints[0]["hostname"], "web-0");
        assert_eq!(
            got[0].endpoints[1]["conditions"],
            json!({"ready": false, "serving": false, "terminating": false})
        );
        assert_eq!(
            got[0].ports,
            json!([{"name": "web", "protocol": "TCP", "port": 8080}])
        );
        let empty = slices(&service(json!({})), &[]);
        assert_eq!(
            empty,
            [SliceContent {
                ports: Value::Null,
                endpoints: Value::Null
            }]
        );
        let mut no_ip = pod("web-2", "", true);
        no_ip["status"]["podIP"] = json!("");
        assert_eq!(slices(&service(json!({})), &[&no_ip]), empty);
    }

    #[test]
    fn labels_mark_headless_and_the_managers() {
        let svc = service(json!({}));
        assert_eq!(slice_labels(&svc)[SERVICE_NAME_LABEL], "nginx");
        assert_eq!(slice_labels(&svc)[HEADLESS_LABEL], "");
        assert_eq!(endpoints_labels(&svc)["app"], "nginx");
        let mut other = pod("x", "1.2.3.4", true);
        other["metadata"]["labels"] = json!({"app": "other"});
        assert!(!selects(selector(&svc).unwrap(), &other));
    }
}
