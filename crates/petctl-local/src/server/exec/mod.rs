//! `pods/exec` and `pods/attach`: the request checks kube-apiserver and the
//! kubelet make before a stream opens (the pod, its container, its node,
//! the protocol), the WebSocket upgrade, and the sandbox the command runs
//! in. kubectl before 1.30 speaks SPDY/3.1 only; it gets a Status naming the
//! kubectl it needs (docs/exec.md).

mod attach;
mod frame;
mod pty;
mod session;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use hyper::header::{HeaderMap, HeaderValue};
use hyper::{Method, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;

use self::frame::Protocol;
use self::session::{Interrupt, Streams};
use super::route::ResourcePath;
use super::App;
use crate::registry::error::ApiError;
use crate::registry::{meta, Target};
use crate::sandbox::{self, Availability, Bind, Spec, Volume};
use crate::store::EventType;
use petctl_model::kinds;

/// Whether `path` names a streaming subresource this module serves.
pub fn is_streaming(path: &ResourcePath) -> bool {
    path.name.is_some() && matches!(path.subresource.as_deref(), Some("exec" | "attach"))
}

/// What a streaming request asks for.
struct Request {
    attach: bool,
    command: Vec<String>,
    container: Option<String>,
    streams: Streams,
}

impl Request {
    fn parse(attach: bool, query: &str) -> Self {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let flag = |key: &str| matches!(get(key), Some("1" | "true" | "True"));
        Request {
            attach,
            command: pairs
                .iter()
                .filter(|(k, _)| k == "command")
                .map(|(_, v)| v.clone())
                .collect(),
            container: get("container").map(str::to_string),
            streams: Streams {
                stdin: flag("stdin"),
                stdout: flag("stdout"),
                // The kubelet drops stderr under a terminal
                // (pkg/kubelet/cri/streaming/remotecommand/httpstream.go, `NewOptions`).
                stderr: flag("stderr") && !flag("tty"),
                tty: flag("tty"),
                attach,
            },
        }
    }
}

/// Serves one exec or attach request: a Status for anything wrong before
/// the upgrade, else 101 and the session on the upgraded connection.
pub async fn serve(
    app: Arc<App>,
    path: ResourcePath,
    method: &Method,
    query: &str,
    headers: &HeaderMap,
    upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> Result<Response<Body>, ApiError> {
    if *method != Method::GET && *method != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let attach = path.subresource.as_deref() == Some("attach");
    let request = Request::parse(attach, query);
    let target = Target {
        kind: path.kind,
        namespace: path.namespace.clone().unwrap_or_default(),
        name: path.name.clone().unwrap_or_default(),
    };
    let pod = super::handlers::blocking(app.clone(), move |registry| registry.get(&target)).await?;
    let container = check(&pod, &request)?.clone();
    if let Availability::Unavailable(why) = &app.sandbox {
        return Err(ApiError::new(
            503,
            "ServiceUnavailable",
            format!("exec is not available on this local control plane: {why}"),
        ));
    }
    let protocol = negotiate(headers)?;
    let key = headers
        .get(hyper::header::SEC_WEBSOCKET_KEY)
        .ok_or_else(|| ApiError::bad_request("unable to upgrade: missing Sec-WebSocket-Key"))?;
    let upgrade = upgrade
        .ok_or_else(|| ApiError::bad_request("unable to upgrade: exec and attach need HTTP/1.1"))?;
    let stdin_once = attach::stdin_once(&container);
    let spec = {
        let app = app.clone();
        let pod = pod.clone();
        let command = match request.attach {
            true => attach::command(&container),
            false => request.command.clone(),
        };
        let tty = request.streams.tty;
        tokio::task::spawn_blocking(move || prepare(&app, &pod, &container, command, tty))
            .await
            .map_err(|e| ApiError::internal(format!("exec failed: {e}")))??
    };
    let accept = derive_accept_key(key.as_bytes());
    tokio::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(upgraded) => upgraded,
            Err(err) => {
                super::log(&format!(
                    "exec into {}: the upgrade failed: {err}",
                    meta::name(&pod)
                ));
                return;
            }
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        let interrupt = interrupted(&app, &pod);
        let exit = session::run(ws, protocol, &spec, request.streams, interrupt).await;
        if request.attach {
            attach::exited(&app, &pod, stdin_once, exit).await;
        }
    });
    Response::builder()
        .status(101)
        .header(hyper::header::CONNECTION, "Upgrade")
        .header(hyper::header::UPGRADE, "websocket")
        .header(hyper::header::SEC_WEBSOCKET_ACCEPT, accept)
        .header(hyper::header::SEC_WEBSOCKET_PROTOCOL, protocol.name())
        .body(Body::empty())
        .map_err(|e| ApiError::internal(format!("exec failed: {e}")))
}

