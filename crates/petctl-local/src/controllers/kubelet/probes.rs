//! Startup, liveness and readiness probes as the kubelet's prober workers
//! run them (pkg/kubelet/prober/worker.go): a probe every periodSeconds
//! from the container's start, none before initialDelaySeconds, a result
//! that changes only after successThreshold or failureThreshold equal
//! outcomes in a row, and a hung probe that fails after timeoutSeconds.
//! Liveness and readiness wait for the startup probe. The simulated
//! application answers "connection refused" until it is up (the ready
//! delay) and hangs while an annotation makes its probe fail.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::registry::meta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    pub const ALL: [ProbeKind; 3] = [
        ProbeKind::Startup,
        ProbeKind::Liveness,
        ProbeKind::Readiness,
    ];

    fn field(self) -> &'static str {
        match self {
            ProbeKind::Startup => "startupProbe",
            ProbeKind::Liveness => "livenessProbe",
            ProbeKind::Readiness => "readinessProbe",
        }
    }

    /// As the event's message starts: "Readiness probe failed: …".
    pub fn title(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }

    /// The result before any probe: readiness fails, liveness passes,
    /// startup is not yet (newWorker's initialValue).
    fn initial(self) -> bool {
        self == ProbeKind::Liveness
    }
}

/// What a probe is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Handler {
    Http { url: String },
    Tcp { address: String },
    Exec { command: String },
    Grpc { port: String },
}

/// One probe of a container's spec, with the API's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    initial_delay: Duration,
    period: Duration,
    timeout: Duration,
    /// When a probe that gets no answer fails: `timeout`, scaled.
    timeout_after: Duration,
    success_threshold: u32,
    failure_threshold: u32,
    handler: Handler,
}

/// What the simulated application answers a probe sent at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// Not up yet: nothing listens.
    Refused,
    /// Up but not answering: the probe times out.
    Hung,
}

fn seconds(probe: &Value, field: &str, default: i64, min: i64) -> Duration {
    let n = probe.get(field).and_then(Value::as_i64).unwrap_or(default);
    Duration::from_secs(n.max(min).unsigned_abs())
}

fn threshold(probe: &Value, field: &str, default: i64) -> u32 {
    let n = probe.get(field).and_then(Value::as_i64).unwrap_or(default);
    u32::try_from(n.max(1)).unwrap_or(u32::MAX)
}

