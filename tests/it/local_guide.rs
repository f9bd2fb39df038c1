//! The PetSet guide, step by step, with the real kubectl against the local
//! control plane: ordered creation, claims, identity, recreation, scaling,
//! image change, orphaning and claim deletion. Also home to the kubectl
//! helpers (a cluster and a watch timeline) the other controller tests use.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::support::{
    await_watch, kubectl_or_skip, kubectl_with, repo_root, stderr_lines, test_name, LocalServer,
    Run,
};

/// A local control plane and the real kubectl pointed at it.
pub struct Cluster {
    binary: PathBuf,
    pub server: LocalServer,
}

impl Cluster {
    /// Starts a server with `flags` (e.g. `OBSERVABLE_SIM`), or None when
    /// kubectl is missing.
    pub fn start(flags: &[&str]) -> Option<Self> {
        let binary = kubectl_or_skip(&test_name())?;
        Some(Cluster {
            binary,
            server: LocalServer::start_with(flags),
        })
    }

    /// kubectl on `server`, or None when kubectl is missing.
    pub fn on(server: LocalServer) -> Option<Self> {
        let binary = kubectl_or_skip(&test_name())?;
        Some(Cluster { binary, server })
    }

    pub fn run(&self, args: &[&str]) -> Run {
        kubectl_with(&self.binary, &self.server, args, None)
    }

    pub fn run_in(&self, args: &[&str], stdin: &str) -> Run {
        kubectl_with(&self.binary, &self.server, args, Some(stdin.as_bytes()))
    }

    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        if run.code != 0 {
            panic!("{run}\n--- server log ---\n{}", self.server.log_tail());
        }
        run.stdout
    }

    #[track_caller]
    pub fn ok_in(&self, args: &[&str], stdin: &str) -> String {
        let run = kubectl_with(&self.binary, &self.server, args, Some(stdin.as_bytes()));
        if run.code != 0 {
            panic!("{run}\n--- server log ---\n{}", self.server.log_tail());
        }
        run.stdout
    }

    /// `kubectl get ARGS -o json`, parsed.
    #[track_caller]
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["get"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["-o", "json"]);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }

    /// Waits (kubectl wait) for each pod to exist and then to be Ready.
    #[track_caller]
    pub fn wait_ready(&self, pods: &[&str]) {
        for pod in pods {
            let name = format!("pod/{pod}");
            self.ok(&["wait", "--for=create", &name, "--timeout=60s"]);
            self.ok(&["wait", "--for=condition=Ready", &name, "--timeout=60s"]);
        }
    }

    /// Waits (kubectl wait, 60 s) until each of `objects` (`pod/web-4`,
    /// `pvc/www-web-0` ...) is gone.
    #[track_caller]
    pub fn wait_gone(&self, objects: &[&str]) {
        self.ok(&[&["wait", "--for=delete", "--timeout=60s"], objects].concat());
    }

    /// Starts `kubectl get ARGS --watch --output-watch-events -o json`.
    pub fn watch(&self, args: &[&str]) -> Watch {
        let home = self.server.dir.path().join("kubectl-home");
        let _ = std::fs::create_dir_all(&home);
        let mut child = Command::new(&self.binary)
            .arg("get")
            .args(args)
            .args(["--watch", "--output-watch-events", "-o", "json", "-v=6"])
            .env("KUBECONFIG", self.server.kubeconfig())
            .env("HOME", &home)
            .current_dir(repo_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn kubectl get --watch");
        let requests = stderr_lines(&mut child);
        let mut stdout = child.stdout.take().expect("stdout");
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .expect("watch buffer")
                    .extend_from_slice(&chunk[..n]);
                let _ = tx.send(());
            }
        });
        // Once the watch request is answered, every later change shows up.
        await_watch(&requests, "");
        Watch {
            child,
            buffer,
            arrivals: rx,
            reader,
        }
    }
}

/// A running `kubectl get --watch`; `stop` returns its events in order.
pub struct Watch {
    child: Child,
    buffer: Arc<Mutex<Vec<u8>>>,
    arrivals: std::sync::mpsc::Receiver<()>,
    reader: std::thread::JoinHandle<()>,
}

