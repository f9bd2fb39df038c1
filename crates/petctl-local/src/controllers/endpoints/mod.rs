//! The endpoints and endpointslice controllers in one loop: for every
//! Service with a selector, the Endpoints named after it
//! (pkg/controller/endpoint) and its EndpointSlices `<svc>-<random>`
//! (staging/src/k8s.io/endpointslice/reconciler.go), kept in step with the
//! pods it selects and their readiness. Both are written through the
//! registry with the resourceVersion (updates) or uid (deletes) they were
//! read at.

pub mod apiserver;
pub mod build;

use serde_json::{json, Value};

use self::build::{
    label, SliceContent, ENDPOINTS_MANAGED_BY, SERVICE_NAME_LABEL, SLICE_MANAGED_BY,
};
use super::cache::{Cache, Key};
use super::namespace::is_active;
use super::runner::{Ctx, Next, Reconciler};
use crate::registry::error::ApiError;
use crate::registry::{meta, DeleteOptions};

const SERVICE: &str = "Service";
const ENDPOINTS: &str = "Endpoints";
const SLICE: &str = "EndpointSlice";

/// The controller reference a slice carries to its Service.
fn service_ref(service: &Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "name": meta::name(service),
           "uid": meta::uid(service), "controller": true, "blockOwnerDeletion": true})
}

/// The slices of the Service `name` that this controller manages.
fn managed_slices(cache: &Cache, namespace: &str, name: &str) -> Vec<Value> {
    cache
        .list(SLICE, Some(namespace))
        .filter(|s| {
            label(s, SERVICE_NAME_LABEL) == name
                && label(s, SLICE_MANAGED_BY.0) == SLICE_MANAGED_BY.1
        })
        .cloned()
        .collect()
}

/// `api_port` is the API server's, which the `kubernetes` Service's
/// endpoints name ([`apiserver`]); 0 leaves that Service out.
#[derive(Default)]
pub struct EndpointsController {
    pub api_port: u16,
}

impl EndpointsController {
    /// A Service gone: its managed Endpoints and slices go too (upstream's
    /// slices go by garbage collection; this controller does not wait for it).
    fn forget(ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        let endpoints_key = Key::new(ENDPOINTS, &key.namespace, &key.name);
        if let Some(endpoints) = ctx.cache.get(&endpoints_key).cloned() {
            if label(&endpoints, ENDPOINTS_MANAGED_BY.0) == ENDPOINTS_MANAGED_BY.1 {
                ctx.delete(
                    &endpoints_key,
                    meta::uid(&endpoints),
                    DeleteOptions::default(),
                )?;
            }
        }
        for slice in managed_slices(&ctx.cache, &key.namespace, &key.name) {
            ctx.delete(
                &Key::of(SLICE, &slice),
                meta::uid(&slice),
                DeleteOptions::default(),
            )?;
        }
        Ok(Next::Done)
    }

    fn sync_endpoints(ctx: &mut Ctx, service: &Value, pods: &[&Value]) -> Result<(), ApiError> {
        let subsets = build::subsets(service, pods);
        let labels = build::endpoints_labels(service);
        let namespace = meta::namespace(service);
        let key = Key::new(ENDPOINTS, namespace, meta::name(service));
        match ctx.cache.get(&key).cloned() {
            Some(current) => {
                if current.get("subsets").unwrap_or(&Value::Null) == &subsets
                    && current.pointer("/metadata/labels").unwrap_or(&Value::Null) == &labels
                {
                    return Ok(());
                }
                let mut next = current;
                next["metadata"]["labels"] = labels;
                set_or_remove(&mut next, "subsets", subsets);
                ctx.update(ENDPOINTS, next)?;
            }
            None => {
                let mut body = json!({"metadata": {"name": meta::name(service), "labels": labels}});
                set_or_remove(&mut body, "subsets", subsets);
                ctx.create(ENDPOINTS, namespace, body)?;
            }
        }
        Ok(())
    }

