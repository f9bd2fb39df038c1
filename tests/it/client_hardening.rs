//! The client against hostile or careless configuration: credentials in a
//! server URL, TLS verification switched off, credential files that are not
//! files of credentials, a silent server, and `-o` paths that are links or
//! devices.

use std::path::Path;

use crate::support::{petctl_in, scratch, LocalServer, Run};

use crate::support::READY_AT_ONCE;

/// A kubeconfig at `path` for `server`, with `cluster` and `user` lines
/// (YAML under `cluster:` and `user:`, indented by four spaces).
fn write_config(path: &Path, cluster: &str, user: &str) {
    std::fs::write(
        path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n{cluster}contexts:\n- name: c\n  context: {{cluster: c, user: u}}\nusers:\n- name: u\n  user:\n{user}"
        ),
    )
    .unwrap();
}

fn petctl_with(config: &Path, args: &[&str]) -> Run {
    let mut full = vec!["--kubeconfig", config.to_str().unwrap()];
    full.extend_from_slice(args);
    petctl_in(config.parent().unwrap(), &full, None)
}

#[test]
fn credentials_in_the_server_url_authenticate_and_are_never_printed() {
    let dir = scratch();
    let users = dir.path().join("basic-auth.csv");
    std::fs::write(&users, "s3cretpw,root,1,\"system:masters\"\n").unwrap();
    let mut flags = READY_AT_ONCE.to_vec();
    flags.extend(["--basic-auth-file", users.to_str().unwrap()]);
    let server = LocalServer::start_with(&flags);
    let with_password = server.url.replace("https://", "https://root:s3cretpw@");
    let config = dir.path().join("config.yaml");
    write_config(
        &config,
        &format!(
            "    server: {with_password}\n    certificate-authority: {}\n",
            server.state_dir().join("ca.crt").display()
        ),
        "    {}\n",
    );
    for args in [
        &["get", "petsets", "-v=8"][..],
        &["version"],
        &["get", "petset", "nope", "-v=6"],
    ] {
        let run = petctl_with(&config, args);
        assert!(
            !run.stdout.contains("s3cretpw") && !run.stderr.contains("s3cretpw"),
            "{run}"
        );
        if args.contains(&"nope") {
            run.expect_code(1);
        } else {
            run.expect_success();
        }
    }
    let run = petctl_with(&config, &["version"]);
    assert!(
        run.stdout
            .contains(&format!("Server URL: {}\n", server.url)),
        "{run}"
    );
}

#[test]
fn insecure_skip_tls_verify_warns_and_is_refused_beside_a_ca() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let ca = server.state_dir().join("ca.crt");
    let ca = ca.to_str().unwrap();
    let kubeconfig = server.kubeconfig();
    let kubeconfig = kubeconfig.to_str().unwrap();
    let home = scratch();

    let run = petctl_in(
        home.path(),
        &[
            "--kubeconfig",
            kubeconfig,
            "--insecure-skip-tls-verify",
            "get",
            "petsets",
        ],
        None,
    );
    run.expect_success();
    assert_eq!(
        run.stderr,
        format!(
            "warning: the certificate of {} is not verified (insecure-skip-tls-verify): anyone on the path can read and change this session\nNo resources found in default namespace.\n",
            server.url
        ),
        "{run}"
    );

    let run = petctl_in(
        home.path(),
        &[
            "--kubeconfig",
            kubeconfig,
            "--insecure-skip-tls-verify",
            "--certificate-authority",
            ca,
            "get",
            "petsets",
        ],
        None,
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: specifying a root certificates file with the insecure flag is not allowed (--certificate-authority and --insecure-skip-tls-verify)\n",
        "{run}"
    );

    let config = home.path().join("both.yaml");
    write_config(
        &config,
        &format!(
            "    server: {}\n    certificate-authority: {ca}\n    insecure-skip-tls-verify: true\n",
            server.url
        ),
        &format!("    token: {}\n", server.token()),
    );
    let run = petctl_with(&config, &["get", "petsets"]);
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: specifying a root certificates file with the insecure flag is not allowed (cluster \"c\" sets certificate-authority and insecure-skip-tls-verify)\n",
        "{run}"
    );
}

#[test]
fn credential_files_that_never_end_are_refused() {
    let dir = scratch();
    let config = dir.path().join("config.yaml");
    let cases = [
        (
            "    server: https://127.0.0.1:1\n    certificate-authority: /dev/zero\n",
            "    token: t\n",
            "certificate-authority /dev/zero is larger than 4 MiB; it cannot be a credential file\n",
        ),
        (
            "    server: https://127.0.0.1:1\n",
            "    tokenFile: /dev/zero\n",
            "tokenFile /dev/zero is larger than 4 MiB; it cannot be a credential file\n",
        ),
    ];
    for (cluster, user, expected) in cases {
        write_config(&config, cluster, user);
        let run = petctl_with(&config, &["get", "petsets"]);
        run.expect_code(1);
        assert!(
            run.stderr.starts_with("error: ") && run.stderr.ends_with(expected),
            "{run}"
        );
    }
    let run = petctl_in(
        dir.path(),
        &["--kubeconfig", "/dev/zero", "get", "petsets"],
        None,
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        "error: kubeconfig /dev/zero is larger than 4 MiB; it cannot be a credential file\n",
        "{run}"
    );
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_the_command_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    // Accept connections and hold them open, silent, until the test ends.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let home = scratch();
    let run = petctl_in(
        home.path(),
        &["-s", &url, "--token", "t", "-v=6", "get", "petsets"],
        None,
    );
    run.expect_code(1);
    assert_eq!(
        run.stderr,
        format!("error: the request to {url} timed out after 10s without a connection\n"),
        "a timeout is not retried: {run}"
    );
}

#[test]
fn local_kubeconfig_output_never_replaces_a_link_or_a_device() {
    let server = LocalServer::start_with(READY_AT_ONCE);
    let state = server.state_dir();
    let state = state.to_str().unwrap();
    let dir = scratch();
    let kubeconfig_to = |output: &str| {
        petctl_in(
            dir.path(),
            &[
                "local",
                "kubeconfig",
                "--state-dir",
                state,
                "--user",
                "alice",
                "-o",
                output,
            ],
            None,
        )
    };
    // Through a link: the link stays, the file it names gets the kubeconfig.
    let target = dir.path().join("alice.kubeconfig");
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    kubeconfig_to(link.to_str().unwrap()).expect_success();
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let written = std::fs::read_to_string(&target).unwrap();
    assert!(written.contains("client-key-data"), "{written}");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&target).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);

    // A device, directly or through a link, is refused and left alone.
    let device_link = dir.path().join("null-link");
    std::os::unix::fs::symlink("/dev/null", &device_link).unwrap();
    for output in ["/dev/null", device_link.to_str().unwrap()] {
        let run = kubeconfig_to(output);
        run.expect_code(1);
        assert_eq!(
            run.stderr,
            format!("error: {output} is not a regular file: refusing to replace it (use -o - for stdout)\n"),
            "{run}"
        );
    }
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &std::fs::symlink_metadata("/dev/null").unwrap().file_type()
    ));

    // - is stdout.
    let run = kubeconfig_to("-");
    run.expect_success();
    assert!(run.stdout.starts_with("apiVersion: v1\n"), "{run}");
}
