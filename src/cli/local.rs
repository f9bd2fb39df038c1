//! `petctl local up|down|status`: run, stop and inspect the local control
//! plane.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::local::controllers::ControllerOptions;
use crate::local::server::{self, Faults, ServerConfig};
use crate::local::state::{self, StateDir};

/// How long `up --detach` waits for the server to be ready, and `down` for
/// it to exit.
const WAIT: Duration = Duration::from_secs(30);
/// The line a server prints on stdout once it is ready; `up --detach`
/// waits for it.
const READY_PREFIX: &str = "ready ";

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: LocalCommand,
}

#[derive(Debug, clap::Subcommand)]
// Parsed once per run: the size of `up`'s flags does not matter.
#[allow(clippy::large_enum_variant)]
enum LocalCommand {
    /// Start the local control plane
    Up(UpArgs),
    /// Stop the local control plane gracefully
    Down(DirArgs),
    /// Print the URL, pid, uptime, kubeconfig and object counts of the local control plane
    Status(DirArgs),
    /// List, add, stop and start the simulated nodes
    Node(super::local_node::Args),
    /// Print the path of the administrator's kubeconfig, for
    /// `export KUBECONFIG=$(petctl local kubeconfig-path)`
    KubeconfigPath(DirArgs),
    /// Write a kubeconfig for another user, who authenticates with a client
    /// certificate from the local CA. Members of system:masters may do
    /// anything; every other user may only read (RBAC's view role)
    Kubeconfig(KubeconfigArgs),
}

#[derive(Debug, clap::Args)]
struct KubeconfigArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The user name (the certificate's CommonName)
    #[arg(long, value_name = "NAME")]
    user: String,
    /// A group of the user (an Organization of the certificate); repeatable
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// How many days the certificate is valid
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36500))]
    days: u32,
    /// The file to write (mode 0600), or - for stdout; a symlink is written through, a device or other special file is refused
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub(super) struct DirArgs {
    /// The state directory [default: $PETCTL_LOCAL_DIR, else $XDG_STATE_HOME/petctl/local]
    #[arg(long, value_name = "DIR")]
    pub(super) state_dir: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The port on 127.0.0.1; 0 picks a free one
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Run in the background and return once the server is ready
    #[arg(long)]
    detach: bool,
    /// Fraction (0 to 1) of non-watch requests answered with 500, 429 or a dropped connection (before or after handling)
    #[arg(long, value_name = "F", value_parser = server::parse_rate, default_value = "0")]
    fault_rate: f64,
    /// Where the fault dice start, to replay a run (the server log names the seed) [default: random]
    #[arg(long, value_name = "N")]
    fault_seed: Option<u64>,
    /// The next request of VERB on RESOURCE fails once with CODE and a Status body, e.g.
    /// delete:persistentvolumeclaims:500 or patch:statefulsets:409; repeatable
    #[arg(long, value_name = "VERB:RESOURCE:CODE")]
    fail_next: Vec<server::FailNext>,
    /// Latency added to every request, e.g. 100ms
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    fault_latency: Option<Duration>,
    /// Close watch streams at a random time of up to D, e.g. 30s
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    watch_drop_after: Option<Duration>,
    /// How often watches that allow bookmarks get one
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration, default_value = "60s", hide = true)]
    bookmark_interval: Duration,
    /// How many events are kept for watch resume (the compaction window)
    #[arg(long, value_name = "N", default_value_t = crate::local::store::DEFAULT_EVENT_WINDOW, hide = true)]
    event_window: u64,
    /// How long a client may take to send a request's headers (and its TLS handshake)
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "32s")]
    header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "90s")]
    idle_timeout: Duration,
    /// How many connections one client address may hold at once
    #[arg(long, value_name = "N", default_value_t = server::DEFAULT_MAX_PER_ADDRESS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections_per_address: u64,
    /// How many nodes the simulated kubelet registers
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    nodes: u32,
    /// How long a started pod takes to become Ready (0 allowed)
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration, default_value = "1s")]
    ready_delay: Duration,
    /// Cap on the termination grace period of deleted pods, e.g. 0s
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    max_grace: Option<Duration>,
    /// Also accept HTTP basic auth for the users in FILE (password,user,uid[,"group1,group2"]),
    /// as kube-apiserver's --basic-auth-file did until 1.19
    #[arg(long, value_name = "FILE")]
    basic_auth_file: Option<PathBuf>,
    /// Pods whose image matches GLOB (with * and ?) never become Ready and crash-loop; repeatable
    #[arg(long, value_name = "GLOB")]
    fail_images: Vec<String>,
    /// Pods whose image matches GLOB cannot pull it and stay Pending in ImagePullBackOff; repeatable
    #[arg(long, value_name = "GLOB")]
    unpullable_images: Vec<String>,
    /// How long a node's Lease may go unrenewed before the node is marked NotReady (Unknown) and tainted unreachable
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "40s")]
    node_monitor_grace: Duration,
    /// Factor on the kubelet's crash-loop and image-pull back-off (10s doubling to 5m at 1)
    #[arg(long, value_name = "F", value_parser = parse_scale, default_value = "0.1")]
    backoff_scale: f64,
    /// Factor on probes' initialDelaySeconds, periodSeconds and timeoutSeconds (1 keeps the pods' own timing)
    #[arg(long, value_name = "F", value_parser = parse_scale, default_value = "1")]
    probe_scale: f64,
    /// The name of the default StorageClass created at start (provisioner petctl.local/hostpath)
    #[arg(long, value_name = "NAME", default_value = "standard")]
    default_storage_class: String,
    /// Let the default StorageClass expand its claims (allowVolumeExpansion: true)
    #[arg(long)]
    allow_volume_expansion: bool,
}

