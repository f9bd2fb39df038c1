//! The one `--wait` contract (docs/wait.md) against a local control plane:
//! a blocker — a paused PetSet, a crash-looping pet — is said on stderr as
//! soon as the watch shows it, once; the wait goes on (a resume finishes
//! it) and times out with exit 1 naming the blocker, with the events of the
//! current pod only.

use std::time::Duration;

use crate::support::{
    create_petset, finish, petctl_at, scale_wait, spawn, stream, LocalServer, SetManifest, FAST_SIM,
};

/// A server on which pets of an image matching `*broken*` crash-loop.
fn crashing() -> LocalServer {
    LocalServer::start_with(&[FAST_SIM, &["--fail-images", "*broken*"]].concat())
}

/// A server with the guide's PetSet "web" (2 pets) created, then paused.
fn paused_petset() -> LocalServer {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(&server, &["pause", "web"]).expect_success();
    server
}

/// The StatefulSet "web" (container "main", no claims) with `replicas`
/// pets of `image`, written to a file of the server's scratch dir.
pub(crate) fn statefulset(server: &LocalServer, replicas: i64, image: &str) -> String {
    let path = server.dir.path().join("web.yaml");
    let manifest = SetManifest::statefulset("web")
        .replicas(replicas)
        .container("main", image);
    std::fs::write(&path, manifest.yaml()).unwrap();
    path.to_str().unwrap().to_string()
}

fn uid_of(server: &LocalServer, pod: &str) -> String {
    let run = petctl_at(
        server,
        &["get", "pods", pod, "-o", "jsonpath={.metadata.uid}"],
    );
    run.expect_success();
    assert!(!run.stdout.is_empty(), "{run}");
    run.stdout
}

const PAUSED_PETS: &str = "warning: petset \"web\" is paused: pets web-0, web-1 are annotated pod.alpha.kubernetes.io/initialized=false, so the controller neither creates nor deletes pets; resume with: petctl resume web";

#[test]
fn scale_wait_on_a_paused_petset_says_so_at_once_and_times_out_naming_the_pause() {
    let server = paused_petset();
    let run = stream(&server, &scale_wait("web", "3", "10s"));
    run.expect_code(1);
    run.expect_said_at_once_once(PAUSED_PETS, "is paused")
        .expect_waited(Duration::from_secs(10));
    assert_eq!(
        run.error(),
        "error: failed to scale petset \"web\": timed out after 10s waiting for petset \"web\" to reach 3 replicas:\n  web-2: Missing\n  the set is paused (pets web-0, web-1 are annotated pod.alpha.kubernetes.io/initialized=false): resume it with petctl resume web\n",
        "{run}"
    );
}

#[test]
fn a_paused_petset_resumed_during_the_wait_finishes_it() {
    let server = paused_petset();
    let child = spawn(&server, &scale_wait("web", "3", "60s"));
    let mut resumed = None;
    let run = finish(child, |line| {
        // The notice's own advice, taken in another shell while the scale
        // holds the set's operation lease.
        if line.contains(PAUSED_PETS) {
            resumed = Some(petctl_at(&server, &["resume", "web"]));
        }
    });
    let resumed = resumed.expect("the pause was said");
    resumed.expect_success();
    assert!(
        resumed
            .stderr
            .contains("petset \"web\" is held by scale by ")
            && resumed.stderr.contains(
                "a resume changes neither the replicas nor any claim, so it goes ahead beside it"
            ),
        "{}",
        resumed.stderr
    );
    run.expect_code(0);
    assert!(run.elapsed < Duration::from_secs(30), "{run}");
    assert!(run.text().contains(" web-2: Ready\n"), "{run}");
}

#[test]
fn create_wait_of_a_paused_petset_says_so_at_once_and_times_out_naming_the_pause() {
    let server = LocalServer::start_with(FAST_SIM);
    let manifest = std::fs::read_to_string("examples/petset.yaml")
        .unwrap()
        .replace(
            "pod.alpha.kubernetes.io/initialized: \"true\"",
            "pod.alpha.kubernetes.io/initialized: \"false\"",
        );
    let path = server.dir.path().join("paused.yaml");
    std::fs::write(&path, manifest).unwrap();
    let run = stream(
        &server,
        &[
            "create",
            "-f",
            path.to_str().unwrap(),
            "--wait",
            "--timeout",
            "10s",
        ],
    );
    run.expect_code(1);
    let notice = "warning: petset \"web\" is paused: its template says pod.alpha.kubernetes.io/initialized: \"false\", so after each pet it waits until that pet is annotated pod.alpha.kubernetes.io/initialized=true; resume with: petctl resume web";
    run.expect_said_at_once_once(notice, "is paused")
        .expect_waited(Duration::from_secs(10));
    assert_eq!(
        run.error(),
        "error: timed out after 10s waiting for petset \"web\": 1 of 2 pets not Ready:\n  web-1: Missing\n  the set is paused (pod.alpha.kubernetes.io/initialized: \"false\"): resume it with petctl resume web\n",
        "{run}"
    );
}

