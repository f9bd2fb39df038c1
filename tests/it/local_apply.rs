//! Server-side apply on the local control plane: over HTTP (fieldManager,
//! force, dryRun, conflicts, managedFields of every write) and with the
//! real kubectl (`apply --server-side`, `--force-conflicts`,
//! `--show-managed-fields`), with client-side apply and diff unchanged.

/// What the in-process controllers write, under their upstream managers.
mod controllers;
/// Client-side apply to server-side apply and back, with the real kubectl.
mod handoff;
/// An applied resourceVersion is a precondition; stripped metadata is nobody's.
mod preconditions;
/// Update entries: at most 10 (ancient-changes), reset by [] or [{}], bad ones ignored.
mod updates;

use serde_json::{json, Value};

use crate::support::{kubectl_or_skip, kubectl_with, repo_root, LocalServer, Run, SetManifest};

const APPLY: &str = "application/apply-patch+yaml";
const CM: &str = "/api/v1/namespaces/default/configmaps";

fn apply(server: &LocalServer, query: &str, body: &str) -> crate::support::Response {
    server.request(
        "PATCH",
        &format!("{CM}/app?{query}"),
        Some(APPLY),
        body.as_bytes(),
    )
}

/// The body of a successful response.
#[track_caller]
fn ok(response: crate::support::Response) -> Value {
    assert_eq!(response.status / 100, 2, "{}", response.body);
    response.json()
}

fn config(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n{data}")
}

/// The managers of an object: (manager, operation) → its fieldsV1.
fn managers(object: &Value) -> Vec<(String, String, Value)> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    (
                        e["manager"].as_str().unwrap_or("").to_string(),
                        e["operation"].as_str().unwrap_or("").to_string(),
                        e["fieldsV1"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The entries of an object as `manager operation [subresource]`, sorted:
/// which entries there are, whatever the order their times give them.
fn entries(object: &Value) -> Vec<String> {
    let mut entries: Vec<String> = object["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or("").to_string();
            let entry = format!(
                "{} {} {}",
                text("manager"),
                text("operation"),
                text("subresource")
            );
            entry.trim_end().to_string()
        })
        .collect();
    entries.sort();
    entries
}

#[test]
fn apply_needs_a_field_manager_and_force_is_for_apply_only() {
    let server = LocalServer::start();
    apply(&server, "", &config("  a: \"1\"\n")).expect_status(
        422,
        "Invalid",
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
    );
    ok(server.post_json(
        CM,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}}),
    ));
    server
        .request("PATCH", &format!("{CM}/app?force=true"), Some("application/merge-patch+json"), b"{}")
        .expect_status(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for non-apply patch",
        );
    let bad = apply(&server, "fieldManager=a", "kind: [");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(
        bad.json()["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("error decoding YAML: "),
        "{}",
        bad.body
    );
    apply(
        &server,
        "fieldManager=a",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  managedFields: []\n",
    )
    .expect_status(400, "BadRequest", "metadata.managedFields must be nil");
    // Another type than the URL's, as versioncheck.go words it.
    apply(&server, "fieldManager=a", "apiVersion: v1\nkind: Secret\n").expect_status(
        400,
        "BadRequest",
        "invalid object type: /v1, Kind=Secret",
    );
}

