//! The recent events of one object, as `kubectl describe` gathers them:
//! selected by name and uid (a deleted object of the same name leaves its
//! events behind for an hour), oldest first.

use serde_json::Value;

use crate::client::request::ListParams;
use crate::client::{Client, Error};
use crate::kinds;

/// The last `limit` events about `name` with `uid` in `namespace`, oldest
/// first.
pub async fn recent(
    client: &Client,
    namespace: &str,
    name: &str,
    uid: &str,
    limit: usize,
) -> Result<Vec<Value>, Error> {
    let mut events = client
        .list_objects(
            kinds::builtin("events"),
            Some(namespace),
            &ListParams::fields(format!(
                "involvedObject.name={name},involvedObject.uid={uid}"
            )),
        )
        .await?;
    // A server that ignores the uid in the selector must not slip in the
    // events of an older object of the same name.
    events.retain(|e| e["involvedObject"]["uid"] == uid);
    // kubectl describe orders by lastTimestamp (event.SortableEvents);
    // events.k8s.io-style events carry only eventTime.
    events.sort_by_key(|e| {
        e["lastTimestamp"]
            .as_str()
            .or(e["eventTime"].as_str())
            .unwrap_or("")
            .to_string()
    });
    let older = events.len().saturating_sub(limit);
    events.drain(..older);
    Ok(events)
}
