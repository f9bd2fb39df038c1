//! Bad connections and credentials get a clear error and exit 1, never a
//! panic: a failing or expired exec plugin, a TLS mismatch (with how to fix
//! it), a refused connection (naming the server), a rejected token, and a
//! server that is not Kubernetes.

use std::path::Path;

use crate::support::{expect_unverified_certificate, petctl_in, LocalServer};

/// A kubeconfig for `server` with `user` as the user stanza.
fn kubeconfig(dir: &Path, server: &str, ca: Option<&Path>, user: &str) -> std::path::PathBuf {
    let ca_line = match ca {
        Some(ca) => format!("    certificate-authority: {}\n", ca.display()),
        None => String::new(),
    };
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{ca_line}contexts:\n- name: c\n  context: {{cluster: c, user: u}}\nusers:\n- name: u\n  user:\n{user}"
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

fn get_petsets(dir: &Path, config: &Path) -> crate::support::Run {
    petctl_in(
        dir,
        &["--kubeconfig", config.to_str().unwrap(), "get", "petsets"],
        None,
    )
}

#[test]
fn failing_and_expired_exec_plugins() {
    let server = LocalServer::start();
    let dir = server.dir.path();
    let ca = server.state_dir().join("ca.crt");

    let user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/false\n      interactiveMode: Never\n";
    let run = get_petsets(dir, &kubeconfig(dir, &server.url, Some(&ca), user));
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        format!("error: cannot set up a client for {}: exec plugin \"/bin/false\" failed with exit status: 1\n", server.url)
    );

    let script = dir.join("expired.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\",\"expirationTimestamp\":\"2020-01-01T00:00:00Z\"}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        script.display()
    );
    let run = get_petsets(dir, &kubeconfig(dir, &server.url, Some(&ca), &user));
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot set up a client for {}: exec plugin {:?} returned a credential that has already expired\n",
            server.url,
            script.display().to_string()
        )
    );

    let user = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: no-such-plugin\n      installHint: install it with your package manager\n";
    let run = get_petsets(dir, &kubeconfig(dir, &server.url, Some(&ca), user));
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: cannot set up a client for ".to_string()
            + &server.url
            + ": exec plugin \"no-such-plugin\": interactiveMode must be set for client.authentication.k8s.io/v1\n"
    );
}

#[test]
fn tls_mismatch_refused_connection_and_rejected_token() {
    let server = LocalServer::start();
    let other = LocalServer::start();
    let dir = server.dir.path();
    let token = format!("    token: {}\n", server.token());

    // The other server's CA does not vouch for this server.
    let wrong_ca = other.state_dir().join("ca.crt");
    let run = get_petsets(dir, &kubeconfig(dir, &server.url, Some(&wrong_ca), &token));
    expect_unverified_certificate(&run, &server.url);
    assert!(
        run.stderr
            .contains("check certificate-authority in the kubeconfig"),
        "{run}"
    );
    assert!(
        !run.stderr.contains(&server.token()),
        "the token must never be printed"
    );

    let run = get_petsets(
        dir,
        &kubeconfig(
            dir,
            "https://127.0.0.1:1",
            Some(&server.state_dir().join("ca.crt")),
            &token,
        ),
    );
    run.expect_code(1);
    assert!(
        run.stderr
            .starts_with("error: cannot connect to the server at https://127.0.0.1:1: "),
        "{run}"
    );

    let ca = server.state_dir().join("ca.crt");
    let run = get_petsets(
        dir,
        &kubeconfig(dir, &server.url, Some(&ca), "    token: not-the-token\n"),
    );
    run.expect_code(1);
    assert_eq!(run.stderr, "error: Unauthorized\n");
    assert!(!run.stderr.contains("not-the-token"));

    let run = get_petsets(
        dir,
        &kubeconfig(
            dir,
            &format!("{}/not-kubernetes", server.url),
            Some(&ca),
            &token,
        ),
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        format!("error: the server at {}/not-kubernetes does not look like a Kubernetes API server: it has no /apis endpoint\n", server.url)
    );
}

#[test]
fn verbose_logging_never_shows_the_token() {
    let server = LocalServer::start();
    let dir = server.dir.path();
    let ca = server.state_dir().join("ca.crt");
    let token = server.token();
    let config = kubeconfig(
        dir,
        &server.url,
        Some(&ca),
        &format!("    token: {token}\n"),
    );
    let run = petctl_in(
        dir,
        &[
            "--kubeconfig",
            config.to_str().unwrap(),
            "-v",
            "8",
            "get",
            "pods",
        ],
        None,
    );
    run.expect_success();
    assert!(
        run.stderr.contains(&format!(
            "GET {}/api/v1/namespaces/default/pods",
            server.url
        )),
        "{run}"
    );
    assert!(run.stderr.contains("Response Body: "), "{run}");
    assert!(
        !run.stderr.contains(&token) && !run.stdout.contains(&token),
        "the token leaked:\n{run}"
    );
}
