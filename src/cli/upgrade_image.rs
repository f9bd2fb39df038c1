//! `petctl upgrade-image NAME CONTAINER=IMAGE…`: arguments to
//! `UpgradeOptions`, the plan shown (and confirmed on a terminal), the
//! upgrade run with Ctrl-C turned into how to resume, and the outcome.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::bail;

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::op_args::duration_flag;
use super::progress;
use crate::error::InvalidInput;
use crate::ops::upgrade::{
    self, Disruption, ImageChange, Order, Outcome, PetResult, Status, UpgradeOptions,
};

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("dry_run", |a| a.help("Print the plan only")),
    mut_arg("timeout", |a| a.help("A limit for the whole upgrade; 0 means none").default_value("0")),
    mut_arg("output", |a| a.help("Output: name or json (the outcome)"))
)]
pub struct Args {
    /// The set: NAME, or KIND/NAME (petset/web, statefulset/web, sts/web); several sets roll in one plan
    #[arg(value_name = "NAME", required_unless_present = "selector")]
    pub name: Option<String>,
    /// The new images, as CONTAINER=IMAGE (after further set names)
    #[arg(value_name = "CONTAINER=IMAGE")]
    pub images: Vec<String>,
    /// descending (highest ordinal first, ordinal 0 last) or ascending
    #[arg(long, default_value = "descending", value_parser = ["descending", "ascending"])]
    pub order: String,
    /// Replace only ordinals at or above K [default: a RollingUpdate set's own partition, else 0]
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub partition: Option<i64>,
    /// How long each pet may take to be Running and Ready again
    #[arg(long = "pet-timeout", default_value = super::wait::DEFAULT_TIMEOUT, value_name = "DURATION")]
    pub pet_timeout: String,
    /// How long a replaced pet must stay Ready before the next one goes
    #[arg(long = "min-ready", default_value = "0s", value_name = "DURATION")]
    pub min_ready: String,
    /// How many pets may be not Ready at once (only 1 is supported)
    #[arg(long = "max-unavailable", default_value_t = 1, value_name = "N")]
    pub max_unavailable: u32,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Replace unready pets even when they do not look broken
    #[arg(long)]
    pub force: bool,
    /// When a pet does not get Ready, put the old image back in the template and bring that pet back on it
    #[arg(long = "rollback-on-failure")]
    pub rollback_on_failure: bool,
    // Disruption budgets and several sets (issue 16, points 2 and 3).
    /// auto (evict a pet a PodDisruptionBudget selects, else delete), evict (always, honouring budgets), or delete (ignore budgets)
    #[arg(long, default_value = "auto", value_parser = ["auto", "evict", "delete"])]
    pub disruption: String,
    /// Roll every PetSet and StatefulSet of the namespace this label selector matches, in one plan
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// The order of several sets: given (as named) or name; with -l, by name
    #[arg(long = "set-order", default_value = "given", value_parser = ["given", "name"])]
    pub set_order: String,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
    #[command(flatten)]
    pub hooks: super::hooks::HookArgs,
}

/// The arguments as options; what is wrong with them is exit code 2.
pub fn options(args: &Args) -> Result<UpgradeOptions, InvalidInput> {
    let (names, changes) = targets(args);
    // No CONTAINER=IMAGE at all: the last word was meant as one.
    if let ([.., last], []) = (names.as_slice(), changes.as_slice()) {
        if args.selector.is_some() || names.len() > 1 {
            ImageChange::parse(last)?;
        }
    }
    let images = changes
        .iter()
        .map(|i| ImageChange::parse(i))
        .collect::<Result<Vec<_>, _>>()?;
    let timeout = duration_flag("--timeout", &args.op.timeout)?;
    let options = UpgradeOptions {
        images,
        order: if args.order == "ascending" {
            Order::Ascending
        } else {
            Order::Descending
        },
        partition: args.partition,
        pet_timeout: duration_flag("--pet-timeout", &args.pet_timeout)?,
        min_ready: duration_flag("--min-ready", &args.min_ready)?,
        max_unavailable: args.max_unavailable,
        force: args.force,
        rollback_on_failure: args.rollback_on_failure,
        timeout: Some(timeout).filter(|t| !t.is_zero()),
        hooks: args.hooks.hooks("upgrade-image")?,
        disruption: Disruption::parse(&args.disruption)?,
    };
    options.validate()?;
    if args.selector.is_some() && !names.is_empty() {
        return Err(InvalidInput(format!(
            "name sets ({}) or give -l, not both",
            names.join(", ")
        )));
    }
    if args.selector.is_none() && names.is_empty() {
        return Err(InvalidInput::new(
            "no set given: name one (or several), or select them with -l",
        ));
    }
    for name in names {
        check_set_reference(name)?;
    }
    Ok(options)
}

