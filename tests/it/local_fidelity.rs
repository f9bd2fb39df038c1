//! The local control plane answers as kube-apiserver does where the two
//! once diverged (issue 12): defaulted kinds, what a DELETE returns and with
//! which code, 404s for unserved resources, Secret `stringData`, dry-run
//! resourceVersions, parameter validation, percent-decoded paths, broken
//! framing and oversized headers. Each test names the upstream code it
//! follows.

use serde_json::{json, Value};

use crate::support::{kubectl_or_skip, kubectl_with, LocalServer, Response};

const CM: &str = "/api/v1/namespaces/default/configmaps";
const SVC: &str = "/api/v1/namespaces/default/services";
const STS: &str = "/apis/apps/v1/namespaces/default/statefulsets";

fn json_request(server: &LocalServer, method: &str, path: &str, body: &Value) -> Response {
    server.request(
        method,
        path,
        Some("application/json"),
        body.to_string().as_bytes(),
    )
}

/// The `Status` of a failure: code, reason and message.
#[track_caller]
fn failure(response: &Response) -> (u16, String, String) {
    let status = response.json();
    assert_eq!(status["kind"], "Status", "{}", response.body);
    assert_eq!(status["status"], "Failure", "{}", response.body);
    assert_eq!(status["code"], response.status, "{}", response.body);
    (
        response.status,
        status["reason"].as_str().unwrap_or("").to_string(),
        status["message"].as_str().unwrap_or("").to_string(),
    )
}

fn statefulset(name: &str) -> Value {
    json!({
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}
            }
        }
    })
}

/// handlers/create.go and update.go decode with the URL's kind as the
/// default (`gvkWithDefaults`): a body without kind and apiVersion is
/// taken; one naming another kind is not.
#[test]
fn bodies_without_a_type_take_the_one_of_the_url() {
    let server = LocalServer::start();
    let created = json_request(&server, "POST", STS, &statefulset("web"));
    assert_eq!(created.status, 201, "{}", created.body);
    let object = created.json();
    assert_eq!(object["kind"], "StatefulSet");
    assert_eq!(object["apiVersion"], "apps/v1");
    let bare = json!({"metadata": {"name": "bare"}, "data": {"k": "v"}});
    let created = json_request(&server, "POST", CM, &bare);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.json()["kind"], "ConfigMap");

    let mut replaced = created.json();
    for key in ["kind", "apiVersion"] {
        replaced.as_object_mut().unwrap().remove(key);
    }
    replaced["data"]["k"] = json!("w");
    let put = json_request(&server, "PUT", &format!("{CM}/bare"), &replaced);
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.json()["kind"], "ConfigMap");
    assert_eq!(put.json()["data"]["k"], "w");

    let wrong = json!({"kind": "Secret", "metadata": {"name": "x"}});
    let response = json_request(&server, "POST", CM, &wrong);
    assert_eq!(
        failure(&response),
        (
            400,
            "BadRequest".to_string(),
            "Secret in version \"v1\" cannot be handled as a ConfigMap: the kind of the object (Secret) does not match the kind on the URL (ConfigMap)".to_string()
        )
    );
    let wrong = json!({"apiVersion": "apps/v1beta2", "metadata": {"name": "x"}});
    let response = json_request(&server, "POST", STS, &wrong);
    assert_eq!(
        failure(&response).2,
        "the API version in the data (apps/v1beta2) does not match the expected API version (apps/v1)"
    );
}

