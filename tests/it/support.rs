//! The test harness: run the petctl binary with a scrubbed environment and
//! capture everything needed to debug a failure. Beside it: the command
//! lines many tests run (`commands`), the real kubectl (`kubectl`), the one
//! manifest builder (`manifests`), seeds that every failure names (`seed`),
//! the simulation speeds (`sim`), runs whose stderr is timed line by line
//! (`streamed`) and slow, hostile clients of the server (`attack`).

#![allow(dead_code)]

pub mod attack;
mod commands;
mod kubectl;
mod manifests;
mod seed;
mod sim;
mod streamed;
pub use commands::{
    by_name, claim_uids, create_petset, create_ready, on_a_terminal, scale_wait, script_available,
    terminal_command, CREATE_EXAMPLE,
};
pub use kubectl::{await_watch, kubectl_or_skip, kubectl_with};
pub use manifests::SetManifest;
pub use seed::{Rng, Seed};
pub use sim::*;
pub use streamed::{finish, spawn, stream};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What one run of petctl did.
#[derive(Debug)]
pub struct Run {
    pub command: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with the whole run unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }

    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

/// Panics unless `run` failed because the certificate of the server at
/// `url` did not verify.
#[track_caller]
pub fn expect_unverified_certificate(run: &Run, url: &str) {
    run.expect_code(1);
    assert!(
        run.stderr.starts_with(&format!(
            "error: the server at {url} presented a certificate that does not verify: "
        )),
        "{run}"
    );
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/corpus`: real manifests written by others, vendored with their
/// sources and licences in `SOURCES.md`.
pub fn corpus_dir() -> PathBuf {
    repo_root().join("tests/corpus")
}

/// The manifests of the corpus's `petset` and `statefulset` dirs whose
/// extension is one of `extensions`, sorted.
pub fn corpus_files(extensions: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["petset", "statefulset"] {
        let entries = std::fs::read_dir(corpus_dir().join(dir))
            .unwrap_or_else(|err| panic!("cannot list the corpus: {err}"));
        files.extend(
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| extensions.contains(&x))
                }),
        );
    }
    files.sort();
    files
}

/// A scratch directory that also serves as HOME for petctl runs.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("petctl-test-")
        .tempdir()
        .expect("create temp dir")
}

/// A command for the petctl binary with an environment that can never reach
/// a developer's real cluster: HOME and the XDG dirs point into `home`, and
/// no KUBECONFIG is set.
pub fn petctl_command(home: &Path) -> Command {
    scrubbed(Command::new(env!("CARGO_BIN_EXE_petctl")), home)
}

/// `cmd` with the environment of [`petctl_command`].
pub fn scrubbed(mut cmd: Command, home: &Path) -> Command {
    cmd.env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("PETCTL_LOCAL_DIR")
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1")
        .current_dir(repo_root());
    cmd
}

/// Runs `cmd` to completion, feeding `stdin` if given; `command` is how
/// the run is shown when a test fails.
pub fn run_command(mut cmd: Command, command: String, stdin: Option<&[u8]>) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command}: {e}"));
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        // The child may exit before reading everything; that is its answer.
        let _ = pipe.write_all(input);
    }
    finish_run(child, command)
}

/// Waits for `child` to exit and collects what it wrote; `command` is how
/// the run is shown when a test fails.
pub fn finish_run(child: std::process::Child, command: impl Into<String>) -> Run {
    let output = child.wait_with_output().expect("wait for the child");
    Run {
        command: command.into(),
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs petctl with `args`, feeding `stdin` if given.
pub fn petctl_in(home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = petctl_command(home);
    cmd.args(args);
    run_command(cmd, format!("petctl {}", args.join(" ")), stdin)
}

/// Runs petctl with `args` in a fresh scratch HOME.
pub fn petctl(args: &[&str]) -> Run {
    let home = scratch();
    petctl_in(home.path(), args, None)
}

/// The name of the running test, as libtest names the thread it runs on.
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string()
}

/// A local control plane for one test: `petctl local up --port 0` in a temp
/// state dir, run in the foreground as a child; killed on drop, with the
/// server log printed when the test failed.
pub struct LocalServer {
    pub dir: tempfile::TempDir,
    pub url: String,
    child: Option<std::process::Child>,
}

impl LocalServer {
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts with extra `local up` flags (fault injection and the like).
    pub fn start_with(extra: &[&str]) -> Self {
        Self::start_in(scratch(), extra, |_| {})
    }

    /// Starts with `configure` applied to the `local up` command (its
    /// environment, resource limits) before it is spawned.
    pub fn start_configured(configure: impl FnOnce(&mut Command)) -> Self {
        Self::start_in(scratch(), &[], configure)
    }

    fn start_in(
        dir: tempfile::TempDir,
        extra: &[&str],
        configure: impl FnOnce(&mut Command),
    ) -> Self {
        let state = dir.path().join("state");
        let mut cmd = petctl_command(dir.path());
        cmd.args(["local", "up", "--port", "0", "--state-dir"])
            .arg(&state)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        configure(&mut cmd);
        let mut child = cmd.spawn().expect("spawn petctl local up");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut line = String::new();
            let _ = std::io::BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_default();
        let Some(url) = line.trim().strip_prefix("ready ") else {
            let _ = child.kill();
            let output = child.wait_with_output().expect("wait for petctl");
            panic!(
                "local control plane did not start: {line:?}\n--- stderr ---\n{}\n--- server.log ---\n{}",
                String::from_utf8_lossy(&output.stderr),
                std::fs::read_to_string(state.join("server.log")).unwrap_or_default()
            );
        };
        LocalServer {
            url: url.to_string(),
            dir,
            child: Some(child),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn kubeconfig(&self) -> PathBuf {
        self.state_dir().join("kubeconfig")
    }

    pub fn token(&self) -> String {
        std::fs::read_to_string(self.state_dir().join("token"))
            .expect("read token")
            .trim()
            .to_string()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.state_dir().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `kill -9` of the server; the state dir stays.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new server on the same state dir.
    pub fn restart(mut self) -> Self {
        self.kill9();
        let dir = std::mem::replace(&mut self.dir, scratch());
        Self::start_in(dir, &[], |_| {})
    }

    /// An HTTPS client trusting the server's CA, without a token.
    pub fn client(&self) -> reqwest::Client {
        let ca = std::fs::read(self.state_dir().join("ca.crt")).expect("read ca.crt");
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("parse ca.crt"))
            .build()
            .expect("build client")
    }

    /// One authenticated request; returns the status, the headers and the body.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        self.request_as(Some(&self.token()), method, path, content_type, body)
    }

    pub fn request_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        let client = self.client();
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = client
            .request(method, format!("{}{path}", self.url))
            .body(body.to_vec());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        runtime().block_on(async move {
            let response = request.send().await.expect("send request");
            let status = response.status().as_u16();
            let version = response.version();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.expect("read body");
            Response {
                status,
                version,
                headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            }
        })
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, None, b"")
    }

    /// A JSON merge patch (RFC 7386) of `path`.
    pub fn merge_patch(&self, path: &str, body: &[u8]) -> Response {
        self.request("PATCH", path, Some("application/merge-patch+json"), body)
    }

    pub fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.request(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- server {} log tail ---\n{}", self.url, self.log_tail());
        }
        self.kill9();
    }
}

/// A current-thread runtime for the async HTTP client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build runtime")
}

/// One HTTP response, body as text.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub version: reqwest::Version,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Response {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts a `Status` failure with this code, reason and message.
    #[track_caller]
    pub fn expect_status(&self, code: u16, reason: &str, message: &str) -> serde_json::Value {
        assert_eq!(self.status, code, "{}", self.body);
        let status = self.json();
        assert_eq!(status["kind"], "Status", "{}", self.body);
        assert_eq!(status["code"], code, "{}", self.body);
        assert_eq!(
            status["reason"].as_str().unwrap_or(""),
            reason,
            "{}",
            self.body
        );
        assert_eq!(status["message"], message, "{}", self.body);
        status
    }
}

/// Runs petctl against `server` (through its kubeconfig), with HOME in the
/// server's scratch dir.
pub fn petctl_at(server: &LocalServer, args: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig();
    let mut full = vec!["--kubeconfig", kubeconfig.to_str().expect("utf-8 path")];
    full.extend_from_slice(args);
    petctl_in(&petctl_home(server), &full, None)
}

/// petctl with `args` against `server`, as [`petctl_at`] runs it, started
/// and left running with stdout and stderr piped; [`finish_run`] ends it.
pub fn spawn_at(server: &LocalServer, args: &[&str]) -> std::process::Child {
    petctl_command(&petctl_home(server))
        .arg("--kubeconfig")
        .arg(server.kubeconfig())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn petctl {}: {e}", args.join(" ")))
}

/// The HOME of petctl runs against `server`, in its scratch dir.
fn petctl_home(server: &LocalServer) -> PathBuf {
    let home = server.dir.path().join("petctl-home");
    let _ = std::fs::create_dir_all(&home);
    home
}

/// Replaces what changes from run to run — ages, PV names, times of day —
/// so that whole tables can be compared exactly.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let is_age = !w.is_empty()
                    && w.ends_with('s')
                    && w[..w.len() - 1].bytes().all(|b| b.is_ascii_digit())
                    && w.len() > 1;
                let is_clock = w.len() == 8 && w.as_bytes()[2] == b':' && w.as_bytes()[5] == b':';
                if is_age {
                    "<age>".to_string()
                } else if is_clock {
                    "<time>".to_string()
                } else if let Some(pos) = w.find("pvc-").filter(|p| w.len() >= p + 40) {
                    format!("{}pvc-<uid>{}", &w[..pos], &w[pos + 40..])
                } else {
                    w.to_string()
                }
            })
            .collect();
        let mut line = words.join(" ");
        // A column after an age is aligned by the age's width: fold the
        // padding that follows an age so that 9s and 10s compare equal.
        while let Some(pos) = line.find("<age>  ") {
            let rest = line[pos + 5..].trim_start().to_string();
            line = format!("{}<age> {rest}", &line[..pos]);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The stderr lines of `child`, read on a thread as they come.
pub fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    lines_of(child.stderr.take().expect("stderr is piped"))
}

/// The lines of `stream`, read on a thread as they come.
pub fn lines_of(stream: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stream)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
