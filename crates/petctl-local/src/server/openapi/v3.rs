//! `/openapi/v3` and `/openapi/v3/{api/v1 | apis/group/version}`: per
//! group/version, the operations of each kind (so kubectl sees that PATCH
//! accepts `fieldValidation` and validates on the server) and the schemas of
//! its kinds (for `kubectl explain` and client-side apply), each document
//! named in the root by the hash of its bytes, as kube-openapi's handler3.

use std::sync::OnceLock;

use ring::digest;
use serde_json::{json, Map, Value};

use super::schemas::{self, V3_REFS};
use crate::registry::patch::schema::definition_name;
use crate::server::discovery::GIT_VERSION;
use petctl_model::kinds::{self, KindInfo};

/// One served group/version's document, serialized once.
pub struct Document {
    /// `api/v1` or `apis/{group}/{version}`.
    pub path: String,
    pub bytes: Vec<u8>,
    /// Upper-case hex SHA-512 of `bytes`, as kube-openapi's `computeETag`.
    pub hash: String,
}

pub fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The served group/versions in table order.
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for kind in kinds::KINDS {
        if !out.contains(&(kind.group, kind.version)) {
            out.push((kind.group, kind.version));
        }
    }
    out
}

/// Every document, built on first use.
pub fn documents() -> &'static [Document] {
    static DOCUMENTS: OnceLock<Vec<Document>> = OnceLock::new();
    DOCUMENTS.get_or_init(|| {
        group_versions()
            .into_iter()
            .map(|(group, version)| {
                let bytes = serde_json::to_vec(&document(group, version)).unwrap_or_default();
                let hash = digest::digest(&digest::SHA512, &bytes)
                    .as_ref()
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect();
                Document {
                    path: gv_path(group, version),
                    bytes,
                    hash,
                }
            })
            .collect()
    })
}

/// The document at `api/v1` or `apis/{group}/{version}`.
pub fn find(group: &str, version: &str) -> Option<&'static Document> {
    let path = gv_path(group, version);
    documents().iter().find(|d| d.path == path)
}

/// `/openapi/v3`: where each group/version's document is.
pub fn root() -> Value {
    let paths: Map<String, Value> = documents()
        .iter()
        .map(|d| {
            let url = format!("/openapi/v3/{}?hash={}", d.path, d.hash);
            (d.path.clone(), json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

fn reference(kind: &KindInfo) -> Value {
    json!({"$ref": format!("{V3_REFS}{}", definition_name(kind))})
}

/// The operations of one kind: list, create, deletecollection (where the
/// kind serves it) on the collection; read, replace, patch, delete on an object.
fn operations(kind: &KindInfo, paths: &mut Map<String, Value>) {
    let gvk = json!({"group": kind.group, "version": kind.version, "kind": kind.kind});
    let scope = if kind.namespaced {
        "namespaces/{namespace}/"
    } else {
        ""
    };
    let base = format!(
        "/{}/{scope}{}",
        gv_path(kind.group, kind.version),
        kind.plural
    );
    let write_params = json!([
        {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
    ]);
    let object = json!({"application/json": {"schema": reference(kind)}});
    let operation = |verb: &str, action: &str, params: &Value| {
        json!({
            "operationId": format!("{verb}{}", kind.kind),
            "parameters": params,
            "responses": {"200": {"description": "OK", "content": object}},
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": gvk,
        })
    };
    let none = json!([]);
    let mut collection = json!({
        "get": operation("list", "list", &none),
        "post": operation("create", "post", &write_params),
    });
    if kind.serves("deletecollection") {
        collection["delete"] = operation("deletecollection", "deletecollection", &none);
    }
    paths.insert(base.clone(), collection);
    paths.insert(
        format!("{base}/{{name}}"),
        json!({
            "get": operation("read", "get", &none),
            "put": operation("replace", "put", &write_params),
            "patch": operation("patch", "patch", &write_params),
            "delete": operation("delete", "delete", &none),
        }),
    );
}

/// The document of one group/version.
pub fn document(group: &str, version: &str) -> Value {
    let served: Vec<&KindInfo> = kinds::in_group_version(group, version).collect();
    let mut paths = Map::new();
    for kind in &served {
        operations(kind, &mut paths);
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas::definitions(&served)},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names_each_document_by_its_hash() {
        let root = root();
        let petsets = find("apps", "v1alpha1").unwrap();
        assert_eq!(petsets.hash.len(), 128);
        assert_eq!(
            root["paths"]["apis/apps/v1alpha1"]["serverRelativeURL"],
            format!("/openapi/v3/apis/apps/v1alpha1?hash={}", petsets.hash)
        );
        assert!(find("batch", "v1").is_none());
    }

    #[test]
    fn documents_carry_schemas_and_field_validation() {
        let doc = document("apps", "v1alpha1");
        let patch =
            &doc["paths"]["/apis/apps/v1alpha1/namespaces/{namespace}/petsets/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "PetSet");
        assert_eq!(patch["parameters"][2]["name"], "fieldValidation");
        let schemas = &doc["components"]["schemas"];
        let petset = &schemas["io.k8s.api.apps.v1alpha1.PetSet"];
        assert_eq!(
            petset["x-kubernetes-group-version-kind"],
            json!([{"group": "apps", "kind": "PetSet", "version": "v1alpha1"}])
        );
        assert_eq!(
            petset["properties"]["spec"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1alpha1.PetSetSpec"
        );
        assert!(petset.get("required").is_none());
        let spec = &schemas["io.k8s.api.apps.v1alpha1.PetSetSpec"]["properties"];
        assert_eq!(spec["replicas"]["type"], "integer");
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(containers["x-kubernetes-list-map-keys"], json!(["name"]));
        let selector = &schemas["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"];
        assert_eq!(selector["x-kubernetes-map-type"], "atomic");
        let core = document("", "v1");
        assert!(core["paths"]["/api/v1/nodes/{name}"].is_object());
        let service = &core["components"]["schemas"]["io.k8s.api.core.v1.ServiceSpec"];
        assert_eq!(
            service["properties"]["selector"]["x-kubernetes-map-type"],
            "atomic"
        );
    }
}