/// A positive, finite factor.
fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= 1000.0 => Ok(f),
        _ => Err(format!("{text:?} is not a factor above 0 (e.g. 0.1)")),
    }
}

/// The state directory: the flag, else the environment's default.
pub(super) fn state_dir(flag: &Option<PathBuf>) -> Result<StateDir> {
    let env = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let root = match flag {
        Some(dir) => dir.clone(),
        None => state::default_dir(env("PETCTL_LOCAL_DIR"), env("XDG_STATE_HOME"), env("HOME"))?,
    };
    Ok(StateDir::new(root))
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<()> {
    match args.command {
        LocalCommand::Up(up) => run_up(up, out),
        LocalCommand::Down(dir) => run_down(&state_dir(&dir.state_dir)?, out),
        LocalCommand::Status(dir) => run_status(&state_dir(&dir.state_dir)?, out),
        LocalCommand::Node(args) => super::local_node::run(args, out),
        LocalCommand::Kubeconfig(args) => run_kubeconfig(args, out),
        LocalCommand::KubeconfigPath(dir) => {
            writeln!(out, "{}", state_dir(&dir.state_dir)?.kubeconfig().display())?;
            Ok(())
        }
    }
}

fn run_kubeconfig(args: KubeconfigArgs, out: &mut dyn Write) -> Result<()> {
    let state = state_dir(&args.dir.state_dir)?;
    if args.user.trim().is_empty() {
        bail!("--user must not be empty");
    }
    let admin = std::fs::read_to_string(state.kubeconfig()).with_context(|| {
        format!(
            "no local control plane in {}: run `petctl local up` first",
            state.root.display()
        )
    })?;
    let (server, _) = state::read_kubeconfig(&admin)
        .with_context(|| format!("{} names no server", state.kubeconfig().display()))?;
    let authority = crate::local::pki::load_or_create_authority(&state)?;
    let identity = authority.issue_client(&args.user, &args.groups, args.days)?;
    let context = format!("{}@{}", args.user, state::CONTEXT);
    let text = state::user_kubeconfig_yaml(
        &server,
        &authority.cert_pem,
        &args.user,
        &context,
        state::Credential::Certificate {
            cert_pem: &identity.cert_pem,
            key_pem: &identity.key_pem,
        },
    );
    if args.output.as_os_str() == "-" {
        out.write_all(text.as_bytes())?;
        return Ok(());
    }
    state::write_private(&regular_file_target(&args.output)?, text.as_bytes())?;
    let role = if args.groups.iter().any(|g| g == "system:masters") {
        "may do anything"
    } else {
        "may only read (get, list, watch; no secrets)"
    };
    writeln!(
        out,
        "kubeconfig for user {:?} written to {}; the user {role}, for {} days",
        args.user,
        args.output.display(),
        args.days
    )?;
    Ok(())
}

/// Where writing `path` may put a new file: the path itself, or for a
/// symlink the file it points to, so that the link stays a link. Anything
/// but a regular file (a device, a pipe, `/dev/stdout`) is refused: the
/// atomic rename would replace it with a file holding a private key.
fn regular_file_target(path: &std::path::Path) -> Result<PathBuf> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if is_link {
        std::fs::canonicalize(path).with_context(|| {
            format!(
                "{} is a symbolic link to nothing: refusing to replace it",
                path.display()
            )
        })?
    } else {
        path.to_path_buf()
    };
    match std::fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => bail!(
            "{} is not a regular file: refusing to replace it (use -o - for stdout)",
            path.display()
        ),
        _ => Ok(target),
    }
}