    fn sync_slices(ctx: &mut Ctx, service: &Value, pods: &[&Value]) -> Result<(), ApiError> {
        let namespace = meta::namespace(service).to_string();
        let labels = build::slice_labels(service);
        let owner = json!([service_ref(service)]);
        let mut existing = managed_slices(&ctx.cache, &namespace, meta::name(service));
        let mut unplaced = Vec::new();
        // Slices whose ports match a wanted set keep it.
        for wanted in build::slices(service, pods) {
            match existing.iter().position(|s| s["ports"] == wanted.ports) {
                Some(i) => {
                    let current = existing.swap_remove(i);
                    Self::write_slice(ctx, current, &wanted, &labels, &owner)?;
                }
                None => unplaced.push(wanted),
            }
        }
        for wanted in unplaced {
            match existing.pop() {
                Some(current) => Self::write_slice(ctx, current, &wanted, &labels, &owner)?,
                None => {
                    let body = json!({
                        "metadata": {"generateName": format!("{}-", meta::name(service)),
                                     "labels": labels, "ownerReferences": owner},
                        "addressType": "IPv4",
                        "endpoints": wanted.endpoints,
                        "ports": wanted.ports,
                    });
                    ctx.create(SLICE, &namespace, body)?;
                }
            }
        }
        for stale in existing {
            ctx.delete(
                &Key::of(SLICE, &stale),
                meta::uid(&stale),
                DeleteOptions::default(),
            )?;
        }
        Ok(())
    }

    fn write_slice(
        ctx: &mut Ctx,
        current: Value,
        wanted: &SliceContent,
        labels: &Value,
        owner: &Value,
    ) -> Result<(), ApiError> {
        let same = current["endpoints"] == wanted.endpoints
            && current["ports"] == wanted.ports
            && current.pointer("/metadata/labels") == Some(labels)
            && current.pointer("/metadata/ownerReferences") == Some(owner);
        if same {
            return Ok(());
        }
        let mut next = current;
        next["metadata"]["labels"] = labels.clone();
        next["metadata"]["ownerReferences"] = owner.clone();
        next["endpoints"] = wanted.endpoints.clone();
        next["ports"] = wanted.ports.clone();
        ctx.update(SLICE, next)?;
        Ok(())
    }
}

fn set_or_remove(object: &mut Value, field: &str, value: Value) {
    if let Some(map) = object.as_object_mut() {
        if value.is_null() {
            map.remove(field);
        } else {
            map.insert(field.into(), value);
        }
    }
}

impl Reconciler for EndpointsController {
    const NAME: &'static str = "endpoints-controller";
    const KINDS: &'static [&'static str] = &["Namespace", SERVICE, "Pod", ENDPOINTS, SLICE];
    const PRIMARY: &'static [&'static str] = &[SERVICE];

    fn keys_for(&self, cache: &Cache, kind: &'static str, object: &Value) -> Vec<Key> {
        let namespace = meta::namespace(object);
        match kind {
            SERVICE | ENDPOINTS => vec![Key::new(SERVICE, namespace, meta::name(object))],
            SLICE if !label(object, SERVICE_NAME_LABEL).is_empty() => vec![Key::new(
                SERVICE,
                namespace,
                label(object, SERVICE_NAME_LABEL),
            )],
            // A pod's labels may have stopped matching: every Service of
            // its namespace looks again.
            "Pod" => cache.keys_where(SERVICE, Some(namespace), |s| build::selector(s).is_some()),
            _ => Vec::new(),
        }
    }

    fn start(&mut self, ctx: &mut Ctx) {
        if let Err(err) = apiserver::reconcile(ctx, self.api_port) {
            crate::log::log(&format!(
                "endpoints-controller: the kubernetes Service: {}",
                err.message
            ));
        }
    }

    fn reconcile(&mut self, ctx: &mut Ctx, key: &Key) -> Result<Next, ApiError> {
        if apiserver::is_master(key) {
            apiserver::reconcile(ctx, self.api_port)?;
            return Ok(Next::Done);
        }
        let Some(service) = ctx.cache.get(key).cloned() else {
            return Self::forget(ctx, key);
        };
        let Some(selector) = build::selector(&service) else {
            return Ok(Next::Done);
        };
        if meta::is_deleting(&service) || !is_active(&ctx.cache, &key.namespace) {
            return Ok(Next::Done);
        }
        let pods: Vec<Value> = ctx
            .cache
            .list("Pod", Some(&key.namespace))
            .filter(|pod| build::selects(selector, pod))
            .cloned()
            .collect();
        let pods: Vec<&Value> = pods.iter().collect();
        Self::sync_endpoints(ctx, &service, &pods)?;
        Self::sync_slices(ctx, &service, &pods)?;
        Ok(Next::Done)
    }
}
