//! SIGKILL between the orphan delete and the recreate (the test hook
//! `PETCTL_TEST_PAUSE_AFTER=orphan-delete` stops the run there): the set is
//! missing, its copy is in the ConfigMap and the local file; a rerun
//! recreates it from the copy, every pet is adopted untouched and the
//! ConfigMap is gone.

use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{assert_resized_in_place, cluster, expect, get, pod_uids, set_path, Kind};
use crate::support::{petctl_at, petctl_command, stderr_lines};
use crate::timeline::Timeline;

#[test]
fn a_kill_after_the_orphan_delete_is_repaired_by_the_rerun() {
    let server = cluster(Kind::StatefulSet, None, &["--allow-volume-expansion"]);
    let before = get(&server, set_path(Kind::StatefulSet));
    let uids = pod_uids(&server);
    let timeline = Timeline::start(&server, "default");
    let home = server.dir.path().join("petctl-home");
    let mut command = petctl_command(&home);
    command.env("PETCTL_TEST_PAUSE_AFTER", "orphan-delete");
    command.arg("--kubeconfig").arg(server.kubeconfig());
    command.args(["resize-claims", "web", "www=2Gi", "--yes"]);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn petctl");
    let rx = stderr_lines(&mut child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut said = Vec::new();
    while !said
        .iter()
        .any(|l: &String| l.contains("test pause after orphan-delete"))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => said.push(line),
            Err(_) => panic!("no pause marker; stderr so far:\n{}", said.join("\n")),
        }
    }
    child.kill().expect("SIGKILL petctl");
    child.wait().expect("reap petctl");
    let saved_line = said
        .iter()
        .find(|l| {
            l.contains(
                "saved a copy of statefulset \"web\" in ConfigMap default/petctl-resize-web and ",
            )
        })
        .unwrap_or_else(|| panic!("the copy's path is printed: {said:?}"));
    let path = saved_line.rsplit(" and ").next().unwrap();
    let copy: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the local copy"))
            .expect("JSON");
    assert_eq!(
        copy["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"],
        "2Gi"
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the copy is private");

    assert_eq!(
        server.get(set_path(Kind::StatefulSet)).status,
        404,
        "the set is gone"
    );
    let saved = server.get("/api/v1/namespaces/default/configmaps/petctl-resize-web");
    assert_eq!(saved.status, 200, "the copy is in the cluster");

    let look = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--dry-run"]);
    expect(&look, 0, &server);
    assert_eq!(
        look.stdout,
        "statefulset \"web\" is missing; ConfigMap default/petctl-resize-web holds its saved copy: a run without --dry-run recreates it from there, then resizes\n"
    );
    assert_eq!(
        server.get(set_path(Kind::StatefulSet)).status,
        404,
        "a dry run recreates nothing"
    );
    let rerun = petctl_at(&server, &["resize-claims", "web", "www=2Gi", "--yes"]);
    expect(&rerun, 0, &server);
    assert!(
        rerun.stderr.contains("statefulset \"web\" is missing and ConfigMap default/petctl-resize-web holds the copy petctl saved before deleting it: recreating it"),
        "{rerun}"
    );
    let entries = timeline.stop();
    assert_resized_in_place(&server, Kind::StatefulSet, &before, &uids, &entries);
}
