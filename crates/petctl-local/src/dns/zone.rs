//! The cluster zone as a pure function of the Services and EndpointSlices:
//! the records of kubernetes/dns `docs/specification.md` (schema 1.1.0), in
//! the shapes CoreDNS's kubernetes plugin answers with.
//!
//! - a ClusterIP Service: `A <svc>.<ns>.svc.<zone>` → the ClusterIP, `SRV`
//!   per port (`_<port>._<proto>.` for named ports, the plain name for all)
//!   → the Service name, `PTR` for the ClusterIP;
//! - a headless Service: `A` → every ready endpoint, `A
//!   <hostname>.<svc>.<ns>.svc.<zone>` per endpoint with a hostname (the
//!   dashed IP otherwise, as CoreDNS names them), `SRV` per ready endpoint
//!   and port → that name, `PTR` for each ready endpoint IP;
//! - an ExternalName Service: `CNAME` → the external name;
//! - `<a>-<b>-<c>-<d>.<ns>.pod.<zone>` → that address (2.6, "pods insecure");
//! - `dns-version.<zone>` `TXT` → `1.1.0`.
//!
//! "Ready" is the slice endpoint's `conditions.ready`, which the
//! endpointslice controller sets for not-ready pods of a Service that
//! publishes them (`publishNotReadyAddresses`).

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use serde_json::Value;

use crate::controllers::endpoints::build::{label, SERVICE_NAME_LABEL};
use crate::registry::meta;

/// CoreDNS's default TTL (`ttl` of the kubernetes plugin).
pub const TTL: u32 = 5;

/// One record's data; names are lower-case, fully qualified, with a dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Data {
    A(Ipv4Addr),
    /// Port and target; priority and weight are set per answer.
    Srv(u16, String),
    Ptr(String),
    Cname(String),
    Txt(String),
}

/// The query types the zone knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    A,
    Srv,
    Ptr,
    Cname,
    Txt,
    /// Any other type: every name answers NODATA for it.
    Other,
}

impl Data {
    fn kind(&self) -> Kind {
        match self {
            Data::A(_) => Kind::A,
            Data::Srv(..) => Kind::Srv,
            Data::Ptr(_) => Kind::Ptr,
            Data::Cname(_) => Kind::Cname,
            Data::Txt(_) => Kind::Txt,
        }
    }
}

/// What a query gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// NOERROR with these records (empty: NODATA, with the SOA).
    Records(Vec<(String, Data)>),
    /// The name does not exist in the zone (with the SOA).
    NxDomain,
    /// The name is outside the cluster domain and the reverse zone: no
    /// forwarding, REFUSED.
    Refused,
}

/// Every record of the cluster, by owner name.
#[derive(Debug, Default, Clone)]
pub struct Zone {
    domain: String,
    records: BTreeMap<String, BTreeSet<Data>>,
    /// Names that exist without records of their own (empty non-terminals,
    /// a headless Service with no ready endpoint is not one: NXDOMAIN).
    names: BTreeSet<String>,
}

fn fqdn(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with('.') {
        lower
    } else {
        format!("{lower}.")
    }
}

/// `d.c.b.a.in-addr.arpa.` for `a.b.c.d`.
pub fn reverse_name(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
}

fn dashed(ip: Ipv4Addr) -> String {
    ip.to_string().replace('.', "-")
}

/// A ready endpoint of a slice: its IPv4 addresses and hostname.
struct Endpoint {
    ips: Vec<Ipv4Addr>,
    hostname: Option<String>,
}

fn ready_endpoints(slice: &Value) -> Vec<Endpoint> {
    slice["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        // An unset `ready` is to be read as ready (EndpointConditions docs).
        .filter(|e| e.pointer("/conditions/ready").and_then(Value::as_bool) != Some(false))
        .map(|e| Endpoint {
            ips: e["addresses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str()?.parse().ok())
                .collect(),
            hostname: e["hostname"].as_str().map(str::to_ascii_lowercase),
        })
        .collect()
}

/// A port of a Service or slice: name, protocol and number.
fn ports(list: &Value) -> Vec<(String, String, u16)> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            Some((
                p["name"].as_str().unwrap_or("").to_ascii_lowercase(),
                p["protocol"].as_str().unwrap_or("TCP").to_ascii_lowercase(),
                u16::try_from(p["port"].as_i64()?).ok()?,
            ))
        })
        .collect()
}

impl Zone {
    /// The zone of `domain` (e.g. `cluster.local`) from every Service and
    /// EndpointSlice of the cluster.
    pub fn build(domain: &str, services: &[&Value], slices: &[&Value]) -> Zone {
        let mut zone = Zone {
            domain: fqdn(domain.trim_end_matches('.')),
            ..Zone::default()
        };
        let version = format!("dns-version.{}", zone.domain);
        zone.add(&version, Data::Txt("1.1.0".into()));
        for service in services {
            zone.add_service(service, slices);
        }
        zone
    }

    fn add(&mut self, name: &str, data: Data) {
        self.records.entry(fqdn(name)).or_default().insert(data);
    }

