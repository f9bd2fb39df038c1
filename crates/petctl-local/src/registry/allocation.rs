//! Allocation of a Service's cluster IP from 10.96.0.0/16, serialized so
//! that two creates never get the same address.

use serde_json::{json, Value};

use super::error::{ApiError, Cause};
use super::meta;
use super::Registry;
use petctl_model::field_path::FieldPath;
use petctl_model::kinds;

impl Registry {
    pub(super) fn allocate_cluster_ip(&self, service: &mut Value) -> Result<(), ApiError> {
        let requested = meta::str_at(service, "/spec/clusterIP").to_string();
        if service.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName")
            || requested == "None"
        {
            return Ok(());
        }
        let Some(services) = kinds::by_name("services") else {
            return Ok(());
        };
        let (existing, _) = self
            .store
            .list(services.group, services.plural, None)
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
        let used: std::collections::HashSet<String> = existing
            .iter()
            .map(|s| meta::str_at(s, "/spec/clusterIP").to_string())
            .collect();
        let ip = if requested.is_empty() {
            (10u32..65_534)
                .map(|n| format!("10.96.{}.{}", n / 256, n % 256))
                .find(|ip| !used.contains(ip) && !ip.ends_with(".0") && !ip.ends_with(".255"))
                .ok_or_else(|| ApiError::internal("no cluster IPs left in 10.96.0.0/16"))?
        } else if used.contains(&requested) {
            let cause = Cause::invalid(
                FieldPath::parse("spec.clusterIPs"),
                &json!([requested]),
                &format!("failed to allocate IP {requested}: provided IP is already allocated"),
            );
            return Err(ApiError::invalid(
                kinds::by_name("services").unwrap_or(services),
                meta::name(service),
                &[cause],
            ));
        } else {
            requested
        };
        if let Some(spec) = service.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("clusterIP".into(), json!(ip));
            spec.insert("clusterIPs".into(), json!([ip]));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::WriteOptions;

    /// The server, the controllers and the DNS server each build their own
    /// registry over one store: creates racing through two registries still
    /// get distinct addresses.
    #[test]
    fn creates_through_two_registries_never_share_an_address() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::store::Store::open(&dir.path().join("store.redb")).expect("store");
        let services = kinds::by_name("services").expect("services");
        let registries = [Registry::new(store.clone()), Registry::new(store)];
        registries[0].bootstrap().expect("namespaces");
        let ips: Vec<String> = std::thread::scope(|scope| {
            let creates: Vec<_> = (0..16)
                .map(|i| {
                    let registry = &registries[i % 2];
                    scope.spawn(move || {
                        let body = json!({"apiVersion": "v1", "kind": "Service",
                            "metadata": {"name": format!("s{i}")},
                            "spec": {"ports": [{"port": 80}]}});
                        let written = registry
                            .create(services, "default", body, WriteOptions::default())
                            .expect("create");
                        meta::str_at(&written.object, "/spec/clusterIP").to_string()
                    })
                })
                .collect();
            creates
                .into_iter()
                .map(|c| c.join().expect("join"))
                .collect()
        });
        let distinct: std::collections::HashSet<&String> = ips.iter().collect();
        assert_eq!(distinct.len(), ips.len(), "{ips:?}");
    }
}
