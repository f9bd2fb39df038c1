//! `petctl upgrade-image` against the local control plane: the invariants
//! of a rollout (order, availability, claims, final images) for a PetSet
//! and StatefulSets with OnDelete and RollingUpdate, the plan and error
//! messages, a failing image, rollback, recovery of a stuck set, SIGKILL
//! and resume, and injected faults.

use std::time::Duration;

use serde_json::Value;

use crate::support::{
    petctl, petctl_at, spawn_at, LocalServer, Run, Seed, SetManifest, OBSERVABLE_SIM, SLOW_READY,
};
use crate::timeline::{
    claims_changed, creation_order, deletion_order, final_images, max_not_ready, Entry, Timeline,
};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    PetSet,
    OnDelete,
    RollingUpdate,
}

pub(crate) const PETS: [&str; 3] = ["web-2", "web-1", "web-0"];

fn manifest(kind: Kind, image: &str) -> String {
    let set = match kind {
        Kind::PetSet => SetManifest::petset("web")
            .pod_annotation("pod.alpha.kubernetes.io/initialized", "\"true\""),
        Kind::OnDelete => SetManifest::statefulset("web").update_strategy("OnDelete"),
        Kind::RollingUpdate => SetManifest::statefulset("web").spec(
            "  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      partition: 0\n",
        ),
    };
    set.with_service("web")
        .grace_period(1)
        .container("nginx", image)
        .mount("www", "/data")
        .container("log", "busybox:1")
        .claim("www")
        .yaml()
}

/// A server with the simulation of [`OBSERVABLE_SIM`], holding a set of 3 Ready pets on nginx:1. `extra`
/// flags come after the defaults and may override them.
pub(crate) fn cluster(kind: Kind, extra: &[&str]) -> LocalServer {
    let mut flags: Vec<&str> = Vec::new();
    for flag in OBSERVABLE_SIM.chunks(2) {
        if !extra.contains(&flag[0]) {
            flags.extend(flag);
        }
    }
    flags.extend_from_slice(extra);
    let server = LocalServer::start_with(&flags);
    let file = server.dir.path().join("web.yaml");
    std::fs::write(&file, manifest(kind, "nginx:1")).expect("write manifest");
    let file = file.to_str().expect("utf-8 path").to_string();
    let timeline = Timeline::start(&server, "default");
    // create is safe to retry on its own, under injected faults too.
    let run = petctl_at(&server, &["create", "-f", &file]);
    expect(&run, 0, &server);
    timeline.wait_for("3 Ready pets", Duration::from_secs(60), |e| {
        crate::timeline::not_ready_now("web", 3, e) == 0
    });
    timeline.stop();
    server
}

#[track_caller]
pub(crate) fn expect(run: &Run, code: i32, server: &LocalServer) {
    assert_eq!(
        run.code,
        code,
        "{run}\n--- server log ---\n{}",
        server.log_tail()
    );
}

fn pod_image(server: &LocalServer, pet: &str) -> String {
    let pod = server
        .get(&format!("/api/v1/namespaces/default/pods/{pet}"))
        .json();
    pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

pub(crate) fn set_path(kind: Kind) -> &'static str {
    match kind {
        Kind::PetSet => "/apis/apps/v1alpha1/namespaces/default/petsets/web",
        _ => "/apis/apps/v1/namespaces/default/statefulsets/web",
    }
}

pub(crate) fn set_object(server: &LocalServer, kind: Kind) -> Value {
    server.get(set_path(kind)).json()
}

/// The invariants every completed upgrade of the 3-pet set keeps.
#[track_caller]
fn assert_invariants(entries: &[Entry], image: &str, deleted: &[&str]) {
    assert_eq!(deletion_order("web", entries), deleted, "deletion order");
    assert_eq!(creation_order("web", entries), deleted, "creation order");
    assert!(
        max_not_ready("web", 3, entries) <= 1,
        "more than one pet down at once"
    );
    assert_eq!(
        claims_changed(entries),
        Vec::<String>::new(),
        "claims changed"
    );
    let images = final_images("web", entries);
    for pet in PETS {
        assert_eq!(
            images.get(pet).map(|i| i[0].as_str()),
            Some(image),
            "{pet}: {images:?}"
        );
    }
}

