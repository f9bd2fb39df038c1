//! The command lines many tests run against their server: the guide's
//! PetSet or a manifest created and Ready, a scale that waits, petctl on a
//! terminal, and the claims as the server has them.

use std::collections::BTreeMap;
use std::process::Command;

use super::{petctl_at, scrubbed, LocalServer};

/// `create -f examples/petset.yaml --wait --timeout 60s`: the guide's
/// PetSet "web", 2 pets with a claim `www` each, all Ready.
pub const CREATE_EXAMPLE: [&str; 6] = [
    "create",
    "-f",
    "examples/petset.yaml",
    "--wait",
    "--timeout",
    "60s",
];

/// Runs [`CREATE_EXAMPLE`] against `server`; panics unless it succeeded.
pub fn create_petset(server: &LocalServer) {
    petctl_at(server, &CREATE_EXAMPLE).expect_success();
}

/// Writes `yaml` to `file` in the server's scratch dir and creates what it
/// holds with `--wait --timeout 60s`; panics unless that succeeded.
pub fn create_ready(server: &LocalServer, file: &str, yaml: &str) {
    let path = server.dir.path().join(file);
    std::fs::write(&path, yaml).expect("write the manifest");
    let path = path.to_str().expect("utf-8 path");
    petctl_at(
        server,
        &["create", "-f", path, "--wait", "--timeout", "60s"],
    )
    .expect_success();
}

/// `scale SET --replicas REPLICAS --wait --timeout TIMEOUT`.
pub fn scale_wait<'a>(set: &'a str, replicas: &'a str, timeout: &'a str) -> [&'a str; 7] {
    [
        "scale",
        set,
        "--replicas",
        replicas,
        "--wait",
        "--timeout",
        timeout,
    ]
}

/// `petctl ARGS` against `server` on a pseudo-terminal (util-linux
/// `script`) with `TERM=term`, ready to run, and how to show it; None,
/// after saying so, when `script` is missing.
pub fn on_a_terminal(server: &LocalServer, args: &str, term: &str) -> Option<(Command, String)> {
    script_available().then(|| terminal_command(server, args, term))
}

/// Whether util-linux `script` is installed; says so when it is not.
pub fn script_available() -> bool {
    let script = Command::new("script").arg("--version").output();
    let found = script.is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping the terminal half: util-linux `script` is not installed");
    }
    found
}

/// [`on_a_terminal`] once [`script_available`] said yes.
pub fn terminal_command(server: &LocalServer, args: &str, term: &str) -> (Command, String) {
    let home = server.dir.path().join("petctl-home");
    let command = format!(
        "{} --kubeconfig {} {args}",
        env!("CARGO_BIN_EXE_petctl"),
        server.kubeconfig().display()
    );
    let mut cmd = scrubbed(Command::new("script"), &home);
    cmd.args(["-qec", &command, "/dev/null"]).env("TERM", term);
    (cmd, format!("script -qec {command:?}"))
}

/// Claim name → uid in "default", as the server has them now.
pub fn claim_uids(server: &LocalServer) -> BTreeMap<String, String> {
    by_name(server, "/api/v1/namespaces/default/persistentvolumeclaims")
        .into_iter()
        .map(|(name, claim)| (name, claim["metadata"]["uid"].as_str().unwrap().to_string()))
        .collect()
}

/// The items of the list at `path` by name, as the server has them now.
pub fn by_name(server: &LocalServer, path: &str) -> BTreeMap<String, serde_json::Value> {
    let list = server.get(path).json();
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .into_iter()
        .map(|item| {
            (
                item["metadata"]["name"].as_str().unwrap_or("").to_string(),
                item,
            )
        })
        .collect()
}
