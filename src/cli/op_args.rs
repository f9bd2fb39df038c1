//! The flags every ordered operation takes: `--timeout`, `--dry-run` and
//! `-o name|json` for its outcome.

use std::time::Duration;

use crate::error::InvalidInput;

#[derive(Debug, Clone, clap::Args)]
pub struct OpArgs {
    /// How long waits may take, e.g. 90s or 5m
    #[arg(long, default_value = "5m", value_name = "DURATION")]
    pub timeout: String,
    /// Print the plan (which pets, in which order) and change nothing
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Print the outcome as: name or json
    #[arg(short = 'o', long = "output", value_parser = ["name", "json"])]
    pub output: Option<String>,
}

impl OpArgs {
    pub fn timeout(&self) -> anyhow::Result<Duration> {
        parse_timeout(&self.timeout)
    }
}

/// A `--timeout` value: `500ms`, `90s`, `5m`.
pub fn parse_timeout(text: &str) -> anyhow::Result<Duration> {
    crate::duration::parse_duration(text)
        .map_err(|e| InvalidInput(format!("--timeout: {e}")).into())
}
