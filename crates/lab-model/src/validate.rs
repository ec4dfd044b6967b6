//! Validation of a whole lab, reporting every problem at once.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::ops::RangeInclusive;

use crate::lab::{
    ConsoleType, Endpoint, Lab, Link, LinkMetrics, Network, Node, NodeKind, SCHEMA_VERSION,
};

/// Limits that validation enforces. Public so the UI, novactl and docs agree.
pub mod limits {
    use std::ops::RangeInclusive;

    /// Characters in a node, network or interface name.
    pub const NAME_CHARS: RangeInclusive<usize> = 1..=64;
    /// Characters in the lab's display name (`meta.name`).
    pub const LAB_TITLE_CHARS: RangeInclusive<usize> = 1..=128;
    /// Characters in the lab id and in link ids.
    pub const ID_CHARS: RangeInclusive<usize> = 1..=128;
    /// Virtual CPUs per node.
    pub const CPU: RangeInclusive<u64> = 1..=64;
    /// Memory per node in MiB (16 MiB to 1 TiB).
    pub const RAM_MB: RangeInclusive<u64> = 16..=1_048_576;
    /// Interfaces per node.
    pub const ETHERNET: RangeInclusive<u64> = 0..=128;
    /// Start delay per node in seconds.
    pub const DELAY_S: RangeInclusive<u64> = 0..=3600;
    /// Link delay and jitter in milliseconds.
    pub const LINK_DELAY_MS: RangeInclusive<u64> = 0..=60_000;
    /// Link loss in percent.
    pub const LINK_LOSS_PCT: RangeInclusive<f64> = 0.0..=100.0;
    /// Link bandwidth in kbit/s (0 = unlimited; at most 100 Gbit/s).
    pub const LINK_BANDWIDTH_KBPS: RangeInclusive<u64> = 0..=100_000_000;
    /// Port position offset along an icon edge.
    pub const PORT_OFFSET: RangeInclusive<f64> = 0.0..=1.0;
}

/// Why `id` cannot be the id of a lab served by labd, if it cannot. Lab ids end up in D-Bus
/// object paths, unit names and logs: [`limits::ID_CHARS`] characters of `[A-Za-z0-9._-]`, not
/// starting with `.` or `-`.
pub fn lab_id_problem(id: &str) -> Option<String> {
    let ok = limits::ID_CHARS.contains(&id.len())
        && !id.starts_with(['.', '-'])
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    (!ok).then(|| {
        format!(
            "lab id {id:?}: {}..={} of A-Z a-z 0-9 . _ -, not starting with . or -",
            limits::ID_CHARS.start(),
            limits::ID_CHARS.end()
        )
    })
}

/// The lab element a problem belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Element {
    /// The lab as a whole.
    Lab,
    /// A node, by its map key.
    Node(String),
    /// A network, by its map key.
    Network(String),
    /// A link, by its id (or position when the id is unusable).
    Link(String),
}

impl fmt::Display for Element {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Element::Lab => f.write_str("lab"),
            Element::Node(k) => write!(f, "node {k}"),
            Element::Network(k) => write!(f, "network {k}"),
            Element::Link(k) => write!(f, "link {k}"),
        }
    }
}

