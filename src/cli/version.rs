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
    let server_version: Option<Value> = if args.client {
        None
    } else {
        let conn = connect(global, err)?;
        Some(runtime()?.block_on(async {
            conn.client
                .send(reqwest::Method::GET, "/version", None)
                .await?
                .json::<Value>(conn.client.server())
        })?)
    };
    match args.output.as_deref() {
        Some(format) => {
            let mut value = json!({"clientVersion": client_version});
            if let Some(server) = &server_version {
                value["serverVersion"] = server.clone();
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
            if let Some(server) = &server_version {
                writeln!(
                    out,
                    "Server Version: {}",
                    server["gitVersion"].as_str().unwrap_or("unknown")
                )?;
            }
        }
    }
    Ok(())
}