fn rollout_keeps_invariants(kind: Kind) {
    let server = cluster(kind, &[]);
    let before = set_object(&server, kind);
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]);
    expect(&run, 0, &server);
    let entries = timeline.stop();
    let display = if kind == Kind::PetSet {
        "petset.apps/web"
    } else {
        "statefulset.apps/web"
    };
    assert_eq!(
        run.stdout,
        format!("{display} upgraded to nginx=nginx:2; replaced web-2, web-1, web-0\n")
    );
    assert_invariants(&entries, "nginx:2", &PETS);
    let after = set_object(&server, kind);
    assert_eq!(
        after["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:2"
    );
    assert_eq!(
        after["spec"]["template"]["spec"]["containers"][1]["image"],
        "busybox:1"
    );
    assert_eq!(
        after["spec"]["updateStrategy"],
        before["spec"]["updateStrategy"]
    );
    assert!(after["metadata"]["annotations"]
        .get("petctl.io/upgrade-update-strategy")
        .is_none());

    // Again: nothing to do, nothing deleted.
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]);
    expect(&run, 0, &server);
    assert_eq!(
        run.stdout,
        format!("{display} upgraded to nginx=nginx:2; skipped web-2, web-1, web-0\n")
    );
    assert_eq!(
        deletion_order("web", &timeline.stop()),
        Vec::<String>::new()
    );
}

#[test]
fn petset_rollout_keeps_the_invariants() {
    rollout_keeps_invariants(Kind::PetSet);
}

#[test]
fn ondelete_statefulset_rollout_keeps_the_invariants() {
    rollout_keeps_invariants(Kind::OnDelete);
}