/// One problem found in a lab; the message names the element.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    /// `schema` is not 2.
    #[error("lab: schema is {found}, expected {SCHEMA_VERSION}")]
    Schema {
        /// The schema value found.
        found: u32,
    },
    /// A map key differs from the element's own id.
    #[error("{element}: map key does not match its id {id}; keys must equal ids")]
    KeyMismatch {
        /// The element, by key.
        element: Element,
        /// The id inside the element.
        id: u32,
    },
    /// Two links share an id.
    #[error("{element}: id is used by more than one link")]
    DuplicateLinkId {
        /// The link.
        element: Element,
    },
    /// A name or id is empty, too long or has control characters.
    #[error("{element}: {field} {value:?} {problem}")]
    BadText {
        /// The element.
        element: Element,
        /// Which field.
        field: &'static str,
        /// The value.
        value: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Two networks share a name (compared case-insensitively).
    #[error(
        "{element}: name {name:?} is already used by network {other}; network names must be unique"
    )]
    DuplicateNetworkName {
        /// The later network.
        element: Element,
        /// The name.
        name: String,
        /// The earlier network's key.
        other: String,
    },
    /// A node kind this version cannot run.
    #[error("{element}: unknown type {kind:?}; expected one of {}", NodeKind::KNOWN.join(", "))]
    UnknownNodeKind {
        /// The node.
        element: Element,
        /// The kind found.
        kind: String,
    },
    /// A console type the node's kind does not support.
    #[error("{element}: console {console:?} is not supported for {kind} nodes; use one of {}", ConsoleType::allowed_for(&NodeKind::from(kind.as_str())).join(", "))]
    UnsupportedConsole {
        /// The node.
        element: Element,
        /// The node's kind.
        kind: String,
        /// The console found.
        console: String,
    },
    /// A `linux` node names a program profile this version does not know.
    #[error("{element}: extras.profile {value} is unknown; use one of {}", crate::template::LinuxProfile::KNOWN.join(", "))]
    UnknownProfile {
        /// The node.
        element: Element,
        /// The value found.
        value: String,
    },
    /// A number outside its allowed range.
    #[error("{element}: {field} {value} out of range ({min}..={max})")]
    OutOfRange {
        /// The element.
        element: Element,
        /// Which field.
        field: &'static str,
        /// The value.
        value: String,
        /// Smallest allowed.
        min: String,
        /// Largest allowed.
        max: String,
    },
    /// An interface entry names an index at or past the node's `ethernet`.
    #[error("{element}: interface index {index} out of range (ethernet={ethernet})")]
    InterfaceOutOfRange {
        /// The node.
        element: Element,
        /// The index.
        index: u32,
        /// The node's interface count.
        ethernet: u32,
    },
    /// A link end names an interface index at or past the node's `ethernet`.
    #[error("{element}: node {node} interface index {index} out of range (ethernet={ethernet})")]
    LinkInterfaceOutOfRange {
        /// The link.
        element: Element,
        /// The node.
        node: u32,
        /// The index.
        index: u32,
        /// The node's interface count.
        ethernet: u32,
    },
    /// Two interface entries of a node share an index.
    #[error("{element}: interface index {index} is listed more than once")]
    DuplicateInterface {
        /// The node.
        element: Element,
        /// The index.
        index: u32,
    },
    /// A link end names a node that does not exist.
    #[error("{element}: endpoint node {node} does not exist")]
    UnknownNode {
        /// The link.
        element: Element,
        /// The missing node.
        node: u32,
    },
    /// A link end names a network that does not exist.
    #[error("{element}: endpoint network {network} does not exist")]
    UnknownNetwork {
        /// The link.
        element: Element,
        /// The missing network.
        network: u32,
    },
    /// A node interface carries more than one link.
    #[error(
        "{element}: node {node} interface {index} is already connected by link {other}; one link per interface"
    )]
    InterfaceInUse {
        /// The later link.
        element: Element,
        /// The node.
        node: u32,
        /// The interface index.
        index: u32,
        /// The earlier link.
        other: String,
    },
    /// Both ends are nodes; schema 2 stores node↔node connections through an implicit network.
    #[error(
        "{element}: connects two node interfaces directly; store it as two links through an implicit network (Lab::connect_nodes does this)"
    )]
    NodeToNode {
        /// The link.
        element: Element,
    },
    /// Both ends are the same network.
    #[error("{element}: both ends are network {network}")]
    SelfLoop {
        /// The link.
        element: Element,
        /// The network.
        network: u32,
    },
}

/// Every problem found in a lab, in a stable order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl ValidationErrors {
    /// The problems.
    pub fn errors(&self) -> &[ValidationError] {
        &self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lab is invalid ({} problem{})",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        )?;
        for e in &self.0 {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl Lab {
    /// Checks the whole lab and returns every problem found (empty when valid).
    pub fn validation_errors(&self) -> Vec<ValidationError> {
        let mut v = Validator::default();
        v.lab(self);
        v.errors
    }

    /// Checks the whole lab; `Err` carries every problem found.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let errors = self.validation_errors();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(errors))
        }
    }
}

/// Checks free text: length in characters and no control characters.
pub(crate) fn text_problem(value: &str, chars: RangeInclusive<usize>) -> Option<String> {
    let len = value.chars().count();
    if value.is_empty() && *chars.start() > 0 {
        return Some("is empty; give it a name".into());
    }
    if !chars.contains(&len) {
        return Some(format!(
            "is {len} characters long; allowed {}..={}",
            chars.start(),
            chars.end()
        ));
    }
    if value.chars().any(char::is_control) {
        return Some("contains control characters".into());
    }
    None
}

#[derive(Default)]
struct Validator {
    errors: Vec<ValidationError>,
}

