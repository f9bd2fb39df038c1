//! `cleanup-pvcs` attacked: a set that does not exist (or is named with the
//! wrong kind) deletes nothing; the explicit form for a deleted set refuses
//! what a live set's pattern or a pod uses; and cleanup racing a scale-up —
//! at the prompt on a pseudo-terminal, and with `--yes` under latency at
//! seeded random moments — never deletes a claim the set wants at the
//! revision of the DELETE, and no pod runs on a claim it deleted. Against
//! petctl's own scale (which takes the set's lease) and at the prompt that
//! holds without exception; against a lease-ignoring writer under latency
//! it holds unless cleanup says so itself (docs/cleanup.md, "limits").

use std::collections::BTreeMap;

use crate::support::{
    claim_uids, create_petset, create_ready, petctl_at, scale_wait, LocalServer, SetManifest,
    FAST_SIM,
};
use crate::timeline::{claims_changed, Timeline};

/// A StatefulSet `name` selected by `app: <name>`, with a claim per template.
pub(crate) fn statefulset(name: &str, replicas: i64, templates: &[&str]) -> String {
    let set = SetManifest::statefulset(name)
        .replicas(replicas)
        .grace_period(0)
        .container("main", "registry.k8s.io/nginx-slim:0.8");
    templates
        .iter()
        .fold(set, |set, t| set.mount(t, &format!("/{t}")).claim(t))
        .yaml()
}

pub(crate) fn names(uids: &BTreeMap<String, String>) -> Vec<&str> {
    uids.keys().map(String::as_str).collect()
}

pub(crate) fn scale(server: &LocalServer, replicas: i64) {
    let replicas = replicas.to_string();
    petctl_at(server, &scale_wait("web", &replicas, "60s")).expect_success();
}

#[test]
fn a_set_that_does_not_exist_is_an_error_and_nothing_is_deleted() {
    let server = LocalServer::start_with(FAST_SIM);
    // The reproduction: x-old scaled from 3 to 1, and a hand-made claim
    // whose name ends like one of a set "old".
    create_ready(&server, "x-old.yaml", &statefulset("x-old", 3, &["data"]));
    petctl_at(
        &server,
        &["scale", "sts/x-old", "--replicas", "1", "--wait"],
    )
    .expect_success();
    let backup = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: backup-old-0\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n";
    let path = server.dir.path().join("backup.yaml");
    std::fs::write(&path, backup).unwrap();
    petctl_at(&server, &["create", "-f", path.to_str().unwrap()]).expect_success();
    // And a PetSet "web", for a kind prefix that does not match.
    create_petset(&server);
    let before = claim_uids(&server);
    assert_eq!(
        names(&before),
        [
            "backup-old-0",
            "data-x-old-0",
            "data-x-old-1",
            "data-x-old-2",
            "www-web-0",
            "www-web-1"
        ]
    );

    let timeline = Timeline::start(&server, "default");
    let cases: [(&[&str], &str); 5] = [
        (
            &["cleanup-pvcs", "old", "--yes"],
            "petset or statefulset \"old\"",
        ),
        (&["cleanup-pvcs", "sts/web", "--yes"], "statefulset \"web\""),
        (
            &[
                "cleanup-pvcs",
                "statefulset/old",
                "--yes",
                "-l",
                "app=x-old",
            ],
            "statefulset \"old\"",
        ),
        (
            &["cleanup-pvcs", "petset/x-old", "--yes"],
            "petset \"x-old\"",
        ),
        (&["cleanup-pvcs", "nope"], "petset or statefulset \"nope\""),
    ];
    for (args, looked_for) in cases {
        let run = petctl_at(&server, args);
        run.expect_code(1);
        let bare = args[1].rsplit('/').next().unwrap();
        assert_eq!(
            run.stderr,
            format!("error: {looked_for} not found in namespace \"default\"; nothing deleted (to clean up after a deleted set: petctl cleanup-pvcs --deleted-set {bare} --template TEMPLATE -l SELECTOR)\n"),
            "{run}"
        );
        assert_eq!(run.stdout, "", "{run}");
    }
    let entries = timeline.stop();
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
    assert_eq!(
        claim_uids(&server),
        before,
        "every claim is still there with its uid"
    );

    // The set that does exist gives up exactly its own unused claims.
    let run = petctl_at(
        &server,
        &["cleanup-pvcs", "sts/x-old", "--yes", "-o", "name"],
    );
    run.expect_success();
    assert_eq!(
        run.stdout, "persistentvolumeclaim/data-x-old-1\npersistentvolumeclaim/data-x-old-2\n",
        "{run}"
    );
    let after = claim_uids(&server);
    assert_eq!(
        names(&after),
        ["backup-old-0", "data-x-old-0", "www-web-0", "www-web-1"]
    );
    assert!(after.iter().all(|(name, uid)| &before[name] == uid));
}

