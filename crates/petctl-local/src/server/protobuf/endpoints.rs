//! Endpoints and EndpointSlices in protobuf, as client-go's typed clients
//! (`CoreV1().Endpoints`, `DiscoveryV1().EndpointSlices`) send them.

use k8s_pb::api::core::v1 as core;
use k8s_pb::api::discovery::v1 as discovery;
use serde_json::{json, Value};

use super::{camel_case, metadata, object_reference, Fields};

/// A list field, left out when empty.
fn list(items: Vec<Value>) -> Option<Value> {
    (!items.is_empty()).then(|| json!(items))
}

fn address(a: core::EndpointAddress) -> Value {
    fields!(a; set: ip, hostname; opt: node_name)
        .value("targetRef", a.target_ref.map(object_reference))
        .done()
}

pub(super) fn endpoints(endpoints: core::Endpoints) -> Value {
    let subsets: Vec<Value> = endpoints
        .subsets
        .into_iter()
        .map(|s| {
            let ports: Vec<Value> = s
                .ports
                .into_iter()
                .map(|p| fields!(p; set: name; opt: port; set: protocol; opt: app_protocol).done())
                .collect();
            Fields::default()
                .value(
                    "addresses",
                    list(s.addresses.into_iter().map(address).collect()),
                )
                .value(
                    "notReadyAddresses",
                    list(s.not_ready_addresses.into_iter().map(address).collect()),
                )
                .value("ports", list(ports))
                .done()
        })
        .collect();
    Fields::default()
        .value("metadata", metadata(endpoints.metadata))
        .value("subsets", list(subsets))
        .done()
}

pub(super) fn endpoint_slice(slice: discovery::EndpointSlice) -> Value {
    let endpoints: Vec<Value> = slice
        .endpoints
        .into_iter()
        .map(|e| {
            let conditions = e
                .conditions
                .map(|c| fields!(c; opt: ready, serving, terminating).done());
            Fields::default()
                .present("addresses", Some(json!(e.addresses)))
                .present("conditions", conditions)
                .opt("hostname", e.hostname)
                .value("targetRef", e.target_ref.map(object_reference))
                .opt("nodeName", e.node_name)
                .opt("zone", e.zone)
                .done()
        })
        .collect();
    let ports: Vec<Value> = slice
        .ports
        .into_iter()
        .map(|p| fields!(p; opt: name, protocol, port, app_protocol).done())
        .collect();
    Fields::default()
        .value("metadata", metadata(slice.metadata))
        .opt("addressType", slice.address_type)
        .value("endpoints", list(endpoints))
        .value("ports", list(ports))
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn round_trip<M: Message + Default>(message: &M) -> M {
        M::decode(message.encode_to_vec().as_slice()).expect("decode")
    }

    #[test]
    fn endpoints_and_slices_decode_to_their_json() {
        let pod = core::ObjectReference {
            kind: Some("Pod".into()),
            name: Some("web-0".into()),
            ..Default::default()
        };
        let ep = core::Endpoints {
            metadata: None,
            subsets: vec![core::EndpointSubset {
                addresses: vec![core::EndpointAddress {
                    ip: Some("10.244.0.2".into()),
                    hostname: Some("web-0".into()),
                    node_name: Some("node-1".into()),
                    target_ref: Some(pod.clone()),
                }],
                not_ready_addresses: vec![],
                ports: vec![core::EndpointPort {
                    name: Some("web".into()),
                    port: Some(80),
                    protocol: Some("TCP".into()),
                    app_protocol: None,
                }],
            }],
        };
        assert_eq!(
            endpoints(round_trip(&ep)),
            json!({"subsets": [{"addresses": [{"ip": "10.244.0.2", "hostname": "web-0",
                                               "nodeName": "node-1",
                                               "targetRef": {"kind": "Pod", "name": "web-0"}}],
                                "ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}]})
        );
        let slice = discovery::EndpointSlice {
            address_type: Some("IPv4".into()),
            endpoints: vec![discovery::Endpoint {
                addresses: vec!["10.244.0.2".into()],
                conditions: Some(discovery::EndpointConditions {
                    ready: Some(true),
                    serving: Some(true),
                    terminating: Some(false),
                }),
                target_ref: Some(pod),
                ..Default::default()
            }],
            ..Default::default()
        };
        assert_eq!(
            endpoint_slice(round_trip(&slice)),
            json!({"addressType": "IPv4",
                   "endpoints": [{"addresses": ["10.244.0.2"],
                                  "conditions": {"ready": true, "serving": true, "terminating": false},
                                  "targetRef": {"kind": "Pod", "name": "web-0"}}]})
        );
    }
}