/// A probe's port: a number, or the name of one of the container's ports.
fn port(container: &Value, port: Option<&Value>) -> String {
    match port {
        Some(Value::String(name)) => container
            .get("ports")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| meta::str_at(p, "/name") == name)
            .and_then(|p| p.get("containerPort"))
            .map_or_else(|| name.clone(), ToString::to_string),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

impl Probe {
    /// The container's probe of `kind`, if it has one.
    pub fn of(container: &Value, kind: ProbeKind, pod_ip: &str) -> Option<Probe> {
        let spec = container.get(kind.field()).filter(|p| p.is_object())?;
        let host = |h: &Value| match meta::str_at(h, "/host") {
            "" => pod_ip.to_string(),
            host => host.to_string(),
        };
        let handler = if let Some(h) = spec.get("httpGet") {
            let scheme = meta::str_at(h, "/scheme").to_ascii_lowercase();
            let scheme = if scheme.is_empty() {
                "http".into()
            } else {
                scheme
            };
            let url = format!(
                "{scheme}://{}:{}{}",
                host(h),
                port(container, h.get("port")),
                meta::str_at(h, "/path")
            );
            Handler::Http { url }
        } else if let Some(h) = spec.get("tcpSocket") {
            let address = format!("{}:{}", host(h), port(container, h.get("port")));
            Handler::Tcp { address }
        } else if let Some(h) = spec.get("grpc") {
            Handler::Grpc {
                port: port(container, h.get("port")),
            }
        } else {
            let words: Vec<&str> = spec
                .pointer("/exec/command")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            Handler::Exec {
                command: words.join(" "),
            }
        };
        Some(Probe {
            initial_delay: seconds(spec, "initialDelaySeconds", 0, 0),
            period: seconds(spec, "periodSeconds", 10, 1),
            timeout: seconds(spec, "timeoutSeconds", 1, 1),
            timeout_after: seconds(spec, "timeoutSeconds", 1, 1),
            success_threshold: threshold(spec, "successThreshold", 1),
            failure_threshold: threshold(spec, "failureThreshold", 3),
            handler,
        })
    }

    /// This probe with its initial delay, period and timeout times `scale`
    /// (the thresholds and the messages, which name the spec's
    /// timeoutSeconds, stay as they are).
    pub fn scaled(mut self, scale: f64) -> Probe {
        if scale != 1.0 {
            self.initial_delay = self.initial_delay.mul_f64(scale);
            self.period = self.period.mul_f64(scale);
            self.timeout_after = self.timeout_after.mul_f64(scale);
        }
        self
    }

    /// What a failed probe says, as pkg/probe's http, tcp, exec and grpc
    /// probers word a refused connection and a timeout.
    pub fn failure(&self, outcome: Outcome) -> String {
        let hung = outcome == Outcome::Hung;
        let secs = self.timeout.as_secs();
        match (&self.handler, hung) {
            (Handler::Http { url }, false) => {
                let address = url.split("://").nth(1).unwrap_or("");
                let address = address.split('/').next().unwrap_or("");
                format!("Get \"{url}\": dial tcp {address}: connect: connection refused")
            }
            (Handler::Http { url }, true) => format!(
                "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            ),
            (Handler::Tcp { address }, false) => {
                format!("dial tcp {address}: connect: connection refused")
            }
            (Handler::Tcp { address }, true) => format!("dial tcp {address}: i/o timeout"),
            (Handler::Exec { .. }, false) => String::new(),
            (Handler::Exec { command }, true) => format!("command \"{command}\" timed out"),
            (Handler::Grpc { port }, false) => {
                format!("timeout: failed to connect service \":{port}\" within {secs}s")
            }
            (Handler::Grpc { .. }, true) => {
                format!("timeout: health rpc did not complete within {secs}s")
            }
        }
    }
}

/// What one round of a worker saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A probe failed (the first failure of a run of them, as repeated
    /// events are folded into one by the recorder): what it said.
    Failed(String),
    /// A liveness or startup probe reached its failure threshold: the
    /// container is killed and restarted.
    Kill,
}

/// The prober worker of one probe of one container run.
#[derive(Debug, Clone)]
pub struct Worker {
    pub kind: ProbeKind,
    pub container: String,
    probe: Probe,
    next_tick: Instant,
    wake: Instant,
    last: Option<bool>,
    run: u32,
    result: bool,
    /// Since when the result holds.
    since: Instant,
    /// After a kill, the worker waits for the new container.
    on_hold: bool,
}

impl Worker {
    /// A worker whose first probe goes out as the container starts.
    pub fn new(kind: ProbeKind, container: &str, probe: Probe, started: Instant) -> Worker {
        Worker {
            kind,
            container: container.to_string(),
            probe,
            next_tick: started,
            wake: started,
            last: None,
            run: 0,
            result: kind.initial(),
            since: started,
            on_hold: false,
        }
    }

    /// Takes `result` as the result so far (a worker resumed for a
    /// container whose status the kubelet reported before).
    pub fn assume(&mut self, result: bool) {
        if self.kind != ProbeKind::Liveness {
            self.result = result;
        }
    }

    pub fn result(&self) -> bool {
        self.result
    }

    /// When the result last changed (for startup: when it succeeded).
    pub fn since(&self) -> Instant {
        self.since
    }

    /// When the worker has something to do next.
    pub fn wake(&self) -> Option<Instant> {
        (!self.on_hold).then_some(self.wake)
    }

    /// Runs the probes due by `now` of a container that started at
    /// `started` and passed its startup probe at `running` (None: not
    /// yet; liveness and readiness wait). `outcome(t)` is what a probe sent
    /// at `t` meets.
    pub fn advance(
        &mut self,
        now: Instant,
        started: Instant,
        running: Option<Instant>,
        outcome: impl Fn(Instant) -> Outcome,
    ) -> Vec<Step> {
        let mut steps = Vec::new();
        let period = self.probe.period;
        while !self.on_hold && self.next_tick <= now {
            let t = self.next_tick;
            self.wake = t;
            let gated = match self.kind {
                ProbeKind::Startup => self.result,
                _ => running.is_none_or(|at| t < at),
            };
            if gated || t.duration_since(started) < self.probe.initial_delay {
                self.next_tick = t + period;
                continue;
            }
            let seen = outcome(t);
            let done = if seen == Outcome::Hung {
                t + self.probe.timeout_after
            } else {
                t
            };
            if done > now {
                self.wake = done;
                return steps;
            }
            // A ticker drops the ticks a long probe missed: the next probe
            // goes out at the next tick, or at once when one was missed.
            self.next_tick = if done >= t + period { done } else { t + period };
            let success = seen == Outcome::Success;
            if self.last == Some(success) {
                self.run = self.run.saturating_add(1);
            } else {
                self.last = Some(success);
                self.run = 1;
            }
            if !success && self.run == 1 {
                steps.push(Step::Failed(self.probe.failure(seen)));
            }
            let threshold = if success {
                self.probe.success_threshold
            } else {
                self.probe.failure_threshold
            };
            if self.run < threshold || self.result == success {
                continue;
            }
            self.result = success;
            self.since = done;
            if !success && self.kind != ProbeKind::Readiness {
                self.on_hold = true;
                steps.push(Step::Kill);
            }
        }
        self.wake = self.next_tick;
        steps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(probe: Value) -> Value {
        json!({"name": "nginx", "ports": [{"name": "web", "containerPort": 80}],
               "readinessProbe": probe, "livenessProbe": probe})
    }

    fn with_startup(probe: Value) -> Value {
        let mut c = container(probe.clone());
        c["startupProbe"] = probe;
        c
    }

    #[test]
    fn probes_read_their_spec_with_the_api_defaults() {
        let c = container(json!({"httpGet": {"path": "/index.html", "port": "web"}}));
        let probe = Probe::of(&c, ProbeKind::Readiness, "10.244.0.2").unwrap();
        assert_eq!(
            (
                probe.initial_delay,
                probe.period,
                probe.timeout,
                probe.success_threshold,
                probe.failure_threshold
            ),
            (
                Duration::ZERO,
                Duration::from_secs(10),
                Duration::from_secs(1),
                1,
                3
            )
        );
        assert_eq!(
            probe.failure(Outcome::Refused),
            "Get \"http://10.244.0.2:80/index.html\": dial tcp 10.244.0.2:80: connect: connection refused"
        );
        assert_eq!(
            probe.failure(Outcome::Hung),
            "Get \"http://10.244.0.2:80/index.html\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        );
        assert!(Probe::of(&c, ProbeKind::Startup, "ip").is_none());
        assert!(Probe::of(&with_startup(json!({})), ProbeKind::Startup, "ip").is_some());
        let tcp = container(json!({"tcpSocket": {"port": 5432}, "timeoutSeconds": 3}));
        let tcp = Probe::of(&tcp, ProbeKind::Liveness, "10.244.0.3").unwrap();
        assert_eq!(
            tcp.failure(Outcome::Hung),
            "dial tcp 10.244.0.3:5432: i/o timeout"
        );
        let exec = container(json!({"exec": {"command": ["cat", "/tmp/healthy"]}}));
        let exec = Probe::of(&exec, ProbeKind::Liveness, "ip").unwrap();
        assert_eq!(
            exec.failure(Outcome::Hung),
            "command \"cat /tmp/healthy\" timed out"
        );
    }

    fn worker(kind: ProbeKind, spec: Value, started: Instant) -> Worker {
        let probe = Probe::of(&with_startup(spec), kind, "10.0.0.1").unwrap();
        Worker::new(kind, "nginx", probe, started)
    }

    #[test]
    fn readiness_follows_the_thresholds_and_the_initial_delay() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let spec = json!({"tcpSocket": {"port": 80}, "initialDelaySeconds": 2,
                          "periodSeconds": 1, "successThreshold": 2, "failureThreshold": 3});
        let mut w = worker(ProbeKind::Readiness, spec, t0);
        let up = |_| Outcome::Success;
        assert!(w.advance(s(2), t0, Some(t0), up).is_empty());
        assert!(!w.result(), "one success of two, none before 2s");
        assert_eq!(w.wake(), Some(s(3)));
        w.advance(s(3), t0, Some(t0), up);
        assert!(w.result());
        assert_eq!(w.since(), s(3));
        // From 4s on the probe hangs: each fails a second later, the third
        // failure in a row (at 4+1, 5+1, 6+1 s) makes the container unready.
        let hung = |_| Outcome::Hung;
        let steps = w.advance(s(6), t0, Some(t0), hung);
        assert_eq!(
            steps,
            [Step::Failed("dial tcp 10.0.0.1:80: i/o timeout".into())]
        );
        assert!(w.result());
        assert!(w.advance(s(7), t0, Some(t0), hung).is_empty());
        assert!(!w.result());
        assert_eq!(w.since(), s(7));
    }

    #[test]
    fn a_scaled_probe_keeps_its_thresholds_and_its_words() {
        let c = container(json!({"tcpSocket": {"port": 80}, "initialDelaySeconds": 20,
                                 "periodSeconds": 10, "timeoutSeconds": 2}));
        let probe = Probe::of(&c, ProbeKind::Readiness, "ip").unwrap();
        let fast = probe.clone().scaled(0.05);
        assert_eq!(fast.initial_delay, Duration::from_secs(1));
        assert_eq!(fast.period, Duration::from_millis(500));
        assert_eq!(fast.timeout_after, Duration::from_millis(100));
        assert_eq!(fast.failure_threshold, probe.failure_threshold);
        assert_eq!(fast.failure(Outcome::Hung), probe.failure(Outcome::Hung));
        assert_eq!(probe.clone().scaled(1.0), probe);
    }

    #[test]
    fn liveness_waits_for_startup_and_kills_at_the_threshold() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let spec = json!({"httpGet": {"port": 80}, "periodSeconds": 1, "failureThreshold": 2});
        let mut startup = worker(ProbeKind::Startup, spec.clone(), t0);
        let mut liveness = worker(ProbeKind::Liveness, spec, t0);
        let refused_until_3 = |t: Instant| {
            if t < s(3) {
                Outcome::Refused
            } else {
                Outcome::Success
            }
        };
        startup.advance(s(3), t0, None, refused_until_3);
        assert!(startup.result());
        assert_eq!(startup.since(), s(3));
        let running = Some(startup.since());
        // Before the startup probe passed, liveness did not run.
        assert!(
            liveness
                .advance(s(3), t0, running, |_| Outcome::Refused)
                .len()
                == 1
        );
        let steps = liveness.advance(s(4), t0, running, |_| Outcome::Refused);
        assert_eq!(steps, [Step::Kill]);
        assert!(!liveness.result());
        assert_eq!(liveness.wake(), None, "on hold until the restart");
    }
}
