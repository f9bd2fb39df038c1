//! Every corpus manifest parses into the documents SOURCES.md lists, and the
//! location index points at the right lines.
//!
//! Validation checks: see malformed_semantic.rs / the validate helper's own
//! corpus test; this file covers reading and parsing only.

use petctl::manifest::parse::parse_file;
use petctl::manifest::{read_sources, Document, FieldPath};

use crate::support::corpus_dir;

/// Each corpus file and its documents (apiVersion kind, in order), from
/// SOURCES.md.
const FILES: &[(&str, &[&str])] = &[
    (
        "petset/contrib-cassandra.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-etcd-petset.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-mongodb.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-mysql-galera.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-redis-cache.yml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-redis.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/contrib-zookeeper.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    ("petset/k8s-e2e-mysql-galera-service.yaml", &["v1 Service"]),
    (
        "petset/k8s-e2e-mysql-galera.yaml",
        &["apps/v1alpha1 PetSet"],
    ),
    ("petset/k8s-e2e-redis-service.yaml", &["v1 Service"]),
    ("petset/k8s-e2e-redis.yaml", &["apps/v1alpha1 PetSet"]),
    ("petset/k8s-e2e-zookeeper-service.yaml", &["v1 Service"]),
    ("petset/k8s-e2e-zookeeper.yaml", &["apps/v1alpha1 PetSet"]),
    (
        "petset/k8s-examples-cassandra-petset.yaml",
        &["apps/v1alpha1 PetSet"],
    ),
    (
        "petset/k8s-examples-cockroachdb-petset.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/petctl-keystore-blank-separators.yaml",
        &["v1 Service", "v1 Secret", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/petctl-ledger-shared-claim.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/petctl-queue-registry-port.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/petctl-replicated-db-labelled-claims.yaml",
        &["apps/v1alpha1 PetSet"],
    ),
    (
        "petset/website-petset-peers.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "petset/website-petset-web.yaml",
        &["v1 Service", "apps/v1alpha1 PetSet"],
    ),
    (
        "statefulset/k8s-e2e-cassandra.yaml",
        &["apps/v1 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-cockroachdb.yaml",
        &["apps/v1 StatefulSet"],
    ),
    ("statefulset/k8s-e2e-etcd.yaml", &["apps/v1 StatefulSet"]),
    (
        "statefulset/k8s-e2e-multivolumezk.yaml",
        &["apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-mysql-galera.yaml",
        &["apps/v1 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-mysql-upgrade.yaml",
        &[
            "apps/v1beta1 StatefulSet",
            "policy/v1beta1 PodDisruptionBudget",
        ],
    ),
    (
        "statefulset/k8s-e2e-nginx.yaml",
        &["apps/v1beta2 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-petsetdir-cockroachdb-v1beta1.yaml",
        &["apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-redis.yaml",
        &["apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/k8s-e2e-zookeeper.yaml",
        &["apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/k8s-examples-cockroachdb-statefulset.yaml",
        &[
            "v1 Service",
            "v1 Service",
            "policy/v1beta1 PodDisruptionBudget",
            "apps/v1beta1 StatefulSet",
        ],
    ),
    (
        "statefulset/website-cassandra-statefulset.yaml",
        &["apps/v1 StatefulSet", "storage.k8s.io/v1 StorageClass"],
    ),
    (
        "statefulset/website-mysql-statefulset.yaml",
        &["apps/v1 StatefulSet"],
    ),
    (
        "statefulset/website-statefulset-peers.yaml",
        &["v1 Service", "apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/website-statefulset-vm.yaml",
        &["v1 Service", "apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/website-tutorial-web-v1beta1.yaml",
        &["v1 Service", "apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/website-userguide-petset-renamed.yaml",
        &["v1 Service", "apps/v1beta1 StatefulSet"],
    ),
    (
        "statefulset/website-web-parallel.yaml",
        &["v1 Service", "apps/v1 StatefulSet"],
    ),
    (
        "statefulset/website-web.yaml",
        &["v1 Service", "apps/v1 StatefulSet"],
    ),
];

fn parse(relative: &str) -> Vec<Document> {
    let path = corpus_dir().join(relative);
    let files = read_sources(&[path.to_string_lossy().into_owned()])
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    files
        .iter()
        .flat_map(|f| parse_file(f).unwrap_or_else(|e| panic!("{relative}: {e}")))
        .collect()
}

#[test]
fn every_corpus_file_parses_into_its_documents() {
    for (file, want) in FILES {
        let got: Vec<String> = parse(file)
            .iter()
            .map(|d| format!("{} {}", d.api_version(), d.kind()))
            .collect();
        assert_eq!(got, *want, "{file}");
    }
}

#[test]
fn the_table_covers_the_whole_corpus() {
    let mut on_disk = Vec::new();
    for dir in ["petset", "statefulset"] {
        for entry in std::fs::read_dir(corpus_dir().join(dir)).expect("corpus dir") {
            let name = entry.expect("entry").file_name();
            on_disk.push(format!("{dir}/{}", name.to_string_lossy()));
        }
    }
    on_disk.sort();
    let listed: Vec<String> = FILES.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(on_disk, listed);
}

#[test]
fn locations_point_at_the_fields() {
    // (file, document, field path, line, column), checked by hand.
    let cases = [
        ("petset/website-petset-web.yaml", 0, "", 2, 1),
        (
            "petset/website-petset-web.yaml",
            0,
            "spec.ports[0].name",
            11,
            5,
        ),
        ("petset/website-petset-web.yaml", 0, "spec.clusterIP", 13, 3),
        ("petset/website-petset-web.yaml", 1, "", 17, 1),
        ("petset/website-petset-web.yaml", 1, "spec.replicas", 23, 3),
        (
            "petset/website-petset-web.yaml",
            1,
            "spec.template.metadata.annotations[pod.alpha.kubernetes.io/initialized]",
            29,
            9,
        ),
        (
            "petset/website-petset-web.yaml",
            1,
            "spec.template.spec.containers[0]",
            33,
            9,
        ),
        (
            "petset/website-petset-web.yaml",
            1,
            "spec.template.spec.containers[0].image",
            34,
            9,
        ),
        (
            "petset/website-petset-web.yaml",
            1,
            "spec.template.spec.containers[0].command[0]",
            39,
            11,
        ),
        (
            "petset/petctl-keystore-blank-separators.yaml",
            2,
            "spec.replicas",
            35,
            3,
        ),
        // After an init-containers annotation whose closing line is not
        // indented past its key (libyaml accepts it, yaml-rust2 needs help).
        (
            "petset/k8s-e2e-redis.yaml",
            0,
            "spec.template.spec.containers[0]",
            62,
            9,
        ),
        (
            "petset/k8s-e2e-redis.yaml",
            0,
            "spec.template.spec.containers[0].image",
            63,
            9,
        ),
        (
            "petset/k8s-examples-cassandra-petset.yaml",
            0,
            "apiVersion",
            1,
            1,
        ),
        (
            "petset/k8s-examples-cassandra-petset.yaml",
            0,
            "spec.template.spec.containers[0].resources.requests.cpu",
            33,
            12,
        ),
        (
            "statefulset/k8s-examples-cockroachdb-statefulset.yaml",
            2,
            "spec.minAvailable",
            67,
            3,
        ),
        (
            "statefulset/k8s-examples-cockroachdb-statefulset.yaml",
            3,
            "spec.replicas",
            75,
            3,
        ),
        (
            "statefulset/website-tutorial-web-v1beta1.yaml",
            1,
            "spec.replicas",
            22,
            3,
        ),
    ];
    for (file, index, path, line, column) in cases {
        let docs = parse(file);
        let doc = &docs[index];
        let at = doc.locate(&FieldPath::parse(path));
        assert_eq!(
            (at.line, at.column),
            (line, column),
            "{file} document {index} {path}"
        );
    }
}

#[test]
fn values_keep_their_types() {
    let docs = parse("petset/website-petset-web.yaml");
    let set = &docs[1].value;
    assert_eq!(set["spec"]["replicas"], serde_json::json!(2));
    assert_eq!(
        set["spec"]["template"]["metadata"]["annotations"]["pod.alpha.kubernetes.io/initialized"],
        serde_json::json!("true")
    );
    let docs = parse("statefulset/k8s-examples-cockroachdb-statefulset.yaml");
    assert_eq!(
        docs[2].value["spec"]["minAvailable"],
        serde_json::json!("67%")
    );
}