#[test]
fn the_deleted_set_form_refuses_what_a_live_set_or_a_pod_uses() {
    let server = LocalServer::start_with(FAST_SIM);
    create_ready(
        &server,
        "old.yaml",
        &statefulset("old", 2, &["data-x", "www"]),
    );
    let run = petctl_at(&server, &["delete", "sts/old"]);
    run.expect_success();
    assert!(
        run.stderr.ends_with("remove them with: petctl cleanup-pvcs --deleted-set old --template data-x --template www -l app=old)\n"),
        "{run}"
    );
    // A new set whose claims are named like the deleted set's "data-x"
    // ones: its pet 0 takes data-x-old-0 over, and data-x-old-1 is the
    // name of its claim 1.
    create_ready(&server, "x-old.yaml", &statefulset("x-old", 1, &["data"]));
    let debug = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\nspec:\n  containers:\n  - name: sh\n    image: busybox\n    volumeMounts:\n    - name: data\n      mountPath: /data\n  volumes:\n  - name: data\n    persistentVolumeClaim:\n      claimName: www-old-1\n";
    let path = server.dir.path().join("debug.yaml");
    std::fs::write(&path, debug).unwrap();
    petctl_at(&server, &["create", "-f", path.to_str().unwrap()]).expect_success();
    let before = claim_uids(&server);
    assert_eq!(
        names(&before),
        ["data-x-old-0", "data-x-old-1", "www-old-0", "www-old-1"]
    );

    // Usage: the explicit form needs templates and labels; the name of a
    // live set is not a deleted set.
    for (args, code) in [
        (vec!["--deleted-set", "old", "--template", "www"], 2),
        (vec!["--deleted-set", "old", "-l", "app=old"], 2),
        (vec!["old", "--template", "www", "-l", "app=old"], 2),
        (
            vec![
                "--deleted-set",
                "sts/old",
                "--template",
                "www",
                "-l",
                "app=old",
            ],
            2,
        ),
        (
            vec![
                "--deleted-set",
                "x-old",
                "--template",
                "data",
                "-l",
                "app=x-old",
            ],
            1,
        ),
    ] {
        let mut full = vec!["cleanup-pvcs", "--yes"];
        full.extend(args);
        petctl_at(&server, &full).expect_code(code);
    }
    assert_eq!(claim_uids(&server), before);

    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(
        &server,
        &[
            "cleanup-pvcs",
            "--deleted-set",
            "old",
            "--template",
            "data-x",
            "--template",
            "www",
            "-l",
            "app=old",
            "--yes",
            "-o",
            "name",
        ],
    );
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(run.stdout, "persistentvolumeclaim/www-old-0\n", "{run}");
    assert!(
        run.stderr.starts_with(
            "refusing claim data-x-old-0: it is also claim 0 of statefulset \"x-old\" (template \"data\"); clean it up through that set\n\
             refusing claim data-x-old-1: it is also claim 1 of statefulset \"x-old\" (template \"data\"); clean it up through that set\n\
             refusing claim www-old-1: pod debug still mounts it\n"
        ),
        "{run}"
    );
    assert_eq!(claims_changed(&entries), ["www-old-0 deleted"]);
    let after = claim_uids(&server);
    assert_eq!(names(&after), ["data-x-old-0", "data-x-old-1", "www-old-1"]);
    assert!(after.iter().all(|(name, uid)| &before[name] == uid));
}
