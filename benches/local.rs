//! Benchmark of the local control plane (not a test): GET and LIST latency
//! and throughput, and watch fan-out to 100 watchers. Run with
//! `cargo bench --bench local`; the figures go to docs/benchmarks.md.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;

const OBJECTS: usize = 100;
const WATCHERS: usize = 100;
const WATCHED_WRITES: usize = 50;

struct Server {
    child: std::process::Child,
    url: String,
    token: String,
    client: reqwest::Client,
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
    let mut child = Command::new(env!("CARGO_BIN_EXE_petctl"))
        .args(["local", "up", "--port", "0", "--state-dir"])
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
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
        .build()
        .expect("client");
    Server {
        child,
        url,
        token,
        client,
        _dir: dir,
    }
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

async fn run() {
    let server = Arc::new(start());
    let cm = "/api/v1/namespaces/default/configmaps";
    for i in 0..OBJECTS {
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"k": "v"}});
        let response = server
            .client
            .post(format!("{}{cm}", server.url))
            .bearer_auth(&server.token)
            .json(&body)
            .send()
            .await
            .expect("create");
        assert!(response.status().is_success());
    }
    let mut rows = Vec::new();
    for (name, path, requests, concurrency) in [
        ("GET one object, 1 client", format!("{cm}/cm-1"), 2000, 1),
        ("GET one object, 16 clients", format!("{cm}/cm-1"), 8000, 16),
        ("LIST 100 objects, 1 client", cm.to_string(), 500, 1),
        ("LIST 100 objects, 16 clients", cm.to_string(), 2000, 16),
    ] {
        let (samples, elapsed) = load(&server, &path, requests, concurrency).await;
        rows.push(summary(name, samples, elapsed));
    }

    // Watch fan-out: 100 watchers; each write's delay until every watcher has it.
    let mut receivers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(WATCHERS);
    for _ in 0..WATCHERS {
        let server = server.clone();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
        let ready = ready_tx.clone();
        tokio::spawn(async move {
            let current = format!(
                "{}/api/v1/namespaces/default/configmaps?limit=1",
                server.url
            );
            let list: serde_json::Value = server
                .client
                .get(&current)
                .bearer_auth(&server.token)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            let rv = list["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("0")
                .to_string();
            let url = format!(
                "{}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}",
                server.url
            );
            let response = server
                .client
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
                    let event: serde_json::Value =
                        serde_json::from_slice(&line).unwrap_or_default();
                    if let Some(name) = event["object"]["metadata"]["name"].as_str() {
                        let _ = tx.send((name.to_string(), Instant::now()));
                    }
                }
            }
        });
        receivers.push(rx);
    }
    for _ in 0..WATCHERS {
        ready_rx.recv().await;
    }
    let mut fanout = Vec::new();
    let started = Instant::now();
    for i in 0..WATCHED_WRITES {
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
    rows.push(summary(
        &format!("watch fan-out: write to all {WATCHERS} watchers"),
        fanout,
        started.elapsed(),
    ));
    println!("| operation | requests | p50 ms | p99 ms | max ms | per second |");
    println!("|---|---|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(run());
}
