//! `petctl recover`: a pet stuck on a node `petctl local node stop` lost is
//! force-deleted and comes back Ready on another node, the other pets and
//! every claim untouched (asserted on a recorded watch timeline, and with
//! the real kubectl's `get pod -o wide`); a dry run and a run without
//! confirmation change nothing; a pet not Ready on a live node (fresh
//! Lease) is refused, naming the node and its renewTime; a run killed after
//! its force delete is resumed by the next, which awaits the successor.

use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::cleanup_races::{chunks_of, read_until};
use crate::local_guide::Cluster;
use crate::local_nodes::{set_with_pod_spec, spread};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::support::{petctl_at, spawn_at, stderr_lines, LocalServer, SetManifest, FAST_SIM};
use crate::timeline::{
    by_revision, claims_unchanged, last_state, ready, text, Entry, Resource, Timeline,
};
use crate::upgrade_disruption::await_line;

const WAIT: Duration = Duration::from_secs(60);

/// `petctl local node ARGS` against the server's state dir.
#[track_caller]
fn node(server: &LocalServer, args: &[&str]) {
    let state = server.state_dir();
    let mut all = vec!["local", "node"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--state-dir", state.to_str().expect("utf-8 path")]);
    petctl_at(server, &all).expect_success();
}

#[track_caller]
fn assert_no_lease(server: &LocalServer) {
    let set = server
        .get("/apis/apps/v1/namespaces/default/statefulsets/web")
        .json();
    assert!(
        set["metadata"]["annotations"]
            .get("petctl.io/operation-lease")
            .is_none(),
        "the lease is removed at the end: {set}"
    );
}

/// Every (uid, deleted) the timeline saw of pod `name`, in revision order.
fn history(entries: &[Entry], name: &str) -> Vec<(String, bool)> {
    let (_, changes) = by_revision(entries);
    changes
        .iter()
        .filter(|c| c.resource == Resource::Pod && text(c.object, "/metadata/name") == name)
        .map(|c| (text(c.object, "/metadata/uid").to_string(), c.deleted))
        .collect()
}

fn deletions(entries: &[Entry]) -> usize {
    let (_, changes) = by_revision(entries);
    changes
        .iter()
        .filter(|c| c.resource == Resource::Pod && c.deleted)
        .count()
}

fn pod_field(entries: &[Entry], name: &str, pointer: &str) -> String {
    last_state(entries, Resource::Pod)
        .get(name)
        .map(|p| text(p, pointer).to_string())
        .unwrap_or_default()
}

/// The set's YAML with a readiness probe that the annotation
/// `petctl.local/readiness=fail` fails.
fn probed(yaml: String) -> String {
    let probe = "        readinessProbe:\n          httpGet:\n            path: /index.html\n            port: 80\n          periodSeconds: 1\n          successThreshold: 1\n          failureThreshold: 1\n";
    let image = "        image: nginx:1.25\n";
    assert_eq!(yaml.matches(image).count(), 1, "{yaml}");
    yaml.replace(image, &format!("{image}{probe}"))
}

/// Stops `lost` and waits (kubectl wait) until it is Unknown and web-0,
/// on it, not Ready.
fn lose(k: &Cluster, lost: &str) {
    node(&k.server, &["stop", lost]);
    let node = format!("node/{lost}");
    for (condition, object) in [
        ("Ready=Unknown", node.as_str()),
        ("Ready=false", "pod/web-0"),
    ] {
        let condition = format!("--for=condition={condition}");
        k.ok(&["wait", &condition, object, "--timeout=30s"]);
    }
}

/// A cluster of `nodes` that notices a stopped one after 2 s, and the set
/// `web` of nginx pets with a 1 s grace period.
fn lossy_cluster(nodes: &str) -> Option<(Cluster, SetManifest)> {
    let flags = [FAST_SIM, &["--nodes", nodes, "--node-monitor-grace", "2s"]].concat();
    let web = SetManifest::statefulset("web")
        .container("nginx", "nginx:1.25")
        .with_service("nginx")
        .grace_period(1);
    Some((Cluster::start(&flags)?, web))
}

#[test]
fn a_pet_on_a_stopped_node_is_recovered_onto_another_node() {
    let Some((k, web)) = lossy_cluster("3") else {
        return;
    };
    let set = web
        .mount("www", "/usr/share/nginx/html")
        .claim("www")
        .replicas(2);
    k.ok_in(
        &["create", "-f", "-"],
        &set_with_pod_spec(set, &spread("web")),
    );
    k.wait_ready(&["web-0", "web-1"]);
    let timeline = Timeline::start(&k.server, "default");
    timeline.wait_for("both pets Ready", WAIT, |e| {
        let pods = last_state(e, Resource::Pod);
        ["web-0", "web-1"]
            .iter()
            .all(|p| pods.get(*p).is_some_and(ready))
    });
    let before = timeline.entries();
    let lost = pod_field(&before, "web-0", "/spec/nodeName");
    let old_uid = pod_field(&before, "web-0", "/metadata/uid");
    let other_uid = pod_field(&before, "web-1", "/metadata/uid");

    lose(&k, &lost);

    // The dry run lists the pet, its node, the heartbeat and why.
    let dry = petctl_at(&k.server, &["recover", "web", "--dry-run"]);
    dry.expect_success();
    for fragment in [
        format!("web-0 on {lost}: not Ready (Ready=False); force delete (its node is lost)"),
        format!("{lost}: Lease renewed "),
        "; Node Ready=Unknown, last heartbeat ".to_string(),
        "web-1 on ".to_string(),
        "Ready; nothing (not stuck)".to_string(),
        "both write to the same volume".to_string(),
    ] {
        assert!(dry.stdout.contains(&fragment), "{fragment:?}\n{dry}");
    }
    let json = petctl_at(&k.server, &["recover", "web", "--dry-run", "-o", "json"]);
    json.expect_success();
    let plan: Value = serde_json::from_str(&json.stdout).expect("JSON plan");
    assert_eq!(plan["pets"][0]["action"], "force-delete", "{plan}");
    assert_eq!(plan["pets"][0]["heartbeat"]["node"], lost.as_str());
    assert!(plan["pets"][0]["heartbeat"]["leaseRenewTime"].is_string());
    assert_eq!(plan["pets"][1]["action"], "nothing");
    let names = petctl_at(&k.server, &["recover", "web", "--dry-run", "-o", "name"]);
    assert_eq!(names.expect_success().stdout, "pod/web-0\n");

    // No terminal and no --yes: refused, saying how to confirm.
    let unconfirmed = petctl_at(&k.server, &["recover", "web"]);
    assert_eq!(unconfirmed.code, 2, "{unconfirmed}");
    assert!(
        unconfirmed.stderr.contains("pass --yes to confirm"),
        "{unconfirmed}"
    );
    assert_eq!(
        deletions(&timeline.entries()),
        0,
        "the dry runs and the unconfirmed run deleted a pod"
    );

    // Another operation's lease on the set: recover waits its turn.
    let now = jiff::Timestamp::now().to_string();
    let record = serde_json::json!({"operation": "upgrade-image", "holder": "carol@elsewhere",
        "pid": 4242, "command": "petctl upgrade-image web nginx=nginx:9", "id": "carol",
        "acquired": now, "renewed": now, "ttlSeconds": 600});
    let held = serde_json::json!({"metadata": {"annotations": {"petctl.io/operation-lease": record.to_string()}}});
    let patched = k.server.merge_patch(
        "/apis/apps/v1/namespaces/default/statefulsets/web",
        held.to_string().as_bytes(),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let refused = petctl_at(&k.server, &["recover", "web", "--yes"]);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(
        refused
            .stderr
            .contains("is held by another petctl operation: upgrade-image by carol@elsewhere"),
        "{refused}"
    );
    assert_eq!(deletions(&timeline.entries()), 0);

    let run = petctl_at(
        &k.server,
        &["recover", "web", "--yes", "--take-over", "--timeout", "60s"],
    );
    run.expect_success();
    assert_no_lease(&k.server);
    assert!(
        run.stderr.contains(
            "warning: taking over the operation lease of upgrade-image by carol@elsewhere"
        ),
        "{run}"
    );
    let entries = timeline.stop();
    let new_node = pod_field(&entries, "web-0", "/spec/nodeName");
    let new_uid = pod_field(&entries, "web-0", "/metadata/uid");
    assert_ne!(new_uid, old_uid);
    assert_ne!(new_node, lost);
    assert!(last_state(&entries, Resource::Pod)
        .get("web-0")
        .is_some_and(ready));
    assert!(
        run.stdout.contains(&format!(
            "web-0 recovered: {lost} -> {new_node} (uid {new_uid})"
        )),
        "{run}"
    );
    assert!(run.stdout.contains("web-1 not stuck (Ready)"), "{run}");
    assert!(run.stderr.contains("force-deleting web-0"), "{run}");

    // The old web-0 went once, and only then came the new one.
    let mut web0: Vec<&str> = history(&entries, "web-0")
        .iter()
        .map(|(uid, deleted)| match (*uid == old_uid, *deleted) {
            (true, false) => "old",
            (true, true) => "old deleted",
            (false, _) => "new",
        })
        .collect();
    web0.dedup();
    assert_eq!(web0, ["old", "old deleted", "new"]);
    // The other pet and every claim untouched.
    let web1 = history(&entries, "web-1");
    assert!(
        web1.iter()
            .all(|(uid, deleted)| *uid == other_uid && !deleted),
        "{web1:?}"
    );
    assert_eq!(deletions(&entries), 1);
    assert!(claims_unchanged(&entries));

    // The real kubectl sees the new node.
    let wide = k.ok(&["get", "pod", "web-0", "-o", "wide", "--no-headers"]);
    let columns: Vec<&str> = wide.split_whitespace().collect();
    assert_eq!(columns.get(6), Some(&new_node.as_str()), "{wide}");

    // A rerun finds nothing stuck.
    let again = petctl_at(&k.server, &["recover", "web", "--yes"]);
    again.expect_success();
    assert!(again.stdout.contains("web-0 not stuck (Ready)"), "{again}");
    node(&k.server, &["start", &lost]);
}

#[test]
fn a_pet_not_ready_on_a_live_node_is_refused() {
    let server = LocalServer::start_with(FAST_SIM);
    let set = SetManifest::statefulset("web")
        .container("nginx", "nginx:1.25")
        .with_service("nginx")
        .replicas(1);
    let yaml = probed(set.yaml());
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("web.yaml");
    std::fs::write(&file, yaml).expect("manifest written");
    let timeline = Timeline::start(&server, "default");
    petctl_at(
        &server,
        &["create", "-f", file.to_str().expect("utf-8"), "--wait"],
    )
    .expect_success();
    let patched = server.merge_patch(
        "/api/v1/namespaces/default/pods/web-0",
        br#"{"metadata":{"annotations":{"petctl.local/readiness":"fail"}}}"#,
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    timeline.wait_for("web-0 not Ready", WAIT, |e| {
        last_state(e, Resource::Pod)
            .get("web-0")
            .is_some_and(|p| !ready(p) && text(p, "/status/phase") == "Running")
    });
    let uid = pod_field(&timeline.entries(), "web-0", "/metadata/uid");

    let dry = petctl_at(&server, &["recover", "web", "--dry-run"]);
    dry.expect_success();
    assert!(
        dry.stdout
            .contains("web-0 on local-node-0: not Ready (Ready=False")
            && dry.stdout.contains("; refused: its node is not lost"),
        "{dry}"
    );
    let run = petctl_at(&server, &["recover", "web", "--yes"]);
    assert_eq!(run.code, 1, "{run}");
    for fragment in [
        "refused to force-delete a pet",
        "web-0 (not Ready (Ready=False",
        "): node local-node-0 is not lost: Lease renewed ",
        "; Node Ready=True",
        "nothing was deleted",
    ] {
        assert!(run.stderr.contains(fragment), "{fragment:?}\n{run}");
    }
    let entries = timeline.stop();
    assert_eq!(deletions(&entries), 0);
    assert_eq!(pod_field(&entries, "web-0", "/metadata/uid"), uid);
}

#[test]
fn a_petset_pet_terminating_past_its_grace_on_a_lost_node_is_recovered() {
    let flags = [FAST_SIM, &["--nodes", "2", "--node-monitor-grace", "2s"]].concat();
    let server = LocalServer::start_with(&flags);
    // The pet leaves an unreachable node after 1 s (the taint manager's
    // delete, with the pod's 1 s grace period, that nobody confirms).
    let tolerate = "      tolerations:\n      - key: node.kubernetes.io/unreachable\n        operator: Exists\n        effect: NoExecute\n        tolerationSeconds: 1\n";
    let set = SetManifest::petset("db")
        .container("nginx", "nginx:1.25")
        .with_service("db")
        .replicas(1)
        .grace_period(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("db.yaml");
    std::fs::write(&file, set_with_pod_spec(set, tolerate)).expect("manifest written");
    petctl_at(
        &server,
        &["create", "-f", file.to_str().expect("utf-8"), "--wait"],
    )
    .expect_success();
    let timeline = Timeline::start(&server, "default");
    timeline.wait_for("db-0 Ready", WAIT, |e| {
        last_state(e, Resource::Pod).get("db-0").is_some_and(ready)
    });
    let before = timeline.entries();
    let lost = pod_field(&before, "db-0", "/spec/nodeName");
    let old_uid = pod_field(&before, "db-0", "/metadata/uid");
    node(&server, &["stop", &lost]);
    timeline.wait_for("db-0 marked for deletion", WAIT, |e| {
        last_state(e, Resource::Pod)
            .get("db-0")
            .is_some_and(crate::timeline::terminating)
    });
    // Past its grace period is a moment on the clock, not an event: sleep
    // until the deletionTimestamp (the delete's time plus the grace).
    let due = pod_field(&timeline.entries(), "db-0", "/metadata/deletionTimestamp");
    let due: jiff::Timestamp = due.parse().expect("an RFC 3339 deletionTimestamp");
    let left = due.as_millisecond() - jiff::Timestamp::now().as_millisecond();
    std::thread::sleep(Duration::from_millis(left.max(0) as u64 + 1100));

    let run = petctl_at(
        &server,
        &[
            "recover",
            "petset/db",
            "--yes",
            "-o",
            "json",
            "--timeout",
            "60s",
        ],
    );
    run.expect_success();
    let outcome: Value = serde_json::from_str(&run.stdout).expect("JSON outcome");
    let pet = &outcome["pets"][0];
    assert_eq!(pet["symptom"]["kind"], "terminating", "{outcome}");
    assert_eq!(pet["result"], "recovered", "{outcome}");
    let entries = timeline.stop();
    let new_uid = pod_field(&entries, "db-0", "/metadata/uid");
    assert_ne!(new_uid, old_uid);
    assert_eq!(pet["successor"]["uid"], new_uid.as_str());
    let new_node = pod_field(&entries, "db-0", "/spec/nodeName");
    assert_ne!(new_node, lost);
    assert_eq!(pet["successor"]["node"], new_node.as_str());
    assert!(last_state(&entries, Resource::Pod)
        .get("db-0")
        .is_some_and(ready));
    assert_eq!(deletions(&entries), 1);
    node(&server, &["start", &lost]);
}

#[test]
fn a_node_back_while_the_prompt_is_open_keeps_its_pet() {
    if !crate::support::script_available() {
        return;
    }
    let Some((k, web)) = lossy_cluster("2") else {
        return;
    };
    k.ok_in(&["create", "-f", "-"], &web.replicas(1).yaml());
    k.wait_ready(&["web-0"]);
    let lost = k.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    let node_ref = format!("node/{lost}");
    lose(&k, &lost);
    let timeline = Timeline::start(&k.server, "default");

    let (mut recover, command) = crate::support::terminal_command(&k.server, "recover web", "dumb");
    let mut child = recover
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn script");
    let chunks = chunks_of(&mut child);
    let mut shown = read_until(&chunks, "[y/N] ", "recover's prompt");
    assert!(shown.contains("Force-delete web-0? [y/N] "), "{shown}");
    assert!(shown.contains("force delete (its node is lost)"), "{shown}");
    // The node comes back while the question is open.
    node(&k.server, &["start", &lost]);
    k.ok(&["wait", "--for=condition=Ready", &node_ref, "--timeout=30s"]);
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(b"y\n")
        .expect("answer the prompt");
    let code = child.wait().expect("wait for script").code();
    // The reader ends with the terminal's output.
    shown.extend(
        chunks
            .iter()
            .map(|c| String::from_utf8_lossy(&c).into_owned()),
    );
    let entries = timeline.stop();
    let run = crate::support::Run {
        command,
        code: code.unwrap_or(-1),
        stdout: String::new(),
        stderr: shown,
    };
    assert_eq!(run.code, 1, "{run}");
    for fragment in [
        format!("web-0: node {lost} is not lost any more; not deleted"),
        "web-0 not deleted: its node came back".to_string(),
        format!("node {lost} is not lost: Lease renewed "),
    ] {
        assert!(run.stderr.contains(&fragment), "{fragment:?}\n{run}");
    }
    assert_eq!(deletions(&entries), 0, "{run}");
}

#[test]
fn only_the_pet_on_the_lost_node_is_force_deleted() {
    let Some((k, web)) = lossy_cluster("3") else {
        return;
    };
    let yaml = probed(set_with_pod_spec(web.replicas(2), &spread("web")));
    k.ok_in(&["create", "-f", "-"], &yaml);
    k.wait_ready(&["web-0", "web-1"]);
    let timeline = Timeline::start(&k.server, "default");
    let lost = k.ok(&["get", "pod", "web-0", "-o", "jsonpath={.spec.nodeName}"]);
    let live = k.ok(&["get", "pod", "web-1", "-o", "jsonpath={.spec.nodeName}"]);
    let live_uid = k.ok(&["get", "pod", "web-1", "-o", "jsonpath={.metadata.uid}"]);
    k.ok(&["annotate", "pod", "web-1", "petctl.local/readiness=fail"]);
    k.ok(&[
        "wait",
        "--for=condition=Ready=false",
        "pod/web-1",
        "--timeout=30s",
    ]);
    lose(&k, &lost);

    // web-0 is recovered; web-1, not Ready on a live node, is refused.
    let run = petctl_at(&k.server, &["recover", "web", "--yes"]);
    assert_eq!(run.code, 1, "{run}");
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{run}");
    assert!(
        lines[0].starts_with(&format!("web-0 recovered: {lost} -> ")),
        "{run}"
    );
    assert_eq!(lines[1], "web-1 refused: its node is not lost", "{run}");
    assert!(
        run.stderr.contains("web-1 (not Ready (Ready=False, ")
            && run
                .stderr
                .contains(&format!("node {live} is not lost: Lease renewed ")),
        "{run}"
    );
    let entries = timeline.stop();
    assert_eq!(deletions(&entries), 1, "{run}");
    assert!(history(&entries, "web-1")
        .iter()
        .all(|(uid, deleted)| *uid == live_uid && !deleted));
    assert_ne!(pod_field(&entries, "web-0", "/spec/nodeName"), lost);
    node(&k.server, &["start", &lost]);
}

/// A run killed (SIGKILL) after its force delete leaves its lease on the
/// set; the same command run again resumes on it and, instead of taking the
/// successor still starting on a live node for a stuck pet (and refusing),
/// awaits it Running and Ready. The pet is deleted once in all.
#[test]
fn a_rerun_after_kill_9_awaits_the_pet_the_killed_run_deleted() {
    // Slow to get Ready, so that the successor is still starting when the
    // second run plans.
    let flags = [
        "--ready-delay",
        "5s",
        "--max-grace",
        "100ms",
        "--nodes",
        "3",
        "--node-monitor-grace",
        "2s",
    ];
    let Some(k) = Cluster::start(&flags) else {
        return;
    };
    let web = SetManifest::statefulset("web")
        .container("nginx", "nginx:1.25")
        .with_service("nginx")
        .grace_period(1);
    k.ok_in(&["create", "-f", "-"], &web.replicas(1).yaml());
    k.wait_ready(&["web-0"]);
    let timeline = Timeline::start(&k.server, "default");
    timeline.wait_for("web-0 Ready", WAIT, |e| {
        last_state(e, Resource::Pod).get("web-0").is_some_and(ready)
    });
    let old_uid = pod_field(&timeline.entries(), "web-0", "/metadata/uid");
    let lost = pod_field(&timeline.entries(), "web-0", "/spec/nodeName");
    lose(&k, &lost);

    let command = ["recover", "web", "--yes"];
    let mut first = spawn_at(&k.server, &command);
    let lines = stderr_lines(&mut first);
    await_line(&lines, "force-deleting web-0");
    // Killed once its delete is done, while it awaits the successor.
    timeline.wait_for("web-0 force-deleted", WAIT, |e| {
        history(e, "web-0").contains(&(old_uid.clone(), true))
    });
    let pid = Pid::from_raw(i32::try_from(first.id()).expect("pid"));
    kill(pid, Signal::SIGKILL).expect("kill -9 petctl recover");
    let _ = first.wait();

    let second = petctl_at(&k.server, &command);
    second.expect_success();
    assert!(
        second
            .stderr
            .contains("resuming: taking over the lease of an earlier run of this command"),
        "{second}"
    );
    assert!(
        second
            .stderr
            .contains("await it: recreated after an earlier recover that did not finish"),
        "{second}"
    );
    assert!(
        second
            .stdout
            .starts_with("web-0 recovered by an earlier run: now Ready on "),
        "{second}"
    );
    let entries = timeline.stop();
    let seen = history(&entries, "web-0");
    let deleted: Vec<&(String, bool)> = seen.iter().filter(|(_, d)| *d).collect();
    assert_eq!(
        deleted,
        [&(old_uid.clone(), true)],
        "deleted once: {seen:?}"
    );
    let new_uid = pod_field(&entries, "web-0", "/metadata/uid");
    assert_ne!(new_uid, old_uid);
    assert_ne!(pod_field(&entries, "web-0", "/spec/nodeName"), lost);
    assert!(
        second.stdout.contains(&format!("(uid {new_uid})")),
        "{second}"
    );
    assert_no_lease(&k.server);
}
