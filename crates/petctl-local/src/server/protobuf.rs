//! Protobuf request bodies (`application/vnd.kubernetes.protobuf`), which
//! kubectl's typed clients send: `kubectl create namespace|configmap|secret|
//! service` among others. A body is the `k8s\0` magic and a
//! `runtime.Unknown` envelope around the object's own message (k8s-pb's
//! generated types); it is turned into the JSON object the registry
//! stores. Answers stay JSON, which those clients also accept.
//!
//! Namespaces, ConfigMaps, Secrets, Services, Endpoints, EndpointSlices,
//! PodDisruptionBudgets,
//! DeleteOptions, Evictions and the self reviews are decoded; any other kind gets 415, naming the kind.

use std::collections::BTreeMap;

use base64::Engine;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_pb::apimachinery::pkg::runtime::Unknown;
use prost::Message;
use serde_json::{json, Map, Value};

use crate::registry::error::ApiError;

pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

/// Decodes a protobuf-encoded object into its JSON form.
pub fn decode_object(bytes: &[u8]) -> Result<Value, ApiError> {
    let envelope = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| bad("the body does not start with the k8s protobuf prefix"))?;
    let unknown = Unknown::decode(envelope).map_err(|e| bad(&e.to_string()))?;
    let type_meta = unknown.type_meta.unwrap_or_default();
    let api_version = type_meta.api_version.unwrap_or_default();
    let kind = type_meta.kind.unwrap_or_default();
    let raw = unknown.raw.unwrap_or_default();
    let mut object = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Namespace") => namespace(decode(&raw)?),
        ("v1", "ConfigMap") => config_map(decode(&raw)?),
        ("v1", "Secret") => secret(decode(&raw)?),
        ("v1", "ServiceAccount") => service_account(decode(&raw)?),
        ("v1", "Service") => service(decode(&raw)?),
        ("v1", "Endpoints") => endpoints::endpoints(decode(&raw)?),
        ("discovery.k8s.io/v1", "EndpointSlice") => endpoints::endpoint_slice(decode(&raw)?),
        (_, "DeleteOptions") => delete_options(decode(&raw)?),
        ("authorization.k8s.io/v1", "SelfSubjectAccessReview") => access_review(decode(&raw)?),
        ("authorization.k8s.io/v1", "SelfSubjectRulesReview") => {
            let review: k8s_pb::api::authorization::v1::SelfSubjectRulesReview = decode(&raw)?;
            let spec = review
                .spec
                .map(|s| Fields::default().set("namespace", s.namespace).done());
            Fields::default().value("spec", spec).done()
        }
        ("authentication.k8s.io/v1", "TokenRequest") => token_request(decode(&raw)?),
        // `kubectl drain` evicts through the typed clientset.
        ("policy/v1", "PodDisruptionBudget") => disruption_budget(decode(&raw)?),
        ("policy/v1", "Eviction") => eviction(decode::<k8s_pb::api::policy::v1::Eviction>(&raw)?),
        ("policy/v1beta1", "Eviction") => {
            let old: k8s_pb::api::policy::v1beta1::Eviction = decode(&raw)?;
            eviction(k8s_pb::api::policy::v1::Eviction {
                metadata: old.metadata,
                delete_options: old.delete_options,
            })
        }
        ("authentication.k8s.io/v1", "SelfSubjectReview") => {
            let _: k8s_pb::api::authentication::v1::SelfSubjectReview = decode(&raw)?;
            json!({})
        }
        _ => {
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!(
                    "the petctl local control plane decodes protobuf bodies only for v1 Namespace, ConfigMap, Secret, Service and ServiceAccount, not {api_version} {kind}; send it as application/json"
                ),
            ))
        }
    };
    if let Value::Object(map) = &mut object {
        map.insert("apiVersion".into(), json!(api_version));
        map.insert("kind".into(), json!(kind));
    }
    Ok(object)
}

fn decode<M: Message + Default>(raw: &[u8]) -> Result<M, ApiError> {
    M::decode(raw).map_err(|e| bad(&e.to_string()))
}

