//! Per-pet hooks (`--before-pet`, `--after-pet`, `--hook-timeout`) against
//! the local control plane: a failing before-hook leaves its pet untouched
//! on the recorded timeline, hooks see the documented variables and reach
//! the cluster with the real kubectl, a resume (after a failure or a
//! SIGKILL) hooks only the pets left, a hanging hook is killed, and a
//! scale-down and the ordered delete hook each removed pet in reverse order.

use std::path::Path;
use std::time::Duration;

use crate::support::{kubectl_or_skip, petctl_at, spawn_at, LocalServer, Run, SLOW_READY};
use crate::timeline::{
    creation_order, deletion_order, final_images, last_state, max_not_ready, text, Resource,
    Timeline,
};
use crate::upgrade::{cluster, expect, Kind, PETS};

fn log_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A hook appending `WORD $PETCTL_PET` to `log`, then running `then`.
fn logging(log: &Path, word: &str, then: &str) -> String {
    format!("echo \"{word} $PETCTL_PET\" >> '{}'; {then}", log.display())
}

/// `petctl upgrade-image web nginx=nginx:2 --yes` and `hooks` against `server`.
fn upgrade(server: &LocalServer, hooks: &[&str]) -> Run {
    let args = ["upgrade-image", "web", "nginx=nginx:2", "--yes"];
    petctl_at(server, &[&args[..], hooks].concat())
}

fn uid(pod: &serde_json::Value) -> String {
    text(pod, "/metadata/uid").to_string()
}

/// For a StatefulSet (RollingUpdate, switched for the rollout) and a PetSet.
#[test]
fn a_failing_before_hook_on_ordinal_0_leaves_it_untouched() {
    for kind in [Kind::RollingUpdate, Kind::PetSet] {
        failing_before_hook_on_ordinal_0(kind);
    }
}

fn failing_before_hook_on_ordinal_0(kind: Kind) {
    let server = cluster(kind, &[]);
    let hook = "[ \"$PETCTL_ORDINAL\" != 0 ] || { echo \"$PETCTL_PET leads: transfer first\" >&2; exit 7; }";
    let plan = petctl_at(
        &server,
        &[
            "upgrade-image",
            "web",
            "nginx=nginx:2",
            "--dry-run",
            "--before-pet",
            hook,
        ],
    );
    expect(&plan, 0, &server);
    assert!(
        plan.stdout.contains(&format!(
            "hooks: --before-pet {hook:?} for web-2, web-1, web-0 (timeout 5m)"
        )),
        "{plan}"
    );
    let planned = crate::upgrade_disruption::planned_json(&server, &["--before-pet", hook]);
    assert_eq!(
        planned["hooks"],
        serde_json::json!({"beforePet": hook, "timeoutSeconds": 300}),
        "{planned}"
    );
    let timeline = Timeline::start(&server, "default");
    let run = upgrade(&server, &["--before-pet", hook]);
    expect(&run, 1, &server);
    let entries = timeline.stop();
    assert!(
        run.stderr.contains(&format!(
            "--before-pet hook exited with 7 for web-0 (web-0 was not touched): sh -c {hook:?}\nits stderr ended with:\n  web-0 leads: transfer first"
        )),
        "{run}"
    );
    assert!(run.stderr.contains("left untouched: web-0"), "{run}");
    // Its output is in the progress too, prefixed with the pet and the hook.
    assert!(
        run.stderr
            .lines()
            .any(|l| l.ends_with("web-0 before-pet: web-0 leads: transfer first")),
        "{run}"
    );
    assert_eq!(deletion_order("web", &entries), ["web-2", "web-1"]);
    assert!(max_not_ready("web", 3, &entries) <= 1);
    let images = final_images("web", &entries);
    assert_eq!(images["web-2"][0], "nginx:2");
    assert_eq!(images["web-1"][0], "nginx:2");
    assert_eq!(images["web-0"][0], "nginx:1");
    // The same pod from the first list to the end: never deleted.
    let first: Vec<_> = entries
        .iter()
        .filter(|e| e.resource == Resource::Pod)
        .take(1)
        .collect();
    let petctl::client::watch::Event::Restarted(pods) = &first[0].event else {
        panic!("the first pod event is the list");
    };
    let before = pods
        .iter()
        .find(|p| text(p, "/metadata/name") == "web-0")
        .expect("web-0 listed");
    let after = &last_state(&entries, Resource::Pod)["web-0"];
    assert_eq!(uid(before), uid(after));
}

