//! `petctl recover NAME`: the plan (each stuck pet, its node's last
//! heartbeat, the risk) shown and confirmed, the force deletes run under
//! the set's operation lease, and the outcome per pet.

use std::io::Write;

use anyhow::bail;

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::progress;
use crate::ops::recover::{self, PetResult, Plan};

#[derive(Debug, clap::Args)]
#[command(
    mut_arg("dry_run", |a| a.help("List the stuck pets, their nodes and heartbeats, and change nothing")),
    mut_arg("timeout", |a| a.help("How long each recreated pet may take to be Running and Ready")),
    mut_arg("output", |a| a.help("Output: name (the recovered pods) or json (the outcome)"))
)]
pub struct Args {
    /// The set: NAME, or KIND/NAME (petset/web, statefulset/web, sts/web)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
}

impl Args {
    /// Plans, confirms, recovers and reports.
    pub fn run(
        self,
        global: &GlobalArgs,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let args = self;
        let timeout = args.op.timeout()?;
        check_set_reference(&args.name)?;
        let conn = connect(global, err)?;
        runtime()?.block_on(async {
            let set = conn.find_set(&args.name).await?;
            let label = set.label();
            let mut plan = recover::plan(&conn.client, &set)
                .await
                .map_err(|e| e.context(format!("cannot recover {label}")))?;
            if args.op.dry_run {
                render(&plan, args.op.output.as_deref(), true, out)?;
                return Ok(());
            }
            let deletes = plan.to_delete().next().is_some();
            if !deletes && plan.to_await().next().is_none() {
                if let Some(refusal) = plan.refusal() {
                    write!(err, "{}", plan.render())?;
                    bail!("{refusal}; nothing was deleted");
                }
                write!(err, "{}", plan.render())?;
                render(&plan, args.op.output.as_deref(), false, out)?;
                return Ok(());
            }
            plan.check_access(&conn.client).await?;
            write!(err, "{}", plan.render())?;
            let names: Vec<&str> = plan.to_delete().map(|p| p.pet.as_str()).collect();
            let question = format!("Force-delete {}?", names.join(", "));
            // Awaiting what an earlier run deleted deletes nothing.
            if deletes && !super::confirm::confirm(&question, args.yes, err)? {
                bail!("recovery of {label} cancelled: nothing was deleted");
            }
            let mut sink = progress::for_stderr();
            let (client, planned, notes) = (&conn.client, &mut plan, &mut *sink);
            let result = args
                .op
                .run_on(client, set, recover::OPERATION, err, |set| async move {
                    planned.execute(client, &set, timeout, notes).await
                })
                .await;
            drop(sink);
            result.map_err(|e| super::op_args::stopped(e, &format!("recovery of {label}")))?;
            render(&plan, args.op.output.as_deref(), false, out)?;
            match plan.refusal() {
                Some(refusal) => bail!("{refusal}"),
                None => Ok(()),
            }
        })
    }
}

/// The plan (`dry_run`) or the outcome on stdout: a line per pet, the
/// recovered (or to-be-deleted) pods' names, or JSON.
fn render(
    plan: &Plan,
    output: Option<&str>,
    dry_run: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match output {
        Some("json") => writeln!(out, "{}", serde_json::to_string_pretty(plan)?)?,
        Some(_) => {
            for pet in &plan.pets {
                let chosen = if dry_run {
                    pet.action == recover::Action::ForceDelete
                } else {
                    matches!(pet.result, PetResult::Recovered | PetResult::Awaited)
                };
                if chosen {
                    writeln!(out, "pod/{}", pet.pet)?;
                }
            }
        }
        None if dry_run => write!(out, "{}", plan.render())?,
        None => {
            for pet in &plan.pets {
                let (uid, to) = pet
                    .successor
                    .as_ref()
                    .map_or(("", ""), |s| (s.uid.as_str(), s.node.as_str()));
                let line = match pet.result {
                    PetResult::Recovered => {
                        let from = pet.node.as_deref().unwrap_or("");
                        format!("{} recovered: {from} -> {to} (uid {uid})", pet.pet)
                    }
                    PetResult::Awaited => format!(
                        "{} recovered by an earlier run: now Ready on {to} (uid {uid})",
                        pet.pet
                    ),
                    PetResult::Refused => format!("{} refused: its node is not lost", pet.pet),
                    PetResult::NodeCameBack => {
                        format!("{} not deleted: its node came back", pet.pet)
                    }
                    PetResult::NotStuck => format!("{} not stuck ({})", pet.pet, pet.state),
                    PetResult::Planned => format!("{} not recovered", pet.pet),
                };
                writeln!(out, "{line}")?;
            }
        }
    }
    Ok(())
}