fn bad(why: &str) -> ApiError {
    ApiError::bad_request(format!("unable to decode the protobuf body: {why}"))
}

/// Builds a JSON object from the fields that are set.
#[derive(Default)]
struct Fields(Map<String, Value>);

/// Copies the named fields of a protobuf message into a [`Fields`]
/// (a new one, or the one given before the message), each through the
/// [`Fields`] method that heads its group: `fields!(meta; set: name,
/// generate_name; map: labels)`. A field's JSON key is its Rust name in
/// camelCase, or the key after `as` where Go spells an initialism
/// (`cluster_ip as "clusterIP"`).
macro_rules! fields {
    ($message:ident; $($groups:tt)+) => {
        fields!(Fields::default(), $message; $($groups)+)
    };
    ($fields:expr, $message:ident; $($how:ident: $($field:ident $(as $key:literal)?),+);+) => {
        $fields $($(.$how(&fields!(@key $field $($key)?), $message.$field))+)+
    };
    (@key $field:ident $key:literal) => {
        String::from($key)
    };
    (@key $field:ident) => {
        camel_case(stringify!($field))
    };
}

// After the macro, which it uses.
mod endpoints;

/// `generate_name` -> `generateName`; `r#type` -> `type`.
fn camel_case(rust_name: &str) -> String {
    let mut words = rust_name.trim_start_matches("r#").split('_');
    let first = words.next().unwrap_or_default().to_string();
    words.fold(first, |mut name, word| {
        let mut chars = word.chars();
        if let Some(initial) = chars.next() {
            name.push(initial.to_ascii_uppercase());
            name.extend(chars);
        }
        name
    })
}

impl Fields {
    /// A field that is a pointer in Go: set means present, even when zero.
    fn opt<T: Into<Value>>(mut self, key: &str, value: Option<T>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.into(), value.into());
        }
        self
    }

    /// A plain `omitempty` field in Go: the protobuf encoder writes its zero
    /// value (`""`, `0`, `false`), which JSON leaves out.
    fn set<T: Into<Value>>(mut self, key: &str, value: Option<T>) -> Self {
        let value = value.map(Into::into);
        let zero = matches!(&value, Some(Value::String(s)) if s.is_empty())
            || matches!(&value, Some(Value::Number(n)) if n.as_f64() == Some(0.0))
            || matches!(&value, Some(Value::Bool(false)));
        if let (Some(value), false) = (value, zero) {
            self.0.insert(key.into(), value);
        }
        self
    }

    fn list(mut self, key: &str, values: Vec<String>) -> Self {
        if !values.is_empty() {
            self.0.insert(key.into(), json!(values));
        }
        self
    }

    fn map<V: Into<Value>>(mut self, key: &str, values: BTreeMap<String, V>) -> Self {
        if !values.is_empty() {
            let map: Map<String, Value> = values.into_iter().map(|(k, v)| (k, v.into())).collect();
            self.0.insert(key.into(), Value::Object(map));
        }
        self
    }

    fn value(mut self, key: &str, value: Option<Value>) -> Self {
        if let Some(value) = value.filter(|v| v.as_object().is_none_or(|m| !m.is_empty())) {
            self.0.insert(key.into(), value);
        }
        self
    }

    /// A nested object that counts as given even when it is empty.
    fn present(mut self, key: &str, value: Option<Value>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.into(), value);
        }
        self
    }

    fn done(self) -> Value {
        Value::Object(self.0)
    }
}

/// The client-settable metadata; what the server owns (timestamps,
/// generation, managed fields) it sets itself.
fn metadata(meta: Option<ObjectMeta>) -> Option<Value> {
    let meta = meta?;
    let owners: Vec<Value> = meta
        .owner_references
        .into_iter()
        .map(|o| {
            fields!(o; opt: api_version, kind, name, uid, controller, block_owner_deletion).done()
        })
        .collect();
    let fields = fields!(meta; set: name, generate_name, namespace, uid, resource_version;
                               map: labels, annotations);
    Some(
        fields
            .value(
                "ownerReferences",
                (!owners.is_empty()).then(|| json!(owners)),
            )
            .list("finalizers", meta.finalizers)
            .done(),
    )
}

