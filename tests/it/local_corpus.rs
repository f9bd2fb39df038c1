//! The corpus against the local control plane with the real kubectl: every
//! Service and set document (PetSets and older StatefulSets converted to
//! apps/v1 by petctl) passes `kubectl create --dry-run=server`, and the
//! nginx, zookeeper and cassandra sets, created for real, reach all-Ready.

use std::path::{Path, PathBuf};

use petctl::manifest::convert::{convert, Target};
use petctl::manifest::{parse, read_sources, Document};
use serde_json::{json, Value};

use crate::local_guide::Cluster;
use crate::support::corpus_dir;

fn corpus_files() -> Vec<PathBuf> {
    crate::support::corpus_files(&["yaml", "yml"])
}

fn is_service_or_set(doc: &Document) -> bool {
    matches!(
        (doc.api_version(), doc.kind()),
        ("v1", "Service")
            | ("apps/v1alpha1", "PetSet")
            | ("apps/v1beta1", "StatefulSet")
            | ("apps/v1beta2", "StatefulSet")
            | ("apps/v1", "StatefulSet")
    )
}

/// The file's Service and set documents, converted to apps/v1, as a List.
fn converted_list(path: &Path) -> Value {
    let name = path.display().to_string();
    let files = read_sources(std::slice::from_ref(&name))
        .unwrap_or_else(|err| panic!("cannot read {name}: {err}"));
    let mut items = Vec::new();
    for file in &files {
        for doc in
            parse::parse_file(file).unwrap_or_else(|err| panic!("cannot parse {name}: {err}"))
        {
            if is_service_or_set(&doc) {
                let converted = convert(&doc, Target::AppsV1)
                    .unwrap_or_else(|err| panic!("cannot convert {name}: {err}"));
                items.push(converted.value);
            }
        }
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items})
}

fn set_of(list: &Value) -> (String, i64) {
    let set = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["kind"] == "StatefulSet"))
        .unwrap_or_else(|| panic!("no set in {list}"));
    (
        set["metadata"]["name"].as_str().unwrap_or("").to_string(),
        set["spec"]["replicas"].as_i64().unwrap_or(1),
    )
}

#[test]
fn every_corpus_service_and_set_passes_server_dry_run() {
    let Some(k) = Cluster::start(&[]) else {
        return;
    };
    let files = corpus_files();
    assert!(files.len() >= 40, "{} corpus files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let list = converted_list(path);
        if list["items"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        let run = k.run_in(
            &["create", "--dry-run=server", "-o", "name", "-f", "-"],
            &list.to_string(),
        );
        let kinds = list["items"].as_array().map(Vec::len).unwrap_or(0);
        if run.code != 0 || run.stdout.lines().count() != kinds {
            failures.push(format!("{}:\n{run}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Nothing was created.
    assert_eq!(
        k.run(&["get", "sts,svc", "-l", "app"]).stderr,
        "No resources found in default namespace.\n"
    );
}

#[test]
fn nginx_zookeeper_and_cassandra_reach_all_ready() {
    let sim = [crate::support::FAST_SIM, crate::support::FAST_PROBES].concat();
    let Some(k) = Cluster::start(&sim) else {
        return;
    };
    for (namespace, file) in [
        ("nginx", "statefulset/website-web.yaml"),
        ("zookeeper", "statefulset/k8s-e2e-zookeeper.yaml"),
        ("cassandra", "petset/k8s-examples-cassandra-petset.yaml"),
    ] {
        let list = converted_list(&corpus_dir().join(file));
        let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}});
        k.ok_in(&["create", "-f", "-"], &ns.to_string());
        k.ok_in(&["create", "-n", namespace, "-f", "-"], &list.to_string());
        let (set, replicas) = set_of(&list);
        let ready = format!("--for=jsonpath={{.status.readyReplicas}}={replicas}");
        k.ok(&[
            "wait",
            "-n",
            namespace,
            &ready,
            &format!("sts/{set}"),
            "--timeout=120s",
        ]);
        let pods = k.json(&["pods", "-n", namespace]);
        let items = pods["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len() as i64, replicas, "{file}");
        for pod in &items {
            assert_eq!(pod["status"]["phase"], "Running", "{file}");
        }
        let claims = k.json(&["pvc", "-n", namespace]);
        let claims = claims["items"].as_array().cloned().unwrap_or_default();
        assert!(
            claims.iter().all(|c| c["status"]["phase"] == "Bound"),
            "{file}"
        );
    }
}
