//! `petctl scale NAME --replicas N [--current-replicas M] [--wait] [--yes]`:
//! pets are created in ordinal order and removed in reverse, one at a time;
//! with `--wait`, each is followed until Ready or gone. A scale-down that
//! makes the server delete claims (whenScaled: Delete) names them and asks.

use std::io::Write;

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::progress;
use super::retention::Retention;
use crate::error::InvalidInput;
use crate::ops::retention::Change;
use crate::ops::scale::{self, ScaleOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The set: NAME, or KIND/NAME (petset/web, statefulset/web, sts/web)
    #[arg(value_name = "NAME")]
    pub name: String,
    /// The number of pets wanted
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub replicas: i64,
    /// Scale only if the set has this many replicas now
    #[arg(
        long = "current-replicas",
        value_name = "M",
        allow_negative_numbers = true
    )]
    pub current_replicas: Option<i64>,
    /// Wait until every pet below --replicas is Running and Ready and every pet above it is gone
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub consent: super::retention::Consent,
    #[command(flatten)]
    pub op: super::op_args::OpArgs,
    #[command(flatten)]
    pub hooks: super::hooks::HookArgs,
}

impl Args {
    fn options(&self) -> anyhow::Result<ScaleOptions> {
        if self.replicas < 0 {
            return Err(InvalidInput(format!(
                "--replicas must be 0 or more, not {}",
                self.replicas
            ))
            .into());
        }
        if self.current_replicas.is_some_and(|m| m < 0) {
            return Err(InvalidInput::new("--current-replicas must be 0 or more").into());
        }
        Ok(ScaleOptions {
            replicas: self.replicas,
            current_replicas: self.current_replicas,
            wait: self.wait,
            dry_run: self.op.dry_run,
            timeout: self.op.timeout()?,
            hooks: self.hooks.hooks("scale")?,
        })
    }
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    check_set_reference(&args.name)?;
    let mut options = args.options()?;
    let timeout = options.timeout;
    let conn = connect(global, err)?;
    options.hooks = super::hooks::on_cluster(options.hooks, &conn, args.op.dry_run)?;
    runtime()?.block_on(async {
        let set = conn.find_set(&args.name).await?;
        let label = set.label();
        if args.op.dry_run {
            let plan = scale::plan(&set, args.replicas);
            writeln!(err, "{label}: would scale {plan}")?;
            let removed: Vec<&str> = plan.remove.iter().map(String::as_str).collect();
            if let Some(line) = options.hooks.plan_line(&removed, &removed) {
                writeln!(err, "{line}")?;
            }
        }
        let retention = Retention::read(&conn.client, &set, Change::ScaleTo(args.replicas)).await?;
        let action = format!("scale {label} to {} replicas", args.replicas);
        if !retention.confirm(&label, &action, args.op.dry_run, args.consent.yes, err)? {
            return Ok(());
        }
        let mut sink = progress::for_stderr();
        let outcome = args
            .op
            .run_on(&conn.client, set, "scale", err, |set| {
                scale::scale(&conn.client, set, &options, &mut sink)
            })
            .await
            .map_err(|e| e.context(format!("failed to scale {label}")))?;
        drop(sink);
        if outcome.paused && !args.wait {
            writeln!(
                err,
                "{label} is paused (pod.alpha.kubernetes.io/initialized: \"false\" on its template or a pet): pets will not follow until it is resumed: petctl resume {}",
                outcome.set.name()
            )?;
        }
        let kept = retention.kept(&outcome.kept_claims);
        if !kept.is_empty() {
            writeln!(
                err,
                "claims kept: {} (they keep the removed pets' data; delete them with: petctl cleanup-pvcs {})",
                kept.join(", "),
                outcome.set.name()
            )?;
        }
        if !args.op.dry_run {
            retention.report(&conn.client, args.wait, timeout, err).await?;
        }
        match args.op.output.as_deref() {
            Some("name") => writeln!(out, "{}", outcome.set.display())?,
            Some("json") => {
                let value = serde_json::json!({
                    "set": outcome.set.display(),
                    "from": outcome.plan.from,
                    "to": outcome.plan.to,
                    "created": outcome.plan.create,
                    "removed": outcome.plan.remove,
                    "paused": outcome.paused,
                    "keptClaims": kept,
                    "claimsDeletedByServer": retention.doomed_claims(),
                    "dryRun": args.op.dry_run,
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
            }
            _ => writeln!(
                out,
                "{} scaled{}",
                outcome.set.display(),
                if args.op.dry_run { " (server dry run)" } else { "" }
            )?,
        }
        Ok(())
    })
}
