//! The containers of a started pod, run by run: probes decide `started`
//! and `ready` (without a readiness probe a container is Ready after the
//! ready delay), a failed liveness or startup probe or an `exit-after`
//! ends the run, and the crash-loop back-off decides when the next one
//! starts (unless the restartPolicy ends the pod: Succeeded or Failed). The containers of a pod share their runs: a fault annotation
//! speaks for the whole pod.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::faults::Faults;
use super::probes::{Outcome, Probe, ProbeKind, Step, Worker};
use super::status::{pod_status, Exit, Live, Sim};
use super::{back_off_event, container_names, image_of, Kubelet, COMPONENT};
use crate::controllers::cache::Key;
use crate::controllers::events;
use crate::controllers::runner::{Ctx, Next};
use crate::registry::error::ApiError;
use crate::registry::meta;

/// The exit code of a container killed after a failed liveness probe
/// (SIGKILL, 128 + 9).
const KILLED: i32 = 137;

/// One run of a pod's containers, or the back-off after it.
#[derive(Debug, Clone)]
pub(super) struct Run {
    started: Instant,
    started_at: String,
    restarts: i64,
    last_exit: Option<Exit>,
    /// While waiting out a back-off: when the containers start again, and
    /// the back-off.
    restart: Option<(Instant, Duration)>,
    /// The last exit was for good (restartPolicy Never, or OnFailure
    /// after a success).
    finished: bool,
    workers: Vec<Worker>,
}

/// Whether the pod's restartPolicy restarts a container that exited with
/// `code` (pkg/kubelet/container's `ShouldContainerBeRestarted`).
pub(crate) fn restarts_after(pod: &Value, code: i32) -> bool {
    match meta::str_at(pod, "/spec/restartPolicy") {
        "Never" => false,
        "OnFailure" => code != 0,
        _ => true,
    }
}

fn workers(pod: &Value, started: Instant, probe_scale: f64) -> Vec<Worker> {
    let ip = meta::str_at(pod, "/status/podIP");
    let containers = meta::at(pod, "/spec/containers").and_then(Value::as_array);
    let mut workers = Vec::new();
    for kind in ProbeKind::ALL {
        for container in containers.into_iter().flatten() {
            if let Some(probe) = Probe::of(container, kind, ip).map(|p| p.scaled(probe_scale)) {
                let name = meta::str_at(container, "/name");
                workers.push(Worker::new(kind, name, probe, started));
            }
        }
    }
    workers
}

/// What one step of a run did, for the events.
#[derive(Default)]
struct Happened {
    unhealthy: Vec<String>,
    killed: Vec<String>,
    backing_off: bool,
    restarted: bool,
}

impl Run {
    /// A run starting now, after `restarts` restarts; its probes' timing
    /// scaled by `probe_scale` (`local up --probe-scale`).
    pub(super) fn start(
        pod: &Value,
        at: Instant,
        restarts: i64,
        last_exit: Option<Exit>,
        probe_scale: f64,
    ) -> Run {
        Run {
            started: at,
            started_at: meta::now(),
            restarts,
            last_exit,
            restart: None,
            finished: false,
            workers: workers(pod, at, probe_scale),
        }
    }

