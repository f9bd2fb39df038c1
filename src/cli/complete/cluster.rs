//! What completion asks the cluster and the kubeconfig: set, object and
//! namespace names, a set's pets and containers, context names. Quiet and
//! quick: connections never start the local control plane, every answer
//! is bounded by one short deadline, and a failure is just no candidates.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use clap::Parser;
use serde_json::Value;

use crate::cli::connect::{self, Connection};
use crate::cli::global::GlobalArgs;
use crate::client::kubeconfig;
use crate::client::request::ListParams;
use crate::kinds::{self, KindInfo};
use crate::local::state::StateDir;
use crate::ops::sets;

/// How long one completion may wait for the cluster, all requests together.
pub const DEADLINE: Duration = Duration::from_secs(2);

/// The global flags of a line, parsed by clap as the real command would.
#[derive(Debug, Parser)]
#[command(no_binary_name = true)]
struct Globals {
    #[command(flatten)]
    global: GlobalArgs,
}

/// `tokens` (global flags and their values) as GlobalArgs; None when clap
/// would refuse them (the command would fail, so nothing is offered).
pub fn globals(tokens: &[String]) -> Option<GlobalArgs> {
    let mut global = Globals::try_parse_from(tokens).ok()?.global;
    global.request_timeout = Some(format!("{}s", DEADLINE.as_secs()));
    global.verbosity = 0;
    Some(global)
}

/// The local control plane's kubeconfig when the line would use it and it
/// is running; `Err` when it would be used but is not running.
fn running_local(
    global: &GlobalArgs,
    loaded: &kubeconfig::Loaded,
) -> Result<Option<std::path::PathBuf>, ()> {
    let Some((kubeconfig, _)) = connect::local_choice(global, loaded).map_err(|_| ())? else {
        return Ok(None);
    };
    let dir = StateDir::new(kubeconfig.parent().unwrap_or(Path::new(".")));
    let alive = matches!(dir.read_pid(), Ok(Some(pid))
        if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok());
    if alive && kubeconfig.is_file() {
        Ok(Some(kubeconfig))
    } else {
        Err(())
    }
}

fn load(global: &GlobalArgs) -> kubeconfig::Loaded {
    if global.local {
        return kubeconfig::Loaded::default();
    }
    kubeconfig::load(&global.loading_rules()).unwrap_or_default()
}

/// A connection as the command would make it, except that the local
/// control plane is only used when it is already running.
pub fn connection(global: &GlobalArgs) -> Option<Connection> {
    let loaded = load(global);
    let global = match running_local(global, &loaded).ok()? {
        Some(kubeconfig) => GlobalArgs {
            kubeconfig: Some(kubeconfig),
            local: false,
            ..global.clone()
        },
        None => global.clone(),
    };
    connect::connect(&global, &mut std::io::sink()).ok()
}

/// The context names of the kubeconfig the line would use (the local
/// control plane's when it would fall back to it).
pub fn contexts(global: &GlobalArgs) -> Vec<String> {
    let mut loaded = load(global);
    if let Ok(Some((local, _))) = connect::local_choice(global, &loaded) {
        let rules = kubeconfig::LoadingRules::only(local);
        loaded = kubeconfig::load(&rules).unwrap_or_default();
    }
    kubeconfig::context_names(&loaded.config)
        .into_keys()
        .collect()
}

/// Runs `work` on a fresh runtime within the deadline; nothing on a
/// timeout or error.
pub fn ask<T: Default>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> T {
    let Ok(rt) = connect::runtime() else {
        return T::default();
    };
    rt.block_on(async { tokio::time::timeout(DEADLINE, work).await })
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default()
}

fn names(items: &[Value]) -> impl Iterator<Item = String> + '_ {
    items.iter().filter_map(|item| {
        item.pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(String::from)
    })
}

/// The names of `kind` in the connection's namespace.
pub async fn object_names(
    conn: &Connection,
    kind: &'static KindInfo,
) -> anyhow::Result<Vec<String>> {
    let items = conn
        .client
        .list_objects(kind, Some(&conn.namespace), &ListParams::default())
        .await?;
    Ok(names(&items).collect())
}

/// The names of the sets of `kind`, or of every set kind the server
/// serves, sorted and without repeats.
pub async fn set_names(
    conn: &Connection,
    kind: Option<&'static KindInfo>,
) -> anyhow::Result<Vec<String>> {
    let kinds = match kind {
        Some(kind) => vec![kind],
        None => sets::served_set_kinds(&conn.served().await?),
    };
    let mut all = BTreeSet::new();
    for kind in kinds {
        all.extend(object_names(conn, kind).await?);
    }
    Ok(all.into_iter().collect())
}

/// The namespaces of the cluster.
pub async fn namespaces(conn: &Connection) -> anyhow::Result<Vec<String>> {
    object_names(conn, kinds::builtin("namespaces")).await
}

/// The set `reference` names (`web`, `sts/web`).
async fn set(conn: &Connection, reference: &str) -> anyhow::Result<sets::Set> {
    let served = conn.served().await?;
    sets::find(&conn.client, &served, &conn.namespace, reference).await
}

/// The set's pets that exist, as `(ordinal, pod name)`, in ordinal order.
pub async fn pets(conn: &Connection, reference: &str) -> anyhow::Result<Vec<(i64, String)>> {
    let set = set(conn, reference).await?;
    let pods = conn
        .client
        .list_objects(
            kinds::builtin("pods"),
            Some(&conn.namespace),
            &ListParams::labels(set.selector_string()),
        )
        .await?;
    let mut pets: Vec<(i64, String)> = names(&pods)
        .filter_map(|pod| Some((set.ordinal_of(&pod)?, pod)))
        .collect();
    pets.sort();
    Ok(pets)
}

/// The containers of the set's pod template, with their images.
pub async fn containers(
    conn: &Connection,
    reference: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(set(conn, reference).await?.template_images())
}
