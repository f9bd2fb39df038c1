//! The operation lease: one petctl operation at a time per set. Before it
//! changes anything, an operation writes an annotation on the set naming
//! itself (operation, holder, pid, command line) with an expiry; it renews
//! it while it runs and removes it at the end. Every write of the lease is
//! a JSON Patch that `test`s the value it replaces (or the resourceVersion,
//! when there is none), so two takers cannot both win. kubectl and other
//! clients know nothing of it: it keeps petctl runs apart, nothing more.

use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::conflict::{precondition_failed, retry, Attempt};
use super::sets::{self, Set};
use crate::client::request::{PatchType, WriteParams};
use crate::client::{Client, Error};

/// The annotation the lease is kept in.
pub const LEASE_ANNOTATION: &str = "petctl.io/operation-lease";

/// How long a lease lasts without a renewal.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// How many times a lease write is tried when the set moved on under it.
const ATTEMPTS: u32 = 10;

/// The lease as stored, JSON in the annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub operation: String,
    /// `user@host`.
    pub holder: String,
    pub pid: u32,
    pub command: String,
    /// Unique per run: tells this run's lease from any other.
    pub id: String,
    pub acquired: Timestamp,
    pub renewed: Timestamp,
    pub ttl_seconds: u64,
}

impl Record {
    fn expires(&self) -> Timestamp {
        let ttl = i64::try_from(self.ttl_seconds).unwrap_or(i64::MAX / 2);
        self.renewed
            .checked_add(jiff::SignedDuration::from_secs(ttl))
            .unwrap_or(Timestamp::MAX)
    }

    /// `upgrade-image by alice@db1 (pid 4242)`.
    fn who(&self) -> String {
        format!("{} by {} (pid {})", self.operation, self.holder, self.pid)
    }
}

/// Who asks for a lease, and how.
#[derive(Debug, Clone)]
pub struct Request {
    /// The subcommand: `scale`, `upgrade-image`, …
    pub operation: String,
    /// `user@host`.
    pub holder: String,
    pub pid: u32,
    /// The command line, so a resumed run knows its own lease.
    pub command: String,
    /// `--take-over`: take the lease whoever holds it.
    pub take_over: bool,
    pub ttl: Duration,
}

/// Whether process `pid` on this host still runs. A zombie counts as
/// running until its parent reaps it.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        // It runs, as someone else.
        Err(nix::errno::Errno::EPERM) => true,
        Err(_) => false,
    }
}

/// What to do about the lease found on a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nobody holds it.
    Free,
    /// Take it from its holder, telling the user why.
    TakeOver(String),
    /// Someone else holds it: the error to stop with.
    Refuse(String),
}

/// `12s`, `1m15s`, `2h3m`, as kubectl shows ages.
fn span(secs: u64) -> String {
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 if secs.is_multiple_of(60) => format!("{}m", secs / 60),
        60..3600 => format!("{}m{}s", secs / 60, secs % 60),
        _ => format!("{}h{}m", secs / 3600, secs % 3600 / 60),
    }
}

fn ago(now: Timestamp, then: Timestamp) -> String {
    span(now.duration_since(then).as_secs().max(0).unsigned_abs())
}

/// Pure: what to do about `found` (the annotation's text, if any) for
/// `request`, at `now`; `alive` says whether a pid on this host runs.
pub fn decide(
    found: Option<&str>,
    request: &Request,
    label: &str,
    now: Timestamp,
    alive: impl Fn(u32) -> bool,
) -> Decision {
    let Some(text) = found else {
        return Decision::Free;
    };
    let Ok(held) = serde_json::from_str::<Record>(text) else {
        if request.take_over {
            return Decision::TakeOver(format!(
                "taking over the unreadable operation lease on {label} (--take-over)"
            ));
        }
        return Decision::Refuse(format!(
            "{label} carries an unreadable operation lease (annotation {LEASE_ANNOTATION}: {text:?}); pass --take-over to replace it"
        ));
    };
    let age = ago(now, held.acquired);
    if now >= held.expires() {
        return Decision::TakeOver(format!(
            "the operation lease of {} on {label} expired {} ago (taken {age} ago, last renewed {} ago): taking it over",
            held.who(),
            ago(now, held.expires()),
            ago(now, held.renewed),
        ));
    }
    let resumed = held.operation == request.operation
        && held.command == request.command
        && held.holder == request.holder
        && held.pid != request.pid
        && !alive(held.pid);
    if resumed {
        return Decision::TakeOver(format!(
            "resuming: taking over the lease of an earlier run of this command on {label} (pid {}, taken {age} ago, no longer running)",
            held.pid
        ));
    }
    if request.take_over {
        return Decision::TakeOver(format!(
            "taking over the operation lease of {} on {label}, taken {age} ago (--take-over)",
            held.who()
        ));
    }
    Decision::Refuse(format!(
        "{label} is held by another petctl operation: {}, lease taken {age} ago, renewed {} ago, expires in {} unless renewed; command: {}; wait for it to finish, or pass --take-over if it is no longer running",
        held.who(),
        ago(now, held.renewed),
        ago(held.expires(), now),
        held.command
    ))
}