fn run_up(args: UpArgs, out: &mut dyn Write) -> Result<()> {
    let state = state_dir(&args.dir.state_dir)?;
    if args.detach {
        return detach(&args, &state, out);
    }
    let config = ServerConfig {
        state: state.clone(),
        port: args.port,
        faults: Faults {
            rate: args.fault_rate,
            latency: args.fault_latency.unwrap_or(Duration::ZERO),
            watch_drop_after: args.watch_drop_after,
            seed: args.fault_seed,
        },
        fail_next: args.fail_next.clone(),
        bookmark_interval: args.bookmark_interval,
        event_window: args.event_window,
        controllers: ControllerOptions {
            nodes: args.nodes,
            ready_delay: args.ready_delay,
            max_grace: args.max_grace,
            fail_images: args.fail_images.clone(),
            unpullable_images: args.unpullable_images.clone(),
            restart_backoff: Duration::from_secs_f64(10.0 * args.backoff_scale),
            probe_scale: args.probe_scale,
            volumes_dir: state.root.join("volumes"),
            storage_class: crate::local::registry::storage_admission::DefaultClass {
                name: args.default_storage_class.clone(),
                allow_volume_expansion: args.allow_volume_expansion,
            },
            node_monitor_grace: args.node_monitor_grace,
        },
        basic_auth_file: args.basic_auth_file.clone(),
        connection_limits: server::ConnectionLimits {
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            max_per_address: args.max_connections_per_address as usize,
        },
    };
    server::run(config, |url| {
        // Recorded only once this server holds the state dir. Without the
        // record a restart after a crash uses the defaults, as before.
        let _ = remember_flags(&args, &state);
        // A detaching parent may have gone already; the server runs on.
        let _ = writeln!(out, "{READY_PREFIX}{url}");
        let _ = writeln!(out, "kubeconfig: {}", state.kubeconfig().display());
        let _ = out.flush();
    })
}

/// A duration above zero, e.g. 30s.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match crate::duration::parse_duration(text) {
        Ok(d) if d.is_zero() => Err("must be more than 0s".to_string()),
        other => other.map_err(|e| e.to_string()),
    }
}

/// A flag's values in `local up`'s arguments.
type Values = fn(&UpArgs) -> Vec<String>;

