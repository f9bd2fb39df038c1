//! Claims deleted by the server are said out loud: a StatefulSet whose
//! persistentVolumeClaimRetentionPolicy says Delete gets its claims named
//! in the plan and the dry run of `scale` and `delete`; without a terminal
//! nothing changes unless `--yes` is given; on a terminal, "n" changes
//! nothing. A watch timeline of pods and claims checks what really changed.

use crate::support::{
    claim_uids, create_ready, petctl_at, run_command, LocalServer, Run, FAST_SIM,
};
use crate::timeline::{claims_changed, deletion_order, Timeline};

/// Creates the StatefulSet "web" (3 pets, claim template "www") with the
/// retention policy given and waits until its pets are Ready.
fn create_web(server: &LocalServer, when_deleted: &str, when_scaled: &str) {
    let manifest = crate::operations::web()
        .spec(&format!(
            "  persistentVolumeClaimRetentionPolicy:\n    whenDeleted: {when_deleted}\n    whenScaled: {when_scaled}\n"
        ))
        .yaml();
    create_ready(server, "web.yaml", &manifest);
}

/// The claims in "default", by name, with their uids.
fn claims(server: &LocalServer) -> Vec<(String, String)> {
    claim_uids(server).into_iter().collect()
}

fn replicas(server: &LocalServer) -> serde_json::Value {
    server
        .get("/apis/apps/v1/namespaces/default/statefulsets/web")
        .json()["spec"]["replicas"]
        .clone()
}

/// Runs `petctl ARGS` on a pseudo-terminal, typing `answer`; None when
/// `script` is missing.
fn on_a_terminal(server: &LocalServer, args: &str, answer: &str) -> Option<Run> {
    let (cmd, shown) = crate::support::on_a_terminal(server, args, "dumb")?;
    Some(run_command(
        cmd,
        format!("{shown} (typing {answer:?})"),
        Some(answer.as_bytes()),
    ))
}

const SCALE_NOTICE: &str = "statefulset \"web\" has persistentVolumeClaimRetentionPolicy whenScaled: Delete: the server will delete 2 claims and the data on their volumes: www-web-1, www-web-2\n";

#[test]
fn a_scale_down_that_deletes_claims_names_them_and_needs_yes() {
    let server = LocalServer::start_with(FAST_SIM);
    create_web(&server, "Retain", "Delete");
    let before = claims(&server);
    let timeline = Timeline::start(&server, "default");

    let plan = petctl_at(&server, &["scale", "web", "--replicas", "1", "--dry-run"]);
    plan.expect_success();
    assert_eq!(
        plan.stderr,
        format!(
            "statefulset \"web\": would scale from 3 to 1 replicas: remove web-2, then web-1\n{}",
            SCALE_NOTICE.replace("will", "would")
        ),
        "{plan}"
    );

    let refused = petctl_at(&server, &["scale", "web", "--replicas", "1"]);
    refused.expect_code(2);
    assert_eq!(
        refused.stderr,
        format!("{SCALE_NOTICE}error: scale statefulset \"web\" to 1 replicas and let the server delete www-web-1, www-web-2: standard input is not a terminal, so pass --yes to confirm\n"),
        "{refused}"
    );
    assert_eq!(replicas(&server), 3);
    assert_eq!(claims(&server), before);

    if let Some(declined) = on_a_terminal(&server, "scale web --replicas 1", "n\n") {
        assert_eq!(declined.code, 0, "{declined}");
        assert!(
            declined
                .stdout
                .contains("and let the server delete www-web-1, www-web-2 [y/N] ")
                && declined.stdout.contains("nothing changed"),
            "{declined}"
        );
        assert_eq!(replicas(&server), 3);
        assert_eq!(claims(&server), before);
    }
    let untouched = timeline.entries();
    assert_eq!(claims_changed(&untouched), Vec::<String>::new());
    assert_eq!(deletion_order("web", &untouched), Vec::<String>::new());

    let done = petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "1",
            "--yes",
            "--wait",
            "--timeout",
            "60s",
        ],
    );
    done.expect_success();
    assert_eq!(
        done.stderr.lines().next().unwrap_or(""),
        SCALE_NOTICE.trim_end(),
        "{done}"
    );
    assert!(
        done.stderr
            .ends_with("claims deleted by the server: www-web-1, www-web-2 (whenScaled: Delete)\n"),
        "{done}"
    );
    assert!(!done.stderr.contains("claims kept"), "{done}");
    assert_eq!(done.stdout, "statefulset.apps/web scaled\n");
    assert_eq!(claims(&server), before[..1].to_vec());
    let mut changed = claims_changed(&timeline.stop());
    changed.sort();
    assert_eq!(changed, ["www-web-1 deleted", "www-web-2 deleted"]);
}

