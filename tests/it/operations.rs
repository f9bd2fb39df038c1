//! The ordered operations other than upgrade — scale, delete, cleanup-pvcs,
//! pause and resume — against the local control plane, for a PetSet and for
//! StatefulSets (RollingUpdate and OnDelete). A watch timeline of pods and
//! claims is recorded while each runs, and the invariants are checked on
//! it: ordered creation, ordered deletion, claims untouched unless cleanup
//! ran.

use crate::support::{petctl_at, LocalServer};
use crate::timeline::{claims_changed, creation_order, deletion_order, Timeline};

use crate::support::FAST_SIM;

/// `cleanup-pvcs` for the set "web" once it is deleted.
const DELETED_WEB: [&str; 10] = [
    "cleanup-pvcs",
    "--deleted-set",
    "web",
    "--template",
    "www",
    "-l",
    "app=nginx",
    "--yes",
    "-o",
    "name",
];

/// An apps/v1 StatefulSet "web" with 3 pets, the given update strategy and
/// a claim template "www".
fn statefulset(strategy: &str) -> String {
    statefulset_with(&format!("  updateStrategy:\n    type: {strategy}\n"))
}

/// The Service "nginx" and the StatefulSet "web" (3 pets, claim template
/// "www"), with `spec` (lines indented by two spaces) added to its spec.
pub(crate) fn statefulset_with(spec: &str) -> String {
    format!(
        "apiVersion: v1
kind: Service
metadata:
  name: nginx
spec:
  clusterIP: None
  selector:
    app: nginx
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: nginx
  replicas: 3
{spec}  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.8
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
"
    )
}

fn create_statefulset(server: &LocalServer, strategy: &str) {
    let path = server.dir.path().join(format!("web-{strategy}.yaml"));
    std::fs::write(&path, statefulset(strategy)).unwrap();
    petctl_at(
        server,
        &[
            "create",
            "-f",
            path.to_str().unwrap(),
            "--wait",
            "--timeout",
            "60s",
        ],
    )
    .expect_success();
}

pub(crate) fn create_petset(server: &LocalServer) {
    petctl_at(
        server,
        &[
            "create",
            "-f",
            "examples/petset.yaml",
            "--wait",
            "--timeout",
            "60s",
        ],
    )
    .expect_success();
}

/// Scale up then down, checking order and that no claim is touched.
fn scale_walk(server: &LocalServer, kind: &str, from: i64) {
    let display = format!("{kind}.apps/web");
    let timeline = Timeline::start(server, "default");
    let run = petctl_at(
        server,
        &[
            "scale",
            "web",
            "--replicas",
            "5",
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    run.expect_success();
    assert_eq!(run.stdout, format!("{display} scaled\n"));
    let up = timeline.stop();
    let expected: Vec<String> = (from..5).map(|o| format!("web-{o}")).collect();
    assert_eq!(
        creation_order("web", &up),
        expected,
        "pets must be created in ordinal order"
    );

    let timeline = Timeline::start(server, "default");
    let run = petctl_at(
        server,
        &[
            "scale",
            "web",
            "--replicas",
            "3",
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    run.expect_success();
    let down = timeline.stop();
    assert_eq!(
        deletion_order("web", &down),
        ["web-4", "web-3"],
        "pets must be removed in reverse order"
    );
    assert!(
        claims_changed(&down).is_empty(),
        "scale-down must keep every claim: {:?}",
        claims_changed(&down)
    );
    assert!(
        run.stderr.ends_with("claims kept: www-web-3, www-web-4 (they keep the removed pets' data; delete them with: petctl cleanup-pvcs web)\n"),
        "{run}"
    );
}

/// After an upgrade the lowest ordinals are the newest pets, and the 1.4
/// controller removes the newest surplus pet first: a jump from 4 to 1
/// would take web-1 before web-3. petctl steps down one pet at a time.
#[test]
fn petset_scale_down_after_an_upgrade_goes_in_reverse_ordinal_order() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "4",
            "--wait",
            "--timeout",
            "60s",
        ],
    )
    .expect_success();
    petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]).expect_success();
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "1",
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(
        deletion_order("web", &entries),
        ["web-3", "web-2", "web-1"],
        "{run}"
    );
    assert!(claims_changed(&entries).is_empty());
}

