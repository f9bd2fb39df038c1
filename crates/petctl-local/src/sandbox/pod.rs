//! What a pod's spec says its sandbox looks like, as the kubelet reads it:
//! the hostname, the hosts and resolv.conf files, the container's
//! environment, and which directory backs each of its volume mounts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::Bind;
use crate::cluster_dns::ClusterDns;
use crate::registry::meta;

/// The hostname the kubelet gives a pod: `spec.hostname`, else its name,
/// cut to 63 characters (pkg/kubelet/kubelet_pods.go,
/// `GeneratePodHostNameAndDomain`, `truncatePodHostnameIfNeeded`).
pub fn hostname(pod: &Value) -> String {
    let name = match meta::str_at(pod, "/spec/hostname") {
        "" => meta::name(pod),
        hostname => hostname,
    };
    name.chars()
        .take(63)
        .collect::<String>()
        .trim_end_matches(['-', '.'])
        .to_string()
}

/// The kubelet's managed /etc/hosts (pkg/kubelet/kubelet_pods.go,
/// `managedHostsFileContent`): the localhost lines, then the pod's own IP
/// with its FQDN when it has a subdomain.
pub fn hosts_file(pod: &Value, domain: &str) -> String {
    let mut text = String::from(
        "# Kubernetes-managed hosts file.\n\
         127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n\
         fe00::0\tip6-localnet\n\
         fe00::0\tip6-mcastprefix\n\
         fe00::1\tip6-allnodes\n\
         fe00::2\tip6-allrouters\n",
    );
    let ip = meta::str_at(pod, "/status/podIP");
    let host = hostname(pod);
    if !ip.is_empty() {
        match meta::str_at(pod, "/spec/subdomain") {
            "" => text.push_str(&format!("{ip}\t{host}\n")),
            sub => {
                let ns = meta::namespace(pod);
                text.push_str(&format!("{ip}\t{host}.{sub}.{ns}.svc.{domain}\t{host}\n"));
            }
        }
    }
    text
}

/// A ClusterFirst pod's resolv.conf (pkg/kubelet/network/dns/dns.go):
/// the cluster DNS server (when one listens on port 53), the search path
/// and `ndots:5`.
pub fn resolv_conf(namespace: &str, dns: &ClusterDns) -> String {
    let mut text = String::new();
    match dns.pod_nameserver() {
        Some(server) => text.push_str(&format!("nameserver {}\n", server.ip())),
        None => text.push_str("# no cluster DNS server listens on port 53 (see docs/exec.md)\n"),
    }
    text.push_str(&format!(
        "search {}\n",
        dns.search_path(namespace).join(" ")
    ));
    text.push_str("options ndots:5\n");
    text
}

/// The container named `name`, or the only one; the error is the
/// apiserver's (pkg/registry/core/pod/strategy.go, `streamLocation`).
pub fn container<'a>(pod: &'a Value, name: Option<&str>) -> Result<&'a Value, String> {
    let pod_name = meta::name(pod);
    let containers: &[Value] = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let name_of = |c: &Value| {
        c.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match name.filter(|n| !n.is_empty()) {
        Some(name) => containers
            .iter()
            .find(|c| name_of(c) == name)
            .ok_or_else(|| format!("container {name} is not valid for pod {pod_name}")),
        None => match containers {
            [only] => Ok(only),
            [] => Err(format!(
                "a container name must be specified for pod {pod_name}"
            )),
            several => {
                let names: Vec<String> = several.iter().map(name_of).collect();
                let mut message = format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    names.join(" ")
                );
                let init: Vec<String> = pod
                    .pointer("/spec/initContainers")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(name_of)
                    .collect();
                if !init.is_empty() {
                    message.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                Err(message)
            }
        },
    }
}

/// The container's environment as the kubelet sets it: a default PATH,
/// HOSTNAME, TERM for a terminal, then `env` with plain values and the
/// fieldRefs a pod can answer itself.
pub fn env(pod: &Value, container: &Value, tty: bool) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = vec![
        (
            "PATH".into(),
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into(),
        ),
        ("HOSTNAME".into(), hostname(pod)),
        ("HOME".into(), "/root".into()),
    ];
    if tty {
        vars.push(("TERM".into(), "xterm".into()));
    }
    for var in container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = var.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = match (
            var.get("value"),
            var.pointer("/valueFrom/fieldRef/fieldPath"),
        ) {
            (Some(Value::String(v)), _) => v.clone(),
            (_, Some(Value::String(path))) => field_ref(pod, path),
            _ => String::new(),
        };
        vars.retain(|(n, _)| n != name);
        vars.push((name.to_string(), value));
    }
    vars
}

/// pkg/fieldpath's `ExtractFieldPathAsString` for the fields a pod holds.
fn field_ref(pod: &Value, path: &str) -> String {
    let pointer = match path {
        "metadata.name" => "/metadata/name",
        "metadata.namespace" => "/metadata/namespace",
        "metadata.uid" => "/metadata/uid",
        "spec.nodeName" => "/spec/nodeName",
        "spec.serviceAccountName" => "/spec/serviceAccountName",
        "status.podIP" => "/status/podIP",
        "status.hostIP" => "/status/hostIP",
        _ => return String::new(),
    };
    meta::str_at(pod, pointer).to_string()
}

/// What backs one of the pod's volumes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Volume {
    /// A claim, by name: its PV's hostPath directory.
    Claim(String),
    /// A directory of the pod's own, under the state dir.
    EmptyDir,
    /// A source the local control plane does not back (configMap, secret,
    /// hostPath …): mounts of it are left out.
    Other,
}