#[test]
fn a_delete_that_deletes_claims_names_them_and_an_orphaning_delete_keeps_them() {
    let server = LocalServer::start_with(FAST_SIM);
    create_web(&server, "Delete", "Retain");
    let before = claims(&server);
    let all = "www-web-0, www-web-1, www-web-2";
    let notice = format!("statefulset \"web\" has persistentVolumeClaimRetentionPolicy whenDeleted: Delete: the server will delete 3 claims and the data on their volumes: {all}\n");

    for cascade in [
        "--cascade=true",
        "--cascade=background",
        "--cascade=foreground",
    ] {
        let plan = petctl_at(&server, &["delete", "web", cascade, "--dry-run"]);
        plan.expect_success();
        assert!(
            plan.stderr.contains(&notice.replace("will", "would")),
            "{plan}"
        );
        let refused = petctl_at(&server, &["delete", "web", cascade]);
        refused.expect_code(2);
        assert_eq!(
            refused.stderr,
            format!("{notice}error: delete statefulset \"web\" and let the server delete {all}: standard input is not a terminal, so pass --yes to confirm\n"),
            "{refused}"
        );
        assert_eq!(replicas(&server), 3);
        assert_eq!(claims(&server), before);
    }

    // Orphaning removes the set's ownerReferences from its claims too (the
    // garbage collector's orphanDependents), so nothing is asked.
    let orphan = petctl_at(&server, &["delete", "web", "--cascade=orphan", "--dry-run"]);
    orphan.expect_success();
    assert!(!orphan.stderr.contains("retention"), "{orphan}");

    // Answered "y" on a terminal (which also shows that the "n" above was
    // read as an answer), else confirmed with -y.
    let (done, said) = match on_a_terminal(&server, "delete web --timeout 60s", "y\n") {
        Some(run) => {
            let said = run.stdout.replace("\r\n", "\n");
            (run, said)
        }
        None => {
            let run = petctl_at(&server, &["delete", "web", "-y", "--timeout", "60s"]);
            let said = run.stderr.clone();
            (run, said)
        }
    };
    done.expect_success();
    assert!(said.contains(&notice), "{done}");
    assert!(
        said.contains(&format!(
            "claims deleted by the server: {all} (whenDeleted: Delete)\n"
        )),
        "{done}"
    );
    assert_eq!(claims(&server), Vec::<(String, String)>::new());
}

#[test]
fn an_orphaning_delete_under_when_deleted_keeps_the_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_web(&server, "Delete", "Delete");
    let before = claims(&server);
    let orphan = petctl_at(&server, &["delete", "web", "--cascade=orphan", "--wait"]);
    orphan.expect_success();
    assert!(
        orphan.stderr.ends_with("claims kept: www-web-0, www-web-1, www-web-2 (delete never removes data; remove them with: petctl cleanup-pvcs --deleted-set web --template www -l app=nginx)\n"),
        "{orphan}"
    );
    assert_eq!(claims(&server), before);
    let list = server
        .get("/api/v1/namespaces/default/persistentvolumeclaims")
        .json();
    for claim in list["items"].as_array().unwrap() {
        let owners = &claim["metadata"]["ownerReferences"];
        assert!(
            owners.as_array().is_none_or(Vec::is_empty),
            "an orphaned claim still has owners: {claim}"
        );
    }
}
