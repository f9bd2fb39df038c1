//! `create`: sends manifests in a safe order — governing Services first,
//! then sets, then everything else — converting PetSets and older
//! StatefulSets to what the server serves. One object failing does not stop
//! the others; the outcome lists each. Each POST is safe to retry (see
//! [`super::create_retry`]).

use serde_json::Value;

use crate::client::discovery::{self, Served};
use crate::client::request::{path, WriteParams};
use crate::client::{Client, Error};
use crate::kinds::{self, KindInfo};
use crate::manifest::convert::{self, Target};
use crate::manifest::Document;

/// `--dry-run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DryRun {
    #[default]
    None,
    /// Print what would be sent; send nothing.
    Client,
    /// Send with `dryRun=All`: the server validates but stores nothing.
    Server,
}

#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// The namespace for objects that name none.
    pub namespace: String,
    /// `-n` was given: a manifest naming another namespace is an error.
    pub namespace_flag: bool,
    pub dry_run: DryRun,
    /// `--no-convert`: refuse, rather than convert, a PetSet the server
    /// cannot take.
    pub no_convert: bool,
}

/// One object to send.
#[derive(Debug, Clone)]
pub struct Planned {
    pub file: String,
    pub object: Value,
    pub namespace: Option<String>,
}

/// What planning decided, before anything is sent.
#[derive(Debug, Default)]
pub struct Plan {
    pub objects: Vec<Planned>,
    /// Conversions made, one line each.
    pub notices: Vec<String>,
    /// Problems that fail the objects concerned, e.g. a StatefulSet for a
    /// PetSet-only server.
    pub refused: Vec<(Planned, String)>,
}

fn order(doc: &Document) -> u8 {
    match doc.kind() {
        "Namespace" => 0,
        "Service" => 1,
        "PetSet" | "StatefulSet" => 2,
        _ => 3,
    }
}

fn label(kind: &str, name: &str) -> String {
    format!("{} {name:?}", kind.to_ascii_lowercase())
}

/// Orders the documents and decides, from what the server serves, which
/// sets to convert. Pure.
pub fn plan(documents: &[Document], served: &Served, options: &CreateOptions) -> Plan {
    let mut docs: Vec<&Document> = documents.iter().collect();
    docs.sort_by_key(|d| order(d));
    let mut plan = Plan::default();
    for doc in docs {
        let planned = Planned {
            file: doc.file.to_string(),
            object: doc.value.clone(),
            namespace: doc.namespace().map(str::to_string),
        };
        let what = label(doc.kind(), doc.name());
        let modern = served.statefulset_version() == Some("apps/v1");
        let decision = match (doc.kind(), doc.api_version()) {
            ("PetSet", _) if !served.petsets() => Some(if options.no_convert {
                Err(format!("{what}: the server does not serve PetSets (apps/v1alpha1), and --no-convert forbids converting it to a StatefulSet"))
            } else if modern {
                Ok(format!("{what}: the server has no PetSets; creating it as an apps/v1 StatefulSet (see petctl migrate)"))
            } else {
                Err(format!(
                    "{what}: the server serves neither PetSets nor apps/v1 StatefulSets"
                ))
            }),
            ("StatefulSet", version) if !served.serves(version, "statefulsets") => Some(
                if served.petsets() && served.statefulset_version().is_none() {
                    Err(format!("{what}: this server serves PetSets (apps/v1alpha1, Kubernetes 1.3/1.4) and no StatefulSets; write the set as a PetSet"))
                } else if modern && !options.no_convert {
                    Ok(format!(
                        "{what}: the server does not serve {version}; creating it as apps/v1"
                    ))
                } else {
                    Err(format!(
                        "{what}: the server does not serve StatefulSets in {version}"
                    ))
                },
            ),
            _ => None,
        };
        match decision {
            None => plan.objects.push(planned),
            Some(Err(reason)) => plan.refused.push((planned, reason)),
            Some(Ok(notice)) => match convert::convert(doc, Target::AppsV1) {
                Ok(converted) => {
                    plan.notices.push(notice);
                    plan.objects.push(Planned {
                        object: converted.value,
                        ..planned
                    });
                }
                Err(diagnostic) => plan.refused.push((planned, diagnostic.to_string())),
            },
        }
    }
    plan
}