/// The flags of `local up` that `up_flags` records, each with its values as
/// the command line spells them (none for an unset optional flag).
const SERVER_FLAGS: &[(&str, Values)] = &[
    ("--port", |a| vec![a.port.to_string()]),
    ("--fault-rate", |a| vec![a.fault_rate.to_string()]),
    ("--bookmark-interval", |a| vec![millis(a.bookmark_interval)]),
    ("--event-window", |a| vec![a.event_window.to_string()]),
    ("--header-timeout", |a| vec![millis(a.header_timeout)]),
    ("--idle-timeout", |a| vec![millis(a.idle_timeout)]),
    ("--max-connections-per-address", |a| {
        vec![a.max_connections_per_address.to_string()]
    }),
    ("--nodes", |a| vec![a.nodes.to_string()]),
    ("--ready-delay", |a| vec![millis(a.ready_delay)]),
    ("--max-grace", |a| {
        a.max_grace.into_iter().map(millis).collect()
    }),
    ("--fault-latency", |a| {
        a.fault_latency.into_iter().map(millis).collect()
    }),
    ("--watch-drop-after", |a| {
        a.watch_drop_after.into_iter().map(millis).collect()
    }),
    ("--fault-seed", |a| {
        a.fault_seed.iter().map(u64::to_string).collect()
    }),
    ("--fail-images", |a| a.fail_images.clone()),
    ("--unpullable-images", |a| a.unpullable_images.clone()),
    ("--backoff-scale", |a| vec![a.backoff_scale.to_string()]),
    ("--probe-scale", |a| vec![a.probe_scale.to_string()]),
    ("--default-storage-class", |a| {
        vec![a.default_storage_class.clone()]
    }),
    ("--node-monitor-grace", |a| {
        vec![millis(a.node_monitor_grace)]
    }),
    ("--fail-next", |a| {
        a.fail_next.iter().map(ToString::to_string).collect()
    }),
];

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The flags of `local up` that shape the server and differ from the
/// defaults (all but --detach and --state-dir), as a command line that
/// gives the same server again.
fn up_flags(args: &UpArgs) -> Vec<OsString> {
    let defaults = UpArgs::defaults();
    let mut flags: Vec<OsString> = Vec::new();
    for (name, values) in SERVER_FLAGS {
        let wanted = values(args);
        if wanted != values(&defaults) {
            for value in wanted {
                flags.extend([name.into(), value.into()]);
            }
        }
    }
    if args.allow_volume_expansion {
        flags.push("--allow-volume-expansion".into());
    }
    if let Some(file) = &args.basic_auth_file {
        // Made absolute so that a later start from another directory
        // (a restart after a crash) finds the same file.
        let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
        flags.extend(["--basic-auth-file".into(), file.into_os_string()]);
    }
    flags
}

impl UpArgs {
    /// `local up` with no flags.
    fn defaults() -> UpArgs {
        use clap::{Args as _, FromArgMatches as _};
        let command = UpArgs::augment_args(clap::Command::new("up"));
        UpArgs::from_arg_matches(&command.get_matches_from(["up"]))
            .expect("local up parses with no flags")
    }
}

/// Where `local up` keeps the flags it last ran with.
fn flags_file(state: &StateDir) -> PathBuf {
    state.root.join("up-flags.json")
}

/// The flags the server in `state` last ran with, for starting it again the
/// same way after a crash; none if it never ran or the file is unreadable.
pub(super) fn remembered_flags(state: &StateDir) -> Vec<String> {
    std::fs::read(flags_file(state))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn remember_flags(args: &UpArgs, state: &StateDir) -> Result<()> {
    let flags: Vec<String> = up_flags(args)
        .into_iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    state::write_private(&flags_file(state), &serde_json::to_vec(&flags)?)
}

/// Starts `petctl local up` again without --detach in the background and
/// waits for its ready line.
fn detach(args: &UpArgs, state: &StateDir, out: &mut dyn Write) -> Result<()> {
    state.create()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(state.log())
        .with_context(|| format!("failed to open {}", state.log().display()))?;
    let exe = std::env::current_exe().context("failed to find the petctl executable")?;
    let mut command = Command::new(exe);
    command
        .args(["local", "up", "--state-dir"])
        .arg(&state.root)
        .args(up_flags(args));
    use std::os::unix::process::CommandExt;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .process_group(0)
        .spawn()
        .context("failed to start the local control plane in the background")?;
    let stdout = child.stdout.take().context("no pipe from the server")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(WAIT).unwrap_or_default();
    let Some(url) = line.trim().strip_prefix(READY_PREFIX) else {
        let _ = child.kill();
        let _ = child.wait();
        bail!(
            "the local control plane did not start; the end of {}:\n{}",
            state.log().display(),
            state.log_tail(20)
        );
    };
    writeln!(
        out,
        "local control plane running at {url} (pid {})",
        child.id()
    )?;
    writeln!(out, "kubeconfig: {}", state.kubeconfig().display())?;
    Ok(())
}

/// Whether `pid` is a petctl local control plane, as far as /proc tells.
pub(super) fn is_our_server(pid: i32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|cmdline| {
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let has = |word: &[u8]| args.contains(&word);
            args.first().is_some_and(|exe| exe.ends_with(b"petctl")) && has(b"local") && has(b"up")
        })
        .unwrap_or(false)
}

