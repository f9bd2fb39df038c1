//! Namespaces as kube-apiserver and kube-controller-manager have them: a new
//! one is Active with the `kubernetes` finalizer, its `default`
//! ServiceAccount and its `kube-root-ca.crt`; DELETE makes it Terminating
//! (200, the object), new content is refused, the namespace controller
//! empties it, reports what remains in its conditions, finalizes it and it
//! goes; claims still outlive the pets that use them; `default`,
//! `kube-system` and `kube-public` cannot be deleted. Over HTTPS and with
//! the real kubectl.

use std::time::Duration;

use serde_json::{json, Value};

use crate::local_patch::{events_until, watch_until};
use crate::support::{
    kubectl_or_skip, kubectl_with, normalize, runtime, LocalServer, READY_AT_ONCE,
};

const WAIT: Duration = Duration::from_secs(60);
const NAMESPACES: &str = "/api/v1/namespaces";
const MERGE: &str = "application/merge-patch+json";

pub fn create_namespace(server: &LocalServer, name: &str) -> Value {
    let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
    let created = server.post_json(NAMESPACES, &body);
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()
}

fn create_in(server: &LocalServer, namespace: &str, plural: &str, body: Value) -> Value {
    let path = format!("/api/v1/namespaces/{namespace}/{plural}");
    let created = server.post_json(&path, &body);
    assert_eq!(created.status, 201, "{}", created.body);
    created.json()
}

/// Waits for an object that exists, or existed when this was called, to be
/// deleted: a watch from the revision it was read at, so a deletion that
/// comes first is replayed, not missed. Returns its last state.
pub fn await_gone(server: &LocalServer, collection: &str, name: &str) -> Value {
    let read = server.get(&format!("{collection}/{name}"));
    if read.status == 404 {
        return Value::Null;
    }
    let rv = resource_version(&read.json());
    await_gone_after(server, collection, name, &rv)
}

/// The last state of `name` in `collection`, watched from `rv` (read before
/// whatever lets it go, so that a quick removal is not missed) to its
/// DELETED event.
pub fn await_gone_after(server: &LocalServer, collection: &str, name: &str, rv: &str) -> Value {
    let path = format!("{collection}?fieldSelector=metadata.name%3D{name}&resourceVersion={rv}");
    let events = events_until(server, &path, &format!("{name} to go"), WAIT, |events| {
        events.iter().any(|e| e["type"] == "DELETED")
    });
    events.last().unwrap()["object"].clone()
}

/// Waits for `name` to exist in `collection` and returns it.
pub fn await_object(server: &LocalServer, collection: &str, name: &str) -> Value {
    let path = format!("{collection}?fieldSelector=metadata.name%3D{name}");
    watch_until(server, &path, &format!("{collection}/{name}"), WAIT, |o| {
        o["metadata"]["name"] == name
    })
}

/// The item of the array `list` whose string at `pointer` is `value`.
fn find<'a>(list: &'a Value, pointer: &str, value: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| {
            items
                .iter()
                .find(|i| i.pointer(pointer).and_then(Value::as_str) == Some(value))
        })
        .unwrap_or_else(|| panic!("no {pointer} {value:?} in {list}"))
}

fn root_ca(server: &LocalServer) -> String {
    std::fs::read_to_string(server.state_dir().join("ca.crt")).expect("read ca.crt")
}

pub fn condition<'a>(namespace: &'a Value, kind: &str) -> &'a Value {
    namespace["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == kind))
        .unwrap_or(&Value::Null)
}