#[test]
fn scale_wait_behind_a_crash_looping_pet_says_so_at_once_and_reports_its_events() {
    let server = crashing();
    let file = statefulset(&server, 1, "registry.k8s.io/broken:1");
    petctl_at(&server, &["create", "-f", &file]).expect_success();
    let run = stream(&server, &scale_wait("sts/web", "2", "8s"));
    run.expect_code(1);
    let notice = "warning: statefulset \"web\" is blocked: pet web-0 is in CrashLoopBackOff: container main: back-off";
    // Said once, whatever the back-off.
    run.expect_said_at_once_once(notice, "is blocked");
    let uid = uid_of(&server, "web-0");
    let error = run.error();
    assert!(
        error.starts_with(
            "error: failed to scale statefulset \"web\": timed out after 8s waiting for statefulset \"web\" to reach 2 replicas:\n  web-0: CrashLoopBackOff (container main: CrashLoopBackOff: back-off "
        ),
        "{run}"
    );
    assert!(
        error.contains(&format!(
            "\n    Warning BackOff: Back-off restarting failed container main in pod web-0_default({uid})\n"
        )),
        "{run}"
    );
    assert!(error.ends_with("\n  web-1: Missing\n"), "{run}");
}

#[test]
fn the_timeout_report_shows_the_events_of_the_current_pod_only() {
    let server = crashing();
    let file = statefulset(&server, 1, "registry.k8s.io/broken:1");
    let run = stream(
        &server,
        &["create", "-f", &file, "--wait", "--timeout", "3s"],
    );
    run.expect_code(1);
    let old = uid_of(&server, "web-0");
    assert!(
        run.error().contains(&format!("web-0_default({old})")),
        "{run}"
    );
    let deleted = server.request("DELETE", "/api/v1/namespaces/default/pods/web-0", None, b"");
    assert!(matches!(deleted.status, 200 | 202), "{}", deleted.body);
    let run = stream(&server, &scale_wait("sts/web", "1", "6s"));
    run.expect_code(1);
    let new = uid_of(&server, "web-0");
    assert_ne!(new, old, "web-0 was re-created");
    let error = run.error();
    assert!(
        error.contains(&format!(
            "Back-off restarting failed container main in pod web-0_default({new})"
        )),
        "{run}"
    );
    assert!(!error.contains(&old), "an event of the deleted pod\n{run}");
}

#[test]
fn upgrade_image_says_a_crash_looping_pet_at_once() {
    let server = crashing();
    let file = statefulset(&server, 2, "nginx:1");
    petctl_at(
        &server,
        &["create", "-f", &file, "--wait", "--timeout", "60s"],
    )
    .expect_success();
    let run = stream(
        &server,
        &[
            "upgrade-image",
            "sts/web",
            "main=nginx:broken",
            "--yes",
            "--pet-timeout",
            "8s",
        ],
    );
    run.expect_code(1);
    let notice =
        "warning: statefulset \"web\" is blocked: pet web-1 is in CrashLoopBackOff: container main";
    run.expect_said_at_once_once(notice, "is blocked");
    assert!(
        run.error().starts_with("error: upgrade of statefulset \"web\" failed: web-1 was not Ready on the wanted image within --pet-timeout 8s:\n  web-1: CrashLoopBackOff"),
        "{run}"
    );
}

#[test]
fn pause_and_resume_wait_for_the_controller_and_the_pets() {
    let server = LocalServer::start_with(FAST_SIM);
    let file = statefulset(&server, 2, "nginx:1");
    petctl_at(
        &server,
        &["create", "-f", &file, "--wait", "--timeout", "60s"],
    )
    .expect_success();
    let run = petctl_at(&server, &["pause", "sts/web", "--wait", "--timeout", "20s"]);
    run.expect_success();
    assert_eq!(
        run.stderr, "statefulset \"web\": partition 0 -> 2\n",
        "{run}"
    );
    let run = petctl_at(
        &server,
        &["resume", "sts/web", "--wait", "--timeout", "20s"],
    );
    run.expect_success();
    assert!(
        run.stderr
            .ends_with("statefulset \"web\": all 2 pets are Running and Ready\n"),
        "{run}"
    );
}

#[test]
fn a_stepped_petset_scale_down_says_the_pet_it_is_blocked_on() {
    // The 1.4 controller deletes nothing while a pet is unhealthy; petctl
    // lowers a PetSet one replica at a time, and each step is a wait like
    // any other: the blocker is said at once, and the timeout names the
    // step and why.
    let server = crashing();
    create_petset(&server);
    petctl_at(&server, &["scale", "web", "--replicas", "4", "--wait"]).expect_success();
    // A broken image in the template reaches web-1 when it is recreated.
    let template = server.merge_patch("/apis/apps/v1alpha1/namespaces/default/petsets/web", br#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"gcr.io/x/broken-image:1"}]}}}}"#);
    assert_eq!(template.status, 200, "{}", template.body);
    let deleted = server.request("DELETE", "/api/v1/namespaces/default/pods/web-1", None, b"");
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    let run = stream(&server, &scale_wait("web", "1", "10s"));
    run.expect_code(1);
    let notice = "warning: petset \"web\" is blocked: pet web-1 is in CrashLoopBackOff: container nginx: back-off";
    run.expect_said_at_once_once(notice, "is blocked");
    let error = run.error();
    assert!(
        error.starts_with("error: failed to scale petset \"web\": timed out after 10s waiting for web-3 to go before scaling petset \"web\" further (it stays at 3 replicas):\n"),
        "{run}"
    );
    assert!(
        error.contains("\n  web-1: CrashLoopBackOff (container nginx: CrashLoopBackOff: back-off"),
        "{run}"
    );
    assert!(error.ends_with("\n  web-3: still there (Ready)\n"), "{run}");
}