fn base64_map(values: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, String> {
    values
        .into_iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.encode(v)))
        .collect()
}

fn delete_options(options: k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions) -> Value {
    let preconditions = options
        .preconditions
        .map(|p| fields!(p; opt: uid, resource_version).done());
    fields!(options; opt: grace_period_seconds, orphan_dependents, propagation_policy;
                     list: dry_run)
    .value("preconditions", preconditions)
    .done()
}

fn access_review(review: k8s_pb::api::authorization::v1::SelfSubjectAccessReview) -> Value {
    let spec = review.spec.map(|spec| {
        let resource = spec.resource_attributes.map(|r| {
            fields!(r; set: namespace, verb, group, version, resource, subresource, name).done()
        });
        let non_resource = spec
            .non_resource_attributes
            .map(|n| fields!(n; set: path, verb).done());
        Fields::default()
            .present("resourceAttributes", resource)
            .present("nonResourceAttributes", non_resource)
            .done()
    });
    Fields::default()
        .value("metadata", metadata(review.metadata))
        .value("spec", spec)
        .done()
}

/// An IntOrString: type 1 is the string.
fn int_or_string(value: k8s_pb::apimachinery::pkg::util::intstr::IntOrString) -> Value {
    match value.r#type {
        Some(1) => json!(value.str_val.unwrap_or_default()),
        _ => json!(value.int_val.unwrap_or_default()),
    }
}

fn label_selector(selector: k8s_pb::apimachinery::pkg::apis::meta::v1::LabelSelector) -> Value {
    let expressions: Vec<Value> = selector
        .match_expressions
        .into_iter()
        .map(|r| fields!(r; set: key, operator; list: values).done())
        .collect();
    fields!(selector; map: match_labels)
        .value(
            "matchExpressions",
            (!expressions.is_empty()).then(|| json!(expressions)),
        )
        .done()
}

/// `kubectl create poddisruptionbudget` sends protobuf. An empty selector
/// (every pod) stays, unlike a missing one (none).
fn disruption_budget(pdb: k8s_pb::api::policy::v1::PodDisruptionBudget) -> Value {
    let spec = pdb.spec.map(|s| {
        Fields::default()
            .value("minAvailable", s.min_available.map(int_or_string))
            .value("maxUnavailable", s.max_unavailable.map(int_or_string))
            .present("selector", s.selector.map(label_selector))
            .opt(
                "unhealthyPodEvictionPolicy",
                s.unhealthy_pod_eviction_policy,
            )
            .done()
    });
    Fields::default()
        .value("metadata", metadata(pdb.metadata))
        .value("spec", spec)
        .done()
}

fn eviction(eviction: k8s_pb::api::policy::v1::Eviction) -> Value {
    Fields::default()
        .value("metadata", metadata(eviction.metadata))
        .value("deleteOptions", eviction.delete_options.map(delete_options))
        .done()
}

/// `kubectl create token` sends protobuf.
fn token_request(request: k8s_pb::api::authentication::v1::TokenRequest) -> Value {
    let spec = request.spec.map(|spec| {
        let bound = spec
            .bound_object_ref
            .map(|r| fields!(r; set: kind, api_version, name; set: u_id as "uid").done());
        fields!(spec; list: audiences; opt: expiration_seconds)
            .value("boundObjectRef", bound)
            .done()
    });
    Fields::default()
        .value("metadata", metadata(request.metadata))
        .value("spec", spec)
        .done()
}

fn namespace(ns: core::Namespace) -> Value {
    let spec = ns.spec.map(|s| fields!(s; list: finalizers).done());
    Fields::default()
        .value("metadata", metadata(ns.metadata))
        .value("spec", spec)
        .done()
}

