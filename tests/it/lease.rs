//! The operation lease: a lease held elsewhere refuses every operation
//! (naming its holder, its command and its age) while --dry-run takes
//! none; --take-over and an expired lease take it with a notice; a running
//! upgrade is refused even to the same command, and stops when its lease
//! is taken over; a run after kill -9 resumes on its own stale lease; a
//! lease write whose answer is lost is not taken for another's; two
//! takers racing from the same read — exactly one wins.

use std::time::Duration;

use petctl::client::kubeconfig::{load, resolve, LoadingRules, Overrides};
use petctl::client::{Client, ClientOptions};
use petctl::ops::lease::{self, Refused, Request};
use petctl::ops::sets::Set;
use serde_json::{json, Value};

use crate::support::Rng;
use crate::support::{petctl_at, LocalServer};
use crate::timeline::Timeline;
use crate::upgrade::{cluster, expect, set_object, set_path, Kind};
use crate::upgrade_races::{finish, upgrade_in_background, HOLDING_UPGRADE, UPGRADE};

const LEASE: &str = "petctl.io/operation-lease";

fn lease_on(server: &LocalServer) -> Option<Value> {
    let set = set_object(server, Kind::RollingUpdate);
    let text = set["metadata"]["annotations"]
        .get(LEASE)?
        .as_str()?
        .to_string();
    serde_json::from_str(&text).ok()
}

/// Puts a lease of carol@elsewhere on the set, taken and renewed `age` ago.
fn foreign_lease(server: &LocalServer, age: Duration, ttl_seconds: u64) {
    let then = jiff::Timestamp::now() - jiff::SignedDuration::try_from(age).expect("age");
    let record = json!({
        "operation": "upgrade-image", "holder": "carol@elsewhere", "pid": 4242,
        "command": "petctl upgrade-image web nginx=nginx:9 --yes", "id": "carol",
        "acquired": then.to_string(), "renewed": then.to_string(), "ttlSeconds": ttl_seconds,
    });
    let patch = json!({"metadata": {"annotations": {LEASE: record.to_string()}}});
    let response = server.merge_patch(set_path(Kind::RollingUpdate), patch.to_string().as_bytes());
    assert_eq!(response.status, 200, "{}", response.body);
}

#[test]
fn a_lease_held_elsewhere_refuses_every_operation_until_taken_over_or_expired() {
    let server = cluster(Kind::RollingUpdate, &[]);
    foreign_lease(&server, Duration::from_secs(5), 600);
    let before = set_object(&server, Kind::RollingUpdate);
    let held = "statefulset \"web\" is held by another petctl operation: upgrade-image by carol@elsewhere (pid 4242), lease taken ";
    let tail = "command: petctl upgrade-image web nginx=nginx:9 --yes; wait for it to finish, or pass --take-over if it is no longer running\n";
    let commands: [&[&str]; 4] = [
        &["scale", "web", "--replicas", "2"],
        &["delete", "web"],
        &["pause", "web"],
        &["upgrade-image", "web", "nginx=nginx:2", "--yes"],
    ];
    for args in commands {
        let run = petctl_at(&server, args);
        expect(&run, 1, &server);
        assert!(
            run.stderr.contains(held) && run.stderr.ends_with(tail),
            "{run}"
        );
    }
    // resume alone goes ahead beside the holder (docs/lease.md): taking a
    // pause away changes neither the replicas nor any claim. The set is
    // not paused, so it changes nothing here either.
    let run = petctl_at(&server, &["resume", "web"]);
    expect(&run, 0, &server);
    assert!(
        run.stderr.contains(
            "statefulset \"web\" is held by upgrade-image by carol@elsewhere (pid 4242); a resume changes neither the replicas nor any claim, so it goes ahead beside it"
        ),
        "{run}"
    );
    let after = set_object(&server, Kind::RollingUpdate);
    assert_eq!(after["spec"], before["spec"], "nothing changed");
    assert_eq!(
        after["metadata"]["annotations"],
        before["metadata"]["annotations"]
    );

    // --dry-run takes no lease.
    let run = petctl_at(&server, &["scale", "web", "--replicas", "2", "--dry-run"]);
    expect(&run, 0, &server);

    let run = petctl_at(
        &server,
        &["scale", "web", "--replicas", "2", "--take-over", "--wait"],
    );
    expect(&run, 0, &server);
    assert!(
        run.stderr.starts_with("warning: taking over the operation lease of upgrade-image by carol@elsewhere (pid 4242) on statefulset \"web\", taken "),
        "{run}"
    );
    assert_eq!(lease_on(&server), None, "the lease is removed at the end");
    assert_eq!(
        set_object(&server, Kind::RollingUpdate)["spec"]["replicas"],
        2
    );

    // cleanup-pvcs holds the lease too: the claim of web-2, left by the
    // scale-down, stays while someone else's lease is held.
    foreign_lease(&server, Duration::from_secs(5), 600);
    let claim = "/api/v1/namespaces/default/persistentvolumeclaims/www-web-2";
    let run = petctl_at(&server, &["cleanup-pvcs", "web", "--yes"]);
    expect(&run, 1, &server);
    assert!(
        run.stderr.contains(held) && run.stderr.ends_with(tail),
        "{run}"
    );
    assert_eq!(server.get(claim).status, 200, "the claim is still there");
    let run = petctl_at(&server, &["cleanup-pvcs", "web", "--yes", "--take-over"]);
    expect(&run, 0, &server);
    assert_eq!(
        run.stdout, "persistentvolumeclaim/www-web-2 deleted\n",
        "{run}"
    );
    assert_eq!(lease_on(&server), None);

    foreign_lease(&server, Duration::from_secs(7200), 60);
    let run = petctl_at(&server, &["scale", "web", "--replicas", "3", "--wait"]);
    expect(&run, 0, &server);
    assert!(
        run.stderr.starts_with("warning: the operation lease of upgrade-image by carol@elsewhere (pid 4242) on statefulset \"web\" expired 1h59m ago (taken 2h0m ago, last renewed 2h0m ago): taking it over\n"),
        "{run}"
    );
    assert_eq!(lease_on(&server), None);
}

