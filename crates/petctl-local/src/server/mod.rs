//! The local control plane's API server: HTTPS on 127.0.0.1, bearer-token
//! auth, discovery, the REST verbs for every kind in the kinds table, watch,
//! and fault injection. Startup, readiness and graceful shutdown live here:
//! [`LocalControlPlane::start`] runs it in-process (the CLI's `local up` and
//! the tests both use it) and [`run`] serves until a signal.

mod accept;
mod auth;
mod authz;
mod body;
mod coalesce;
mod connection;
mod discovery;
mod exec;
mod faults;
mod filter;
#[cfg(test)]
mod fuzz;
mod handlers;
mod list;
mod listener;
mod logs;
mod openapi;
mod protobuf;
mod query;
mod respond;
mod reviews;
mod route;
mod table;
mod token;
mod watch;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

pub use self::faults::{parse_rate, FailNext, Faults};
use self::faults::{Dice, Pending};
pub use self::listener::{Limits as ConnectionLimits, DEFAULT_MAX_PER_ADDRESS};
use super::registry::meta::rfc3339;
use super::registry::Registry;
use super::state::{kubeconfig_yaml, write_private, StateDir};
use super::{pki, store};
pub use petctl_model::duration::parse_duration;

/// How `petctl local up` runs the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub state: StateDir,
    /// 0 picks a free port.
    pub port: u16,
    pub faults: Faults,
    /// `--fail-next`: one-shot failures, each spent by the first match.
    pub fail_next: Vec<FailNext>,
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: Duration,
    /// How many events the store keeps for watch resume.
    pub event_window: u64,
    /// The controllers' simulation settings.
    pub controllers: super::controllers::ControllerOptions,
    /// The legacy basic-auth file (`password,user,uid[,"groups"]`).
    pub basic_auth_file: Option<std::path::PathBuf>,
    /// Header-read and idle timeouts, connections per client address.
    pub connection_limits: ConnectionLimits,
    /// `--dns-port` and `--cluster-domain`.
    pub dns: crate::cluster_dns::DnsOptions,
}

/// What every request handler shares.
pub struct App {
    registry: Registry,
    token: String,
    signer: Arc<token::Signer>,
    basic_users: Vec<auth::BasicUser>,
    address: String,
    url: String,
    started: Instant,
    start_time: String,
    faults: Faults,
    dice: Dice,
    fail_next: Pending,
    bookmark_interval: Duration,
    /// Encoded watch event lines shared among watchers.
    shared_lines: Arc<watch::SharedLines>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    dns: Arc<crate::cluster_dns::ClusterDns>,
    /// The state dir: exec sandboxes keep per-pod files under it.
    state_root: std::path::PathBuf,
    /// Whether exec can build sandboxes here (probed once at startup).
    sandbox: crate::sandbox::Availability,
}

impl App {
    /// `/petctl/status`: what `petctl local status` prints.
    fn status(&self) -> Value {
        let counts: serde_json::Map<String, Value> = self
            .registry
            .counts()
            .unwrap_or_default()
            .into_iter()
            .map(|(resource, n)| (resource, json!(n)))
            .collect();
        json!({
            "url": self.url,
            "pid": std::process::id(),
            "startTime": self.start_time,
            "uptimeSeconds": self.started.elapsed().as_secs(),
            "resourceVersion": self.registry.current_revision().to_string(),
            "storeCommits": self.registry.store().commits(),
            "objects": counts,
            "dns": self.dns.listen().map(|a| a.to_string()),
            // Port 53 of a loopback address, for exec sandboxes' resolv.conf.
            "podNameserver": self.dns.pod_nameserver().map(|a| a.to_string()),
            "clusterDomain": self.dns.domain(),
        })
    }
}

pub(crate) use crate::log::log;

/// Holds DIR/server.lock for the life of the server, so two servers never
/// share a state directory and `local down` can wait for the exit.
fn lock_state(state: &StateDir) -> Result<nix::fcntl::Flock<File>> {
    let file = state.open_lock()?;
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(lock),
        Err((_, _)) => {
            let pid = state.read_pid().ok().flatten();
            match pid {
                Some(pid) => bail!(
                    "a local control plane (pid {pid}) is already running in {}",
                    state.root.display()
                ),
                None => bail!(
                    "a local control plane is already running in {}",
                    state.root.display()
                ),
            }
        }
    }
}

/// Starts control planes in-process.
pub struct LocalControlPlane;

