//! `petctl cleanup-pvcs NAME [-l SEL] [--dry-run] [--yes]`: delete the claims
//! that no pet of the set uses any more, after confirmation.

use std::io::Write;
use std::time::Duration;

use super::confirm::confirm;
use super::connect::{connect, runtime};
use super::global::GlobalArgs;
use super::progress;
use crate::error::InvalidInput;
use crate::ops::cleanup::{self, Owner};
use crate::ops::sets;
use crate::output::{age::age, table};
use crate::selector::LabelSelector;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The set: NAME, or KIND/NAME; the set may already be deleted
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Only claims with these labels (e.g. the set's selector, app=nginx)
    #[arg(short = 'l', long = "selector", value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let selector = match &args.selector {
        Some(s) => {
            Some(LabelSelector::parse(s).map_err(|e| InvalidInput(format!("-l {s:?}: {e}")))?)
        }
        None => None,
    };
    let timeout: Duration = args.op.timeout()?;
    let (kind, bare) = sets::split_ref(&args.name).map_err(|e| InvalidInput(e.to_string()))?;
    let conn = connect(global, err)?;
    runtime()?.block_on(async {
        let served = conn.served().await?;
        let owner = match sets::find(&conn.client, &served, &conn.namespace, &args.name).await {
            Ok(set) => Owner::Set(set),
            Err(e) if e.downcast_ref::<crate::client::Error>().is_some_and(|c| c.is_not_found()) => {
                let _ = kind;
                Owner::Gone { name: bare.to_string(), namespace: conn.namespace.clone() }
            }
            Err(e) => return Err(e),
        };
        let mut sink = progress::for_stderr();
        cleanup::wait_out_terminating(&conn.client, &owner, timeout, &mut sink).await?;
        let selection = cleanup::find(&conn.client, &owner, selector.as_ref()).await?;
        for refusal in &selection.refused {
            writeln!(err, "refusing claim {}: {}", refusal.claim, refusal.reason)?;
        }
        if selection.candidates.is_empty() {
            writeln!(err, "no unused claims of {:?} in namespace {:?}", bare, conn.namespace)?;
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
        let removed = cleanup::remove(&conn.client, &conn.namespace, &selection.candidates, &mut sink).await?;
        drop(sink);
        match args.op.output.as_deref() {
            Some("name") => {
                for r in &removed {
                    writeln!(out, "persistentvolumeclaim/{}", r.claim)?;
                }
            }
            Some("json") => {
                let items: Vec<_> = removed
                    .iter()
                    .map(|r| serde_json::json!({"claim": r.claim, "volume": r.volume, "volumeFate": r.volume_fate}))
                    .collect();
                writeln!(out, "{}", serde_json::to_string_pretty(&serde_json::json!({"removed": items}))?)?;
            }
            _ => {
                for r in &removed {
                    writeln!(out, "persistentvolumeclaim/{} deleted", r.claim)?;
                }
            }
        }
        Ok(())
    })
}