#[test]
fn a_running_upgrade_is_refused_to_its_own_command_and_stops_when_taken_over() {
    let server = cluster(Kind::RollingUpdate, &[]);
    let timeline = Timeline::start(&server, "default");
    let child = upgrade_in_background(&server, &timeline, &HOLDING_UPGRADE);
    let pid = child.id();
    let holder = lease_on(&server).expect("the upgrade holds the lease");
    assert_eq!(holder["pid"], pid);
    assert_eq!(holder["operation"], "upgrade-image");

    // The same command line, while the first still runs: refused.
    let again = petctl_at(&server, &HOLDING_UPGRADE);
    expect(&again, 1, &server);
    assert!(
        again.stderr.contains(&format!(
            "statefulset \"web\" is held by another petctl operation: upgrade-image by {} (pid {pid}), lease taken ",
            holder["holder"].as_str().unwrap_or("")
        )),
        "{again}"
    );

    let take = petctl_at(&server, &["scale", "web", "--replicas", "3", "--take-over"]);
    expect(&take, 0, &server);
    assert!(
        take.stderr.starts_with(&format!(
            "warning: taking over the operation lease of upgrade-image by {} (pid {pid}) on statefulset \"web\"",
            holder["holder"].as_str().unwrap_or("")
        )),
        "{take}"
    );
    let run = finish(child);
    timeline.stop();
    expect(&run, 1, &server);
    assert!(
        run.stderr.contains("error: upgrade of statefulset \"web\" stopped: the operation lease on statefulset default/web was taken over by scale by "),
        "{run}"
    );
}

#[test]
fn a_run_after_kill_9_resumes_on_its_own_stale_lease() {
    let server = cluster(Kind::RollingUpdate, &["--ready-delay", "1s"]);
    let timeline = Timeline::start(&server, "default");
    let mut child = upgrade_in_background(&server, &timeline, &UPGRADE);
    let pid = child.id();
    let raw = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
    nix::sys::signal::kill(raw, nix::sys::signal::Signal::SIGKILL).expect("kill -9 petctl");
    // Reaped, so that the pid is gone and not a zombie.
    let _ = child.wait();
    assert_eq!(
        lease_on(&server).map(|l| l["pid"].clone()),
        Some(json!(pid)),
        "kill -9 leaves the lease behind"
    );
    let run = petctl_at(&server, &UPGRADE);
    timeline.stop();
    expect(&run, 0, &server);
    assert!(
        run.stderr.contains(&format!(
            "\nwarning: resuming: taking over the lease of an earlier run of this command on statefulset \"web\" (pid {pid}, taken "
        )),
        "{run}"
    );
    assert_eq!(lease_on(&server), None, "removed at the end");
}

/// The server stores the lease but the answer is lost: the transport's
/// retry then fails its `test` on the lease just written, and the refreshed
/// read shows a live lease of this very pid, which is ours (its record id),
/// not another operation's.
#[test]
fn a_lease_write_whose_answer_is_lost_is_still_ours() {
    let server = cluster(
        Kind::RollingUpdate,
        &["--fail-next", "patch:statefulsets:lost"],
    );
    let run = petctl_at(&server, &["scale", "web", "--replicas", "2"]);
    expect(&run, 0, &server);
    assert!(
        server.log_tail().contains(
            "injected fault (--fail-next patch:statefulsets:lost): PATCH /apis/apps/v1/namespaces/default/statefulsets/web handled (200), its answer lost"
        ),
        "the fault fired on the lease write\n{}",
        server.log_tail()
    );
    assert!(!run.stderr.contains("held by another"), "{run}");
    assert_eq!(
        set_object(&server, Kind::RollingUpdate)["spec"]["replicas"],
        json!(2)
    );
    assert_eq!(lease_on(&server), None, "removed at the end");
}

fn client_for(server: &LocalServer) -> Client {
    let rules = LoadingRules {
        explicit: Some(server.kubeconfig()),
        ..Default::default()
    };
    let loaded = load(&rules).expect("kubeconfig");
    let resolved = resolve(&loaded.config, &Overrides::default()).expect("resolve");
    Client::new(&resolved, ClientOptions::default()).expect("client")
}