/// A running control plane: stopped by [`Handle::shutdown`] or on drop.
pub struct Handle {
    url: String,
    kubeconfig: std::path::PathBuf,
    seed: u64,
    dns: Option<std::net::SocketAddr>,
    stop: tokio::sync::watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<Result<()>>>,
}

impl Handle {
    /// The API server's URL, `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The kubeconfig (mode 0600) that reaches this server as its admin.
    pub fn kubeconfig(&self) -> &std::path::Path {
        &self.kubeconfig
    }

    /// The seed the fault dice started from (printed in the server log).
    pub fn fault_seed(&self) -> u64 {
        self.seed
    }

    /// The cluster DNS's `--dns-port` listener (UDP and TCP).
    pub fn dns(&self) -> Option<std::net::SocketAddr> {
        self.dns
    }

    /// Stops accepting connections, drains in-flight requests, stops the
    /// controllers and releases the state directory's lock.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> Result<()> {
        let _ = self.stop.send(true);
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the local control plane panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Err(err) = self.stop_and_join() {
            log(&format!("shutdown failed: {err:#}"));
        }
    }
}

/// What the server thread reports once it listens (or why it could not).
type Started = Result<(String, u64, Option<std::net::SocketAddr>)>;

impl LocalControlPlane {
    /// Opens the state directory, starts the API server on 127.0.0.1 (port
    /// 0 picks a free one) and the controllers on a runtime of their own
    /// thread, and returns once the server accepts connections and the
    /// kubeconfig is written.
    pub fn start(config: ServerConfig) -> Result<Handle> {
        let kubeconfig = config.state.kubeconfig();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (started_tx, started_rx) = std::sync::mpsc::channel::<Started>();
        let thread = std::thread::Builder::new()
            .name("petctl-local".into())
            .spawn(move || serve(config, stopped, started_tx))
            .context("failed to start the control plane's thread")?;
        match started_rx.recv() {
            Ok(Ok((url, seed, dns))) => Ok(Handle {
                url,
                kubeconfig,
                seed,
                dns,
                stop,
                thread: Some(thread),
            }),
            Ok(Err(err)) => {
                let _ = thread.join();
                Err(err)
            }
            Err(_) => match thread.join() {
                Ok(Err(err)) => Err(err),
                _ => bail!("the local control plane stopped while starting"),
            },
        }
    }
}

/// Runs the server until SIGTERM or SIGINT. `ready` is called with the URL
/// and the DNS address once the server accepts connections and the
/// kubeconfig is written.
pub fn run(
    config: ServerConfig,
    ready: impl FnOnce(&str, Option<std::net::SocketAddr>),
) -> Result<()> {
    let pid_file = config.state.pid();
    let handle = LocalControlPlane::start(config)?;
    write_private(&pid_file, format!("{}\n", std::process::id()).as_bytes())?;
    ready(handle.url(), handle.dns());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the signal runtime")?
        .block_on(wait_for_signal());
    log("received a termination signal");
    // The pid file goes before the state lock does (when the server thread
    // ends): `local down` returns once it gets the lock, and must then find
    // no pid file of a stopped server.
    let _ = std::fs::remove_file(&pid_file);
    handle.shutdown()
}

/// The bound on threads doing blocking registry and disk work.
const BLOCKING_THREADS: usize = 32;

