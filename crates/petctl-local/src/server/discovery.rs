//! Discovery documents (`/version`, `/api`, `/apis`, `/apis/{group}`, and the
//! APIResourceLists), generated from the kinds table.

use serde_json::{json, Value};

use petctl_model::kinds::{self, KindInfo};

/// The Kubernetes version the local control plane answers like.
pub const GIT_VERSION: &str = "v1.33.0-petctl";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": format!("{}/{}", std::env::consts::OS, goarch()),
    })
}

fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `/api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// The non-core groups, each with its versions, the first served version
/// in the table being the preferred one.
fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for kind in kinds::KINDS.iter().filter(|k| !k.group.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == kind.group) {
            Some((_, versions)) if versions.contains(&kind.version) => {}
            Some((_, versions)) => versions.push(kind.version),
            None => groups.push((kind.group, vec![kind.version])),
        }
    }
    groups
}

fn group_doc(name: &str, versions: &[&str]) -> Value {
    let entry = |v: &str| json!({"groupVersion": format!("{name}/{v}"), "version": v});
    let preferred = versions.first().map(|v| entry(v)).unwrap_or(Value::Null);
    json!({
        "name": name,
        "versions": versions.iter().map(|v| entry(v)).collect::<Vec<_>>(),
        "preferredVersion": preferred,
    })
}

/// `/apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups().iter().map(|(g, v)| group_doc(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`.
pub fn group(name: &str) -> Option<Value> {
    let (name, versions) = groups().into_iter().find(|(g, _)| *g == name)?;
    let mut doc = group_doc(name, &versions);
    if let Some(map) = doc.as_object_mut() {
        map.insert("kind".into(), json!("APIGroup"));
        map.insert("apiVersion".into(), json!("v1"));
    }
    Some(doc)
}

fn resource_entry(kind: &KindInfo) -> Value {
    let mut entry = json!({
        "name": kind.plural,
        "singularName": kind.singular,
        "namespaced": kind.namespaced,
        "kind": kind.kind,
        "verbs": kind.verbs,
    });
    if let Some(map) = entry.as_object_mut() {
        if !kind.short_names.is_empty() {
            map.insert("shortNames".into(), json!(kind.short_names));
        }
        // `kubectl get all`: the workload kinds, as in kube-apiserver.
        if matches!(kind.kind, "Pod" | "Service" | "StatefulSet" | "PetSet") {
            map.insert("categories".into(), json!(["all"]));
        }
    }
    entry
}

fn subresource_entry(kind: &KindInfo, sub: &str) -> Value {
    let mut entry = json!({
        "name": format!("{}/{sub}", kind.plural),
        "singularName": "",
        "namespaced": kind.namespaced,
        "kind": kind.kind,
        "verbs": match sub {
            "log" => json!(["get"]),
            "finalize" => json!(["update"]),
            "token" => json!(["create"]),
            _ => json!(["get", "patch", "update"]),
        },
    });
    let other_kind = match sub {
        "scale" => Some(("autoscaling", "Scale")),
        "token" => Some(("authentication.k8s.io", "TokenRequest")),
        _ => None,
    };
    if let (Some((group, kind)), Some(map)) = (other_kind, entry.as_object_mut()) {
        map.insert("group".into(), json!(group));
        map.insert("version".into(), json!("v1"));
        map.insert("kind".into(), json!(kind));
    }
    entry
}

/// `/api/v1` or `/apis/{group}/{version}`.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for kind in kinds::in_group_version(group, version) {
        resources.push(resource_entry(kind));
        for sub in kind.subresources {
            resources.push(subresource_entry(kind, sub));
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

/// The hash clients cache OpenAPI documents by; the documents only change
/// with the kinds table, i.e. with the petctl version.
const OPENAPI_HASH: &str = env!("CARGO_PKG_VERSION");

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: where each group/version's document is.
pub fn openapi_v3_root() -> Value {
    let mut paths = serde_json::Map::new();
    for kind in kinds::KINDS {
        let path = gv_path(kind.group, kind.version);
        paths.entry(path.clone()).or_insert_with(
            || json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={OPENAPI_HASH}")}),
        );
    }
    json!({"paths": paths})
}

/// `/openapi/v3/apis/{group}/{version}`: the operations of each kind, with
/// the `x-kubernetes-group-version-kind` extension and the query parameters
/// kubectl looks for (it validates on the server, with `fieldValidation`,
/// when the PATCH operation of the kind lists that parameter).
pub fn openapi_v3(group: &str, version: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    for kind in kinds::in_group_version(group, version) {
        let gvk = json!({"group": kind.group, "version": kind.version, "kind": kind.kind});
        let scope = if kind.namespaced {
            "namespaces/{namespace}/"
        } else {
            ""
        };
        let base = format!("/{}/{scope}{}", gv_path(group, version), kind.plural);
        let write_params = json!([
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let operation = |verb: &str, action: &str, params: &Value| {
            json!({
                "operationId": format!("{verb}{}", kind.kind),
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-action": action,
                "x-kubernetes-group-version-kind": gvk,
            })
        };
        let none = json!([]);
        paths.insert(
            base.clone(),
            json!({
                "get": operation("list", "list", &none),
                "post": operation("create", "post", &write_params),
                "delete": operation("deletecollection", "deletecollection", &none),
            }),
        );
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
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": GIT_VERSION},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_prefers_v1_and_serves_v1alpha1() {
        let list = group_list();
        let apps = &list["groups"][0];
        assert_eq!(apps["name"], "apps");
        assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
        assert_eq!(apps["versions"][1]["groupVersion"], "apps/v1alpha1");
        assert_eq!(group("apps").unwrap()["kind"], "APIGroup");
        assert!(group("batch").is_none());
    }

    #[test]
    fn resource_lists_include_subresources() {
        let apps = resource_list("apps", "v1").unwrap();
        let names: Vec<&str> = apps["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "statefulsets",
                "statefulsets/status",
                "statefulsets/scale",
                "controllerrevisions"
            ]
        );
        assert_eq!(apps["resources"][2]["kind"], "Scale");
        assert_eq!(apps["resources"][0]["shortNames"][0], "sts");
        let core = resource_list("", "v1").unwrap();
        assert_eq!(core["groupVersion"], "v1");
        assert!(resource_list("apps", "v2").is_none());
    }

    #[test]
    fn openapi_v3_lists_patch_with_field_validation() {
        let root = openapi_v3_root();
        assert_eq!(
            root["paths"]["apis/apps/v1alpha1"]["serverRelativeURL"],
            format!("/openapi/v3/apis/apps/v1alpha1?hash={OPENAPI_HASH}")
        );
        let doc = openapi_v3("apps", "v1alpha1").unwrap();
        let patch =
            &doc["paths"]["/apis/apps/v1alpha1/namespaces/{namespace}/petsets/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "PetSet");
        assert_eq!(patch["parameters"][2]["name"], "fieldValidation");
        assert!(openapi_v3("", "v1").unwrap()["paths"]["/api/v1/nodes/{name}"].is_object());
        assert!(openapi_v3("batch", "v1").is_none());
    }
}