#[test]
fn rollingupdate_statefulset_rollout_keeps_the_invariants_and_its_strategy() {
    rollout_keeps_invariants(Kind::RollingUpdate);
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let server = cluster(Kind::RollingUpdate, &[]);
    let run = petctl_at(
        &server,
        &[
            "upgrade-image",
            "sts/web",
            "nginx=nginx:2",
            "--dry-run",
            "--order",
            "ascending",
            "--partition",
            "1",
            "--min-ready",
            "1s",
        ],
    );
    expect(&run, 0, &server);
    assert_eq!(
        run.stdout,
        "upgrade statefulset/web in namespace default:
  container nginx: nginx:1 -> nginx:2
strategy: RollingUpdate: switched to OnDelete for the upgrade, restored after
order: ascending, partition 1, max unavailable 1, min ready 1s, pet timeout 5m
   1. web-0  keep           Ready on nginx:1 (below the partition)
   2. web-1  replace        Ready on nginx:1
   3. web-2  replace        Ready on nginx:1
"
    );
    let set = set_object(&server, Kind::RollingUpdate);
    assert_eq!(
        set["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1"
    );
    assert_eq!(set["spec"]["updateStrategy"]["type"], "RollingUpdate");
}

#[test]
fn bad_arguments_exit_2_with_clear_messages() {
    let cases: [(&[&str], &str); 4] = [
        (&["upgrade-image", "web", "nginx"], "error: invalid image change \"nginx\": expected CONTAINER=IMAGE, e.g. nginx=nginx-slim:0.8\n"),
        (&["upgrade-image", "web", "nginx=a", "--max-unavailable", "2"], "error: --max-unavailable 2: only 1 is supported (pets are replaced one at a time)\n"),
        (&["upgrade-image", "web", "nginx=a", "--partition", "-1"], "error: --partition -1: must be 0 or more\n"),
        (&["upgrade-image", "deploy/web", "nginx=a"], "error: \"deploy\" is not a set kind: use petset/NAME, statefulset/NAME or sts/NAME\n"),
    ];
    for (args, stderr) in cases {
        let run = petctl(args);
        run.expect_code(2);
        assert_eq!(run.stderr, stderr, "{run}");
    }
}

#[test]
fn cluster_side_refusals() {
    let server = cluster(Kind::OnDelete, &[]);
    let run = petctl_at(&server, &["upgrade-image", "web", "ngnix=nginx:2", "--yes"]);
    expect(&run, 2, &server);
    assert_eq!(
        run.stderr,
        "error: cannot upgrade statefulset \"web\": statefulset default/web has no container \"ngnix\": did you mean \"nginx\"? (its containers: nginx, log)\n"
    );
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2"]);
    expect(&run, 2, &server);
    assert_eq!(
        run.stderr,
        "error: refusing to upgrade without confirmation: stdin is not a terminal; pass --yes (or --dry-run to see the plan)\n"
    );
}

/// An upgrade to an image the server's `--fail-images *:broken` makes
/// crash, giving up on a pet after 3 s.
const TO_BROKEN: [&str; 6] = [
    "upgrade-image",
    "web",
    "nginx=nginx:broken",
    "--yes",
    "--pet-timeout",
    "3s",
];

/// A failing image stops at the first pet with its reason; the rest stay.
/// The set is left stuck (#67250); an upgrade to a good image replaces the
/// stuck pet first and completes.
#[test]
fn a_failing_image_stops_at_the_first_pet_and_a_good_one_recovers() {
    let server = cluster(Kind::RollingUpdate, &["--fail-images", "*:broken"]);
    let run = petctl_at(&server, &TO_BROKEN);
    expect(&run, 1, &server);
    let first = run
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or("");
    assert_eq!(
        first,
        "error: upgrade of statefulset \"web\" failed: web-2 was not Ready on the wanted image within --pet-timeout 3s:"
    );
    assert!(
        run.stderr
            .contains("  web-2: CrashLoopBackOff (container nginx: CrashLoopBackOff"),
        "{run}"
    );
    assert!(
        run.stderr.contains("left untouched: web-1, web-0\n"),
        "{run}"
    );
    assert!(run.stderr.contains(
        "statefulset/web stays OnDelete (its own strategy is kept in annotation petctl.io/upgrade-update-strategy) until an upgrade-image run completes"
    ), "{run}");
    assert_eq!(pod_image(&server, "web-1"), "nginx:1");
    assert_eq!(pod_image(&server, "web-0"), "nginx:1");

    let plan = petctl_at(
        &server,
        &["upgrade-image", "web", "nginx=nginx:3", "--dry-run"],
    );
    expect(&plan, 0, &server);
    assert!(plan.stdout.contains(
        "strategy: OnDelete, switched by an unfinished upgrade: the recorded strategy is restored after\n"
    ), "{plan}");
    assert!(plan.stdout.contains("   1. web-2  replace first  CrashLoopBackOff on nginx:broken (stuck: it is down already)\n"), "{plan}");

    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:3", "--yes"]);
    expect(&run, 0, &server);
    assert_invariants(&timeline.stop(), "nginx:3", &PETS);
    let set = set_object(&server, Kind::RollingUpdate);
    assert_eq!(set["spec"]["updateStrategy"]["type"], "RollingUpdate");
}

#[test]
fn rollback_on_failure_brings_the_pet_back_on_the_old_image() {
    let server = cluster(Kind::OnDelete, &["--fail-images", "*:broken"]);
    let timeline = Timeline::start(&server, "default");
    let rollback = ["--rollback-on-failure", "-o", "json"];
    let run = petctl_at(&server, &[&TO_BROKEN[..], &rollback].concat());
    expect(&run, 1, &server);
    assert!(run.stderr.contains(
        "error: upgrade of statefulset \"web\" failed and was rolled back: web-2 was not Ready on the wanted image within --pet-timeout 3s:"
    ), "{run}");
    let outcome: Value = serde_json::from_str(&run.stdout).expect("json outcome");
    assert_eq!(outcome["status"], "rolledBack");
    assert_eq!(
        outcome["pets"][0],
        serde_json::json!({"name": "web-2", "ordinal": 2, "result": "rolledBack"})
    );
    assert_eq!(outcome["pets"][1]["result"], "untouched");
    let entries = timeline.stop();
    // web-2 twice: once for the upgrade, once to bring it back.
    assert_eq!(deletion_order("web", &entries), ["web-2", "web-2"]);
    assert!(max_not_ready("web", 3, &entries) <= 1);
    for pet in PETS {
        assert_eq!(pod_image(&server, pet), "nginx:1", "{pet}");
    }
    let set = set_object(&server, Kind::OnDelete);
    assert_eq!(
        set["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1"
    );
}

/// kill -9 in the middle, run again: it finishes from cluster state, and
/// no pet is deleted twice.
#[test]
fn sigkill_in_the_middle_then_resume() {
    let server = cluster(Kind::RollingUpdate, SLOW_READY);
    let timeline = Timeline::start(&server, "default");
    let args = ["upgrade-image", "web", "nginx=nginx:2", "--yes"];
    // Its output is left in the pipes: it is killed long before they fill.
    let mut child = spawn_at(&server, &args);
    timeline.wait_for("the replacement of web-2", Duration::from_secs(60), |e| {
        creation_order("web", e).first().map(String::as_str) == Some("web-2")
    });
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9 petctl");
    let _ = child.wait();

    let run = petctl_at(&server, &args);
    expect(&run, 0, &server);
    assert!(
        run.stdout
            .starts_with("statefulset.apps/web upgraded to nginx=nginx:2; replaced web-1, web-0;"),
        "{run}"
    );
    assert_invariants(&timeline.stop(), "nginx:2", &PETS);
    assert_eq!(
        set_object(&server, Kind::RollingUpdate)["spec"]["updateStrategy"]["type"],
        "RollingUpdate"
    );
}

#[test]
fn completes_under_injected_faults() {
    let seed = Seed::new();
    let faults = ["--fault-rate", "0.1", "--watch-drop-after", "2s"];
    let server = cluster(
        Kind::RollingUpdate,
        &[&faults, &seed.fault_flags()[..]].concat(),
    );
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]);
    assert_eq!(
        run.code,
        0,
        "{run}\n--- server log ---\n{}",
        server.log_tail()
    );
    assert_invariants(&timeline.stop(), "nginx:2", &PETS);
    // A delete retried after an injected fault is still said once.
    for pet in PETS {
        let said = run
            .stderr
            .lines()
            .filter(|l| l.ends_with(&format!("deleting {pet}")))
            .count();
        assert!(said <= 1, "deleting {pet} said {said} times: {run}");
    }
}
