//! The local control plane's API server: HTTPS on 127.0.0.1, bearer-token
//! auth, discovery, the REST verbs for every kind in the kinds table, watch,
//! and fault injection. Startup, readiness and graceful shutdown live here.

mod auth;
mod authz;
mod body;
mod discovery;
mod faults;
mod filter;
#[cfg(test)]
mod fuzz;
mod handlers;
mod listener;
mod logs;
mod openapi_v2;
mod protobuf;
mod query;
mod respond;
mod reviews;
mod route;
mod table;
mod watch;

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use self::faults::Dice;
pub use self::faults::{parse_rate, Faults};
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
    /// How often watches that asked for bookmarks get one.
    pub bookmark_interval: Duration,
    /// How many events the store keeps for watch resume.
    pub event_window: u64,
    /// The controllers' simulation settings.
    pub controllers: super::controllers::ControllerOptions,
    /// The legacy basic-auth file (`password,user,uid[,"groups"]`).
    pub basic_auth_file: Option<std::path::PathBuf>,
}

/// What every request handler shares.
pub struct App {
    registry: Registry,
    token: String,
    basic_users: Vec<auth::BasicUser>,
    address: String,
    url: String,
    started: Instant,
    start_time: String,
    faults: Faults,
    dice: Dice,
    bookmark_interval: Duration,
    shutdown: tokio::sync::watch::Receiver<bool>,
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
            "objects": counts,
        })
    }
}

pub(crate) use crate::log::log;

/// Holds DIR/server.lock for the life of the server, so two servers never
/// share a state directory and `local down` can wait for the exit.
fn lock_state(state: &StateDir) -> Result<nix::fcntl::Flock<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(state.lock())
        .with_context(|| format!("failed to open {}", state.lock().display()))?;
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

/// Runs the server until SIGTERM or SIGINT. `ready` is called with the URL
/// once the server accepts connections and the kubeconfig is written.
pub fn run(config: ServerConfig, ready: impl FnOnce(&str)) -> Result<()> {
    let state = &config.state;
    state.create()?;
    let _lock = lock_state(state)?;
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

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .with_context(|| format!("failed to listen on 127.0.0.1:{}", config.port))?;
        let address = listener
            .local_addr()
            .context("failed to read the listening address")?;
        let url = format!("https://{address}");
        let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
        let seed = config.faults.seed_or_random();
        let app = Arc::new(App {
            registry,
            token: token.clone(),
            basic_users,
            address: address.to_string(),
            url: url.clone(),
            started: Instant::now(),
            start_time: rfc3339(SystemTime::now()),
            faults: config.faults,
            dice: Dice::new(seed),
            bookmark_interval: config.bookmark_interval,
            shutdown: shutdown_rx.clone(),
        });
        write_private(
            &state.kubeconfig(),
            kubeconfig_yaml(&url, &authority.cert_pem, &token).as_bytes(),
        )?;
        write_private(&state.pid(), format!("{}\n", std::process::id()).as_bytes())?;
        log(&format!("listening on {url} (pid {})", std::process::id()));
        if config.faults.active() {
            log(&format!(
                "fault injection with seed {seed} (replay with --fault-seed {seed}): {}",
                config.faults
            ));
        }
        super::controllers::spawn(app.registry.store().clone(), config.controllers.clone());
        ready(&url);
        tokio::spawn(async move {
            wait_for_signal().await;
            log("received a termination signal");
            let _ = shutdown_tx.send(true);
        });
        listener::serve(listener, acceptor, app, shutdown_rx).await;
        let _ = std::fs::remove_file(state.pid());
        log("stopped");
        Ok(())
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
