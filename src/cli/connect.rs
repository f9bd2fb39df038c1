//! Connecting to a cluster as kubectl would: the kubeconfig (flags,
//! `KUBECONFIG`, `~/.kube/config`), else the in-cluster service account,
//! else the local control plane in the default state dir, started in the
//! background when it is not running.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use anyhow::{bail, Context as _};

use super::global::GlobalArgs;
use crate::client::discovery::{self, Served};
use crate::client::kubeconfig::{self, AuthInfo, Cluster, Kubeconfig, Resolved};
use crate::client::{Client, ClientOptions};
use crate::local::state::{self, StateDir};

/// A client for the chosen cluster, and the namespace to work in.
pub struct Connection {
    pub client: Client,
    pub namespace: String,
    /// The context in use, for `version` and notices.
    pub context: String,
    /// The cluster, user and context resolved, for per-pet hooks' kubeconfig.
    pub resolved: Resolved,
    cache_dir: Option<PathBuf>,
}

impl Connection {
    /// The set kinds the server serves, through the discovery cache. A
    /// cached answer with no set kind at all is a miss: ask the server
    /// again (it may have been upgraded, or the cache written by another
    /// cluster at the same address).
    pub async fn served(&self) -> anyhow::Result<Served> {
        let cached = discovery::served(&self.client, self.cache_dir.as_deref(), false).await?;
        if cached.petsets() || cached.statefulset_version().is_some() {
            return Ok(cached);
        }
        Ok(discovery::served(&self.client, self.cache_dir.as_deref(), true).await?)
    }

    /// The set `reference` (NAME or KIND/NAME) names in this namespace,
    /// among the kinds the server serves.
    pub async fn find_set(&self, reference: &str) -> anyhow::Result<crate::ops::sets::Set> {
        let served = self.served().await?;
        crate::ops::sets::find(&self.client, &served, &self.namespace, reference).await
    }

    /// As `served`, but asks the server again when the cached answer lacks
    /// `group_version`/`plural` (a miss).
    pub async fn served_with(&self, wanted: &[(&str, &str)]) -> anyhow::Result<Served> {
        let served = self.served().await?;
        if wanted.iter().all(|(gv, plural)| served.serves(gv, plural)) {
            return Ok(served);
        }
        Ok(discovery::served(&self.client, self.cache_dir.as_deref(), true).await?)
    }
}

/// Checks a set reference (NAME or KIND/NAME) before connecting, so that
/// a bad one is a usage error whether or not a cluster answers.
pub fn check_set_reference(reference: &str) -> Result<(), crate::error::InvalidInput> {
    crate::ops::sets::split_ref(reference)
        .map(|_| ())
        .map_err(|e| crate::error::InvalidInput(e.to_string()))
}

const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The local control plane's kubeconfig in the default state dir, and
/// whether petctl would use it for `global`: asked with `--local`, or
/// fallen back to (no kubeconfig, not in a cluster, no `--server`). None
/// when another cluster is chosen.
pub fn local_choice(
    global: &GlobalArgs,
    loaded: &kubeconfig::Loaded,
) -> anyhow::Result<Option<(PathBuf, bool)>> {
    let fallback = !global.local
        && loaded.is_empty()
        && in_cluster(&global.overrides()).is_none()
        && global.server.is_none();
    if !global.local && !fallback {
        return Ok(None);
    }
    let root = local_root()?;
    Ok(Some((StateDir::new(&root).kubeconfig(), fallback)))
}

/// `--request-timeout` when not given: one request (not a watch) that has
/// no answer by then fails, rather than hanging the command. kubectl has no
/// limit by default; petctl's operations have their own `--timeout` for
/// what takes long.
pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The default state dir of the local control plane.
fn local_root() -> anyhow::Result<PathBuf> {
    state::default_dir(
        env_path("PETCTL_LOCAL_DIR"),
        env_path("XDG_STATE_HOME"),
        env_path("HOME"),
    )
}

/// Resolves the cluster and builds a client for it.
pub fn connect(global: &GlobalArgs, err: &mut dyn Write) -> anyhow::Result<Connection> {
    let rules = global.loading_rules();
    let loaded = if global.local {
        kubeconfig::Loaded::default()
    } else {
        kubeconfig::load(&rules)?
    };
    let overrides = global.overrides();
    let resolved = if global.local {
        local_resolved(&overrides, false, err)?
    } else if !loaded.is_empty() {
        kubeconfig::resolve(&loaded.config, &overrides)?
    } else if let Some(in_cluster) = in_cluster(&overrides) {
        in_cluster
    } else if overrides.server.is_some() {
        kubeconfig::resolve(&Kubeconfig::default(), &overrides)?
    } else {
        local_resolved(&overrides, true, err)?
    };
    let request_timeout = match global.request_timeout.as_deref() {
        None => Some(DEFAULT_REQUEST_TIMEOUT),
        Some("0") => None,
        Some(text) => Some(
            crate::duration::parse_duration(text)
                .map_err(|e| crate::error::InvalidInput(format!("--request-timeout: {e}")))?,
        ),
    };
    let logger: crate::client::transport::Logger = Arc::new(|line: &str| eprintln!("{line}"));
    let options = ClientOptions {
        request_timeout,
        verbosity: global.verbosity,
        logger: Some(logger),
        ..ClientOptions::default()
    };
    if resolved.cluster.insecure_skip_tls_verify {
        writeln!(
            err,
            "{} the certificate of {} is not verified (insecure-skip-tls-verify): anyone on the path can read and change this session",
            super::colour::warning(),
            crate::client::transport::split_userinfo(&resolved.cluster.server).0
        )?;
    }
    let namespace = resolved.namespace.clone();
    let context = resolved.context_name.clone();
    let client = Client::new(&resolved, options)
        .with_context(|| format!("cannot set up a client for {}", resolved.cluster.server))?;
    let cache_dir = env_path("XDG_CACHE_HOME")
        .or_else(|| env_path("HOME").map(|h| h.join(".cache")))
        .map(|c| c.join("petctl/discovery"));
    Ok(Connection {
        client,
        namespace,
        context,
        resolved,
        cache_dir,
    })
}

