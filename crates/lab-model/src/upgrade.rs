//! Upgrade of schema-1 (EVE-NG-like) labs to schema 2 (REFERENCE §3.8).
//!
//! Schema 1 keeps connectivity twice: in each node's `interfaces[i].network_id`
//! and in a top-level `topology[]`. The earlier Python migration converted only
//! `topology[]` and lost attachments that existed only on the interface. This
//! upgrade converts both: every topology entry becomes node→network links, and
//! every interface attachment that no topology entry covered becomes a link too.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::json::LabParseError;

/// What an upgrade did, for logs and for the user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpgradeReport {
    /// Links made from `topology[]` entries.
    pub links_from_topology: usize,
    /// Links made from `interfaces[].network_id` attachments without a topology entry.
    pub links_from_interfaces: usize,
    /// Networks created for node↔node topology entries that named no network.
    pub networks_created: usize,
    /// Things the upgrade skipped or had to decide, one sentence each.
    pub warnings: Vec<String>,
}

/// One node interface attached to one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Attachment {
    node: u64,
    iface: u64,
    network: u64,
}

/// Link metrics carried by a topology entry (`source_*`).
#[derive(Debug, Clone, Default)]
struct Metrics(Option<Value>);

/// Upgrades a parsed schema-1 document to schema-2 shape.
pub(crate) fn upgrade_v1(mut doc: Value) -> Result<(Value, UpgradeReport), LabParseError> {
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| LabParseError::Upgrade("the lab is not a JSON object".into()))?;
    let mut report = UpgradeReport::default();

    obj.insert("schema".into(), json!(2));
    obj.entry("viewport")
        .or_insert_with(|| json!({"x": 0, "y": 0, "zoom": 1.0}));
    obj.entry("defaults")
        .or_insert_with(|| json!({"link_style": "orthogonal"}));
    obj.entry("meta").or_insert_with(|| json!({"name": ""}));

    upgrade_networks(obj)?;
    let attachments = upgrade_nodes(obj)?;
    let topology = match obj.shift_remove("topology") {
        Some(Value::Array(entries)) => entries,
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err(LabParseError::Upgrade("topology is not an array".into())),
    };

    let mut builder = LinkBuilder::new(obj);
    for (i, entry) in topology.iter().enumerate() {
        builder.add_topology_entry(i, entry, &mut report);
    }
    for att in attachments {
        if builder.add_attachment(att, None, &mut report) {
            report.links_from_interfaces += 1;
        }
    }
    builder.finish(obj);
    Ok((doc, report))
}

/// Renames `bridge` to `linux_bridge`, drops `count`, fills defaults.
fn upgrade_networks(obj: &mut Map<String, Value>) -> Result<(), LabParseError> {
    let networks = obj.entry("networks").or_insert_with(|| json!({}));
    let Some(networks) = networks.as_object_mut() else {
        return Err(LabParseError::Upgrade("networks is not an object".into()));
    };
    for (key, net) in networks.iter_mut() {
        let Some(net) = net.as_object_mut() else {
            return Err(LabParseError::Upgrade(format!(
                "network {key} is not an object"
            )));
        };
        net.shift_remove("count");
        if net.get("type").and_then(Value::as_str) == Some("bridge") {
            net.insert("type".into(), json!("linux_bridge"));
        }
        net.entry("type").or_insert_with(|| json!("linux_bridge"));
        net.entry("id")
            .or_insert_with(|| key.parse::<u64>().map(Value::from).unwrap_or(json!(key)));
        let hidden = net
            .get("visibility")
            .is_some_and(|v| matches!(v.as_i64(), Some(0)) || v == &json!(false));
        // EVE-NG hides the bridge it makes for a node↔node connection; that is what
        // schema 2 calls an implicit network.
        net.entry("implicit").or_insert_with(|| json!(hidden));
        net.entry("visibility").or_insert_with(|| json!(true));
        net.entry("config").or_insert_with(|| json!({}));
    }
    Ok(())
}