#[test]
fn petset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    scale_walk(&server, "petset", 2);
}

#[test]
fn rolling_update_statefulset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "RollingUpdate");
    scale_walk(&server, "statefulset", 3);
}

#[test]
fn on_delete_statefulset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "OnDelete");
    scale_walk(&server, "statefulset", 3);
}

#[test]
fn scale_preconditions_and_bad_input() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    let run = petctl_at(
        &server,
        &["scale", "web", "--replicas", "3", "--current-replicas", "5"],
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: failed to scale petset \"web\": Expected replicas to be 5, was 2\n"
    );
    let run = petctl_at(&server, &["scale", "web", "--replicas", "-1"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: --replicas must be 0 or more, not -1\n");
    let run = petctl_at(&server, &["scale", "deployment/web", "--replicas", "1"]);
    run.expect_code(2);
    let run = petctl_at(&server, &["scale", "db", "--replicas", "1"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: petset or statefulset \"db\" not found in namespace \"default\"\n"
    );
    let run = petctl_at(&server, &["scale", "web", "--replicas", "4", "--dry-run"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web scaled (server dry run)\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": would scale from 2 to 4 replicas: create web-2, then web-3\n"
    );
    let run = petctl_at(
        &server,
        &["get", "petset", "web", "-o", "jsonpath={.spec.replicas}"],
    );
    assert_eq!(run.stdout, "2", "a dry run changes nothing");
}

#[test]
fn a_name_shared_by_a_petset_and_a_statefulset_must_be_qualified() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    // A StatefulSet of the same name with no pets and its own labels, so
    // the two controllers do not compete for pods.
    let path = server.dir.path().join("sts.yaml");
    let sts = statefulset("OnDelete");
    let only_set = &sts[sts.find("apiVersion: apps/v1").unwrap()..];
    std::fs::write(
        &path,
        only_set
            .replace("replicas: 3", "replicas: 0")
            .replace("app: nginx", "app: other"),
    )
    .unwrap();
    petctl_at(&server, &["create", "-f", path.to_str().unwrap()]).expect_success();
    let run = petctl_at(&server, &["scale", "web", "--replicas", "1"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: both a petset and a statefulset are named \"web\" in namespace \"default\": say which, as petset/web or statefulset/web\n"
    );
    let run = petctl_at(
        &server,
        &["scale", "statefulset/web", "--replicas", "0", "--wait"],
    );
    run.expect_success();
    assert_eq!(run.stdout, "statefulset.apps/web scaled\n");
}

#[test]
fn ordered_delete_removes_pets_in_reverse_then_the_set_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(&server, &["scale", "web", "--replicas", "3", "--wait"]).expect_success();
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["delete", "web"]);
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(run.stdout, "petset.apps/web deleted\n");
    assert!(
        run.stderr.ends_with("claims kept: www-web-0, www-web-1, www-web-2 (delete never removes data; remove them with: petctl cleanup-pvcs --deleted-set web --template www -l app=nginx)\n"),
        "{run}"
    );
    assert_eq!(deletion_order("web", &entries), ["web-2", "web-1", "web-0"]);
    assert!(
        claims_changed(&entries).is_empty(),
        "{:?}",
        claims_changed(&entries)
    );
    let run = petctl_at(&server, &["get", "petsets"]);
    assert_eq!(run.stderr, "No resources found in default namespace.\n");
}

#[test]
fn orphan_delete_leaves_the_pets_running() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "RollingUpdate");
    orphan_delete(
        &server,
        "sts/web",
        "--cascade=orphan",
        "statefulset.apps/web",
    );
}

#[test]
fn orphan_delete_of_a_petset_leaves_the_pets_running() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(&server, &["scale", "web", "--replicas", "3", "--wait"]).expect_success();
    orphan_delete(&server, "petset/web", "--cascade=false", "petset.apps/web");
}

