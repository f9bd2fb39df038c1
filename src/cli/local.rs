//! `petctl local up|down|status`: run, stop and inspect the local control
//! plane.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use super::local_up::{remember_flags, up_flags, UpArgs};
use crate::local::controllers::ControllerOptions;
use crate::local::server::{self, Faults, ServerConfig};
use crate::local::state::{self, StateDir};

/// How long `up --detach` waits for the server to be ready, and `down` for
/// it to exit.
const WAIT: Duration = Duration::from_secs(30);
/// The line a server prints on stdout once it is ready; `up --detach`
/// waits for it.
const READY_PREFIX: &str = "ready ";
/// The line after it: the cluster DNS's address (UDP and TCP).
const DNS_PREFIX: &str = "dns: ";

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
            // Filled in by the server once it listens.
            api_port: 0,
        },
        basic_auth_file: args.basic_auth_file.clone(),
        connection_limits: server::ConnectionLimits {
            header_timeout: args.header_timeout,
            idle_timeout: args.idle_timeout,
            max_per_address: args.max_connections_per_address as usize,
        },
        dns: crate::local::cluster_dns::DnsOptions {
            port: args.dns_port,
            cluster_domain: args.cluster_domain.clone(),
        },
    };
    server::run(config, |url, dns| {
        // Recorded only once this server holds the state dir. Without the
        // record a restart after a crash uses the defaults, as before.
        let _ = remember_flags(&args, &state);
        // A detaching parent may have gone already; the server runs on.
        let _ = writeln!(out, "{READY_PREFIX}{url}");
        if let Some(dns) = dns {
            let _ = writeln!(out, "{DNS_PREFIX}{dns}");
        }
        let _ = writeln!(out, "kubeconfig: {}", state.kubeconfig().display());
        let _ = out.flush();
    })
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
        let mut reader = BufReader::new(stdout);
        let (mut line, mut dns) = (String::new(), String::new());
        let _ = reader.read_line(&mut line);
        let _ = reader.read_line(&mut dns);
        let _ = tx.send((line, dns));
    });
    let (line, dns) = rx.recv_timeout(WAIT).unwrap_or_default();
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
    if let Some(dns) = dns.trim().strip_prefix(DNS_PREFIX) {
        writeln!(out, "cluster DNS at {dns} (udp, tcp)")?;
    }
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
        format!(
            "DNS:      {} (cluster domain {})",
            match text("/dns") {
                "" => "<none>",
                dns => dns,
            },
            text("/clusterDomain")
        ),
        format!(
            "Pods' DNS: {}",
            match text("/podNameserver") {
                "" => "<none: port 53 could not be bound>",
                address => address,
            }
        ),
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
    fn status_renders() {
        let status = json!({"url": "https://127.0.0.1:1", "pid": 7, "uptimeSeconds": 3725,
                            "resourceVersion": "12", "objects": {"namespaces": 4},
                            "dns": "127.0.0.1:53535", "clusterDomain": "cluster.local",
                            "podNameserver": "127.9.8.7:53"});
        assert_eq!(
            render_status(&status, std::path::Path::new("/s/kubeconfig")),
            "URL:      https://127.0.0.1:1\nPID:      7\nUptime:   62m\nRevision: 12\nDNS:      127.0.0.1:53535 (cluster domain cluster.local)\nPods' DNS: 127.9.8.7:53\nKubeconfig: /s/kubeconfig\nObjects:\n  namespaces: 4\n"
        );
    }
}
