//! `upgrade-image --disruption`: under a `maxUnavailable: 1`
//! PodDisruptionBudget that also selects a pet of another set, made unready
//! through the local kubelet's `petctl.local/readiness=fail`, the default
//! (auto: evict) waits on the 429 — saying which budget — until the pet
//! recovers, and the budget is never exceeded on the recorded timeline;
//! `--disruption delete` does not wait and exceeds it. `--dry-run` names the
//! budget of each pet.

use std::collections::BTreeMap;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{
    finish_run, petctl_at, spawn_at, stderr_lines, LocalServer, SetManifest, OBSERVABLE_SIM,
};
use crate::timeline::{ready, replay, text, Entry, Resource, Timeline};
use crate::upgrade::expect;

const WAIT: Duration = Duration::from_secs(60);

/// A readiness probe, so that `petctl.local/readiness=fail` makes the pet unready.
const PROBE: &str = "        readinessProbe:\n          httpGet:\n            path: /\n            port: 80\n          periodSeconds: 1\n          successThreshold: 1\n          failureThreshold: 1\n";

/// A StatefulSet `name` of `replicas` pets on nginx:1 whose pets (and the
/// set itself) carry `tier: front`, each with a readiness probe.
pub(crate) fn front_set(name: &str, replicas: i64, image: &str) -> String {
    let yaml = SetManifest::statefulset(name)
        .label("tier", "front")
        .replicas(replicas)
        .update_strategy("OnDelete")
        .grace_period(1)
        .container("nginx", image)
        .yaml();
    let labels = format!("      labels:\n        app: {name}\n");
    let image_line = format!("        image: {image}\n");
    assert!(
        yaml.contains(&labels) && yaml.contains(&image_line),
        "{yaml}"
    );
    yaml.replace(&labels, &format!("{labels}        tier: front\n"))
        .replace(&image_line, &format!("{image_line}{PROBE}"))
}

/// `front-pdb`: `maxUnavailable: 1` over every `tier: front` pod, created
/// through `petctl create` (which retries on its own under injected faults).
pub(crate) fn front_pdb(server: &LocalServer) {
    let pdb = "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: front-pdb\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      tier: front\n";
    let path = server.dir.path().join("pdb.yaml");
    std::fs::write(&path, pdb).expect("write manifest");
    let run = petctl_at(server, &["create", "-f", path.to_str().expect("utf-8")]);
    expect(&run, 0, server);
}

/// `front-pdb`, and the 3 Ready pets of `web` under it.
fn web_under_the_budget(server: &LocalServer) {
    front_pdb(server);
    create(
        server,
        "web.yaml",
        &front_set("web", 3, "nginx:1"),
        &PETS[..3],
    );
}

/// Creates `yaml` and waits on the timeline for `pets` to be Ready.
pub(crate) fn create(server: &LocalServer, file: &str, yaml: &str, pets: &[&str]) {
    let path = server.dir.path().join(file);
    std::fs::write(&path, yaml).expect("write manifest");
    let timeline = Timeline::start(server, "default");
    let run = petctl_at(server, &["create", "-f", path.to_str().expect("utf-8")]);
    expect(&run, 0, server);
    timeline.wait_for("the pets Ready", WAIT, |e| {
        let pods = pods_now(e);
        pets.iter().all(|p| pods.get(*p).is_some_and(ready))
    });
    timeline.stop();
}

/// The pods as the timeline shows them at its end.
pub(crate) fn pods_now(entries: &[Entry]) -> BTreeMap<String, Value> {
    replay(entries, Resource::Pod, |_, _, _| {})
}

/// The most of `pets` not Ready (missing, terminating, unready) at once.
pub(crate) fn max_down(entries: &[Entry], pets: &[&str]) -> usize {
    let mut max = 0;
    replay(entries, Resource::Pod, |_, state, _| {
        let down = pets
            .iter()
            .filter(|p| !state.get(**p).is_some_and(ready))
            .count();
        max = max.max(down);
    });
    max
}

