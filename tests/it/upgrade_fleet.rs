//! One `upgrade-image` across several sets: two StatefulSets under one
//! `maxUnavailable: 1` PodDisruptionBudget rolled with `-l`, at most one pet
//! down across both at every instant of the recorded timeline and every pet
//! on the new image; a set that fails stops the rollout with the later set
//! untouched (template and pod uids); a lease held on one set refuses the
//! whole rollout before any change, releasing the leases taken.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use std::time::Duration;

use crate::support::{by_name, petctl_at, spawn_at, LocalServer, OBSERVABLE_SIM};
use crate::timeline::{creation_order, deletion_order, ready, text, Timeline};
use crate::upgrade::expect;
use crate::upgrade_disruption::{create, front_pdb, front_set, max_down, pods_now, readiness};

const WAIT: Duration = Duration::from_secs(60);

const PETS: [&str; 4] = ["hot-0", "hot-1", "warm-0", "warm-1"];

fn two_sets(extra: &[&str]) -> LocalServer {
    let mut flags: Vec<&str> = Vec::new();
    for flag in OBSERVABLE_SIM.chunks(2).filter(|f| !extra.contains(&f[0])) {
        flags.extend(flag);
    }
    flags.extend_from_slice(extra);
    let server = LocalServer::start_with(&flags);
    front_pdb(&server);
    // Created warm first: the rollout goes by name all the same.
    create(
        &server,
        "warm.yaml",
        &front_set("warm", 2, "nginx:1"),
        &PETS[2..],
    );
    create(
        &server,
        "hot.yaml",
        &front_set("hot", 2, "nginx:1"),
        &PETS[..2],
    );
    server
}

fn set(server: &LocalServer, name: &str) -> Value {
    server
        .get(&format!(
            "/apis/apps/v1/namespaces/default/statefulsets/{name}"
        ))
        .json()
}

fn pods(server: &LocalServer) -> BTreeMap<String, (String, String)> {
    by_name(server, "/api/v1/namespaces/default/pods")
        .into_iter()
        .map(|(name, p)| {
            let uid = text(&p, "/metadata/uid").to_string();
            (
                name,
                (uid, text(&p, "/spec/containers/0/image").to_string()),
            )
        })
        .collect()
}

fn template_image(server: &LocalServer, name: &str) -> String {
    text(&set(server, name), "/spec/template/spec/containers/0/image").to_string()
}

fn leased(server: &LocalServer, name: &str) -> bool {
    set(server, name)["metadata"]["annotations"]
        .get("petctl.io/operation-lease")
        .is_some()
}

#[test]
fn two_sets_under_one_budget_roll_one_pet_at_a_time_across_both() {
    let server = two_sets(&[]);
    let select = ["upgrade-image", "-l", "tier=front", "nginx=nginx:2"];
    let dry = petctl_at(&server, &[&select[..], &["--dry-run"]].concat());
    expect(&dry, 0, &server);
    assert!(dry.stdout.starts_with(
        "rollout of 2 sets, in this order: statefulset/hot, statefulset/warm; max unavailable counted across all of them\nupgrade statefulset/hot in namespace default:\n"
    ), "{dry}");
    assert!(
        dry.stdout
            .contains("upgrade statefulset/warm in namespace default:\n"),
        "{dry}"
    );

    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &[&select[..], &["--yes", "-o", "json"]].concat());
    expect(&run, 0, &server);
    let entries = timeline.stop();
    assert_eq!(
        max_down(&entries, &PETS),
        1,
        "more than one pet down across the sets"
    );
    assert_eq!(deletion_order("hot", &entries), ["hot-1", "hot-0"]);
    assert_eq!(deletion_order("warm", &entries), ["warm-1", "warm-0"]);
    let turn = |set: &str| {
        run.stderr
            .find(&format!("statefulset \"{set}\": its turn"))
            .unwrap_or(usize::MAX)
    };
    assert!(
        turn("hot") < turn("warm") && turn("warm") < usize::MAX,
        "{run}"
    );
    assert!(
        run.stderr
            .contains("evicting hot-1 (disruption budget front-pdb)"),
        "{run}"
    );
    let outcomes: Value = serde_json::from_str(&run.stdout).expect("json");
    let per_set: Vec<(&str, &str)> = outcomes
        .as_array()
        .expect("a list of per-set outcomes")
        .iter()
        .map(|o| (text(o, "/set"), text(o, "/status")))
        .collect();
    assert_eq!(
        per_set,
        [
            ("statefulset/hot", "completed"),
            ("statefulset/warm", "completed")
        ]
    );
    assert_eq!(
        outcomes[1]["pets"][0],
        json!({"name": "warm-1", "ordinal": 1, "result": "replaced", "budgets": ["front-pdb"]})
    );
    for (pet, (_, image)) in pods(&server) {
        assert_eq!(image, "nginx:2", "{pet}");
    }
    assert!(!leased(&server, "hot") && !leased(&server, "warm"));
}

#[test]
fn a_failing_set_stops_the_rollout_and_leaves_the_later_set_untouched() {
    let server = two_sets(&["--fail-images", "*:broken"]);
    let before = pods(&server);
    let run = petctl_at(
        &server,
        &[
            "upgrade-image",
            "hot",
            "warm",
            "nginx=nginx:broken",
            "--yes",
            "--pet-timeout",
            "3s",
        ],
    );
    expect(&run, 1, &server);
    assert_eq!(
        run.stdout,
        "statefulset.apps/hot did not complete (failed)\nstatefulset.apps/warm not started: an earlier set did not complete; template and pets untouched\n"
    );
    assert!(run.stderr.contains("error: upgrade of statefulset \"hot\" did not complete (failed): hot-1 was not Ready on the wanted image within --pet-timeout 3s"), "{run}");
    assert!(
        run.stderr
            .contains("not started (templates and pets untouched): statefulset \"warm\""),
        "{run}"
    );
    assert_eq!(template_image(&server, "warm"), "nginx:1");
    let after = pods(&server);
    for pet in ["warm-0", "warm-1", "hot-0"] {
        assert_eq!(after.get(pet), before.get(pet), "{pet} changed");
    }
    assert!(!leased(&server, "hot") && !leased(&server, "warm"));
}

