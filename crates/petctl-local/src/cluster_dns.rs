//! Cluster DNS as the rest of the control plane sees it: the domain, the
//! `--dns-port` listener, and the address that pods' resolv.conf names.
//!
//! The DNS server fills the addresses in once it has bound them; exec
//! sandboxes and `local status` read them.

use std::net::SocketAddr;
use std::sync::OnceLock;

/// kubelet's `--cluster-domain` default.
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

/// `local up --dns-port` and `--cluster-domain`.
#[derive(Debug, Clone)]
pub struct DnsOptions {
    /// 0 picks a free port.
    pub port: u16,
    pub cluster_domain: String,
}

impl Default for DnsOptions {
    fn default() -> Self {
        DnsOptions {
            port: 0,
            cluster_domain: DEFAULT_CLUSTER_DOMAIN.to_string(),
        }
    }
}

/// Where this control plane's DNS answers.
#[derive(Debug)]
pub struct ClusterDns {
    domain: String,
    listen: OnceLock<SocketAddr>,
    pod_nameserver: OnceLock<SocketAddr>,
}

impl ClusterDns {
    pub fn new(domain: &str) -> Self {
        ClusterDns {
            domain: domain.trim_end_matches('.').to_string(),
            listen: OnceLock::new(),
            pod_nameserver: OnceLock::new(),
        }
    }

    /// The cluster domain without a trailing dot, e.g. `cluster.local`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The `--dns-port` listener on 127.0.0.1, once bound.
    pub fn listen(&self) -> Option<SocketAddr> {
        self.listen.get().copied()
    }

    pub fn set_listen(&self, address: SocketAddr) {
        let _ = self.listen.set(address);
    }

    /// The address a pod's resolv.conf names. resolv.conf has no port
    /// syntax, so this one answers on port 53.
    pub fn pod_nameserver(&self) -> Option<SocketAddr> {
        self.pod_nameserver.get().copied()
    }

    pub fn set_pod_nameserver(&self, address: SocketAddr) {
        let _ = self.pod_nameserver.set(address);
    }

    /// The search path kubelet writes for a pod in `namespace` (ClusterFirst).
    pub fn search_path(&self, namespace: &str) -> Vec<String> {
        let domain = &self.domain;
        vec![
            format!("{namespace}.svc.{domain}"),
            format!("svc.{domain}"),
            domain.clone(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_path_is_kubelets() {
        let dns = ClusterDns::new("cluster.local.");
        assert_eq!(
            dns.search_path("default"),
            [
                "default.svc.cluster.local",
                "svc.cluster.local",
                "cluster.local"
            ]
        );
        assert_eq!(dns.listen(), None);
    }
}
