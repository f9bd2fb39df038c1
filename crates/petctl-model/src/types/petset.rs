//! The PetSet kind (apps/v1alpha1), as served by Kubernetes 1.3 and 1.4.

use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

pub const API_VERSION: &str = "apps/v1alpha1";
pub const KIND: &str = "PetSet";

/// The annotation that pauses a PetSet: while a pet or the template says
/// `"false"`, the controller neither creates nor deletes pets.
pub const INITIALIZED_ANNOTATION: &str = "pod.alpha.kubernetes.io/initialized";

/// PetSet represents a set of pods with consistent identities: a stable
/// network identity (DNS name and hostname) and as many volume claims as
/// requested, always bound to the same pet. PetSet is in alpha
/// (Kubernetes 1.3 and 1.4).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
// The OpenAPI name kube-apiserver's scheme would give it (1.4's swagger
// called it `v1alpha1.PetSet`).
#[schemars(rename = "io.k8s.api.apps.v1alpha1.PetSet")]
pub struct PetSet {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Spec defines the desired identities of pets in this set.
    pub spec: Option<PetSetSpec>,
    /// Status is the current status of Pets in this PetSet. This data may
    /// be out of date by some window of time.
    pub status: Option<PetSetStatus>,
}

#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "io.k8s.api.apps.v1alpha1.PetSetSpec")]
/// A PetSetSpec is the specification of a PetSet.
pub struct PetSetSpec {
    /// Desired number of pets; defaults to 1.
    pub replicas: Option<i32>,
    /// Defaults to the template's labels.
    pub selector: Option<LabelSelector>,
    /// The pod every pet is stamped out from, each with its own identity.
    pub template: PodTemplateSpec,
    /// The claims every pet gets, named `<claim>-<set>-<ordinal>`; they
    /// outlive the pets.
    pub volume_claim_templates: Option<Vec<PersistentVolumeClaim>>,
    /// The governing (headless) Service; it must exist before the set.
    #[serde(default)]
    pub service_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "io.k8s.api.apps.v1alpha1.PetSetStatus")]
/// PetSetStatus represents the current state of a PetSet.
pub struct PetSetStatus {
    /// The most recent generation observed by the controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The number of pets the controller has created.
    #[serde(default)]
    pub replicas: i32,
}