impl Validator {
    fn lab(&mut self, lab: &Lab) {
        if lab.schema != SCHEMA_VERSION {
            self.errors
                .push(ValidationError::Schema { found: lab.schema });
        }
        self.text(Element::Lab, "id", &lab.id, limits::ID_CHARS);
        self.text(
            Element::Lab,
            "name",
            &lab.meta.name,
            limits::LAB_TITLE_CHARS,
        );
        for (key, node) in &lab.nodes {
            self.node(key, node);
        }
        let mut names: HashMap<String, &str> = HashMap::new();
        for (key, net) in &lab.networks {
            self.network(key, net, &mut names);
        }
        self.links(lab);
    }

    fn text(
        &mut self,
        element: Element,
        field: &'static str,
        value: &str,
        chars: RangeInclusive<usize>,
    ) {
        if let Some(problem) = text_problem(value, chars) {
            self.errors.push(ValidationError::BadText {
                element,
                field,
                value: value.to_owned(),
                problem,
            });
        }
    }

    /// Records an OutOfRange error when `value` is outside `r` (integers and floats alike).
    fn range<T: PartialOrd + ToString>(
        &mut self,
        element: &Element,
        field: &'static str,
        value: T,
        r: RangeInclusive<T>,
    ) {
        if !r.contains(&value) {
            self.errors.push(ValidationError::OutOfRange {
                element: element.clone(),
                field,
                value: value.to_string(),
                min: r.start().to_string(),
                max: r.end().to_string(),
            });
        }
    }

    fn node(&mut self, key: &str, node: &Node) {
        let el = Element::Node(key.to_owned());
        if key != node.id.to_string() {
            self.errors.push(ValidationError::KeyMismatch {
                element: el.clone(),
                id: node.id,
            });
        }
        self.text(el.clone(), "name", &node.name, limits::NAME_CHARS);
        if !node.kind.is_known() {
            self.errors.push(ValidationError::UnknownNodeKind {
                element: el.clone(),
                kind: node.kind.to_string(),
            });
        } else if !ConsoleType::allowed_for(&node.kind).contains(&node.console.as_str()) {
            self.errors.push(ValidationError::UnsupportedConsole {
                element: el.clone(),
                kind: node.kind.to_string(),
                console: node.console.to_string(),
            });
        }
        if node.kind == NodeKind::Linux
            && let Err(value) = node.linux_profile()
        {
            self.errors.push(ValidationError::UnknownProfile {
                element: el.clone(),
                value,
            });
        }
        self.range(&el, "cpu", node.cpu.into(), limits::CPU);
        self.range(&el, "ram", node.ram.into(), limits::RAM_MB);
        self.range(&el, "ethernet", node.ethernet.into(), limits::ETHERNET);
        self.range(&el, "delay", node.delay.into(), limits::DELAY_S);
        self.interfaces(&el, node);
    }

    fn interfaces(&mut self, el: &Element, node: &Node) {
        let mut seen = HashSet::new();
        for iface in &node.interfaces {
            if iface.index >= node.ethernet {
                self.errors.push(ValidationError::InterfaceOutOfRange {
                    element: el.clone(),
                    index: iface.index,
                    ethernet: node.ethernet,
                });
            }
            if !seen.insert(iface.index) {
                self.errors.push(ValidationError::DuplicateInterface {
                    element: el.clone(),
                    index: iface.index,
                });
            }
            // Interface names may be empty (the runtime then derives one); only bound them.
            if let Some(problem) = text_problem(&iface.name, 0..=*limits::NAME_CHARS.end()) {
                self.errors.push(ValidationError::BadText {
                    element: el.clone(),
                    field: "interface name",
                    value: iface.name.clone(),
                    problem,
                });
            }
            if let Some(pos) = &iface.port_position {
                self.range(el, "port_position.offset", pos.offset, limits::PORT_OFFSET);
            }
        }
    }