fn annotation_pointer() -> String {
    format!(
        "/metadata/annotations/{}",
        LEASE_ANNOTATION.replace('~', "~0").replace('/', "~1")
    )
}

/// The lease annotation's text on a set object.
pub fn lease_text(set: &Value) -> Option<&str> {
    set.pointer(&annotation_pointer()).and_then(Value::as_str)
}

/// The lease record on a set object, if readable.
pub fn lease_of(set: &Value) -> Option<Record> {
    serde_json::from_str(lease_text(set)?).ok()
}

/// Whether the lease on `set` is the one with `id`.
pub fn holds(set: &Value, id: &str) -> bool {
    lease_of(set).is_some_and(|r| r.id == id)
}

/// Why the lease on `set` is not ours any more: who took it over, or that
/// it was removed.
pub fn lost_message(set: &Value, label: &str) -> String {
    match lease_of(set) {
        Some(other) => format!(
            "the operation lease on {label} was taken over by {}: {}",
            other.who(),
            other.command
        ),
        None => format!("the operation lease on {label} was removed by someone else"),
    }
}

/// Pure: the patch that puts `text` in place of what `set` has now.
fn put_ops(set: &Value, text: &str) -> Vec<Value> {
    let pointer = annotation_pointer();
    match lease_text(set) {
        Some(old) => vec![
            json!({"op": "test", "path": pointer, "value": old}),
            json!({"op": "replace", "path": pointer, "value": text}),
        ],
        // JSON Patch cannot test that a member is absent: the
        // resourceVersion stands for "as read, without a lease".
        None => {
            let rv = set
                .pointer("/metadata/resourceVersion")
                .cloned()
                .unwrap_or(Value::Null);
            let mut ops =
                vec![json!({"op": "test", "path": "/metadata/resourceVersion", "value": rv})];
            ops.extend(super::pause::set_annotation_ops(
                set,
                "/metadata/annotations",
                LEASE_ANNOTATION,
                text,
            ));
            ops
        }
    }
}

async fn read(client: &Client, set: &Set) -> Result<Value, Error> {
    Ok(sets::refresh(client, set).await?.object)
}

async fn patch(client: &Client, set: &Set, ops: &[Value]) -> Result<Value, Error> {
    // Every lease patch carries a `test`: the transport may repeat it.
    Ok(client
        .api(set.kind, Some(set.namespace()))
        .patch(
            set.name(),
            PatchType::Json,
            &Value::Array(ops.to_vec()),
            &WriteParams::default(),
        )
        .await?
        .object)
}

/// Another operation holds the lease: nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    pub message: String,
    /// Who holds it (`upgrade-image by alice@db1 (pid 4242)`), when the
    /// lease is readable.
    pub holder: Option<String>,
}

/// A lease this run holds. Renewed only while [`Lease::hold`] runs.
pub struct Lease<'c> {
    client: &'c Client,
    set: Set,
    record: Record,
    /// The annotation as this run last wrote it.
    text: String,
    /// Why the lease was taken over from its holder, for the user.
    pub notice: Option<String>,
}

