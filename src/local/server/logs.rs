//! `pods/log`: what `kubectl logs` reads. The simulated kubelet runs no
//! processes, so a container's log is what the kubelet knows of it: when
//! it started, on which image, and, for a crash-looping one, that it exited
//! with code 1. The errors are kube-apiserver's: a container must be named
//! when there are several, and one that has not started has no log.

use serde_json::Value;

use super::query::Params;
use crate::local::registry::error::ApiError;
use crate::local::registry::meta;

/// The log text of the container `params` names (or the only one) of `pod`.
pub fn log(pod: &Value, params: &Params) -> Result<String, ApiError> {
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
    let status = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .and_then(|all| all.iter().find(|s| meta::str_at(s, "/name") == container));
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
        return Ok(line(
            at,
            format!("[petctl local kubelet] container {container} started from image {image} (a simulated container: it writes no output of its own)"),
        ));
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
        return Ok(line(
            at,
            format!("[petctl local kubelet] container {container} (image {image}) exited with code {code}: the image matches the server's --fail-images"),
        ));
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
        let text = log(&running, &Params::parse("timestamps=true")).unwrap();
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
            .contains("exited with code 1"));
        let creating =
            pod(json!([{"name": "nginx", "state": {"waiting": {"reason": "ContainerCreating"}}}]));
        assert_eq!(
            log(&creating, &Params::parse("")).unwrap_err().message,
            "container \"nginx\" in pod \"web-0\" is waiting to start: ContainerCreating"
        );
        assert_eq!(
            log(&creating, &Params::parse("container=nope"))
                .unwrap_err()
                .message,
            "container nope is not valid for pod web-0"
        );
    }
}
