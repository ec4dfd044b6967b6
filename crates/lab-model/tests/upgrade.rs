//! The reference labs open: the v2 sample as is, the v1 sample after upgrade
//! with every node, network and connection it expresses.

use nova_lab_model::{Endpoint, Lab, LabParseError, NetworkType, NodeKind};
use serde_json::Value;

const ALPINE: &str = include_str!("fixtures/alpine-docker-demo.json");
const PA_V1: &str = include_str!("fixtures/pa-fw-ipsec-gre-lab.json");

/// The (node, interface, network) attachments a v1 file expresses, from both
/// `interfaces[].network_id` and `topology[]`, computed independently of the crate.
fn v1_attachments(text: &str) -> std::collections::BTreeSet<(u64, u64, u64)> {
    let v: Value = serde_json::from_str(text).unwrap();
    let mut set = std::collections::BTreeSet::new();
    for node in v["nodes"].as_object().unwrap().values() {
        let id = node["id"].as_u64().unwrap();
        for (i, iface) in node["interfaces"].as_array().unwrap().iter().enumerate() {
            let net = iface["network_id"].as_u64().unwrap_or(0);
            if net != 0 {
                set.insert((id, i as u64, net));
            }
        }
    }
    for t in v["topology"].as_array().unwrap() {
        let net = t["network_id"].as_u64().unwrap();
        for (end, ifk) in [
            ("source", "source_interfaceId"),
            ("destination", "destination_interfaceId"),
        ] {
            if let Some(n) = t[end].as_str().unwrap().strip_prefix("node") {
                set.insert((n.parse().unwrap(), t[ifk].as_u64().unwrap(), net));
            }
        }
    }
    set
}

#[test]
fn v2_sample_opens_as_is_and_validates() {
    let lab = Lab::from_json(ALPINE).unwrap();
    assert_eq!(lab.id, "alpine-docker-demo");
    assert_eq!(lab.nodes.len(), 2);
    assert_eq!(lab.networks.len(), 1);
    assert_eq!(lab.links.len(), 2);
    assert_eq!(lab.node(1).unwrap().kind, NodeKind::Docker);
    lab.validate().unwrap();
    let (same, report) = Lab::from_json_upgrading(ALPINE).unwrap();
    assert!(report.is_none(), "a v2 lab is not upgraded");
    assert_eq!(same, lab);
}

#[test]
fn v2_sample_round_trips_every_field() {
    let lab = Lab::from_json(ALPINE).unwrap();
    let written: Value = serde_json::from_str(&lab.to_json()).unwrap();
    let original: Value = serde_json::from_str(ALPINE).unwrap();
    // Every original node field survives with its value (uuid/firstmac nulls are optional).
    for (key, node) in original["nodes"].as_object().unwrap() {
        for (field, value) in node.as_object().unwrap() {
            if value.is_null() {
                continue;
            }
            assert_eq!(
                &written["nodes"][key][field], value,
                "node {key} field {field}"
            );
        }
    }
    assert_eq!(written["networks"], original["networks"]);
    assert_eq!(written["meta"], original["meta"]);
}

#[test]
fn v1_sample_is_refused_without_upgrade() {
    assert!(matches!(
        Lab::from_json(PA_V1),
        Err(LabParseError::LegacySchema)
    ));
}

