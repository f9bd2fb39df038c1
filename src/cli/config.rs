//! `petctl config view [--minify]`: the kubeconfig petctl resolved (the
//! local control plane's where petctl would use it), with every secret
//! redacted.

use std::io::Write;

use anyhow::Context as _;

use super::global::GlobalArgs;
use crate::client::kubeconfig;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the merged kubeconfig, secrets redacted
    View(ViewArgs),
}

#[derive(Debug, clap::Args)]
pub struct ViewArgs {
    /// Only the current context, its cluster and its user, with overrides applied
    #[arg(long)]
    pub minify: bool,
    /// Output format
    #[arg(short = 'o', long = "output", default_value = "yaml", value_parser = ["yaml", "json"])]
    pub output: String,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let ConfigCommand::View(view) = args.command;
    let mut loaded = kubeconfig::load(&global.loading_rules())?;
    // The effective config: where petctl would use the local control plane,
    // its kubeconfig (the server is not started for a look).
    if let Some((path, fallback)) = super::connect::local_choice(global, &loaded)? {
        let why = if fallback {
            format!("{}; ", super::connect::FALLBACK)
        } else {
            String::new()
        };
        if path.is_file() {
            writeln!(
                err,
                "petctl: {why}the local control plane's kubeconfig: {}",
                path.display()
            )?;
            let rules = kubeconfig::LoadingRules::only(path);
            loaded = kubeconfig::load(&rules)?;
        } else {
            writeln!(
                err,
                "petctl: {why}the local control plane would be started, its kubeconfig written to {}",
                path.display()
            )?;
        }
    }
    let config = if view.minify {
        kubeconfig::resolve(&loaded.config, &global.overrides())
            .context("cannot resolve the kubeconfig")?
            .minified()
    } else {
        loaded.config
    };
    let config = config.redacted();
    let mut value = serde_json::to_value(&config)?;
    if let Some(obj) = value.as_object_mut() {
        obj.entry("preferences")
            .or_insert_with(|| serde_json::json!({}));
    }
    match view.output.as_str() {
        "json" => {
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
        _ => out.write_all(serde_yaml_ng::to_string(&value)?.as_bytes())?,
    }
    Ok(())
}