/// Rewrites interfaces to `{index,name,planned_mac,port_position}` and returns
/// their `network_id` attachments in node, interface order.
fn upgrade_nodes(obj: &mut Map<String, Value>) -> Result<Vec<Attachment>, LabParseError> {
    let nodes = obj.entry("nodes").or_insert_with(|| json!({}));
    let Some(nodes) = nodes.as_object_mut() else {
        return Err(LabParseError::Upgrade("nodes is not an object".into()));
    };
    let mut attachments = Vec::new();
    for (key, node) in nodes.iter_mut() {
        let Some(node) = node.as_object_mut() else {
            return Err(LabParseError::Upgrade(format!(
                "node {key} is not an object"
            )));
        };
        let node_id = match node
            .get("id")
            .and_then(Value::as_u64)
            .or_else(|| key.parse().ok())
        {
            Some(id) => id,
            None => {
                return Err(LabParseError::Upgrade(format!(
                    "node {key} has no numeric id"
                )));
            }
        };
        let interfaces = interface_entries(node.shift_remove("interfaces"));
        let mut upgraded = Vec::with_capacity(interfaces.len());
        for (index, mut iface) in interfaces {
            let network = iface
                .shift_remove("network_id")
                .and_then(|v| value_u64(&v))
                .unwrap_or(0);
            if network != 0 {
                attachments.push(Attachment {
                    node: node_id,
                    iface: index,
                    network,
                });
            }
            let mut out = Map::new();
            out.insert("index".into(), json!(index));
            out.insert(
                "name".into(),
                iface.shift_remove("name").unwrap_or(json!("")),
            );
            out.insert(
                "planned_mac".into(),
                iface.shift_remove("planned_mac").unwrap_or(Value::Null),
            );
            out.insert(
                "port_position".into(),
                iface.shift_remove("port_position").unwrap_or(Value::Null),
            );
            out.extend(iface);
            upgraded.push(Value::Object(out));
        }
        let count = upgraded.len() as u64;
        let ethernet = node.get("ethernet").and_then(value_u64).unwrap_or(0);
        if ethernet < count {
            node.insert("ethernet".into(), json!(count));
        }
        node.insert("interfaces".into(), Value::Array(upgraded));
    }
    Ok(attachments)
}

/// Interfaces of a v1 node as `(index, object)`: an array (index = position
/// unless it says otherwise) or an object keyed by index.
fn interface_entries(raw: Option<Value>) -> Vec<(u64, Map<String, Value>)> {
    let with_index = |pos: u64, v: Value| -> Option<(u64, Map<String, Value>)> {
        let Value::Object(m) = v else { return None };
        let idx = m.get("index").and_then(value_u64).unwrap_or(pos);
        Some((idx, m))
    };
    match raw {
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, v)| with_index(i as u64, v))
            .collect(),
        Some(Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| with_index(k.parse().ok()?, v))
            .collect(),
        _ => Vec::new(),
    }
}

fn value_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// `"node3"` → 3, `"network4"` → 4.
fn parse_ref(s: &str, prefix: &str) -> Option<u64> {
    s.strip_prefix(prefix)?.parse().ok()
}

/// Accumulates links (and any networks they need) while upgrading.
struct LinkBuilder {
    node_ifaces: BTreeMap<u64, BTreeSet<u64>>,
    networks: BTreeSet<u64>,
    next_network: u64,
    new_networks: Vec<(u64, Value)>,
    linked: BTreeMap<(u64, u64), u64>,
    links: Vec<Value>,
}