#[test]
fn v1_sample_opens_after_upgrade_with_all_connections() {
    let (lab, report) = Lab::from_json_upgrading(PA_V1).unwrap();
    let report = report.expect("a v1 lab is upgraded");
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    assert_eq!(lab.schema, 2);
    assert_eq!(lab.nodes.len(), 4);
    assert_eq!(lab.networks.len(), 4);

    let expected = v1_attachments(PA_V1);
    assert_eq!(
        expected.len(),
        7,
        "the sample expresses 7 interface attachments"
    );
    let got: std::collections::BTreeSet<(u64, u64, u64)> = lab
        .links
        .iter()
        .map(|l| match (&l.from, &l.to) {
            (Endpoint::Node(n), Endpoint::Network(net)) => (
                u64::from(n.node_id),
                u64::from(n.interface_index),
                u64::from(net.network_id),
            ),
            other => panic!("unexpected link shape {other:?}"),
        })
        .collect();
    assert_eq!(got, expected);
    assert_eq!(lab.links.len(), 7);
    assert_eq!(report.links_from_topology + report.links_from_interfaces, 7);

    assert_eq!(
        lab.network(1).unwrap().kind,
        NetworkType::LinuxBridge,
        "bridge → linux_bridge"
    );
    assert!(
        lab.network(3).unwrap().implicit,
        "EVE-NG's hidden bridge is an implicit network"
    );
    lab.validate().unwrap();
}

#[test]
fn v1_attachments_without_topology_entries_are_kept() {
    // Drop the whole topology: the interfaces alone must still give every link.
    let mut v: Value = serde_json::from_str(PA_V1).unwrap();
    v.as_object_mut().unwrap().remove("topology");
    let (lab, report) = Lab::from_json_upgrading(&v.to_string()).unwrap();
    let report = report.unwrap();
    assert_eq!(report.links_from_topology, 0);
    assert_eq!(report.links_from_interfaces, 7);
    assert_eq!(lab.links.len(), 7);
    lab.validate().unwrap();
}

#[test]
fn derived_keys_are_stripped_on_write() {
    let (lab, _) = Lab::from_json_upgrading(PA_V1).unwrap();
    let written: Value = serde_json::from_str(&lab.to_json()).unwrap();
    assert!(written.get("topology").is_none());
    for net in written["networks"].as_object().unwrap().values() {
        assert!(net.get("count").is_none());
    }
    for node in written["nodes"].as_object().unwrap().values() {
        for iface in node["interfaces"].as_array().unwrap() {
            assert!(iface.get("network_id").is_none());
            assert!(iface.get("index").is_some());
        }
    }
    // And a v2 file that carries them (an API response saved to disk) loses them on read.
    let mut v: Value = serde_json::from_str(ALPINE).unwrap();
    v["topology"] = serde_json::json!([{"type": "ethernet"}]);
    v["networks"]["1"]["count"] = 2.into();
    v["nodes"]["1"]["interfaces"][0]["network_id"] = 1.into();
    let lab = Lab::from_json(&v.to_string()).unwrap();
    let text = lab.to_json();
    assert!(
        !text.contains("topology")
            && !text.contains("\"count\"")
            && !text.contains("network_id\": 1,\n      \"name")
    );
    let re: Value = serde_json::from_str(&text).unwrap();
    assert!(
        re["nodes"]["1"]["interfaces"][0]
            .get("network_id")
            .is_none()
    );
    // The written v2 lab reads back equal.
    assert_eq!(Lab::from_json(&text).unwrap(), lab);
}

#[test]
fn malformed_labs_give_clear_errors() {
    let e = Lab::from_json("{\"schema\": 2,\n \"id\": ").unwrap_err();
    assert!(matches!(e, LabParseError::Syntax { line: 2, .. }), "{e}");
    assert!(matches!(
        Lab::from_json("[]"),
        Err(LabParseError::NotAnObject { .. })
    ));
    assert!(matches!(
        Lab::from_json("{\"schema\": 7}"),
        Err(LabParseError::UnsupportedSchema { .. })
    ));
    let e = Lab::from_json(
        r#"{"schema":2,"id":"x","meta":{"name":"x"},"nodes":{"1":{"id":"one","type":"qemu"}}}"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("non-negative integer"), "{e}");
    let dup = r#"{"schema":2,"id":"x","meta":{"name":"x"},"networks":{"1":{"id":1,"type":"linux_bridge"},"1":{"id":1,"type":"nat_cloud"}}}"#;
    let e = Lab::from_json(dup).unwrap_err();
    assert!(e.to_string().contains("id \"1\" appears twice"), "{e}");
}
