//! `petctl cleanup-pvcs NAME [-l SEL] [--dry-run] [--yes]` and
//! `petctl cleanup-pvcs --deleted-set NAME --template T… -l SEL`: delete the
//! claims that no pet of the set uses any more, after confirmation.

use std::io::Write;
use std::time::Duration;

use super::confirm::confirm;
use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::progress;
use crate::error::InvalidInput;
use crate::ops::cleanup::{self, Asked, DeletedSet, Removed};
use crate::output::{age::age, table};
use crate::selector::LabelSelector;

const AFTER_HELP: &str = "\
A claim is deleted only if it is named <template>-<set>-<ordinal> for one of the \
set's own claim templates, carries the set's selector labels, is not named by \
another live set's pattern, is not mounted by any pod, and (for a live set) its \
ordinal is at or above the set's replicas. Just before each delete, petctl reads \
the set, the pods and the claims again and stops, deleting nothing more, if the \
set's replicas, generation or uid moved or a planned claim changed. \
A set that does not exist is an error: to clean up after a deleted set, name it, \
its claim templates and its selector with --deleted-set, --template and -l. \
See docs/cleanup.md.";

#[derive(Debug, clap::Args)]
#[command(
    after_help = AFTER_HELP,
    mut_arg("dry_run", |a| a.help("List the claims that would be deleted, and delete nothing")),
    mut_arg("timeout", |a| a.help("How long to wait for terminating pets before choosing, and for each deleted claim, e.g. 90s or 5m"))
)]
pub struct Args {
    /// The live set: NAME, or KIND/NAME
    #[arg(
        value_name = "NAME",
        required_unless_present = "deleted_set",
        conflicts_with = "deleted_set"
    )]
    pub name: Option<String>,
    /// Clean up after a set that is already deleted: its NAME (needs --template and -l)
    #[arg(long = "deleted-set", value_name = "NAME", requires_all = ["templates", "selector"])]
    pub deleted_set: Option<String>,
    /// With --deleted-set: a claim template of the deleted set (repeatable)
    #[arg(long = "template", value_name = "TEMPLATE", requires = "deleted_set")]
    pub templates: Vec<String>,
    /// Only claims with these labels; with --deleted-set, the set's selector labels
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
}

/// What to clean up, and the user's own label filter (live sets only).
fn resolve(args: &Args, namespace: &str) -> Result<(Asked, Option<LabelSelector>), InvalidInput> {
    let selector = match &args.selector {
        Some(s) => {
            Some(LabelSelector::parse(s).map_err(|e| InvalidInput(format!("-l {s:?}: {e}")))?)
        }
        None => None,
    };
    match (&args.deleted_set, &args.name) {
        (Some(name), _) => {
            if name.is_empty() || name.contains('/') {
                return Err(InvalidInput(format!(
                    "--deleted-set {name:?}: give the bare name of the deleted set"
                )));
            }
            let selector = selector
                .filter(|s| !s.is_empty())
                .ok_or_else(|| InvalidInput("--deleted-set needs -l with the deleted set's selector labels, e.g. -l app=nginx".into()))?;
            if let Some(t) = args
                .templates
                .iter()
                .find(|t| t.is_empty() || t.contains('/'))
            {
                return Err(InvalidInput(format!(
                    "--template {t:?}: give the name of a claim template"
                )));
            }
            let deleted = DeletedSet {
                name: name.clone(),
                namespace: namespace.to_string(),
                templates: args.templates.clone(),
                selector,
            };
            Ok((Asked::Deleted(deleted), None))
        }
        (None, Some(_)) if !args.templates.is_empty() => Err(InvalidInput(
            "--template goes with --deleted-set: a live set's templates are read from the set"
                .into(),
        )),
        (None, Some(reference)) => {
            check_set_reference(reference)?;
            Ok((Asked::Set(reference.clone()), selector))
        }
        (None, None) => Err(InvalidInput("name the set, or --deleted-set NAME".into())),
    }
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let timeout: Duration = args.op.timeout()?;
    let conn = connect(global, err)?;
    let (asked, extra) = resolve(&args, &conn.namespace)?;
    runtime()?.block_on(async {
        let served = conn.served().await?;
        let mut sink = progress::for_stderr();
        let bare = match &asked {
            Asked::Set(reference) => reference.rsplit('/').next().unwrap_or(reference).to_string(),
            Asked::Deleted(d) => d.name.clone(),
        };
        let plan = match cleanup::plan(&conn.client, &served, &conn.namespace, asked, extra, timeout, &mut sink).await {
            Ok(plan) => plan,
            Err(e) if e.downcast_ref::<crate::client::Error>().is_some_and(|c| c.is_not_found()) => {
                anyhow::bail!("{e}; nothing deleted (to clean up after a deleted set: petctl cleanup-pvcs --deleted-set {bare} --template TEMPLATE -l SELECTOR)")
            }
            Err(e) => return Err(e),
        };
        let selection = &plan.selection;
        for refusal in &selection.refused {
            writeln!(err, "refusing claim {}: {}", refusal.claim, refusal.reason)?;
        }
        if selection.candidates.is_empty() {
            writeln!(err, "no unused claims of {} in namespace {:?}", plan.target.label(), conn.namespace)?;
            return Ok(());
        }
        let now = jiff::Timestamp::now();
        let rows: Vec<Vec<String>> = selection
            .candidates
            .iter()
            .map(|c| vec![c.claim.clone(), c.volume.clone(), c.capacity.clone(), age(Some(&c.created), now)])
            .collect();
        err.write_all(table::render(&["CLAIM", "PV", "CAPACITY", "AGE"], &rows, false).as_bytes())?;
        if args.op.dry_run {
            writeln!(err, "(dry run: nothing deleted)")?;
            return Ok(());
        }
        let question = format!("delete these {} claims and the data on their volumes?", selection.candidates.len());
        if !confirm(&question, args.yes, err)? {
            writeln!(err, "nothing deleted")?;
            return Ok(());
        }
        // A live set's operation lease keeps petctl's own scale and delete
        // out while claims go; a deleted set has nothing to hold it on.
        let outcome = match &plan.target {
            cleanup::Target::Set(set) => {
                args.op
                    .run_on(&conn.client, set.clone(), "cleanup-pvcs", err, |_| {
                        cleanup::remove(&conn.client, &plan, &mut sink)
                    })
                    .await?
            }
            cleanup::Target::Deleted(_) => cleanup::remove(&conn.client, &plan, &mut sink).await?,
        };
        drop(sink);
        print_removed(&outcome.removed, args.op.output.as_deref(), out)?;
        match outcome.stopped {
            Some(why) => anyhow::bail!("{why}"),
            None => Ok(()),
        }
    })
}

fn print_removed(
    removed: &[Removed],
    output: Option<&str>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match output {
        Some("name") => {
            for r in removed {
                writeln!(out, "persistentvolumeclaim/{}", r.claim)?;
            }
        }
        Some("json") => {
            let items: Vec<_> = removed
                .iter()
                .map(|r| serde_json::json!({"claim": r.claim, "volume": r.volume, "volumeFate": r.volume_fate}))
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({"removed": items}))?
            )?;
        }
        _ => {
            for r in removed {
                writeln!(out, "persistentvolumeclaim/{} deleted", r.claim)?;
            }
        }
    }
    Ok(())
}
