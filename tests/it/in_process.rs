//! ops driven in-process against a `LocalControlPlane` started in the test
//! process: no binary, no stdout parsing, the outcomes as values.

use std::time::Duration;

use petctl::client::discovery;
use petctl::client::kubeconfig::{self, LoadingRules, Overrides};
use petctl::client::request::WriteParams;
use petctl::client::transport::{Client, ClientOptions};
use petctl::local::controllers::ControllerOptions;
use petctl::local::server::Faults;
use petctl::local::state::StateDir;
use petctl::local::{Handle, LocalControlPlane, ServerConfig};
use petctl::ops::progress::Recorder;
use petctl::ops::scale::{self, ScaleOptions};
use petctl::ops::sets;

use crate::support::SetManifest;

/// A control plane in `dir` whose pods are Ready at once.
fn start(dir: &std::path::Path) -> Handle {
    let state = StateDir::new(dir.join("state"));
    LocalControlPlane::start(ServerConfig {
        state: state.clone(),
        port: 0,
        faults: Faults::default(),
        fail_next: Vec::new(),
        bookmark_interval: Duration::from_secs(60),
        event_window: petctl::local::store::DEFAULT_EVENT_WINDOW,
        controllers: ControllerOptions {
            ready_delay: Duration::ZERO,
            max_grace: Some(Duration::ZERO),
            volumes_dir: state.root.join("volumes"),
            ..ControllerOptions::default()
        },
        basic_auth_file: None,
        connection_limits: petctl::local::server::ConnectionLimits::default(),
        dns: petctl::local::cluster_dns::DnsOptions::default(),
    })
    .expect("start the local control plane in-process")
}

/// A client from the handle's kubeconfig, as `petctl --kubeconfig` builds it.
fn client(handle: &Handle) -> Client {
    let rules = LoadingRules {
        explicit: Some(handle.kubeconfig().to_path_buf()),
        ..LoadingRules::default()
    };
    let loaded = kubeconfig::load(&rules).expect("load the kubeconfig");
    let resolved = kubeconfig::resolve(&loaded.config, &Overrides::default()).expect("resolve");
    Client::new(&resolved, ClientOptions::default()).expect("client")
}

fn options(replicas: i64) -> ScaleOptions {
    ScaleOptions {
        replicas,
        current_replicas: None,
        wait: true,
        timeout: Duration::from_secs(60),
        dry_run: false,
        hooks: Default::default(),
    }
}

#[test]
fn scale_up_then_down_in_reverse_order_keeping_claims() {
    let dir = crate::support::scratch();
    let handle = start(dir.path());
    let client = client(&handle);
    let set = SetManifest::statefulset("web")
        .replicas(1)
        .container("nginx", "nginx:1")
        .claim("www")
        .json();
    let seed = handle.fault_seed();
    crate::support::runtime().block_on(async {
        client
            .api(petctl::kinds::builtin("statefulsets"), Some("default"))
            .create(&set, &WriteParams::default())
            .await
            .unwrap_or_else(|e| panic!("create (fault seed {seed}): {e}"));
        let served = discovery::served(&client, None, true)
            .await
            .expect("discovery");
        let find = || sets::find(&client, &served, "default", "sts/web");
        let mut progress = Recorder::default();
        let up = scale::scale(&client, find().await.unwrap(), &options(3), &mut progress)
            .await
            .unwrap_or_else(|e| panic!("scale to 3 (fault seed {seed}): {e:#}"));
        assert_eq!(up.plan.create, ["web-1", "web-2"]);
        let down = scale::scale(&client, find().await.unwrap(), &options(1), &mut progress)
            .await
            .unwrap_or_else(|e| panic!("scale to 1 (fault seed {seed}): {e:#}"));
        assert_eq!(down.plan.remove, ["web-2", "web-1"]);
        assert_eq!(down.kept_claims, ["www-web-1", "www-web-2"]);
    });
    handle.shutdown().expect("a clean shutdown");
}
