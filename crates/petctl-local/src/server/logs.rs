//! `pods/log`: what `kubectl logs` reads. The simulated kubelet runs no
//! processes, so a container's log is what the kubelet knows of it: when
//! it started, on which image, and, for a crash-looping one, that it exited
//! with code 1. The errors are kube-apiserver's: a container must be named
//! when there are several, and one that has not started has no log.

use std::sync::Arc;

use axum::body::Body;
use hyper::Response;
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use super::query::Params;
use crate::registry::error::ApiError;
use crate::registry::meta;
use crate::store::{EventType, StoreEvent};

/// A container's log, and which run of it is still going.
#[derive(Debug)]
pub struct Log {
    pub text: String,
    pub container: String,
    /// When the running instance started, if the log is of one.
    pub running_since: Option<String>,
}

/// A `follow` stream: `log`'s text now, then open until the run ends, the
/// pod goes, or the server shuts down. `live` was subscribed before the pod
/// was read, so no change in between is missed.
pub fn follow(
    log: Log,
    since: String,
    pod: &Value,
    mut live: broadcast::Receiver<Arc<StoreEvent>>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Response<Body> {
    let (namespace, name) = (
        meta::namespace(pod).to_string(),
        meta::name(pod).to_string(),
    );
    let (tx, rx) = mpsc::channel::<Vec<u8>>(1);
    tokio::spawn(async move {
        if tx.send(log.text.into_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                event = live.recv() => match event {
                    Ok(e) if e.key.resource == "pods" && e.key.namespace == namespace && e.key.name == name => {
                        if e.event_type == EventType::Deleted || !same_run(&e.object, &log.container, &since) {
                            return;
                        }
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tx.closed() => return,
                _ = shutdown.changed() => return,
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    let mut response = super::respond::bytes(200, "text/plain", Vec::new());
    *response.body_mut() = Body::from_stream(stream);
    response
}

/// Whether `container` of `pod` is still the run that started at `since`.
pub fn same_run(pod: &Value, container: &str, since: &str) -> bool {
    container_status(pod, container)
        .and_then(|s| s.pointer("/state/running/startedAt"))
        .and_then(Value::as_str)
        == Some(since)
}

/// The status the kubelet reports for `container` of `pod`.
fn container_status<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    pod.pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().find(|s| meta::str_at(s, "/name") == container))
}

/// The log of the container `params` names (or the only one) of `pod`.
pub fn log(pod: &Value, params: &Params) -> Result<Log, ApiError> {
    let name = meta::name(pod);
    let containers: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| meta::str_at(c, "/name")).collect())
        .unwrap_or_default();
    let container = match (params.get("container"), containers.as_slice()) {
        (Some(wanted), _) if containers.contains(&wanted) => wanted,
        (Some(wanted), _) => {
            return Err(ApiError::bad_request(format!(
                "container {wanted} is not valid for pod {name}"
            )))
        }
        (None, [only]) => only,
        (None, _) => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {name}, choose one of: [{}]",
                containers.join(" ")
            )))
        }
    };
    let status = container_status(pod, container);
    let previous = params.flag("previous");
    let image = status.map_or("", |s| meta::str_at(s, "/image"));
    let state = status.and_then(|s| s.get(if previous { "lastState" } else { "state" }));
    let line = |at: &str, text: String| -> String {
        if params.flag("timestamps") {
            format!("{at} {text}\n")
        } else {
            format!("{text}\n")
        }
    };
    if let Some(running) = state.and_then(|s| s.get("running")) {
        let at = meta::str_at(running, "/startedAt");
        return Ok(Log {
            text: line(
                at,
                format!("[petctl local kubelet] container {container} started from image {image} (a simulated container: it writes no output of its own)"),
            ),
            container: container.to_string(),
            running_since: (!previous).then(|| at.to_string()),
        });
    }
    // A crash-looping container shows its last run, as the kubelet does.
    let last_run = (!previous)
        .then(|| status.and_then(|s| s.pointer("/lastState/terminated")))
        .flatten();
    if let Some(terminated) = state.and_then(|s| s.get("terminated")).or(last_run) {
        let at = meta::str_at(terminated, "/finishedAt");
        let code = terminated
            .get("exitCode")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        return Ok(Log {
            text: line(
                at,
                format!("[petctl local kubelet] container {container} (image {image}) exited with code {code}: the image matches the server's --fail-images"),
            ),
            container: container.to_string(),
            running_since: None,
        });
    }
    if previous {
        return Err(ApiError::bad_request(format!(
            "previous terminated container \"{container}\" in pod \"{name}\" not found"
        )));
    }
    let reason = state
        .and_then(|s| s.pointer("/waiting/reason"))
        .and_then(Value::as_str)
        .unwrap_or("ContainerCreating");
    // kube-apiserver words an image that cannot be pulled its own way.
    let reason = match reason {
        "ErrImagePull" | "ImagePullBackOff" => "trying and failing to pull image",
        other => other,
    };
    Err(ApiError::bad_request(format!(
        "container \"{container}\" in pod \"{name}\" is waiting to start: {reason}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(statuses: Value) -> Value {
        json!({
            "metadata": {"name": "web-0"},
            "spec": {"containers": [{"name": "nginx"}]},
            "status": {"containerStatuses": statuses},
        })
    }

    #[test]
    fn running_crashed_and_waiting_containers() {
        let running = pod(
            json!([{"name": "nginx", "image": "nginx:1", "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}}}]),
        );
        let followed = log(&running, &Params::parse("timestamps=true")).unwrap();
        assert_eq!(
            followed.running_since.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert!(same_run(&running, "nginx", "2026-01-01T00:00:00Z"));
        assert!(!same_run(&running, "nginx", "2026-01-01T00:00:01Z"));
        let text = followed.text;
        assert!(text.starts_with("2026-01-01T00:00:00Z [petctl local kubelet] container nginx started from image nginx:1"), "{text}");
        assert_eq!(
            log(&running, &Params::parse("previous=true"))
                .unwrap_err()
                .message,
            "previous terminated container \"nginx\" in pod \"web-0\" not found"
        );
        let crashing = pod(json!([{"name": "nginx", "image": "x:broken",
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "finishedAt": "t"}}}]));
        assert!(log(&crashing, &Params::parse(""))
            .unwrap()
            .text
            .contains("exited with code 1"));
        let creating =
            pod(json!([{"name": "nginx", "state": {"waiting": {"reason": "ContainerCreating"}}}]));
        assert_eq!(
            log(&creating, &Params::parse("")).unwrap_err().message,
            "container \"nginx\" in pod \"web-0\" is waiting to start: ContainerCreating"
        );
        let pulling =
            pod(json!([{"name": "nginx", "state": {"waiting": {"reason": "ImagePullBackOff"}}}]));
        assert_eq!(
            log(&pulling, &Params::parse("")).unwrap_err().message,
            "container \"nginx\" in pod \"web-0\" is waiting to start: trying and failing to pull image"
        );
        assert_eq!(
            log(&creating, &Params::parse("container=nope"))
                .unwrap_err()
                .message,
            "container nope is not valid for pod web-0"
        );
    }
}
