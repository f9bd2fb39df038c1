//! `pods/attach` for `kubectl run -i [-t]`: the simulated kubelet runs no
//! processes, so a container with `stdin: true` gets its command started in
//! the pod's sandbox when it is attached to, with the terminal its spec
//! asks for. When that process exits (or a `stdinOnce` client leaves, which
//! closes its stdin) the kubelet is told through the exit annotations, and
//! ends the container with the process's code as for any other exit — so
//! `kubectl run --restart=Never` sees the pod complete and `--rm` removes it.

use std::sync::Arc;

use serde_json::{json, Value};

use super::frame::Exit;
use super::session::Streams;
use super::App;
use crate::controllers::kubelet::{restarts_after, EXIT_AFTER_ANNOTATION, EXIT_CODE_ANNOTATION};
use crate::registry::error::ApiError;
use crate::registry::{meta, PatchType, Target, WriteOptions};
use petctl_model::json::strings;
use petctl_model::kinds;

fn flag(container: &Value, field: &str) -> bool {
    container.get(field).and_then(Value::as_bool) == Some(true)
}

/// The container's process: its command and args (busybox's default
/// command, `sh`, when it has neither).
pub fn command(container: &Value) -> Vec<String> {
    let command: Vec<String> = strings(container, "/command")
        .into_iter()
        .chain(strings(container, "/args"))
        .map(str::to_string)
        .collect();
    if command.is_empty() {
        vec!["sh".to_string()]
    } else {
        command
    }
}

/// Whether the container's stdin closes with its first attach.
pub fn stdin_once(container: &Value) -> bool {
    flag(container, "stdinOnce")
}

/// Attach needs a process to attach to: here, one a container with stdin.
pub fn check(container: &Value, streams: &Streams) -> Result<(), ApiError> {
    let name = container.get("name").and_then(Value::as_str).unwrap_or("");
    if !flag(container, "stdin") {
        return Err(ApiError::bad_request(format!(
            "container {name} has no stdin: the local control plane runs a container's process only \
             for attach to a container with stdin: true (kubectl run -i); use kubectl logs or kubectl exec"
        )));
    }
    // The terminal is the container's, set when its process starts
    // (pkg/kubelet/kubelet_pods.go, `GetAttach`).
    if streams.tty != flag(container, "tty") {
        return Err(ApiError::bad_request(format!(
            "container {name} was created with tty: {}; attach with the same terminal setting",
            flag(container, "tty")
        )));
    }
    Ok(())
}

/// After an attach session: the container ends with the process's code.
/// A client that left without stdinOnce leaves the container running.
pub async fn exited(app: &Arc<App>, pod: &Value, once: bool, exit: Option<Exit>) {
    let code = match exit {
        Some(Exit::Code(code)) => code,
        None if once => 0,
        _ => return,
    };
    // A container its policy restarts stays Running, ready for the next
    // attach: the exit annotations would end every later run at once.
    if restarts_after(pod, code) {
        return;
    }
    let app = app.clone();
    let target = Target {
        kind: kinds::builtin("pods"),
        namespace: meta::namespace(pod).to_string(),
        name: meta::name(pod).to_string(),
    };
    let uid = meta::uid(pod).to_string();
    let ended = tokio::task::spawn_blocking(move || end(&app, &target, &uid, code)).await;
    if let Ok(Err(err)) = ended {
        super::super::log(&format!(
            "attach: could not end the container of pod {}: {}",
            meta::name(pod),
            err.message
        ));
    }
}

/// Sets the exit annotations on this uid's pod, re-reading on a conflict.
fn end(app: &App, target: &Target, uid: &str, code: i32) -> Result<(), ApiError> {
    let mut last = None;
    for _ in 0..5 {
        let pod = app.registry.get(target)?;
        if meta::uid(&pod) != uid {
            return Ok(());
        }
        let mut annotations = pod
            .pointer("/metadata/annotations")
            .cloned()
            .unwrap_or_else(|| json!({}));
        annotations[EXIT_AFTER_ANNOTATION] = json!("0s");
        annotations[EXIT_CODE_ANNOTATION] = json!(code.to_string());
        let patch = json!([
            {"op": "test", "path": "/metadata/uid", "value": uid},
            {"op": "test", "path": "/metadata/resourceVersion", "value": meta::resource_version(&pod)},
            {"op": "add", "path": "/metadata/annotations", "value": annotations},
        ]);
        let bytes = patch.to_string().into_bytes();
        match app.registry.patch(
            target,
            None,
            PatchType::Json,
            &bytes,
            WriteOptions::default(),
        ) {
            Ok(_) => return Ok(()),
            Err(err) if err.code == 409 || err.code == 422 => last = Some(err),
            Err(err) => return Err(err),
        }
    }
    Err(last.unwrap_or_else(|| ApiError::internal("attach: too many conflicts")))
}