fn orphan_delete(server: &LocalServer, set: &str, cascade: &str, deleted: &str) {
    let timeline = Timeline::start(server, "default");
    let run = petctl_at(server, &["delete", set, cascade, "--wait"]);
    run.expect_success();
    assert_eq!(run.stdout, format!("{deleted} deleted\n"));
    let entries = timeline.stop();
    assert!(
        deletion_order("web", &entries).is_empty(),
        "orphaned pets must keep running"
    );
    assert!(claims_changed(&entries).is_empty());
    let run = petctl_at(server, &["get", "pods", "-o", "name"]);
    assert_eq!(run.stdout, "pod/web-0\npod/web-1\npod/web-2\n");
    let run = petctl_at(
        server,
        &[
            "get",
            "pod",
            "web-0",
            "-o",
            "jsonpath={.metadata.ownerReferences}",
        ],
    );
    assert_eq!(
        run.stdout, "",
        "the garbage collector removes the orphans' ownerReferences"
    );
}

#[test]
fn cleanup_removes_only_unused_claims_and_refuses_mounted_ones() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(&server, &["scale", "web", "--replicas", "4", "--wait"]).expect_success();
    petctl_at(&server, &["scale", "web", "--replicas", "1", "--wait"]).expect_success();
    // Someone still uses www-web-3 from a debugging pod.
    let debug = server.dir.path().join("debug.yaml");
    std::fs::write(
        &debug,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n  - name: sh\n    image: busybox\n    volumeMounts:\n    - name: data\n      mountPath: /data\n  volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: www-web-3\n",
    )
    .unwrap();
    petctl_at(&server, &["create", "-f", debug.to_str().unwrap()]).expect_success();

    let run = petctl_at(&server, &["cleanup-pvcs", "web"]);
    run.expect_code(2);
    assert!(run.stderr.ends_with("error: delete these 2 claims and the data on their volumes?: standard input is not a terminal, so pass --yes to confirm\n"), "{run}");

    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["cleanup-pvcs", "web", "--yes"]);
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(
        run.stdout,
        "persistentvolumeclaim/www-web-1 deleted\npersistentvolumeclaim/www-web-2 deleted\n"
    );
    assert!(
        run.stderr
            .starts_with("refusing claim www-web-3: pod debug still mounts it\n"),
        "{run}"
    );
    let mut changed = claims_changed(&entries);
    changed.sort();
    assert_eq!(
        changed.len(),
        2,
        "only the two unused claims may go: {changed:?}"
    );

    let run = petctl_at(&server, &["get", "pvc", "-o", "name"]);
    assert_eq!(
        run.stdout,
        "persistentvolumeclaim/www-web-0\npersistentvolumeclaim/www-web-3\n"
    );

    // Once the set is gone, its name alone is not enough: that is an
    // error, and nothing is deleted.
    petctl_at(&server, &["delete", "web"]).expect_success();
    let run = petctl_at(&server, &["cleanup-pvcs", "web", "--yes"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "error: petset or statefulset \"web\" not found in namespace \"default\"; nothing deleted (to clean up after a deleted set: petctl cleanup-pvcs --deleted-set web --template TEMPLATE -l SELECTOR)\n", "{run}");
    // Named as deleted, with its template and labels, every claim of it
    // that no pod mounts may go.
    let run = petctl_at(&server, &DELETED_WEB);
    run.expect_success();
    assert_eq!(run.stdout, "persistentvolumeclaim/www-web-0\n");
    assert!(
        run.stderr
            .starts_with("refusing claim www-web-3: pod debug still mounts it\n"),
        "{run}"
    );
}