impl Watch {
    /// The events seen so far (the watch keeps running).
    pub fn events(&self) -> Vec<Value> {
        events_in(&self.buffer)
    }

    /// Blocks until an event satisfies `condition` (checked as output
    /// arrives), or panics after `timeout` with the events seen.
    #[track_caller]
    pub fn wait_for(
        &self,
        what: &str,
        timeout: std::time::Duration,
        condition: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let events = self.events();
            if let Some(found) = events.iter().find(|e| condition(e)) {
                return found.clone();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                panic!(
                    "timed out waiting for {what}; events:\n{}",
                    summary(&events)
                );
            }
            if let Err(std::sync::mpsc::RecvTimeoutError::Disconnected) =
                self.arrivals.recv_timeout(left)
            {
                if let Some(found) = self.events().iter().find(|e| condition(e)) {
                    return found.clone();
                }
                panic!(
                    "the watch ended before {what}; events:\n{}",
                    summary(&events)
                );
            }
        }
    }

    /// Stops the watch and returns every event it printed.
    pub fn stop(self) -> Vec<Value> {
        let Watch {
            mut child,
            buffer,
            reader,
            ..
        } = self;
        let _ = child.kill();
        let _ = child.wait();
        let _ = reader.join();
        events_in(&buffer)
    }
}

/// The watch events printed into `buffer` so far.
fn events_in(buffer: &Mutex<Vec<u8>>) -> Vec<Value> {
    let bytes = buffer.lock().expect("watch buffer").clone();
    serde_json::Deserializer::from_slice(&bytes)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect()
}

pub fn name(event: &Value) -> &str {
    event["object"]["metadata"]["name"].as_str().unwrap_or("")
}