    /// The run of a pod found Running (after a restart of the control
    /// plane): its restarts, start time and readiness as the status has
    /// them, so that a Ready pod stays Ready.
    fn resume(pod: &Value, now: Instant, delay: Duration, probe_scale: f64) -> Run {
        let status = meta::at(pod, "/status/containerStatuses/0");
        let restarts = status
            .and_then(|s| s.get("restartCount"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let ready = crate::controllers::pods::is_ready(pod);
        let started = if ready {
            now.checked_sub(delay).unwrap_or(now)
        } else {
            now
        };
        let mut run = Run::start(pod, started, restarts, None, probe_scale);
        if let Some(since) = status
            .and_then(|s| meta::at(s, "/state/running/startedAt"))
            .and_then(Value::as_str)
        {
            run.started_at = since.to_string();
        }
        for worker in &mut run.workers {
            worker.assume(ready);
        }
        run
    }

    /// Since when a container passed its startup probe (at once without one).
    fn running_since(&self, container: &str) -> Option<Instant> {
        match self
            .workers
            .iter()
            .find(|w| w.kind == ProbeKind::Startup && w.container == container)
        {
            Some(w) => w.result().then(|| w.since()),
            None => Some(self.started),
        }
    }

    /// Runs the probes due by `now`; returns when a failed liveness or
    /// startup probe killed the containers.
    fn probe(
        &mut self,
        now: Instant,
        up: Instant,
        faults: &Faults,
        happened: &mut Happened,
    ) -> Option<Instant> {
        let mut killed_at: Option<Instant> = None;
        for kind in ProbeKind::ALL {
            let fails = match kind {
                ProbeKind::Startup => false,
                ProbeKind::Liveness => faults.liveness_fails,
                ProbeKind::Readiness => faults.readiness_fails,
            };
            let outcome = |t: Instant| match (fails, t < up) {
                (true, _) => Outcome::Hung,
                (false, true) => Outcome::Refused,
                (false, false) => Outcome::Success,
            };
            for i in 0..self.workers.len() {
                if self.workers[i].kind != kind {
                    continue;
                }
                let running = self.running_since(&self.workers[i].container);
                let worker = &mut self.workers[i];
                for step in worker.advance(now, self.started, running, outcome) {
                    match step {
                        Step::Failed(message) => happened
                            .unhealthy
                            .push(format!("{} probe failed: {message}", kind.title())),
                        Step::Kill => {
                            let how = kind.title().to_ascii_lowercase();
                            happened.killed.push(format!(
                                "Container {} failed {how} probe, will be restarted",
                                worker.container
                            ));
                            let at = worker.since();
                            killed_at = Some(killed_at.map_or(at, |k| k.min(at)));
                        }
                    }
                }
            }
        }
        killed_at
    }

    /// The containers' `ready` and `started` as of `now`.
    fn live(&self, pod: &Value, up: Instant, now: Instant) -> Live {
        let containers = container_names(pod)
            .iter()
            .map(|name| {
                let started = self.running_since(name).is_some_and(|at| at <= now);
                let readiness = self
                    .workers
                    .iter()
                    .find(|w| w.kind == ProbeKind::Readiness && &w.container == name);
                let ready = match readiness {
                    Some(w) => w.result(),
                    None => up <= now,
                };
                (started && ready, started)
            })
            .collect();
        Live {
            containers,
            started_at: self.started_at.clone(),
            restarts: self.restarts,
            last_exit: self.last_exit.clone(),
            backing_off: self.restart.map(|(_, backoff)| backoff),
            finished: self.finished,
        }
    }

    /// When this run needs the kubelet again.
    fn wake(&self, up: Instant, now: Instant, exit_after: Option<Duration>) -> Option<Instant> {
        if self.finished {
            return None;
        }
        if let Some((at, _)) = self.restart {
            return Some(at);
        }
        let probes = self.workers.iter().filter_map(Worker::wake);
        let unprobed_ready = (up > now).then_some(up);
        let exit = exit_after.map(|d| self.started + d);
        probes.chain(unprobed_ready).chain(exit).min()
    }
}

/// What the kubelet reports of a pod's containers, without what the API
/// server may add to or normalize in a status.
fn reported(status: &Value) -> Value {
    let ready = |kind: &str| {
        status
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|c| meta::str_at(c, "/type") == kind)
            .map(|c| meta::str_at(c, "/status").to_string())
    };
    let containers: Vec<Value> = status
        .get("containerStatuses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            serde_json::json!([
                c.get("ready"),
                c.get("started"),
                c.get("restartCount"),
                c.get("state"),
                meta::at(c, "/lastState/terminated/exitCode"),
            ])
        })
        .collect();
    serde_json::json!([
        meta::str_at(status, "/phase"),
        ready("Ready"),
        ready("ContainersReady"),
        containers
    ])
}

