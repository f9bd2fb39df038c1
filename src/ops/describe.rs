//! Gathering what `describe` shows about a set: its pets and claims, the
//! governing Service, its ControllerRevisions and its recent events.

use serde_json::Value;

use super::pets::{self, Pet};
use super::sets::Set;
use crate::client::request::ListParams;

use crate::client::{Client, Error};
use crate::kinds;

/// Everything `describe` shows, gathered beforehand.
#[derive(Debug, Clone)]
pub struct SetDescription {
    pub set: Set,
    pub pets: Vec<Pet>,
    /// The governing Service, if it exists.
    pub service: Option<Value>,
    pub revisions: Vec<Value>,
    pub events: Vec<Value>,
    pub cluster_domain: String,
}

pub async fn gather(
    client: &Client,
    set: Set,
    cluster_domain: &str,
) -> Result<SetDescription, Error> {
    let ns = set.namespace().to_string();
    let pets = pets::gather(client, &set).await?;
    let service = match kinds::by_name("services") {
        Some(svc) if !set.service_name().is_empty() => {
            match client.api(svc, Some(&ns)).get(set.service_name()).await {
                Ok(object) => Some(object),
                Err(err) if err.is_not_found() => None,
                Err(err) => return Err(err),
            }
        }
        _ => None,
    };
    let uid = set.uid().to_string();
    let revisions = if set.is_petset() {
        Vec::new()
    } else {
        client
            .list_objects(
                kinds::builtin("controllerrevisions"),
                Some(&ns),
                &ListParams::labels(set.selector_string()),
            )
            .await?
            .into_iter()
            .filter(|r| {
                r.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| refs.iter().any(|o| o["uid"] == uid.as_str()))
            })
            .collect()
    };
    let events = super::events::recent(client, &ns, set.name(), &uid, 10).await?;
    Ok(SetDescription {
        set,
        pets,
        service,
        revisions,
        events,
        cluster_domain: cluster_domain.to_string(),
    })
}