/// Takes the lease on `set`, or refuses naming who holds it. Returns the
/// set as it is after the lease was written.
pub async fn acquire<'c>(
    client: &'c Client,
    set: Set,
    request: &Request,
) -> anyhow::Result<(Lease<'c>, Set)> {
    let label = set.label();
    let now = Timestamp::now();
    let record = Record {
        operation: request.operation.clone(),
        holder: request.holder.clone(),
        pid: request.pid,
        command: request.command.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        acquired: now,
        renewed: now,
        ttl_seconds: request.ttl.as_secs().max(1),
    };
    let text = serde_json::to_string(&record)?;
    let mut current = set;
    let attempt = async |_| {
        if holds(&current.object, &record.id) {
            // Our patch was stored but its answer was lost, and the
            // transport's retry failed its `test` on our own lease.
            let lease = Lease {
                client,
                set: current.clone(),
                record: record.clone(),
                text: text.clone(),
                notice: None,
            };
            return Ok(Attempt::Done((lease, current.clone())));
        }
        let notice = match decide(
            lease_text(&current.object),
            request,
            &label,
            Timestamp::now(),
            process_alive,
        ) {
            Decision::Free => None,
            Decision::TakeOver(notice) => Some(notice),
            Decision::Refuse(message) => {
                let holder = lease_of(&current.object).map(|r| r.who());
                return Err(Refused { message, holder }.into());
            }
        };
        match patch(client, &current, &put_ops(&current.object, &text)).await {
            Ok(object) => {
                let set = Set {
                    kind: current.kind,
                    object,
                };
                let lease = Lease {
                    client,
                    set: set.clone(),
                    record: record.clone(),
                    text: text.clone(),
                    notice,
                };
                Ok(Attempt::Done((lease, set)))
            }
            Err(err) if precondition_failed(&err) => {
                current = sets::refresh(client, &current)
                    .await
                    .with_context(|| format!("cannot read {label} to take its lease"))?;
                Ok(Attempt::Conflict(()))
            }
            Err(err) => Err(anyhow::Error::new(err)
                .context(format!("cannot take the operation lease on {label}"))),
        }
    };
    retry(ATTEMPTS, attempt, |()| {
        bail!(
            "cannot take the operation lease on {label}: it kept changing under petctl; try again"
        )
    })
    .await
}

impl<'c> Lease<'c> {
    /// This run's lease id, to tell on a watch of the set whether the
    /// lease is still ours.
    pub fn id(&self) -> &str {
        &self.record.id
    }

    fn label(&self) -> String {
        self.set.label()
    }

    /// Why `set` shows that the lease is not ours any more.
    fn lost(&self, set: &Value) -> String {
        lost_message(set, &self.label())
    }

    /// Writes the renewed lease. Err is why the lease is lost; transient
    /// failures are retried at the next renewal.
    async fn renew(&mut self) -> Result<(), String> {
        let attempt = async |_| {
            let current = match read(self.client, &self.set).await {
                Ok(set) => set,
                // Deleted: the operation itself decides what that means
                // (the goal of a delete, the end of an upgrade).
                Err(_) => return Ok(Attempt::Done(())),
            };
            if lease_text(&current) != Some(self.text.as_str()) {
                return Err(self.lost(&current));
            }
            let mut record = self.record.clone();
            record.renewed = Timestamp::now();
            let text = serde_json::to_string(&record).unwrap_or_default();
            match patch(self.client, &self.set, &put_ops(&current, &text)).await {
                Ok(_) => {
                    self.record = record;
                    self.text = text;
                    Ok(Attempt::Done(()))
                }
                Err(err) if precondition_failed(&err) => Ok(Attempt::Conflict(())),
                Err(_) => Ok(Attempt::Done(())),
            }
        };
        retry(ATTEMPTS, attempt, |()| Ok(())).await
    }

    /// Renews the lease every third of its lifetime (a heartbeat, not a
    /// wait on a condition); returns only when it is lost, saying why.
    async fn keep(&mut self) -> String {
        let every = Duration::from_secs(self.record.ttl_seconds).max(Duration::from_secs(1)) / 3;
        loop {
            tokio::time::sleep(every).await;
            if let Err(why) = self.renew().await {
                return why;
            }
        }
    }

    /// Removes the lease if it is still ours.
    pub async fn release(&self) -> anyhow::Result<()> {
        let pointer = annotation_pointer();
        let attempt = async |_| {
            let current = match read(self.client, &self.set).await {
                Ok(set) => set,
                Err(err) if err.is_not_found() => return Ok(Attempt::Done(())),
                Err(err) => return Err(self.release_failed(err)),
            };
            if lease_text(&current) != Some(self.text.as_str()) {
                return Ok(Attempt::Done(()));
            }
            let ops = [
                json!({"op": "test", "path": pointer, "value": self.text}),
                json!({"op": "remove", "path": pointer}),
            ];
            match patch(self.client, &self.set, &ops).await {
                Ok(_) => Ok(Attempt::Done(())),
                Err(err) if err.is_not_found() => Ok(Attempt::Done(())),
                Err(err) if precondition_failed(&err) => Ok(Attempt::Conflict(())),
                Err(err) => Err(self.release_failed(err)),
            }
        };
        retry(ATTEMPTS, attempt, |()| {
            bail!(
                "cannot remove the operation lease from {}: it kept changing; it expires by itself",
                self.label()
            )
        })
        .await
    }

    fn release_failed(&self, err: Error) -> anyhow::Error {
        anyhow::Error::new(err).context(format!(
            "cannot remove the operation lease from {} (it expires by itself within {})",
            self.label(),
            span(self.record.ttl_seconds)
        ))
    }

