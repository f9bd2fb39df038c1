//! Gathering what `describe` shows about a set: its pets and claims, the
//! governing Service, its ControllerRevisions and its recent events, and,
//! on a local control plane that says where its DNS answers
//! (`/petctl/status`), whether each DNS name resolves there.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};
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
    /// Each DNS name checked and whether it resolves; empty when no local
    /// DNS was reachable (a real cluster: nothing is marked).
    pub resolves: BTreeMap<String, bool>,
}

/// How long one DNS query may take.
const DNS_TIMEOUT: Duration = Duration::from_secs(1);

/// An A query for `name` at `server`: `Some(true)` with an answer,
/// `Some(false)` for NXDOMAIN or NODATA, `None` without a usable reply.
async fn resolves(server: SocketAddr, name: &str) -> Option<bool> {
    let mut query = Message::query();
    query.metadata.recursion_desired = true;
    query.add_query(Query::query(
        Name::from_ascii(format!("{name}.")).ok()?,
        RecordType::A,
    ));
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.ok()?;
    socket.send_to(&query.to_vec().ok()?, server).await.ok()?;
    let mut buffer = vec![0u8; 4096];
    let (n, _) = tokio::time::timeout(DNS_TIMEOUT, socket.recv_from(&mut buffer))
        .await
        .ok()?
        .ok()?;
    let reply = Message::from_vec(&buffer[..n]).ok()?;
    match reply.metadata.response_code {
        ResponseCode::NoError => Some(!reply.answers.is_empty()),
        ResponseCode::NXDomain => Some(false),
        _ => None,
    }
}

/// The local control plane's DNS address, if the server is one and has it.
async fn local_dns(client: &Client) -> Option<SocketAddr> {
    let status: Value = client.get_path("/petctl/status").await.ok()?;
    status.get("dns")?.as_str()?.parse().ok()
}

/// The names `describe` prints: the governing Service's and each pet's.
async fn check_names(
    client: &Client,
    set: &Set,
    pets: &[Pet],
    cluster_domain: &str,
) -> BTreeMap<String, bool> {
    let mut checked = BTreeMap::new();
    if set.service_name().is_empty() {
        return checked;
    }
    let Some(server) = local_dns(client).await else {
        return checked;
    };
    let domain = format!(
        "{}.{}.svc.{cluster_domain}",
        set.service_name(),
        set.namespace()
    );
    let names =
        std::iter::once(domain.clone()).chain(pets.iter().map(|p| format!("{}.{domain}", p.name)));
    for name in names {
        if let Some(found) = resolves(server, &name).await {
            checked.insert(name, found);
        }
    }
    checked
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
    let resolves = check_names(client, &set, &pets, cluster_domain).await;
    Ok(SetDescription {
        resolves,
        set,
        pets,
        service,
        revisions,
        events,
        cluster_domain: cluster_domain.to_string(),
    })
}
