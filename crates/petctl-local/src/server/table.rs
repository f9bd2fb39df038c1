//! Server-side printing: the `meta.k8s.io/v1` Table that `kubectl get` asks
//! for, with the columns kube-apiserver's printers give each kind.

mod endpoints;

use serde_json::{json, Value};

use petctl_model::kinds::KindInfo;
use petctl_model::time::Timestamp;

/// Whether an Accept header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept.split(',').any(|media| {
        let params: Vec<&str> = media.split(';').map(str::trim).collect();
        params.contains(&"as=Table") && params.contains(&"g=meta.k8s.io")
    })
}

/// `includeObject`: what each row carries besides its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

/// A kind's columns as kube-apiserver's printers define them
/// (`pkg/printers/internalversion/printers.go`): comma-separated names, the
/// ones after `|` only for `-o wide` (priority 1), a `#` after the name of an
/// integer column. [`cells`] gives the values in the same order.
fn columns(kind: &KindInfo) -> &'static str {
    match kind.kind {
        "Pod" => "Name,Ready,Status,Restarts,Age|IP,Node,Nominated Node,Readiness Gates",
        "StatefulSet" => "Name,Ready,Age|Containers,Images",
        "PetSet" => "Name,Desired#,Current#,Age",
        "Service" => "Name,Type,Cluster-IP,External-IP,Port(s),Age|Selector",
        "Namespace" => "Name,Status,Age",
        "PersistentVolumeClaim" => {
            "Name,Status,Volume,Capacity,Access Modes,StorageClass,\
             VolumeAttributesClass,Age|VolumeMode"
        }
        "PersistentVolume" => {
            "Name,Capacity,Access Modes,Reclaim Policy,Status,Claim,\
             StorageClass,VolumeAttributesClass,Reason,Age|VolumeMode"
        }
        "Node" => "Name,Status,Roles,Age,Version",
        "ConfigMap" => "Name,Data,Age",
        "Secret" => "Name,Type,Data,Age",
        "ServiceAccount" => "Name,Secrets#,Age",
        "ControllerRevision" => "Name,Controller,Revision#,Age",
        "Event" => "Last Seen,Type,Reason,Object,Message",
        "PodDisruptionBudget" => "Name,Min Available,Max Unavailable,Allowed Disruptions#,Age",
        "StorageClass" => {
            "Name,Provisioner,ReclaimPolicy,VolumeBindingMode,AllowVolumeExpansion,Age"
        }
        "Lease" => "Name,Holder,Age",
        "Endpoints" => "Name,Endpoints,Age",
        "EndpointSlice" => "Name,AddressType,Ports,Endpoints,Age",
        _ => "Name,Age",
    }
}

/// The `columnDefinitions` of a Table of `kind`.
fn column_definitions(kind: &KindInfo) -> Vec<Value> {
    let (standard, wide) = columns(kind).split_once('|').unwrap_or((columns(kind), ""));
    let priority = |names: &'static str, priority: u8| {
        names
            .split(',')
            .filter(|name| !name.is_empty())
            .map(move |name| (name, priority))
    };
    priority(standard, 0)
        .chain(priority(wide, 1))
        .map(|(name, priority)| {
            let (name, kind) = match name.strip_suffix('#') {
                Some(name) => (name, "integer"),
                None => (name, "string"),
            };
            let format = if name == "Name" { "name" } else { "" };
            json!({"name": name, "type": kind, "format": format, "description": "", "priority": priority})
        })
        .collect()
}

fn text<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn int(object: &Value, pointer: &str) -> i64 {
    object.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

fn array<'a>(object: &'a Value, pointer: &str) -> &'a [Value] {
    object
        .pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn or_none(s: &str) -> String {
    if s.is_empty() {
        "<none>".to_string()
    } else {
        s.to_string()
    }
}

fn count(object: &Value, pointer: &str) -> usize {
    object
        .pointer(pointer)
        .and_then(Value::as_object)
        .map_or(0, |m| m.len())
}