#[test]
fn apply_creates_owns_conflicts_forces_and_prunes() {
    let server = LocalServer::start();
    // Apply to a missing object creates it, a 201 as a POST (`wasCreated`
    // in handlers/patch.go), dry run or not; the body may be JSON too.
    let dry = apply(
        &server,
        "fieldManager=deploy&dryRun=All",
        &config("  a: \"1\"\n"),
    );
    assert_eq!(dry.status, 201, "{}", dry.body);
    assert_eq!(dry.json()["data"]["a"], "1");
    assert_eq!(server.get(&format!("{CM}/app")).status, 404);
    let created = apply(
        &server,
        "fieldManager=deploy",
        &config("  a: \"1\"\n  b: \"2\"\n"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let object = created.json();
    assert_eq!(object["data"], json!({"a": "1", "b": "2"}));
    assert_eq!(
        managers(&object),
        vec![(
            "deploy".into(),
            "Apply".into(),
            json!({"f:data": {"f:a": {}, "f:b": {}}})
        )]
    );
    assert_eq!(
        object["metadata"]["managedFields"][0]["fieldsType"],
        "FieldsV1"
    );
    assert_eq!(object["metadata"]["managedFields"][0]["apiVersion"], "v1");
    // GET shows them.
    assert_eq!(managers(&server.get(&format!("{CM}/app")).json()).len(), 1);

    // Another manager setting a field to another value conflicts.
    let conflict = apply(
        &server,
        "fieldManager=ops",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"app"},"data":{"a":"9"}}"#,
    );
    let status = conflict.expect_status(
        409,
        "Conflict",
        "Apply failed with 1 conflict: conflict with \"deploy\": .data.a",
    );
    assert_eq!(
        status["details"]["causes"],
        json!([{"type": "FieldManagerConflict", "message": "conflict with \"deploy\"", "field": ".data.a"}])
    );
    // The same value is shared, not a conflict; an apply to an object
    // that exists answers 200.
    let shared = apply(&server, "fieldManager=ops", &config("  b: \"2\"\n"));
    assert_eq!(shared.status, 200, "{}", shared.body);

    // A dry run changes nothing.
    let dry = ok(apply(
        &server,
        "fieldManager=ops&force=true&dryRun=All",
        &config("  a: \"9\"\n"),
    ));
    assert_eq!(dry["data"]["a"], "9");
    assert_eq!(server.get(&format!("{CM}/app")).json()["data"]["a"], "1");

    // Forced, the field moves to the new manager.
    let forced = ok(apply(
        &server,
        "fieldManager=ops&force=true",
        &config("  a: \"9\"\n"),
    ));
    assert_eq!(forced["data"], json!({"a": "9", "b": "2"}));
    assert_eq!(
        managers(&forced),
        vec![
            (
                "deploy".into(),
                "Apply".into(),
                json!({"f:data": {"f:b": {}}})
            ),
            ("ops".into(), "Apply".into(), json!({"f:data": {"f:a": {}}})),
        ]
    );

    // A field its applier stops applying goes unless someone else owns
    // it: b is still ops' after ops applied it, a goes with ops.
    let pruned = ok(apply(
        &server,
        "fieldManager=deploy",
        &config("  c: \"3\"\n"),
    ));
    assert_eq!(pruned["data"], json!({"a": "9", "c": "3"}));
    let pruned = ok(apply(
        &server,
        "fieldManager=ops",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    ));
    assert_eq!(pruned["data"], json!({"c": "3"}));
}

#[test]
fn every_write_by_a_named_manager_is_an_update_entry() {
    let server = LocalServer::start();
    let created = server.request(
        "POST",
        &format!("{CM}?fieldManager=creator"),
        Some("application/json"),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "app"}, "data": {"a": "1"}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(
        managers(&ok(created)),
        vec![(
            "creator".into(),
            "Update".into(),
            json!({"f:data": {"f:a": {}}})
        )]
    );
    let patched = ok(server.request(
        "PATCH",
        &format!("{CM}/app?fieldManager=editor"),
        Some("application/merge-patch+json"),
        br#"{"data":{"a":"2","b":"1"}}"#,
    ));
    assert_eq!(
        managers(&patched),
        vec![(
            "editor".into(),
            "Update".into(),
            json!({"f:data": {"f:a": {}, "f:b": {}}})
        )]
    );
    // An apply of a field an Update manager owns conflicts, naming its
    // apiVersion as upstream does.
    apply(&server, "fieldManager=deploy", &config("  a: \"3\"\n")).expect_status(
        409,
        "Conflict",
        "Apply failed with 1 conflict: conflict with \"editor\" using v1: .data.a",
    );
    // A PUT that sends `managedFields: []` clears them.
    let mut object = patched.clone();
    object["metadata"]["managedFields"] = json!([]);
    let cleared = ok(server.request(
        "PUT",
        &format!("{CM}/app?fieldManager=editor"),
        Some("application/json"),
        object.to_string().as_bytes(),
    ));
    assert_eq!(cleared["metadata"].get("managedFields"), None);
    // The first apply after that records what was there as before-first-apply.
    let applied = ok(apply(
        &server,
        "fieldManager=deploy",
        &config("  a: \"2\"\n"),
    ));
    let names: Vec<String> = managers(&applied)
        .into_iter()
        .map(|(m, o, _)| format!("{m} {o}"))
        .collect();
    assert_eq!(names, ["deploy Apply", "before-first-apply Update"]);
}

struct Kubectl {
    binary: std::path::PathBuf,
    server: LocalServer,
}

impl Kubectl {
    /// The real kubectl and a server started with `flags`, or None when
    /// the test is skipped for want of kubectl.
    fn start(test: &str, flags: &[&str]) -> Option<Kubectl> {
        let binary = kubectl_or_skip(test)?;
        Some(Kubectl {
            binary,
            server: LocalServer::start_with(flags),
        })
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        kubectl_with(&self.binary, &self.server, args, stdin.map(str::as_bytes))
    }
}