impl Kubelet {
    /// One step of a started pod's containers: start them again after a
    /// back-off, probe them, end the run on an exit or a failed liveness
    /// probe, and report what changed.
    pub(super) fn live_step(
        &mut self,
        ctx: &mut Ctx,
        key: &Key,
        pod: &Value,
    ) -> Result<Next, ApiError> {
        let now = Instant::now();
        let faults = Faults::of(pod);
        let delay = self.ready_delay(pod);
        let initial = self.options.restart_backoff;
        let scale = self.options.probe_scale;
        let clock = self.clocks.entry(key.clone()).or_default();
        clock.uid = meta::uid(pod).to_string();
        let run = clock
            .run
            .get_or_insert_with(|| Run::resume(pod, now, delay, scale));
        let mut happened = Happened::default();
        if let Some((at, _)) = run.restart.filter(|(at, _)| *at <= now) {
            *run = Run::start(pod, at, run.restarts + 1, run.last_exit.take(), scale);
            happened.restarted = true;
        }
        if run.restart.is_none() && !run.finished {
            let exit_at = faults.exit_after.map(|d| run.started + d);
            let horizon = exit_at.map_or(now, |at| at.min(now));
            let up = run.started + delay;
            let killed = run.probe(horizon, up, &faults, &mut happened);
            let exit = match (killed, exit_at.filter(|at| *at <= now)) {
                (Some(k), Some(e)) if e < k => Some((e, faults.exit_code)),
                (Some(k), _) => Some((k, KILLED)),
                (None, Some(e)) => Some((e, faults.exit_code)),
                (None, None) => None,
            };
            if let Some((at, code)) = exit {
                run.last_exit = Some(Exit {
                    code,
                    started_at: run.started_at.clone(),
                    finished_at: meta::now(),
                });
                let backoff = clock
                    .backoff
                    .get_or_insert_with(|| super::backoff::Backoff::new(initial));
                match restarts_after(pod, code).then(|| backoff.next_start(at)) {
                    None => run.finished = true,
                    Some((start, None)) => {
                        *run =
                            Run::start(pod, start, run.restarts + 1, run.last_exit.take(), scale);
                        happened.restarted = true;
                    }
                    Some((start, Some(waited))) => {
                        run.restart = Some((start, waited));
                        happened.backing_off = true;
                    }
                }
            }
        }
        let up = run.started + delay;
        let live = run.live(pod, up, now);
        let wake = run.wake(up, now, faults.exit_after);
        let status = pod_status(pod, Sim::Live(&live), None, &meta::now());
        let unchanged = pod.get("status").map(reported) == Some(reported(&status));
        if !unchanged {
            Self::write_status(ctx, pod, status);
        }
        Self::record(ctx, pod, happened);
        // A run that just ended or started is stepped again at once: its
        // probes start from the new run.
        Ok(match wake {
            Some(at) => Next::At(at),
            None => Next::Done,
        })
    }

    fn record(ctx: &mut Ctx, pod: &Value, happened: Happened) {
        for message in happened.unhealthy {
            events::warning(ctx, pod, COMPONENT, "Unhealthy", message);
        }
        for message in happened.killed {
            events::normal(ctx, pod, COMPONENT, "Killing", message);
        }
        if happened.backing_off {
            back_off_event(ctx, pod);
        }
        if happened.restarted {
            Self::started_events(ctx, pod);
        }
    }

    /// The events of containers (re)started from an image already present.
    pub(super) fn started_events(ctx: &mut Ctx, pod: &Value) {
        for container in container_names(pod) {
            let image = image_of(pod, &container);
            let message = format!("Container image \"{image}\" already present on machine");
            events::normal(ctx, pod, COMPONENT, "Pulled", message);
            let message = format!("Created container {container}");
            events::normal(ctx, pod, COMPONENT, "Created", message);
            let message = format!("Started container {container}");
            events::normal(ctx, pod, COMPONENT, "Started", message);
        }
    }
}
