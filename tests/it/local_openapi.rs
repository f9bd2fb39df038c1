//! The OpenAPI documents and aggregated discovery of the local control
//! plane: `kubectl explain` on three kinds with every kubectl at hand, from
//! `/openapi/v3` and from the protobuf `/openapi/v2`, hashes and caching of
//! `/openapi/v3`, the aggregated form agreeing with the legacy lists, both
//! agreeing with upstream's recorded documents (condensed in
//! `tests/golden/`, see its README), and the namespaces collection that
//! cannot be deleted.

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use crate::support::{kubectl_or_skip, kubectl_with, repo_root, runtime, test_name, LocalServer};

/// Every group/version the local control plane serves, sorted.
const GROUP_VERSIONS: [&str; 7] = [
    "apps/v1",
    "apps/v1alpha1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "policy/v1",
    "storage.k8s.io/v1",
    "v1",
];
const AGGREGATED_V2: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// A GET with these headers; the status, headers and body.
fn get(
    server: &LocalServer,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(
            reqwest::Certificate::from_pem(
                &std::fs::read(server.state_dir().join("ca.crt")).expect("read ca.crt"),
            )
            .expect("parse ca.crt"),
        )
        .build()
        .expect("build client");
    let mut request = client
        .get(format!("{}{path}", server.url))
        .bearer_auth(server.token());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    runtime().block_on(async move {
        let response = request.send().await.expect("send request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.expect("read body");
        (status, headers, body)
    })
}

fn get_json(server: &LocalServer, path: &str, headers: &[(&str, &str)]) -> Value {
    let (status, _, body) = get(server, path, headers);
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: not JSON ({e}): {body}"))
}

fn golden(name: &str) -> Value {
    let path = repo_root().join("tests/golden").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The kubectl on PATH and the versioned ones beside it (`kubectl.1.27` …),
/// oldest first.
fn kubectls(on_path: PathBuf) -> Vec<PathBuf> {
    let real = std::fs::canonicalize(&on_path).unwrap_or(on_path.clone());
    let mut versioned: Vec<PathBuf> = real
        .parent()
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("kubectl.1."))
        })
        .collect();
    versioned.sort_by_key(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse::<u32>().ok())
    });
    versioned.insert(0, on_path);
    versioned
}

#[test]
fn kubectl_explain_reads_the_v3_and_protobuf_v2_schemas_of_three_kinds() {
    let Some(on_path) = kubectl_or_skip(&test_name()) else {
        return;
    };
    let server = LocalServer::start();
    let cases: &[ExplainCase] = &[
        (
            &["statefulset.spec.updateStrategy"],
            &[
                "KIND:       StatefulSet",
                "VERSION:    v1",
                "FIELD: updateStrategy <StatefulSetUpdateStrategy>",
                "  rollingUpdate\t<RollingUpdateStatefulSetStrategy>",
                "  type\t<string>",
            ],
        ),
        (
            &["petset.spec", "--api-version=apps/v1alpha1"],
            &[
                "KIND:       PetSet",
                "VERSION:    v1alpha1",
                "FIELD: spec <PetSetSpec>",
                "    Spec defines the desired identities of pets in this set.",
                "  serviceName\t<string>",
                "  template\t<PodTemplateSpec> -required-",
                "  volumeClaimTemplates\t<[]PersistentVolumeClaim>",
            ],
        ),
        (
            &["pods.spec.containers.ports"],
            &[
                "KIND:       Pod",
                "FIELD: ports <[]ContainerPort>",
                "  containerPort\t<integer> -required-",
                "  protocol\t<string>",
            ],
        ),
    ];
    expect_explain(&server, on_path.clone(), &[], cases);
    // `--output=plaintext-openapiv2` reads the protobuf `/openapi/v2`, so
    // its definitions (not only its operations) must be there.
    let v2_cases: &[ExplainCase] = &[
        (
            &["statefulset.spec.updateStrategy"],
            &[
                "KIND:     StatefulSet",
                "VERSION:  apps/v1",
                "RESOURCE: updateStrategy <Object>",
                "   rollingUpdate\t<Object>",
                "   type\t<string>",
            ],
        ),
        (
            &["pods.spec.containers.ports"],
            &[
                "KIND:     Pod",
                "RESOURCE: ports <[]Object>",
                "   containerPort\t<integer> -required-",
                "   protocol\t<string>",
            ],
        ),
        (
            &["petset.spec", "--api-version=apps/v1alpha1"],
            &[
                "KIND:     PetSet",
                "VERSION:  apps/v1alpha1",
                "     Spec defines the desired identities of pets in this set.",
                "   replicas\t<integer>",
            ],
        ),
    ];
    expect_explain(
        &server,
        on_path,
        &["--output=plaintext-openapiv2"],
        v2_cases,
    );
}

