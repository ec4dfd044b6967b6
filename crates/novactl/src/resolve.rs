//! Turning what a person types (lab name or path, node name, `r1:eth0`) into the ids
//! labd's API takes. Pure functions over the lab list and the typed lab
//! (`nova_lab_model::Lab`), so they are unit-tested without a bus.

use nova_api::model::{Endpoint, Lab, Network, Node, NodeId};
use nova_dbus::lab::LabSummary;

use crate::error::CtlError;

/// Finds a lab by id, by `folder/name`, or by name when that is unique.
pub fn lab<'a>(labs: &'a [LabSummary], wanted: &str) -> Result<&'a LabSummary, CtlError> {
    if let Some(l) = labs.iter().find(|l| l.id == wanted) {
        return Ok(l);
    }
    if let Some(l) = labs.iter().find(|l| lab_display_path(l) == wanted) {
        return Ok(l);
    }
    let by_name: Vec<&LabSummary> = labs.iter().filter(|l| l.name == wanted).collect();
    match by_name.as_slice() {
        [one] => Ok(one),
        [] => Err(CtlError::NotFound(format!(
            "no lab {wanted:?} (give its id, name or folder/name; see `novactl lab list`)"
        ))),
        many => Err(CtlError::Invalid(format!(
            "lab name {wanted:?} is ambiguous: {}; give the id or folder/name",
            many.iter()
                .map(|l| lab_display_path(l))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// `folder/name`, or `name` for labs at the top.
pub fn lab_display_path(l: &LabSummary) -> String {
    if l.folder.is_empty() {
        l.name.clone()
    } else {
        format!("{}/{}", l.folder, l.name)
    }
}

/// The nodes of a lab, sorted by id.
pub fn nodes(lab: &Lab) -> Vec<&Node> {
    sorted_by_id(lab.nodes.values(), |n| n.id)
}

/// The networks of a lab, sorted by id.
pub fn networks(lab: &Lab) -> Vec<&Network> {
    sorted_by_id(lab.networks.values(), |n| n.id)
}

/// Members of an id-keyed map of the lab (`nodes`, `networks`), sorted by their id.
fn sorted_by_id<'a, T>(members: impl Iterator<Item = &'a T>, id: impl Fn(&T) -> u32) -> Vec<&'a T> {
    let mut v: Vec<&T> = members.collect();
    v.sort_by_key(|m| id(m));
    v
}

/// The member whose id is `wanted` (when it is a number), else the one named `wanted`.
fn by_id_or_name<'a, T>(
    all: &[&'a T],
    wanted: &str,
    id: impl Fn(&T) -> u32,
    name: impl Fn(&T) -> &str,
) -> Option<&'a T> {
    let by_id = wanted
        .parse::<u32>()
        .ok()
        .and_then(|want| all.iter().find(|m| id(m) == want));
    by_id
        .or_else(|| all.iter().find(|m| name(m) == wanted))
        .copied()
}

/// Finds a node by id or name.
pub fn node<'a>(lab: &'a Lab, wanted: &str) -> Result<&'a Node, CtlError> {
    by_id_or_name(&nodes(lab), wanted, |n| n.id, |n| &n.name)
        .ok_or_else(|| CtlError::NotFound(format!("no node {wanted:?} in this lab")))
}

/// Finds a network by id or name.
pub fn network<'a>(lab: &'a Lab, wanted: &str) -> Result<&'a Network, CtlError> {
    by_id_or_name(&networks(lab), wanted, |n| n.id, |n| &n.name)
        .ok_or_else(|| CtlError::NotFound(format!("no network {wanted:?} in this lab")))
}

/// Finds an interface of a node by name (its stored entries) or by index (below its
/// `ethernet` count).
pub fn interface_index(node: &Node, wanted: &str) -> Result<u32, CtlError> {
    if let Some(i) = node.interfaces.iter().find(|i| i.name == wanted) {
        return Ok(i.index);
    }
    let no_such =
        || CtlError::NotFound(format!("node {:?} has no interface {wanted:?}", node.name));
    let idx: u32 = wanted.parse().map_err(|_| no_such())?;
    if idx >= node.ethernet {
        return Err(CtlError::NotFound(format!(
            "node {:?} has no interface {idx}",
            node.name
        )));
    }
    Ok(idx)
}

/// Parses a link endpoint: `NODE:IFACE` or `net:NETWORK`.
pub fn endpoint(lab: &Lab, text: &str) -> Result<Endpoint, CtlError> {
    let Some((left, right)) = text.rsplit_once(':') else {
        return Err(CtlError::Invalid(format!(
            "endpoint {text:?}: expected NODE:IFACE or net:NETWORK"
        )));
    };
    if left == "net" {
        return Ok(Endpoint::network(network(lab, right)?.id));
    }
    let node = node(lab, left)?;
    Ok(Endpoint::node(node.id, interface_index(node, right)?))
}

/// Human text for a stored link endpoint, with node, interface and network names.
pub fn endpoint_text(lab: &Lab, ep: &Endpoint) -> String {
    match ep {
        Endpoint::Network(n) => {
            let name = lab.network(n.network_id).map_or("?", |n| n.name.as_str());
            format!("net:{name}")
        }
        Endpoint::Node(n) => node_interface_text(lab, n.node_id, n.interface_index),
    }
}

