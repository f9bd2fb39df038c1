//! `petctl pause NAME [--pet ORDINAL] [--wait]` and `petctl resume NAME
//! [--pet ORDINAL] [--wait]`.

use std::io::Write;

use serde_json::Value;

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use crate::client::request::ListParams;
use crate::error::InvalidInput;
use crate::kinds;
use crate::ops::{lease, pause, sets, wait};

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("dry_run", |a| a.help("Send the change as a server dry run: validated, not stored")),
    mut_arg("timeout", |a| a.help("How long the change may take, e.g. 90s or 5m"))
)]
pub struct Args {
    /// The set: NAME, or KIND/NAME
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Only this pet (PetSets): the guide's per-pet debug hook
    #[arg(long, value_name = "ORDINAL")]
    pub pet: Option<i64>,
    /// pause: wait until the controller has seen it; resume: until every pet is Running and Ready
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
}

pub fn run(
    args: Args,
    resume: bool,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    if args.pet.is_some_and(|p| p < 0) {
        return Err(InvalidInput::new("--pet must be an ordinal, 0 or more").into());
    }
    check_set_reference(&args.name)?;
    let timeout = args.op.timeout()?;
    let conn = connect(global, err)?;
    let verb = if resume { "resume" } else { "pause" };
    runtime()?.block_on(async {
        let set = tokio::time::timeout(timeout, change(&args, resume, &conn, out, err))
            .await
            .unwrap_or_else(|_| {
                anyhow::bail!(
                    "{verb} of {} did not finish within --timeout {}",
                    args.name,
                    args.op.timeout
                )
            })?;
        if !args.wait || args.op.dry_run {
            return Ok(());
        }
        let set = sets::refresh(&conn.client, &set).await?;
        if resume {
            super::create::wait_for(&conn.client, &set, timeout, err).await?;
        } else if !set.is_petset() {
            wait::generation_observed(&conn.client, &set, timeout).await?;
        }
        Ok(())
    })
}

/// Finds the set and its pets, pauses or resumes them, prints what
/// changed, and returns the set.
async fn change(
    args: &Args,
    resume: bool,
    conn: &super::connect::Connection,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<sets::Set> {
    let dry_run = args.op.dry_run;
    let set = conn.find_set(&args.name).await?;
    let operation = if resume { "resume" } else { "pause" };
    let leased = args
        .op
        .run_on(
            &conn.client,
            set.clone(),
            operation,
            err,
            |set| async move { apply(args, resume, conn, &set).await },
        )
        .await;
    let changes = match leased {
        // A resume only takes the pause away: it changes neither the
        // replicas nor a pet's claim, so it goes ahead beside the
        // operation that holds the set (often the `--wait` that told
        // the user to resume).
        Err(e) if resume && e.downcast_ref::<lease::Refused>().is_some() => {
            let holder = e
                .downcast_ref::<lease::Refused>()
                .and_then(|r| r.holder.clone())
                .unwrap_or_else(|| "another petctl operation".to_string());
            writeln!(
                err,
                "{} {} is held by {holder}; a resume changes neither the replicas nor any claim, so it goes ahead beside it",
                super::colour::warning(),
                set.label()
            )?;
            apply(args, resume, conn, &set).await?
        }
        other => other?,
    };
    let suffix = if dry_run { " (server dry run)" } else { "" };
    for change in &changes {
        writeln!(err, "{}: {change}{suffix}", set.label())?;
    }
    let done = changes
        .iter()
        .any(|c| !matches!(c, pause::Change::Nothing(_)));
    let verb = if resume { "resumed" } else { "paused" };
    match args.op.output.as_deref() {
        Some("name") if done => writeln!(out, "{}", set.display())?,
        Some("name") => {}
        Some("json") => {
            let value = serde_json::json!({
                "set": set.display(),
                "action": verb,
                "changed": done,
                "changes": changes.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "dryRun": dry_run,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        }
        _ if done => writeln!(out, "{} {verb}{suffix}", set.display())?,
        _ => {}
    }
    Ok(set)
}

/// Lists the set's pets and pauses or resumes them.
async fn apply(
    args: &Args,
    resume: bool,
    conn: &super::connect::Connection,
    set: &sets::Set,
) -> anyhow::Result<Vec<pause::Change>> {
    let dry_run = args.op.dry_run;
    let pods = kinds::by_name("pods").expect("pods are in the kinds table");
    let list = conn
        .client
        .api(pods, Some(set.namespace()))
        .list_page(&ListParams::labels(set.selector_string()))
        .await?;
    let items = list["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if let Some(ordinal) = args.pet {
        let pet = set.pet_name(ordinal);
        if !items
            .iter()
            .any(|p| p.pointer("/metadata/name").and_then(Value::as_str) == Some(pet.as_str()))
        {
            anyhow::bail!("{} has no pet {pet} (ordinal {ordinal})", set.label());
        }
    }
    // The controller's status writes (and the lease's renewals) move the
    // set's resourceVersion under the guarded patch: decide again on a
    // fresh copy.
    crate::ops::sets::retry_on_conflict(&conn.client, set.clone(), async |set| {
        let pausing = pause::Pausing {
            client: &conn.client,
            set,
            pet: args.pet,
            dry_run,
        };
        if resume {
            let paused = pause::paused_pets(set, items);
            pausing.resume(&paused).await
        } else {
            let mut pets: Vec<i64> = items
                .iter()
                .filter_map(|p| set.ordinal_of(p.pointer("/metadata/name")?.as_str()?))
                .collect();
            pets.sort_unstable();
            pausing.pause(&pets).await
        }
    })
    .await
}