impl LinkBuilder {
    fn new(obj: &Map<String, Value>) -> Self {
        let networks: BTreeSet<u64> = obj["networks"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.get("id").and_then(value_u64).or(k.parse().ok()))
                    .collect()
            })
            .unwrap_or_default();
        let node_ifaces = obj["nodes"]
            .as_object()
            .map(|m| {
                m.values()
                    .filter_map(|n| {
                        let id = n.get("id").and_then(value_u64)?;
                        let eth = n.get("ethernet").and_then(value_u64).unwrap_or(0);
                        Some((id, (0..eth).collect()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut links = Vec::new();
        let mut linked = BTreeMap::new();
        // A v1.5 file may already carry links[]; keep them and their claims.
        if let Some(Value::Array(existing)) = obj.get("links") {
            for l in existing {
                for end in ["from", "to"] {
                    let e = &l[end];
                    if let (Some(n), Some(i)) = (
                        e.get("node_id").and_then(value_u64),
                        e.get("interface_index").and_then(value_u64),
                    ) {
                        linked.insert(
                            (n, i),
                            l["to"].get("network_id").and_then(value_u64).unwrap_or(0),
                        );
                    }
                }
                links.push(l.clone());
            }
        }
        let next_network = networks.iter().max().copied().unwrap_or(0) + 1;
        LinkBuilder {
            node_ifaces,
            networks,
            next_network,
            new_networks: Vec::new(),
            linked,
            links,
        }
    }

    /// Converts one topology entry. Node↔node entries become two links through
    /// the entry's network (EVE-NG's hidden bridge), or a new implicit one.
    fn add_topology_entry(&mut self, i: usize, entry: &Value, report: &mut UpgradeReport) {
        let src = entry.get("source").and_then(Value::as_str).unwrap_or("");
        let dst = entry
            .get("destination")
            .and_then(Value::as_str)
            .unwrap_or("");
        let metrics = Metrics(Some(json!({
            "delay_ms": entry.get("source_delay").and_then(value_u64).unwrap_or(0),
            "loss_pct": entry.get("source_loss").and_then(value_u64).unwrap_or(0),
            "bandwidth_kbps": entry.get("source_bandwidth").and_then(value_u64).unwrap_or(0),
            "jitter_ms": entry.get("source_jitter").and_then(value_u64).unwrap_or(0),
        })));
        let src_if = entry.get("source_interfaceId").and_then(value_u64);
        let dst_if = entry.get("destination_interfaceId").and_then(value_u64);
        let named_net = entry
            .get("network_id")
            .and_then(value_u64)
            .filter(|n| *n != 0);
        let ends: Vec<(u64, u64)> = [
            (parse_ref(src, "node"), src_if),
            (parse_ref(dst, "node"), dst_if),
        ]
        .into_iter()
        .filter_map(|(n, i)| Some((n?, i?)))
        .collect();
        let network = named_net
            .or_else(|| parse_ref(dst, "network"))
            .or_else(|| parse_ref(src, "network"));
        let network = match (network, ends.len()) {
            (Some(n), _) => n,
            (None, 2) => self.create_implicit_network(report),
            _ => {
                report.warnings.push(format!(
                    "topology entry {i} ({src} → {dst}) names no network and no node pair; skipped"
                ));
                return;
            }
        };
        if ends.is_empty() {
            report.warnings.push(format!(
                "topology entry {i} ({src} → {dst}) has no node interface end; skipped"
            ));
        }
        for (node, iface) in ends {
            if self.add_attachment(
                Attachment {
                    node,
                    iface,
                    network,
                },
                Some(&metrics),
                report,
            ) {
                report.links_from_topology += 1;
            }
        }
    }

    fn create_implicit_network(&mut self, report: &mut UpgradeReport) -> u64 {
        let id = self.next_network;
        self.next_network += 1;
        self.networks.insert(id);
        report.networks_created += 1;
        self.new_networks.push((
            id,
            json!({"id": id, "name": format!("implicit-{id}"), "type": "linux_bridge",
                   "left": 0, "top": 0, "visibility": false, "implicit": true, "config": {}}),
        ));
        id
    }

    /// Adds a node→network link unless the interface is already linked.
    /// Returns true if a link was added.
    fn add_attachment(
        &mut self,
        att: Attachment,
        metrics: Option<&Metrics>,
        report: &mut UpgradeReport,
    ) -> bool {
        let Attachment {
            node,
            iface,
            network,
        } = att;
        if let Some(existing) = self.linked.get(&(node, iface)) {
            if *existing != network {
                report.warnings.push(format!(
                    "node {node} interface {iface}: attached to network {existing} and network {network}; kept network {existing}"
                ));
            }
            return false;
        }
        if !self.networks.contains(&network) {
            report.warnings.push(format!("node {node} interface {iface}: network {network} does not exist; attachment dropped"));
            return false;
        }
        match self.node_ifaces.get(&node) {
            None => {
                report.warnings.push(format!(
                    "node {node} does not exist; its attachment to network {network} was dropped"
                ));
                return false;
            }
            Some(ifaces) if !ifaces.contains(&iface) => {
                report.warnings.push(format!("node {node} has no interface {iface}; its attachment to network {network} was dropped"));
                return false;
            }
            Some(_) => {}
        }
        self.linked.insert((node, iface), network);
        let id = self.fresh_link_id();
        let mut link = json!({
            "id": id,
            "from": {"node_id": node, "interface_index": iface},
            "to": {"network_id": network},
            "style_override": null,
            "label": "", "color": "", "width": "1",
        });
        let metrics = metrics.and_then(|m| m.0.clone()).unwrap_or_else(
            || json!({"delay_ms": 0, "loss_pct": 0, "bandwidth_kbps": 0, "jitter_ms": 0}),
        );
        link["metrics"] = metrics;
        self.links.push(link);
        true
    }

    /// `lnk_NNN` not used by any link so far.
    fn fresh_link_id(&self) -> String {
        let taken: BTreeSet<&str> = self.links.iter().filter_map(|l| l["id"].as_str()).collect();
        (self.links.len() + 1..)
            .map(|n| format!("lnk_{n:03}"))
            .find(|id| !taken.contains(id.as_str()))
            .unwrap_or_default()
    }

    fn finish(self, obj: &mut Map<String, Value>) {
        if let Some(Value::Object(networks)) = obj.get_mut("networks") {
            for (id, net) in self.new_networks {
                networks.insert(id.to_string(), net);
            }
        }
        obj.insert("links".into(), Value::Array(self.links));
    }
}

#[cfg(test)]
mod tests {
    use crate::Lab;

    const V1: &str = r#"{
      "id": "x", "meta": {"name": "x"},
      "nodes": {
        "1": {"id": 1, "name": "a", "type": "qemu", "ethernet": 1,
              "interfaces": [{"name": "Gi1", "network_id": 0}, {"name": "Gi2", "network_id": 5}]},
        "2": {"id": 2, "name": "b", "type": "iol", "ethernet": 2,
              "interfaces": [{"name": "e0/0", "network_id": 0}, {"name": "e0/1", "network_id": 9}]}
      },
      "networks": {"5": {"id": 5, "name": "lan", "type": "bridge", "count": 1, "visibility": 1}},
      "topology": [
        {"source": "node1", "source_interfaceId": 0, "destination": "node2", "destination_interfaceId": 0,
         "source_delay": 20, "source_loss": 1},
        {"source": "node2", "source_interfaceId": 1, "destination": "network5", "network_id": 5},
        {"source": "network5", "destination": "network5"}
      ]
    }"#;

    #[test]
    fn node_pairs_without_a_network_get_an_implicit_one_and_problems_are_reported() {
        let (lab, report) = Lab::from_json_upgrading(V1).unwrap();
        let report = report.unwrap();
        assert_eq!(report.networks_created, 1);
        let implicit = lab.network(6).expect("new network after the largest id");
        assert!(implicit.implicit && !implicit.is_visible());
        assert_eq!(
            lab.link_on_interface(1, 0).unwrap().to.as_network(),
            Some(6)
        );
        assert_eq!(
            lab.link_on_interface(2, 0).unwrap().to.as_network(),
            Some(6)
        );
        let m = lab
            .link_on_interface(1, 0)
            .unwrap()
            .metrics
            .clone()
            .unwrap();
        assert_eq!(
            (m.delay_ms, m.loss_pct),
            (20, 1.0),
            "metrics come from source_*"
        );
        // The interface list was longer than `ethernet`; ethernet grows to fit.
        assert_eq!(lab.node(1).unwrap().ethernet, 2);
        assert_eq!(
            lab.link_on_interface(1, 1).unwrap().to.as_network(),
            Some(5),
            "interface-only attachment kept"
        );
        // node 2 eth1: topology says network 5, the interface says 9 (missing).
        assert_eq!(
            lab.link_on_interface(2, 1).unwrap().to.as_network(),
            Some(5)
        );
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("attached to network 5 and network 9")),
            "{:?}",
            report.warnings
        );
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.contains("no node interface end")),
            "{:?}",
            report.warnings
        );
        assert_eq!(report.links_from_topology, 3);
        assert_eq!(report.links_from_interfaces, 1);
        lab.validate().unwrap();
    }
}