/// The cells of one object's row.
fn cells(kind: &KindInfo, object: &Value, now: Timestamp) -> Vec<Value> {
    let name = json!(text(object, "/metadata/name"));
    let age = json!(age(text(object, "/metadata/creationTimestamp"), now));
    match kind.kind {
        "Pod" => {
            let pod = petctl_model::pod::summary(object);
            vec![
                name,
                json!(format!("{}/{}", pod.ready, pod.total)),
                json!(pod.reason),
                json!(pod.restarts.to_string()),
                age,
                json!(or_none(text(object, "/status/podIP"))),
                json!(or_none(text(object, "/spec/nodeName"))),
                json!(or_none(text(object, "/status/nominatedNodeName"))),
                json!("<none>"),
            ]
        }
        "StatefulSet" => {
            let containers = array(object, "/spec/template/spec/containers");
            let join = |key: &str| joined(containers.iter().filter_map(|c| c[key].as_str()));
            vec![
                name,
                json!(format!(
                    "{}/{}",
                    int(object, "/status/readyReplicas"),
                    int(object, "/spec/replicas")
                )),
                age,
                json!(join("name")),
                json!(join("image")),
            ]
        }
        "PetSet" => {
            let desired = int(object, "/spec/replicas");
            vec![
                name,
                json!(desired),
                json!(int(object, "/status/replicas")),
                age,
            ]
        }
        "Service" => {
            let ports: Vec<String> = array(object, "/spec/ports")
                .iter()
                .map(|p| {
                    let port = p["port"].as_i64().unwrap_or(0);
                    let protocol = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64() {
                        Some(node) => format!("{port}:{node}/{protocol}"),
                        None => format!("{port}/{protocol}"),
                    }
                })
                .collect();
            let selector = object
                .pointer("/spec/selector")
                .and_then(Value::as_object)
                .map(|m| {
                    joined(
                        m.iter()
                            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or(""))),
                    )
                })
                .unwrap_or_default();
            let external = match text(object, "/spec/type") {
                "LoadBalancer" => "<pending>",
                _ => "<none>",
            };
            vec![
                name,
                json!(text(object, "/spec/type")),
                json!(or_none(text(object, "/spec/clusterIP"))),
                json!(external),
                json!(if ports.is_empty() {
                    "<none>".to_string()
                } else {
                    ports.join(",")
                }),
                age,
                json!(or_none(&selector)),
            ]
        }
        "Namespace" => vec![name, json!(text(object, "/status/phase")), age],
        "PersistentVolumeClaim" => vec![
            name,
            json!(petctl_model::types::volume_status(object)),
            json!(text(object, "/spec/volumeName")),
            json!(text(object, "/status/capacity/storage")),
            json!(access_modes(array(object, "/status/accessModes"))),
            json!(or_unset(text(object, "/spec/storageClassName"))),
            json!(or_unset(text(object, "/spec/volumeAttributesClassName"))),
            age,
            json!(text(object, "/spec/volumeMode")),
        ],
        "PersistentVolume" => {
            let claim = match text(object, "/spec/claimRef/name") {
                "" => String::new(),
                claim => format!("{}/{claim}", text(object, "/spec/claimRef/namespace")),
            };
            vec![
                name,
                json!(text(object, "/spec/capacity/storage")),
                json!(access_modes(array(object, "/spec/accessModes"))),
                json!(text(object, "/spec/persistentVolumeReclaimPolicy")),
                json!(petctl_model::types::volume_status(object)),
                json!(claim),
                json!(text(object, "/spec/storageClassName")),
                json!(or_unset(text(object, "/spec/volumeAttributesClassName"))),
                json!(text(object, "/status/reason")),
                age,
                json!(text(object, "/spec/volumeMode")),
            ]
        }
        "Node" => {
            let ready = array(object, "/status/conditions")
                .iter()
                .find(|c| c["type"] == "Ready")
                .map(|c| {
                    if c["status"] == "True" {
                        "Ready"
                    } else {
                        "NotReady"
                    }
                })
                .unwrap_or("Unknown");
            // printNode: a cordoned node adds SchedulingDisabled.
            let ready = if object.pointer("/spec/unschedulable") == Some(&json!(true)) {
                format!("{ready},SchedulingDisabled")
            } else {
                ready.to_string()
            };
            vec![
                name,
                json!(ready),
                json!("<none>"),
                age,
                json!(text(object, "/status/nodeInfo/kubeletVersion")),
            ]
        }
        "StorageClass" => storage_class_cells(object, name, age),
        "ConfigMap" => {
            let data = count(object, "/data") + count(object, "/binaryData");
            vec![name, json!(data), age]
        }
        "Secret" => {
            let data = count(object, "/data");
            vec![name, json!(text(object, "/type")), json!(data), age]
        }
        "ServiceAccount" => vec![name, json!(array(object, "/secrets").len()), age],
        "ControllerRevision" => {
            let controller = array(object, "/metadata/ownerReferences")
                .iter()
                .find(|r| r["controller"] == json!(true))
                .map(|r| {
                    let group = r["apiVersion"]
                        .as_str()
                        .unwrap_or("")
                        .split('/')
                        .next()
                        .unwrap_or("");
                    format!(
                        "{}.{group}/{}",
                        r["kind"].as_str().unwrap_or("").to_lowercase(),
                        r["name"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_else(|| "<none>".to_string());
            vec![
                name,
                json!(controller),
                json!(int(object, "/revision")),
                age,
            ]
        }
        "Event" => {
            let last = match text(object, "/lastTimestamp") {
                "" => text(object, "/eventTime"),
                t => t,
            };
            vec![
                json!(self::age(last, now)),
                json!(text(object, "/type")),
                json!(text(object, "/reason")),
                json!(format!(
                    "{}/{}",
                    text(object, "/involvedObject/kind").to_lowercase(),
                    text(object, "/involvedObject/name")
                )),
                json!(text(object, "/message")),
            ]
        }
        "PodDisruptionBudget" => {
            // `printPodDisruptionBudget`: an unset bound is N/A.
            let bound = |key: &str| match object.pointer(&format!("/spec/{key}")) {
                Some(Value::String(s)) => json!(s),
                Some(Value::Number(n)) => json!(n.to_string()),
                _ => json!("N/A"),
            };
            vec![
                name,
                bound("minAvailable"),
                bound("maxUnavailable"),
                json!(int(object, "/status/disruptionsAllowed")),
                age,
            ]
        }
        // printLease: no holder is an empty cell.
        "Lease" => vec![name, json!(text(object, "/spec/holderIdentity")), age],
        "Endpoints" => vec![name, json!(endpoints::endpoints(object)), age],
        "EndpointSlice" => vec![
            name,
            json!(text(object, "/addressType")),
            json!(endpoints::slice_ports(object)),
            json!(endpoints::slice_endpoints(object)),
            age,
        ],
        _ => vec![name, age],
    }
}

fn or_unset(s: &str) -> String {
    if s.is_empty() {
        "<unset>".to_string()
    } else {
        s.to_string()
    }
}

fn access_modes(modes: &[Value]) -> String {
    joined(
        modes
            .iter()
            .filter_map(Value::as_str)
            .map(petctl_model::types::access_mode_short),
    )
}

/// Comma-separated, as the printers join lists in one cell.
fn joined<T: AsRef<str>>(items: impl Iterator<Item = T>) -> String {
    items
        .map(|item| item.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(",")
}

fn row(kind: &KindInfo, object: &Value, include: Include, now: Timestamp) -> Value {
    let mut row = json!({"cells": cells(kind, object, now)});
    let carried = match include {
        Include::None => None,
        Include::Object => Some(object.clone()),
        Include::Metadata => Some(json!({
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
        })),
    };
    if let (Some(carried), Some(map)) = (carried, row.as_object_mut()) {
        map.insert("object".into(), carried);
    }
    row
}

/// A Table of `objects`; `list_metadata` is the list's metadata.
pub fn table(kind: &KindInfo, objects: &[Value], list_metadata: Value, include: Include) -> Value {
    let now = Timestamp::now();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_metadata,
        "columnDefinitions": column_definitions(kind),
        "rows": objects.iter().map(|o| row(kind, o, include, now)).collect::<Vec<_>>(),
    })
}

fn age(timestamp: &str, now: Timestamp) -> String {
    petctl_model::time::age(Some(timestamp), now)
}

/// printStorageClass: the default class is named "NAME (default)", and
/// unset fields print as their defaults.
fn storage_class_cells(object: &Value, name: Value, age: Value) -> Vec<Value> {
    let default = text(
        object,
        "/metadata/annotations/storageclass.kubernetes.io~1is-default-class",
    ) == "true";
    let name = match (default, name.as_str()) {
        (true, Some(name)) => json!(format!("{name} (default)")),
        _ => name,
    };
    let or = |pointer: &str, fallback: &str| match text(object, pointer) {
        "" => fallback.to_string(),
        value => value.to_string(),
    };
    let expansion = object
        .pointer("/allowVolumeExpansion")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    vec![
        name,
        json!(text(object, "/provisioner")),
        json!(or("/reclaimPolicy", "Delete")),
        json!(or("/volumeBindingMode", "Immediate")),
        json!(expansion.to_string()),
        age,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use petctl_model::kinds::by_name;

    #[test]
    fn accept_headers() {
        assert!(wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"));
        assert!(!wants_table("application/json"));
        assert!(!wants_table(""));
    }

    #[test]
    fn statefulset_and_pod_rows() {
        let now = Timestamp::from_second(1_798_248_422 + 65).unwrap();
        let sts = json!({"metadata": {"name": "web", "creationTimestamp": "2026-12-26T01:27:02Z"},
                         "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}},
                         "status": {"readyReplicas": 1}});
        assert_eq!(
            cells(by_name("sts").unwrap(), &sts, now),
            vec![
                json!("web"),
                json!("1/3"),
                json!("65s"),
                json!("nginx"),
                json!("nginx:1.25")
            ]
        );
        let pod = json!({"metadata": {"name": "web-0", "creationTimestamp": "2026-12-26T01:27:02Z"},
                         "spec": {"containers": [{"name": "c"}]}, "status": {"phase": "Pending"}});
        let row = cells(by_name("pods").unwrap(), &pod, now);
        assert_eq!(
            row[..5],
            [
                json!("web-0"),
                json!("0/1"),
                json!("Pending"),
                json!("0"),
                json!("65s")
            ]
        );
        let t = table(
            by_name("pods").unwrap(),
            &[pod],
            json!({"resourceVersion": "3"}),
            Include::Metadata,
        );
        assert_eq!(t["columnDefinitions"][5]["priority"], 1);
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    }

    #[test]
    fn every_kind_has_a_cell_for_each_column() {
        let now = Timestamp::from_second(1_798_248_422).unwrap();
        for kind in petctl_model::kinds::KINDS {
            let definitions = column_definitions(kind);
            assert_eq!(
                definitions.len(),
                cells(kind, &json!({}), now).len(),
                "{}",
                kind.kind
            );
            assert!(definitions.iter().all(|d| d["name"] != ""), "{}", kind.kind);
        }
        let names: Vec<Value> = column_definitions(by_name("pvc").unwrap())
            .iter()
            .map(|d| d["name"].clone())
            .collect();
        assert_eq!(
            names[5..8],
            [
                json!("StorageClass"),
                json!("VolumeAttributesClass"),
                json!("Age")
            ]
        );
        let petset = column_definitions(by_name("petset").unwrap());
        assert_eq!(
            petset[1],
            json!({"name": "Desired", "type": "integer", "format": "", "description": "", "priority": 0})
        );
    }
}