/// The StatefulSet the kubectl tests apply: the support builder's, with a
/// named container port, whose key in managedFields has the defaulted
/// protocol.
fn statefulset(replicas: i64) -> String {
    SetManifest::statefulset("web")
        .service_name("nginx")
        .replicas(replicas)
        .container("nginx", "nginx:1.25")
        .yaml()
        .replace(
            "image: nginx:1.25\n",
            "image: nginx:1.25\n        ports:\n        - containerPort: 80\n          name: web\n",
        )
}

/// Panics unless kubectl's `-v=6` log shows its PATCH answered `status`.
#[track_caller]
fn assert_patch_answered(run: &Run, status: &str) {
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("PATCH") && l.contains(status)),
        "no PATCH answered {status}:\n{}",
        run.stderr
    );
}

#[test]
fn kubectl_server_side_apply_conflicts_force_and_managed_fields() {
    let Some(kubectl) = Kubectl::start(
        "kubectl_server_side_apply_conflicts_force_and_managed_fields",
        &[],
    ) else {
        return;
    };
    let dry_run = || {
        kubectl.run(
            &[
                "apply",
                "--server-side",
                "--dry-run=server",
                "-v=6",
                "-f",
                "-",
            ],
            Some(&statefulset(4)),
        )
    };
    // A dry run of an apply that would create is a 201, as is the create.
    let dry = dry_run();
    dry.expect_success();
    assert_eq!(
        dry.stdout,
        "statefulset.apps/web serverside-applied (server dry run)\n"
    );
    assert_patch_answered(&dry, "201 Created");
    let run = kubectl.run(
        &["apply", "--server-side", "-v=6", "-f", "-"],
        Some(&statefulset(2)),
    );
    run.expect_success();
    assert_eq!(run.stdout, "statefulset.apps/web serverside-applied\n");
    assert_patch_answered(&run, "201 Created");
    let dry = dry_run();
    dry.expect_success();
    assert_patch_answered(&dry, "200 OK");

    let scaled = statefulset(3);
    let conflict = kubectl.run(
        &["apply", "--server-side", "--field-manager=ops", "-f", "-"],
        Some(&scaled),
    );
    conflict.expect_code(1);
    assert!(
        conflict
            .stderr
            .contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{}",
        conflict.stderr
    );
    let forced = kubectl.run(
        &[
            "apply",
            "--server-side",
            "--field-manager=ops",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&scaled),
    );
    forced.expect_success();
    let yaml = kubectl.run(
        &[
            "get",
            "statefulset",
            "web",
            "-o",
            "json",
            "--show-managed-fields",
        ],
        None,
    );
    yaml.expect_success();
    let object: Value = serde_json::from_str(&yaml.stdout).expect("json");
    assert_eq!(object["spec"]["replicas"], 3);
    let entries: Vec<(String, String, Value)> = managers(&object);
    let kubectl_fields = &entries
        .iter()
        .find(|(m, _, _)| m == "kubectl")
        .expect("kubectl")
        .2;
    let ops_fields = &entries.iter().find(|(m, _, _)| m == "ops").expect("ops").2;
    assert_eq!(kubectl_fields["f:spec"].get("f:replicas"), None);
    assert_eq!(ops_fields["f:spec"]["f:replicas"], json!({}));
    assert!(
        kubectl_fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"nginx\"}"]
            ["f:ports"]["k:{\"containerPort\":80,\"protocol\":\"TCP\"}"]
            .is_object()
    );
    // Without the flag kubectl hides them.
    let hidden = kubectl.run(&["get", "statefulset", "web", "-o", "yaml"], None);
    assert!(
        !hidden.stdout.contains("managedFields"),
        "{}",
        hidden.stdout
    );

    // The guide's PetSet and its Service.
    let petset = repo_root().join("examples/petset.yaml");
    let petset = petset.to_str().expect("path");
    let run = kubectl.run(&["apply", "--server-side", "-f", petset], None);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "service/nginx serverside-applied\npetset.apps/web serverside-applied\n"
    );
    let again = kubectl.run(&["apply", "--server-side", "-f", petset], None);
    again.expect_success();
}