/// The result for one object.
#[derive(Debug)]
pub struct Created {
    pub file: String,
    /// `petset.apps/web`, as kubectl names it.
    pub display: String,
    pub result: Result<Value, String>,
}

/// Where an object goes: its kind (if petctl knows it) and URL.
async fn target(
    client: &Client,
    object: &Value,
    namespace: &str,
) -> Result<(String, String, Option<&'static KindInfo>), String> {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    if let Some(info) = kinds::by_api_version(api_version, kind) {
        let display = if info.group.is_empty() {
            info.singular.to_string()
        } else {
            format!("{}.{}", info.singular, info.group)
        };
        return Ok((display, path(info, Some(namespace), None, None), Some(info)));
    }
    match discovery::resource(client, api_version, kind).await {
        Ok(Some((plural, namespaced))) => {
            let base = if api_version.contains('/') {
                format!("/apis/{api_version}")
            } else {
                format!("/api/{api_version}")
            };
            let url = if namespaced {
                format!("{base}/namespaces/{namespace}/{plural}")
            } else {
                format!("{base}/{plural}")
            };
            let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
            let singular = kind.to_ascii_lowercase();
            let display = if group.is_empty() {
                singular
            } else {
                format!("{singular}.{group}")
            };
            Ok((display, url, None))
        }
        Ok(None) => Err(format!(
            "no matches for kind {kind:?} in version {api_version:?}"
        )),
        Err(err) => Err(err.to_string()),
    }
}

/// Sends every planned object, in order. A failure is recorded and the
/// rest still go ahead.
pub async fn create(client: &Client, plan: &Plan, options: &CreateOptions) -> Vec<Created> {
    let mut results = Vec::new();
    for (planned, reason) in &plan.refused {
        results.push(Created {
            file: planned.file.clone(),
            display: format!(
                "{}/{}",
                planned.object["kind"]
                    .as_str()
                    .unwrap_or("")
                    .to_ascii_lowercase(),
                planned
                    .object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            ),
            result: Err(reason.clone()),
        });
    }
    for planned in &plan.objects {
        let name = planned
            .object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let namespace = planned
            .namespace
            .clone()
            .unwrap_or_else(|| options.namespace.clone());
        let (display, url, _) = match target(client, &planned.object, &namespace).await {
            Ok(t) => t,
            Err(reason) => {
                results.push(Created {
                    file: planned.file.clone(),
                    display: format!(
                        "{}/{name}",
                        planned.object["kind"]
                            .as_str()
                            .unwrap_or("")
                            .to_ascii_lowercase()
                    ),
                    result: Err(reason),
                });
                continue;
            }
        };
        let display = format!("{display}/{name}");
        if let (Some(ns), true) = (&planned.namespace, options.namespace_flag) {
            if *ns != options.namespace {
                results.push(Created {
                    file: planned.file.clone(),
                    display,
                    result: Err(format!(
                        "the namespace from the provided object {ns:?} does not match the namespace {:?}. You must pass '--namespace={ns}' to perform this operation.",
                        options.namespace
                    )),
                });
                continue;
            }
        }
        if options.dry_run == DryRun::Client {
            results.push(Created {
                file: planned.file.clone(),
                display,
                result: Ok(planned.object.clone()),
            });
            continue;
        }
        let params = WriteParams {
            dry_run: options.dry_run == DryRun::Server,
            field_validation: Some("Strict".into()),
            ..Default::default()
        };
        let result = super::create_retry::create(
            &client.api_at(url),
            (!name.is_empty()).then_some(name),
            &planned.object,
            &params,
        )
        .await
        .map_err(|err| describe_error(&err, &planned.file));
        results.push(Created {
            file: planned.file.clone(),
            display,
            result,
        });
    }
    results
}

