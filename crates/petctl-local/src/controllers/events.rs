//! core/v1 Events, as client-go's event recorder writes them: one Event per
//! occurrence, named after the involved object, shown by `kubectl get events`
//! and `kubectl describe`.

use std::sync::Arc;

use serde_json::{json, Value};

use super::cache::Key;
use super::runner::Ctx;
use crate::registry::error::ApiError;
use crate::registry::meta;

/// Normal or Warning, as `type` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Normal,
    Warning,
}

/// What happened to an object, by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence<'a> {
    pub severity: Severity,
    pub reason: &'a str,
    pub message: String,
    /// The reporting component, e.g. `statefulset-controller`.
    pub component: &'a str,
}

/// The Event object for `occurrence` about `involved`; `suffix` makes the
/// name unique, as the recorder's `<name>.<hex nanoseconds>`.
pub fn event_object(involved: &Value, occurrence: &Occurrence, suffix: &str, now: &str) -> Value {
    let namespace = match meta::namespace(involved) {
        "" => "default",
        ns => ns,
    };
    json!({
        "metadata": {"name": format!("{}.{suffix}", meta::name(involved)), "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved.get("apiVersion").cloned().unwrap_or(Value::Null),
            "kind": involved.get("kind").cloned().unwrap_or(Value::Null),
            "namespace": meta::namespace(involved),
            "name": meta::name(involved),
            "uid": meta::uid(involved),
            "resourceVersion": meta::resource_version(involved),
        },
        "reason": occurrence.reason,
        "message": occurrence.message,
        "type": match occurrence.severity {
            Severity::Normal => "Normal",
            Severity::Warning => "Warning",
        },
        "source": {"component": occurrence.component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "reportingComponent": occurrence.component,
        "reportingInstance": "",
    })
}

fn suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}", nanos & 0xffff_ffff_ffff_ffff)
}

/// Records an event, created when the reconcile ends (see [`Ctx::record`]).
pub fn record(ctx: &mut Ctx, involved: &Value, occurrence: Occurrence) {
    let event = event_object(involved, &occurrence, &suffix(), &meta::now());
    let namespace = meta::str_at(&event, "/metadata/namespace").to_string();
    ctx.record(&namespace, event);
}

pub fn normal(ctx: &mut Ctx, involved: &Value, component: &str, reason: &str, message: String) {
    record(
        ctx,
        involved,
        Occurrence {
            severity: Severity::Normal,
            reason,
            message,
            component,
        },
    );
}

pub fn warning(ctx: &mut Ctx, involved: &Value, component: &str, reason: &str, message: String) {
    record(
        ctx,
        involved,
        Occurrence {
            severity: Severity::Warning,
            reason,
            message,
            component,
        },
    );
}

/// Records `SuccessfulCreate` (`created`) or `FailedCreate` (worded by
/// `failed`) on `set` for the `outcome` of the create of its pod `name`. A
/// pod that already exists gets no event: the cache was behind, so it
/// reads that pod again.
pub fn pod_created(
    ctx: &mut Ctx,
    set: &Value,
    component: &str,
    name: &str,
    outcome: Result<Arc<Value>, ApiError>,
    created: String,
    failed: impl FnOnce(&ApiError) -> String,
) -> Result<(), ApiError> {
    match outcome {
        Ok(_) => {
            normal(ctx, set, component, "SuccessfulCreate", created);
            Ok(())
        }
        Err(err) => {
            if err.code == 409 {
                ctx.refresh(&Key::new("Pod", meta::namespace(set), name));
            } else {
                warning(ctx, set, component, "FailedCreate", failed(&err));
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_their_object() {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "db", "uid": "u1", "resourceVersion": "7"}});
        let occurrence = Occurrence {
            severity: Severity::Warning,
            reason: "BackOff",
            message: "Back-off restarting failed container".into(),
            component: "kubelet",
        };
        let event = event_object(&pod, &occurrence, "17a", "2026-01-01T00:00:00Z");
        assert_eq!(
            event["metadata"],
            json!({"name": "web-0.17a", "namespace": "db"})
        );
        assert_eq!(event["involvedObject"]["uid"], "u1");
        assert_eq!(event["involvedObject"]["kind"], "Pod");
        assert_eq!(event["type"], "Warning");
        assert_eq!(event["source"]["component"], "kubelet");
        let node = json!({"kind": "Node", "metadata": {"name": "local-node-0"}});
        let event = event_object(&node, &occurrence, "1", "t");
        assert_eq!(event["metadata"]["namespace"], "default");
    }
}
