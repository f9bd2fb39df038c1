//! `petctl delete NAME | -f FILE [--cascade=true|false|orphan|background|foreground] [--wait]`:
//! the ordered cascade by default, or the server's propagation policies.
//! petctl never deletes claims; the output says which remain. When the
//! set's persistentVolumeClaimRetentionPolicy makes the server delete them,
//! they are named first and petctl asks (or requires `--yes`).

use std::io::Write;

use super::connect::{check_set_reference, connect, runtime};
use super::global::GlobalArgs;
use super::progress;
use super::retention::Retention;
use crate::error::InvalidInput;
use crate::manifest::{self, ValidationMode};
use crate::ops::delete::{self, Cascade, DeleteSetOptions};
use crate::ops::retention::Change;
use crate::ops::sets;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The set: NAME, or KIND/NAME (petset/web, statefulset/web, sts/web)
    #[arg(
        value_name = "NAME",
        required_unless_present = "files",
        conflicts_with = "files"
    )]
    pub name: Option<String>,
    /// Delete what these manifests create: the sets first (in order), then the rest; claims and namespaces are kept
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<String>,
    /// true (scale to 0 in order, then delete), false/orphan (the pets keep running), background, foreground
    #[arg(long, default_value = "true", value_name = "MODE", num_args = 0..=1, default_missing_value = "true")]
    pub cascade: Cascade,
    /// Wait until the set is gone (an ordered delete always waits for its pets and the set)
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
    fn options(&self) -> anyhow::Result<DeleteSetOptions> {
        let hooks = self.hooks.hooks("delete")?;
        if hooks.any() && self.cascade != Cascade::Ordered {
            return Err(InvalidInput::new(
                "--before-pet/--after-pet run around each pet the ordered delete removes: they need --cascade=true",
            )
            .into());
        }
        Ok(DeleteSetOptions {
            cascade: self.cascade,
            wait: self.wait || self.cascade == Cascade::Ordered,
            timeout: self.op.timeout()?,
            dry_run: self.op.dry_run,
            hooks,
        })
    }
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut options = args.options()?;
    // With -f, the manifest's other objects (its governing Service) go
    // after its sets, as `kubectl delete -f` deletes them.
    let mut others: Vec<(&'static crate::kinds::KindInfo, Option<String>, String)> = Vec::new();
    let references: Vec<String> = match &args.name {
        Some(name) => {
            check_set_reference(name)?;
            vec![name.clone()]
        }
        None => {
            let loaded = manifest::load(&args.files, ValidationMode::Ignore)?;
            for doc in loaded
                .documents
                .iter()
                .filter(|d| !matches!(d.kind(), "PetSet" | "StatefulSet"))
            {
                let kind = crate::kinds::by_api_version(doc.api_version(), doc.kind()).ok_or_else(
                    || {
                        InvalidInput(format!(
                            "{} {:?}: petctl does not know the kind {} {}",
                            doc.kind(),
                            doc.name(),
                            doc.api_version(),
                            doc.kind()
                        ))
                    },
                )?;
                others.push((
                    kind,
                    doc.namespace().map(str::to_string),
                    doc.name().to_string(),
                ));
            }
            let refs: Vec<String> = loaded
                .documents
                .iter()
                .filter(|d| matches!(d.kind(), "PetSet" | "StatefulSet"))
                .map(|d| format!("{}/{}", d.kind().to_ascii_lowercase(), d.name()))
                .collect();
            if refs.is_empty() {
                return Err(InvalidInput(format!(
                    "no PetSet or StatefulSet in {}",
                    args.files.join(", ")
                ))
                .into());
            }
            refs
        }
    };
    let conn = connect(global, err)?;
    options.hooks = super::hooks::on_cluster(options.hooks, &conn, args.op.dry_run)?;
    runtime()?.block_on(async {
        let served = conn.served().await?;
        for reference in &references {
            let set = sets::find(&conn.client, &served, &conn.namespace, reference).await?;
            let label = set.label();
            if args.op.dry_run {
                writeln!(err, "would {}", delete::describe_plan(&set, args.cascade))?;
                let removed = crate::ops::scale::plan(&set, 0).remove;
                let removed: Vec<&str> = removed.iter().map(String::as_str).collect();
                if let Some(line) = options.hooks.plan_line(&removed, &removed) {
                    writeln!(err, "{line}")?;
                }
            }
            let retention =
                Retention::read(&conn.client, &set, Change::Delete(args.cascade)).await?;
            if !retention.confirm(
                &label,
                &format!("delete {label}"),
                args.op.dry_run,
                args.consent.yes,
                err,
            )? {
                continue;
            }
            let mut sink = progress::for_stderr();
            delete::check_access(&conn.client, &set, &options)
                .await
                .map_err(|e| e.context(format!("failed to delete {label}")))?;
            let outcome = args
                .op
                .run_on(&conn.client, set, "delete", err, |set| {
                    delete::delete(&conn.client, set, &options, &mut sink)
                })
                .await
                .map_err(|e| e.context(format!("failed to delete {label}")))?;
            drop(sink);
            let kept = retention.kept(&outcome.claims);
            if !kept.is_empty() && !args.op.dry_run {
                writeln!(
                    err,
                    "claims kept: {} (delete never removes data; remove them with: {})",
                    kept.join(", "),
                    cleanup_command(&outcome.set)
                )?;
            }
            if !args.op.dry_run {
                retention
                    .report(&conn.client, options.wait, options.timeout, err)
                    .await?;
            }
            match args.op.output.as_deref() {
                Some("name") => writeln!(out, "{}", outcome.set.display())?,
                Some("json") => writeln!(
                    out,
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "set": outcome.set.display(),
                        "removed": outcome.removed,
                        "claimsKept": kept,
                        "claimsDeletedByServer": retention.doomed_claims(),
                        "dryRun": args.op.dry_run,
                    }))?
                )?,
                _ => writeln!(
                    out,
                    "{} deleted{}",
                    outcome.set.display(),
                    if args.op.dry_run {
                        " (server dry run)"
                    } else {
                        ""
                    }
                )?,
            }
        }
        for (kind, namespace, name) in &others {
            let namespace = namespace.as_deref().unwrap_or(&conn.namespace);
            let shown = if kind.group.is_empty() {
                format!("{}/{name}", kind.singular)
            } else {
                format!("{}.{}/{name}", kind.singular, kind.group)
            };
            match delete::delete_other(&conn.client, kind, namespace, name, args.op.dry_run)
                .await
                .map_err(|e| anyhow::Error::from(e).context(format!("failed to delete {shown}")))?
            {
                delete::OtherFate::Deleted if args.op.dry_run => {
                    writeln!(out, "{shown} deleted (server dry run)")?
                }
                delete::OtherFate::Deleted => writeln!(out, "{shown} deleted")?,
                delete::OtherFate::NotFound => {
                    writeln!(err, "{shown} not found: nothing to delete")?
                }
                delete::OtherFate::Kept(why) => writeln!(err, "{shown} kept: {why}")?,
            }
        }
        Ok(())
    })
}

/// The `cleanup-pvcs --deleted-set` command for the claims of `set`, once
/// it is gone.
fn cleanup_command(set: &sets::Set) -> String {
    let mut command = format!("petctl cleanup-pvcs --deleted-set {}", set.name());
    for template in set.claim_template_names() {
        command.push_str(&format!(" --template {template}"));
    }
    let selector = crate::ops::cleanup::set_selector(set)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let plain = selector
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"=,._/-".contains(&b));
    if plain {
        command.push_str(&format!(" -l {selector}"));
    } else {
        command.push_str(&format!(" -l '{selector}'"));
    }
    command
}