    fn add_service(&mut self, service: &Value, slices: &[&Value]) {
        let (name, namespace) = (meta::name(service), meta::namespace(service));
        let owner = fqdn(&format!("{name}.{namespace}.svc.{}", self.domain));
        self.names.insert(owner.clone());
        if meta::str_at(service, "/spec/type") == "ExternalName" {
            let external = meta::str_at(service, "/spec/externalName");
            if !external.is_empty() {
                self.add(&owner, Data::Cname(fqdn(external)));
            }
            return;
        }
        let cluster_ip = meta::str_at(service, "/spec/clusterIP");
        if cluster_ip == "None" {
            // Names under a headless Service exist only with ready endpoints.
            self.names.remove(&owner);
            for slice in slices
                .iter()
                .filter(|s| meta::namespace(s) == namespace && label(s, SERVICE_NAME_LABEL) == name)
            {
                self.add_headless(&owner, slice);
            }
            return;
        }
        let Ok(ip) = cluster_ip.parse::<Ipv4Addr>() else {
            return;
        };
        self.add(&owner, Data::A(ip));
        self.add(&reverse_name(ip), Data::Ptr(owner.clone()));
        for (port, protocol, number) in ports(&service["spec"]["ports"]) {
            self.add(&owner, Data::Srv(number, owner.clone()));
            if !port.is_empty() {
                self.add(
                    &format!("_{port}._{protocol}.{owner}"),
                    Data::Srv(number, owner.clone()),
                );
            }
        }
    }

    fn add_headless(&mut self, owner: &str, slice: &Value) {
        let slice_ports = ports(&slice["ports"]);
        for endpoint in ready_endpoints(slice) {
            for ip in &endpoint.ips {
                let host = endpoint.hostname.clone().unwrap_or_else(|| dashed(*ip));
                let target = format!("{host}.{owner}");
                self.add(owner, Data::A(*ip));
                self.add(&target, Data::A(*ip));
                if endpoint.hostname.is_some() {
                    self.add(&reverse_name(*ip), Data::Ptr(target.clone()));
                }
                // A port-less Service has no SRV records (CoreDNS's sentinel
                // port -1 is skipped).
                for (port, protocol, number) in &slice_ports {
                    self.add(owner, Data::Srv(*number, target.clone()));
                    if !port.is_empty() {
                        self.add(
                            &format!("_{port}._{protocol}.{owner}"),
                            Data::Srv(*number, target.clone()),
                        );
                    }
                }
            }
        }
    }

    /// Whether `name` exists: it owns records, is a Service's name, or is
    /// an ancestor of one of those within the zone.
    fn exists(&self, name: &str) -> bool {
        let suffix = format!(".{name}");
        let below = |owner: &String| owner == name || owner.ends_with(&suffix);
        self.records.keys().any(below) || self.names.iter().any(below)
    }

    /// The answer to a query for `name` of `kind`.
    pub fn answer(&self, name: &str, kind: Kind) -> Answer {
        let name = fqdn(name);
        let in_zone = name == self.domain || name.ends_with(&format!(".{}", self.domain));
        if !in_zone && !name.ends_with(".in-addr.arpa.") {
            return Answer::Refused;
        }
        if let Some(ip) = self.pod_address(&name) {
            return Answer::Records(match kind {
                Kind::A => vec![(name, Data::A(ip))],
                _ => Vec::new(),
            });
        }
        let Some(records) = self.records.get(&name) else {
            return if self.exists(&name) || name == self.domain {
                Answer::Records(Vec::new())
            } else {
                Answer::NxDomain
            };
        };
        let matching = |want: Kind| {
            records
                .iter()
                .filter(move |d| d.kind() == want)
                .map(|d| (name.clone(), d.clone()))
                .collect::<Vec<_>>()
        };
        match matching(kind) {
            found if !found.is_empty() => Answer::Records(found),
            // A CNAME answers every type.
            _ => Answer::Records(matching(Kind::Cname)),
        }
    }

    /// `<a>-<b>-<c>-<d>.<ns>.pod.<zone>`: the address it spells.
    fn pod_address(&self, name: &str) -> Option<Ipv4Addr> {
        let rest = name.strip_suffix(&format!(".pod.{}", self.domain))?;
        let (dashed, namespace) = rest.split_once('.')?;
        if namespace.is_empty() || namespace.contains('.') {
            return None;
        }
        dashed.replace('-', ".").parse().ok()
    }

    /// The addresses of the names SRV answers point at, for the additional
    /// section.
    pub fn additional(&self, answers: &[(String, Data)]) -> Vec<(String, Data)> {
        let targets: BTreeSet<&String> = answers
            .iter()
            .filter_map(|(_, d)| match d {
                Data::Srv(_, target) => Some(target),
                _ => None,
            })
            .collect();
        targets
            .into_iter()
            .flat_map(|target| match self.answer(target, Kind::A) {
                Answer::Records(records) => records,
                _ => Vec::new(),
            })
            .collect()
    }

