//! The flags of `local up`, and their record in the state dir: the flags
//! that differ from the defaults are kept in `up-flags.json`, so that a
//! server started again after a crash runs as it did.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use super::local::DirArgs;
use crate::local::server;
use crate::local::state::{self, StateDir};

#[derive(Debug, clap::Args)]
pub(super) struct UpArgs {
    #[command(flatten)]
    pub(super) dir: DirArgs,
    /// The port on 127.0.0.1; 0 picks a free one
    #[arg(long, default_value_t = 0)]
    pub(super) port: u16,
    /// Run in the background and return once the server is ready
    #[arg(long)]
    pub(super) detach: bool,
    /// Fraction (0 to 1) of non-watch requests answered with 500, 429 or a dropped connection (before or after handling)
    #[arg(long, value_name = "F", value_parser = server::parse_rate, default_value = "0")]
    pub(super) fault_rate: f64,
    /// Where the fault dice start, to replay a run (the server log names the seed) [default: random]
    #[arg(long, value_name = "N")]
    pub(super) fault_seed: Option<u64>,
    /// The next request of VERB on RESOURCE fails once with CODE and a Status body, or with lost
    /// is handled and its answer dropped, e.g. delete:persistentvolumeclaims:500,
    /// patch:statefulsets:409 or patch:statefulsets:lost; repeatable
    #[arg(long, value_name = "VERB:RESOURCE:CODE")]
    pub(super) fail_next: Vec<server::FailNext>,
    /// Latency added to every request, e.g. 100ms
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    pub(super) fault_latency: Option<Duration>,
    /// Close watch streams at a random time of up to D, e.g. 30s
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    pub(super) watch_drop_after: Option<Duration>,
    /// How often watches that allow bookmarks get one
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration, default_value = "60s", hide = true)]
    pub(super) bookmark_interval: Duration,
    /// How many events are kept for watch resume (the compaction window)
    #[arg(long, value_name = "N", default_value_t = crate::local::store::DEFAULT_EVENT_WINDOW, hide = true)]
    pub(super) event_window: u64,
    /// How long a client may take to send a request's headers (and its TLS handshake)
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "32s")]
    pub(super) header_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "90s")]
    pub(super) idle_timeout: Duration,
    /// How many connections one client address may hold at once
    #[arg(long, value_name = "N", default_value_t = server::DEFAULT_MAX_PER_ADDRESS as u64, value_parser = clap::value_parser!(u64).range(1..))]
    pub(super) max_connections_per_address: u64,
    /// How many nodes the simulated kubelet registers
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub(super) nodes: u32,
    /// How long a started pod takes to become Ready (0 allowed)
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration, default_value = "1s")]
    pub(super) ready_delay: Duration,
    /// Cap on the termination grace period of deleted pods, e.g. 0s
    #[arg(long, value_name = "D", value_parser = crate::duration::parse_duration)]
    pub(super) max_grace: Option<Duration>,
    /// Also accept HTTP basic auth for the users in FILE (password,user,uid[,"group1,group2"]),
    /// as kube-apiserver's --basic-auth-file did until 1.19
    #[arg(long, value_name = "FILE")]
    pub(super) basic_auth_file: Option<PathBuf>,
    /// Pods whose image matches GLOB (with * and ?) never become Ready and crash-loop; repeatable
    #[arg(long, value_name = "GLOB")]
    pub(super) fail_images: Vec<String>,
    /// Pods whose image matches GLOB cannot pull it and stay Pending in ImagePullBackOff; repeatable
    #[arg(long, value_name = "GLOB")]
    pub(super) unpullable_images: Vec<String>,
    /// How long a node's Lease may go unrenewed before the node is marked NotReady (Unknown) and tainted unreachable
    #[arg(long, value_name = "D", value_parser = positive_duration, default_value = "40s")]
    pub(super) node_monitor_grace: Duration,
    /// Factor on the kubelet's crash-loop and image-pull back-off (10s doubling to 5m at 1)
    #[arg(long, value_name = "F", value_parser = parse_scale, default_value = "0.1")]
    pub(super) backoff_scale: f64,
    /// Factor on probes' initialDelaySeconds, periodSeconds and timeoutSeconds (1 keeps the pods' own timing)
    #[arg(long, value_name = "F", value_parser = parse_scale, default_value = "1")]
    pub(super) probe_scale: f64,
    /// The name of the default StorageClass created at start (provisioner petctl.local/hostpath)
    #[arg(long, value_name = "NAME", default_value = "standard")]
    pub(super) default_storage_class: String,
    /// Let the default StorageClass expand its claims (allowVolumeExpansion: true)
    #[arg(long)]
    pub(super) allow_volume_expansion: bool,
    /// Port of the cluster DNS on 127.0.0.1, UDP and TCP (0: a free port, printed by `up` and `local status`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(super) dns_port: u16,
    /// The cluster's DNS domain, as kubelet's --cluster-domain.
    #[arg(long, value_name = "DOMAIN", default_value = crate::local::cluster_dns::DEFAULT_CLUSTER_DOMAIN)]
    pub(super) cluster_domain: String,
}

/// A positive, finite factor.
pub(super) fn parse_scale(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 && f <= 1000.0 => Ok(f),
        _ => Err(format!("{text:?} is not a factor above 0 (e.g. 0.1)")),
    }
}

/// A duration above zero, e.g. 30s.
pub(super) fn positive_duration(text: &str) -> Result<Duration, String> {
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
    ("--dns-port", |a| vec![a.dns_port.to_string()]),
    ("--cluster-domain", |a| vec![a.cluster_domain.clone()]),
    ("--fail-next", |a| {
        a.fail_next.iter().map(ToString::to_string).collect()
    }),
];

pub(super) fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// The flags of `local up` that shape the server and differ from the
/// defaults (all but --detach and --state-dir), as a command line that
/// gives the same server again.
pub(super) fn up_flags(args: &UpArgs) -> Vec<OsString> {
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
    pub(super) fn defaults() -> UpArgs {
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

pub(super) fn remember_flags(args: &UpArgs, state: &StateDir) -> Result<()> {
    let flags: Vec<String> = up_flags(args)
        .into_iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    state::write_private(&flags_file(state), &serde_json::to_vec(&flags)?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