/// The server thread: everything up to listening reports through `started`.
fn serve(
    config: ServerConfig,
    stopped: tokio::sync::watch::Receiver<bool>,
    started: std::sync::mpsc::Sender<Started>,
) -> Result<()> {
    let opened = open(&config).and_then(|opened| {
        // Registry work runs on the blocking pool (handlers::blocking); past
        // this many threads it queues instead of growing a thread per
        // request or watch start (tokio's default allows 512).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .max_blocking_threads(BLOCKING_THREADS)
            .enable_all()
            .build()
            .context("failed to start the async runtime")?;
        Ok((opened, runtime))
    });
    let (opened, runtime) = match opened {
        Ok(opened) => opened,
        Err(err) => {
            let _ = started.send(Err(err));
            return Ok(());
        }
    };
    let state = config.state.clone();
    runtime.block_on(async move {
        let bound = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .with_context(|| format!("failed to listen on 127.0.0.1:{}", config.port))
            .and_then(|listener| {
                let address = listener
                    .local_addr()
                    .context("failed to read the listening address")?;
                Ok((listener, address))
            });
        let (listener, address) = match bound {
            Ok(bound) => bound,
            Err(err) => {
                let _ = started.send(Err(err));
                return Ok(());
            }
        };
        let url = format!("https://{address}");
        let seed = config.faults.seed_or_random();
        let app = Arc::new(App {
            registry: opened.registry,
            token: opened.token.clone(),
            signer: opened.signer,
            basic_users: opened.basic_users,
            address: address.to_string(),
            url: url.clone(),
            started: Instant::now(),
            start_time: rfc3339(SystemTime::now()),
            faults: config.faults,
            dice: Dice::new(seed),
            fail_next: Pending::new(config.fail_next.clone()),
            bookmark_interval: config.bookmark_interval,
            shared_lines: Arc::default(),
            shutdown: stopped.clone(),
            dns: Arc::new(crate::cluster_dns::ClusterDns::new(
                &config.dns.cluster_domain,
            )),
            state_root: state.root.clone(),
            sandbox: crate::sandbox::Availability::probe(),
        });
        if let crate::sandbox::Availability::Unavailable(why) = &app.sandbox {
            log(&format!("exec and attach are unavailable: {why}"));
        }
        if let Err(err) = write_private(
            &state.kubeconfig(),
            kubeconfig_yaml(&url, &opened.ca_pem, &opened.token).as_bytes(),
        ) {
            let _ = started.send(Err(err));
            return Ok(());
        }
        log(&format!("listening on {url} (pid {})", std::process::id()));
        log(&format!(
            "fault seed {seed} (replay with --fault-seed {seed})"
        ));
        if config.faults.active() {
            log(&format!("fault injection: {}", config.faults));
        }
        for fail in &config.fail_next {
            log(&format!(
                "--fail-next {fail}: the next such request fails once"
            ));
        }
        super::controllers::spawn(
            app.registry.store().clone(),
            super::controllers::ControllerOptions {
                api_port: address.port(),
                ..config.controllers.clone()
            },
            opened.ca_pem.clone(),
        );
        exec::spawn_cleanup(app.clone());
        let dns_registry = Arc::new(Registry::new(app.registry.store().clone()));
        if let Err(err) = crate::dns::start(dns_registry, app.dns.clone(), config.dns.port).await {
            let _ = started.send(Err(err));
            return Ok(());
        }
        let _ = started.send(Ok((url, seed, app.dns.listen())));
        listener::serve(
            listener,
            opened.acceptor,
            app,
            config.connection_limits.clone(),
            stopped,
        )
        .await;
        log("stopped");
        Ok::<(), anyhow::Error>(())
    })?;
    // The controllers' tasks end with the runtime; the lock goes last.
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(opened.lock);
    Ok(())
}

/// What a server needs before it listens.
struct Opened {
    lock: nix::fcntl::Flock<File>,
    registry: Registry,
    acceptor: listener::TlsAcceptor,
    token: String,
    signer: Arc<token::Signer>,
    basic_users: Vec<auth::BasicUser>,
    ca_pem: String,
}

/// Locks and opens the state directory: the log, the CA, the token, the
/// basic-auth users and the store.
fn open(config: &ServerConfig) -> Result<Opened> {
    let state = &config.state;
    state.create()?;
    let lock = lock_state(state)?;
    let log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(state.log())
        .with_context(|| format!("failed to open {}", state.log().display()))?;
    crate::log::open(log_file);
    let authority = pki::load_or_create_authority(state)?;
    let acceptor = listener::tls_acceptor(authority.issue_server()?)?;
    let token = state.load_or_create_token()?;
    let signer = Arc::new(token::Signer::load_or_create(&token::key_path(
        &state.root,
    ))?);
    let basic_users = match &config.basic_auth_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("failed to read {}", path.display()))?;
            auth::parse_basic_auth_file(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        None => Vec::new(),
    };
    let options = store::StoreOptions {
        event_window: config.event_window,
        // A tenth of the window, so a small window (in tests) compacts early.
        compaction_slack: (config.event_window / 10).min(store::DEFAULT_COMPACTION_SLACK),
        ..store::StoreOptions::default()
    };
    let db = store::Store::open_with(&state.database(), options).map_err(|e| {
        anyhow::anyhow!(
            "failed to open the store {}: {e}",
            state.database().display()
        )
    })?;
    let registry = Registry::new(db);
    registry
        .bootstrap()
        .map_err(|e| anyhow::anyhow!("failed to create the initial namespaces: {e}"))?;
    registry
        .bootstrap_storage_class(&config.controllers.storage_class)
        .map_err(|e| anyhow::anyhow!("failed to create the default storage class: {e}"))?;
    Ok(Opened {
        lock,
        registry,
        acceptor,
        token,
        signer,
        basic_users,
        ca_pem: authority.cert_pem.clone(),
    })
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
