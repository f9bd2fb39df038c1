//! `petctl version [--client] [-o json|yaml]`: petctl's version and the
//! server's, as `kubectl version` shows them.

use std::io::Write;

use serde_json::{json, Value};

use super::connect::{connect, runtime};
use super::global::GlobalArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the client version; do not contact the server
    #[arg(long)]
    pub client: bool,
    /// Output format: json or yaml
    #[arg(short = 'o', long = "output", value_parser = ["json", "yaml"])]
    pub output: Option<String>,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let client_version = json!({
        "gitVersion": concat!("v", env!("CARGO_PKG_VERSION")),
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    });
    // The server's version, and which cluster answered: the URL and the
    // context, so that nobody mistakes one cluster for another.
    let server: Option<(Value, Value)> = if args.client {
        None
    } else {
        let conn = connect(global, err)?;
        let version =
            runtime()?.block_on(async { conn.client.get_path::<Value>("/version").await })?;
        Some((
            version,
            json!({"server": conn.client.server(), "context": conn.context}),
        ))
    };
    match args.output.as_deref() {
        Some(format) => {
            let mut value = json!({"clientVersion": client_version});
            if let Some((version, cluster)) = &server {
                value["serverVersion"] = version.clone();
                value["cluster"] = cluster.clone();
            }
            let text = if format == "json" {
                serde_json::to_string_pretty(&value)? + "\n"
            } else {
                serde_yaml_ng::to_string(&value)?
            };
            out.write_all(text.as_bytes())?;
        }
        None => {
            writeln!(
                out,
                "Client Version: {}",
                client_version["gitVersion"].as_str().unwrap_or("")
            )?;
            if let Some((version, cluster)) = &server {
                writeln!(
                    out,
                    "Server Version: {}",
                    version["gitVersion"].as_str().unwrap_or("unknown")
                )?;
                let field = |k: &str| cluster[k].as_str().unwrap_or("").to_string();
                writeln!(out, "Server URL: {}", field("server"))?;
                writeln!(out, "Context: {}", field("context"))?;
            }
        }
    }
    Ok(())
}