fn run_down(state: &StateDir, out: &mut dyn Write) -> Result<()> {
    let Some(pid) = state.read_pid()? else {
        writeln!(
            out,
            "no local control plane is running in {}",
            state.root.display()
        )?;
        return Ok(());
    };
    if !is_our_server(pid) {
        let _ = std::fs::remove_file(state.pid());
        writeln!(
            out,
            "no local control plane is running in {} (stale pid {pid})",
            state.root.display()
        )?;
        return Ok(());
    }
    let lock = state.open_lock()?;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .with_context(|| format!("failed to stop the local control plane (pid {pid})"))?;
    // The server holds the lock until it exits: taking it is the wait.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let locked = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive);
        let _ = tx.send(locked.is_ok());
    });
    match rx.recv_timeout(WAIT) {
        Ok(true) => {
            writeln!(out, "local control plane stopped (pid {pid})")?;
            Ok(())
        }
        _ => bail!(
            "the local control plane (pid {pid}) did not stop within {}s",
            WAIT.as_secs()
        ),
    }
}

fn run_status(state: &StateDir, out: &mut dyn Write) -> Result<()> {
    if !state.kubeconfig().is_file() {
        bail!(
            "no local control plane in {} (no kubeconfig)",
            state.root.display()
        );
    }
    let (client, server) = local_client(state)?;
    let status: Value = super::connect::runtime()?
        .block_on(async { client.get_path("/petctl/status").await })
        .with_context(|| format!("the local control plane at {server} is not running"))?;
    write!(out, "{}", render_status(&status, &state.kubeconfig()))?;
    Ok(())
}

/// A client of the local control plane in `state`, with the
/// administrator's kubeconfig, and the server's URL.
pub(super) fn local_client(state: &StateDir) -> Result<(crate::client::Client, String)> {
    let rules = crate::client::kubeconfig::LoadingRules::only(state.kubeconfig());
    let config = crate::client::kubeconfig::load(&rules)?.config;
    let resolved = crate::client::kubeconfig::resolve(&config, &Default::default())?;
    let options = crate::client::ClientOptions {
        request_timeout: Some(Duration::from_secs(10)),
        max_attempts: 1,
        ..Default::default()
    };
    let client = crate::client::Client::new(&resolved, options)?;
    Ok((client, resolved.cluster.server.clone()))
}

fn render_status(status: &Value, kubeconfig: &std::path::Path) -> String {
    let text = |pointer: &str| crate::json::text(status, pointer);
    let uptime = status
        .get("uptimeSeconds")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let mut lines = vec![
        format!("URL:      {}", text("/url")),
        format!(
            "PID:      {}",
            status.get("pid").and_then(Value::as_u64).unwrap_or(0)
        ),
        format!(
            "Uptime:   {}",
            crate::duration::human_duration(uptime as i64)
        ),
        format!("Revision: {}", text("/resourceVersion")),
        format!("Kubeconfig: {}", kubeconfig.display()),
        "Objects:".to_string(),
    ];
    if let Some(objects) = status.get("objects").and_then(Value::as_object) {
        for (resource, count) in objects {
            lines.push(format!("  {resource}: {}", count.as_u64().unwrap_or(0)));
        }
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn up_flags_name_what_differs_from_the_defaults() {
        use clap::{Args as _, FromArgMatches as _};
        let given = "up --port 6443 --nodes 3 --ready-delay 2s --max-grace 5s \
                     --fail-images a* --fail-images b* --event-window 10000";
        let command = UpArgs::augment_args(clap::Command::new("up"));
        let matches = command.get_matches_from(given.split_whitespace());
        let args = UpArgs::from_arg_matches(&matches).unwrap();
        let flags: Vec<String> = up_flags(&args)
            .into_iter()
            .map(|f| f.into_string().unwrap())
            .collect();
        let want = "--port 6443 --nodes 3 --ready-delay 2000ms --max-grace 5000ms \
                    --fail-images a* --fail-images b*";
        assert_eq!(flags, want.split_whitespace().collect::<Vec<_>>());
        assert!(up_flags(&UpArgs::defaults()).is_empty());
    }

    #[test]
    fn status_renders() {
        let status = json!({"url": "https://127.0.0.1:1", "pid": 7, "uptimeSeconds": 3725,
                            "resourceVersion": "12", "objects": {"namespaces": 4}});
        assert_eq!(
            render_status(&status, std::path::Path::new("/s/kubeconfig")),
            "URL:      https://127.0.0.1:1\nPID:      7\nUptime:   62m\nRevision: 12\nKubeconfig: /s/kubeconfig\nObjects:\n  namespaces: 4\n"
        );
    }
}
