//! Every PetSet and StatefulSet of the corpus converts to an apps/v1
//! StatefulSet that passes petctl's validation and has no field the apps/v1
//! schema lacks; for the conversion pairs of SOURCES.md the result agrees
//! with the human-converted file on every field the conversion touches.

use std::path::{Path, PathBuf};

use petctl::manifest::convert::{convert, Target};
use petctl::manifest::validate::validate;
use petctl::manifest::{parse, read_sources, Document, ValidationMode};
use serde_json::{Map, Value};

use crate::support::corpus_dir;

fn documents(path: &Path) -> Vec<Document> {
    let name = path.display().to_string();
    let files = read_sources(std::slice::from_ref(&name))
        .unwrap_or_else(|err| panic!("cannot read {name}: {err}"));
    files
        .iter()
        .flat_map(|file| {
            parse::parse_file(file).unwrap_or_else(|err| panic!("cannot parse {name}: {err}"))
        })
        .collect()
}

fn is_set(doc: &Document) -> bool {
    matches!(
        (doc.api_version(), doc.kind()),
        ("apps/v1alpha1", "PetSet")
            | ("apps/v1beta1", "StatefulSet")
            | ("apps/v1beta2", "StatefulSet")
            | ("apps/v1", "StatefulSet")
    )
}

fn corpus_files() -> Vec<PathBuf> {
    crate::support::corpus_files(&["yaml", "yml", "json"])
}