/// The checks upstream makes before it connects to the kubelet, in its
/// order, and the kubelet's own; returns the container.
fn check<'a>(pod: &'a Value, request: &Request) -> Result<&'a Value, ApiError> {
    let name = meta::name(pod);
    let container =
        sandbox::container(pod, request.container.as_deref()).map_err(ApiError::bad_request)?;
    // pkg/registry/core/pod/strategy.go, `streamLocation`.
    if meta::str_at(pod, "/spec/nodeName").is_empty() {
        return Err(ApiError::bad_request(format!(
            "pod {name} does not have a host assigned"
        )));
    }
    let container_name = container.get("name").and_then(Value::as_str).unwrap_or("");
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container_name))
        .is_some_and(|s| s.pointer("/state/running").is_some());
    if !running {
        // The kubelet's answer for a container it is not running
        // (pkg/kubelet/kubelet_pods.go, `GetExec`/`GetAttach`).
        return Err(ApiError::bad_request(format!(
            "container not found ({container_name:?})"
        )));
    }
    if request.attach {
        attach::check(container, &request.streams)?;
    } else if request.command.is_empty() {
        // pkg/kubelet/server/server.go, `getExec` via `NewOptions`.
        return Err(ApiError::bad_request("you must specify at least 1 command"));
    }
    let streams = request.streams;
    if !streams.stdin && !streams.stdout && !streams.stderr {
        // pkg/kubelet/cri/streaming/remotecommand/httpstream.go, `NewOptions`.
        return Err(ApiError::bad_request(
            "you must specify at least 1 of stdin, stdout, stderr",
        ));
    }
    Ok(container)
}

