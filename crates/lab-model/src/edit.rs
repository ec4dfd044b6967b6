//! In-memory topology edits: id allocation, connecting and removing.
//!
//! These keep the invariants validation checks (one link per interface, links
//! only to existing ends, node↔node connections through an implicit network),
//! and change nothing when they return an error.

use crate::lab::{Endpoint, Lab, Link, LooseBool, Network, NetworkId, NetworkType, Node, NodeId};

/// Why an edit was refused. The lab is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// No node with this id.
    #[error("node {0} does not exist")]
    UnknownNode(NodeId),
    /// No network with this id.
    #[error("network {0} does not exist")]
    UnknownNetwork(NetworkId),
    /// No link with this id.
    #[error("link {0} does not exist")]
    UnknownLink(String),
    /// The interface index is at or past the node's `ethernet`.
    #[error("node {node}: interface index {index} out of range (ethernet={ethernet})")]
    InterfaceOutOfRange {
        /// The node.
        node: NodeId,
        /// The index asked for.
        index: u32,
        /// The node's interface count.
        ethernet: u32,
    },
    /// The interface already carries a link.
    #[error(
        "node {node}: interface {index} is already connected by link {link}; remove that link first"
    )]
    InterfaceInUse {
        /// The node.
        node: NodeId,
        /// The interface.
        index: u32,
        /// The link using it.
        link: String,
    },
    /// Both ends are the same interface.
    #[error("node {node}: cannot connect interface {index} to itself")]
    SameInterface {
        /// The node.
        node: NodeId,
        /// The interface.
        index: u32,
    },
    /// Both ends are the same network.
    #[error("cannot connect network {0} to itself")]
    SameNetwork(NetworkId),
    /// A node or network with this id exists already.
    #[error("{what} {id} already exists")]
    DuplicateId {
        /// "node" or "network".
        what: &'static str,
        /// The id.
        id: u32,
    },
}

/// What a connect made.
#[derive(Debug, Clone, PartialEq)]
pub struct Connected {
    /// The links added, in order.
    pub links: Vec<String>,
    /// The implicit network created, for a node↔node connection.
    pub network: Option<NetworkId>,
}

/// What a removal took away.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Removed {
    /// Nodes removed.
    pub nodes: Vec<NodeId>,
    /// Networks removed (the one asked for, and implicit ones left without a pair).
    pub networks: Vec<NetworkId>,
    /// Links removed.
    pub links: Vec<Link>,
}

