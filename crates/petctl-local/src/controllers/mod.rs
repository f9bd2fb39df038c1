//! The controllers of the local control plane: the PetSet and StatefulSet
//! controllers, a simulated kubelet and scheduler, the volume provisioner,
//! claim and volume protection, the garbage collector, event recording,
//! Endpoints and EndpointSlices (`endpoints/`), and the namespace lifecycle (deletion, `default` ServiceAccount, root CA).
//! Each runs as a tokio task fed by the store's event stream and writes only
//! through the registry.

pub mod cache;
mod claims;
pub mod disruption;
pub mod endpoints;
mod event_sink;
pub mod events;
mod expand;
pub mod gc;
mod keeper;
pub mod kubelet;
pub mod namespace;
pub mod nodes;
pub mod petset;
mod pods;
pub mod protection;
pub mod root_ca;
mod runner;
pub mod serviceaccounts;
pub mod statefulset;
mod together;
pub mod volumes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::registry::Registry;
use super::store::Store;

/// How `petctl local up` configures the controllers.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerOptions {
    /// How many Node objects the simulated kubelet serves.
    pub nodes: u32,
    /// How long a started container takes to become Ready.
    pub ready_delay: Duration,
    /// The cap on a pod's termination grace period; `None` keeps it.
    pub max_grace: Option<Duration>,
    /// Images (globs with `*` and `?`) whose containers crash-loop.
    pub fail_images: Vec<String>,
    /// Images (the same globs) that cannot be pulled: ImagePullBackOff.
    pub unpullable_images: Vec<String>,
    /// The kubelet's first crash-loop and image-pull back-off, 10 s ×
    /// `--backoff-scale`; it doubles up to 30 times this (5 min unscaled).
    pub restart_backoff: Duration,
    /// `--probe-scale`: probes' initialDelaySeconds, periodSeconds and
    /// timeoutSeconds are multiplied by it (1 keeps the spec's timing).
    pub probe_scale: f64,
    /// Where provisioned volumes get their directories.
    pub volumes_dir: PathBuf,
    /// The default StorageClass created at start.
    pub storage_class: super::registry::storage_admission::DefaultClass,
    /// How long a node's Lease may go unrenewed before the node lifecycle
    /// controller marks it Unknown (`--node-monitor-grace-period`, 40 s).
    pub node_monitor_grace: Duration,
    /// The API server's port, which the `kubernetes` Service's endpoints
    /// name; the server fills it in once it listens (0: no such Service).
    pub api_port: u16,
}

impl Default for ControllerOptions {
    fn default() -> Self {
        ControllerOptions {
            nodes: 1,
            ready_delay: Duration::from_secs(1),
            max_grace: None,
            fail_images: Vec::new(),
            unpullable_images: Vec::new(),
            restart_backoff: Duration::from_secs(1),
            probe_scale: 1.0,
            volumes_dir: PathBuf::from("volumes"),
            storage_class: Default::default(),
            node_monitor_grace: Duration::from_secs(40),
            api_port: 0,
        }
    }
}

/// Starts every controller on the current tokio runtime. Each gets its own
/// registry over the shared store, so its writes take the REST code path.
/// `root_ca` is the server's CA certificate (PEM), published in every namespace.
pub fn spawn(store: Arc<Store>, options: ControllerOptions, root_ca: String) {
    let registry = Arc::new(Registry::new(store));
    let sink = event_sink::EventSink::start(registry.clone());
    start(kubelet::Kubelet::new(options.clone()), &registry, &sink);
    start(
        nodes::Heartbeat::new(options.nodes, options.node_monitor_grace),
        &registry,
        &sink,
    );
    start(
        nodes::Lifecycle::new(options.node_monitor_grace),
        &registry,
        &sink,
    );
    start(
        volumes::Provisioner::new(options.volumes_dir.clone()),
        &registry,
        &sink,
    );
    start(expand::Expander::default(), &registry, &sink);
    start(protection::ProtectionController, &registry, &sink);
    start(petset::PetSetController::default(), &registry, &sink);
    start(
        statefulset::StatefulSetController::default(),
        &registry,
        &sink,
    );
    start(namespace::NamespaceController, &registry, &sink);
    start(serviceaccounts::ServiceAccountsController, &registry, &sink);
    start(root_ca::RootCaPublisher::new(root_ca), &registry, &sink);
    start(disruption::DisruptionController, &registry, &sink);
    start(
        endpoints::EndpointsController {
            api_port: options.api_port,
        },
        &registry,
        &sink,
    );
    start(gc::GarbageCollector, &registry, &sink);
}

/// Runs one controller on the current runtime, writing through `registry`,
/// its Events to `sink`.
fn start<R: runner::Reconciler>(
    reconciler: R,
    registry: &Arc<Registry>,
    sink: &event_sink::EventSink,
) {
    tokio::spawn(runner::run(reconciler, Arc::clone(registry), sink.clone()));
}
