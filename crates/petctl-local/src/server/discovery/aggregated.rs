//! Aggregated discovery (`apidiscovery.k8s.io` v2 and v2beta1): `/api` and
//! `/apis` answered with an APIGroupDiscoveryList when the client asks for
//! it, as kube-apiserver's
//! `staging/src/k8s.io/apiserver/pkg/endpoints/discovery/aggregated/`.
//! Built from the legacy APIResourceLists, so both forms name the same
//! resources, verbs and subresources.

use serde_json::{json, Map, Value};

use super::{groups, resource_list};

/// The aggregated form a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V2beta1,
}

impl Version {
    fn name(self) -> &'static str {
        match self {
            Version::V2 => "v2",
            Version::V2beta1 => "v2beta1",
        }
    }

    /// The Content-Type of the answer, echoing the media type chosen.
    pub fn content_type(self) -> &'static str {
        match self {
            Version::V2 => "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            Version::V2beta1 => {
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            }
        }
    }
}

/// The aggregated form `accept` asks for before any plain JSON, if any:
/// clients list the aggregated types first and fall back to
/// `application/json`. Protobuf forms are not served, so they are skipped.
pub fn negotiate(accept: &str) -> Option<Version> {
    for media in accept.split(',') {
        let mut parts = media.split(';').map(str::trim);
        let essence = parts.next().unwrap_or("");
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        if param("q") == Some("0") {
            continue;
        }
        match essence {
            "application/json" if param("g") == Some("apidiscovery.k8s.io") => {
                if param("as") != Some("APIGroupDiscoveryList") {
                    continue;
                }
                match param("v") {
                    Some("v2") => return Some(Version::V2),
                    Some("v2beta1") => return Some(Version::V2beta1),
                    _ => continue,
                }
            }
            "application/json" | "*/*" | "application/*" => return None,
            _ => continue,
        }
    }
    None
}

/// One legacy APIResourceList's resources as APIResourceDiscovery entries:
/// each resource with its subresources folded in.
fn version_entry(list: &Value, version: &str) -> Value {
    let empty = Vec::new();
    let entries = list["resources"].as_array().unwrap_or(&empty);
    let mut resources: Vec<Map<String, Value>> = Vec::new();
    for entry in entries {
        let name = entry["name"].as_str().unwrap_or("");
        let kind = |e: &Value| {
            json!({
                "group": e.get("group").cloned().unwrap_or(json!("")),
                "kind": e["kind"],
                "version": e.get("version").cloned().unwrap_or(json!("")),
            })
        };
        if let Some((parent, sub)) = name.split_once('/') {
            let sub =
                json!({"subresource": sub, "responseKind": kind(entry), "verbs": entry["verbs"]});
            if let Some(resource) = resources.iter_mut().find(|r| r["resource"] == parent) {
                if let Some(Value::Array(subs)) = resource.get_mut("subresources") {
                    subs.push(sub);
                } else {
                    resource.insert("subresources".into(), json!([sub]));
                }
            }
            continue;
        }
        let scope = if entry["namespaced"] == true {
            "Namespaced"
        } else {
            "Cluster"
        };
        let mut resource = Map::new();
        resource.insert("resource".into(), json!(name));
        resource.insert("responseKind".into(), kind(entry));
        resource.insert("scope".into(), json!(scope));
        resource.insert("singularResource".into(), entry["singularName"].clone());
        resource.insert("verbs".into(), entry["verbs"].clone());
        for optional in ["shortNames", "categories"] {
            if let Some(value) = entry.get(optional) {
                resource.insert(optional.into(), value.clone());
            }
        }
        resources.push(resource);
    }
    json!({"version": version, "resources": resources, "freshness": "Current"})
}

fn group_entry(name: Option<&str>, versions: &[&str]) -> Value {
    let group = name.unwrap_or("");
    let versions: Vec<Value> = versions
        .iter()
        .filter_map(|v| resource_list(group, v).map(|list| version_entry(&list, v)))
        .collect();
    let metadata = match name {
        Some(name) => json!({"name": name, "creationTimestamp": null}),
        None => json!({"creationTimestamp": null}),
    };
    json!({"metadata": metadata, "versions": versions})
}

fn list(version: Version, items: Vec<Value>) -> Value {
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{}", version.name()),
        "metadata": {},
        "items": items,
    })
}

/// `/api`: the core group, which has no name.
pub fn core(version: Version) -> Value {
    list(version, vec![group_entry(None, &["v1"])])
}

/// `/apis`: every named group, its preferred version first.
pub fn named_groups(version: Version) -> Value {
    let items = groups()
        .iter()
        .map(|(name, versions)| group_entry(Some(name), versions))
        .collect();
    list(version, items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_headers_pick_the_aggregated_form() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,\
                       application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,\
                       application/json";
        assert_eq!(negotiate(kubectl), Some(Version::V2));
        let old = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(negotiate(old), Some(Version::V2beta1));
        assert_eq!(negotiate("application/json, */*"), None);
        assert_eq!(negotiate(""), None);
    }

    #[test]
    fn resources_fold_their_subresources() {
        let apis = named_groups(Version::V2);
        assert_eq!(apis["apiVersion"], "apidiscovery.k8s.io/v2");
        let apps = &apis["items"][0];
        assert_eq!(apps["metadata"]["name"], "apps");
        assert_eq!(apps["versions"][0]["version"], "v1");
        let sts = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "statefulsets")
            .unwrap();
        assert_eq!(sts["scope"], "Namespaced");
        assert_eq!(sts["shortNames"], json!(["sts"]));
        assert_eq!(sts["subresources"][0]["subresource"], "scale");
        assert_eq!(
            sts["subresources"][0]["responseKind"],
            json!({"group": "autoscaling", "kind": "Scale", "version": "v1"})
        );
        let core = core(Version::V2beta1);
        assert!(core["items"][0]["metadata"].get("name").is_none());
    }
}
