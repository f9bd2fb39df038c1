//! The local control plane's transport and security: HTTPS with HTTP/1.1
//! and HTTP/2, bearer-token auth with a `Status` body on 401, loopback only,
//! private files.

use std::os::unix::fs::PermissionsExt;

use crate::support::LocalServer;

const UNAUTHORIZED: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;

#[test]
fn requests_without_the_token_get_401_with_a_status_body() {
    let server = LocalServer::start();
    for token in [None, Some("wrong"), Some("")] {
        for path in [
            "/api",
            "/apis/apps/v1/namespaces/default/statefulsets",
            "/api/v1/namespaces/default",
            "/petctl/status",
        ] {
            let response = server.request_as(token, "GET", path, None, b"");
            assert_eq!(response.status, 401, "{path} with {token:?}");
            assert_eq!(response.body.trim(), UNAUTHORIZED);
            assert_eq!(response.headers["content-type"], "application/json");
        }
    }
    let response = server.request_as(
        Some("wrong"),
        "POST",
        "/api/v1/namespaces/default/configmaps",
        Some("application/json"),
        b"{}",
    );
    assert_eq!(response.status, 401);
}

#[test]
fn health_and_version_need_no_token() {
    let server = LocalServer::start();
    for path in ["/healthz", "/livez", "/readyz"] {
        let response = server.request_as(None, "GET", path, None, b"");
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "ok"),
            "{path}"
        );
    }
    let version = server.request_as(None, "GET", "/version", None, b"").json();
    assert_eq!(version["gitVersion"], "v1.33.0-petctl");
    assert_eq!(version["major"], "1");
}

#[test]
fn the_token_opens_the_api_over_http2() {
    let server = LocalServer::start();
    let response = server.get("/api/v1/namespaces");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.version, reqwest::Version::HTTP_2);
    let names: Vec<String> = response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"default".to_string()) && names.contains(&"kube-system".to_string()),
        "{names:?}"
    );
}

#[test]
fn http1_works_too() {
    let server = LocalServer::start();
    let ca = std::fs::read(server.state_dir().join("ca.crt")).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let url = format!("{}/api", server.url);
    let token = server.token();
    let (status, version) = crate::support::runtime().block_on(async move {
        let r = client.get(url).bearer_auth(token).send().await.unwrap();
        (r.status().as_u16(), r.version())
    });
    assert_eq!((status, version), (200, reqwest::Version::HTTP_11));
}

#[test]
fn the_listener_is_on_loopback_only() {
    let server = LocalServer::start();
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(server.url, format!("https://127.0.0.1:{port}"));
    // /proc/net/tcp lists the bound address: 0100007F is 127.0.0.1.
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let listening: Vec<&str> = table
        .lines()
        .filter(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.get(3) == Some(&"0A")
                && fields
                    .get(1)
                    .is_some_and(|a| a.ends_with(&format!(":{port:04X}")))
        })
        .collect();
    assert_eq!(listening.len(), 1, "{listening:?}");
    assert!(
        listening[0]
            .split_whitespace()
            .nth(1)
            .unwrap()
            .starts_with("0100007F:"),
        "{}",
        listening[0]
    );
}

