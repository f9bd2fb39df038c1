//! `petctl migrate -f FILE [-o yaml|json] [--to apps/v1|apps/v1beta1]`: print
//! the StatefulSets that keep the behaviour of the PetSets and older
//! StatefulSets in FILE; other documents pass through unchanged.

use std::io::Write;

use anyhow::Context;

use crate::manifest::{convert, ValidationMode};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest file, directory, or - for stdin (repeatable)
    #[arg(short = 'f', long = "filename", required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Output format
    #[arg(short = 'o', long = "output", default_value = "yaml", value_parser = ["yaml", "json"])]
    pub output: String,
    /// The apiVersion to convert to
    #[arg(long = "to", default_value = "apps/v1", value_parser = ["apps/v1", "apps/v1beta1"])]
    pub to: String,
    /// How to treat unknown fields: strict, warn or ignore
    #[arg(long = "validate", default_value = "strict", value_name = "MODE")]
    pub validate: ValidationMode,
}

pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<()> {
    let target = match args.to.as_str() {
        "apps/v1beta1" => convert::Target::AppsV1beta1,
        _ => convert::Target::AppsV1,
    };
    let migration = convert::migrate(&args.files, target, args.validate)?;
    for warning in &migration.warnings {
        writeln!(err, "{} {warning}", super::colour::warning())?;
    }
    for change in &migration.changes {
        writeln!(err, "{change}")?;
    }
    let mut converted = migration.objects;
    match args.output.as_str() {
        "json" => {
            let value = if converted.len() == 1 {
                converted.remove(0)
            } else {
                serde_json::json!({"apiVersion": "v1", "kind": "List", "items": converted})
            };
            serde_json::to_writer_pretty(&mut *out, &value)?;
            writeln!(out)?;
        }
        _ => {
            for (i, value) in converted.iter().enumerate() {
                if i > 0 {
                    writeln!(out, "---")?;
                }
                let text = serde_yaml_ng::to_string(value).context("failed to render YAML")?;
                out.write_all(text.as_bytes())?;
            }
        }
    }
    Ok(())
}
