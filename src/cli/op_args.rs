//! The flags every ordered operation takes: `--timeout`, `--dry-run`,
//! `-o name|json` for its outcome and `--take-over` for the set's
//! operation lease; and running an operation under that lease.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

use crate::client::Client;
use crate::error::InvalidInput;
use crate::ops::lease::{self, Request};
use crate::ops::sets::Set;

#[derive(Debug, Clone, clap::Args)]
pub struct OpArgs {
    /// How long waits may take, e.g. 90s or 5m
    #[arg(long, default_value = super::wait::DEFAULT_TIMEOUT, value_name = "DURATION")]
    pub timeout: String,
    /// Print the plan (which pets, in which order) and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Print the outcome as: name or json
    #[arg(short = 'o', long = "output", value_parser = ["name", "json"])]
    pub output: Option<String>,
    #[command(flatten)]
    pub lease: LeaseArgs,
}

/// `--take-over`, for every operation that changes a set.
#[derive(Debug, Clone, clap::Args)]
pub struct LeaseArgs {
    /// Take the set's operation lease even if another petctl operation holds it
    #[arg(long = "take-over")]
    pub take_over: bool,
}

impl LeaseArgs {
    /// The lease request of this process for `operation`.
    pub fn request(&self, operation: &str) -> Request {
        Request {
            operation: operation.to_string(),
            holder: format!("{}@{}", user(), host()),
            pid: std::process::id(),
            command: command_line(),
            take_over: self.take_over,
            ttl: lease::DEFAULT_TTL,
        }
    }
}

fn user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn host() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// This command line, quoted for a POSIX shell.
pub fn command_line() -> String {
    std::env::args()
        .map(|a| {
            if !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_=./:@,+".contains(&b))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl OpArgs {
    pub fn timeout(&self) -> anyhow::Result<Duration> {
        parse_timeout(&self.timeout)
    }

    /// Runs `operation`'s `work` on `set`: straight away on a dry run,
    /// which changes nothing and so takes no lease, else under the set's
    /// operation lease: taken first (or refused, naming the holder),
    /// renewed meanwhile, removed at the end — also on an error and on
    /// Ctrl-C. A takeover is noted on `err`.
    pub async fn run_on<T, Fut>(
        &self,
        client: &Client,
        set: Set,
        operation: &str,
        err: &mut dyn Write,
        work: impl FnOnce(Set) -> Fut,
    ) -> anyhow::Result<T>
    where
        Fut: Future<Output = anyhow::Result<T>>,
    {
        if self.dry_run {
            return work(set).await;
        }
        let (lease, set) = lease::acquire(client, set, &self.lease.request(operation)).await?;
        if let Some(notice) = &lease.notice {
            writeln!(err, "{} {notice}", super::colour::warning())?;
        }
        lease
            .hold(async move {
                tokio::select! {
                    result = work(set) => result,
                    _ = tokio::signal::ctrl_c() => Err(crate::error::Interrupted.into()),
                }
            })
            .await
    }
}

/// A `--timeout` value: `500ms`, `90s`, `5m`.
pub fn parse_timeout(text: &str) -> anyhow::Result<Duration> {
    Ok(duration_flag("--timeout", text)?)
}

/// A duration flag's value (`500ms`, `90s`, `5m`); a bad one names `flag`.
pub fn duration_flag(flag: &str, text: &str) -> Result<Duration, InvalidInput> {
    crate::duration::parse_duration(text).map_err(|e| InvalidInput(format!("{flag}: {e}")))
}

/// Prints a planned or finished operation's outcome as `-o` asks: JSON,
/// the set's name, or (no `-o`) the `text` it renders to.
pub fn print_outcome(
    output: Option<&str>,
    outcome: &impl serde::Serialize,
    display: &str,
    text: impl FnOnce() -> String,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match output {
        Some("json") => writeln!(out, "{}", serde_json::to_string_pretty(outcome)?)?,
        Some(_) => writeln!(out, "{display}")?,
        None => write!(out, "{}", text())?,
    }
    Ok(())
}

/// The error of an operation (`what`: `upgrade of petset "web"`) that
/// stopped: not started when the lease was refused, else how to resume.
pub fn stopped(err: anyhow::Error, what: &str) -> anyhow::Error {
    if err.is::<crate::ops::lease::Refused>() {
        return err.context(format!("{what} not started"));
    }
    let denied = err
        .chain()
        .filter_map(|c| c.downcast_ref::<crate::client::Error>())
        .any(|c| c.is_denied());
    let how = if denied {
        "the server denied a request; once you may make it, it resumes"
    } else {
        "it resumes"
    };
    err.context(format!(
        "{what} stopped; {how} from where the cluster is with: {}",
        command_line()
    ))
}