#[test]
fn hooks_see_the_documented_variables() {
    let Some(_kubectl) = kubectl_or_skip("hooks_see_the_documented_variables") else {
        return;
    };
    let server = cluster(Kind::OnDelete, &[]);
    let out = server.dir.path().join("seen");
    std::fs::create_dir_all(&out).unwrap();
    let hook = |word: &str| {
        format!(
            "{{ env | grep ^PETCTL_ | sort; kubectl get pod \"$PETCTL_PET\" -o name; stat -c %a \"$KUBECONFIG\"; }} > '{0}/{word}-'\"$PETCTL_PET\" 2>&1; echo \"$KUBECONFIG\" > '{0}/kubeconfig-path'",
            out.display()
        )
    };
    let (before, after) = (hook("before"), hook("after"));
    let run = upgrade(&server, &["--before-pet", &before, "--after-pet", &after]);
    expect(&run, 0, &server);
    assert!(
        !run.stderr.contains(&server.token()),
        "a credential was printed"
    );
    // The hooks' private kubeconfig is gone with the command.
    let path = std::fs::read_to_string(out.join("kubeconfig-path")).unwrap();
    assert!(
        path.trim().ends_with("/kubeconfig") && !Path::new(path.trim()).exists(),
        "{path}"
    );
    for pet in PETS {
        let ordinal = &pet[4..];
        for word in ["before", "after"] {
            let seen = std::fs::read_to_string(out.join(format!("{word}-{pet}"))).unwrap();
            assert_eq!(
                seen,
                format!(
                    "PETCTL_CONTEXT=petctl-local\nPETCTL_KIND=StatefulSet\nPETCTL_NAMESPACE=default\nPETCTL_NEW_IMAGE=nginx:2\nPETCTL_OLD_IMAGE=nginx:1\nPETCTL_OPERATION=upgrade-image\nPETCTL_ORDINAL={ordinal}\nPETCTL_PET={pet}\nPETCTL_SET=web\npod/{pet}\n600\n"
                ),
                "{word}-{pet}"
            );
        }
    }
}

#[test]
fn a_resume_after_a_failed_hook_hooks_only_the_pets_left() {
    let server = cluster(Kind::PetSet, &[]);
    let log = server.dir.path().join("hooks.log");
    let fail_on_1 = logging(&log, "before", "[ \"$PETCTL_ORDINAL\" != 1 ]");
    let after = logging(&log, "after", "true");
    let first = upgrade(
        &server,
        &["--before-pet", &fail_on_1, "--after-pet", &after],
    );
    expect(&first, 1, &server);
    assert_eq!(
        log_lines(&log),
        ["before web-2", "after web-2", "before web-1"]
    );
    let timeline = Timeline::start(&server, "default");
    let succeed = logging(&log, "before", "true");
    let run = upgrade(&server, &["--before-pet", &succeed, "--after-pet", &after]);
    expect(&run, 0, &server);
    assert_eq!(
        log_lines(&log)[3..],
        ["before web-1", "after web-1", "before web-0", "after web-0"]
    );
    assert_eq!(deletion_order("web", &timeline.stop()), ["web-1", "web-0"]);
}

#[test]
fn a_resume_after_sigkill_runs_only_the_after_hook_of_a_deleted_pet() {
    let server = cluster(Kind::RollingUpdate, SLOW_READY);
    let log = server.dir.path().join("hooks.log");
    let path_file = server.dir.path().join("kubeconfig-path");
    let before = logging(
        &log,
        "before",
        &format!("echo \"$KUBECONFIG\" > '{}'", path_file.display()),
    );
    let after = logging(&log, "after", "true");
    let args = [
        "upgrade-image",
        "web",
        "nginx=nginx:2",
        "--yes",
        "--before-pet",
        &before,
        "--after-pet",
        &after,
    ];
    let timeline = Timeline::start(&server, "default");
    let mut child = spawn_at(&server, &args);
    // web-1 deleted and re-created, not Ready yet (1 s): its after-hook is due.
    timeline.wait_for("the replacement of web-1", Duration::from_secs(60), |e| {
        creation_order("web", e).get(1).map(String::as_str) == Some("web-1")
    });
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("kill -9 petctl");
    let _ = child.wait();
    assert_eq!(
        log_lines(&log),
        ["before web-2", "after web-2", "before web-1"]
    );
    // A killed petctl cannot remove the hooks' kubeconfig: the next does.
    let left = std::fs::read_to_string(&path_file).unwrap();
    let left = Path::new(left.trim())
        .parent()
        .expect("its directory")
        .to_owned();
    assert!(left.is_dir(), "{}", left.display());
    let run = petctl_at(&server, &args);
    expect(&run, 0, &server);
    assert_eq!(
        log_lines(&log)[3..],
        ["after web-1", "before web-0", "after web-0"]
    );
    assert_eq!(deletion_order("web", &timeline.stop()), PETS);
    assert!(!left.exists(), "{} left behind", left.display());
}