    /// Runs `work` while renewing the lease, then removes it, whether the
    /// work succeeded or not. If the lease is lost (taken over, or the set
    /// deleted) the work is stopped with an error saying so.
    pub async fn hold<T>(
        mut self,
        work: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let result = {
            let keep = self.keep();
            tokio::pin!(keep);
            tokio::pin!(work);
            tokio::select! {
                result = &mut work => result,
                why = &mut keep => Err(anyhow!("{why}; petctl stopped")),
            }
        };
        let released = self.release().await;
        match (result, released) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(err)) => Err(err),
            (Err(err), _) => Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(take_over: bool) -> Request {
        Request {
            operation: "upgrade-image".into(),
            holder: "alice@db1".into(),
            pid: 200,
            command: "petctl upgrade-image web nginx=nginx:2 --yes".into(),
            take_over,
            ttl: DEFAULT_TTL,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn held(pid: u32, holder: &str, command: &str, renewed: i64) -> String {
        serde_json::to_string(&Record {
            operation: "upgrade-image".into(),
            holder: holder.into(),
            pid,
            command: command.into(),
            id: "x".into(),
            acquired: at(0),
            renewed: at(renewed),
            ttl_seconds: 60,
        })
        .unwrap()
    }

    #[test]
    fn decisions() {
        let same = "petctl upgrade-image web nginx=nginx:2 --yes";
        let label = "petset \"web\"";
        let dead = |_| false;
        let alive = |_| true;
        assert_eq!(
            decide(None, &request(false), label, at(5), dead),
            Decision::Free
        );
        let other = held(100, "bob@db2", "petctl scale web --replicas 1", 10);
        assert_eq!(
            decide(Some(&other), &request(false), label, at(12), dead),
            Decision::Refuse("petset \"web\" is held by another petctl operation: upgrade-image by bob@db2 (pid 100), lease taken 12s ago, renewed 2s ago, expires in 58s unless renewed; command: petctl scale web --replicas 1; wait for it to finish, or pass --take-over if it is no longer running".into())
        );
        assert_eq!(
            decide(Some(&other), &request(true), label, at(12), dead),
            Decision::TakeOver("taking over the operation lease of upgrade-image by bob@db2 (pid 100) on petset \"web\", taken 12s ago (--take-over)".into())
        );
        assert_eq!(
            decide(Some(&other), &request(false), label, at(75), dead),
            Decision::TakeOver("the operation lease of upgrade-image by bob@db2 (pid 100) on petset \"web\" expired 5s ago (taken 1m15s ago, last renewed 1m5s ago): taking it over".into())
        );
        // The same command on this host: resumed when its process is gone,
        // refused while it runs.
        let mine = held(100, "alice@db1", same, 10);
        assert_eq!(
            decide(Some(&mine), &request(false), label, at(20), dead),
            Decision::TakeOver("resuming: taking over the lease of an earlier run of this command on petset \"web\" (pid 100, taken 20s ago, no longer running)".into())
        );
        assert!(matches!(
            decide(Some(&mine), &request(false), label, at(20), alive),
            Decision::Refuse(_)
        ));
        let elsewhere = held(100, "alice@db2", same, 10);
        assert!(matches!(
            decide(Some(&elsewhere), &request(false), label, at(20), dead),
            Decision::Refuse(_)
        ));
        assert!(matches!(
            decide(Some("garbage"), &request(false), label, at(20), dead),
            Decision::Refuse(m) if m.contains("unreadable")
        ));
    }

    #[test]
    fn writes_test_what_they_replace() {
        let pointer = "/metadata/annotations/petctl.io~1operation-lease";
        let bare = json!({"metadata": {"resourceVersion": "7"}});
        assert_eq!(
            put_ops(&bare, "L"),
            vec![
                json!({"op": "test", "path": "/metadata/resourceVersion", "value": "7"}),
                json!({"op": "add", "path": "/metadata/annotations", "value": {LEASE_ANNOTATION: "L"}}),
            ]
        );
        let annotated = json!({"metadata": {"resourceVersion": "7", "annotations": {"a": "b"}}});
        assert_eq!(
            put_ops(&annotated, "L")[1],
            json!({"op": "add", "path": pointer, "value": "L"})
        );
        let leased = json!({"metadata": {"annotations": {LEASE_ANNOTATION: "OLD"}}});
        assert_eq!(
            put_ops(&leased, "L"),
            vec![
                json!({"op": "test", "path": pointer, "value": "OLD"}),
                json!({"op": "replace", "path": pointer, "value": "L"}),
            ]
        );
    }

    #[test]
    fn process_liveness() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX));
    }
}