#[test]
fn pausing_a_petset_annotates_its_pets_and_scale_says_so() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    let run = petctl_at(&server, &["pause", "web", "--dry-run"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web paused (server dry run)\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": pet web-0 annotated pod.alpha.kubernetes.io/initialized=false (server dry run)\npetset \"web\": pet web-1 annotated pod.alpha.kubernetes.io/initialized=false (server dry run)\n"
    );
    let annotations = || {
        petctl_at(
            &server,
            &[
                "get",
                "pods",
                "-o",
                "jsonpath={.items[*].metadata.annotations}",
            ],
        )
        .stdout
    };
    let paused = r#""pod.alpha.kubernetes.io/initialized":"false""#;
    assert!(!annotations().contains(paused), "{}", annotations());
    let run = petctl_at(&server, &["pause", "web", "-o", "name"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web\n");
    assert!(annotations().contains(paused), "{}", annotations());
    let run = petctl_at(&server, &["resume", "web"]);
    run.expect_success();
    let run = petctl_at(&server, &["pause", "web"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web paused\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": pet web-0 annotated pod.alpha.kubernetes.io/initialized=false\npetset \"web\": pet web-1 annotated pod.alpha.kubernetes.io/initialized=false\n"
    );
    let run = petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "3",
            "--wait",
            "--timeout",
            "2s",
        ],
    );
    run.expect_code(1);
    assert!(run.stderr.contains("petset \"web\" is paused"), "{run}");
    let run = petctl_at(
        &server,
        &["get", "pets", "web", "-o", "jsonpath={.items[2].pod}"],
    );
    assert_eq!(
        run.stdout, "null",
        "no pet is created while the set is paused"
    );

    let run = petctl_at(&server, &["resume", "web"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web resumed\n");
    let run = petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "3",
            "--wait",
            "--timeout",
            "30s",
        ],
    );
    run.expect_success();
}

#[test]
fn pausing_a_statefulset_raises_its_partition_and_resume_restores_it() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "RollingUpdate");
    let run = petctl_at(&server, &["pause", "sts/web", "--dry-run", "-o", "json"]);
    run.expect_success();
    let outcome: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        outcome,
        serde_json::json!({"set": "statefulset.apps/web", "action": "paused", "changed": true, "changes": ["partition 0 -> 3"], "dryRun": true})
    );
    let partition = || {
        petctl_at(
            &server,
            &[
                "get",
                "sts",
                "web",
                "-o",
                "jsonpath={.spec.updateStrategy.rollingUpdate.partition}",
            ],
        )
        .stdout
    };
    assert_eq!(partition(), "0", "a dry run changes nothing");
    petctl_at(&server, &["pause", "sts/web"]).expect_success();
    let run = petctl_at(
        &server,
        &[
            "get",
            "sts",
            "web",
            "-o",
            "jsonpath={.spec.updateStrategy.rollingUpdate.partition} {.metadata.annotations}",
        ],
    );
    assert_eq!(run.stdout, "3 {\"petctl.io/paused-partition\":\"0\"}");
    let run = petctl_at(&server, &["resume", "sts/web"]);
    run.expect_success();
    assert_eq!(run.stderr, "statefulset \"web\": partition 3 -> 0\n");
    assert_eq!(partition(), "0");

    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "OnDelete");
    let run = petctl_at(&server, &["pause", "sts/web"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: statefulset \"web\" uses the OnDelete update strategy: pets take a new template only when deleted, so there is no rollout to pause\n"
    );
}

#[test]
fn scale_delete_and_cleanup_complete_under_injected_faults() {
    let mut flags = FAST_SIM.to_vec();
    let seed = crate::support::test_seed().to_string();
    flags.extend([
        "--fault-rate",
        "0.1",
        "--fault-seed",
        &seed,
        "--watch-drop-after",
        "2s",
    ]);
    eprintln!("fault seed {seed} (replay with PETCTL_TEST_SEED={seed})");
    let server = LocalServer::start_with(&flags);
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let timeline = Timeline::start(&server, "default");
    petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "4",
            "--wait",
            "--timeout",
            "60s",
        ],
    )
    .expect_success();
    petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "2",
            "--wait",
            "--timeout",
            "60s",
        ],
    )
    .expect_success();
    petctl_at(&server, &["delete", "web", "--timeout", "60s"]).expect_success();
    let entries = timeline.stop();
    assert_eq!(
        deletion_order("web", &entries),
        ["web-3", "web-2", "web-1", "web-0"]
    );
    let run = petctl_at(&server, &DELETED_WEB);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "persistentvolumeclaim/www-web-0\npersistentvolumeclaim/www-web-1\npersistentvolumeclaim/www-web-2\npersistentvolumeclaim/www-web-3\n"
    );
}