/// Sets the local kubelet's readiness annotation on `pod`.
pub(crate) fn readiness(server: &LocalServer, pod: &str, value: &str) {
    let patch = json!({"metadata": {"annotations": {"petctl.local/readiness": value}}});
    let answer = server.merge_patch(
        &format!("/api/v1/namespaces/default/pods/{pod}"),
        patch.to_string().as_bytes(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
}

/// `upgrade-image web nginx=nginx:2 --dry-run -o json` and `extra`: the
/// planned outcome.
#[track_caller]
pub(crate) fn planned_json(server: &LocalServer, extra: &[&str]) -> Value {
    let args = [
        "upgrade-image",
        "web",
        "nginx=nginx:2",
        "--dry-run",
        "-o",
        "json",
    ];
    let run = petctl_at(server, &[&args[..], extra].concat());
    expect(&run, 0, server);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run}"))
}

/// Reads `lines` until one contains `fragment`; all lines read so far.
#[track_caller]
pub(crate) fn await_line(lines: &Receiver<String>, fragment: &str) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                let found = line.contains(fragment);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(_) => panic!("no line with {fragment:?}:\n{}", seen.join("\n")),
        }
    }
}

const PETS: [&str; 4] = ["web-0", "web-1", "web-2", "cache-0"];
const UPGRADE: [&str; 4] = ["upgrade-image", "web", "nginx=nginx:2", "--yes"];

/// `web` (3 pets) and `cache` (1 pet) under `front-pdb`, `cache-0` made
/// unready; returns once the timeline shows it unready.
fn budget_with_an_unready_pet() -> LocalServer {
    let server = LocalServer::start_with(OBSERVABLE_SIM);
    web_under_the_budget(&server);
    create(
        &server,
        "cache.yaml",
        &front_set("cache", 1, "nginx:1"),
        &PETS[3..],
    );
    let timeline = Timeline::start(&server, "default");
    readiness(&server, "cache-0", "fail");
    timeline.wait_for("cache-0 unready", WAIT, |e| {
        pods_now(e).get("cache-0").is_some_and(|p| !ready(p))
    });
    timeline.stop();
    server
}

fn images(server: &LocalServer, pets: &[&str]) -> Vec<String> {
    pets.iter()
        .map(|p| {
            let pod = server
                .get(&format!("/api/v1/namespaces/default/pods/{p}"))
                .json();
            text(&pod, "/spec/containers/0/image").to_string()
        })
        .collect()
}

#[test]
fn eviction_waits_for_the_budget_and_never_exceeds_it() {
    let server = budget_with_an_unready_pet();
    let dry = petctl_at(
        &server,
        &["upgrade-image", "web", "nginx=nginx:2", "--dry-run"],
    );
    expect(&dry, 0, &server);
    assert!(
        dry.stdout.contains(
            "disruption: auto: evict where a PodDisruptionBudget selects the pet, else delete\n"
        ),
        "{dry}"
    );
    for pet in ["web-2", "web-1", "web-0"] {
        assert!(
            dry.stdout
                .lines()
                .any(|l| l.contains(pet) && l.ends_with("[budget front-pdb]")),
            "{pet}: {dry}"
        );
    }
    let planned = planned_json(&server, &[]);
    assert_eq!(
        planned["pets"][0]["budgets"],
        json!(["front-pdb"]),
        "{planned}"
    );

    let timeline = Timeline::start(&server, "default");
    // The before-hook runs once per pet, not again when a refused eviction
    // sends its pet back through admission.
    let hooked = server.dir.path().join("hooked");
    let hook = format!("echo \"$PETCTL_PET\" >> {}", hooked.display());
    let flags = ["--pet-timeout", "60s", "--before-pet", &hook];
    let mut child = spawn_at(&server, &[&UPGRADE[..], &flags].concat());
    let lines = stderr_lines(&mut child);
    let mut seen = await_line(&lines, "waiting for disruption budget front-pdb: 0 allowed");
    // Nothing of web went down while the budget refused.
    assert_eq!(max_down(&timeline.entries(), &PETS[..3]), 0);
    readiness(&server, "cache-0", "pass");
    seen.extend(lines.iter());
    let run = finish_run(child, "petctl upgrade-image web");
    expect(&run, 0, &server);
    let entries = timeline.stop();
    let stderr = seen.join("\n");
    assert!(
        stderr.contains("evicting web-2 (disruption budget front-pdb)"),
        "{stderr}"
    );
    assert_eq!(
        run.stdout,
        "statefulset.apps/web upgraded to nginx=nginx:2; replaced web-2, web-1, web-0\n"
    );
    assert!(
        max_down(&entries, &PETS) <= 1,
        "the budget (maxUnavailable 1) was exceeded"
    );
    assert_eq!(images(&server, &PETS[..3]), ["nginx:2"; 3]);
    let hooked = std::fs::read_to_string(&hooked).expect("hook log");
    assert_eq!(hooked, "web-2\nweb-1\nweb-0\n", "{stderr}");
}