fn config_map(cm: core::ConfigMap) -> Value {
    let fields = Fields::default().value("metadata", metadata(cm.metadata));
    fields!(fields, cm; opt: immutable; map: data)
        .map("binaryData", base64_map(cm.binary_data))
        .done()
}

fn secret(secret: core::Secret) -> Value {
    Fields::default()
        .value("metadata", metadata(secret.metadata))
        .opt("immutable", secret.immutable)
        .map("data", base64_map(secret.data))
        .map("stringData", secret.string_data)
        .set("type", secret.r#type)
        .done()
}

fn object_reference(r: core::ObjectReference) -> Value {
    Fields::default()
        .set("kind", r.kind)
        .set("namespace", r.namespace)
        .set("name", r.name)
        .set("uid", r.uid)
        .set("apiVersion", r.api_version)
        .set("resourceVersion", r.resource_version)
        .set("fieldPath", r.field_path)
        .done()
}

/// `kubectl create serviceaccount` sends protobuf; the references a
/// ServiceAccount holds are by name (and, for `secrets`, namespace).
fn service_account(sa: core::ServiceAccount) -> Value {
    let secrets: Vec<Value> = sa.secrets.into_iter().map(object_reference).collect();
    let pull: Vec<Value> = sa
        .image_pull_secrets
        .into_iter()
        .map(|r| Fields::default().set("name", r.name).done())
        .collect();
    Fields::default()
        .value("metadata", metadata(sa.metadata))
        .value("secrets", (!secrets.is_empty()).then(|| json!(secrets)))
        .value("imagePullSecrets", (!pull.is_empty()).then(|| json!(pull)))
        .opt(
            "automountServiceAccountToken",
            sa.automount_service_account_token,
        )
        .done()
}

fn service(service: core::Service) -> Value {
    let spec = service.spec.map(|s| {
        let ports: Vec<Value> = s
            .ports
            .into_iter()
            .map(|p| {
                let target = p.target_port.map(int_or_string);
                fields!(p; set: name, protocol; opt: app_protocol, port)
                    .value("targetPort", target)
                    .set("nodePort", p.node_port)
                    .done()
            })
            .collect();
        let affinity = s
            .session_affinity_config
            .and_then(|c| c.client_ip)
            .map(|c| json!({"clientIP": fields!(c; opt: timeout_seconds).done()}));
        let fields = Fields::default().value("ports", (!ports.is_empty()).then(|| json!(ports)));
        let fields = fields!(fields, s;
            map: selector; set: cluster_ip as "clusterIP"; list: cluster_ips as "clusterIPs";
            set: r#type; list: external_ips as "externalIPs";
            set: session_affinity, load_balancer_ip as "loadBalancerIP";
            list: load_balancer_source_ranges;
            set: external_name, external_traffic_policy, health_check_node_port,
                 publish_not_ready_addresses);
        fields!(fields.value("sessionAffinityConfig", affinity), s;
            list: ip_families;
            opt: ip_family_policy, allocate_load_balancer_node_ports, load_balancer_class,
                 internal_traffic_policy, traffic_distribution)
        .done()
    });
    Fields::default()
        .value("metadata", metadata(service.metadata))
        .value("spec", spec)
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_pb::apimachinery::pkg::runtime::TypeMeta;

    fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
        let unknown = Unknown {
            type_meta: Some(TypeMeta {
                api_version: Some(api_version.into()),
                kind: Some(kind.into()),
            }),
            raw: Some(raw),
            content_encoding: Some(String::new()),
            content_type: Some(String::new()),
        };
        [MAGIC, &unknown.encode_to_vec()].concat()
    }

    fn meta(name: &str) -> Option<ObjectMeta> {
        Some(ObjectMeta {
            name: Some(name.into()),
            labels: BTreeMap::from([("app".to_string(), "db".to_string())]),
            ..Default::default()
        })
    }

    #[test]
    fn a_secret_round_trips_with_base64_data() {
        let secret = core::Secret {
            metadata: meta("creds"),
            data: BTreeMap::from([("password".to_string(), b"hunter2".to_vec())]),
            r#type: Some("Opaque".into()),
            ..Default::default()
        };
        let object = decode_object(&envelope("v1", "Secret", secret.encode_to_vec())).unwrap();
        assert_eq!(
            object,
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "creds", "labels": {"app": "db"}},
                "data": {"password": "aHVudGVyMg=="},
                "type": "Opaque",
            })
        );
    }

    #[test]
    fn a_service_keeps_its_ports_and_named_target_ports() {
        use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
        let service = core::Service {
            metadata: meta("db"),
            spec: Some(core::ServiceSpec {
                ports: vec![core::ServicePort {
                    name: Some("sql".into()),
                    port: Some(5432),
                    target_port: Some(IntOrString {
                        r#type: Some(1),
                        int_val: Some(0),
                        str_val: Some("sql".into()),
                    }),
                    ..Default::default()
                }],
                cluster_ip: Some("None".into()),
                r#type: Some("ClusterIP".into()),
                ..Default::default()
            }),
            status: None,
        };
        let object = decode_object(&envelope("v1", "Service", service.encode_to_vec())).unwrap();
        assert_eq!(
            object["spec"],
            json!({"ports": [{"name": "sql", "port": 5432, "targetPort": "sql"}], "clusterIP": "None", "type": "ClusterIP"})
        );
    }

    #[test]
    fn fields_take_their_go_json_names() {
        use k8s_pb::apimachinery::pkg::apis::meta::v1::OwnerReference;
        assert_eq!(camel_case("block_owner_deletion"), "blockOwnerDeletion");
        assert_eq!(camel_case("r#type"), "type");
        let config_map = core::ConfigMap {
            metadata: Some(ObjectMeta {
                generate_name: Some("web-".into()),
                resource_version: Some("7".into()),
                owner_references: vec![OwnerReference {
                    kind: Some("PetSet".into()),
                    block_owner_deletion: Some(true),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            immutable: Some(false),
            ..Default::default()
        };
        let object =
            decode_object(&envelope("v1", "ConfigMap", config_map.encode_to_vec())).unwrap();
        assert_eq!(
            object,
            json!({
                "metadata": {"generateName": "web-", "resourceVersion": "7",
                             "ownerReferences": [{"kind": "PetSet", "blockOwnerDeletion": true}]},
                "immutable": false,
                "apiVersion": "v1", "kind": "ConfigMap",
            })
        );
        let options = k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions {
            grace_period_seconds: Some(0),
            dry_run: vec!["All".into()],
            ..Default::default()
        };
        let object =
            decode_object(&envelope("v1", "DeleteOptions", options.encode_to_vec())).unwrap();
        assert_eq!(object["gracePeriodSeconds"], 0);
        assert_eq!(object["dryRun"], json!(["All"]));
    }

    #[test]
    fn an_eviction_keeps_its_delete_options() {
        let eviction = k8s_pb::api::policy::v1::Eviction {
            metadata: meta("web-0"),
            delete_options: Some(k8s_pb::apimachinery::pkg::apis::meta::v1::DeleteOptions {
                grace_period_seconds: Some(5),
                ..Default::default()
            }),
        };
        let bytes = envelope("policy/v1", "Eviction", eviction.encode_to_vec());
        let object = decode_object(&bytes).unwrap();
        assert_eq!(object["metadata"]["name"], "web-0");
        assert_eq!(object["deleteOptions"]["gracePeriodSeconds"], 5);
        assert_eq!(object["kind"], "Eviction");
    }

    #[test]
    fn other_kinds_and_garbage_are_refused() {
        let err = decode_object(&envelope("apps/v1", "StatefulSet", vec![])).unwrap_err();
        assert_eq!(err.code, 415);
        assert!(
            err.message.contains("not apps/v1 StatefulSet"),
            "{}",
            err.message
        );
        assert_eq!(decode_object(b"{}").unwrap_err().code, 400);
        assert_eq!(decode_object(b"k8s\0\xff\xff").unwrap_err().code, 400);
    }
}