/// The WebSocket subprotocol, or why there is none.
fn negotiate(headers: &HeaderMap) -> Result<Protocol, ApiError> {
    let upgrade = headers
        .get(hyper::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if upgrade.to_ascii_lowercase().starts_with("spdy") {
        return Err(ApiError::bad_request(
            "this local control plane serves exec and attach over WebSocket only, not SPDY/3.1: \
             use kubectl 1.30 or newer, or set KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true with kubectl 1.29",
        ));
    }
    if !upgrade.eq_ignore_ascii_case("websocket") {
        // wsstream's and httpstream's answer to a request without them.
        return Err(ApiError::bad_request(
            "unable to upgrade: missing upgrade headers in request",
        ));
    }
    let offered = headers
        .get_all(hyper::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v: &HeaderValue| v.to_str().ok());
    let offered: Vec<&str> = offered.collect();
    Protocol::negotiate(offered.iter().copied()).ok_or_else(|| {
        ApiError::bad_request(format!(
            "unable to upgrade: unable to negotiate protocol: client supports {:?}, server supports {:?}",
            offered,
            Protocol::served()
        ))
    })
}

/// The sandbox for `pod`'s `container`: its files written and its
/// volumes' directories found (claims) or made (emptyDir).
fn prepare(
    app: &App,
    pod: &Value,
    container: &Value,
    command: Vec<String>,
    tty: bool,
) -> Result<Spec, ApiError> {
    let failed = |what: &str, err: &dyn std::fmt::Display| {
        ApiError::internal(format!(
            "failed to prepare the sandbox of pod {}: {what}: {err}",
            meta::name(pod)
        ))
    };
    let dir = sandbox::pod_dir(&app.state_root, meta::uid(pod));
    let etc = dir.join("etc");
    crate::state::create_private_dir(&etc).map_err(|e| failed("etc", &e))?;
    let hostname = sandbox::hostname(pod);
    let mut files = Vec::new();
    for (name, text) in [
        ("hosts", sandbox::hosts_file(pod, app.dns.domain())),
        (
            "resolv.conf",
            sandbox::resolv_conf(meta::namespace(pod), &app.dns),
        ),
        ("hostname", format!("{hostname}\n")),
    ] {
        let path = etc.join(name);
        // Atomically, so a running sandbox of the pod never reads half a
        // file; only when it changed (the pod's IP, the DNS server).
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            crate::state::write_atomically(&path, text.as_bytes(), 0o644)
                .map_err(|e| failed(name, &format!("{e:#}")))?;
        }
        files.push(Bind {
            source: path,
            target: PathBuf::from("/etc").join(name),
            read_only: true,
        });
    }
    let mut dirs = BTreeMap::new();
    for (name, volume) in sandbox::volumes(pod) {
        let found = match volume {
            Volume::Claim(claim) => claim_dir(app, meta::namespace(pod), &claim)?,
            Volume::EmptyDir => {
                let path = dir.join("volumes").join(&name);
                crate::state::create_private_dir(&path).map_err(|e| failed(&name, &e))?;
                Some(path)
            }
            Volume::Other => None,
        };
        if let Some(path) = found {
            dirs.insert(name, path);
        }
    }
    let tmp = dir.join("tmp");
    crate::state::create_private_dir(&tmp).map_err(|e| failed("tmp", &e))?;
    Ok(Spec {
        hostname,
        files,
        mounts: sandbox::mounts(container, &dirs),
        tmp: Some(tmp),
        env: sandbox::env(pod, container, tty),
        working_dir: container
            .get("workingDir")
            .and_then(Value::as_str)
            .filter(|w| !w.is_empty())
            .map(str::to_string),
        command,
        tty,
    })
}

/// The hostPath directory of the volume bound to `claim`.
fn claim_dir(app: &App, namespace: &str, claim: &str) -> Result<Option<PathBuf>, ApiError> {
    let pvc = app.registry.get(&Target {
        kind: kinds::builtin("persistentvolumeclaims"),
        namespace: namespace.to_string(),
        name: claim.to_string(),
    })?;
    let volume = meta::str_at(&pvc, "/spec/volumeName");
    if volume.is_empty() {
        return Ok(None);
    }
    let pv = app.registry.get(&Target {
        kind: kinds::builtin("persistentvolumes"),
        namespace: String::new(),
        name: volume.to_string(),
    })?;
    Ok(Some(meta::str_at(&pv, "/spec/hostPath/path"))
        .filter(|p| !p.is_empty())
        .map(PathBuf::from))
}

/// Resolves when `pod` (this uid) is deleted or the server shuts down.
fn interrupted(app: &App, pod: &Value) -> impl std::future::Future<Output = Interrupt> {
    let mut live = app.registry.store().subscribe();
    let mut shutdown = app.shutdown.clone();
    let uid = meta::uid(pod).to_string();
    async move {
        loop {
            tokio::select! {
                event = live.recv() => match event {
                    Ok(e) if e.event_type == EventType::Deleted && meta::uid(&e.object) == uid => {
                        return Interrupt::PodGone;
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Interrupt::Shutdown,
                },
                _ = shutdown.changed() => return Interrupt::Shutdown,
            }
        }
    }
}

/// Removes a pod's sandbox files (its emptyDirs among them) once the pod
/// is gone, as the kubelet cleans up orphaned pod directories.
pub fn spawn_cleanup(app: Arc<App>) {
    let mut live = app.registry.store().subscribe();
    let mut shutdown = app.shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                event = live.recv() => match event {
                    Ok(e) if e.event_type == EventType::Deleted && e.key.resource == "pods" => {
                        let dir = sandbox::pod_dir(&app.state_root, meta::uid(&e.object));
                        if dir.exists() {
                            let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(dir)).await;
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = shutdown.changed() => return,
            }
        }
    });
}
