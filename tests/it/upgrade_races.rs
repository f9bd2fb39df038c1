//! upgrade-image racing others: two upgrades of one set at seeded random
//! offsets (exactly one proceeds, the other is refused naming the holder),
//! and an upgrade against a concurrent `kubectl scale` and `kubectl delete`
//! (kubectl ignores the lease): the upgrade stops at once, because of the
//! change, and never calls the removed pets down.

use std::process::Child;
use std::time::Duration;

use crate::support::{
    finish_run, kubectl_or_skip, kubectl_with, petctl_at, spawn_at, test_name, LocalServer, Rng,
    Run,
};
use crate::timeline::{deletion_order, max_not_ready, Entry, Timeline};
use crate::upgrade::{cluster, expect, set_object, Kind, PETS};

/// Each run of `args` on its own thread, started `offsets` later.
pub(crate) fn race(server: &LocalServer, runs: &[(Duration, Vec<String>)]) -> Vec<Run> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|(offset, args)| {
                scope.spawn(move || {
                    // The start offset is the race's randomness, not a wait.
                    std::thread::sleep(*offset);
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    petctl_at(server, &args)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("petctl thread"))
            .collect()
    })
}

/// How many times each pet of `set` was deleted.
fn deletions(set: &str, entries: &[Entry]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for pet in deletion_order(set, entries) {
        *counts.entry(pet).or_insert(0) += 1;
    }
    counts
}

#[test]
fn two_concurrent_upgrades_one_proceeds_the_other_is_refused() {
    let mut rng = Rng::seeded();
    let server = cluster(Kind::RollingUpdate, &[]);
    for round in 0..3 {
        let image = format!("nginx=nginx:{}", round + 2);
        // --min-ready keeps the winner at work long after the other starts.
        let args: Vec<String> = ["upgrade-image", "web", &image, "--yes", "--min-ready", "1s"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let offsets = [rng.below(300), rng.below(300)];
        let timeline = Timeline::start(&server, "default");
        let runs = race(
            &server,
            &offsets.map(|ms| (Duration::from_millis(ms), args.clone())),
        );
        let entries = timeline.stop();
        let context = format!(
            "round {round}, offsets {offsets:?}\n{}\n{}\n--- server log ---\n{}",
            runs[0],
            runs[1],
            server.log_tail()
        );
        let codes: Vec<i32> = runs.iter().map(|r| r.code).collect();
        let mut sorted = codes.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [0, 1], "exactly one proceeds: {context}");
        let loser = &runs[codes.iter().position(|c| *c == 1).unwrap_or(0)];
        assert!(
            loser.stderr.contains(
                "error: upgrade of statefulset \"web\" not started: statefulset \"web\" is held by another petctl operation: upgrade-image by "
            ) && loser.stderr.contains(&format!("command: {} --kubeconfig", env!("CARGO_BIN_EXE_petctl"))),
            "the refusal names the holder: {context}"
        );
        let counts = deletions("web", &entries);
        for pet in PETS {
            assert_eq!(counts.get(pet), Some(&1), "{pet} restarted once: {context}");
        }
        assert!(
            max_not_ready("web", 3, &entries) <= 1,
            "one pet down at most: {context}"
        );
    }
}

/// `upgrade-image web nginx=nginx:2`.
pub(crate) const UPGRADE: [&str; 4] = ["upgrade-image", "web", "nginx=nginx:2", "--yes"];

/// [`UPGRADE`] with a --pet-timeout far beyond the test, and a --min-ready
/// that holds it after the first pet until its --timeout.
pub(crate) const HOLDING_UPGRADE: [&str; 10] = [
    "upgrade-image",
    "web",
    "nginx=nginx:2",
    "--yes",
    "--pet-timeout",
    "30m",
    "--min-ready",
    "30m",
    "--timeout",
    "3m",
];

/// Starts petctl with `args` in the background and waits until it has
/// deleted web-2, the first pet of an upgrade.
pub(crate) fn upgrade_in_background(
    server: &LocalServer,
    timeline: &Timeline,
    args: &[&str],
) -> Child {
    let child = spawn_at(server, args);
    timeline.wait_for("the upgrade deleting web-2", Duration::from_secs(60), |e| {
        !deletion_order("web", e).is_empty()
    });
    child
}

pub(crate) fn finish(child: Child) -> Run {
    finish_run(child, "petctl upgrade-image web nginx=nginx:2 --yes …")
}

/// The last line of stderr: the error petctl stopped with.
fn error_of(run: &Run) -> String {
    run.stderr
        .split("error: ")
        .last()
        .unwrap_or_default()
        .to_string()
}

/// A [`HOLDING_UPGRADE`] of a set of `kind`, and the real kubectl running
/// `args` against the set once the upgrade has deleted its first pet: the
/// server, the upgrade's run (failed, exit 1) and the timeline; None when
/// kubectl is missing.
fn upgrade_racing_kubectl(kind: Kind, args: &[&str]) -> Option<(LocalServer, Run, Vec<Entry>)> {
    let kubectl = kubectl_or_skip(&test_name())?;
    let server = cluster(kind, &[]);
    let timeline = Timeline::start(&server, "default");
    let child = upgrade_in_background(&server, &timeline, &HOLDING_UPGRADE);
    kubectl_with(&kubectl, &server, args, None).expect_success();
    let run = finish(child);
    let entries = timeline.stop();
    expect(&run, 1, &server);
    Some((server, run, entries))
}

#[test]
fn a_scale_down_stops_the_upgrade_and_the_removed_pets_are_gone_not_down() {
    let scale_down = ["scale", "sts/web", "--replicas=1"];
    let Some((server, run, entries)) = upgrade_racing_kubectl(Kind::RollingUpdate, &scale_down)
    else {
        return;
    };
    assert_eq!(
        error_of(&run),
        "upgrade of statefulset \"web\" stopped: statefulset default/web was scaled from 3 to 1 replicas by someone else while petctl was upgrading it; web-2, web-1 removed by that scale-down (gone, not down); no further pet was replaced
left untouched: web-0
statefulset/web stays OnDelete (its own strategy is kept in annotation petctl.io/upgrade-update-strategy) until an upgrade-image run completes
",
        "{run}"
    );
    assert!(
        !deletion_order("web", &entries).contains(&"web-0".to_string()),
        "web-0 was not touched"
    );
    // The lease went with the upgrade.
    let set = set_object(&server, Kind::RollingUpdate);
    assert!(set["metadata"]["annotations"]
        .get("petctl.io/operation-lease")
        .is_none());
}

#[test]
fn a_delete_stops_the_upgrade_at_once() {
    let Some((_, run, _)) = upgrade_racing_kubectl(Kind::OnDelete, &["delete", "sts/web"]) else {
        return;
    };
    assert_eq!(
        error_of(&run),
        "upgrade of statefulset \"web\" stopped: statefulset default/web was deleted while petctl was upgrading it; no further pet was replaced\nleft untouched: web-1, web-0\n",
        "{run}"
    );
}

#[test]
fn a_template_change_by_someone_else_stops_the_upgrade() {
    let set_image = ["set", "image", "sts/web", "log=busybox:2"];
    let Some((_, run, _)) = upgrade_racing_kubectl(Kind::OnDelete, &set_image) else {
        return;
    };
    assert_eq!(
        error_of(&run),
        "upgrade of statefulset \"web\" stopped: the template of statefulset default/web was changed by someone else while petctl was upgrading it: spec.template.spec.containers[1].image is now \"busybox:2\" (was \"busybox:1\"); no further pet was replaced\nleft untouched: web-1, web-0\n",
        "{run}"
    );
}
