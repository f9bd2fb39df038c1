//! Benchmark of the local control plane (not a test): GET and LIST latency
//! and throughput, and watch fan-out to 100 watchers. Run with
//! `cargo bench --bench local`; the figures go to docs/benchmarks.md.
//!
//! At scale: `BENCH_OBJECTS=1000 BENCH_KIND=pods BENCH_WATCHERS=1000` lists
//! 1000 pods (also with `limit=10`, and with `kubectl get pods` on the same
//! server), reports the server's CPU time per LIST and its thread count
//! after the watchers; `PETCTL=path` benchmarks another build's server.
//! `BENCH_H2=1` multiplexes the watchers over HTTP/2 connections, 100
//! watches each, as client-go shares a process's connections; otherwise
//! past 100 watchers each has its own HTTP/1.1 connection.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

/// Writes the watchers get (`BENCH_WRITES`; more for a profile).
const WATCHED_WRITES: usize = 50;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of a process, in clock ticks (100 per second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(11) + field(12)
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count())
}

struct Server {
    child: std::process::Child,
    url: String,
    token: String,
    client: reqwest::Client,
    ca: reqwest::Certificate,
    state: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    let petctl =
        std::env::var("PETCTL").unwrap_or_else(|_| env!("CARGO_BIN_EXE_petctl").to_string());
    let mut child = Command::new(petctl)
        .args(["local", "up", "--port", "0"])
        .args(["--max-connections-per-address", "4096", "--state-dir"])
        .arg(&state)
        .env("HOME", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start petctl local up");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read ready line");
    let url = line
        .trim()
        .strip_prefix("ready ")
        .expect("ready line")
        .to_string();
    let token = std::fs::read_to_string(state.join("token"))
        .expect("token")
        .trim()
        .to_string();
    let ca = std::fs::read(state.join("ca.crt")).expect("ca");
    let ca = reqwest::Certificate::from_pem(&ca).expect("ca pem");
    let client = reqwest::Client::builder().add_root_certificate(ca.clone());
    // Past HTTP/2's 100 streams, a watcher each needs its own connection.
    let client = if setting("BENCH_WATCHERS", 100) > 100 {
        client.http1_only()
    } else {
        client
    };
    let client = client.build().expect("client");
    Server {
        child,
        url,
        token,
        client,
        ca,
        state,
        _dir: dir,
    }
}

/// The server's HTTP/2 limit of streams per connection (listener.rs).
const STREAMS_PER_CONNECTION: usize = 100;

/// The clients the watchers use: with `BENCH_H2`, one HTTP/2 client (one
/// connection) per 100 watchers; otherwise the server's client.
fn watch_clients(server: &Server, watchers: usize) -> Vec<reqwest::Client> {
    if setting("BENCH_H2", 0) == 0 {
        return vec![server.client.clone()];
    }
    (0..watchers.div_ceil(STREAMS_PER_CONNECTION))
        .map(|_| {
            reqwest::Client::builder()
                .add_root_certificate(server.ca.clone())
                .http2_prior_knowledge()
                .build()
                .expect("HTTP/2 client")
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(index).copied().unwrap_or_default()
}

fn summary(name: &str, mut samples: Vec<Duration>, elapsed: Duration) -> String {
    samples.sort();
    let rate = samples.len() as f64 / elapsed.as_secs_f64();
    format!(
        "| {name} | {} | {:.2} | {:.2} | {:.2} | {rate:.0} |",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e3,
        percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    )
}

/// `requests` requests of `path` from `concurrency` tasks.
async fn load(
    server: &Arc<Server>,
    path: &str,
    requests: usize,
    concurrency: usize,
) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let server = server.clone();
        let url = format!("{}{path}", server.url);
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            for _ in 0..requests / concurrency {
                let t = Instant::now();
                let response = server
                    .client
                    .get(&url)
                    .bearer_auth(&server.token)
                    .send()
                    .await
                    .expect("request");
                assert!(response.status().is_success());
                response.bytes().await.expect("body");
                samples.push(t.elapsed());
            }
            samples
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("task"));
    }
    (all, started.elapsed())
}

/// `runs` runs of `kubectl get <plural>` against the server.
fn kubectl_get(server: &Server, plural: &str, runs: usize) -> (Vec<Duration>, Duration) {
    let started = Instant::now();
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let status = Command::new("kubectl")
                .args(["get", plural])
                .env("KUBECONFIG", server.state.join("kubeconfig"))
                .env("HOME", server._dir.path())
                .stdout(Stdio::null())
                .status()
                .expect("run kubectl");
            assert!(status.success());
            t.elapsed()
        })
        .collect();
    (samples, started.elapsed())
}

