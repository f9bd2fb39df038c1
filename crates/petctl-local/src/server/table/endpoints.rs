//! The ENDPOINTS and PORTS cells of Endpoints and EndpointSlices, as
//! `formatEndpoints`, `formatDiscoveryPorts` and `formatDiscoveryEndpoints`
//! of pkg/printers/internalversion/printers.go write them: at most three
//! entries, then ` + N more...`.

use serde_json::Value;

const MAX: usize = 3;

fn list(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

fn with_more(shown: &[String], count: usize) -> String {
    let joined = shown.join(",");
    if count > MAX {
        format!("{joined} + {} more...", count - MAX)
    } else {
        joined
    }
}

/// `formatEndpoints`: `ip:port` of each ready address and port, `<none>`
/// without subsets (only not-ready addresses make an empty cell).
pub fn endpoints(object: &Value) -> String {
    let subsets: Vec<&Value> = list(&object["subsets"]).collect();
    if subsets.is_empty() {
        return "<none>".into();
    }
    let mut entries = Vec::new();
    for subset in subsets {
        let ips = list(&subset["addresses"]).map(|a| a["ip"].as_str().unwrap_or(""));
        let ports: Vec<i64> = list(&subset["ports"])
            .filter_map(|p| p["port"].as_i64())
            .collect();
        if ports.is_empty() {
            entries.extend(ips.map(str::to_string));
            continue;
        }
        for port in ports {
            let ips = list(&subset["addresses"]).map(|a| a["ip"].as_str().unwrap_or(""));
            entries.extend(ips.map(|ip| join_host_port(ip, port)));
        }
    }
    let count = entries.len();
    entries.truncate(MAX);
    with_more(&entries, count)
}

/// Go's `net.JoinHostPort`: an IPv6 address in brackets.
fn join_host_port(ip: &str, port: i64) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// `listWithMoreString`: `<unset>` for nothing.
fn or_unset(entries: Vec<String>) -> String {
    let count = entries.len();
    if count == 0 {
        return "<unset>".into();
    }
    with_more(&entries[..count.min(MAX)], count)
}

/// `formatDiscoveryPorts`: the number, else the name, else `*`.
pub fn slice_ports(object: &Value) -> String {
    or_unset(
        list(&object["ports"])
            .map(|p| match (p["port"].as_i64(), p["name"].as_str()) {
                (Some(port), _) => port.to_string(),
                (None, Some(name)) => name.to_string(),
                (None, None) => "*".into(),
            })
            .collect(),
    )
}

/// `formatDiscoveryEndpoints`: every address, ready or not.
pub fn slice_endpoints(object: &Value) -> String {
    or_unset(
        list(&object["endpoints"])
            .flat_map(|e| list(&e["addresses"]))
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_as_kubectl_prints_them() {
        let ep = json!({"subsets": [{"addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}],
                                     "ports": [{"port": 80}, {"port": 443}]}]});
        assert_eq!(
            endpoints(&ep),
            "10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more..."
        );
        assert_eq!(endpoints(&json!({})), "<none>");
        assert_eq!(
            endpoints(&json!({"subsets": [{"notReadyAddresses": [{"ip": "10.0.0.1"}]}]})),
            ""
        );
        let slice = json!({"ports": [{"name": "web", "port": 80}],
                           "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}]});
        assert_eq!(slice_ports(&slice), "80");
        assert_eq!(slice_endpoints(&slice), "10.0.0.1,10.0.0.2");
        assert_eq!(slice_ports(&json!({"ports": null})), "<unset>");
        assert_eq!(slice_endpoints(&json!({"endpoints": null})), "<unset>");
    }
}
