//! `petctl create -f FILE|DIR|- [--dry-run=client|server] [-o name|yaml|json]
//! [--wait] [--timeout D]`: create the governing Services, the sets and the
//! rest, and optionally wait until every pet is Running and Ready.

use std::io::Write;
use std::time::Duration;

use anyhow::bail;
use serde_json::Value;

use super::connect::{connect, runtime};
use super::global::GlobalArgs;
use crate::kinds;
use crate::manifest::{self, ValidationMode};
use crate::ops::create::{self, CreateOptions, DryRun};
use crate::ops::sets::Set;
use crate::ops::wait;
use crate::output::printer::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest file, directory, or - for stdin (repeatable)
    #[arg(short = 'f', long = "filename", required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// none, client (print only) or server (validated by the server, not stored)
    #[arg(long = "dry-run", default_value = "none", value_parser = ["none", "client", "server"], num_args = 0..=1, default_missing_value = "client")]
    pub dry_run: String,
    /// Output format: name, yaml or json
    #[arg(short = 'o', long = "output", value_parser = ["name", "yaml", "json"])]
    pub output: Option<String>,
    /// Wait until every pet of every created set is Running and Ready and its status caught up
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits, e.g. 90s or 5m
    #[arg(long, default_value = super::wait::DEFAULT_TIMEOUT, value_name = "DURATION")]
    pub timeout: String,
    /// How to treat unknown fields: strict, warn or ignore
    #[arg(long = "validate", default_value = "strict", value_name = "MODE")]
    pub validate: ValidationMode,
    /// Refuse to convert a PetSet for a server that has only StatefulSets
    #[arg(long = "no-convert")]
    pub no_convert: bool,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let timeout = super::op_args::parse_timeout(&args.timeout)?;
    let dry_run = match args.dry_run.as_str() {
        "client" => DryRun::Client,
        "server" => DryRun::Server,
        _ => DryRun::None,
    };
    let loaded = manifest::load(&args.files, args.validate)?;
    for warning in &loaded.warnings {
        writeln!(err, "{} {warning}", super::colour::warning())?;
    }
    let conn = connect(global, err)?;
    let options = CreateOptions {
        namespace: conn.namespace.clone(),
        namespace_flag: global.namespace.is_some(),
        dry_run,
        no_convert: args.no_convert,
    };
    let rt = runtime()?;
    rt.block_on(async {
        let wanted: Vec<(&str, &str)> = loaded
            .documents
            .iter()
            .filter_map(|d| match d.kind() {
                "PetSet" => Some((d.api_version(), "petsets")),
                "StatefulSet" => Some((d.api_version(), "statefulsets")),
                _ => None,
            })
            .collect();
        let served = conn.served_with(&wanted).await?;
        let plan = create::plan(&loaded.documents, &served, &options);
        for notice in &plan.notices {
            writeln!(err, "notice: {notice}")?;
        }
        for (set, service) in create::missing_services(&conn.client, &plan, &conn.namespace).await {
            writeln!(
                err,
                "{} {set} names the governing service {service:?}, which does not exist: its pets get no DNS names until you create it (a headless Service, clusterIP: None)",
                super::colour::warning()
            )?;
        }
        let results = create::create(&conn.client, &plan, &options).await;
        let format = args.output.as_deref().map(Format::parse).transpose()?.flatten();
        let mut failed = 0;
        let mut sets = Vec::new();
        for created in &results {
            match &created.result {
                Ok(object) => {
                    match &format {
                        Some(f) => out.write_all(printer::render(object, f, "", "").map(|s| fix_name(s, f, &created.display))?.as_bytes())?,
                        None => writeln!(out, "{} created{}", created.display, dry_run_suffix(dry_run))?,
                    }
                    if let Some(kind) = set_kind(object) {
                        sets.push(Set { kind, object: object.clone() });
                    }
                }
                Err(reason) => {
                    failed += 1;
                    if reason.starts_with("Error from server") {
                        writeln!(err, "{reason}")?;
                    } else {
                        writeln!(err, "error: {}: {reason} (creating {:?})", created.display, created.file)?;
                    }
                }
            }
        }
        out.flush()?;
        if args.wait && dry_run == DryRun::None {
            for set in &sets {
                wait_for(&conn.client, set, timeout, err).await?;
            }
        }
        if failed > 0 {
            bail!("{failed} of {} objects could not be created", results.len());
        }
        Ok(())
    })
}

fn fix_name(rendered: String, format: &Format, display: &str) -> String {
    if *format == Format::Name {
        format!("{display}\n")
    } else {
        rendered
    }
}

fn set_kind(object: &Value) -> Option<&'static kinds::KindInfo> {
    let kind = kinds::by_api_version(object["apiVersion"].as_str()?, object["kind"].as_str()?)?;
    matches!(kind.kind, "PetSet" | "StatefulSet").then_some(kind)
}

fn dry_run_suffix(dry_run: DryRun) -> &'static str {
    match dry_run {
        DryRun::None => "",
        DryRun::Client => " (dry run)",
        DryRun::Server => " (server dry run)",
    }
}

/// Waits for one set, printing each pet's progress (live on a terminal,
/// as timestamped lines otherwise) and each blocker as it is seen; the
/// create and resume contract.
pub(super) async fn wait_for(
    client: &crate::client::Client,
    set: &Set,
    timeout: Duration,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut sink = super::progress::for_stderr();
    let outcome = wait::set_ready(client, set, timeout, &mut sink).await;
    drop(sink);
    outcome?;
    writeln!(
        err,
        "{}: all {} pets are Running and Ready",
        set.label(),
        set.replicas()
    )?;
    Ok(())
}