/// The paths of `value`'s fields that `schema` (a JSON schema generated from
/// the k8s-openapi types, with `$ref`s into `defs`) does not have.
fn fields_missing_from_schema(
    value: &Value,
    schema: &Value,
    defs: &Map<String, Value>,
    path: &str,
    missing: &mut Vec<String>,
) {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => match reference
            .strip_prefix("#/$defs/")
            .and_then(|name| defs.get(name))
        {
            Some(target) => target,
            None => panic!("unresolved schema reference {reference}"),
        },
        None => schema,
    };
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (key, field) in fields {
                let at = format!("{path}.{key}");
                match (properties.and_then(|p| p.get(key)), additional) {
                    (Some(sub), _) | (None, Some(sub)) => {
                        fields_missing_from_schema(field, sub, defs, &at, missing)
                    }
                    (None, None) if properties.is_some() => missing.push(at),
                    (None, None) => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    fields_missing_from_schema(item, sub, defs, &format!("{path}[{i}]"), missing);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn every_set_in_the_corpus_converts_to_a_valid_apps_v1_statefulset() {
    let schema = serde_json::to_value(schemars::schema_for!(
        k8s_openapi::api::apps::v1::StatefulSet
    ))
    .unwrap_or_default();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for path in corpus_files() {
        for doc in documents(&path).iter().filter(|d| is_set(d)) {
            *seen.entry(doc.api_version().to_string()).or_default() += 1;
            let what = format!("{}: {} {:?}", path.display(), doc.kind(), doc.name());
            let converted = match convert(doc, Target::AppsV1) {
                Ok(converted) => converted,
                Err(err) => {
                    failures.push(format!("{what}: conversion failed: {err}"));
                    continue;
                }
            };
            let result = Document {
                value: converted.value,
                ..doc.clone()
            };
            assert_eq!(result.api_version(), "apps/v1", "{what}");
            assert_eq!(result.kind(), "StatefulSet", "{what}");
            assert!(
                result.value.pointer("/spec/selector/matchLabels").is_some(),
                "{what}: no selector"
            );
            let report = validate(&result, ValidationMode::Strict);
            for error in report.errors {
                failures.push(format!("{what}: invalid: {error}"));
            }
            let mut missing = Vec::new();
            fields_missing_from_schema(&result.value, &schema, &defs, "", &mut missing);
            for field in missing {
                failures.push(format!("{what}: apps/v1 has no field {field}"));
            }
            let text = result.value.to_string();
            for successor_of in [
                "pod.alpha.kubernetes.io/init-containers",
                "pod.beta.kubernetes.io/init-containers",
                "volume.alpha.kubernetes.io/storage-class",
                "volume.beta.kubernetes.io/storage-class",
                "scheduler.alpha.kubernetes.io/affinity",
            ] {
                if text.contains(successor_of) {
                    failures.push(format!("{what}: still has annotation {successor_of}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The sets in the corpus as it stands (SOURCES.md's totals also count
    // files that were not copied); apps/v1 files without a selector get one.
    let seen: Vec<(&str, usize)> = seen.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        seen,
        [
            ("apps/v1", 8),
            ("apps/v1alpha1", 18),
            ("apps/v1beta1", 10),
            ("apps/v1beta2", 1)
        ]
    );
}

/// What a set means for the fields conversion touches, read the way its own
/// apiVersion read them.
#[derive(Debug, PartialEq)]
struct Effective {
    selector: Value,
    /// (name, image, command) of each init container, with the registry
    /// gcr.io/google_containers renamed to k8s.gcr.io as it was in 2018.
    init_containers: Vec<(String, String, Value)>,
    /// (claim name, storage class or None for the default class).
    storage_classes: Vec<(String, Option<String>)>,
    affinity: Value,
    update_strategy: Option<Value>,
    pod_management_policy: Option<Value>,
}

fn effective(set: &Value) -> Effective {
    let spec = &set["spec"];
    let template = &spec["template"];
    let annotations = &template["metadata"]["annotations"];
    let from_json = |key: &str| {
        annotations[key]
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
    };
    let selector = match spec.pointer("/selector/matchLabels") {
        Some(labels) => labels.clone(),
        None => template["metadata"]["labels"].clone(),
    };
    let init = match template["spec"].get("initContainers") {
        Some(list) => Some(list.clone()),
        None => from_json("pod.beta.kubernetes.io/init-containers")
            .or_else(|| from_json("pod.alpha.kubernetes.io/init-containers")),
    };
    let init_containers = init
        .as_ref()
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| {
                    let image = c["image"].as_str().unwrap_or_default();
                    (
                        c["name"].as_str().unwrap_or_default().to_string(),
                        image.replace("gcr.io/google_containers/", "k8s.gcr.io/"),
                        c["command"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let storage_classes = spec["volumeClaimTemplates"]
        .as_array()
        .map(|claims| {
            claims
                .iter()
                .map(|claim| {
                    let beta = claim["metadata"]["annotations"]
                        ["volume.beta.kubernetes.io/storage-class"]
                        .as_str();
                    let field = claim["spec"]["storageClassName"].as_str();
                    (
                        claim["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                        beta.or(field).map(str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let affinity = match template["spec"].get("affinity") {
        Some(affinity) => affinity.clone(),
        None => from_json("scheduler.alpha.kubernetes.io/affinity").unwrap_or(Value::Null),
    };
    Effective {
        selector,
        init_containers,
        storage_classes,
        affinity,
        update_strategy: spec.get("updateStrategy").cloned(),
        pod_management_policy: spec.get("podManagementPolicy").cloned(),
    }
}

fn only_set(path: &str) -> Value {
    let full = corpus_dir().join(path);
    let sets: Vec<Value> = documents(&full)
        .into_iter()
        .filter(|d| d.kind() == "PetSet" || d.kind() == "StatefulSet")
        .map(|d| d.value)
        .collect();
    assert_eq!(sets.len(), 1, "{path}: expected one set");
    sets.into_iter().next().unwrap_or_default()
}

/// Fields a pair is not compared on, each with the reason.
#[derive(Clone, Copy, Default)]
struct Skip {
    selector: bool,
    init_containers: bool,
    storage_classes: bool,
    affinity: bool,
}

#[test]
fn conversion_pairs_agree_with_the_human_conversions() {
    let all = Skip::default();
    let pairs = [
        (
            "petset/website-petset-web.yaml",
            "statefulset/website-userguide-petset-renamed.yaml",
            all,
        ),
        (
            "petset/website-petset-web.yaml",
            "statefulset/website-tutorial-web-v1beta1.yaml",
            all,
        ),
        (
            "petset/website-petset-web.yaml",
            "statefulset/website-web.yaml",
            all,
        ),
        (
            "petset/website-petset-peers.yaml",
            "statefulset/website-statefulset-peers.yaml",
            all,
        ),
        (
            "petset/k8s-e2e-redis.yaml",
            "statefulset/k8s-e2e-redis.yaml",
            all,
        ),
        (
            "petset/k8s-e2e-zookeeper.yaml",
            "statefulset/k8s-e2e-zookeeper.yaml",
            all,
        ),
        // A new workload derived from zookeeper: the app is renamed
        // (multivolumezk, so the selector differs) and it has three claims.
        // Only its init containers came from the PetSet.
        (
            "petset/k8s-e2e-zookeeper.yaml",
            "statefulset/k8s-e2e-multivolumezk.yaml",
            Skip {
                selector: true,
                storage_classes: true,
                affinity: false,
                init_containers: false,
            },
        ),
        (
            "petset/k8s-e2e-mysql-galera.yaml",
            "statefulset/k8s-e2e-mysql-galera.yaml",
            all,
        ),
        // The StatefulSet descendants of the cockroachdb PetSet added a
        // bootstrap init container and pod anti-affinity the PetSet never
        // had: new features, not conversions.
        (
            "petset/k8s-examples-cockroachdb-petset.yaml",
            "statefulset/k8s-examples-cockroachdb-statefulset.yaml",
            Skip {
                init_containers: true,
                affinity: true,
                ..all
            },
        ),
        (
            "petset/k8s-examples-cockroachdb-petset.yaml",
            "statefulset/k8s-e2e-cockroachdb.yaml",
            Skip {
                init_containers: true,
                affinity: true,
                ..all
            },
        ),
        (
            "petset/k8s-examples-cassandra-petset.yaml",
            "statefulset/k8s-e2e-cassandra.yaml",
            all,
        ),
        // The website's cassandra relabels the app (app.kubernetes.io/name)
        // and ships its own "fast" StorageClass in the same file.
        (
            "petset/k8s-examples-cassandra-petset.yaml",
            "statefulset/website-cassandra-statefulset.yaml",
            Skip {
                selector: true,
                storage_classes: true,
                ..all
            },
        ),
        (
            "petset/contrib-etcd-petset.yaml",
            "statefulset/k8s-e2e-etcd.yaml",
            all,
        ),
    ];
    let mut failures = Vec::new();
    for (petset, human, skip) in pairs {
        let source = documents(&corpus_dir().join(petset))
            .into_iter()
            .find(|d| d.kind() == "PetSet")
            .unwrap_or_else(|| panic!("{petset}: no PetSet"));
        let ours = match convert(&source, Target::AppsV1) {
            Ok(converted) => effective(&converted.value),
            Err(err) => panic!("{petset}: {err}"),
        };
        let theirs = effective(&only_set(human));
        let mut check =
            |field: &str, skipped: bool, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
                let (a, b) = (format!("{a:?}"), format!("{b:?}"));
                if !skipped && a != b {
                    failures.push(format!(
                        "{petset} -> {human}: {field}\n  ours:  {a}\n  human: {b}"
                    ));
                }
            };
        check("selector", skip.selector, &ours.selector, &theirs.selector);
        check(
            "initContainers",
            skip.init_containers,
            &ours.init_containers,
            &theirs.init_containers,
        );
        check(
            "storageClassName",
            skip.storage_classes,
            &ours.storage_classes,
            &theirs.storage_classes,
        );
        check("affinity", skip.affinity, &ours.affinity, &theirs.affinity);
        // No human file sets these; where one does, it must agree. (The
        // apps/v1 files that leave updateStrategy out get RollingUpdate,
        // which a PetSet never did: petctl writes OnDelete on purpose.)
        if let Some(theirs) = &theirs.update_strategy {
            check(
                "updateStrategy",
                false,
                &ours.update_strategy,
                &Some(theirs.clone()),
            );
        }
        if let Some(theirs) = &theirs.pod_management_policy {
            check(
                "podManagementPolicy",
                false,
                &ours.pod_management_policy,
                &Some(theirs.clone()),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