fn request(operation: &str, pid: u32) -> Request {
    Request {
        operation: operation.to_string(),
        holder: "test@here".to_string(),
        pid,
        command: format!("petctl {operation} web"),
        take_over: false,
        ttl: Duration::from_secs(60),
    }
}

#[test]
fn two_takers_from_the_same_read_exactly_one_wins() {
    let mut rng = Rng::seeded();
    let server = cluster(Kind::RollingUpdate, &[]);
    let client = client_for(&server);
    let kind = petctl::kinds::by_name("statefulset").expect("kind");
    let runtime = crate::support::runtime();
    for round in 0..20 {
        // Half the rounds start from a free set, half from an expired lease
        // that both take over.
        if round % 2 == 1 {
            foreign_lease(&server, Duration::from_secs(3600), 60);
        }
        let read = Set {
            kind,
            object: set_object(&server, Kind::RollingUpdate),
        };
        let offsets = [rng.below(4), rng.below(4)];
        let take = |operation: &'static str, pid: u32, ms: u64| {
            let set = read.clone();
            let client = &client;
            async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                lease::acquire(client, set, &request(operation, pid)).await
            }
        };
        runtime.block_on(async {
            let (a, b) = tokio::join!(take("scale", 1, offsets[0]), take("pause", 2, offsets[1]));
            let context = format!("round {round}, offsets {offsets:?}");
            let refused =
                |r: &anyhow::Result<_>| r.as_ref().err().is_some_and(|e| e.is::<Refused>());
            assert!(
                (a.is_ok() && refused(&b)) || (b.is_ok() && refused(&a)),
                "{context}: a {:?}, b {:?}",
                a.as_ref().err(),
                b.as_ref().err()
            );
            let (winner, _) = a.or(b).expect("one winner");
            winner.release().await.expect("release");
        });
    }
    assert_eq!(lease_on(&server), None);
}

/// The lease as the watch of the set shows it, until `done` holds.
async fn watch_lease(client: &Client, done: impl Fn(Option<&lease::Record>) -> bool) {
    let kind = petctl::kinds::by_name("statefulset").expect("kind");
    let mut watcher = petctl::client::watch::Watcher::new(
        client,
        kind,
        Some("default"),
        petctl::client::request::ListParams::fields("metadata.name=web"),
    );
    let mut cache = petctl::client::watch::Cache::default();
    let wait = async {
        loop {
            cache.apply(&watcher.next().await.expect("watch the set"));
            let record = cache.get("default", "web").and_then(lease::lease_of);
            if done(record.as_ref()) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("the lease changed as expected within 30s");
}

#[test]
fn the_holder_renews_and_stops_when_a_renewal_finds_the_lease_taken_over() {
    let server = cluster(Kind::RollingUpdate, &[]);
    let client = client_for(&server);
    let kind = petctl::kinds::by_name("statefulset").expect("kind");
    let read = || Set {
        kind,
        object: set_object(&server, Kind::RollingUpdate),
    };
    let short = Request {
        ttl: Duration::from_secs(3),
        ..request("scale", 1)
    };
    let takeover = Request {
        take_over: true,
        ..request("delete", 3)
    };
    let (first, second) = (read(), read());
    let runtime = crate::support::runtime();
    let result: anyhow::Result<()> = runtime.block_on(async {
        let (held, set) = lease::acquire(&client, first, &short)
            .await
            .expect("take the lease");
        let acquired = lease::lease_of(&set.object).expect("lease");
        held.hold(async {
            // Renewed while the work runs…
            watch_lease(&client, |r| r.is_some_and(|r| r.renewed > acquired.renewed)).await;
            // …until someone takes it over: the next renewal stops the work.
            let (_theirs, _) = lease::acquire(&client, second, &takeover).await?;
            std::future::pending::<()>().await;
            Ok(())
        })
        .await
    });
    let err = result.expect_err("the work is stopped");
    assert_eq!(
        format!("{err:#}"),
        "the operation lease on statefulset \"web\" was taken over by delete by test@here (pid 3): petctl delete web; petctl stopped"
    );
    // Not ours any more: left to its new holder.
    assert_eq!(
        lease_on(&server).map(|l| l["operation"].clone()),
        Some(json!("delete"))
    );
}

/// Ctrl-C in the middle of an upgrade: exit 130, as a shell reports for a
/// prompt the signal ended, and the lease is given back.
#[test]
fn ctrl_c_mid_upgrade_exits_130_and_releases_the_lease() {
    let server = cluster(Kind::RollingUpdate, &[]);
    let timeline = Timeline::start(&server, "default");
    let child = upgrade_in_background(&server, &timeline, &HOLDING_UPGRADE);
    let raw = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(raw, nix::sys::signal::Signal::SIGINT).expect("Ctrl-C petctl");
    let run = finish(child);
    timeline.stop();
    expect(&run, 130, &server);
    assert!(run.stderr.ends_with(": interrupted\n"), "{run}");
    assert_eq!(lease_on(&server), None, "the lease is removed on Ctrl-C");
}
