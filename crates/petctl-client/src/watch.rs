//! Watching a collection: list, then watch from the list's resourceVersion;
//! reconnect from the last resourceVersion seen when the stream ends or
//! drops; list again when the server says that version is gone (410). The
//! caller sees a simple sequence of events and never misses a change.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::error::Error;
use super::request::{path, ListParams};
use super::transport::Client;
use petctl_model::kinds::KindInfo;

/// What a watcher reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// The full current state, after the first list or a relist.
    Restarted(Vec<Value>),
    /// An object was created or changed.
    Applied(Value),
    /// An object was deleted (its last state).
    Deleted(Value),
}

#[derive(Deserialize)]
struct WireEvent {
    #[serde(rename = "type")]
    event_type: String,
    object: Value,
}

enum Phase {
    /// List (again) before watching.
    List,
    /// Open a watch from `rv`.
    Connect { rv: String },
    /// Reading a watch stream.
    Stream {
        rv: String,
        response: reqwest::Response,
        buf: Vec<u8>,
    },
}

/// A resumable watch of one kind in one namespace (or all).
pub struct Watcher<'c> {
    client: &'c Client,
    kind: &'static KindInfo,
    namespace: Option<String>,
    params: ListParams,
    phase: Phase,
}

impl<'c> Watcher<'c> {
    pub fn new(
        client: &'c Client,
        kind: &'static KindInfo,
        namespace: Option<&str>,
        params: ListParams,
    ) -> Self {
        Watcher {
            client,
            kind,
            namespace: namespace.map(str::to_string),
            params,
            phase: Phase::List,
        }
    }

    /// The next event. Only errors that a reconnect or relist cannot mend
    /// are returned (401, 403, 404 of the kind, a server that went away for
    /// good).
    pub async fn next(&mut self) -> Result<Event, Error> {
        // The phase is changed in place, only after each await completes,
        // so a `next()` dropped mid-way (a timeout, a select) resumes where
        // it was instead of listing again.
        loop {
            match &mut self.phase {
                Phase::List => {
                    let (items, rv) = self.list().await?;
                    self.phase = Phase::Connect { rv };
                    return Ok(Event::Restarted(items));
                }
                Phase::Connect { rv } => {
                    let rv = rv.clone();
                    let mut params = self.params.clone();
                    params.resource_version = Some(rv.clone());
                    params.allow_bookmarks = true;
                    let url = format!(
                        "{}{}",
                        path(self.kind, self.namespace.as_deref(), None, None),
                        params.query(true)
                    );
                    match self.client.stream(&url).await {
                        Ok(response) => {
                            self.phase = Phase::Stream {
                                rv,
                                response,
                                buf: Vec::new(),
                            }
                        }
                        Err(err) if err.is_gone() => self.phase = Phase::List,
                        Err(err) => return Err(err),
                    }
                }
                Phase::Stream { rv, response, buf } => {
                    if let Some(line) = take_line(buf) {
                        match decode(&line, rv) {
                            Decoded::Event(e) => return Ok(e),
                            Decoded::Nothing => {}
                            Decoded::Gone => self.phase = Phase::List,
                            Decoded::Failed(err) => return Err(err),
                        }
                        continue;
                    }
                    match response.chunk().await {
                        Ok(Some(bytes)) => buf.extend_from_slice(&bytes),
                        // The server closed the stream (timeout, restart,
                        // dropped connection): resume where we were.
                        Ok(None) | Err(_) => {
                            let rv = rv.clone();
                            self.phase = Phase::Connect { rv };
                        }
                    }
                }
            }
        }
    }

    async fn list(&self) -> Result<(Vec<Value>, String), Error> {
        let api = self.client.api(self.kind, self.namespace.as_deref());
        api.list_with_version(&self.params).await
    }
}

enum Decoded {
    Event(Event),
    Nothing,
    Gone,
    Failed(Error),
}

/// One line of a watch stream; `rv` follows the objects seen.
fn decode(line: &[u8], rv: &mut String) -> Decoded {
    let Ok(wire) = serde_json::from_slice::<WireEvent>(line) else {
        return Decoded::Nothing;
    };
    if wire.event_type == "ERROR" {
        let status: super::error::Status = serde_json::from_value(wire.object).unwrap_or_default();
        let err = Error::Api {
            code: status.code,
            status: Box::new(status),
        };
        return if err.is_gone() || err.code() == Some(410) {
            Decoded::Gone
        } else {
            Decoded::Failed(err)
        };
    }
    if let Some(new_rv) = wire
        .object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
    {
        *rv = new_rv.to_string();
    }
    match wire.event_type.as_str() {
        "ADDED" | "MODIFIED" => Decoded::Event(Event::Applied(wire.object)),
        "DELETED" => Decoded::Event(Event::Deleted(wire.object)),
        _ => Decoded::Nothing,
    }
}

fn take_line(buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let end = buf.iter().position(|&b| b == b'\n')?;
    let mut line: Vec<u8> = buf.drain(..=end).collect();
    line.pop();
    Some(line)
}

/// The objects a watch has seen, by namespace and name: what conditions are
/// evaluated on.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    objects: BTreeMap<(String, String), Value>,
}

fn key_of(object: &Value) -> (String, String) {
    let text = |p: &str| petctl_model::json::text(object, p).to_string();
    (text("/metadata/namespace"), text("/metadata/name"))
}

impl Cache {
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Restarted(items) => {
                self.objects = items.iter().map(|o| (key_of(o), o.clone())).collect();
            }
            Event::Applied(object) => {
                self.objects.insert(key_of(object), object.clone());
            }
            Event::Deleted(object) => {
                self.objects.remove(&key_of(object));
            }
        }
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(namespace.to_string(), name.to_string()))
    }

    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.objects.values()
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_split_on_newlines_only() {
        let mut buf = b"{\"a\":1}\n{\"b\"".to_vec();
        assert_eq!(take_line(&mut buf), Some(b"{\"a\":1}".to_vec()));
        assert_eq!(take_line(&mut buf), None);
        buf.extend_from_slice(b":2}\n");
        assert_eq!(take_line(&mut buf), Some(b"{\"b\":2}".to_vec()));
    }

    #[test]
    fn cache_follows_events() {
        let pod = |name: &str, phase: &str| json!({"metadata": {"namespace": "default", "name": name}, "status": {"phase": phase}});
        let mut cache = Cache::default();
        cache.apply(&Event::Restarted(vec![pod("web-0", "Pending")]));
        cache.apply(&Event::Applied(pod("web-0", "Running")));
        cache.apply(&Event::Applied(pod("web-1", "Pending")));
        assert_eq!(
            cache.get("default", "web-0").unwrap()["status"]["phase"],
            "Running"
        );
        cache.apply(&Event::Deleted(pod("web-1", "Pending")));
        assert_eq!(cache.len(), 1);
        cache.apply(&Event::Restarted(vec![]));
        assert!(cache.is_empty());
    }
}