/// The pod's volumes by name.
pub fn volumes(pod: &Value) -> BTreeMap<String, Volume> {
    pod.pointer("/spec/volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let name = v.get("name").and_then(Value::as_str)?.to_string();
            let source = match (
                v.pointer("/persistentVolumeClaim/claimName")
                    .and_then(Value::as_str),
                v.get("emptyDir"),
            ) {
                (Some(claim), _) => Volume::Claim(claim.to_string()),
                (None, Some(_)) => Volume::EmptyDir,
                _ => Volume::Other,
            };
            Some((name, source))
        })
        .collect()
}

/// The container's volumeMounts bound to the directories backing them
/// (`dirs`, by volume name); mounts of volumes without one are skipped.
pub fn mounts(container: &Value, dirs: &BTreeMap<String, PathBuf>) -> Vec<Bind> {
    container
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let volume = m.get("name").and_then(Value::as_str)?;
            let target = m.get("mountPath").and_then(Value::as_str)?;
            let mut source = dirs.get(volume)?.clone();
            if let Some(sub) = m.get("subPath").and_then(Value::as_str) {
                if !sub.is_empty() && !sub.split('/').any(|c| c == "..") {
                    source = source.join(sub);
                }
            }
            Some(Bind {
                source,
                target: PathBuf::from(target),
                read_only: m.get("readOnly").and_then(Value::as_bool) == Some(true),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pet() -> Value {
        json!({
            "metadata": {"name": "web-0", "namespace": "default", "uid": "u1"},
            "spec": {
                "hostname": "web-0",
                "subdomain": "nginx",
                "containers": [{
                    "name": "nginx",
                    "env": [
                        {"name": "MODE", "value": "pet"},
                        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                        {"name": "HOME", "value": "/data"}
                    ],
                    "volumeMounts": [
                        {"name": "www", "mountPath": "/usr/share/nginx/html"},
                        {"name": "cache", "mountPath": "/cache", "readOnly": true},
                        {"name": "config", "mountPath": "/etc/nginx/conf.d"}
                    ]
                }],
                "volumes": [
                    {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}},
                    {"name": "cache", "emptyDir": {}},
                    {"name": "config", "configMap": {"name": "nginx"}}
                ]
            },
            "status": {"podIP": "10.244.0.7"}
        })
    }

    #[test]
    fn hosts_name_the_pet_by_its_fqdn() {
        let hosts = hosts_file(&pet(), "cluster.local");
        assert!(hosts.starts_with("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"));
        assert!(hosts.ends_with("10.244.0.7\tweb-0.nginx.default.svc.cluster.local\tweb-0\n"));
        let mut plain = pet();
        plain["spec"]["subdomain"] = json!("");
        plain["spec"]["hostname"] = json!("");
        assert!(hosts_file(&plain, "cluster.local").ends_with("10.244.0.7\tweb-0\n"));
    }

    #[test]
    fn resolv_conf_names_the_search_path_and_the_server_once_known() {
        let dns = ClusterDns::new("cluster.local");
        assert_eq!(
            resolv_conf("default", &dns),
            "# no cluster DNS server listens on port 53 (see docs/exec.md)\n\
             search default.svc.cluster.local svc.cluster.local cluster.local\n\
             options ndots:5\n"
        );
        dns.set_pod_nameserver("127.0.0.53:53".parse().unwrap());
        assert!(resolv_conf("default", &dns).starts_with("nameserver 127.0.0.53\nsearch "));
    }

    #[test]
    fn the_container_is_named_or_the_only_one() {
        let pod = pet();
        assert!(container(&pod, None).is_ok());
        assert_eq!(
            container(&pod, Some("php")).unwrap_err(),
            "container php is not valid for pod web-0"
        );
        let mut two = pet();
        two["spec"]["containers"] = json!([{"name": "a"}, {"name": "b"}]);
        two["spec"]["initContainers"] = json!([{"name": "init"}]);
        assert_eq!(
            container(&two, None).unwrap_err(),
            "a container name must be specified for pod web-0, choose one of: [a b] or one of the init containers: [init]"
        );
    }

    #[test]
    fn env_has_plain_values_field_refs_and_kubelet_defaults() {
        let pod = pet();
        let env = env(&pod, &pod["spec"]["containers"][0], true);
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("MODE"), Some("pet"));
        assert_eq!(get("POD_IP"), Some("10.244.0.7"));
        assert_eq!(get("HOSTNAME"), Some("web-0"));
        assert_eq!(get("HOME"), Some("/data"), "the container's own value wins");
        assert_eq!(get("TERM"), Some("xterm"));
    }

    #[test]
    fn mounts_bind_claims_and_empty_dirs_and_skip_the_rest() {
        let pod = pet();
        let volumes = volumes(&pod);
        assert_eq!(volumes["www"], Volume::Claim("www-web-0".into()));
        assert_eq!(volumes["cache"], Volume::EmptyDir);
        assert_eq!(volumes["config"], Volume::Other);
        let dirs = BTreeMap::from([
            ("www".to_string(), PathBuf::from("/s/volumes/pvc-1")),
            (
                "cache".to_string(),
                PathBuf::from("/s/pods/u1/volumes/cache"),
            ),
        ]);
        let binds = mounts(&pod["spec"]["containers"][0], &dirs);
        assert_eq!(
            binds,
            [
                Bind {
                    source: "/s/volumes/pvc-1".into(),
                    target: "/usr/share/nginx/html".into(),
                    read_only: false
                },
                Bind {
                    source: "/s/pods/u1/volumes/cache".into(),
                    target: "/cache".into(),
                    read_only: true
                }
            ]
        );
    }
}