/// `ReturnDeletedObject: true` in pkg/registry/core/{service,pod,namespace,
/// persistentvolume,persistentvolumeclaim}/storage/storage.go: DELETE
/// answers with the object; the other kinds (ConfigMaps, StatefulSets)
/// answer a Success Status.
#[test]
fn delete_returns_the_object_where_the_upstream_registry_does() {
    let server = LocalServer::start();
    let service = json!({"metadata": {"name": "svc"},
                         "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}}});
    let created = json_request(&server, "POST", SVC, &service);
    assert_eq!(created.status, 201, "{}", created.body);
    let deleted = server.request("DELETE", &format!("{SVC}/svc"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json()["kind"], "Service", "{}", deleted.body);
    assert_eq!(
        deleted.json()["metadata"]["uid"],
        created.json()["metadata"]["uid"]
    );

    let pv = json!({"metadata": {"name": "pv1"},
                    "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                             "hostPath": {"path": "/tmp/pv1"}}});
    let created = json_request(&server, "POST", "/api/v1/persistentvolumes", &pv);
    assert_eq!(created.status, 201, "{}", created.body);
    let deleted = server.request("DELETE", "/api/v1/persistentvolumes/pv1", None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        deleted.json()["kind"],
        "PersistentVolume",
        "{}",
        deleted.body
    );

    let ns = json!({"metadata": {"name": "gone"}});
    assert_eq!(
        json_request(&server, "POST", "/api/v1/namespaces", &ns).status,
        201
    );
    let deleted = server.request("DELETE", "/api/v1/namespaces/gone", None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json()["kind"], "Namespace", "{}", deleted.body);

    let created = json_request(&server, "POST", CM, &json!({"metadata": {"name": "c"}}));
    let deleted = server.request("DELETE", &format!("{CM}/c"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        deleted.json(),
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
               "details": {"name": "c", "kind": "configmaps",
                           "uid": created.json()["metadata"]["uid"]}})
    );
    json_request(&server, "POST", STS, &statefulset("web"));
    let deleted = server.request("DELETE", &format!("{STS}/web"), None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json()["kind"], "Status", "{}", deleted.body);
    assert_eq!(
        deleted.json()["details"]["group"],
        "apps",
        "{}",
        deleted.body
    );
}

/// handlers/delete.go: a delete that leaves the object in place answers
/// 200 with the object; only `orphanDependents: false` makes it 202.
#[test]
fn a_pending_delete_is_200_unless_orphan_dependents_is_false() {
    let server = LocalServer::start();
    for name in ["held", "held-too"] {
        let body = json!({"metadata": {"name": name, "finalizers": ["example.com/hold"]}});
        assert_eq!(json_request(&server, "POST", CM, &body).status, 201);
    }
    let pending = server.request("DELETE", &format!("{CM}/held"), None, b"");
    assert_eq!(pending.status, 200, "{}", pending.body);
    assert_eq!(pending.json()["kind"], "ConfigMap");
    assert!(pending.json()["metadata"]["deletionTimestamp"].is_string());

    let accepted = json_request(
        &server,
        "DELETE",
        &format!("{CM}/held-too"),
        &json!({"kind": "DeleteOptions", "apiVersion": "v1", "orphanDependents": false}),
    );
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.json()["metadata"]["name"], "held-too");

    // ValidateDeleteOptions: the two ways of saying it cannot both be set.
    let both = json_request(
        &server,
        "DELETE",
        &format!("{CM}/held"),
        &json!({"orphanDependents": true, "propagationPolicy": "Orphan"}),
    );
    let (code, reason, message) = failure(&both);
    assert_eq!((code, reason.as_str()), (422, "Invalid"));
    assert_eq!(
        message,
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": orphanDependents and deletionPropagation cannot be both set"
    );
}

/// A path under a served group/version that names no resource is the
/// NotFoundHandler's 404 for every method, not a 405.
#[test]
fn writes_to_an_unserved_resource_are_404() {
    let server = LocalServer::start();
    for (method, path) in [
        ("POST", "/api/v1/namespaces/default/widgets"),
        ("PUT", "/api/v1/namespaces/default/widgets/w"),
        ("PATCH", "/api/v1/namespaces/default/widgets/w"),
        ("DELETE", "/api/v1/namespaces/default/widgets/w"),
        ("POST", "/apis/batch/v1/namespaces/default/jobs"),
        ("DELETE", "/apis/apps/v1/namespaces/default/deployments/d"),
    ] {
        let response = json_request(&server, method, path, &json!({}));
        assert_eq!(response.status, 404, "{method} {path}: {}", response.body);
        assert_eq!(
            response.json(),
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                   "message": "the server could not find the requested resource",
                   "reason": "NotFound", "details": {}, "code": 404}),
            "{method} {path}"
        );
    }
}

/// `Convert_v1_Secret_To_core_Secret` (pkg/apis/core/v1/conversion.go):
/// stringData is merged into data, winning over the same key, and is not
/// stored; the same on update and patch.
#[test]
fn secret_string_data_is_merged_into_data() {
    let server = LocalServer::start();
    let secrets = "/api/v1/namespaces/default/secrets";
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
                        "data": {"user": "b2xk", "kept": "eA=="},
                        "stringData": {"user": "admin", "password": "hunter2"}});
    let created = json_request(&server, "POST", secrets, &secret);
    assert_eq!(created.status, 201, "{}", created.body);
    let want = json!({"user": "YWRtaW4=", "kept": "eA==", "password": "aHVudGVyMg=="});
    assert_eq!(created.json()["data"], want);
    assert!(
        created.json().get("stringData").is_none(),
        "{}",
        created.body
    );
    assert_eq!(created.json()["type"], "Opaque");
    let stored = server.get(&format!("{secrets}/s")).json();
    assert_eq!(stored["data"], want);
    assert!(stored.get("stringData").is_none());

    let patched = server.request(
        "PATCH",
        &format!("{secrets}/s"),
        Some("application/merge-patch+json"),
        br#"{"stringData":{"kept":"y"}}"#,
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["data"]["kept"], "eQ==");
    assert!(patched.json().get("stringData").is_none());
}