/// `node:iface`, by name where the lab has them.
fn node_interface_text(lab: &Lab, node_id: NodeId, index: u32) -> String {
    let node = lab.node(node_id);
    let node_name = node.map_or("?", |n| n.name.as_str());
    let iface = node
        .and_then(|n| n.interface(index))
        .map(|i| i.name.as_str())
        .filter(|name| !name.is_empty())
        .map_or_else(|| index.to_string(), str::to_string);
    format!("{node_name}:{iface}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use nova_lab_model::{NetworkType, NodeKind, TemplateSet};
    use zbus::OwnedObjectPath;

    fn summary(id: &str, name: &str, folder: &str) -> LabSummary {
        LabSummary {
            id: id.into(),
            name: name.into(),
            folder: folder.into(),
            path: OwnedObjectPath::try_from("/org/novave/Lab1/lab/x").unwrap(),
        }
    }

    /// r1 (frr, eth0 and eth1), h1 (one interface, no stored entries), network 7 "lan".
    fn sample() -> Lab {
        let templates = TemplateSet::builtin().unwrap();
        let frr = templates.get(&NodeKind::Linux, "frr").unwrap();
        let mut r1 = frr.new_node(1, "r1");
        r1.ethernet = 2;
        r1.interfaces = nova_lab_model::interfaces_for(&r1, Some(frr));
        let mut h1 = Node::new(2, "h1", NodeKind::Linux);
        h1.ethernet = 1;
        let mut lab = Lab::new("l", "L");
        lab.add_node(r1).unwrap();
        lab.add_node(h1).unwrap();
        lab.add_network(Network::new(7, "lan", NetworkType::LinuxBridge))
            .unwrap();
        lab
    }

    #[test]
    fn fixture_has_named_interfaces() {
        let l = sample();
        let names: Vec<&str> = l
            .node(1)
            .unwrap()
            .interfaces
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(names, ["eth0", "eth1"]);
        assert!(l.node(2).unwrap().interfaces.is_empty());
    }

    #[test]
    fn labs_by_id_path_or_unique_name() {
        let labs = vec![
            summary("a1", "ospf", "mine"),
            summary("b2", "ospf", "team"),
            summary("c3", "bgp", "team"),
        ];
        assert_eq!(lab(&labs, "b2").unwrap().id, "b2");
        assert_eq!(lab(&labs, "team/ospf").unwrap().id, "b2");
        assert_eq!(lab(&labs, "ospf").unwrap_err().exit_code(), 5);
        assert_eq!(lab(&labs, "bgp").unwrap().id, "c3");
        assert_eq!(lab(&labs, "nope").unwrap_err().exit_code(), 3);
    }

    #[test]
    fn nodes_and_networks_by_id_or_name_sorted() {
        let mut l = sample();
        // Inserted out of order, listed by id.
        l.add_node(Node::new(0, "5", NodeKind::Linux)).unwrap();
        let ids: Vec<u32> = nodes(&l).iter().map(|n| n.id).collect();
        assert_eq!(ids, [0, 1, 2]);
        assert_eq!(node(&l, "h1").unwrap().id, 2);
        assert_eq!(node(&l, "1").unwrap().name, "r1");
        assert_eq!(
            node(&l, "5").unwrap().id,
            0,
            "a number that is no id matches a name"
        );
        assert_eq!(node(&l, "r9").unwrap_err().exit_code(), 3);
        assert_eq!(network(&l, "lan").unwrap().id, 7);
        assert_eq!(network(&l, "7").unwrap().name, "lan");
        assert_eq!(network(&l, "wan").unwrap_err().exit_code(), 3);
    }

    #[test]
    fn endpoints_resolve_names() {
        let l = sample();
        assert_eq!(endpoint(&l, "r1:eth1").unwrap(), Endpoint::node(1, 1));
        assert_eq!(endpoint(&l, "2:0").unwrap(), Endpoint::node(2, 0));
        assert_eq!(endpoint(&l, "net:lan").unwrap(), Endpoint::network(7));
        assert_eq!(endpoint(&l, "r1").unwrap_err().exit_code(), 5);
        assert_eq!(endpoint(&l, "r9:eth0").unwrap_err().exit_code(), 3);
        assert_eq!(endpoint(&l, "r1:eth7").unwrap_err().exit_code(), 3);
        assert_eq!(endpoint(&l, "h1:3").unwrap_err().exit_code(), 3);
        assert_eq!(endpoint(&l, "r1:2").unwrap_err().exit_code(), 3);
    }

    #[test]
    fn endpoints_serialize_as_labd_takes_them() {
        let l = sample();
        let spec = nova_api::LinkSpec {
            from: endpoint(&l, "r1:eth1").unwrap(),
            to: endpoint(&l, "net:lan").unwrap(),
            metrics: None,
        };
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            serde_json::json!({"from": {"node_id": 1, "interface_index": 1}, "to": {"network_id": 7}})
        );
    }

    #[test]
    fn endpoint_text_uses_names() {
        let l = sample();
        assert_eq!(endpoint_text(&l, &Endpoint::node(1, 1)), "r1:eth1");
        assert_eq!(endpoint_text(&l, &Endpoint::node(2, 0)), "h1:0");
        assert_eq!(endpoint_text(&l, &Endpoint::network(7)), "net:lan");
        assert_eq!(endpoint_text(&l, &Endpoint::node(9, 0)), "?:0");
        assert_eq!(endpoint_text(&l, &Endpoint::network(9)), "net:?");
    }
}