/// kubectl's wording: `Error from server (Reason): error when creating
/// "FILE": message` for the server's refusals.
fn describe_error(err: &Error, file: &str) -> String {
    match err {
        Error::Api { status, .. } if !status.reason.is_empty() => format!(
            "Error from server ({}): error when creating {file:?}: {}",
            status.reason, status.message
        ),
        other => other.to_string(),
    }
}

/// The sets that name a governing Service that neither the manifests nor
/// the server have: `(set label, service name)`.
pub async fn missing_services(
    client: &Client,
    plan: &Plan,
    namespace: &str,
) -> Vec<(String, String)> {
    let mut missing = Vec::new();
    let Some(services) = kinds::by_name("services") else {
        return missing;
    };
    for planned in &plan.objects {
        let o = &planned.object;
        if !matches!(o["kind"].as_str(), Some("PetSet" | "StatefulSet")) {
            continue;
        }
        let Some(service) = o
            .pointer("/spec/serviceName")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let ns = planned.namespace.as_deref().unwrap_or(namespace);
        let in_manifests = plan.objects.iter().any(|p| {
            p.object["kind"] == "Service"
                && p.object.pointer("/metadata/name").and_then(Value::as_str) == Some(service)
                && p.namespace.as_deref().unwrap_or(namespace) == ns
        });
        if in_manifests {
            continue;
        }
        if let Err(err) = client.api(services, Some(ns)).get::<Value>(service).await {
            if err.is_not_found() {
                let name = o
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                missing.push((
                    label(o["kind"].as_str().unwrap_or(""), name),
                    service.to_string(),
                ));
            }
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FieldPath, Locations};
    use serde_json::json;
    use std::sync::Arc;

    fn doc(value: Value) -> Document {
        Document {
            file: Arc::from("m.yaml"),
            value,
            locations: Arc::new(Locations::default()),
            base: FieldPath::root(),
        }
    }

    fn petset() -> Document {
        doc(
            json!({"apiVersion": "apps/v1alpha1", "kind": "PetSet", "metadata": {"name": "web"},
            "spec": {"serviceName": "nginx", "replicas": 2, "template": {"metadata": {"labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}}}}),
        )
    }

    fn served(pairs: &[(&str, &str)]) -> Served {
        Served {
            resources: pairs
                .iter()
                .map(|(gv, r)| (gv.to_string(), vec![r.to_string()]))
                .collect(),
        }
    }

    #[test]
    fn services_go_first() {
        let svc =
            doc(json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx"}}));
        let cm = doc(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
        let plan = plan(
            &[cm, petset(), svc],
            &served(&[("apps/v1alpha1", "petsets")]),
            &CreateOptions::default(),
        );
        let kinds: Vec<_> = plan
            .objects
            .iter()
            .map(|p| p.object["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["Service", "PetSet", "ConfigMap"]);
        assert!(plan.notices.is_empty());
    }

    #[test]
    fn petsets_convert_for_modern_servers() {
        let plan = plan(
            &[petset()],
            &served(&[("apps/v1", "statefulsets")]),
            &CreateOptions::default(),
        );
        assert_eq!(plan.objects[0].object["apiVersion"], "apps/v1");
        assert_eq!(plan.objects[0].object["kind"], "StatefulSet");
        assert_eq!(plan.notices, vec!["petset \"web\": the server has no PetSets; creating it as an apps/v1 StatefulSet (see petctl migrate)"]);
        let refused = super::plan(
            &[petset()],
            &served(&[("apps/v1", "statefulsets")]),
            &CreateOptions {
                no_convert: true,
                ..Default::default()
            },
        );
        assert!(refused.objects.is_empty());
        assert!(refused.refused[0].1.contains("--no-convert"));
    }

    #[test]
    fn statefulsets_are_refused_by_petset_only_servers() {
        let sts = doc(
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}}),
        );
        let plan = plan(
            &[sts],
            &served(&[("apps/v1alpha1", "petsets")]),
            &CreateOptions::default(),
        );
        assert_eq!(plan.refused[0].1, "statefulset \"web\": this server serves PetSets (apps/v1alpha1, Kubernetes 1.3/1.4) and no StatefulSets; write the set as a PetSet");
    }
}
