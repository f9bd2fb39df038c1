//! `petctl resize-claims NAME TEMPLATE=SIZE…`: arguments to
//! `ResizeOptions`, a set missing after an interrupted swap recreated from
//! its saved copy, the plan shown (and confirmed on a terminal), the resize
//! run under the set's operation lease, and the outcome.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::op_args::{duration_flag, print_outcome, stopped};
use super::progress;
use crate::error::InvalidInput;
use crate::ops::resize::plan::TemplatePlan;
use crate::ops::resize::{self, ClaimOutcome, ClaimResult, Outcome, ResizeOptions, SizeChange};

#[derive(Debug, clap::Args)]
#[command(mut_arg("dry_run", |a| a.help("Print the plan only: every claim, retained ones too")))]
pub struct Args {
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
    /// The set: NAME, or KIND/NAME (petset/web, statefulset/web, sts/web)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The new sizes, as TEMPLATE=SIZE (a volumeClaimTemplate's name)
    #[arg(value_name = "TEMPLATE=SIZE", required = true)]
    pub sizes: Vec<String>,
    /// Resize the claims of scaled-away ordinals too
    #[arg(long = "include-retained")]
    pub include_retained: bool,
    /// How long a restarted pet may take to be Running and Ready again
    #[arg(long = "pet-timeout", default_value = super::wait::DEFAULT_TIMEOUT, value_name = "DURATION")]
    pub pet_timeout: String,
    /// How long a claim may wait to grow while its pet runs before the pet is restarted for it
    #[arg(
        long = "filesystem-wait",
        default_value = "5s",
        value_name = "DURATION"
    )]
    pub filesystem_wait: String,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub hooks: super::hooks::HookArgs,
}

/// Where local copies of sets go: `$XDG_STATE_HOME/petctl/resize`, else
/// `~/.local/state/petctl/resize`, beside the local control plane's
/// state directory.
fn backup_dir() -> Option<PathBuf> {
    let env = |v: &str| std::env::var_os(v).map(PathBuf::from);
    let local = crate::local::state::default_dir(None, env("XDG_STATE_HOME"), env("HOME")).ok()?;
    Some(local.parent()?.join("resize"))
}

/// The arguments as options; what is wrong with them is exit code 2.
pub fn options(args: &Args) -> Result<ResizeOptions, InvalidInput> {
    let options = ResizeOptions {
        sizes: args
            .sizes
            .iter()
            .map(|s| SizeChange::parse(s))
            .collect::<Result<_, _>>()?,
        include_retained: args.include_retained,
        pet_timeout: duration_flag("--pet-timeout", &args.pet_timeout)?,
        filesystem_wait: duration_flag("--filesystem-wait", &args.filesystem_wait)?,
        timeout: duration_flag("--timeout", &args.op.timeout)?,
        backup_dir: backup_dir(),
        pause_after: std::env::var("PETCTL_TEST_PAUSE_AFTER").ok(),
        hooks: args.hooks.hooks("resize-claims")?,
    };
    options.validate()?;
    check_set_reference(&args.name)?;
    Ok(options)
}

pub fn run(args: Args, flags: &GlobalArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let mut options = options(&args)?;
    let conn = connect(flags, err)?;
    options.hooks = super::hooks::on_cluster(options.hooks, &conn, args.op.dry_run)?;
    runtime()?.block_on(async {
        let mut sink = progress::for_stderr();
        let set = match conn.find_set(&args.name).await {
            Ok(set) => set,
            Err(missing) if is_not_found(&missing) => {
                let recovered = resize::recover(
                    &conn.client,
                    &conn.namespace,
                    &args.name,
                    args.op.dry_run,
                    &mut *sink,
                )
                .await?;
                match recovered {
                    None => return Err(missing),
                    Some(found) if args.op.dry_run => {
                        writeln!(
                            out,
                            "{} is missing; {} holds its saved copy: a run without --dry-run recreates it from there, then resizes",
                            found.set.label(),
                            found.configmap
                        )?;
                        return Ok(());
                    }
                    Some(found) => found.set,
                }
            }
            Err(other) => return Err(other),
        };
        let display = set.display();
        let label = set.label();
        let prepared = resize::prepare(&conn.client, set.clone(), options)
            .await
            .map_err(|e| e.context(format!("cannot resize the claims of {label}")))?;
        let output = args.op.output.as_deref();
        if args.op.dry_run {
            let text = || prepared.render();
            return print_outcome(output, &prepared.planned(), &display, text, out);
        }
        prepared.check_access().await?;
        write!(err, "{}", prepared.render())?;
        if !super::confirm::confirm("Resize these claims?", args.yes, err)? {
            bail!("resize of the claims of {label} cancelled: nothing was changed");
        }
        let result = args
            .op
            .run_on(&conn.client, set, "resize-claims", err, |set| {
                prepared.execute(set, &mut *sink)
            })
            .await;
        drop(sink);
        let outcome = result.map_err(|e| stopped(e, &format!("resize of the claims of {label}")))?;
        print_outcome(output, &outcome, &display, || summary(&outcome, &display), out)
    })
}

fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|c| c.downcast_ref::<crate::client::Error>())
        .any(|c| c.is_not_found())
}

/// The outcome as one line: what happened to which claim and pet.
fn summary(outcome: &Outcome, display: &str) -> String {
    let sized = |t: &TemplatePlan| format!("{}={}", t.template, t.new);
    let sizes: Vec<String> = outcome.templates.iter().map(sized).collect();
    let mut parts = vec![format!("{display} claims resized to {}", sizes.join(", "))];
    let words = [
        (ClaimResult::Resized, "resized"),
        (ClaimResult::Skipped, "already at the size"),
        (
            ClaimResult::FilesystemPending,
            "filesystem grows at the next mount",
        ),
        (ClaimResult::Retained, "retained, kept"),
    ];
    for (result, word) in words {
        let with = |c: &&ClaimOutcome| c.result == result;
        let claims: Vec<&str> = outcome
            .claims
            .iter()
            .filter(with)
            .map(|c| c.claim.as_str())
            .collect();
        if !claims.is_empty() {
            parts.push(format!("{word} {}", claims.join(", ")));
        }
    }
    if !outcome.restarted.is_empty() {
        parts.push(format!("restarted {}", outcome.restarted.join(", ")));
    }
    if outcome.recreated {
        parts.push("set recreated with the new templates, its pets adopted".into());
    }
    if let Some(path) = &outcome.saved_copy {
        parts.push(format!("its earlier copy is in {path}"));
    }
    parts.join("; ") + "\n"
}
