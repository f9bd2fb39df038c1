//! `petctl describe petset|statefulset NAME [--cluster-domain D]`: the set's
//! spec, its pets' identities (hostname, DNS name, claims, PVs), whether it
//! is paused, revisions and events.

use std::io::Write;

use super::connect::{connect, runtime};
use super::global::GlobalArgs;
use crate::error::InvalidInput;
use crate::ops::{describe, sets};
use crate::output::describe::render;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// petset, statefulset (sts), or KIND/NAME as one argument
    #[arg(value_name = "KIND")]
    pub kind: String,
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    /// The cluster's DNS domain, for pet DNS names
    #[arg(
        long = "cluster-domain",
        default_value = "cluster.local",
        value_name = "DOMAIN"
    )]
    pub cluster_domain: String,
}

pub fn run(
    args: Args,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let reference = match (&args.name, args.kind.contains('/')) {
        (None, true) => args.kind.clone(),
        (Some(name), false) => {
            if sets::set_kind(&args.kind).is_none() {
                return Err(InvalidInput(format!(
                    "describe works on sets: petset NAME or statefulset NAME, not {:?}",
                    args.kind
                ))
                .into());
            }
            format!("{}/{name}", args.kind)
        }
        (None, false) => args.kind.clone(),
        (Some(_), true) => {
            return Err(InvalidInput::new("give either KIND NAME or KIND/NAME").into())
        }
    };
    let conn = connect(global, err)?;
    runtime()?.block_on(async {
        let set = conn.find_set(&reference).await?;
        let description = describe::gather(&conn.client, set, &args.cluster_domain).await?;
        out.write_all(render(&description, jiff::Timestamp::now()).as_bytes())?;
        Ok(())
    })
}