#[test]
fn every_namespace_is_active_with_its_default_account_and_root_ca() {
    let server = LocalServer::start();
    let shop = create_namespace(&server, "shop");
    assert_eq!(shop["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(shop["status"]["phase"], "Active");
    assert_eq!(
        shop["metadata"]["labels"]["kubernetes.io/metadata.name"],
        "shop"
    );
    let ca = root_ca(&server);
    for namespace in [
        "shop",
        "default",
        "kube-system",
        "kube-public",
        "kube-node-lease",
    ] {
        assert_eq!(server.get(&format!("{NAMESPACES}/{namespace}")).status, 200);
        let accounts = format!("{NAMESPACES}/{namespace}/serviceaccounts");
        let account = await_object(&server, &accounts, "default");
        assert_eq!(account["kind"], "ServiceAccount");
        let maps = format!("{NAMESPACES}/{namespace}/configmaps");
        let published = await_object(&server, &maps, "kube-root-ca.crt");
        assert_eq!(published["data"], json!({"ca.crt": ca}), "{namespace}");
        assert!(
            published["metadata"]["annotations"]["kubernetes.io/description"]
                .as_str()
                .unwrap()
                .starts_with("Contains a CA bundle that can be used to verify the kube-apiserver")
        );
    }
}

#[test]
fn the_default_account_and_the_root_ca_come_back() {
    let server = LocalServer::start();
    create_namespace(&server, "shop");
    let accounts = format!("{NAMESPACES}/shop/serviceaccounts");
    let maps = format!("{NAMESPACES}/shop/configmaps");
    let first = await_object(&server, &accounts, "default");
    let deleted = server.request("DELETE", &format!("{accounts}/default"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let again = watch_until(&server, &accounts, "a new default account", WAIT, |o| {
        o["metadata"]["name"] == "default" && o["metadata"]["uid"] != first["metadata"]["uid"]
    });
    assert_eq!(again["metadata"]["namespace"], "shop");

    let published = await_object(&server, &maps, "kube-root-ca.crt");
    let edited = server.request(
        "PATCH",
        &format!("{maps}/kube-root-ca.crt"),
        Some(MERGE),
        br#"{"data":{"ca.crt":"not a CA","extra":"x"}}"#,
    );
    assert_eq!(edited.status, 200, "{}", edited.body);
    let ca = root_ca(&server);
    let restored = watch_until(&server, &maps, "the CA put back", WAIT, |o| {
        o["metadata"]["name"] == "kube-root-ca.crt" && o["data"] == json!({"ca.crt": ca})
    });
    assert_eq!(restored["metadata"]["uid"], published["metadata"]["uid"]);
    let deleted = server.request("DELETE", &format!("{maps}/kube-root-ca.crt"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    watch_until(&server, &maps, "a new kube-root-ca.crt", WAIT, |o| {
        o["metadata"]["name"] == "kube-root-ca.crt"
            && o["metadata"]["uid"] != published["metadata"]["uid"]
    });
}

#[test]
fn service_accounts_are_served_with_a_table_and_in_discovery() {
    let server = LocalServer::start();
    let accounts = format!("{NAMESPACES}/default/serviceaccounts");
    let body = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                      "metadata": {"name": "builder"}, "secrets": [{"name": "token"}]});
    let created = create_in(&server, "default", "serviceaccounts", body);
    assert_eq!(created["metadata"]["namespace"], "default");
    let url = format!("{}{accounts}", server.url);
    let request = server
        .client()
        .get(url)
        .bearer_auth(server.token())
        .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io");
    let table: Value = runtime().block_on(async move {
        let response = request.send().await.expect("get table");
        assert_eq!(response.status(), 200);
        response.json().await.expect("table json")
    });
    assert_eq!(table["kind"], "Table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["Name", "Secrets", "Age"]);
    assert_eq!(find(&table["rows"], "/cells/0", "builder")["cells"][1], 1);
    let core = server.get("/api/v1").json();
    let entry = find(&core["resources"], "/name", "serviceaccounts");
    assert_eq!(entry["shortNames"], json!(["sa"]));
    assert_eq!(entry["namespaced"], true);
    assert_eq!(entry["kind"], "ServiceAccount");
    let finalize = find(&core["resources"], "/name", "namespaces/finalize");
    assert_eq!(finalize["verbs"], json!(["update"]));
    let all = server.get("/api/v1/serviceaccounts").json();
    assert_eq!(all["kind"], "ServiceAccountList");
    find(&all["items"], "/metadata/name", "builder");
}

#[test]
fn deleting_a_namespace_terminates_it_empties_it_and_lets_it_go() {
    let server = LocalServer::start();
    create_namespace(&server, "shop");
    let held = json!({"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": "held", "finalizers": ["example.com/hold"]}});
    create_in(&server, "shop", "configmaps", held);
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"}});
    create_in(&server, "shop", "secrets", secret);
    await_object(
        &server,
        &format!("{NAMESPACES}/shop/serviceaccounts"),
        "default",
    );

    let deleted = server.request("DELETE", &format!("{NAMESPACES}/shop"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let terminating = deleted.json();
    assert_eq!(terminating["kind"], "Namespace");
    assert_eq!(terminating["status"]["phase"], "Terminating");
    assert!(terminating["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(terminating["spec"]["finalizers"], json!(["kubernetes"]));

    let refused = server.post_json(
        &format!("{NAMESPACES}/shop/configmaps"),
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late"}}),
    );
    let status = refused.expect_status(
        403,
        "Forbidden",
        "configmaps \"late\" is forbidden: unable to create new content in namespace shop because it is being terminated",
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"reason": "NamespaceTerminating", "message": "namespace shop is being terminated",
                "field": "metadata.namespace"}])
    );

    // Everything goes but the held map, and the conditions say why.
    let path = format!("{NAMESPACES}?fieldSelector=metadata.name%3Dshop");
    let reported = watch_until(&server, &path, "the conditions of shop", WAIT, |ns| {
        condition(ns, "NamespaceContentRemaining")["message"]
            == "Some resources are remaining: configmaps. has 1 resource instances"
    });
    assert_eq!(
        condition(&reported, "NamespaceContentRemaining")["reason"],
        "SomeResourcesRemain"
    );
    let finalizers = condition(&reported, "NamespaceFinalizersRemaining");
    assert_eq!(finalizers["status"], "True");
    assert_eq!(finalizers["reason"], "SomeFinalizersRemain");
    assert_eq!(
        finalizers["message"],
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    );
    for (kind, reason) in [
        ("NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered"),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            "ParsedGroupVersions",
        ),
        ("NamespaceDeletionContentFailure", "ContentDeleted"),
    ] {
        assert_eq!(condition(&reported, kind)["status"], "False", "{kind}");
        assert_eq!(condition(&reported, kind)["reason"], reason, "{kind}");
    }
    assert_eq!(
        server
            .get(&format!("{NAMESPACES}/shop/secrets/creds"))
            .status,
        404
    );
    let accounts = server
        .get(&format!("{NAMESPACES}/shop/serviceaccounts"))
        .json();
    assert_eq!(
        accounts["items"],
        json!([]),
        "no default account in a terminating namespace"
    );

    // A second DELETE answers with the namespace, still waiting.
    let again = server.request("DELETE", &format!("{NAMESPACES}/shop"), None, b"");
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["status"]["phase"], "Terminating");

    let rv = resource_version(&again.json());
    let released = server.request(
        "PATCH",
        &format!("{NAMESPACES}/shop/configmaps/held"),
        Some(MERGE),
        br#"{"metadata":{"finalizers":null}}"#,
    );
    assert_eq!(released.status, 200, "{}", released.body);
    let last = await_gone_after(&server, NAMESPACES, "shop", &rv);
    assert_eq!(
        last["spec"]["finalizers"],
        json!([]),
        "finalized before it went"
    );
    server.get(&format!("{NAMESPACES}/shop")).expect_status(
        404,
        "NotFound",
        "namespaces \"shop\" not found",
    );
}

#[test]
fn immortal_namespaces_stay_and_finalize_only_takes_an_update() {
    let server = LocalServer::start();
    for name in ["default", "kube-system", "kube-public"] {
        server
            .request("DELETE", &format!("{NAMESPACES}/{name}"), None, b"")
            .expect_status(
                403,
                "Forbidden",
                &format!("namespaces \"{name}\" is forbidden: this namespace may not be deleted"),
            );
        assert_eq!(
            server.get(&format!("{NAMESPACES}/{name}")).json()["status"]["phase"],
            "Active"
        );
    }

    let created = create_namespace(&server, "tools");
    let finalize = format!("{NAMESPACES}/tools/finalize");
    assert_eq!(server.get(&finalize).status, 405);
    let patched = server.request(
        "PATCH",
        &finalize,
        Some(MERGE),
        br#"{"spec":{"finalizers":[]}}"#,
    );
    assert_eq!(patched.status, 405, "{}", patched.body);

    // The main resource cannot drop the finalizer; finalize can.
    let mut edited = created.clone();
    edited["spec"]["finalizers"] = json!([]);
    edited["metadata"]["labels"]["team"] = json!("infra");
    let put = server.request(
        "PUT",
        &format!("{NAMESPACES}/tools"),
        Some("application/json"),
        edited.to_string().as_bytes(),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    let kept = put.json();
    assert_eq!(kept["spec"]["finalizers"], json!(["kubernetes"]));
    assert_eq!(kept["metadata"]["labels"]["team"], "infra");
    let mut bogus = kept.clone();
    bogus["spec"]["finalizers"] = json!(["bogus"]);
    server
        .request("PUT", &finalize, Some("application/json"), bogus.to_string().as_bytes())
        .expect_status(
            422,
            "Invalid",
            "Namespace \"tools\" is invalid: spec.finalizers[0]: Invalid value: \"bogus\": name is neither a standard finalizer name nor is it fully qualified",
        );
    let mut finalized = kept.clone();
    finalized["spec"]["finalizers"] = json!(["example.com/own"]);
    let put = server.request(
        "PUT",
        &finalize,
        Some("application/json"),
        finalized.to_string().as_bytes(),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["spec"]["finalizers"], json!(["example.com/own"]));
    assert_eq!(put.json()["status"]["phase"], "Active");

    // kube-node-lease is not immortal.
    let lease = server.request(
        "DELETE",
        &format!("{NAMESPACES}/kube-node-lease"),
        None,
        b"",
    );
    assert_eq!(lease.status, 200, "{}", lease.body);
    await_gone(&server, NAMESPACES, "kube-node-lease");
}

/// A set of two pets with claims in namespace `data`; a deleted pet stays
/// for its 2 s grace period, long enough that its claim is seen waiting.
fn claimed_set() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db", "replicas": 2,
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"terminationGracePeriodSeconds": 2,
                         "containers": [{"name": "main", "image": "postgres:16",
                                         "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}
            },
            "volumeClaimTemplates": [{
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
            }]
        }
    })
}

pub fn revision(event: &Value) -> u64 {
    resource_version(&event["object"]).parse().unwrap()
}

/// An object's `metadata.resourceVersion`.
fn resource_version(object: &Value) -> String {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string()
}

fn deleted_at(events: &[Value], name: &str) -> Option<u64> {
    events
        .iter()
        .find(|e| e["type"] == "DELETED" && e["object"]["metadata"]["name"] == name)
        .map(revision)
}

#[test]
fn a_deleted_namespace_deletes_claims_only_after_their_pets() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    create_namespace(&server, "data");
    let sets = "/apis/apps/v1/namespaces/data/statefulsets";
    let created = server.post_json(sets, &claimed_set());
    assert_eq!(created.status, 201, "{}", created.body);
    let pods = "/api/v1/namespaces/data/pods";
    let claims = "/api/v1/namespaces/data/persistentvolumeclaims";
    watch_until(
        &server,
        &format!("{pods}?fieldSelector=metadata.name%3Ddb-1"),
        "db-1 Running",
        WAIT,
        |p| p["status"]["phase"] == "Running",
    );
    let before = resource_version(&server.get(claims).json());

    let deleted = server.request("DELETE", &format!("{NAMESPACES}/data"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    await_gone(&server, NAMESPACES, "data");

    // Replayed from before the DELETE: every pet and claim went, each claim
    // after the pet that mounted it, and was Terminating while it waited.
    let all_gone = |names: &'static [&'static str]| {
        move |events: &[Value]| names.iter().all(|n| deleted_at(events, n).is_some())
    };
    let pod_events = events_until(
        &server,
        &format!("{pods}?resourceVersion={before}"),
        "the pets to go",
        WAIT,
        all_gone(&["db-0", "db-1"]),
    );
    let claim_events = events_until(
        &server,
        &format!("{claims}?resourceVersion={before}"),
        "the claims to go",
        WAIT,
        all_gone(&["data-db-0", "data-db-1"]),
    );
    for ordinal in 0..2 {
        let pet = deleted_at(&pod_events, &format!("db-{ordinal}")).unwrap();
        let claim_name = format!("data-db-{ordinal}");
        let claim = deleted_at(&claim_events, &claim_name).unwrap();
        assert!(
            pet < claim,
            "{claim_name} deleted at {claim}, before its pet at {pet}"
        );
        let marked = claim_events
            .iter()
            .find(|e| {
                e["object"]["metadata"]["name"] == claim_name.as_str()
                    && e["object"]["metadata"]["deletionTimestamp"].is_string()
            })
            .map(revision)
            .unwrap();
        assert!(
            marked < pet,
            "{claim_name} was Terminating while db-{ordinal} ran"
        );
    }
}

#[test]
fn kubectl_sees_namespaces_terminate_and_the_default_objects() {
    let Some(kubectl) =
        kubectl_or_skip("kubectl_sees_namespaces_terminate_and_the_default_objects")
    else {
        return;
    };
    let server = LocalServer::start();
    let k = |args: &[&str]| kubectl_with(&kubectl, &server, args, None);
    let created = k(&["create", "namespace", "shop"]);
    created.expect_success();
    assert_eq!(created.stdout, "namespace/shop created\n");
    await_object(
        &server,
        &format!("{NAMESPACES}/shop/serviceaccounts"),
        "default",
    );
    await_object(
        &server,
        &format!("{NAMESPACES}/shop/configmaps"),
        "kube-root-ca.crt",
    );

    // What kubectl prints, ages normalized.
    let shows = |args: &[&str], want: &str| {
        let run = k(args);
        run.expect_success();
        assert_eq!(normalize(&run.stdout), want, "{run}");
    };
    shows(
        &["get", "sa", "-n", "shop"],
        "NAME      SECRETS   AGE\ndefault   0         <age>\n",
    );
    let made = k(&["create", "serviceaccount", "builder", "-n", "shop"]);
    made.expect_success();
    assert_eq!(made.stdout, "serviceaccount/builder created\n");
    let resources = k(&["api-resources", "--api-group="]);
    resources.expect_success();
    assert!(
        resources
            .stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["serviceaccounts", "sa", "v1", "true", "ServiceAccount"]),
        "{resources}"
    );
    let ca = k(&["get", "cm", "kube-root-ca.crt", "-n", "shop", "-o", "yaml"]);
    ca.expect_success();
    let yaml: Value = serde_yaml_ng::from_str(&ca.stdout).expect("yaml");
    assert_eq!(
        yaml["data"]["ca.crt"].as_str(),
        Some(root_ca(&server).as_str())
    );
    assert!(
        ca.stdout
            .contains("kubernetes.io/description: Contains a CA bundle"),
        "{ca}"
    );

    let hold = r#"{"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "held", "namespace": "shop", "finalizers": ["example.com/hold"]}}"#;
    kubectl_with(
        &kubectl,
        &server,
        &["create", "-f", "-"],
        Some(hold.as_bytes()),
    )
    .expect_success();
    let delete = k(&["delete", "namespace", "shop", "--wait=false"]);
    delete.expect_success();
    assert_eq!(delete.stdout, "namespace \"shop\" deleted\n");
    shows(
        &["get", "ns", "shop"],
        "NAME   STATUS        AGE\nshop   Terminating   <age>\n",
    );
    let late = k(&["create", "configmap", "late", "-n", "shop"]);
    late.expect_code(1);
    assert!(
        late.stderr.contains("configmaps \"late\" is forbidden: unable to create new content in namespace shop because it is being terminated"),
        "{late}"
    );
    k(&[
        "patch",
        "cm",
        "held",
        "-n",
        "shop",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ])
    .expect_success();
    k(&["wait", "--for=delete", "namespace/shop", "--timeout=60s"]).expect_success();
    let gone = k(&["get", "ns", "shop"]);
    gone.expect_code(1);
    assert_eq!(
        gone.stderr,
        "Error from server (NotFound): namespaces \"shop\" not found\n"
    );

    // `kubectl delete namespace` waits until the namespace is gone.
    k(&["create", "namespace", "tools"]).expect_success();
    let waited = k(&["delete", "namespace", "tools"]);
    waited.expect_success();
    assert_eq!(waited.stdout, "namespace \"tools\" deleted\n");
    assert_eq!(server.get(&format!("{NAMESPACES}/tools")).status, 404);

    let refused = k(&["delete", "namespace", "default"]);
    refused.expect_code(1);
    assert_eq!(
        refused.stderr,
        "Error from server (Forbidden): namespaces \"default\" is forbidden: this namespace may not be deleted\n"
    );
}