impl Lab {
    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(&id.to_string())
    }

    /// The node with this id, for changing.
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(&id.to_string())
    }

    /// The network with this id.
    pub fn network(&self, id: NetworkId) -> Option<&Network> {
        self.networks.get(&id.to_string())
    }

    /// The network with this id, for changing.
    pub fn network_mut(&mut self, id: NetworkId) -> Option<&mut Network> {
        self.networks.get_mut(&id.to_string())
    }

    /// The link with this id.
    pub fn link(&self, id: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.id == id)
    }

    /// The link on a node interface, if any.
    pub fn link_on_interface(&self, node: NodeId, index: u32) -> Option<&Link> {
        self.links.iter().find(|l| l.touches_interface(node, index))
    }

    /// Links with an end on this network.
    pub fn links_of_network(&self, network: NetworkId) -> impl Iterator<Item = &Link> {
        self.links
            .iter()
            .filter(move |l| l.touches_network(network))
    }

    /// Links with an end on this node.
    pub fn links_of_node(&self, node: NodeId) -> impl Iterator<Item = &Link> {
        self.links.iter().filter(move |l| l.touches_node(node))
    }

    /// The id for a new node: one more than the largest in use (1 for none).
    pub fn next_node_id(&self) -> NodeId {
        self.nodes
            .values()
            .map(|n| n.id)
            .max()
            .map_or(1, |m| m.saturating_add(1))
    }

    /// The id for a new network: one more than the largest in use (1 for none).
    pub fn next_network_id(&self) -> NetworkId {
        self.networks
            .values()
            .map(|n| n.id)
            .max()
            .map_or(1, |m| m.saturating_add(1))
    }

    /// The id for a new link, `lnk_NNN`, one more than the largest `lnk_` number in use.
    pub fn next_link_id(&self) -> String {
        let max = self
            .links
            .iter()
            .filter_map(|l| l.id.strip_prefix("lnk_")?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        format!("lnk_{:03}", max + 1)
    }

    /// Adds a node under its id. Refuses an id in use.
    pub fn add_node(&mut self, node: Node) -> Result<NodeId, EditError> {
        let id = node.id;
        if self.node(id).is_some() {
            return Err(EditError::DuplicateId { what: "node", id });
        }
        self.nodes.insert(id.to_string(), node);
        Ok(id)
    }

    /// Adds a network under its id. Refuses an id in use.
    pub fn add_network(&mut self, network: Network) -> Result<NetworkId, EditError> {
        let id = network.id;
        if self.network(id).is_some() {
            return Err(EditError::DuplicateId {
                what: "network",
                id,
            });
        }
        self.networks.insert(id.to_string(), network);
        Ok(id)
    }

    /// Checks that a node interface exists and is free.
    fn check_free_interface(&self, node: NodeId, index: u32) -> Result<&Node, EditError> {
        let n = self.node(node).ok_or(EditError::UnknownNode(node))?;
        if index >= n.ethernet {
            return Err(EditError::InterfaceOutOfRange {
                node,
                index,
                ethernet: n.ethernet,
            });
        }
        if let Some(l) = self.link_on_interface(node, index) {
            return Err(EditError::InterfaceInUse {
                node,
                index,
                link: l.id.clone(),
            });
        }
        Ok(n)
    }

    /// Attaches a node interface to a network with one new link.
    pub fn connect_node_to_network(
        &mut self,
        node: NodeId,
        index: u32,
        network: NetworkId,
    ) -> Result<Connected, EditError> {
        self.check_free_interface(node, index)?;
        if self.network(network).is_none() {
            return Err(EditError::UnknownNetwork(network));
        }
        let id = self.next_link_id();
        self.links.push(Link::new(
            id.clone(),
            Endpoint::node(node, index),
            Endpoint::network(network),
        ));
        Ok(Connected {
            links: vec![id],
            network: None,
        })
    }

    /// Connects two node interfaces: creates a hidden implicit network and two
    /// node→network links (REFERENCE §3.6).
    pub fn connect_nodes(
        &mut self,
        a: NodeId,
        ai: u32,
        b: NodeId,
        bi: u32,
    ) -> Result<Connected, EditError> {
        if a == b && ai == bi {
            return Err(EditError::SameInterface { node: a, index: ai });
        }
        let (ax, ay) = self.check_free_interface(a, ai).map(|n| (n.left, n.top))?;
        let (bx, by) = self.check_free_interface(b, bi).map(|n| (n.left, n.top))?;
        let net_id = self.next_network_id();
        let mut net = Network::new(
            net_id,
            format!("implicit-{net_id}"),
            NetworkType::LinuxBridge,
        );
        net.implicit = true;
        net.visibility = Some(LooseBool::Bool(false));
        net.left = (ax + bx) / 2;
        net.top = (ay + by) / 2;
        self.networks.insert(net_id.to_string(), net);
        let first = self.next_link_id();
        self.links.push(Link::new(
            first.clone(),
            Endpoint::node(a, ai),
            Endpoint::network(net_id),
        ));
        let second = self.next_link_id();
        self.links.push(Link::new(
            second.clone(),
            Endpoint::node(b, bi),
            Endpoint::network(net_id),
        ));
        Ok(Connected {
            links: vec![first, second],
            network: Some(net_id),
        })
    }

    /// Joins two networks with one link (REFERENCE §3.6 accepts network↔network).
    pub fn connect_networks(&mut self, a: NetworkId, b: NetworkId) -> Result<Connected, EditError> {
        for n in [a, b] {
            if self.network(n).is_none() {
                return Err(EditError::UnknownNetwork(n));
            }
        }
        if a == b {
            return Err(EditError::SameNetwork(a));
        }
        let id = self.next_link_id();
        self.links.push(Link::new(
            id.clone(),
            Endpoint::network(a),
            Endpoint::network(b),
        ));
        Ok(Connected {
            links: vec![id],
            network: None,
        })
    }

    /// Changes a node's interface count. Shrinking below a connected interface
    /// is refused; interface entries past the new count are dropped.
    pub fn set_node_ethernet(&mut self, node: NodeId, ethernet: u32) -> Result<(), EditError> {
        if self.node(node).is_none() {
            return Err(EditError::UnknownNode(node));
        }
        if let Some((index, link)) = self
            .links_of_node(node)
            .flat_map(|l| l.endpoints().map(|e| (e.as_node(), l.id.clone())))
            .filter_map(|(e, id)| {
                e.filter(|(n, i)| *n == node && *i >= ethernet)
                    .map(|(_, i)| (i, id))
            })
            .min()
        {
            return Err(EditError::InterfaceInUse { node, index, link });
        }
        let n = self.node_mut(node).ok_or(EditError::UnknownNode(node))?;
        n.ethernet = ethernet;
        n.interfaces.retain(|i| i.index < ethernet);
        Ok(())
    }

    /// Removes a link. An implicit network is the wire of a node↔node
    /// connection, so removing either half removes the other half and the
    /// network too.
    pub fn remove_link(&mut self, id: &str) -> Result<Removed, EditError> {
        let link = self
            .link(id)
            .ok_or_else(|| EditError::UnknownLink(id.to_owned()))?;
        let implicit: Vec<NetworkId> = link
            .endpoints()
            .iter()
            .filter_map(|e| e.as_network())
            .filter(|n| self.network(*n).is_some_and(|net| net.implicit))
            .collect();
        let mut removed = Removed::default();
        self.take_links(|l| l.id == id, &mut removed);
        for net in implicit {
            self.remove_network_inner(net, &mut removed);
        }
        Ok(removed)
    }

    /// Removes a node, its links, and implicit networks it was wired through.
    pub fn remove_node(&mut self, id: NodeId) -> Result<Removed, EditError> {
        if self.node(id).is_none() {
            return Err(EditError::UnknownNode(id));
        }
        let implicit: Vec<NetworkId> = self
            .links_of_node(id)
            .flat_map(|l| l.endpoints().map(Endpoint::as_network))
            .flatten()
            .filter(|n| self.network(*n).is_some_and(|net| net.implicit))
            .collect();
        let mut removed = Removed::default();
        self.take_links(|l| l.touches_node(id), &mut removed);
        self.nodes.shift_remove(&id.to_string());
        removed.nodes.push(id);
        for net in implicit {
            self.remove_network_inner(net, &mut removed);
        }
        Ok(removed)
    }

    /// Removes a network and every link to it.
    pub fn remove_network(&mut self, id: NetworkId) -> Result<Removed, EditError> {
        if self.network(id).is_none() {
            return Err(EditError::UnknownNetwork(id));
        }
        let mut removed = Removed::default();
        self.remove_network_inner(id, &mut removed);
        Ok(removed)
    }

    fn remove_network_inner(&mut self, id: NetworkId, removed: &mut Removed) {
        if self.networks.shift_remove(&id.to_string()).is_some() {
            self.take_links(|l| l.touches_network(id), removed);
            removed.networks.push(id);
        }
    }

    fn take_links(&mut self, pred: impl Fn(&Link) -> bool, removed: &mut Removed) {
        let (gone, kept): (Vec<Link>, Vec<Link>) = std::mem::take(&mut self.links)
            .into_iter()
            .partition(|l| pred(l));
        self.links = kept;
        removed.links.extend(gone);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::NodeKind;

    fn lab_with_nodes(n: u32, ethernet: u32) -> Lab {
        let mut lab = Lab::new("t", "t");
        for id in 1..=n {
            let mut node = Node::new(id, format!("r{id}"), NodeKind::Linux);
            node.ethernet = ethernet;
            node.left = i64::from(id) * 100;
            lab.add_node(node).unwrap();
        }
        lab
    }

    #[test]
    fn ids_are_max_plus_one() {
        let mut lab = lab_with_nodes(0, 1);
        assert_eq!(lab.next_node_id(), 1);
        assert_eq!(lab.next_network_id(), 1);
        assert_eq!(lab.next_link_id(), "lnk_001");
        lab.add_node(Node::new(7, "a", NodeKind::Qemu)).unwrap();
        assert_eq!(lab.next_node_id(), 8);
        lab.links.push(Link::new(
            "lnk_041",
            Endpoint::node(7, 0),
            Endpoint::network(1),
        ));
        lab.links.push(Link::new(
            "custom",
            Endpoint::node(7, 0),
            Endpoint::network(1),
        ));
        assert_eq!(lab.next_link_id(), "lnk_042");
        assert_eq!(
            lab.add_node(Node::new(7, "b", NodeKind::Qemu)),
            Err(EditError::DuplicateId {
                what: "node",
                id: 7
            })
        );
    }

    #[test]
    fn connect_nodes_makes_implicit_network_and_two_links() {
        let mut lab = lab_with_nodes(2, 2);
        let c = lab.connect_nodes(1, 0, 2, 1).unwrap();
        assert_eq!(c.network, Some(1));
        assert_eq!(c.links, vec!["lnk_001", "lnk_002"]);
        let net = lab.network(1).unwrap();
        assert!(net.implicit);
        assert!(!net.is_visible());
        assert_eq!(net.left, 150);
        assert_eq!(
            lab.link_on_interface(2, 1).unwrap().to.as_network(),
            Some(1)
        );
        lab.validate().unwrap();
    }

    #[test]
    fn connect_refuses_busy_missing_and_out_of_range_without_change() {
        let mut lab = lab_with_nodes(3, 2);
        lab.connect_nodes(1, 0, 2, 0).unwrap();
        let before = lab.clone();
        assert!(matches!(
            lab.connect_nodes(1, 0, 3, 0),
            Err(EditError::InterfaceInUse {
                node: 1,
                index: 0,
                ..
            })
        ));
        assert!(matches!(
            lab.connect_nodes(3, 0, 2, 0),
            Err(EditError::InterfaceInUse { node: 2, .. })
        ));
        assert_eq!(
            lab.connect_nodes(3, 5, 1, 1),
            Err(EditError::InterfaceOutOfRange {
                node: 3,
                index: 5,
                ethernet: 2
            })
        );
        assert_eq!(
            lab.connect_nodes(9, 0, 1, 1),
            Err(EditError::UnknownNode(9))
        );
        assert_eq!(
            lab.connect_nodes(3, 1, 3, 1),
            Err(EditError::SameInterface { node: 3, index: 1 })
        );
        assert_eq!(
            lab.connect_node_to_network(3, 0, 42),
            Err(EditError::UnknownNetwork(42))
        );
        assert_eq!(lab, before);
    }

    #[test]
    fn removing_half_of_a_node_pair_removes_the_wire() {
        let mut lab = lab_with_nodes(2, 1);
        lab.connect_nodes(1, 0, 2, 0).unwrap();
        let removed = lab.remove_link("lnk_002").unwrap();
        assert_eq!(removed.links.len(), 2);
        assert_eq!(removed.networks, vec![1]);
        assert!(lab.links.is_empty() && lab.networks.is_empty());
        assert_eq!(
            lab.remove_link("lnk_002"),
            Err(EditError::UnknownLink("lnk_002".into()))
        );
    }

    #[test]
    fn removing_a_link_to_a_visible_network_keeps_the_network() {
        let mut lab = lab_with_nodes(2, 1);
        lab.add_network(Network::new(5, "lan", NetworkType::LinuxBridge))
            .unwrap();
        lab.connect_node_to_network(1, 0, 5).unwrap();
        lab.connect_node_to_network(2, 0, 5).unwrap();
        let removed = lab.remove_link("lnk_001").unwrap();
        assert_eq!(removed.links.len(), 1);
        assert!(removed.networks.is_empty());
        assert!(lab.network(5).is_some());
        assert_eq!(lab.links.len(), 1);
    }

    #[test]
    fn remove_node_cascades_links_and_implicit_networks() {
        let mut lab = lab_with_nodes(3, 2);
        lab.add_network(Network::new(10, "lan", NetworkType::LinuxBridge))
            .unwrap();
        lab.connect_nodes(1, 0, 2, 0).unwrap();
        lab.connect_node_to_network(1, 1, 10).unwrap();
        lab.connect_node_to_network(3, 0, 10).unwrap();
        let removed = lab.remove_node(1).unwrap();
        assert_eq!(removed.nodes, vec![1]);
        assert_eq!(removed.networks, vec![11]);
        assert_eq!(removed.links.len(), 3);
        assert_eq!(lab.links.len(), 1, "node 3 stays on the visible network");
        assert!(lab.network(10).is_some());
        assert!(
            lab.link_on_interface(2, 0).is_none(),
            "node 2's half of the wire went too"
        );
        lab.validate().unwrap();
        assert_eq!(lab.remove_node(1), Err(EditError::UnknownNode(1)));
    }

    #[test]
    fn set_node_ethernet_refuses_to_drop_connected_interfaces() {
        let mut lab = lab_with_nodes(2, 4);
        lab.node_mut(1).unwrap().interfaces = (0..4)
            .map(|i| crate::lab::NodeInterface::new(i, format!("e{i}")))
            .collect();
        lab.connect_nodes(1, 2, 2, 0).unwrap();
        assert!(matches!(
            lab.set_node_ethernet(1, 2),
            Err(EditError::InterfaceInUse {
                node: 1,
                index: 2,
                ..
            })
        ));
        assert_eq!(lab.node(1).unwrap().ethernet, 4, "unchanged");
        lab.set_node_ethernet(1, 3).unwrap();
        assert_eq!(lab.node(1).unwrap().interfaces.len(), 3);
        lab.set_node_ethernet(1, 8).unwrap();
        assert_eq!(lab.node(1).unwrap().ethernet, 8);
        assert_eq!(lab.set_node_ethernet(9, 1), Err(EditError::UnknownNode(9)));
        lab.validate().unwrap();
    }

    #[test]
    fn networks_can_be_joined() {
        let mut lab = lab_with_nodes(0, 0);
        lab.add_network(Network::new(1, "a", NetworkType::LinuxBridge))
            .unwrap();
        lab.add_network(Network::new(2, "b", NetworkType::NatCloud))
            .unwrap();
        assert_eq!(lab.connect_networks(1, 1), Err(EditError::SameNetwork(1)));
        assert_eq!(
            lab.connect_networks(1, 3),
            Err(EditError::UnknownNetwork(3))
        );
        lab.connect_networks(1, 2).unwrap();
        lab.validate().unwrap();
        assert_eq!(lab.remove_network(2).unwrap().links.len(), 1);
    }

    #[test]
    fn remove_network_cascades_links() {
        let mut lab = lab_with_nodes(2, 1);
        lab.add_network(Network::new(3, "lan", NetworkType::NatCloud))
            .unwrap();
        lab.connect_node_to_network(1, 0, 3).unwrap();
        lab.connect_node_to_network(2, 0, 3).unwrap();
        let removed = lab.remove_network(3).unwrap();
        assert_eq!(removed.networks, vec![3]);
        assert_eq!(removed.links.len(), 2);
        assert!(lab.links.is_empty());
        assert_eq!(lab.remove_network(3), Err(EditError::UnknownNetwork(3)));
    }
}
