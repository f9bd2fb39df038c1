//! The `kubernetes` Service of the default namespace and the API server's
//! own Endpoints and EndpointSlice, as kube-apiserver's reconcilers write
//! them (pkg/controlplane/controller/kubernetesservice and
//! pkg/controlplane/reconcilers: `CreateOrUpdateMasterServiceIfNeeded`,
//! `ReconcileEndpoints`): Service `kubernetes` (ClusterIP, the range's first
//! address when free, port `https` 443 to the API server's port), Endpoints
//! `kubernetes` labelled `endpointslice.kubernetes.io/skip-mirror`, and the
//! EndpointSlice `kubernetes` (no managed-by label). Only a difference is
//! written, so a restart on another port moves them along.

use serde_json::{json, Value};

use super::build::label;
use crate::controllers::cache::Key;
use crate::controllers::runner::Ctx;
use crate::registry::error::ApiError;

pub const NAMESPACE: &str = "default";
pub const NAME: &str = "kubernetes";
/// The API server's address as its endpoints name it.
const ADDRESS: &str = "127.0.0.1";
/// The first address of 10.96.0.0/16, which upstream gives this Service.
const CLUSTER_IP: &str = "10.96.0.1";

pub fn is_master(key: &Key) -> bool {
    key.namespace == NAMESPACE && key.name == NAME
}

fn https(port: u16) -> Value {
    json!([{"name": "https", "port": port, "protocol": "TCP"}])
}

fn service(port: u16, cluster_ip: Option<&str>) -> Value {
    let mut spec = json!({"type": "ClusterIP", "sessionAffinity": "None",
        "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}]});
    if let Some(ip) = cluster_ip {
        spec["clusterIP"] = json!(ip);
    }
    json!({"metadata": {"name": NAME, "labels": {"component": "apiserver", "provider": "kubernetes"}},
           "spec": spec})
}

/// Creates or corrects the three objects for an API server on `port`.
pub fn reconcile(ctx: &mut Ctx, port: u16) -> Result<(), ApiError> {
    if port == 0 {
        return Ok(());
    }
    let service_key = Key::new("Service", NAMESPACE, NAME);
    match ctx.cache.get(&service_key).cloned() {
        None => {
            // A user's Service may hold the first address already.
            if let Err(err) = ctx.create("Service", NAMESPACE, service(port, Some(CLUSTER_IP))) {
                if err.code != 422 {
                    return Err(err);
                }
                ctx.create("Service", NAMESPACE, service(port, None))?;
            }
        }
        Some(current) => {
            let want = &service(port, None)["spec"]["ports"][0]["targetPort"];
            if &current["spec"]["ports"][0]["targetPort"] != want {
                let mut next = current;
                next["spec"]["ports"] = service(port, None)["spec"]["ports"].clone();
                ctx.update("Service", next)?;
            }
        }
    }
    let endpoints = json!({
        "metadata": {"name": NAME, "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
        "subsets": [{"addresses": [{"ip": ADDRESS}], "ports": https(port)}],
    });
    write(ctx, "Endpoints", endpoints, &["subsets"])?;
    let slice = json!({
        "metadata": {"name": NAME, "labels": {"kubernetes.io/service-name": NAME}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ADDRESS], "conditions": {"ready": true}}],
        "ports": https(port),
    });
    write(
        ctx,
        "EndpointSlice",
        slice,
        &["addressType", "endpoints", "ports"],
    )
}

/// Creates `want`, or updates the `fields` (and the labels it names) of
/// the one there when they differ.
fn write(ctx: &mut Ctx, kind: &'static str, want: Value, fields: &[&str]) -> Result<(), ApiError> {
    let Some(current) = ctx.cache.get(&Key::new(kind, NAMESPACE, NAME)).cloned() else {
        ctx.create(kind, NAMESPACE, want)?;
        return Ok(());
    };
    let labels = want["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let labelled = labels
        .iter()
        .all(|(k, v)| v.as_str() == Some(label(&current, k)));
    if labelled && fields.iter().all(|f| current[*f] == want[*f]) {
        return Ok(());
    }
    let mut next = current;
    for (key, value) in labels {
        next["metadata"]["labels"][key] = value;
    }
    for field in fields {
        next[*field] = want[*field].clone();
    }
    ctx.update(kind, next)?;
    Ok(())
}