/// Why petctl uses the local control plane when nobody asked for it.
pub const FALLBACK: &str =
    "no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config) and not in a cluster";

/// The local control plane's context, started first if need be. A
/// `fallback` (nobody asked for it) says so on stderr every time, so that
/// nobody meaning another cluster gets this one without a word.
fn local_resolved(
    overrides: &kubeconfig::Overrides,
    fallback: bool,
    err: &mut dyn Write,
) -> anyhow::Result<Resolved> {
    let kubeconfig = ensure_local(fallback, err)?;
    if fallback {
        writeln!(
            err,
            "petctl: {FALLBACK}; using the local control plane (for kubectl: export KUBECONFIG={})",
            kubeconfig.display()
        )?;
    }
    let rules = kubeconfig::LoadingRules::only(kubeconfig);
    kubeconfig::resolve(&kubeconfig::load(&rules)?.config, overrides)
}

/// The pod's service account, as client-go's InClusterConfig reads it.
fn in_cluster(overrides: &kubeconfig::Overrides) -> Option<Resolved> {
    let host = std::env::var("KUBERNETES_SERVICE_HOST")
        .ok()
        .filter(|h| !h.is_empty())?;
    let port = std::env::var("KUBERNETES_SERVICE_PORT")
        .ok()
        .filter(|p| !p.is_empty())?;
    let dir = Path::new(SERVICE_ACCOUNT);
    if !dir.join("token").is_file() {
        return None;
    }
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host
    };
    let namespace = std::fs::read_to_string(dir.join("namespace"))
        .map(|n| n.trim().to_string())
        .unwrap_or_else(|_| "default".into());
    Some(Resolved {
        context_name: "in-cluster".into(),
        cluster_name: "in-cluster".into(),
        user_name: "service-account".into(),
        namespace: overrides.namespace.clone().unwrap_or(namespace),
        cluster: Cluster {
            server: format!("https://{host}:{port}"),
            certificate_authority: Some(dir.join("ca.crt").to_string_lossy().into_owned()),
            ..Cluster::default()
        },
        user: AuthInfo {
            token_file: Some(dir.join("token").to_string_lossy().into_owned()),
            ..AuthInfo::default()
        },
    })
}

/// The local control plane's kubeconfig, starting the server first when it
/// is not running; a start is said in one line on stderr.
fn ensure_local(fallback: bool, err: &mut dyn Write) -> anyhow::Result<PathBuf> {
    let root = local_root()?;
    let dir = StateDir::new(&root);
    if is_running(&dir) && dir.kubeconfig().is_file() {
        return Ok(dir.kubeconfig());
    }
    let exe = std::env::current_exe().context("cannot find the petctl executable")?;
    // A server that ran before (and crashed, or was stopped) comes back
    // with the flags it ran with, not the defaults.
    let flags = super::local_up::remembered_flags(&dir);
    let output = Command::new(exe)
        .args(["local", "up", "--detach", "--state-dir"])
        .arg(&root)
        .args(&flags)
        .stdin(Stdio::null())
        .output()
        .context("cannot start the local control plane")?;
    if !output.status.success() {
        let why = if fallback {
            format!("{FALLBACK}, and ")
        } else {
            String::new()
        };
        bail!(
            "{why}the local control plane in {} did not start: {}",
            root.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let again = if flags.is_empty() {
        String::new()
    } else {
        format!(
            " again, with the flags it last ran with ({})",
            flags.join(" ")
        )
    };
    // A fallback names the kubeconfig in its own notice, next.
    let kubectl = if fallback {
        String::new()
    } else {
        format!(
            "; for kubectl: export KUBECONFIG={}",
            dir.kubeconfig().display()
        )
    };
    writeln!(
        err,
        "petctl: started the local control plane in {}{again} (stop it with: petctl local down{kubectl})",
        root.display()
    )?;
    Ok(dir.kubeconfig())
}

/// A live `petctl local up` behind the state dir's pid file: a crashed
/// server left unreaped (a zombie) or a reused pid is not one.
fn is_running(dir: &StateDir) -> bool {
    matches!(dir.read_pid(), Ok(Some(pid)) if super::local::is_our_server(pid))
}

/// A runtime for one command's requests.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