fn gone(pid: &str) -> bool {
    // A zombie (state Z) is dead too, waiting for its reaper.
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_hanging_hook_is_killed_with_its_children_and_stops_the_rollout() {
    let server = cluster(Kind::OnDelete, &[]);
    let dir = server.dir.path();
    let hook = format!(
        "echo $$ > '{0}/shell.pid'; sleep 300 & echo $! > '{0}/sleep.pid'; wait",
        dir.display()
    );
    let timeline = Timeline::start(&server, "default");
    let run = upgrade(&server, &["--hook-timeout", "1s", "--before-pet", &hook]);
    expect(&run, 1, &server);
    assert!(
        run.stderr
            .contains("--before-pet hook was killed after --hook-timeout 1s for web-2 (web-2 was not touched)"),
        "{run}"
    );
    assert_eq!(
        deletion_order("web", &timeline.stop()),
        Vec::<String>::new()
    );
    for file in ["shell.pid", "sleep.pid"] {
        let pid = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(gone(&pid), "{file}: process {} still runs", pid.trim());
    }
}

#[test]
fn scale_down_and_the_ordered_delete_hook_each_removed_pet_in_reverse() {
    let Some(_kubectl) =
        kubectl_or_skip("scale_down_and_the_ordered_delete_hook_each_removed_pet_in_reverse")
    else {
        return;
    };
    let server = cluster(Kind::OnDelete, &[]);
    let log = server.dir.path().join("hooks.log");
    // Before: the replicas still include the pet; after: the pet is gone.
    let before = logging(
        &log,
        "before",
        &format!(
            "kubectl get sts web -o jsonpath='replicas={{.spec.replicas}}{{\"\\n\"}}' >> '{}'",
            log.display()
        ),
    );
    let after = logging(
        &log,
        "after",
        &format!(
            "kubectl get pod \"$PETCTL_PET\" -o name >> '{}' 2>/dev/null || echo gone >> '{0}'",
            log.display()
        ),
    );
    let plan = petctl_at(
        &server,
        &[
            "scale",
            "web",
            "--replicas",
            "1",
            "--dry-run",
            "--before-pet",
            &before,
        ],
    );
    expect(&plan, 0, &server);
    assert!(
        plan.stderr
            .contains(&format!("hooks: --before-pet {before:?} for web-2, web-1")),
        "{plan}"
    );
    let timeline = Timeline::start(&server, "default");
    let hooks = ["--before-pet", &before, "--after-pet", &after];
    let run = petctl_at(
        &server,
        &[&["scale", "web", "--replicas", "1"][..], &hooks].concat(),
    );
    expect(&run, 0, &server);
    assert_eq!(
        log_lines(&log),
        [
            "before web-2",
            "replicas=3",
            "after web-2",
            "gone",
            "before web-1",
            "replicas=2",
            "after web-1",
            "gone"
        ]
    );
    let run = petctl_at(&server, &[&["delete", "web"][..], &hooks].concat());
    expect(&run, 0, &server);
    assert_eq!(
        log_lines(&log)[8..],
        ["before web-0", "replicas=1", "after web-0", "gone"]
    );
    assert_eq!(deletion_order("web", &timeline.stop()), PETS);
}

#[test]
fn bad_hook_flags_are_usage_errors() {
    for (args, message) in [
        (
            &["upgrade-image", "web", "nginx=nginx:2", "--before-pet", " "][..],
            "--before-pet: the command is empty; give a shell command, e.g. --before-pet 'echo \"$PETCTL_PET\"'",
        ),
        (
            &["scale", "web", "--replicas", "1", "--after-pet", "true", "--hook-timeout", "0s"][..],
            "--hook-timeout must be more than 0",
        ),
        (
            &["delete", "web", "--cascade=orphan", "--before-pet", "true"][..],
            "--before-pet/--after-pet run around each pet the ordered delete removes: they need --cascade=true",
        ),
    ] {
        let run = crate::support::petctl(args);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(message), "{run}");
    }
}
