//! The local control plane's REST semantics over HTTP: CRUD with exact
//! `Status` errors, bad input, optimistic concurrency, dry runs, field
//! validation, subresources, deletion, lists and watches.

use serde_json::{json, Value};

use crate::local_namespaces::await_object;
use crate::support::LocalServer;

const STS: &str = "/apis/apps/v1/namespaces/default/statefulsets";

/// A StatefulSet as a client sends it: without the fields the server
/// defaults (replicas and the rest), which the tests assert; so not from
/// `SetManifest`, which always writes replicas.
fn statefulset(name: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "serviceName": "nginx",
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}
            }
        }
    })
}

pub(crate) fn configmap(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

#[test]
fn create_get_and_the_server_owned_metadata() {
    let server = LocalServer::start();
    let created = server.post_json(STS, &statefulset("web"));
    assert_eq!(created.status, 201, "{}", created.body);
    let object = created.json();
    assert_eq!(object["metadata"]["generation"], 1);
    assert_eq!(object["metadata"]["namespace"], "default");
    assert!(object["metadata"]["uid"].as_str().unwrap().len() == 36);
    assert!(object["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    for (pointer, want) in [
        ("/spec/replicas", json!(1)),
        ("/spec/podManagementPolicy", json!("OrderedReady")),
        ("/spec/updateStrategy/rollingUpdate/partition", json!(0)),
        ("/spec/revisionHistoryLimit", json!(10)),
        (
            "/spec/persistentVolumeClaimRetentionPolicy/whenScaled",
            json!("Retain"),
        ),
        ("/status/replicas", json!(0)),
    ] {
        assert_eq!(object.pointer(pointer), Some(&want), "{pointer}");
    }
    // The controller may write the set's status between the create and the
    // GET, as on a real cluster; the rest is what the create answered.
    let unwritten = |object: &Value| {
        let mut object = object.clone();
        object.as_object_mut().unwrap().remove("status");
        let metadata = object["metadata"].as_object_mut().unwrap();
        metadata.remove("resourceVersion");
        metadata.remove("managedFields");
        object
    };
    let got = server.get(&format!("{STS}/web")).json();
    assert_eq!(unwritten(&got), unwritten(&object));
    server.post_json(STS, &statefulset("web")).expect_status(
        409,
        "AlreadyExists",
        "statefulsets.apps \"web\" already exists",
    );
    server.get(&format!("{STS}/nope")).expect_status(
        404,
        "NotFound",
        "statefulsets.apps \"nope\" not found",
    );
}

#[test]
fn resource_versions_come_from_one_counter_and_guard_updates() {
    let server = LocalServer::start();
    let a = server.post_json(STS, &statefulset("a")).json();
    let b = server
        .post_json(
            "/api/v1/namespaces/default/configmaps",
            &configmap("b", json!({})),
        )
        .json();
    let rv = |o: &Value| {
        o["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert!(rv(&b) > rv(&a));
    // The controller writes the set's status after it is created: update
    // from the object as it is now, and read again when a status write got
    // in between, as every client of a real API server must.
    let mut attempts = 0;
    let (update, updated) = loop {
        let mut update = server.get(&format!("{STS}/a")).json();
        update["spec"]["replicas"] = json!(3);
        let updated = server.request(
            "PUT",
            &format!("{STS}/a"),
            Some("application/json"),
            update.to_string().as_bytes(),
        );
        attempts += 1;
        if updated.status != 409 || attempts == 10 {
            break (update, updated);
        }
    };
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.json()["metadata"]["generation"], 2);
    // The same stale body again: a conflict with the real message.
    server
        .request("PUT", &format!("{STS}/a"), Some("application/json"), update.to_string().as_bytes())
        .expect_status(
            409,
            "Conflict",
            "Operation cannot be fulfilled on statefulsets.apps \"a\": the object has been modified; please apply your changes to the latest version and try again",
        );
    // A label change does not bump the generation.
    let patched = server.merge_patch(&format!("{STS}/a"), br#"{"metadata":{"labels":{"x":"y"}}}"#);
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["metadata"]["generation"], 2);
}

#[test]
fn statefulset_spec_fields_are_immutable_except_the_allowed_ones() {
    let server = LocalServer::start();
    server.post_json(STS, &statefulset("web"));
    let response = server.merge_patch(
        &format!("{STS}/web"),
        br#"{"spec":{"serviceName":"other"}}"#,
    );
    let status = response.expect_status(
        422,
        "Invalid",
        "StatefulSet.apps \"web\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    );
    assert_eq!(status["details"]["causes"][0]["field"], "spec");
    assert_eq!(
        status["details"]["causes"][0]["reason"],
        "FieldValueForbidden"
    );
}

/// (method, path, content type, body, expected code, expected reason)
type BadRequestCase<'a> = (&'a str, String, Option<&'a str>, Vec<u8>, u16, &'a str);

#[test]
fn bad_input_gets_the_right_status_and_the_server_keeps_serving() {
    let server = LocalServer::start();
    let cm = "/api/v1/namespaces/default/configmaps";
    let cases: Vec<BadRequestCase> = vec![
        ("POST", cm.into(), Some("application/json"), b"{not json".to_vec(), 400, "BadRequest"),
        ("POST", cm.into(), Some("application/yaml"), b"a: [1".to_vec(), 400, "BadRequest"),
        ("POST", cm.into(), Some("text/plain"), b"{}".to_vec(), 415, "UnsupportedMediaType"),
        ("POST", cm.into(), Some("application/json"), vec![b' '; 3 * 1024 * 1024 + 1], 413, "RequestEntityTooLarge"),
        ("POST", cm.into(), Some("application/json"), br#"{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"x"}}"#.to_vec(), 400, "BadRequest"),
        ("POST", cm.into(), Some("application/json"), br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#.to_vec(), 400, "BadRequest"),
        ("POST", cm.into(), Some("application/json"), br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","namespace":"other"}}"#.to_vec(), 400, "BadRequest"),
        ("POST", "/api/v1/namespaces/nope/configmaps".into(), Some("application/json"), configmap("x", json!({})).to_string().into_bytes(), 404, "NotFound"),
        ("GET", "/api/v1/namespaces/default/widgets".into(), None, vec![], 404, "NotFound"),
        ("GET", "/apis/batch/v1/jobs".into(), None, vec![], 404, "NotFound"),
        ("GET", format!("{cm}?labelSelector=a%20in%20(b"), None, vec![], 400, "BadRequest"),
        ("GET", format!("{cm}?fieldSelector=spec.foo%3Dx"), None, vec![], 400, "BadRequest"),
        ("GET", format!("{cm}?watch=1&resourceVersion=abc"), None, vec![], 400, "BadRequest"),
        ("GET", format!("{cm}?limit=x"), None, vec![], 400, "BadRequest"),
        ("PUT", cm.into(), Some("application/json"), b"{}".to_vec(), 405, "MethodNotAllowed"),
        ("PATCH", format!("{cm}/x"), Some("application/apply-patch+yaml"), b"{}".to_vec(), 422, "Invalid"),
        ("PATCH", format!("{cm}/x"), Some("application/json"), b"{}".to_vec(), 415, "UnsupportedMediaType"),
    ];
    for (method, path, content_type, body, code, reason) in cases {
        let response = server.request(method, &path, content_type, &body);
        assert_eq!(response.status, code, "{method} {path}: {}", response.body);
        let status = response.json();
        assert_eq!(status["kind"], "Status", "{method} {path}");
        assert_eq!(
            status["reason"], reason,
            "{method} {path}: {}",
            response.body
        );
    }
    server
        .post_json(
            "/api/v1/namespaces/nope/configmaps",
            &configmap("x", json!({})),
        )
        .expect_status(404, "NotFound", "namespaces \"nope\" not found");
    server
        .request(
            "POST",
            cm,
            Some("application/json"),
            &vec![b' '; 3 * 1024 * 1024 + 1],
        )
        .expect_status(
            413,
            "RequestEntityTooLarge",
            "Request entity too large: limit is 3145728",
        );
    server
        .post_json(cm, &json!({"apiVersion": "apps/v1beta1", "kind": "ConfigMap", "metadata": {"name": "x"}}))
        .expect_status(
            400,
            "BadRequest",
            "the API version in the data (apps/v1beta1) does not match the expected API version (v1)",
        );
    assert_eq!(
        server
            .post_json(cm, &configmap("still-serving", json!({})))
            .status,
        201
    );
}

#[test]
fn names_must_be_dns_subdomains() {
    let server = LocalServer::start();
    let response = server.post_json(
        "/api/v1/namespaces/default/configmaps",
        &configmap("Not_Valid", json!({})),
    );
    assert_eq!(response.status, 422, "{}", response.body);
    let status = response.json();
    assert_eq!(status["reason"], "Invalid");
    assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
    assert!(status["message"].as_str().unwrap().starts_with("ConfigMap \"Not_Valid\" is invalid: metadata.name: Invalid value: \"Not_Valid\": a lowercase RFC 1123 subdomain"), "{}", response.body);
}

#[test]
fn dry_run_writes_nothing() {
    let server = LocalServer::start();
    let response = server.post_json(&format!("{STS}?dryRun=All"), &statefulset("web"));
    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(server.get(&format!("{STS}/web")).status, 404);
    server.post_json(STS, &statefulset("web"));
    let deleted = server.request("DELETE", &format!("{STS}/web?dryRun=All"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(server.get(&format!("{STS}/web")).status, 200);
    let patched = server.merge_patch(
        &format!("{STS}/web?dryRun=All"),
        br#"{"spec":{"replicas":7}}"#,
    );
    assert_eq!(patched.json()["spec"]["replicas"], 7);
    assert_eq!(
        server.get(&format!("{STS}/web")).json()["spec"]["replicas"],
        1
    );
}

#[test]
fn field_validation_strict_warn_and_ignore() {
    let server = LocalServer::start();
    let mut body = statefulset("web");
    body["spec"]["foo"] = json!(1);
    server
        .post_json(&format!("{STS}?fieldValidation=Strict"), &body)
        .expect_status(
            400,
            "BadRequest",
            "strict decoding error: unknown field \"spec.foo\"",
        );
    let warned = server.post_json(&format!("{STS}?fieldValidation=Warn"), &body);
    assert_eq!(warned.status, 201, "{}", warned.body);
    assert_eq!(
        warned.headers["warning"],
        "299 - \"unknown field \\\"spec.foo\\\"\""
    );
    body["metadata"]["name"] = json!("web2");
    let ignored = server.post_json(&format!("{STS}?fieldValidation=Ignore"), &body);
    assert_eq!(ignored.status, 201);
    assert!(ignored.headers.get("warning").is_none());
}

#[test]
fn status_and_scale_subresources() {
    let server = LocalServer::start();
    server.post_json(STS, &statefulset("web")).json();
    // The controller writes the status too: a PUT that meets its write gets
    // 409, as from kube-apiserver; read again and retry, as a client would.
    let mut response = None;
    for _ in 0..20 {
        let mut status_write = server.get(&format!("{STS}/web")).json();
        status_write["status"] = json!({"replicas": 2, "readyReplicas": 1, "availableReplicas": 1});
        status_write["spec"]["replicas"] = json!(9);
        let put = server.request(
            "PUT",
            &format!("{STS}/web/status"),
            Some("application/json"),
            status_write.to_string().as_bytes(),
        );
        if put.status != 409 {
            response = Some(put);
            break;
        }
    }
    let response = response.expect("a status PUT without a conflict within 20 tries");
    assert_eq!(response.status, 200, "{}", response.body);
    let stored = response.json();
    assert_eq!(stored["status"]["readyReplicas"], 1);
    assert_eq!(
        stored["spec"]["replicas"], 1,
        "a status write keeps the spec"
    );
    let scale = server.get(&format!("{STS}/web/scale")).json();
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["apiVersion"], "autoscaling/v1");
    assert_eq!(scale["spec"]["replicas"], 1);
    // The controller owns the status and may have rewritten it already.
    assert!(scale["status"]["replicas"].is_u64(), "{scale}");
    assert_eq!(scale["status"]["selector"], "app=web");
    let scaled = server.merge_patch(&format!("{STS}/web/scale"), br#"{"spec":{"replicas":4}}"#);
    assert_eq!(scaled.status, 200, "{}", scaled.body);
    assert_eq!(scaled.json()["spec"]["replicas"], 4);
    let object = server.get(&format!("{STS}/web")).json();
    assert_eq!(object["spec"]["replicas"], 4);
    assert_eq!(object["metadata"]["generation"], 2);
    assert_eq!(
        server
            .get("/api/v1/namespaces/default/configmaps/x/scale")
            .status,
        404
    );
}

#[test]
fn pods_are_deleted_gracefully_once_scheduled() {
    let server = LocalServer::start();
    let pods = "/api/v1/namespaces/default/pods";
    // Bound to a node no kubelet serves: nothing confirms the deletion.
    let pod = |name: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
               "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}})
    };
    let created = server.post_json(pods, &pod("web-0")).json();
    assert_eq!(created["status"]["phase"], "Pending");
    let pending = server.request("DELETE", &format!("{pods}/web-0"), None, b"");
    // 200 with the pod as it now is: 202 only for orphanDependents=false (handlers/delete.go).
    assert_eq!(pending.status, 200, "{}", pending.body);
    let still = server.get(&format!("{pods}/web-0")).json();
    assert_eq!(still["metadata"]["deletionGracePeriodSeconds"], 30);
    assert!(still["metadata"]["deletionTimestamp"].is_string());
    let forced = server.request(
        "DELETE",
        &format!("{pods}/web-0"),
        Some("application/json"),
        br#"{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0}"#,
    );
    assert_eq!(forced.status, 200, "{}", forced.body);
    assert_eq!(server.get(&format!("{pods}/web-0")).status, 404);

    // A finished pod goes at once, whatever its grace period.
    let mut done = server.post_json(pods, &pod("done")).json();
    done["status"]["phase"] = json!("Succeeded");
    // Unconditional: the controllers may have touched the pod since.
    done["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let response = server.request(
        "PUT",
        &format!("{pods}/done/status"),
        Some("application/json"),
        done.to_string().as_bytes(),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        server
            .request("DELETE", &format!("{pods}/done"), None, b"")
            .status,
        200
    );
    assert_eq!(server.get(&format!("{pods}/done")).status, 404);
}

#[test]
fn finalizers_and_preconditions_are_honoured() {
    let server = LocalServer::start();
    let cm = "/api/v1/namespaces/default/configmaps";
    let mut body = configmap("held", json!({}));
    body["metadata"]["finalizers"] = json!(["example.com/hold"]);
    let created = server.post_json(cm, &body).json();
    server
        .request(
            "DELETE",
            &format!("{cm}/held"),
            Some("application/json"),
            br#"{"preconditions":{"uid":"not-the-uid"}}"#,
        )
        .expect_status(
            409,
            "Conflict",
            &format!(
                "Operation cannot be fulfilled on configmaps \"held\": Precondition failed: UID in precondition: not-the-uid, UID in object meta: {}",
                created["metadata"]["uid"].as_str().unwrap()
            ),
        );
    assert_eq!(
        server
            .request("DELETE", &format!("{cm}/held"), None, b"")
            .status,
        200
    );
    assert!(server.get(&format!("{cm}/held")).json()["metadata"]["deletionTimestamp"].is_string());
    let released = server.merge_patch(
        &format!("{cm}/held"),
        br#"{"metadata":{"finalizers":null}}"#,
    );
    assert_eq!(released.status, 200, "{}", released.body);
    assert_eq!(server.get(&format!("{cm}/held")).status, 404);
}

#[test]
fn lists_filter_and_page() {
    let server = LocalServer::start();
    let cm = "/api/v1/namespaces/default/configmaps";
    // The root CA publisher's map is in every namespace; once it is there
    // the lists below are deterministic.
    await_object(&server, cm, "kube-root-ca.crt");
    for (name, tier) in [
        ("a", "web"),
        ("b", "db"),
        ("c", "web"),
        ("d", "cache"),
        ("e", "web"),
    ] {
        assert_eq!(
            server
                .post_json(cm, &configmap(name, json!({"tier": tier})))
                .status,
            201
        );
    }
    let names = |body: &Value| -> Vec<String> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    for (query, want) in [
        ("labelSelector=tier%3Dweb", vec!["a", "c", "e"]),
        (
            "labelSelector=tier!%3Dweb",
            vec!["b", "d", "kube-root-ca.crt"],
        ),
        ("labelSelector=tier%20in%20(db,cache)", vec!["b", "d"]),
        (
            "labelSelector=tier%20notin%20(web)",
            vec!["b", "d", "kube-root-ca.crt"],
        ),
        ("labelSelector=tier", vec!["a", "b", "c", "d", "e"]),
        ("labelSelector=!tier", vec!["kube-root-ca.crt"]),
        ("fieldSelector=metadata.name%3Dc", vec!["c"]),
        ("fieldSelector=metadata.namespace%3Dother", vec![]),
    ] {
        let list = server.get(&format!("{cm}?{query}")).json();
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(names(&list), want, "{query}");
    }
    let first = server.get(&format!("{cm}?limit=2")).json();
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first["metadata"]["remainingItemCount"], 4);
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    let second = server.get(&format!("{cm}?limit=2&continue={token}")).json();
    assert_eq!(names(&second), ["c", "d"]);
    let token = second["metadata"]["continue"].as_str().unwrap().to_string();
    let last = server.get(&format!("{cm}?limit=2&continue={token}")).json();
    assert_eq!(names(&last), ["e", "kube-root-ca.crt"]);
    assert!(last["metadata"].get("continue").is_none());
    // Across namespaces, leaving out the other namespaces' root CA maps,
    // which come when the publisher gets to them.
    let all = server
        .get("/api/v1/configmaps?fieldSelector=metadata.name!%3Dkube-root-ca.crt")
        .json();
    assert_eq!(names(&all), ["a", "b", "c", "d", "e"]);
}

#[test]
fn discovery_documents() {
    let server = LocalServer::start();
    let groups = server.get("/apis").json();
    assert_eq!(groups["kind"], "APIGroupList");
    assert_eq!(groups["groups"][0]["preferredVersion"]["version"], "v1");
    let apps = server.get("/apis/apps/v1").json();
    let names: Vec<&str> = apps["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"statefulsets/scale") && names.contains(&"statefulsets/status"),
        "{names:?}"
    );
    let core = server.get("/api").json();
    assert_eq!(core["versions"], json!(["v1"]));
    assert_eq!(
        server.get("/apis/apps/v1alpha1").json()["resources"][0]["kind"],
        "PetSet"
    );
    server
        .request("POST", "/apis", Some("application/json"), b"{}")
        .expect_status(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
}