/// `kubectl explain` with the arguments of a case, the lines its output
/// must have.
type ExplainCase<'a> = (&'a [&'a str], &'a [&'a str]);

/// Runs every case with every kubectl at hand (`kubectl explain FLAGS
/// ARGS`) and asserts each expected line is in its output.
fn expect_explain(server: &LocalServer, on_path: PathBuf, flags: &[&str], cases: &[ExplainCase]) {
    for kubectl in kubectls(on_path) {
        for (args, lines) in cases {
            let mut full = vec!["explain"];
            full.extend_from_slice(flags);
            full.extend_from_slice(args);
            let run = kubectl_with(&kubectl, server, &full, None);
            run.expect_success();
            let got: Vec<&str> = run.stdout.lines().collect();
            for line in *lines {
                assert!(
                    got.contains(line),
                    "{} {}: no line {line:?} in\n{}",
                    kubectl.display(),
                    full.join(" "),
                    run.stdout
                );
            }
        }
    }
}

#[test]
fn kubectl_validates_fields_against_the_served_schema() {
    let Some(on_path) = kubectl_or_skip(&test_name()) else {
        return;
    };
    let server = LocalServer::start();
    let manifest = "apiVersion: apps/v1alpha1\nkind: PetSet\nmetadata:\n  name: web\nspec:\n  replicass: 2\n  serviceName: nginx\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.25\n";
    // kubectl 1.27 and 1.28 learn from the protobuf /openapi/v2 that the
    // server takes fieldValidation, so `true` validates on the server too.
    for kubectl in kubectls(on_path) {
        for validate in ["--validate=strict", "--validate=true"] {
            let run = kubectl_with(
                &kubectl,
                &server,
                &["create", validate, "--dry-run=server", "-f", "-"],
                Some(manifest.as_bytes()),
            );
            run.expect_code(1);
            assert!(
                run.stderr.contains("unknown field \"spec.replicass\""),
                "{} {validate}: {}",
                kubectl.display(),
                run.stderr
            );
        }
    }
}

/// Legacy discovery of one group/version, by resource name, as the golden
/// condenses it (no storageVersionHash).
fn legacy(server: &LocalServer, group_version: &str) -> Map<String, Value> {
    let path = if group_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{group_version}")
    };
    let list = get_json(server, &path, &[]);
    let mut out = Map::new();
    for entry in list["resources"].as_array().cloned().unwrap_or_default() {
        let mut entry = entry.as_object().cloned().unwrap_or_default();
        let name = entry.remove("name").unwrap_or_default();
        entry.remove("storageVersionHash");
        out.insert(
            name.as_str().unwrap_or("").to_string(),
            Value::Object(entry),
        );
    }
    out
}

/// The same shape, from one version of an aggregated APIGroupDiscovery.
fn from_aggregated(version: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    let kind_of = |response_kind: &Value, entry: &mut Map<String, Value>| {
        entry.insert("kind".into(), response_kind["kind"].clone());
        if response_kind["group"] != "" || response_kind["version"] != "" {
            entry.insert("group".into(), response_kind["group"].clone());
            entry.insert("version".into(), response_kind["version"].clone());
        }
    };
    for resource in version["resources"].as_array().cloned().unwrap_or_default() {
        let name = resource["resource"].as_str().unwrap_or("").to_string();
        let namespaced = resource["scope"] == "Namespaced";
        let mut entry = Map::new();
        kind_of(&resource["responseKind"], &mut entry);
        entry.insert("namespaced".into(), json!(namespaced));
        entry.insert("singularName".into(), resource["singularResource"].clone());
        entry.insert("verbs".into(), resource["verbs"].clone());
        for optional in ["shortNames", "categories"] {
            if let Some(value) = resource.get(optional) {
                entry.insert(optional.into(), value.clone());
            }
        }
        for sub in resource["subresources"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let mut sub_entry = Map::new();
            kind_of(&sub["responseKind"], &mut sub_entry);
            sub_entry.insert("namespaced".into(), json!(namespaced));
            sub_entry.insert("singularName".into(), json!(""));
            sub_entry.insert("verbs".into(), sub["verbs"].clone());
            let sub_name = format!("{name}/{}", sub["subresource"].as_str().unwrap_or(""));
            out.insert(sub_name, Value::Object(sub_entry));
        }
        out.insert(name, Value::Object(entry));
    }
    out
}

#[test]
fn aggregated_discovery_agrees_with_the_legacy_lists_and_upstream() {
    let server = LocalServer::start();
    let golden = golden("discovery.json");
    let mut seen = Vec::new();
    for (accept, api_version) in [
        (AGGREGATED_V2, "apidiscovery.k8s.io/v2"),
        (AGGREGATED_V2BETA1, "apidiscovery.k8s.io/v2beta1"),
    ] {
        for path in ["/api", "/apis"] {
            let header = format!("{accept},application/json");
            let (status, headers, body) = get(&server, path, &[("accept", &header)]);
            assert_eq!(status, 200, "{body}");
            assert_eq!(headers["content-type"], accept);
            let list: Value = serde_json::from_str(&body).expect("JSON");
            assert_eq!(list["kind"], "APIGroupDiscoveryList");
            assert_eq!(list["apiVersion"], api_version);
            for group in list["items"].as_array().cloned().unwrap_or_default() {
                let name = group["metadata"]["name"].as_str().unwrap_or("").to_string();
                assert_eq!(path == "/api", name.is_empty(), "{body}");
                for version in group["versions"].as_array().cloned().unwrap_or_default() {
                    let v = version["version"].as_str().unwrap_or("");
                    let group_version = if name.is_empty() {
                        v.to_string()
                    } else {
                        format!("{name}/{v}")
                    };
                    assert_eq!(version["freshness"], "Current");
                    let aggregated = from_aggregated(&version);
                    assert_eq!(
                        Value::Object(aggregated.clone()),
                        Value::Object(legacy(&server, &group_version)),
                        "aggregated and legacy discovery of {group_version}"
                    );
                    let want = golden[&group_version]
                        .as_object()
                        .cloned()
                        .unwrap_or_default();
                    assert_eq!(
                        Value::Object(aggregated),
                        Value::Object(want),
                        "{group_version} against tests/golden/discovery.json"
                    );
                    seen.push(group_version);
                }
            }
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen, GROUP_VERSIONS);
    // Without the aggregated types in Accept, the legacy documents.
    assert_eq!(
        get_json(&server, "/apis", &[("accept", "application/json")])["kind"],
        "APIGroupList"
    );
    assert_eq!(get_json(&server, "/api", &[])["kind"], "APIVersions");
}

/// Upstream's namespace storage has no DeleteCollection, so neither
/// discovery nor the OpenAPI paths offer it and the DELETE of the collection
/// has no route: 405, and every namespace is still there.
#[test]
fn namespaces_have_no_delete_collection() {
    let server = LocalServer::start();
    let before = server.get("/api/v1/namespaces").json();
    server
        .request("DELETE", "/api/v1/namespaces", None, b"")
        .expect_status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
    let after = server.get("/api/v1/namespaces").json();
    assert_eq!(names_of(&after), names_of(&before));
    assert!(!names_of(&after).is_empty());
    let v1 = get_json(&server, "/openapi/v3/api/v1", &[]);
    let paths = &v1["paths"];
    assert!(
        paths["/api/v1/namespaces"]["delete"].is_null(),
        "{}",
        paths["/api/v1/namespaces"]
    );
    assert_eq!(
        paths["/api/v1/namespaces/{namespace}/configmaps"]["delete"]["x-kubernetes-action"],
        "deletecollection"
    );
    // Other kinds keep it.
    let deleted = server.request("DELETE", "/api/v1/namespaces/default/configmaps", None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
}

fn names_of(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["metadata"]["name"].as_str().map(String::from))
        .collect()
}

/// A served property in the golden's condensed form: its type or the
/// schema it refers to, array items, and its `x-kubernetes-*` extensions.
fn condense(schema: &Value) -> Value {
    let mut out = Map::new();
    let reference = schema
        .pointer("/allOf/0/$ref")
        .or_else(|| schema.get("$ref"))
        .and_then(Value::as_str);
    if let Some(reference) = reference {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        out.insert("$ref".into(), json!(name));
    } else if let Some(t) = schema.get("type") {
        out.insert("type".into(), t.clone());
    }
    if let Some(items) = schema.get("items") {
        out.insert("items".into(), condense(items));
    }
    if let Some(map) = schema.as_object() {
        for (key, value) in map {
            if key.starts_with("x-kubernetes-") && key != "x-kubernetes-group-version-kind" {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Object(out)
}

fn names(map: &Value) -> Vec<String> {
    let mut names: Vec<String> = map
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn openapi_v3_documents_agree_with_upstream_and_are_cached_by_hash() {
    let server = LocalServer::start();
    let root = get_json(&server, "/openapi/v3", &[]);
    let mut documents = Map::new();
    for (path, entry) in root["paths"].as_object().cloned().unwrap_or_default() {
        let url = entry["serverRelativeURL"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let hash = url.split("hash=").nth(1).unwrap_or("").to_string();
        assert_eq!(hash.len(), 128, "{url}");
        let (status, headers, body) = get(&server, &url, &[]);
        assert_eq!(status, 200, "{url}: {body}");
        assert_eq!(headers["etag"], format!("\"{hash}\"").as_str());
        assert_eq!(headers["cache-control"], "public, immutable");
        assert!(headers.contains_key("expires"), "{headers:?}");
        let (status, headers, _) = get(&server, &format!("/openapi/v3/{path}?hash=0"), &[]);
        assert_eq!(status, 301, "an old hash is redirected");
        assert_eq!(headers["location"], url.as_str());
        let etag = format!("\"{hash}\"");
        let (status, _, _) = get(
            &server,
            &format!("/openapi/v3/{path}"),
            &[("if-none-match", &etag)],
        );
        assert_eq!(status, 304);
        let document: Value = serde_json::from_str(&body).expect("JSON");
        let group_version = path
            .trim_start_matches("api/")
            .trim_start_matches("apis/")
            .to_string();
        documents.insert(group_version, document);
    }
    assert_eq!(names(&Value::Object(documents.clone())), GROUP_VERSIONS);
    let golden = golden("openapi_v3.json");
    for (name, want) in golden.as_object().cloned().unwrap_or_default() {
        let group_version = want["groupVersion"].as_str().unwrap_or("");
        let served = &documents[group_version]["components"]["schemas"][&name];
        assert!(
            served.is_object(),
            "{group_version} serves no schema {name}"
        );
        for extension in ["x-kubernetes-group-version-kind", "x-kubernetes-map-type"] {
            assert_eq!(
                served.get(extension),
                want.get(extension),
                "{name}: {extension}"
            );
        }
        if let Some(required) = want["required"].as_array() {
            let mut served_required: Vec<Value> =
                served["required"].as_array().cloned().unwrap_or_default();
            let mut required = required.clone();
            served_required.sort_by_key(|v| v.to_string());
            required.sort_by_key(|v| v.to_string());
            assert_eq!(served_required, required, "{name}: required");
        }
        if want["complete"] == true {
            assert_eq!(
                names(&served["properties"]),
                names(&want["properties"]),
                "{name}: properties"
            );
        }
        for (property, want) in want["properties"].as_object().cloned().unwrap_or_default() {
            let got = condense(&served["properties"][&property]);
            assert_eq!(got, want, "{name}.{property}");
        }
    }
    // Every served kind's schema names its group/version/kind.
    for (group_version, document) in &documents {
        let schemas = &document["components"]["schemas"];
        let kinds: Vec<&Value> = schemas
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|s| s.get("x-kubernetes-group-version-kind"))
            .collect();
        assert!(!kinds.is_empty(), "{group_version}");
    }
}

#[test]
fn openapi_v2_json_carries_the_definitions() {
    let server = LocalServer::start();
    let doc = get_json(&server, "/openapi/v2", &[("accept", "application/json")]);
    let sts = &doc["definitions"]["io.k8s.api.apps.v1.StatefulSet"];
    assert_eq!(
        sts["x-kubernetes-group-version-kind"],
        json!([{"group": "apps", "kind": "StatefulSet", "version": "v1"}])
    );
    assert_eq!(
        sts["properties"]["spec"]["$ref"],
        "#/definitions/io.k8s.api.apps.v1.StatefulSetSpec"
    );
    let ports = &doc["definitions"]["io.k8s.api.core.v1.ServiceSpec"]["properties"]["ports"];
    assert_eq!(
        ports["x-kubernetes-list-map-keys"],
        json!(["port", "protocol"])
    );
    assert_eq!(ports["x-kubernetes-patch-merge-key"], "port");
    let (status, headers, _) = get(
        &server,
        "/openapi/v2",
        &[(
            "accept",
            "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
        )],
    );
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    );
}