#[test]
fn kubeconfig_token_and_ca_key_are_private() {
    let server = LocalServer::start();
    let state = server.state_dir();
    for file in ["kubeconfig", "ca.key", "token"] {
        let mode = std::fs::metadata(state.join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let kubeconfig = std::fs::read_to_string(server.kubeconfig()).unwrap();
    assert!(
        kubeconfig.contains(&format!("server: {}", server.url)),
        "{kubeconfig}"
    );
    assert!(kubeconfig.contains("current-context: petctl-local"));
    assert!(kubeconfig.contains(&format!("token: {}", server.token())));
}

#[test]
fn random_bytes_on_the_socket_do_not_stop_the_server() {
    use std::io::{Read, Write};
    let server = LocalServer::start();
    let address = server.url.trim_start_matches("https://").to_string();
    for garbage in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        b"\x16\x03\x01\x00\x05hello",
        &[0xffu8; 4096][..],
        b"",
    ] {
        let mut socket = std::net::TcpStream::connect(&address).unwrap();
        socket
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let _ = socket.write_all(garbage);
        let _ = socket.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = socket.read_to_end(&mut sink);
    }
    assert_eq!(server.get("/api").status, 200);
}

#[test]
fn every_state_file_is_private_whatever_the_umask() {
    let dir = crate::support::scratch();
    let state = dir.path().join("state");
    let petctl = env!("CARGO_BIN_EXE_petctl");
    let mut cmd = crate::support::scrubbed(std::process::Command::new("sh"), dir.path());
    cmd.arg("-c")
        .arg(r#"umask 000; exec "$0" local up --detach --port 0 --state-dir "$1""#)
        .arg(petctl)
        .arg(&state);
    crate::support::run_command(cmd, "umask 000; petctl local up --detach".into(), None)
        .expect_success();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&state).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        let want = if meta.is_dir() { 0o700 } else { 0o600 };
        let name = entry.file_name().to_string_lossy().into_owned();
        assert_eq!(meta.permissions().mode() & 0o777, want, "{name}");
        seen.push(name);
    }
    seen.sort();
    for file in [
        "ca.crt",
        "ca.key",
        "kubeconfig",
        "server.lock",
        "server.log",
        "server.pid",
        "store.redb",
        "token",
    ] {
        assert!(
            seen.iter().any(|s| s == file),
            "{file} missing from {seen:?}"
        );
    }
    let mut down = crate::support::petctl_command(dir.path());
    down.args(["local", "down", "--state-dir"]).arg(&state);
    crate::support::run_command(down, "petctl local down".into(), None).expect_success();
}

/// Every file the server writes under the state dir, volumes included, is
/// 0600 and every directory 0700 under umask 000; files a restart finds
/// with looser modes are made 0600 again.
#[test]
fn state_files_and_volume_dirs_stay_private_under_umask_000_and_across_restarts() {
    use std::os::unix::process::CommandExt as _;
    let server = LocalServer::start_configured(|cmd| {
        // SAFETY: umask is async-signal-safe and touches no memory.
        unsafe {
            cmd.pre_exec(|| {
                nix::libc::umask(0);
                Ok(())
            });
        }
    });
    let claim = serde_json::json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    });
    let created = server.post_json("/api/v1/namespaces/default/persistentvolumeclaims", &claim);
    assert_eq!(created.status, 201, "{}", created.body);
    await_claim_bound(&server, "data");
    let state = server.state_dir();
    let modes = walk_modes(&state);
    assert!(
        modes.iter().any(|(p, _)| p.starts_with("volumes/pvc-")),
        "no volume dir in {modes:?}"
    );
    for (path, mode, want) in modes_with_wants(&modes) {
        assert_eq!(mode, want, "{path} is {mode:o} under umask 000");
    }
    let mut server = server;
    server.kill9();
    for file in [
        "ca.crt",
        "ca.key",
        "token",
        "server.log",
        "store.redb",
        "server.lock",
    ] {
        std::fs::set_permissions(state.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let server = server.restart();
    for (path, mode, want) in modes_with_wants(&walk_modes(&server.state_dir())) {
        assert_eq!(mode, want, "{path} is {mode:o} after a restart");
    }
}

/// Waits on a watch (30 s at most) until claim `name` is Bound.
fn await_claim_bound(server: &LocalServer, name: &str) {
    let url = format!(
        "{}/api/v1/namespaces/default/persistentvolumeclaims?watch=1&fieldSelector=metadata.name%3D{name}",
        server.url
    );
    let request = server.client().get(url).bearer_auth(server.token());
    crate::support::runtime().block_on(async move {
        let mut response = request.send().await.expect("watch claims");
        let bound = async {
            let mut seen = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
                if seen.contains("\"phase\":\"Bound\"") {
                    return;
                }
            }
            panic!("the watch ended before the claim was Bound: {seen}");
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), bound)
            .await
            .expect("the claim is Bound within 30 s");
    });
}

/// Every path under `root` (relative) and its mode, directories first.
fn walk_modes(root: &std::path::Path) -> Vec<(String, u32)> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((relative, meta.permissions().mode() & 0o777));
            if meta.is_dir() {
                dirs.push(path);
            }
        }
    }
    out.push((
        ".".to_string(),
        std::fs::metadata(root).unwrap().permissions().mode() & 0o777,
    ));
    out
}

fn modes_with_wants(modes: &[(String, u32)]) -> Vec<(String, u32, u32)> {
    modes
        .iter()
        .map(|(path, mode)| {
            let dir = path == "." || path == "volumes" || path.starts_with("volumes/");
            (path.clone(), *mode, if dir { 0o700 } else { 0o600 })
        })
        .collect()
}
