//! The request types both halves speak: the patch types and their content
//! types, and `metav1.DeleteOptions`. The client serializes them, the local
//! control plane reads them, so the two cannot drift apart.

use serde::{Deserialize, Serialize};

/// The patch types of a Kubernetes API server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 6902 JSON Patch; its `test` operations are preconditions.
    Json,
    /// RFC 7386 JSON Merge Patch.
    Merge,
    /// Kubernetes' strategic merge patch (lists merged by key).
    StrategicMerge,
    /// Server-side apply; needs a field manager.
    Apply,
}

impl PatchType {
    pub fn content_type(self) -> &'static str {
        match self {
            PatchType::Json => "application/json-patch+json",
            PatchType::Merge => "application/merge-patch+json",
            PatchType::StrategicMerge => "application/strategic-merge-patch+json",
            PatchType::Apply => "application/apply-patch+yaml",
        }
    }
}

/// `metav1.DeleteOptions`.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteOptions {
    pub propagation_policy: Option<PropagationPolicy>,
    pub grace_period_seconds: Option<i64>,
    pub preconditions: Option<Preconditions>,
    /// Deprecated in favour of `propagationPolicy`, still honoured.
    pub orphan_dependents: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dry_run: Vec<String>,
}

impl DeleteOptions {
    /// The JSON body of a DELETE.
    pub fn body(&self) -> Vec<u8> {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        value["kind"] = "DeleteOptions".into();
        value["apiVersion"] = "v1".into();
        value.to_string().into_bytes()
    }

    /// The propagation the server applies: an explicit `orphanDependents`
    /// wins (false means background), then `propagationPolicy`, then the
    /// default of every kind petctl knows, background. As
    /// `shouldOrphanDependents`/`shouldDeleteDependents` in
    /// staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go.
    pub fn propagation(&self) -> PropagationPolicy {
        match (self.orphan_dependents, self.propagation_policy) {
            (Some(true), _) => PropagationPolicy::Orphan,
            (Some(false), _) => PropagationPolicy::Background,
            (None, Some(policy)) => policy,
            (None, None) => PropagationPolicy::Background,
        }
    }

    /// The uid precondition, if one was given (an empty one is none).
    pub fn precondition_uid(&self) -> Option<&str> {
        self.precondition(|p| p.uid.as_deref())
    }

    /// The resourceVersion precondition, if one was given.
    pub fn precondition_resource_version(&self) -> Option<&str> {
        self.precondition(|p| p.resource_version.as_deref())
    }

    fn precondition(&self, field: impl Fn(&Preconditions) -> Option<&str>) -> Option<&str> {
        self.preconditions
            .as_ref()
            .and_then(field)
            .filter(|s| !s.is_empty())
    }

    /// `dryRun: ["All"]`.
    pub fn is_dry_run(&self) -> bool {
        self.dry_run.iter().any(|d| d == "All")
    }
}

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PropagationPolicy {
    Orphan,
    Background,
    Foreground,
}

/// What the object must still be for the write to go ahead.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Preconditions {
    pub uid: Option<String>,
    pub resource_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_options_round_trip() {
        let opts = DeleteOptions {
            propagation_policy: Some(PropagationPolicy::Orphan),
            preconditions: Some(Preconditions {
                uid: Some("u-1".into()),
                resource_version: None,
            }),
            ..Default::default()
        };
        let body: serde_json::Value = serde_json::from_slice(&opts.body()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"propagationPolicy":"Orphan","preconditions":{"uid":"u-1"},"kind":"DeleteOptions","apiVersion":"v1"})
        );
        let back: DeleteOptions = serde_json::from_value(body).unwrap();
        assert_eq!(back, opts);
    }
}