/// The positional arguments split into set names and CONTAINER=IMAGE
/// changes (a set name has no `=`).
pub(super) fn targets(args: &Args) -> (Vec<&str>, Vec<&str>) {
    args.name
        .iter()
        .chain(&args.images)
        .map(String::as_str)
        .partition(|a| !a.contains('='))
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut options = options(&args)?;
    if !args.op.dry_run && !args.yes && !std::io::stdin().is_terminal() {
        return Err(InvalidInput::new(
            "refusing to upgrade without confirmation: stdin is not a terminal; pass --yes (or --dry-run to see the plan)",
        )
        .into());
    }
    let conn = connect(global, err)?;
    options.hooks = super::hooks::on_cluster(options.hooks, &conn, args.op.dry_run)?;
    let name = match targets(&args).0.as_slice() {
        [one] if args.selector.is_none() => one.to_string(),
        _ => return super::upgrade_fleet::run(&args, options, &conn, out, err),
    };
    runtime()?.block_on(async {
        let set = conn.find_set(&name).await?;
        let display = set.display();
        let label = set.label();
        let mut prepared = upgrade::prepare(&conn.client, set.clone(), options)
            .await
            .map_err(|e| e.context(format!("cannot upgrade {label}")))?;
        if args.op.dry_run {
            let output = args.op.output.as_deref();
            let text = || prepared.render();
            return super::op_args::print_outcome(output, &prepared.planned(), &display, text, out);
        }
        prepared.check_access().await?;
        write!(err, "{}", prepared.render())?;
        if !args.yes && !confirm(err)? {
            bail!("upgrade of {label} cancelled: nothing was changed");
        }
        let mut sink = progress::for_stderr();
        let result = args
            .op
            .run_on(&conn.client, set, "upgrade-image", err, |set| {
                prepared.under_lease(&set);
                prepared.execute(&mut *sink)
            })
            .await;
        drop(sink);
        let outcome =
            result.map_err(|e| super::op_args::stopped(e, &format!("upgrade of {label}")))?;
        render(&outcome, &display, args.op.output.as_deref(), out)?;
        match (outcome.status, &outcome.error) {
            (Status::Completed | Status::Planned, _) => Ok(()),
            (Status::RolledBack, error) => bail!(
                "upgrade of {label} failed and was rolled back: {}",
                error.as_deref().unwrap_or("")
            ),
            (Status::Failed, error) => bail!(
                "upgrade of {label} failed: {}",
                error.as_deref().unwrap_or("")
            ),
            (Status::Stopped | Status::NotStarted, error) => bail!(
                "upgrade of {label} stopped: {}",
                error.as_deref().unwrap_or("")
            ),
        }
    })
}

pub(super) fn confirm(err: &mut dyn Write) -> anyhow::Result<bool> {
    write!(err, "Replace these pets? [y/N] ")?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn names(outcome: &Outcome, result: PetResult) -> Vec<&str> {
    outcome
        .pets
        .iter()
        .filter(|p| p.result == result)
        .map(|p| p.name.as_str())
        .collect()
}

/// The outcome on stdout: a summary line, the set's name, or JSON.
pub fn render(
    outcome: &Outcome,
    display: &str,
    output: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match output {
        Some("json") => writeln!(out, "{}", serde_json::to_string_pretty(outcome)?)?,
        Some(_) => writeln!(out, "{display}")?,
        None if outcome.status == Status::Completed => {
            let images: Vec<String> = outcome
                .images
                .iter()
                .map(|c| format!("{}={}", c.container, c.to))
                .collect();
            let mut line = format!("{display} upgraded to {}", images.join(", "));
            for (result, word) in [
                (PetResult::Replaced, "replaced"),
                (PetResult::Awaited, "waited for"),
                (PetResult::Skipped, "skipped"),
                (PetResult::Kept, "kept (below the partition)"),
            ] {
                let pets = names(outcome, result);
                if !pets.is_empty() {
                    line.push_str(&format!("; {word} {}", pets.join(", ")));
                }
            }
            writeln!(out, "{line}")?;
        }
        None => {}
    }
    Ok(())
}