#[test]
fn a_lease_held_on_one_set_refuses_the_whole_rollout() {
    let server = two_sets(&[]);
    let now = jiff::Timestamp::now().to_string();
    let record = json!({"operation": "scale", "holder": "someone@elsewhere", "pid": 1,
        "command": "petctl scale warm", "id": "theirs", "acquired": now, "renewed": now, "ttlSeconds": 600});
    let patch =
        json!({"metadata": {"annotations": {"petctl.io/operation-lease": record.to_string()}}});
    let answer = server.merge_patch(
        "/apis/apps/v1/namespaces/default/statefulsets/warm",
        patch.to_string().as_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let run = petctl_at(
        &server,
        &["upgrade-image", "hot", "warm", "nginx=nginx:2", "--yes"],
    );
    expect(&run, 1, &server);
    assert!(run.stderr.contains("not started"), "{run}");
    assert!(run.stderr.contains("someone@elsewhere"), "{run}");
    // hot's lease, taken first, was released; nothing else changed.
    assert!(!leased(&server, "hot"));
    assert_eq!(template_image(&server, "hot"), "nginx:1");
    assert_eq!(template_image(&server, "warm"), "nginx:1");
}

#[test]
fn max_unavailable_counts_the_pets_of_every_set() {
    let server = two_sets(&[]);
    let timeline = Timeline::start(&server, "default");
    readiness(&server, "warm-0", "fail");
    timeline.wait_for("warm-0 unready", WAIT, |e| {
        pods_now(e).get("warm-0").is_some_and(|p| !ready(p))
    });
    let before = pods(&server);
    // No budget in the way: petctl's own count across the sets holds hot.
    let args = [
        "upgrade-image",
        "hot",
        "warm",
        "nginx=nginx:2",
        "--yes",
        "--force",
    ];
    let run = petctl_at(
        &server,
        &[
            &args[..],
            &["--disruption", "delete", "--pet-timeout", "3s"],
        ]
        .concat(),
    );
    expect(&run, 1, &server);
    let entries = timeline.stop();
    assert!(run.stderr.contains("hot-1 was not replaced: warm-0 (Running) stayed not Ready, and replacing hot-1 would take more than 1 pet down"), "{run}");
    assert_eq!(deletion_order("hot", &entries), Vec::<String>::new());
    assert_eq!(pods(&server).get("hot-1"), before.get("hot-1"));
}

#[test]
fn sigkill_mid_rollout_then_resume_per_set() {
    let server = two_sets(&["--ready-delay", "1s"]);
    let timeline = Timeline::start(&server, "default");
    let args = [
        "upgrade-image",
        "-l",
        "tier=front",
        "nginx=nginx:2",
        "--yes",
    ];
    // Its output is left in the pipes: it is killed long before they fill.
    let mut child = spawn_at(&server, &args);
    timeline.wait_for("the replacement of warm-1", WAIT, |e| {
        creation_order("warm", e).first().map(String::as_str) == Some("warm-1")
    });
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9 petctl");
    let _ = child.wait();
    assert!(leased(&server, "hot") && leased(&server, "warm"));

    let run = petctl_at(&server, &args);
    expect(&run, 0, &server);
    let entries = timeline.stop();
    assert_eq!(
        run.stdout,
        "statefulset.apps/hot upgraded to nginx=nginx:2; skipped hot-1, hot-0\nstatefulset.apps/warm upgraded to nginx=nginx:2; replaced warm-0; waited for warm-1\n"
    );
    // Each pet deleted exactly once over both runs.
    assert_eq!(deletion_order("hot", &entries), ["hot-1", "hot-0"]);
    assert_eq!(deletion_order("warm", &entries), ["warm-1", "warm-0"]);
    assert_eq!(max_down(&entries, &PETS), 1);
    assert!(!leased(&server, "hot") && !leased(&server, "warm"));
}

#[test]
fn bad_selections_exit_2_with_clear_messages() {
    let cases: [(&[&str], &str); 4] = [
        (&["upgrade-image", "-l", "tier=front", "hot", "nginx=a"], "error: name sets (hot) or give -l, not both\n"),
        (&["upgrade-image", "nginx=a"], "error: no set given: name one (or several), or select them with -l\n"),
        (&["upgrade-image", "-l", "tier=front", "nginx"], "error: invalid image change \"nginx\": expected CONTAINER=IMAGE, e.g. nginx=nginx-slim:0.8\n"),
        (&["upgrade-image", "hot", "warm", "nginx=a", "--disruption", "drain"], "error: invalid value 'drain' for '--disruption <DISRUPTION>'\n"),
    ];
    for (args, stderr) in cases {
        let run = crate::support::petctl(args);
        run.expect_code(2);
        assert!(run.stderr.starts_with(stderr), "{run}");
    }
}

#[test]
fn a_selector_that_matches_no_set_is_an_error() {
    let server = two_sets(&[]);
    let none = [
        "upgrade-image",
        "-l",
        "tier=none",
        "nginx=nginx:2",
        "--dry-run",
    ];
    let run = petctl_at(&server, &none);
    expect(&run, 1, &server);
    let first = run.stderr.lines().next().unwrap_or("");
    assert_eq!(
        first,
        "error: no PetSet or StatefulSet in namespace default matches -l tier=none"
    );
}