#[test]
fn delete_by_file_and_cleanup_for_a_rolling_update_statefulset() {
    delete_by_file_and_cleanup("RollingUpdate");
}

#[test]
fn delete_by_file_and_cleanup_for_an_on_delete_statefulset() {
    delete_by_file_and_cleanup("OnDelete");
}

fn delete_by_file_and_cleanup(strategy: &str) {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, strategy);
    let path = server.dir.path().join(format!("web-{strategy}.yaml"));
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["delete", "-f", path.to_str().unwrap()]);
    run.expect_success();
    let entries = timeline.stop();
    // The set first, in order, then the governing Service of the same file,
    // as `kubectl delete -f` deletes it; the claims stay.
    assert_eq!(
        run.stdout,
        "statefulset.apps/web deleted\nservice/nginx deleted\n"
    );
    assert_eq!(deletion_order("web", &entries), ["web-2", "web-1", "web-0"]);
    assert!(
        claims_changed(&entries).is_empty(),
        "{:?}",
        claims_changed(&entries)
    );
    let run = petctl_at(&server, &["get", "svc", "nginx", "-o", "name"]);
    run.expect_code(1);
    // A second run finds nothing left to do but says so.
    let again = petctl_at(&server, &["delete", "-f", path.to_str().unwrap()]);
    again.expect_code(1);
    let run = petctl_at(&server, &["cleanup-pvcs", "sts/web", "--yes"]);
    run.expect_code(1);
    assert!(
        run.stderr.starts_with(
            "error: statefulset \"web\" not found in namespace \"default\"; nothing deleted"
        ),
        "{run}"
    );
    let run = petctl_at(&server, &DELETED_WEB);
    run.expect_success();
    assert_eq!(
        run.stdout,
        "persistentvolumeclaim/www-web-0\npersistentvolumeclaim/www-web-1\npersistentvolumeclaim/www-web-2\n"
    );
}

#[test]
fn delete_by_file_keeps_a_claim_and_a_namespace_in_the_manifest() {
    let server = LocalServer::start_with(FAST_SIM);
    let extra = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: db\n\
                 ---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: backup\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n\
                 ---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n";
    let path = server.dir.path().join("web-with-data.yaml");
    std::fs::write(&path, format!("{}{extra}", statefulset("RollingUpdate"))).unwrap();
    let path = path.to_str().unwrap();
    petctl_at(
        &server,
        &["create", "-f", path, "--wait", "--timeout", "60s"],
    )
    .expect_success();
    let backup_uid = server
        .get("/api/v1/namespaces/default/persistentvolumeclaims/backup")
        .json()["metadata"]["uid"]
        .clone();
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["delete", "-f", path]);
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(
        run.stdout,
        "statefulset.apps/web deleted\nservice/nginx deleted\nconfigmap/settings deleted\n",
        "{run}"
    );
    assert!(
        run.stderr.contains("namespace/db kept: deleting it would delete the data in it")
            && run.stderr.contains("persistentvolumeclaim/backup kept: a claim holds data: petctl cleanup-pvcs deletes claims, when asked"),
        "{run}"
    );
    assert!(
        claims_changed(&entries).is_empty(),
        "{:?}",
        claims_changed(&entries)
    );
    let backup = server
        .get("/api/v1/namespaces/default/persistentvolumeclaims/backup")
        .json();
    assert_eq!(backup["metadata"]["uid"], backup_uid);
    assert!(backup["metadata"]["deletionTimestamp"].is_null());
    let db = server.get("/api/v1/namespaces/db").json();
    assert!(db["metadata"]["deletionTimestamp"].is_null(), "{db}");
}
