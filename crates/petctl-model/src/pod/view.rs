//! A pod with only the fields its printed summary reads (name, age, node,
//! image, STATUS, READY, RESTARTS): a list of a thousand pods decodes into
//! it without building the rest of each object. Serialized back, it has the
//! shape of a pod, so the same summary functions read it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrintedPod {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
    #[serde(default)]
    status: Status,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    creation_timestamp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deletion_timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(skip_serializing_if = "Option::is_none")]
    containers: Option<Vec<Container>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    init_containers: Option<Vec<Container>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Container {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    restart_policy: Option<String>,
}

/// Conditions and container statuses stay untyped: the summary reads
/// several of their fields, and they are small.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Status {
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    conditions: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    container_statuses: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    init_container_statuses: Option<Vec<Value>>,
}

impl PrintedPod {
    /// The pod as JSON, holding only the printed fields.
    pub fn into_value(self) -> Value {
        // Serializing plain strings, vectors and JSON values cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_what_the_summary_reads() {
        let pod = json!({
            "metadata": {"name": "web-0", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z",
                         "labels": {"app": "web"}, "managedFields": [{"manager": "x"}]},
            "spec": {"nodeName": "n1", "volumes": [{"name": "v"}],
                     "initContainers": [{"name": "side", "image": "busybox", "restartPolicy": "Always", "env": []}],
                     "containers": [{"name": "main", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}]},
            "status": {"phase": "Running", "podIP": "10.0.0.1",
                       "conditions": [{"type": "Ready", "status": "True"}],
                       "initContainerStatuses": [{"name": "side", "ready": true, "started": true, "restartCount": 0, "state": {"running": {}}}],
                       "containerStatuses": [{"name": "main", "ready": true, "restartCount": 3, "state": {"running": {}}}]}
        });
        let printed: PrintedPod = serde_json::from_value(pod.clone()).unwrap();
        let printed = printed.into_value();
        assert!(printed.pointer("/metadata/managedFields").is_none());
        assert!(printed.pointer("/spec/volumes").is_none());
        assert_eq!(crate::pod::status(&printed), crate::pod::status(&pod));
        assert_eq!(crate::pod::ready(&printed), crate::pod::ready(&pod));
        assert_eq!(crate::pod::restarts(&printed), crate::pod::restarts(&pod));
        assert_eq!(crate::pod::image(&printed, None), "nginx:1.25");
        assert_eq!(printed["spec"]["nodeName"], "n1");
    }

    #[test]
    fn an_empty_pod_decodes() {
        let printed: PrintedPod = serde_json::from_value(json!({})).unwrap();
        assert_eq!(printed.into_value()["metadata"], json!({}));
    }
}
