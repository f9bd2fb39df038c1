//! `petctl upgrade-image -l SELECTOR CONTAINER=IMAGE…` and `SET1 SET2 …
//! CONTAINER=IMAGE…`: the sets found and ordered, every plan shown (and
//! confirmed), every lease taken, the sets rolled one after the other, and
//! the outcome per set (`-o json`: a list of per-set outcomes).

use std::io::Write;

use anyhow::bail;

use super::connect::{runtime, Connection};
use super::progress;
use super::upgrade_image::{confirm, render, targets, Args};
use crate::ops::sets::Set;
use crate::ops::upgrade::fleet::{self, SetOrder};
use crate::ops::upgrade::{Outcome, Status, UpgradeOptions};

/// The sets, found by selector (by name) or as named (in `--set-order`).
async fn sets(args: &Args, conn: &Connection) -> anyhow::Result<Vec<Set>> {
    if let Some(selector) = &args.selector {
        let served = conn.served().await?;
        return fleet::select(&conn.client, &served, &conn.namespace, selector).await;
    }
    let mut found: Vec<Set> = Vec::new();
    for name in targets(args).0 {
        let set = conn.find_set(name).await?;
        if found
            .iter()
            .any(|s| s.kind.plural == set.kind.plural && s.name() == set.name())
        {
            bail!("{} is named more than once", set.label());
        }
        found.push(set);
    }
    let order = if args.set_order == "name" {
        SetOrder::Name
    } else {
        SetOrder::Given
    };
    Ok(fleet::ordered(found, order))
}

fn print(
    outcomes: &[Outcome],
    sets: &[Set],
    output: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if output == Some("json") {
        writeln!(out, "{}", serde_json::to_string_pretty(outcomes)?)?;
        return Ok(());
    }
    for (outcome, set) in outcomes.iter().zip(sets) {
        let display = set.display();
        match (output, outcome.status) {
            (None, Status::NotStarted) => writeln!(
                out,
                "{display} not started: an earlier set did not complete; template and pets untouched"
            )?,
            (None, Status::Failed | Status::RolledBack | Status::Stopped) => {
                writeln!(out, "{display} did not complete ({})", outcome.status.words())?
            }
            _ => render(outcome, &display, output, out)?,
        }
    }
    Ok(())
}

pub fn run(
    args: &Args,
    options: UpgradeOptions,
    conn: &Connection,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let sets = sets(args, conn).await?;
        let labels: Vec<String> = sets.iter().map(Set::label).collect();
        let all = labels.join(", ");
        let prepared = fleet::prepare_all(&conn.client, &sets, &options).await?;
        let planned: Vec<Outcome> = prepared.iter().map(|p| p.planned()).collect();
        if args.op.dry_run {
            match args.op.output.as_deref() {
                None => write!(out, "{}", fleet::render(&prepared))?,
                output => print(&planned, &sets, output, out)?,
            }
            return Ok(());
        }
        for p in &prepared {
            p.check_access().await?;
        }
        write!(err, "{}", fleet::render(&prepared))?;
        // Each set is planned again, with fresh watches, when its turn comes.
        drop(prepared);
        if !args.yes && !confirm(err)? {
            bail!("upgrade of {all} cancelled: nothing was changed");
        }
        let request = args.op.lease.request("upgrade-image");
        let (leases, held) = fleet::acquire_all(&conn.client, sets.clone(), &request)
            .await
            .map_err(|e| e.context(format!("upgrade of {all} not started")))?;
        for notice in leases.iter().filter_map(|l| l.notice.as_ref()) {
            writeln!(err, "{} {notice}", super::colour::warning())?;
        }
        let mut sink = progress::for_stderr();
        let work = async {
            tokio::select! {
                result = fleet::execute(&conn.client, held, &options, planned, &mut *sink) => result,
                _ = tokio::signal::ctrl_c() => Err(crate::error::Interrupted.into()),
            }
        };
        let result = fleet::hold_all(leases, work).await;
        drop(sink);
        let outcomes = result.map_err(|e| super::op_args::stopped(e, &format!("upgrade of {all}")))?;
        print(&outcomes, &sets, args.op.output.as_deref(), out)?;
        let Some((failed, label)) = outcomes
            .iter()
            .zip(&labels)
            .find(|(o, _)| o.status != Status::Completed)
        else {
            return Ok(());
        };
        let later: Vec<&str> = outcomes
            .iter()
            .zip(&labels)
            .filter(|(o, _)| o.status == Status::NotStarted)
            .map(|(_, l)| l.as_str())
            .collect();
        let mut message = format!(
            "upgrade of {label} did not complete ({}): {}",
            failed.status.words(),
            failed.error.as_deref().unwrap_or("")
        );
        if !later.is_empty() {
            message.push_str(&format!(
                "\nnot started (templates and pets untouched): {}",
                later.join(", ")
            ));
        }
        bail!(message)
    })
}
