//! The ordered operations other than upgrade — scale, delete, cleanup-pvcs,
//! pause and resume — against the local control plane, for a PetSet and for
//! StatefulSets (RollingUpdate and OnDelete). A watch timeline of pods and
//! claims is recorded while each runs, and the invariants are checked on
//! it: ordered creation, ordered deletion, claims untouched unless cleanup
//! ran.

use crate::support::{
    create_petset, create_ready, petctl_at, scale_wait, LocalServer, SetManifest, FAST_SIM,
};
use crate::timeline::{claims_changed, creation_order, deletion_order, Timeline};

/// `cleanup-pvcs` for the set "web" once it is deleted.
pub(crate) const DELETED_WEB: [&str; 10] = [
    "cleanup-pvcs",
    "--deleted-set",
    "web",
    "--template",
    "www",
    "-l",
    "app=nginx",
    "--yes",
    "-o",
    "name",
];

/// The Service "nginx" and the StatefulSet "web" (3 pets, claim template
/// "www").
pub(crate) fn web() -> SetManifest {
    SetManifest::statefulset("web")
        .with_service("nginx")
        .app("nginx")
        .container("nginx", "registry.k8s.io/nginx-slim:0.8")
        .mount("www", "/usr/share/nginx/html")
        .claim("www")
}

/// [`web`] with the given update strategy.
pub(crate) fn statefulset(strategy: &str) -> String {
    web().update_strategy(strategy).yaml()
}

pub(crate) fn create_statefulset(server: &LocalServer, strategy: &str) {
    create_ready(
        server,
        &format!("web-{strategy}.yaml"),
        &statefulset(strategy),
    );
}

/// Scale up then down, checking order and that no claim is touched.
fn scale_walk(server: &LocalServer, kind: &str, from: i64) {
    let display = format!("{kind}.apps/web");
    let timeline = Timeline::start(server, "default");
    let run = petctl_at(server, &scale_wait("web", "5", "60s"));
    run.expect_success();
    assert_eq!(run.stdout, format!("{display} scaled\n"));
    let up = timeline.stop();
    let expected: Vec<String> = (from..5).map(|o| format!("web-{o}")).collect();
    assert_eq!(
        creation_order("web", &up),
        expected,
        "pets must be created in ordinal order"
    );

    let timeline = Timeline::start(server, "default");
    let run = petctl_at(server, &scale_wait("web", "3", "60s"));
    run.expect_success();
    let down = timeline.stop();
    assert_eq!(
        deletion_order("web", &down),
        ["web-4", "web-3"],
        "pets must be removed in reverse order"
    );
    assert_eq!(
        claims_changed(&down),
        Vec::<String>::new(),
        "scale-down must keep every claim"
    );
    assert!(
        run.stderr.ends_with("claims kept: www-web-3, www-web-4 (they keep the removed pets' data; delete them with: petctl cleanup-pvcs web)\n"),
        "{run}"
    );
}

/// After an upgrade the lowest ordinals are the newest pets, and the 1.4
/// controller removes the newest surplus pet first: a jump from 4 to 1
/// would take web-1 before web-3. petctl steps down one pet at a time.
#[test]
fn petset_scale_down_after_an_upgrade_goes_in_reverse_ordinal_order() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    petctl_at(&server, &scale_wait("web", "4", "60s")).expect_success();
    petctl_at(&server, &["upgrade-image", "web", "nginx=nginx:2", "--yes"]).expect_success();
    let timeline = Timeline::start(&server, "default");
    let run = petctl_at(&server, &scale_wait("web", "1", "60s"));
    run.expect_success();
    let entries = timeline.stop();
    assert_eq!(
        deletion_order("web", &entries),
        ["web-3", "web-2", "web-1"],
        "{run}"
    );
    assert_eq!(claims_changed(&entries), Vec::<String>::new());
}

#[test]
fn petset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    scale_walk(&server, "petset", 2);
}

#[test]
fn rolling_update_statefulset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "RollingUpdate");
    scale_walk(&server, "statefulset", 3);
}

#[test]
fn on_delete_statefulset_scales_in_order_and_keeps_claims() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "OnDelete");
    scale_walk(&server, "statefulset", 3);
}