pub fn is_ready(pod: &Value) -> bool {
    pod["status"]["phase"] == "Running"
        && pod["status"]["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The index of the first event that satisfies `condition`.
#[track_caller]
pub fn first(events: &[Value], what: &str, condition: impl Fn(&Value) -> bool) -> usize {
    events
        .iter()
        .position(condition)
        .unwrap_or_else(|| panic!("no event where {what} in\n{}", summary(events)))
}

/// The first event in which `pod` is gone.
#[track_caller]
pub fn deleted(events: &[Value], pod: &str) -> usize {
    first(events, &format!("{pod} deleted"), |e| {
        name(e) == pod && e["type"] == "DELETED"
    })
}

/// The first event in which `pod` has a deletionTimestamp.
#[track_caller]
pub fn terminating(events: &[Value], pod: &str) -> usize {
    first(events, &format!("{pod} terminating"), |e| {
        name(e) == pod && !e["object"]["metadata"]["deletionTimestamp"].is_null()
    })
}

/// One line per event: type, name, phase, ready, deleting.
pub fn summary(events: &[Value]) -> String {
    events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} ready={} deleting={}",
                e["type"].as_str().unwrap_or("?"),
                name(e),
                e["object"]["status"]["phase"].as_str().unwrap_or(""),
                is_ready(&e["object"]),
                !e["object"]["metadata"]["deletionTimestamp"].is_null()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts that each pet in `order` first appears only after the one
/// before it was Running and Ready.
#[track_caller]
pub fn assert_created_in_order(events: &[Value], order: &[&str]) {
    for pair in order.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let ready = first(events, &format!("{before} is Ready"), |e| {
            name(e) == before && is_ready(&e["object"])
        });
        let created = first(events, &format!("{after} exists"), |e| name(e) == after);
        assert!(
            ready < created,
            "{after} appeared before {before} was Ready:\n{}",
            summary(events)
        );
    }
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_petset_guide_step_by_step() {
    let Some(k) = Cluster::start(crate::support::OBSERVABLE_SIM) else {
        return;
    };

    // 1. Create: web-0, then web-1 only once web-0 is Running and Ready.
    let watch = k.watch(&["pods", "-l", "app=nginx"]);
    assert_eq!(
        k.ok(&["create", "-f", "examples/petset.yaml"]),
        "service/nginx created\npetset.apps/web created\n"
    );
    k.wait_ready(&["web-0", "web-1"]);
    let events = watch.stop();
    assert_created_in_order(&events, &["web-0", "web-1"]);
    assert_eq!(
        k.ok(&["logs", "web-0"]),
        "[petctl local kubelet] container nginx started from image gcr.io/google_containers/nginx-slim:0.8 (a simulated container: it writes no output of its own)\n"
    );
    let pod = &events[first(&events, "web-0 is pending", |e| {
        name(e) == "web-0"
            && e["object"]["status"]["phase"] == "Pending"
            && !e["object"]["spec"]["nodeName"].is_null()
    })]["object"];
    assert_eq!(pod["spec"]["nodeName"], "local-node-0");

    // 2. The claims are Bound, each to its own volume.
    let claims = k.json(&["pvc", "-l", "app=nginx"]);
    assert_eq!(names(&claims), ["www-web-0", "www-web-1"]);
    let mut volumes = Vec::new();
    for claim in claims["items"].as_array().unwrap() {
        assert_eq!(claim["status"]["phase"], "Bound", "{claim}");
        assert_eq!(claim["status"]["capacity"]["storage"], "1Gi");
        volumes.push(claim["spec"]["volumeName"].as_str().unwrap().to_string());
    }
    let pvs = k.ok(&["get", "pv", "--no-headers"]);
    for (volume, claim) in volumes
        .iter()
        .zip(["default/www-web-0", "default/www-web-1"])
    {
        let line = pvs
            .lines()
            .find(|l| l.starts_with(volume.as_str()))
            .unwrap_or_else(|| panic!("{volume} in\n{pvs}"));
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            &columns[1..6],
            ["1Gi", "RWO", "Delete", "Bound", claim],
            "{line}"
        );
    }

    // 3. Identity: hostname and subdomain, as fields and as 1.4 annotations.
    for pet in ["web-0", "web-1"] {
        let pod = k.json(&["pod", pet]);
        assert_eq!(pod["spec"]["hostname"], pet);
        assert_eq!(pod["spec"]["subdomain"], "nginx");
        assert_eq!(
            pod["metadata"]["annotations"]["pod.beta.kubernetes.io/hostname"],
            pet
        );
        assert_eq!(
            pod["metadata"]["annotations"]["pod.beta.kubernetes.io/subdomain"],
            "nginx"
        );
        assert!(!pod["status"]["podIP"].as_str().unwrap_or("").is_empty());
        assert_eq!(
            pod["status"]["containerStatuses"][0]["image"],
            "gcr.io/google_containers/nginx-slim:0.8"
        );
    }

    // 4. Deleted pets come back with the same names and claims.
    let before = k.json(&["pods", "-l", "app=nginx"]);
    assert_eq!(
        k.ok(&["delete", "po", "-l", "app=nginx"]),
        "pod \"web-0\" deleted\npod \"web-1\" deleted\n"
    );
    k.wait_ready(&["web-0", "web-1"]);
    let after = k.json(&["pods", "-l", "app=nginx"]);
    assert_eq!(names(&after), ["web-0", "web-1"]);
    for (old, new) in before["items"]
        .as_array()
        .unwrap()
        .iter()
        .zip(after["items"].as_array().unwrap())
    {
        assert_ne!(old["metadata"]["uid"], new["metadata"]["uid"]);
        assert_eq!(old["spec"]["volumes"], new["spec"]["volumes"]);
    }
    let claims = k.json(&["pvc", "-l", "app=nginx"]);
    let rebound: Vec<&str> = claims["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spec"]["volumeName"].as_str().unwrap())
        .collect();
    assert_eq!(rebound, volumes);

    // 5. Scaling to 5 adds web-2, web-3 and web-4 in order.
    let watch = k.watch(&["pods", "-l", "app=nginx"]);
    k.ok(&["patch", "petset", "web", "-p", r#"{"spec":{"replicas":5}}"#]);
    k.wait_ready(&["web-2", "web-3", "web-4"]);
    let events = watch.stop();
    assert_created_in_order(&events, &["web-1", "web-2", "web-3", "web-4"]);

    // 6. Scaling to 3 removes web-4, then web-3; all 5 claims remain.
    let watch = k.watch(&["pods", "-l", "app=nginx"]);
    k.ok(&["patch", "petset", "web", "-p", r#"{"spec":{"replicas":3}}"#]);
    k.wait_gone(&["pod/web-4", "pod/web-3"]);
    let events = watch.stop();
    let web4_gone = deleted(&events, "web-4");
    // The guide's pets have a grace period of 0, so they go at once.
    let web3_dying = first(&events, "web-3 terminating", |e| {
        name(e) == "web-3"
            && (e["type"] == "DELETED" || !e["object"]["metadata"]["deletionTimestamp"].is_null())
    });
    assert!(
        web4_gone < web3_dying,
        "web-3 went before web-4 was gone:\n{}",
        summary(&events)
    );
    assert_eq!(
        names(&k.json(&["pods", "-l", "app=nginx"])),
        ["web-0", "web-1", "web-2"]
    );
    let claims = k.json(&["pvc", "-l", "app=nginx"]);
    assert_eq!(
        names(&claims),
        [
            "www-web-0",
            "www-web-1",
            "www-web-2",
            "www-web-3",
            "www-web-4"
        ]
    );
    assert!(claims["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["status"]["phase"] == "Bound"));

    // 7. A new image plus deleting the pets brings the new image.
    k.ok(&["patch", "petset", "web", "--type=json", "-p",
        r#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"gcr.io/google_containers/nginx-slim:0.7"}]"#]);
    k.ok(&["delete", "po", "web-0", "web-1", "web-2"]);
    k.wait_ready(&["web-0", "web-1", "web-2"]);
    let pods = k.json(&["pods", "-l", "app=nginx"]);
    for pod in pods["items"].as_array().unwrap() {
        assert_eq!(
            pod["spec"]["containers"][0]["image"],
            "gcr.io/google_containers/nginx-slim:0.7"
        );
        assert_eq!(
            pod["status"]["containerStatuses"][0]["image"],
            "gcr.io/google_containers/nginx-slim:0.7"
        );
    }

    // The set's events tell the story.
    let events = k.ok(&[
        "get",
        "events",
        "--field-selector",
        "involvedObject.kind=PetSet,involvedObject.name=web",
        "-o",
        "custom-columns=REASON:.reason,MESSAGE:.message",
        "--no-headers",
    ]);
    for line in [
        "SuccessfulCreate   pvc: www-web-0",
        "SuccessfulCreate   pet: web-4",
        "SuccessfulDelete   pet: web-4",
        "SuccessfulCreate   pet: web-0 (recreated with its claims)",
    ] {
        assert!(
            events
                .lines()
                .any(|l| l.split_whitespace().eq(line.split_whitespace())),
            "{line} in\n{events}"
        );
    }

    // 8. Deleting the set with --cascade=orphan leaves the pets running.
    let uids: Vec<Value> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["uid"].clone())
        .collect();
    assert_eq!(
        k.ok(&["delete", "petset", "web", "--cascade=orphan"]),
        "petset.apps \"web\" deleted\n"
    );
    k.ok(&["wait", "--for=delete", "petset/web", "--timeout=30s"]);
    let pods = k.json(&["pods", "-l", "app=nginx"]);
    let kept: Vec<Value> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["uid"].clone())
        .collect();
    assert_eq!(kept, uids);
    for pod in pods["items"].as_array().unwrap() {
        assert!(is_ready(pod), "{pod}");
        assert!(
            pod["metadata"]["ownerReferences"]
                .as_array()
                .is_none_or(|r| r.is_empty()),
            "{pod}"
        );
    }

    // 9. Deleting the claims (once their pets are gone) deletes the volumes.
    k.ok(&["delete", "po", "-l", "app=nginx"]);
    let all_volumes: Vec<String> = k.json(&["pv"])["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("pv/{}", v["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(all_volumes.len(), 5);
    k.ok(&["delete", "pvc", "-l", "app=nginx"]);
    k.wait_gone(&all_volumes.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(k.run(&["get", "pv"]).stderr, "No resources found\n");
    let dir = k.server.state_dir().join("volumes");
    assert_eq!(
        std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0),
        0,
        "{}",
        dir.display()
    );
}
