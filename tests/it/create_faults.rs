//! `create -f` is safe to retry: under a 30 % fault rate (500s, 429s,
//! connections dropped before and after the server acted), every run ends
//! with every object created exactly as sent and exit 0. The fault seed is
//! random unless PETCTL_TEST_SEED is set, and every failure names it
//! (`support::Seed`).

use crate::support::{petctl_at, LocalServer, Seed, SetManifest, READY_AT_ONCE};

const RUNS: usize = 20;

/// A governing Service and a StatefulSet asking for a CPU, both named
/// after `run`.
fn manifest(run: usize, image: &str) -> String {
    SetManifest::statefulset(&format!("web-{run}"))
        .with_service(&format!("svc-{run}"))
        .replicas(1)
        .container("nginx", image)
        .request("cpu", "1")
        .yaml()
}

/// One GET, repeated while the injected faults answer it (the server
/// state is not changing; only the transport fails): the status and body.
fn get_through_faults(server: &LocalServer, path: &str) -> (u16, serde_json::Value) {
    let client = server.client();
    let token = server.token();
    let url = format!("{}{path}", server.url);
    crate::support::runtime().block_on(async {
        for _ in 0..50 {
            let Ok(response) = client.get(&url).bearer_auth(&token).send().await else {
                continue;
            };
            let status = response.status().as_u16();
            if status == 429 || status == 500 {
                continue;
            }
            if let Ok(body) = response.json().await {
                return (status, body);
            }
        }
        panic!("GET {path} failed 50 times");
    })
}

#[test]
fn create_under_faults_creates_everything_and_exits_0() {
    let seed = Seed::new();
    let server = LocalServer::start_with(
        &[&["--fault-rate", "0.3"], &seed.fault_flags(), READY_AT_ONCE].concat(),
    );
    let dir = server.dir.path().to_path_buf();
    for run in 0..RUNS {
        let file = dir.join(format!("run-{run}.yaml"));
        std::fs::write(&file, manifest(run, "nginx:1")).unwrap();
        let file = file.to_str().unwrap();
        // One run in ten also waits: the wait must survive the faults too.
        let mut args = vec!["create", "-f", file];
        if run % 10 == 9 {
            args.extend(["--wait", "--timeout", "60s"]);
        }
        let result = petctl_at(&server, &args);
        assert_eq!(
            (result.code, result.stdout.as_str()),
            (
                0,
                format!("service/svc-{run} created\nstatefulset.apps/web-{run} created\n").as_str()
            ),
            "run {run}:\n{result}"
        );
    }
    for run in 0..RUNS {
        let (status, service) = get_through_faults(
            &server,
            &format!("/api/v1/namespaces/default/services/svc-{run}"),
        );
        assert_eq!(status, 200, "svc-{run}: {service}");
        let (status, set) = get_through_faults(
            &server,
            &format!("/apis/apps/v1/namespaces/default/statefulsets/web-{run}"),
        );
        assert_eq!(status, 200, "web-{run}: {set}");
        assert_eq!(
            set["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1"
        );
    }
    // Someone else's object by the same name stays an error, even when an
    // ambiguous failure made petctl read it back.
    let file = dir.join("other.yaml");
    // Both objects differ from the ones created: an identical one would
    // rightly count as created after an ambiguous failure.
    let other = manifest(0, "nginx:2").replace("port: 80", "port: 81");
    std::fs::write(&file, other).unwrap();
    let again = petctl_at(&server, &["create", "-f", file.to_str().unwrap()]);
    assert_eq!(again.code, 1, "{again}");
    assert_eq!(
        again
            .stderr
            .matches("Error from server (AlreadyExists)")
            .count(),
        2,
        "{again}"
    );
}
