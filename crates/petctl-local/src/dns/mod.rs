//! The cluster DNS: a hickory-server `RequestHandler` answering from a
//! [`zone::Zone`] that a watcher task rebuilds from the store's Services and
//! EndpointSlices whenever one changes (the store's event stream, as the
//! controllers read it). It listens on 127.0.0.1:`--dns-port` (UDP and TCP
//! on the same port) and, when the process may bind port 53, on a random
//! loopback address's port 53 for pods' resolv.conf.
//!
//! A query waits (briefly) until the zone reflects the store revision current
//! when it arrived, so a client that has seen a write is answered from a
//! zone that includes it.
//!
//! Names outside the cluster domain and `in-addr.arpa` are REFUSED: there
//! is no forwarding.

pub mod zone;

use std::net::Ipv4Addr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, Result};
use hickory_server::net::runtime::Time;
use hickory_server::proto::op::{Edns, LowerQuery, Metadata, ResponseCode};
use hickory_server::proto::rr::rdata::{A, CNAME, PTR, SOA, SRV, TXT};
use hickory_server::proto::rr::{Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::broadcast::error::RecvError;

use self::zone::{Answer, Data, Kind, Zone, TTL};
use crate::cluster_dns::ClusterDns;
use crate::controllers::cache::Cache;
use crate::log::log;
use crate::registry::Registry;

/// The kinds the zone is built from.
const SOURCES: &[&str] = &["Service", "EndpointSlice"];
/// How long a TCP connection may stay idle.
const TCP_TIMEOUT: Duration = Duration::from_secs(10);
/// How many binds of a random loopback address are tried for port 53.
const POD_NAMESERVER_ATTEMPTS: usize = 8;

/// The zone the handler reads, swapped whole by the watcher.
type Shared = Arc<RwLock<Arc<Zone>>>;
/// How long a query waits for the zone to catch up with the store.
const CATCH_UP: Duration = Duration::from_secs(2);

fn rebuild(cache: &Cache, domain: &str) -> Arc<Zone> {
    let services: Vec<&serde_json::Value> = cache.list("Service", None).collect();
    let slices: Vec<&serde_json::Value> = cache.list("EndpointSlice", None).collect();
    Arc::new(Zone::build(domain, &services, &slices))
}

/// Binds UDP and TCP on one port of `ip` (0: a free one, found through
/// UDP and retried when TCP has it taken).
async fn bind_pair(ip: Ipv4Addr, port: u16) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..16 {
        let udp = UdpSocket::bind((ip, port)).await?;
        let bound = udp.local_addr()?.port();
        match TcpListener::bind((ip, bound)).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(err) if port == 0 && err.kind() == std::io::ErrorKind::AddrInUse => {
                last = Some(err);
            }
            Err(err) => return Err(err),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free DNS port")))
}

/// A random 127.a.b.c other than 127.0.0.1.
fn random_loopback() -> Ipv4Addr {
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    Ipv4Addr::new(127, bytes[0], bytes[1], bytes[2].max(2))
}

/// Port 53 on a random loopback address, when the process may bind it;
/// `None` (logged) when it may not.
async fn bind_pod_nameserver() -> Option<(UdpSocket, TcpListener)> {
    for _ in 0..POD_NAMESERVER_ATTEMPTS {
        match bind_pair(random_loopback(), 53).await {
            Ok(pair) => return Some(pair),
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(err) => {
                log(&format!(
                    "dns: not serving pods' nameserver on port 53 ({err}); exec sandboxes get no cluster DNS"
                ));
                return None;
            }
        }
    }
    log("dns: every loopback address tried for port 53 was taken");
    None
}

/// Binds the listeners, fills `dns`'s addresses, and serves until the
/// store's event stream closes (the runtime ends with the control plane).
pub async fn start(registry: Arc<Registry>, dns: Arc<ClusterDns>, port: u16) -> Result<()> {
    let (udp, tcp) = bind_pair(Ipv4Addr::LOCALHOST, port)
        .await
        .with_context(|| format!("failed to listen for DNS on 127.0.0.1:{port}"))?;
    let listen = udp.local_addr().context("failed to read the DNS address")?;
    let domain = dns.domain().to_string();
    let mut events = registry.store().subscribe();
    let loaded = registry.store().current_revision();
    let mut cache = Cache::load(&registry, SOURCES);
    let shared: Shared = Arc::new(RwLock::new(rebuild(&cache, &domain)));
    let (seen, caught_up) = tokio::sync::watch::channel(loaded);
    let mut server = hickory_server::Server::new(Handler {
        zone: shared.clone(),
        store: registry.store().clone(),
        caught_up,
    });
    server.register_socket(udp);
    server.register_listener(tcp, TCP_TIMEOUT, 64 * 1024);
    if let Some((udp, tcp)) = bind_pod_nameserver().await {
        let address = udp.local_addr().context("failed to read the DNS address")?;
        server.register_socket(udp);
        server.register_listener(tcp, TCP_TIMEOUT, 64 * 1024);
        dns.set_pod_nameserver(address);
        log(&format!("dns: pods' nameserver {address}"));
    }
    dns.set_listen(listen);
    log(&format!(
        "dns: listening on {listen} (udp, tcp) for {domain}"
    ));
    tokio::spawn(async move {
        loop {
            let (changed, revision) = match events.recv().await {
                Ok(event) => (cache.apply(&event).is_some(), event.revision),
                Err(RecvError::Lagged(_)) => {
                    let revision = registry.store().current_revision();
                    cache = Cache::load(&registry, SOURCES);
                    (true, revision)
                }
                Err(RecvError::Closed) => break,
            };
            if changed {
                let next = rebuild(&cache, &domain);
                if let Ok(mut zone) = shared.write() {
                    *zone = next;
                }
            }
            seen.send_replace(revision);
        }
        drop(server);
    });
    Ok(())
}

struct Handler {
    zone: Shared,
    store: Arc<crate::store::Store>,
    /// The newest store revision the zone reflects.
    caught_up: tokio::sync::watch::Receiver<u64>,
}

impl Handler {
    /// The zone as of at least the store revision current when the query
    /// arrived, so that a client that saw a write (a watch event, a 201)
    /// is answered from a zone that includes it; after `CATCH_UP`, the
    /// zone as it is.
    async fn current_zone(&self) -> Arc<Zone> {
        let asked = self.store.current_revision();
        let mut caught_up = self.caught_up.clone();
        let _ = tokio::time::timeout(CATCH_UP, caught_up.wait_for(|seen| *seen >= asked)).await;
        match self.zone.read() {
            Ok(zone) => zone.clone(),
            Err(_) => Arc::new(Zone::default()),
        }
    }
}

fn name(text: &str) -> Option<Name> {
    Name::from_ascii(text).ok()
}

fn record(owner: &str, data: &Data, weight: u16) -> Option<Record> {
    let rdata = match data {
        Data::A(ip) => RData::A(A(*ip)),
        Data::Srv(port, target) => RData::SRV(SRV::new(0, weight, *port, name(target)?)),
        Data::Ptr(target) => RData::PTR(PTR(name(target)?)),
        Data::Cname(target) => RData::CNAME(CNAME(name(target)?)),
        Data::Txt(text) => RData::TXT(TXT::new(vec![text.clone()])),
    };
    Some(Record::from_rdata(name(owner)?, TTL, rdata))
}

/// The SOA that negative answers carry (CoreDNS's shape: `ns.dns.<zone>`,
/// `hostmaster.<zone>`, the minimum TTL 5).
fn soa(apex: &str) -> Option<Record> {
    let rdata = SOA::new(
        name(&format!("ns.dns.{apex}"))?,
        name(&format!("hostmaster.{apex}"))?,
        1,
        7200,
        1800,
        86400,
        TTL,
    );
    Some(Record::from_rdata(name(apex)?, TTL, RData::SOA(rdata)))
}

fn kind_of(query: &LowerQuery) -> Kind {
    match query.query_type() {
        RecordType::A => Kind::A,
        RecordType::SRV => Kind::Srv,
        RecordType::PTR => Kind::Ptr,
        RecordType::CNAME => Kind::Cname,
        RecordType::TXT => Kind::Txt,
        _ => Kind::Other,
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut metadata = Metadata::response_from_request(&request.metadata);
        let edns = request.edns.as_ref().map(|asked| {
            let mut edns = Edns::new();
            edns.set_max_payload(asked.max_payload().max(512));
            edns
        });
        let zone = self.current_zone().await;
        let (mut answers, mut authorities, mut additionals) = (Vec::new(), Vec::new(), Vec::new());
        match request.queries.queries() {
            [query] => {
                let asked = query.name().to_string();
                let apex = if asked.to_ascii_lowercase().ends_with("in-addr.arpa.") {
                    "in-addr.arpa.".to_string()
                } else {
                    zone.domain().to_string()
                };
                match zone.answer(&asked, kind_of(query)) {
                    Answer::Refused => metadata.response_code = ResponseCode::Refused,
                    Answer::NxDomain => {
                        metadata.authoritative = true;
                        metadata.response_code = ResponseCode::NXDomain;
                        authorities.extend(soa(&apex));
                    }
                    Answer::Records(records) => {
                        metadata.authoritative = true;
                        if records.is_empty() {
                            authorities.extend(soa(&apex));
                        }
                        let weight = zone::srv_weight(records.len());
                        answers.extend(records.iter().filter_map(|(o, d)| record(o, d, weight)));
                        let extra = zone.additional(&records);
                        additionals.extend(extra.iter().filter_map(|(o, d)| record(o, d, 0)));
                    }
                }
            }
            _ => metadata.response_code = ResponseCode::FormErr,
        }
        // CoreDNS sets RA on its answers; without it nslookup, the guide's
        // tool, prints "Got recursion not available" before every answer.
        metadata.recursion_available = metadata.response_code != ResponseCode::Refused;
        let response = MessageResponseBuilder::new(&request.queries, edns.as_ref()).build(
            metadata,
            answers.iter(),
            authorities.iter(),
            std::iter::empty(),
            additionals.iter(),
        );
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(err) => {
                log(&format!("dns: failed to send a response: {err}"));
                let mut failed = Metadata::response_from_request(&request.metadata);
                failed.response_code = ResponseCode::ServFail;
                hickory_server::proto::op::Header {
                    metadata: failed,
                    counts: Default::default(),
                }
                .into()
            }
        }
    }
}