/// A dry run answers with the stored resourceVersion (registry/dryrun.go),
/// so `kubectl diff` right after `kubectl apply` of the same manifest finds
/// nothing and exits 0.
#[test]
fn kubectl_diff_after_apply_finds_nothing() {
    let Some(kubectl) = kubectl_or_skip("kubectl_diff_after_apply_finds_nothing") else {
        return;
    };
    let server = LocalServer::start();
    let manifest = server.dir.path().join("app.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n---\n\
         apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\nstringData:\n  password: hunter2\n---\n\
         apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n",
    )
    .unwrap();
    let file = manifest.to_str().unwrap();
    kubectl_with(&kubectl, &server, &["apply", "-f", file], None).expect_success();
    let diff = kubectl_with(&kubectl, &server, &["diff", "-f", file], None);
    diff.expect_success();
    assert_eq!(diff.stdout, "", "{diff}");

    // A real change is still seen (exit 1 with the diff).
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: slow\n",
    )
    .unwrap();
    let diff = kubectl_with(&kubectl, &server, &["diff", "-f", file], None);
    diff.expect_code(1);
    assert!(diff.stdout.contains("+  mode: slow"), "{diff}");

    // The dry-run PATCH itself carries the stored resourceVersion.
    let live = server.get(&format!("{CM}/settings")).json();
    let dry = server.request(
        "PATCH",
        &format!("{CM}/settings?dryRun=All"),
        Some("application/merge-patch+json"),
        br#"{"data":{"mode":"slow"}}"#,
    );
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(
        dry.json()["metadata"]["resourceVersion"],
        live["metadata"]["resourceVersion"]
    );
    assert_eq!(dry.json()["data"]["mode"], "slow");
    // So does a dry-run PUT; a dry-run create has none yet, as upstream.
    let mut replaced = live.clone();
    replaced["data"]["mode"] = json!("slow");
    let dry = json_request(
        &server,
        "PUT",
        &format!("{CM}/settings?dryRun=All"),
        &replaced,
    );
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(
        dry.json()["metadata"]["resourceVersion"],
        live["metadata"]["resourceVersion"]
    );
    let dry = json_request(
        &server,
        "POST",
        &format!("{CM}?dryRun=All"),
        &json!({"metadata": {"name": "new"}}),
    );
    assert_eq!(dry.status, 201, "{}", dry.body);
    assert!(
        dry.json()["metadata"].get("resourceVersion").is_none(),
        "{}",
        dry.body
    );
    assert_eq!(server.get(&format!("{CM}/settings")).json(), live);
}

/// `newRevision` (pkg/controller/statefulset/stateful_set_utils.go) copies
/// the set's annotations onto each ControllerRevision, so the real
/// `kubectl rollout history` shows each revision's change-cause.
#[test]
fn rollout_history_shows_the_change_cause() {
    let Some(kubectl) = kubectl_or_skip("rollout_history_shows_the_change_cause") else {
        return;
    };
    let server = LocalServer::start_with(crate::support::INSTANT_SIM);
    let manifest = server.dir.path().join("web.yaml");
    let write = |cause: &str, image: &str| {
        std::fs::write(
            &manifest,
            format!(
                "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\n  annotations:\n    \
                 kubernetes.io/change-cause: {cause}\nspec:\n  serviceName: web\n  replicas: 1\n  \
                 selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      \
                 labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        \
                 image: {image}\n"
            ),
        )
        .unwrap();
    };
    let file = manifest.to_str().unwrap().to_string();
    let run = |args: &[&str]| kubectl_with(&kubectl, &server, args, None);
    for (cause, image) in [("first", "nginx:1.25"), ("second", "nginx:1.26")] {
        write(cause, image);
        run(&["apply", "-f", &file]).expect_success();
        run(&["rollout", "status", "statefulset/web", "--timeout=60s"]).expect_success();
    }
    let history = run(&["rollout", "history", "statefulset/web"]);
    history.expect_success();
    assert_eq!(
        history.stdout,
        "statefulset.apps/web \nREVISION  CHANGE-CAUSE\n1         first\n2         second\n\n",
        "{history}"
    );
}

/// `BeforeDelete` (apiserver/pkg/registry/rest/delete.go) treats a
/// negative grace period as one second: the pod is marked with a grace of
/// 1 and the answer is 200 with the pod, not a refusal nor an immediate
/// delete. Kinds without graceful deletion just go.
#[test]
fn a_negative_grace_period_is_one_second() {
    let server = LocalServer::start();
    let pods = "/api/v1/namespaces/default/pods";
    // Bound to a node no kubelet serves: nothing confirms the deletion.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"nodeName": "elsewhere", "containers": [{"name": "c", "image": "busybox"}]}});
    assert_eq!(json_request(&server, "POST", pods, &pod).status, 201);
    let deleted = server.request(
        "DELETE",
        &format!("{pods}/p?gracePeriodSeconds=-5"),
        None,
        b"",
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(deleted.json()["kind"], "Pod");
    assert_eq!(deleted.json()["metadata"]["deletionGracePeriodSeconds"], 1);
    let still = server.get(&format!("{pods}/p")).json();
    assert_eq!(still["metadata"]["deletionGracePeriodSeconds"], 1);

    json_request(&server, "POST", CM, &json!({"metadata": {"name": "c"}}));
    let deleted = json_request(
        &server,
        "DELETE",
        &format!("{CM}/c"),
        &json!({"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": -5}),
    );
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(server.get(&format!("{CM}/c")).status, 404);
}
