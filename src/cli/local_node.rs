//! `petctl local node list|add|stop|start`: the simulated nodes of the
//! local control plane, through its API with the administrator's
//! kubeconfig. A stop is the annotation `petctl.local/stopped` on the Node,
//! which the simulated kubelet obeys (see docs/controllers.md, "Nodes and
//! their loss").

use std::io::Write;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

use super::local::{local_client, state_dir, DirArgs};
use crate::client::request::{PatchType, WriteParams};
use crate::client::Client;
use crate::local::controllers::nodes::{
    is_simulated, is_stopped, ready_status, SIMULATED_ANNOTATION, STOPPED_ANNOTATION,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: NodeCommand,
}

#[derive(Debug, clap::Subcommand)]
enum NodeCommand {
    /// List the nodes, their Ready status and whether their kubelet runs
    List(DirArgs),
    /// Add a node that the simulated kubelet runs
    Add(NameArgs),
    /// Stop a node's kubelet: it renews no Lease, posts no status and confirms no pod
    Stop(NameArgs),
    /// Start a stopped node's kubelet again
    Start(NameArgs),
}

#[derive(Debug, clap::Args)]
struct NameArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The node's name
    name: String,
}

pub fn run(args: Args, out: &mut dyn Write) -> Result<()> {
    let dir = match &args.command {
        NodeCommand::List(dir) => dir,
        NodeCommand::Add(a) | NodeCommand::Stop(a) | NodeCommand::Start(a) => &a.dir,
    };
    let state = state_dir(&dir.state_dir)?;
    let (client, server) = local_client(&state)?;
    let runtime = super::connect::runtime()?;
    let outcome = runtime.block_on(async {
        match &args.command {
            NodeCommand::List(_) => list(&client).await,
            NodeCommand::Add(a) => add(&client, &a.name).await,
            NodeCommand::Stop(a) => set_stopped(&client, &a.name, true).await,
            NodeCommand::Start(a) => set_stopped(&client, &a.name, false).await,
        }
    });
    let text = outcome.with_context(|| format!("local control plane at {server}"))?;
    write!(out, "{text}")?;
    Ok(())
}

fn nodes_kind() -> Result<&'static petctl_model::kinds::KindInfo> {
    petctl_model::kinds::by_name("nodes").context("the kinds table has no nodes")
}

/// Whether the simulated kubelet runs the node: one of `--nodes`, or added.
fn runs(node: &Value) -> bool {
    is_simulated(node) || crate::json::text(node, "/metadata/name").starts_with("local-node-")
}

async fn list(client: &Client) -> Result<String> {
    let nodes = client
        .api(nodes_kind()?, None)
        .list(&Default::default())
        .await
        .context("failed to list nodes")?;
    Ok(render_list(&nodes))
}

/// NAME, STATUS (as `kubectl get nodes` has it) and KUBELET.
fn render_list(nodes: &[Value]) -> String {
    let mut rows = vec![["NAME".to_string(), "STATUS".into(), "KUBELET".into()]];
    for node in nodes {
        let mut status = match ready_status(node) {
            "True" => "Ready".to_string(),
            "" => "Unknown".to_string(),
            _ => "NotReady".to_string(),
        };
        if node.pointer("/spec/unschedulable") == Some(&json!(true)) {
            status.push_str(",SchedulingDisabled");
        }
        let kubelet = match (runs(node), is_stopped(node)) {
            (false, _) => "none",
            (true, true) => "stopped",
            (true, false) => "running",
        };
        rows.push([
            crate::json::text(node, "/metadata/name").to_string(),
            status,
            kubelet.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..3)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            format!(
                "{:w0$}   {:w1$}   {}\n",
                r[0],
                r[1],
                r[2],
                w0 = widths[0],
                w1 = widths[1]
            )
        })
        .collect()
}

async fn add(client: &Client, name: &str) -> Result<String> {
    let node = json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                "kubernetes.io/arch": std::env::consts::ARCH, "beta.kubernetes.io/os": "linux"},
            "annotations": {SIMULATED_ANNOTATION: "true"}},
    });
    client
        .api(nodes_kind()?, None)
        .create(&node, &WriteParams::default())
        .await
        .with_context(|| format!("failed to add node {name}"))?;
    Ok(format!("node/{name} added\n"))
}

/// Stops or starts the node's kubelet: a merge patch of the annotation,
/// preconditioned on the resourceVersion read.
async fn set_stopped(client: &Client, name: &str, stop: bool) -> Result<String> {
    let api = client.api(nodes_kind()?, None);
    let node: Value = api
        .get(name)
        .await
        .with_context(|| format!("failed to get node {name}"))?;
    if !runs(&node) {
        bail!("node {name} is not run by the simulated kubelet");
    }
    let word = if stop { "stopped" } else { "started" };
    if is_stopped(&node) == stop {
        return Ok(format!("node/{name} already {word}\n"));
    }
    let value = if stop { json!("true") } else { Value::Null };
    let patch = json!({"metadata": {
        "resourceVersion": crate::json::text(&node, "/metadata/resourceVersion"),
        "annotations": {STOPPED_ANNOTATION: value}}});
    api.patch(name, PatchType::Merge, &patch, &WriteParams::default())
        .await
        .with_context(|| format!("failed to {} node {name}", &word[..word.len() - 2]))?;
    Ok(format!("node/{name} {word}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_shows_status_and_kubelet() {
        let nodes = [
            json!({"metadata": {"name": "local-node-0"}, "spec": {"unschedulable": true},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}}),
            json!({"metadata": {"name": "extra", "annotations": {SIMULATED_ANNOTATION: "true", STOPPED_ANNOTATION: "true"}},
                "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}),
        ];
        assert_eq!(
            render_list(&nodes),
            "NAME           STATUS                     KUBELET\n\
             local-node-0   Ready,SchedulingDisabled   running\n\
             extra          NotReady                   stopped\n"
        );
    }
}