    fn network<'a>(
        &mut self,
        key: &'a str,
        net: &'a Network,
        names: &mut HashMap<String, &'a str>,
    ) {
        let el = Element::Network(key.to_owned());
        if key != net.id.to_string() {
            self.errors.push(ValidationError::KeyMismatch {
                element: el.clone(),
                id: net.id,
            });
        }
        self.text(el.clone(), "name", &net.name, limits::NAME_CHARS);
        if let Some(other) = names.insert(net.name.to_lowercase(), key) {
            self.errors.push(ValidationError::DuplicateNetworkName {
                element: el,
                name: net.name.clone(),
                other: other.to_owned(),
            });
        }
    }

    fn links(&mut self, lab: &Lab) {
        let mut ids = HashSet::new();
        let mut claimed: BTreeMap<(u32, u32), &str> = BTreeMap::new();
        for (pos, link) in lab.links.iter().enumerate() {
            let el = if link.id.is_empty() {
                Element::Link(format!("#{pos}"))
            } else {
                Element::Link(link.id.clone())
            };
            self.text(el.clone(), "id", &link.id, limits::ID_CHARS);
            if !link.id.is_empty() && !ids.insert(link.id.as_str()) {
                self.errors.push(ValidationError::DuplicateLinkId {
                    element: el.clone(),
                });
            }
            self.link_shape(&el, link);
            for end in link.endpoints() {
                self.endpoint(&el, lab, end, link, &mut claimed);
            }
            if let Some(m) = &link.metrics {
                self.metrics(&el, m);
            }
        }
    }

    fn link_shape(&mut self, el: &Element, link: &Link) {
        match (&link.from, &link.to) {
            (Endpoint::Node(_), Endpoint::Node(_)) => {
                self.errors.push(ValidationError::NodeToNode {
                    element: el.clone(),
                });
            }
            (Endpoint::Network(a), Endpoint::Network(b)) if a.network_id == b.network_id => {
                self.errors.push(ValidationError::SelfLoop {
                    element: el.clone(),
                    network: a.network_id,
                });
            }
            _ => {}
        }
    }

    fn endpoint<'a>(
        &mut self,
        el: &Element,
        lab: &Lab,
        end: &Endpoint,
        link: &'a Link,
        claimed: &mut BTreeMap<(u32, u32), &'a str>,
    ) {
        match end {
            Endpoint::Network(n) => {
                if lab.network(n.network_id).is_none() {
                    self.errors.push(ValidationError::UnknownNetwork {
                        element: el.clone(),
                        network: n.network_id,
                    });
                }
            }
            Endpoint::Node(n) => {
                let Some(node) = lab.node(n.node_id) else {
                    self.errors.push(ValidationError::UnknownNode {
                        element: el.clone(),
                        node: n.node_id,
                    });
                    return;
                };
                if n.interface_index >= node.ethernet {
                    self.errors.push(ValidationError::LinkInterfaceOutOfRange {
                        element: el.clone(),
                        node: n.node_id,
                        index: n.interface_index,
                        ethernet: node.ethernet,
                    });
                }
                if let Some(other) = claimed.insert((n.node_id, n.interface_index), &link.id) {
                    self.errors.push(ValidationError::InterfaceInUse {
                        element: el.clone(),
                        node: n.node_id,
                        index: n.interface_index,
                        other: other.to_owned(),
                    });
                }
            }
        }
    }

    fn metrics(&mut self, el: &Element, m: &LinkMetrics) {
        self.range(
            el,
            "metrics.delay_ms",
            m.delay_ms.into(),
            limits::LINK_DELAY_MS,
        );
        self.range(
            el,
            "metrics.jitter_ms",
            m.jitter_ms.into(),
            limits::LINK_DELAY_MS,
        );
        self.range(
            el,
            "metrics.bandwidth_kbps",
            m.bandwidth_kbps,
            limits::LINK_BANDWIDTH_KBPS,
        );
        self.range(el, "metrics.loss_pct", m.loss_pct, limits::LINK_LOSS_PCT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::{
        Endpoint, Link, LinkMetrics, Network, NetworkType, Node, NodeInterface, NodeKind,
    };

    fn valid_lab() -> Lab {
        let mut lab = Lab::new("lab-1", "Lab one");
        let mut n = Node::new(3, "r3", NodeKind::Qemu);
        n.ethernet = 4;
        lab.add_node(n).unwrap();
        lab.add_node(Node::new(4, "h4", NodeKind::Linux)).unwrap();
        lab.add_network(Network::new(1, "lan", NetworkType::LinuxBridge))
            .unwrap();
        lab.connect_node_to_network(3, 0, 1).unwrap();
        lab.connect_node_to_network(4, 0, 1).unwrap();
        lab
    }

    fn messages(lab: &Lab) -> Vec<String> {
        lab.validation_errors()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_lab_passes() {
        assert_eq!(messages(&valid_lab()), Vec::<String>::new());
        valid_lab().validate().unwrap();
    }

    #[test]
    fn every_problem_is_reported_with_its_element() {
        let mut lab = valid_lab();
        let n3 = lab.node_mut(3).unwrap();
        n3.interfaces.push(NodeInterface::new(7, "Gi8"));
        n3.cpu = 0;
        n3.ram = 8;
        n3.name = "bad\u{7}name".into();
        let h4 = lab.node_mut(4).unwrap();
        h4.kind = NodeKind::from("vbox");
        let mut h5 = Node::new(5, "h5", NodeKind::Linux);
        h5.extras.insert("profile".into(), "sh -c reboot".into());
        lab.add_node(h5).unwrap();
        lab.links.push(Link::new(
            "lnk_001",
            Endpoint::node(3, 9),
            Endpoint::network(77),
        ));
        lab.links.push(Link::new(
            "lnk_003",
            Endpoint::node(4, 0),
            Endpoint::network(1),
        ));
        let mut bad_metrics = Link::new("lnk_004", Endpoint::node(3, 1), Endpoint::network(1));
        bad_metrics.metrics = Some(LinkMetrics {
            loss_pct: 150.0,
            delay_ms: 70_000,
            ..LinkMetrics::default()
        });
        lab.links.push(bad_metrics);
        lab.links.push(Link::new(
            "lnk_005",
            Endpoint::node(3, 2),
            Endpoint::node(4, 0),
        ));
        lab.links.push(Link::new(
            "lnk_006",
            Endpoint::network(1),
            Endpoint::network(1),
        ));
        lab.links.push(Link::new(
            "lnk_007",
            Endpoint::node(99, 0),
            Endpoint::network(1),
        ));
        let got = messages(&lab);
        let want = [
            "node 3: interface index 7 out of range (ethernet=4)",
            "node 3: cpu 0 out of range (1..=64)",
            "node 3: ram 8 out of range (16..=1048576)",
            "node 3: name \"bad\\u{7}name\" contains control characters",
            "node 4: unknown type \"vbox\"; expected one of qemu, docker, iol, dynamips, linux",
            "node 5: extras.profile sh -c reboot is unknown; use one of busybox-host, frr-router",
            "link lnk_001: id is used by more than one link",
            "link lnk_001: node 3 interface index 9 out of range (ethernet=4)",
            "link lnk_001: endpoint network 77 does not exist",
            "link lnk_003: node 4 interface 0 is already connected by link lnk_002; one link per interface",
            "link lnk_004: metrics.delay_ms 70000 out of range (0..=60000)",
            "link lnk_004: metrics.loss_pct 150 out of range (0..=100)",
            "link lnk_005: connects two node interfaces directly",
            "link lnk_006: both ends are network 1",
            "link lnk_007: endpoint node 99 does not exist",
        ];
        for w in want {
            assert!(
                got.iter().any(|g| g.starts_with(w)),
                "missing {w:?} in {got:#?}"
            );
        }
        let e = lab.validate().unwrap_err();
        assert_eq!(e.errors().len(), got.len());
        assert!(
            e.to_string()
                .starts_with(&format!("lab is invalid ({} problems)", got.len()))
        );
    }

    #[test]
    fn keys_must_match_ids_and_names_be_unique() {
        let mut lab = valid_lab();
        let node = lab.nodes.shift_remove("4").unwrap();
        lab.nodes.insert("5".into(), node);
        let mut dup = Network::new(2, "LAN", NetworkType::LinuxBridge);
        dup.name = "LAN".into();
        lab.add_network(dup).unwrap();
        let got = messages(&lab);
        assert!(
            got.contains(
                &"node 5: map key does not match its id 4; keys must equal ids".to_string()
            ),
            "{got:?}"
        );
        assert!(
            got.iter()
                .any(|m| m.starts_with("network 2: name \"LAN\" is already used by network 1")),
            "{got:?}"
        );
    }

    #[test]
    fn consoles_are_checked_per_kind_and_names_bounded() {
        let mut lab = valid_lab();
        lab.node_mut(4).unwrap().console = ConsoleType::Vnc;
        lab.node_mut(3).unwrap().name = "x".repeat(65);
        lab.network_mut(1).unwrap().name = String::new();
        lab.id = String::new();
        let got = messages(&lab);
        assert!(got.iter().any(|m| m.starts_with("node 4: console \"vnc\" is not supported for linux nodes; use one of telnet, serial")), "{got:?}");
        assert!(got.iter().any(|m| m == "node 3: name \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" is 65 characters long; allowed 1..=64"), "{got:?}");
        assert!(
            got.iter()
                .any(|m| m == "network 1: name \"\" is empty; give it a name"),
            "{got:?}"
        );
        assert!(
            got.iter().any(|m| m.starts_with("lab: id \"\" is empty")),
            "{got:?}"
        );
    }
}
