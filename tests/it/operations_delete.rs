//! Ordered and orphan deletes, `cleanup-pvcs` of unused claims, delete by
//! file, and scale, delete and cleanup under injected faults, with the
//! invariants checked on a watch timeline: ordered deletion, claims
//! untouched unless cleanup ran.

use crate::operations::{create_statefulset, statefulset, DELETED_WEB};
use crate::support::{
    create_petset, create_ready, petctl_at, scale_wait, LocalServer, Seed, FAST_SIM,
};
use crate::timeline::{claims_changed, deletion_order, Timeline};

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
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
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
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
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
fn scale_delete_and_cleanup_complete_under_injected_faults() {
    let seed = Seed::new();
    let faults = ["--fault-rate", "0.1", "--watch-drop-after", "2s"];
    let server = LocalServer::start_with(&[FAST_SIM, &faults, &seed.fault_flags()].concat());
    petctl_at(&server, &["create", "-f", "examples/petset.yaml"]).expect_success();
    let timeline = Timeline::start(&server, "default");
    petctl_at(&server, &scale_wait("web", "4", "60s")).expect_success();
    petctl_at(&server, &scale_wait("web", "2", "60s")).expect_success();
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
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
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
    let manifest = format!("{}{extra}", statefulset("RollingUpdate"));
    create_ready(&server, "web-with-data.yaml", &manifest);
    let path = server.dir.path().join("web-with-data.yaml");
    let path = path.to_str().unwrap();
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
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
    let backup = server
        .get("/api/v1/namespaces/default/persistentvolumeclaims/backup")
        .json();
    assert_eq!(backup["metadata"]["uid"], backup_uid);
    assert!(backup["metadata"]["deletionTimestamp"].is_null());
    let db = server.get("/api/v1/namespaces/db").json();
    assert!(db["metadata"]["deletionTimestamp"].is_null(), "{db}");
}
