//! Discovery documents (`/version`, `/api`, `/apis`, `/apis/{group}`, and the
//! APIResourceLists), generated from the kinds table; the aggregated form in
//! [`aggregated`].

pub mod aggregated;

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
            "token" | "eviction" => json!(["create"]),
            "exec" | "attach" => json!(["create", "get"]),
            _ => json!(["get", "patch", "update"]),
        },
    });
    let other_kind = match sub {
        "scale" => Some(("autoscaling", "Scale")),
        "token" => Some(("authentication.k8s.io", "TokenRequest")),
        "eviction" => Some(("policy", "Eviction")),
        _ => None,
    };
    let options_kind = match sub {
        "exec" => Some("PodExecOptions"),
        "attach" => Some("PodAttachOptions"),
        _ => None,
    };
    if let (Some(kind), Some(map)) = (options_kind, entry.as_object_mut()) {
        map.insert("kind".into(), json!(kind));
    }
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
    // kube-apiserver lists resources and subresources by name
    // (api/discovery/api__v1.json, apis__apps__v1.json).
    resources.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
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
                "controllerrevisions",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
            ]
        );
        assert_eq!(apps["resources"][2]["kind"], "Scale");
        assert_eq!(apps["resources"][1]["shortNames"][0], "sts");
        let core = resource_list("", "v1").unwrap();
        assert_eq!(core["groupVersion"], "v1");
        assert!(resource_list("apps", "v2").is_none());
    }
}