    /// The zone's apex, e.g. `cluster.local.`, the owner of its SOA.
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

/// CoreDNS's SRV weight: 100 shared among the records of one priority
/// (`backend_lookup.go`, `SRV`), at priority 0.
pub fn srv_weight(count: usize) -> u16 {
    u16::try_from(100 / count.max(1)).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn headless() -> Value {
        json!({"metadata": {"name": "nginx", "namespace": "default"},
               "spec": {"clusterIP": "None", "ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}})
    }

    fn slice(endpoints: Value) -> Value {
        json!({"metadata": {"name": "nginx-abcde", "namespace": "default",
                            "labels": {"kubernetes.io/service-name": "nginx"}},
               "addressType": "IPv4",
               "ports": [{"name": "web", "port": 80, "protocol": "TCP"}],
               "endpoints": endpoints})
    }

    fn pet(name: &str, ip: &str, ready: bool) -> Value {
        json!({"addresses": [ip], "hostname": name, "conditions": {"ready": ready}})
    }

    fn zone() -> Zone {
        let svc = headless();
        let s = slice(json!([
            pet("web-0", "10.244.0.2", true),
            pet("web-1", "10.244.0.3", false)
        ]));
        let cluster_ip = json!({"metadata": {"name": "api", "namespace": "shop"},
                                "spec": {"clusterIP": "10.96.0.20",
                                         "ports": [{"name": "http", "port": 8080, "protocol": "TCP"},
                                                   {"port": 9090, "protocol": "TCP"}]}});
        let empty = json!({"metadata": {"name": "lonely", "namespace": "default"},
                           "spec": {"clusterIP": "None"}});
        Zone::build("cluster.local", &[&svc, &cluster_ip, &empty], &[&s])
    }

    fn shown(answer: Answer) -> Vec<String> {
        match answer {
            Answer::Records(records) => records
                .into_iter()
                .map(|(_, d)| match d {
                    Data::A(ip) => ip.to_string(),
                    Data::Srv(port, target) => format!("{port} {target}"),
                    Data::Ptr(name) | Data::Cname(name) | Data::Txt(name) => name,
                })
                .collect(),
            other => vec![format!("{other:?}")],
        }
    }

    /// Each query of the table and what it answers.
    fn check(table: &[(&str, Kind, &[&str])]) {
        let zone = zone();
        for (name, kind, want) in table {
            assert_eq!(shown(zone.answer(name, *kind)), *want, "{name} {kind:?}");
        }
    }

    const PET: &str = "web-0.nginx.default.svc.cluster.local.";
    const API: &str = "api.shop.svc.cluster.local.";

    #[test]
    fn headless_services_answer_with_their_ready_pets() {
        let srv = format!("80 {PET}");
        check(&[
            (
                "web-0.nginx.default.svc.cluster.local",
                Kind::A,
                &["10.244.0.2"],
            ),
            (
                "Web-0.Nginx.default.svc.cluster.local.",
                Kind::A,
                &["10.244.0.2"],
            ),
            ("nginx.default.svc.cluster.local", Kind::A, &["10.244.0.2"]),
            ("nginx.default.svc.cluster.local", Kind::Srv, &[&srv]),
            (
                "_web._tcp.nginx.default.svc.cluster.local",
                Kind::Srv,
                &[&srv],
            ),
            ("2.0.244.10.in-addr.arpa", Kind::Ptr, &[PET]),
            // The unready pet is absent; a headless Service with none is NXDOMAIN.
            (
                "web-1.nginx.default.svc.cluster.local",
                Kind::A,
                &["NxDomain"],
            ),
            ("lonely.default.svc.cluster.local", Kind::A, &["NxDomain"]),
        ]);
    }

    #[test]
    fn cluster_ip_services_answer_with_their_address() {
        let (http, metrics) = (format!("8080 {API}"), format!("9090 {API}"));
        check(&[
            ("api.shop.svc.cluster.local", Kind::A, &["10.96.0.20"]),
            ("_http._tcp.api.shop.svc.cluster.local", Kind::Srv, &[&http]),
            ("api.shop.svc.cluster.local", Kind::Srv, &[&http, &metrics]),
            ("20.0.96.10.in-addr.arpa.", Kind::Ptr, &[API]),
        ]);
        assert_eq!(
            zone().additional(&[("x.".into(), Data::Srv(8080, API.into()))]),
            [(API.to_string(), Data::A("10.96.0.20".parse().unwrap()))]
        );
    }

    #[test]
    fn negatives_refusals_and_the_fixed_records() {
        // NODATA: the name exists, not with that type; so do its ancestors.
        check(&[
            ("api.shop.svc.cluster.local", Kind::Ptr, &[]),
            ("shop.svc.cluster.local", Kind::A, &[]),
            ("cluster.local", Kind::A, &[]),
            ("nope.shop.svc.cluster.local", Kind::A, &["NxDomain"]),
            ("example.com", Kind::A, &["Refused"]),
            ("dns-version.cluster.local", Kind::Txt, &["1.1.0"]),
            (
                "10-244-0-9.default.pod.cluster.local",
                Kind::A,
                &["10.244.0.9"],
            ),
        ]);
        assert_eq!((srv_weight(1), srv_weight(2), srv_weight(3)), (100, 50, 33));
    }
}