/// `watched-N` if a watch line names such an object.
fn watched_name(line: &[u8]) -> Option<String> {
    let at = line.windows(8).position(|w| w == b"watched-")?;
    let digits = line[at + 8..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    String::from_utf8(line[at..at + 8 + digits].to_vec()).ok()
}

/// The store revision, read by a one-item LIST.
async fn revision(server: &Server, path: &str) -> String {
    let list: serde_json::Value = server
        .client
        .get(format!("{}{path}?limit=1", server.url))
        .bearer_auth(&server.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or("0")
        .to_string()
}

async fn run() {
    let objects = setting("BENCH_OBJECTS", 100);
    let watchers = setting("BENCH_WATCHERS", 100);
    let pods = std::env::var("BENCH_KIND").is_ok_and(|k| k == "pods");
    let server = Arc::new(start());
    let pid = server.child.id();
    let cm = "/api/v1/namespaces/default/configmaps";
    let (listed, plural) = if pods {
        ("/api/v1/namespaces/default/pods", "pods")
    } else {
        (cm, "configmaps")
    };
    for i in 0..objects {
        let body = if pods {
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("pod-{i}"), "labels": {"app": "bench"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        } else {
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"k": "v"}})
        };
        let response = server
            .client
            .post(format!("{}{listed}", server.url))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .await
            .expect("create");
        assert!(response.status().is_success());
    }
    // The kubelet and controllers settle the new objects: wait for a quiet
    // second (a benchmark, not a test: nothing to watch for).
    let mut last = String::new();
    loop {
        let now = revision(&server, listed).await;
        if now == last {
            break;
        }
        last = now;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut rows = Vec::new();
    let one = if pods { "pod-1" } else { "cm-1" };
    // Request counts scale down for big lists (BENCH_SCALE, default 1).
    let scale = setting("BENCH_SCALE", 1).max(1);
    let lists = if objects >= 1000 { 200 } else { 500 } / scale;
    let gets = 2000 / scale;
    for (name, path, requests, concurrency) in [
        (
            "GET one object, 1 client".to_string(),
            format!("{listed}/{one}"),
            gets,
            1,
        ),
        (
            "GET one object, 16 clients".to_string(),
            format!("{listed}/{one}"),
            gets * 4,
            16,
        ),
        (
            format!("LIST {objects} {plural}, 1 client"),
            listed.to_string(),
            lists,
            1,
        ),
        (
            format!("LIST {objects} {plural}, 16 clients"),
            listed.to_string(),
            (lists * 4).max(16),
            16,
        ),
        (
            format!("LIST {objects} {plural} limit=10, 1 client"),
            format!("{listed}?limit=10"),
            1000 / scale,
            1,
        ),
    ] {
        let ticks = cpu_ticks(pid);
        let (samples, elapsed) = load(&server, &path, requests, concurrency).await;
        let cpu_ms = (cpu_ticks(pid) - ticks) as f64 * 10.0 / requests as f64;
        rows.push(format!(
            "{} {cpu_ms:.2} |",
            summary(&name, samples, elapsed)
        ));
    }
    let ticks = cpu_ticks(pid);
    let runs = (20 / scale).max(5);
    let (samples, elapsed) = kubectl_get(&server, plural, runs);
    let cpu_ms = (cpu_ticks(pid) - ticks) as f64 * 10.0 / runs as f64;
    rows.push(format!(
        "{} {cpu_ms:.2} |",
        summary(
            &format!("kubectl get {plural} ({objects})"),
            samples,
            elapsed
        )
    ));

    // Watch fan-out: 100 watchers; each write's delay until every watcher has it.
    let mut receivers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(watchers);
    let clients = watch_clients(&server, watchers);
    // One revision for all: a LIST each on the server's HTTP/1.1 client
    // would open a thousand more connections at once beside the watches.
    let rv = revision(&server, cm).await;
    for i in 0..watchers {
        let server = server.clone();
        let client = clients[i / STREAMS_PER_CONNECTION % clients.len()].clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
        let ready = ready_tx.clone();
        let rv = rv.clone();
        tokio::spawn(async move {
            let url = format!(
                "{}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}",
                server.url
            );
            let response = client
                .get(&url)
                .bearer_auth(&server.token)
                .send()
                .await
                .expect("watch");
            let _ = ready.send(()).await;
            let mut stream = response.bytes_stream();
            let mut buffer = Vec::new();
            while let Some(Ok(chunk)) = stream.next().await {
                buffer.extend_from_slice(&chunk);
                while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    // No JSON parse: a thousand watchers in one client
                    // would measure the client.
                    if let Some(name) = watched_name(&line) {
                        let _ = tx.send((name, Instant::now()));
                    }
                }
            }
        });
        receivers.push(rx);
    }
    for _ in 0..watchers {
        ready_rx.recv().await;
    }
    let threads_ready = threads(pid);
    // The mark a profiler waits for (docs/benchmarks.md attaches perf here).
    eprintln!("fan-out: {watchers} watchers open, server pid {pid}");
    let mut fanout = Vec::new();
    let fanout_ticks = cpu_ticks(pid);
    let started = Instant::now();
    let writes = setting("BENCH_WRITES", WATCHED_WRITES).max(1);
    for i in 0..writes {
        let name = format!("watched-{i}");
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}});
        let sent = Instant::now();
        server
            .client
            .post(format!("{}{cm}", server.url))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .await
            .expect("create");
        let mut last = sent;
        for rx in receivers.iter_mut() {
            loop {
                let (got, at) = rx.recv().await.expect("event");
                if got == name {
                    last = last.max(at);
                    break;
                }
            }
        }
        fanout.push(last - sent);
    }
    let fanout_cpu = (cpu_ticks(pid) - fanout_ticks) as f64 * 10.0 / writes as f64;
    rows.push(format!(
        "{} {fanout_cpu:.2} |",
        summary(
            &format!(
                "watch fan-out: write to all {watchers} watchers{}",
                if setting("BENCH_H2", 0) != 0 {
                    format!(" on {} HTTP/2 connections", clients.len())
                } else {
                    String::new()
                }
            ),
            fanout,
            started.elapsed(),
        )
    ));
    println!(
        "| operation | requests | p50 ms | p99 ms | max ms | per second | server CPU ms each |"
    );
    println!("|---|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
    println!(
        "server threads with {watchers} watchers open: {threads_ready} once all had started, {} after the writes",
        threads(pid)
    );
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}