#[test]
fn delete_ignores_the_budget_but_not_max_unavailable() {
    let server = budget_with_an_unready_pet();
    let delete = [
        "upgrade-image",
        "web",
        "nginx=nginx:2",
        "--disruption",
        "delete",
    ];
    let dry = petctl_at(&server, &[&delete[..], &["--dry-run"]].concat());
    expect(&dry, 0, &server);
    assert!(
        dry.stdout
            .contains("disruption: delete: delete every pet (budgets not honoured)\n"),
        "{dry}"
    );
    assert!(
        dry.stdout
            .lines()
            .any(|l| l.contains("web-2") && l.ends_with("[budget front-pdb: not honoured]")),
        "{dry}"
    );
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &[&delete[..], &["--yes"]].concat());
    expect(&run, 0, &server);
    let entries = timeline.stop();
    assert!(
        !run.stderr.contains("waiting for disruption budget"),
        "{run}"
    );
    assert!(run.stderr.contains("deleting web-2"), "{run}");
    // cache-0 down and one web pet deleted: 2 of the budget's pods down.
    assert_eq!(max_down(&entries, &PETS), 2, "the budget is not honoured");
    // petctl's own max-unavailable still held web to one pet at a time.
    assert_eq!(max_down(&entries, &PETS[..3]), 1);
    assert_eq!(images(&server, &PETS[..3]), ["nginx:2"; 3]);
}

#[test]
fn eviction_completes_under_injected_faults() {
    let seed = crate::support::Seed::new();
    let faults = ["--fault-rate", "0.1", "--watch-drop-after", "2s"];
    let server =
        LocalServer::start_with(&[OBSERVABLE_SIM, &faults, &seed.fault_flags()[..]].concat());
    web_under_the_budget(&server);
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]);
    assert_eq!(
        run.code,
        0,
        "{run}\nseed {}\n{}",
        seed.value(),
        server.log_tail()
    );
    let entries = timeline.stop();
    assert!(max_down(&entries, &PETS[..3]) <= 1, "seed {}", seed.value());
    // From the timeline: a GET now may meet an injected fault.
    let images = crate::timeline::final_images("web", &entries);
    for pet in &PETS[..3] {
        assert_eq!(
            images.get(*pet).map(|i| i[0].as_str()),
            Some("nginx:2"),
            "{pet}"
        );
    }
}

#[test]
fn a_budget_that_never_allows_fails_the_pet_within_its_timeout() {
    let server = budget_with_an_unready_pet();
    let before = crate::support::petctl_at(&server, &["get", "pods", "-o", "json"]);
    let run = petctl_at(&server, &[&UPGRADE[..], &["--pet-timeout", "2s"]].concat());
    expect(&run, 1, &server);
    assert!(
        run.stderr.contains("web-2 was not evicted: disruption budget front-pdb allowed no disruption within --pet-timeout 2s (The disruption budget front-pdb needs 3 healthy pods and has 3 currently)"),
        "{run}"
    );
    assert!(run.stderr.contains("left untouched: web-1, web-0"), "{run}");
    assert_eq!(images(&server, &PETS[..3]), ["nginx:1"; 3]);
    let after = crate::support::petctl_at(&server, &["get", "pods", "-o", "json"]);
    let uids = |run: &crate::support::Run| -> Vec<String> {
        let list: Value = serde_json::from_str(&run.stdout).expect("json");
        list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| text(p, "/metadata/uid").to_string())
            .collect()
    };
    assert_eq!(uids(&before), uids(&after), "a pod was replaced");
}