#[test]
fn scale_preconditions_and_bad_input() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    let run = petctl_at(
        &server,
        &["scale", "web", "--replicas", "3", "--current-replicas", "5"],
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: failed to scale petset \"web\": Expected replicas to be 5, was 2\n"
    );
    let run = petctl_at(&server, &["scale", "web", "--replicas", "-1"]);
    run.expect_code(2);
    assert_eq!(run.stderr, "error: --replicas must be 0 or more, not -1\n");
    let run = petctl_at(&server, &["scale", "deployment/web", "--replicas", "1"]);
    run.expect_code(2);
    let run = petctl_at(&server, &["scale", "db", "--replicas", "1"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: petset or statefulset \"db\" not found in namespace \"default\"\n"
    );
    let run = petctl_at(&server, &["scale", "web", "--replicas", "4", "--dry-run"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web scaled (server dry run)\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": would scale from 2 to 4 replicas: create web-2, then web-3\n"
    );
    let replicas = ["get", "petset", "web", "-o", "jsonpath={.spec.replicas}"];
    assert_eq!(
        petctl_at(&server, &replicas).stdout,
        "2",
        "a dry run changes nothing"
    );
}

#[test]
fn a_name_shared_by_a_petset_and_a_statefulset_must_be_qualified() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    // A StatefulSet of the same name with no pets and its own labels, so
    // the two controllers do not compete for pods.
    let sts = SetManifest::statefulset("web")
        .service_name("nginx")
        .app("other")
        .replicas(0)
        .update_strategy("OnDelete")
        .container("nginx", "registry.k8s.io/nginx-slim:0.8")
        .mount("www", "/usr/share/nginx/html")
        .claim("www");
    create_ready(&server, "sts.yaml", &sts.yaml());
    let run = petctl_at(&server, &["scale", "web", "--replicas", "1"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: both a petset and a statefulset are named \"web\" in namespace \"default\": say which, as petset/web or statefulset/web\n"
    );
    let run = petctl_at(
        &server,
        &["scale", "statefulset/web", "--replicas", "0", "--wait"],
    );
    run.expect_success();
    assert_eq!(run.stdout, "statefulset.apps/web scaled\n");
}

#[test]
fn pausing_a_petset_annotates_its_pets_and_scale_says_so() {
    let server = LocalServer::start_with(FAST_SIM);
    create_petset(&server);
    let run = petctl_at(&server, &["pause", "web", "--dry-run"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web paused (server dry run)\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": pet web-0 annotated pod.alpha.kubernetes.io/initialized=false (server dry run)\npetset \"web\": pet web-1 annotated pod.alpha.kubernetes.io/initialized=false (server dry run)\n"
    );
    let annotations = || {
        petctl_at(
            &server,
            &[
                "get",
                "pods",
                "-o",
                "jsonpath={.items[*].metadata.annotations}",
            ],
        )
        .stdout
    };
    let paused = r#""pod.alpha.kubernetes.io/initialized":"false""#;
    assert!(!annotations().contains(paused), "{}", annotations());
    let run = petctl_at(&server, &["pause", "web", "-o", "name"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web\n");
    assert!(annotations().contains(paused), "{}", annotations());
    let run = petctl_at(&server, &["resume", "web"]);
    run.expect_success();
    let run = petctl_at(&server, &["pause", "web"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web paused\n");
    assert_eq!(
        run.stderr,
        "petset \"web\": pet web-0 annotated pod.alpha.kubernetes.io/initialized=false\npetset \"web\": pet web-1 annotated pod.alpha.kubernetes.io/initialized=false\n"
    );
    let run = petctl_at(&server, &scale_wait("web", "3", "2s"));
    run.expect_code(1);
    assert!(run.stderr.contains("petset \"web\" is paused"), "{run}");
    let run = petctl_at(
        &server,
        &["get", "pets", "web", "-o", "jsonpath={.items[2].pod}"],
    );
    assert_eq!(
        run.stdout, "null",
        "no pet is created while the set is paused"
    );

    let run = petctl_at(&server, &["resume", "web"]);
    run.expect_success();
    assert_eq!(run.stdout, "petset.apps/web resumed\n");
    let run = petctl_at(&server, &scale_wait("web", "3", "30s"));
    run.expect_success();
}

#[test]
fn pausing_a_statefulset_raises_its_partition_and_resume_restores_it() {
    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "RollingUpdate");
    let run = petctl_at(&server, &["pause", "sts/web", "--dry-run", "-o", "json"]);
    run.expect_success();
    let outcome: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        outcome,
        serde_json::json!({"set": "statefulset.apps/web", "action": "paused", "changed": true, "changes": ["partition 0 -> 3"], "dryRun": true})
    );
    let partition = || {
        petctl_at(
            &server,
            &[
                "get",
                "sts",
                "web",
                "-o",
                "jsonpath={.spec.updateStrategy.rollingUpdate.partition}",
            ],
        )
        .stdout
    };
    assert_eq!(partition(), "0", "a dry run changes nothing");
    petctl_at(&server, &["pause", "sts/web"]).expect_success();
    let paused = "jsonpath={.spec.updateStrategy.rollingUpdate.partition} {.metadata.annotations}";
    let run = petctl_at(&server, &["get", "sts", "web", "-o", paused]);
    assert_eq!(run.stdout, "3 {\"petctl.io/paused-partition\":\"0\"}");
    let run = petctl_at(&server, &["resume", "sts/web"]);
    run.expect_success();
    assert_eq!(run.stderr, "statefulset \"web\": partition 3 -> 0\n");
    assert_eq!(partition(), "0");

    let server = LocalServer::start_with(FAST_SIM);
    create_statefulset(&server, "OnDelete");
    let run = petctl_at(&server, &["pause", "sts/web"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: statefulset \"web\" uses the OnDelete update strategy: pets take a new template only when deleted, so there is no rollout to pause\n"
    );
}
