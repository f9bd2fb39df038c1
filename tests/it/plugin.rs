//! petctl as a kubectl plugin: linked as `kubectl-pets` on PATH, the real
//! kubectl finds it and runs `kubectl pets …` with kubectl's own flags.

use std::process::Command;

use crate::support::{create_petset, kubectl_or_skip, run_command, LocalServer, READY_AT_ONCE};

#[test]
fn kubectl_pets_runs_petctl_through_kubectls_plugin_mechanism() {
    let Some(kubectl) =
        kubectl_or_skip("kubectl_pets_runs_petctl_through_kubectls_plugin_mechanism")
    else {
        return;
    };
    let server = LocalServer::start_with(READY_AT_ONCE);
    create_petset(&server);

    let bin = server.dir.path().join("plugins");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_petctl"), bin.join("kubectl-pets")).unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let home = server.dir.path().join("kubectl-home");
    std::fs::create_dir_all(&home).unwrap();
    let kubectl_pets = |args: &[&str]| {
        let mut cmd = Command::new(&kubectl);
        cmd.arg("pets")
            .args(args)
            .env("PATH", &path)
            .env("HOME", &home)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env("NO_COLOR", "1");
        run_command(cmd, format!("kubectl pets {}", args.join(" ")), None)
    };
    let kubeconfig = server.kubeconfig();
    let kubeconfig = kubeconfig.to_str().unwrap();

    let run = kubectl_pets(&[
        "get",
        "pets",
        "web",
        "--kubeconfig",
        kubeconfig,
        "-n",
        "default",
    ]);
    run.expect_success();
    let rows: Vec<&str> = run
        .stdout
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap_or(""))
        .collect();
    assert_eq!(rows, ["POD", "web-0", "web-1"], "{run}");

    // kubectl's --context picks the context, as for kubectl itself.
    let run = kubectl_pets(&[
        "--kubeconfig",
        kubeconfig,
        "--context",
        "nope",
        "get",
        "pets",
        "web",
    ]);
    run.expect_code(1);
    assert!(run.stderr.contains("\"nope\""), "{run}");

    // Help and errors name the command as the user typed it.
    let run = kubectl_pets(&["scale", "--help"]);
    run.expect_success();
    assert!(
        run.stdout.contains("Usage: kubectl pets scale [OPTIONS]"),
        "{run}"
    );
}