#[test]
fn kubectl_client_side_apply_and_diff_still_work() {
    let Some(kubectl) = Kubectl::start("kubectl_client_side_apply_and_diff_still_work", &[]) else {
        return;
    };
    let first = kubectl.run(&["apply", "-f", "-"], Some(&statefulset(2)));
    first.expect_success();
    assert_eq!(first.stdout, "statefulset.apps/web created\n");
    let scaled = statefulset(3);
    let diff = kubectl.run(&["diff", "-f", "-"], Some(&scaled));
    diff.expect_code(1);
    assert!(diff.stdout.contains("+  replicas: 3"), "{}", diff.stdout);
    let second = kubectl.run(&["apply", "-f", "-"], Some(&scaled));
    second.expect_success();
    assert_eq!(second.stdout, "statefulset.apps/web configured\n");
    let object: Value = serde_json::from_str(
        &kubectl
            .run(
                &[
                    "get",
                    "statefulset",
                    "web",
                    "-o",
                    "json",
                    "--show-managed-fields",
                ],
                None,
            )
            .stdout,
    )
    .expect("json");
    // The controller's status writes are its own entry.
    assert_eq!(
        entries(&object),
        [
            "kube-controller-manager Update status",
            "kubectl-client-side-apply Update"
        ]
    );
    // Server-side apply after client-side apply takes over what it applies.
    let run = kubectl.run(
        &["apply", "--server-side", "--force-conflicts", "-f", "-"],
        Some(&scaled),
    );
    run.expect_success();
}

#[test]
fn status_is_applied_through_its_subresource_only() {
    let server = LocalServer::start();
    let sets = "/apis/apps/v1/namespaces/default/statefulsets";
    let body = statefulset(2).replace(
        "apiVersion: apps/v1\nkind: StatefulSet\n",
        "apiVersion: apps/v1\nkind: StatefulSet\nstatus:\n  replicas: 7\n",
    );
    let created = ok(server.request(
        "PATCH",
        &format!("{sets}/web?fieldManager=deploy"),
        Some(APPLY),
        body.as_bytes(),
    ));
    // The main resource ignores status: nobody owns it through there.
    assert_ne!(created["status"]["replicas"], 7);
    assert_eq!(
        created["metadata"]["managedFields"][0]["fieldsV1"].get("f:status"),
        None
    );
    // Only a condition: the StatefulSet controller owns the counts (as
    // kube-controller-manager), so applying them would conflict with it.
    let status = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nstatus:\n  conditions:\n  - type: Tested\n    status: \"True\"\n";
    let applied = ok(server.request(
        "PATCH",
        &format!("{sets}/web/status?fieldManager=tester"),
        Some(APPLY),
        status.as_bytes(),
    ));
    assert_eq!(applied["status"]["conditions"][0]["type"], "Tested");
    let entry = applied["metadata"]["managedFields"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["manager"] == "tester"))
        .cloned()
        .expect("tester's entry");
    assert_eq!(entry["subresource"], "status");
    assert_eq!(entry["operation"], "Apply");
    assert!(
        entry["fieldsV1"]["f:status"]["f:conditions"]["k:{\"type\":\"Tested\"}"].is_object(),
        "{entry}"
    );
    assert_eq!(entry["fieldsV1"].get("f:spec"), None);
    // Apply to the status of a missing object is a 404, not a create.
    let missing = server.request(
        "PATCH",
        &format!("{sets}/nope/status?fieldManager=tester"),
        Some(APPLY),
        status.replace("name: web", "name: nope").as_bytes(),
    );
    assert_eq!(missing.status, 404, "{}", missing.body);
}

#[test]
fn a_scale_apply_owns_replicas_under_the_scale_subresource() {
    let server = LocalServer::start();
    let sets = "/apis/apps/v1/namespaces/default/statefulsets";
    ok(server.request(
        "PATCH",
        &format!("{sets}/web?fieldManager=deploy"),
        Some(APPLY),
        statefulset(2).as_bytes(),
    ));
    let scale =
        "apiVersion: autoscaling/v1\nkind: Scale\nmetadata:\n  name: web\nspec:\n  replicas: 4\n";
    server
        .request(
            "PATCH",
            &format!("{sets}/web/scale?fieldManager=hpa"),
            Some(APPLY),
            scale.as_bytes(),
        )
        .expect_status(
            409,
            "Conflict",
            "Apply failed with 1 conflict: conflict with \"deploy\": .spec.replicas",
        );
    let scaled = ok(server.request(
        "PATCH",
        &format!("{sets}/web/scale?fieldManager=hpa&force=true"),
        Some(APPLY),
        scale.as_bytes(),
    ));
    assert_eq!(scaled["kind"], "Scale");
    assert_eq!(scaled["spec"]["replicas"], 4);
    let set = ok(server.get(&format!("{sets}/web")));
    assert_eq!(set["spec"]["replicas"], 4);
    let hpa = set["metadata"]["managedFields"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["manager"] == "hpa"))
        .cloned()
        .expect("hpa's entry");
    assert_eq!(hpa["subresource"], "scale");
    assert_eq!(hpa["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
}
