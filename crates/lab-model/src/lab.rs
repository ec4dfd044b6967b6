//! Lab JSON schema version 2: the types.
//!
//! Every struct carries an `extra` map (`#[serde(flatten)]`) that holds the
//! fields this version does not know, in their original order, so a lab written
//! by another version survives a read/write round trip. Optional fields that
//! were absent stay absent on write.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use crate::serde_util::LooseBool;
use crate::serde_util::{
    f64_lenient, i64_lenient, opt_string_lenient, opt_u32_lenient, string_enum, u32_lenient,
    u64_lenient, unique_keys,
};

/// Unknown fields of an object, kept in their original order.
pub type Extra = Map<String, Value>;

/// A node's id inside its lab (allocated max+1).
pub type NodeId = u32;
/// A network's id inside its lab (allocated max+1).
pub type NetworkId = u32;

/// The schema version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// A whole lab: the topology source of truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Lab {
    /// Schema version; always [`SCHEMA_VERSION`] for a parsed lab.
    pub schema: u32,
    /// Copy of `schema` that the earlier writer added; kept when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// The lab's identity (a UUID for labs created through the API; any string is accepted).
    pub id: String,
    /// Descriptive fields.
    pub meta: Meta,
    /// Canvas view.
    #[serde(default)]
    pub viewport: Viewport,
    /// Nodes by id (the key is the id as a decimal string).
    #[serde(default, deserialize_with = "unique_keys")]
    pub nodes: IndexMap<String, Node>,
    /// Networks by id (the key is the id as a decimal string).
    #[serde(default, deserialize_with = "unique_keys")]
    pub networks: IndexMap<String, Network>,
    /// Connectivity: authoritative.
    #[serde(default)]
    pub links: Vec<Link>,
    /// Lab-wide presentation defaults.
    #[serde(default)]
    pub defaults: Defaults,
    /// Text annotations.
    #[serde(default)]
    pub textobjects: Vec<TextObject>,
    /// Line annotations.
    #[serde(default)]
    pub lineobjects: Vec<LineObject>,
    /// Pictures (background maps).
    #[serde(default)]
    pub pictures: Vec<Picture>,
    /// Tasks.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Named configuration sets (kept verbatim).
    #[serde(default)]
    pub configsets: Map<String, Value>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// The lab's descriptive fields (`meta`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Meta {
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Author.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub author: Option<String>,
    /// One-line description.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub description: Option<String>,
    /// Long description (free text).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub body: Option<String>,
    /// The lab's own version string.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub version: Option<String>,
    /// Script timeout in seconds (EVE-NG carry-over).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub scripttimeout: Option<u32>,
    /// Start-up countdown (EVE-NG carry-over).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub countdown: Option<u32>,
    /// Default link width.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub linkwidth: Option<String>,
    /// Snap to grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid: Option<LooseBool>,
    /// Lab locked against edits (stored, not enforced here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<LooseBool>,
    /// EVE-NG carry-over.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_string_lenient"
    )]
    pub sat: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// The canvas view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Viewport {
    /// Pan x.
    #[serde(default, deserialize_with = "f64_lenient")]
    pub x: f64,
    /// Pan y.
    #[serde(default, deserialize_with = "f64_lenient")]
    pub y: f64,
    /// Zoom factor.
    #[serde(default = "one", deserialize_with = "f64_lenient")]
    pub zoom: f64,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

fn one() -> f64 {
    1.0
}

impl Default for Viewport {
    fn default() -> Self {
        Viewport {
            x: 0.0,
            y: 0.0,
            zoom: 1.0,
            extra: Extra::new(),
        }
    }
}

string_enum! {
    /// How links are drawn.
    pub enum LinkStyle {
        /// Right angles.
        Orthogonal => "orthogonal",
        /// Curves.
        Bezier => "bezier",
        /// Straight lines.
        Straight => "straight",
    }
}

/// Lab-wide presentation defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Defaults {
    /// Default link style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_style: Option<LinkStyle>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

string_enum! {
    /// What runs a node.
    pub enum NodeKind {
        /// A QEMU virtual machine.
        Qemu => "qemu",
        /// A Docker container.
        Docker => "docker",
        /// Cisco IOL (IOS on Linux).
        Iol => "iol",
        /// A Dynamips-emulated Cisco router.
        Dynamips => "dynamips",
        /// nova-ve native: a process tree in its own network namespace.
        Linux => "linux",
    }
}

string_enum! {
    /// How a node's console is reached.
    pub enum ConsoleType {
        /// Serial line over telnet.
        Telnet => "telnet",
        /// Graphical console over VNC.
        Vnc => "vnc",
        /// Remote desktop.
        Rdp => "rdp",
        /// Serial line (treated like telnet).
        Serial => "serial",
    }
}

impl ConsoleType {
    /// The console types a node kind supports (REFERENCE §3.3; `linux` is nova-ve's own).
    pub fn allowed_for(kind: &NodeKind) -> &'static [&'static str] {
        match kind {
            NodeKind::Qemu => &["telnet", "vnc", "serial"],
            NodeKind::Docker => &["telnet", "vnc", "rdp"],
            NodeKind::Iol | NodeKind::Dynamips => &["telnet"],
            NodeKind::Linux => &["telnet", "serial"],
            NodeKind::Other(_) => &[],
        }
    }
}

/// A node: one router, switch, firewall or host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Node {
    /// Id, equal to the node's key in [`Lab::nodes`].
    #[serde(deserialize_with = "u32_lenient")]
    pub id: NodeId,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// What runs it.
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Template key (`<paired>__<child>` for paired children).
    #[serde(default)]
    pub template: String,
    /// Image directory name (qemu/iol/dynamips) or Docker reference.
    #[serde(default)]
    pub image: String,
    /// Console type.
    #[serde(default = "default_console")]
    pub console: ConsoleType,
    /// Last known state (0 stopped, 2 running); derived, kept for compatibility.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub status: Option<u32>,
    /// Start delay in seconds.
    #[serde(default, deserialize_with = "u32_lenient")]
    pub delay: u32,
    /// Virtual CPUs.
    #[serde(default = "default_cpu", deserialize_with = "u32_lenient")]
    pub cpu: u32,
    /// Memory in MiB.
    #[serde(default = "default_ram", deserialize_with = "u32_lenient")]
    pub ram: u32,
    /// Number of network interfaces.
    #[serde(default = "default_ethernet", deserialize_with = "u32_lenient")]
    pub ethernet: u32,
    /// CPU limit flag (EVE-NG carry-over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpulimit: Option<Value>,
    /// QEMU `-uuid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// First MAC address; NIC *i* gets this plus *i*.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firstmac: Option<String>,
    /// Canvas x.
    #[serde(default, deserialize_with = "i64_lenient")]
    pub left: i64,
    /// Canvas y.
    #[serde(default, deserialize_with = "i64_lenient")]
    pub top: i64,
    /// Icon file name.
    #[serde(default)]
    pub icon: String,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Value>,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Value>,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_list: Option<Vec<Value>>,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sat: Option<Value>,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_sat: Option<Value>,
    /// Interfaces that have been given names or positions; index < `ethernet`.
    #[serde(default)]
    pub interfaces: Vec<NodeInterface>,
    /// Per-kind runtime knobs (REFERENCE §4.3).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extras: Map<String, Value>,
    /// Per-node interface naming override (`Gi{port}`, `mgmt0,eth{n}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_naming_scheme: Option<String>,
    /// Pins the QEMU machine type (`pc` or `q35`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine_override: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

fn default_console() -> ConsoleType {
    ConsoleType::Telnet
}
fn default_cpu() -> u32 {
    1
}
fn default_ram() -> u32 {
    1024
}
fn default_ethernet() -> u32 {
    1
}

impl Node {
    /// A node with the schema's defaults (1 CPU, 1024 MiB, 1 interface, telnet).
    pub fn new(id: NodeId, name: impl Into<String>, kind: NodeKind) -> Self {
        Node {
            id,
            name: name.into(),
            kind,
            template: String::new(),
            image: String::new(),
            console: default_console(),
            status: None,
            delay: 0,
            cpu: default_cpu(),
            ram: default_ram(),
            ethernet: default_ethernet(),
            cpulimit: None,
            uuid: None,
            firstmac: None,
            left: 0,
            top: 0,
            icon: String::new(),
            width: None,
            config: None,
            config_list: None,
            sat: None,
            computed_sat: None,
            interfaces: Vec::new(),
            extras: Map::new(),
            interface_naming_scheme: None,
            machine_override: None,
            extra: Extra::new(),
        }
    }

    /// The stored interface entry with this index, if any.
    pub fn interface(&self, index: u32) -> Option<&NodeInterface> {
        self.interfaces.iter().find(|i| i.index == index)
    }
}

/// One network interface of a node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeInterface {
    /// 0-based index, below the node's `ethernet`.
    #[serde(deserialize_with = "u32_lenient")]
    pub index: u32,
    /// Name as the guest sees it (`Gi1`, `eth0`, `ethernet1/1`).
    #[serde(default)]
    pub name: String,
    /// MAC address to assign, if pinned.
    #[serde(default)]
    pub planned_mac: Option<String>,
    /// Where the port sits on the node's icon.
    #[serde(default)]
    pub port_position: Option<PortPosition>,
    /// Runtime bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<InterfaceRuntime>,
    /// Per-interface knobs (`uplink`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extras: Option<Map<String, Value>>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

impl NodeInterface {
    /// An interface with a name and nothing else.
    pub fn new(index: u32, name: impl Into<String>) -> Self {
        NodeInterface {
            index,
            name: name.into(),
            planned_mac: None,
            port_position: None,
            runtime: None,
            extras: None,
            extra: Extra::new(),
        }
    }
}

/// Runtime bookkeeping of an interface.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InterfaceRuntime {
    /// Generation of the current attachment.
    #[serde(default, deserialize_with = "u64_lenient")]
    pub current_attach_generation: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

string_enum! {
    /// A side of a node icon.
    pub enum Side {
        /// Top edge.
        Top => "top",
        /// Right edge.
        Right => "right",
        /// Bottom edge.
        Bottom => "bottom",
        /// Left edge.
        Left => "left",
    }
}

/// Where a port sits on its node's icon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PortPosition {
    /// Which edge.
    pub side: Side,
    /// Position along the edge, 0..=1.
    #[serde(deserialize_with = "f64_lenient")]
    pub offset: f64,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

string_enum! {
    /// What a network is.
    pub enum NetworkType {
        /// A plain Linux bridge private to the lab.
        LinuxBridge => "linux_bridge",
        /// A bridge with NAT and DHCP towards the host's uplink.
        NatCloud => "nat_cloud",
        /// Attachment to a host bridge (the physical LAN).
        BridgeCloud => "bridge_cloud",
    }
}

/// A network (a broadcast domain) that node interfaces attach to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Network {
    /// Id, equal to the network's key in [`Lab::networks`].
    #[serde(deserialize_with = "u32_lenient")]
    pub id: NetworkId,
    /// Display name, unique in the lab (case-insensitively).
    #[serde(default)]
    pub name: String,
    /// What it is.
    #[serde(rename = "type")]
    pub kind: NetworkType,
    /// Canvas x.
    #[serde(default, deserialize_with = "i64_lenient")]
    pub left: i64,
    /// Canvas y.
    #[serde(default, deserialize_with = "i64_lenient")]
    pub top: i64,
    /// Icon file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Value>,
    /// Presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    /// Presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkstyle: Option<String>,
    /// Presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Presentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Shown on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<LooseBool>,
    /// EVE-NG carry-over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smart: Option<Value>,
    /// Auto-created for a node↔node link, hidden, removed with the link.
    #[serde(default)]
    pub implicit: bool,
    /// Addressing and host attachment.
    #[serde(default)]
    pub config: NetworkConfig,
    /// Runtime bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<NetworkRuntime>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

impl Network {
    /// A visible network with nothing configured.
    pub fn new(id: NetworkId, name: impl Into<String>, kind: NetworkType) -> Self {
        Network {
            id,
            name: name.into(),
            kind,
            left: 0,
            top: 0,
            icon: None,
            width: None,
            style: None,
            linkstyle: None,
            color: None,
            label: None,
            visibility: Some(LooseBool::Bool(true)),
            smart: None,
            implicit: false,
            config: NetworkConfig::default(),
            runtime: None,
            extra: Extra::new(),
        }
    }

    /// True unless the network is explicitly hidden.
    pub fn is_visible(&self) -> bool {
        self.visibility.is_none_or(LooseBool::get)
    }
}

/// A network's addressing and host attachment (`config`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NetworkConfig {
    /// Subnet (`10.0.0.0/24`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cidr: Option<String>,
    /// Gateway address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Serve DHCP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp: Option<bool>,
    /// First DHCP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_start: Option<String>,
    /// Last DHCP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dhcp_end: Option<String>,
    /// Host uplink for NAT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub egress_interface: Option<String>,
    /// Host bridge for a bridge cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_bridge: Option<String>,
    /// NAT cloud shared with another lab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_cloud_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A network's runtime bookkeeping (`runtime`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NetworkRuntime {
    /// Host bridge name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge_name: Option<String>,
    /// Driver (`linux_bridge`, `nat_cloud`, `bridge_cloud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    /// When the bridge was created (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Addresses handed out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_ips: Option<Vec<Value>>,
    /// First host offset in the subnet.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub first_offset: Option<u32>,
    /// Fields this version does not know (NAT-cloud extras among them).
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// One end of a link.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    /// A node's interface.
    Node(NodeEndpoint),
    /// A network.
    Network(NetworkEndpoint),
}

/// A link end on a node interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeEndpoint {
    /// The node.
    #[serde(deserialize_with = "u32_lenient")]
    pub node_id: NodeId,
    /// The interface index.
    #[serde(deserialize_with = "u32_lenient")]
    pub interface_index: u32,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A link end on a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NetworkEndpoint {
    /// The network.
    #[serde(deserialize_with = "u32_lenient")]
    pub network_id: NetworkId,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

impl Endpoint {
    /// A node-interface end.
    pub fn node(node_id: NodeId, interface_index: u32) -> Self {
        Endpoint::Node(NodeEndpoint {
            node_id,
            interface_index,
            extra: Extra::new(),
        })
    }

    /// A network end.
    pub fn network(network_id: NetworkId) -> Self {
        Endpoint::Network(NetworkEndpoint {
            network_id,
            extra: Extra::new(),
        })
    }

    /// `(node, interface)` for a node end.
    pub fn as_node(&self) -> Option<(NodeId, u32)> {
        match self {
            Endpoint::Node(n) => Some((n.node_id, n.interface_index)),
            Endpoint::Network(_) => None,
        }
    }

    /// The network of a network end.
    pub fn as_network(&self) -> Option<NetworkId> {
        match self {
            Endpoint::Network(n) => Some(n.network_id),
            Endpoint::Node(_) => None,
        }
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Endpoint::Node(n) => n.serialize(s),
            Endpoint::Network(n) => n.serialize(s),
        }
    }
}

/// TypeScript: a node interface or a network, told apart by their fields.
#[cfg(feature = "ts")]
impl ts_rs::TS for Endpoint {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "Endpoint".to_owned()
    }
    fn inline(cfg: &ts_rs::Config) -> String {
        format!(
            "{} | {}",
            <NodeEndpoint as ts_rs::TS>::name(cfg),
            <NetworkEndpoint as ts_rs::TS>::name(cfg)
        )
    }
    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type Endpoint = {};", Self::inline(cfg))
    }
    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }
    fn visit_dependencies(v: &mut impl ts_rs::TypeVisitor)
    where
        Self: 'static,
    {
        v.visit::<NodeEndpoint>();
        v.visit::<NetworkEndpoint>();
    }
    fn output_path() -> Option<std::path::PathBuf> {
        Some(std::path::PathBuf::from("Endpoint.ts"))
    }
}

/// JSON Schema: a node interface or a network, told apart by their fields.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for Endpoint {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Endpoint".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::Endpoint").into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "One end of a link: a node interface (`node_id`, \
                `interface_index`) or a network (`network_id`).",
            "anyOf": [g.subschema_for::<NodeEndpoint>(), g.subschema_for::<NetworkEndpoint>()]
        })
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = Map::<String, Value>::deserialize(d)?;
        if map.contains_key("node_id") {
            NodeEndpoint::deserialize(Value::Object(map))
                .map(Endpoint::Node)
                .map_err(|e| D::Error::custom(format!("node endpoint: {e}")))
        } else if map.contains_key("network_id") {
            NetworkEndpoint::deserialize(Value::Object(map))
                .map(Endpoint::Network)
                .map_err(|e| D::Error::custom(format!("network endpoint: {e}")))
        } else {
            Err(D::Error::custom(
                "link endpoint needs either node_id and interface_index, or network_id",
            ))
        }
    }
}

/// A link: one node interface (or network) attached to a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Link {
    /// Id, `lnk_NNN`.
    pub id: String,
    /// One end.
    pub from: Endpoint,
    /// The other end.
    pub to: Endpoint,
    /// Per-link style.
    #[serde(default)]
    pub style_override: Option<LinkStyle>,
    /// Manually placed ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_positions: Option<Map<String, Value>>,
    /// Label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Width (written as a string by the earlier implementation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Value>,
    /// Impairments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<LinkMetrics>,
    /// Runtime bookkeeping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<LinkRuntime>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

impl Link {
    /// A link with no presentation and no impairments.
    pub fn new(id: impl Into<String>, from: Endpoint, to: Endpoint) -> Self {
        Link {
            id: id.into(),
            from,
            to,
            style_override: None,
            endpoint_positions: None,
            label: None,
            color: None,
            width: None,
            metrics: None,
            runtime: None,
            extra: Extra::new(),
        }
    }

    /// Both ends.
    pub fn endpoints(&self) -> [&Endpoint; 2] {
        [&self.from, &self.to]
    }

    /// True if either end is this node interface.
    pub fn touches_interface(&self, node: NodeId, index: u32) -> bool {
        self.endpoints()
            .iter()
            .any(|e| e.as_node() == Some((node, index)))
    }

    /// True if either end is this node.
    pub fn touches_node(&self, node: NodeId) -> bool {
        self.endpoints()
            .iter()
            .any(|e| e.as_node().is_some_and(|(n, _)| n == node))
    }

    /// True if either end is this network.
    pub fn touches_network(&self, network: NetworkId) -> bool {
        self.endpoints()
            .iter()
            .any(|e| e.as_network() == Some(network))
    }
}

/// Link impairments (netem).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LinkMetrics {
    /// One-way delay in milliseconds.
    #[serde(default, deserialize_with = "u32_lenient")]
    pub delay_ms: u32,
    /// Packet loss in percent, 0..=100.
    #[serde(default, deserialize_with = "f64_lenient")]
    pub loss_pct: f64,
    /// Bandwidth cap in kbit/s; 0 means unlimited.
    #[serde(default, deserialize_with = "u64_lenient")]
    pub bandwidth_kbps: u64,
    /// Delay jitter in milliseconds.
    #[serde(default, deserialize_with = "u32_lenient")]
    pub jitter_ms: u32,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A link's runtime bookkeeping.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LinkRuntime {
    /// Generation of the current attachment.
    #[serde(default, deserialize_with = "u64_lenient")]
    pub attach_generation: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A text annotation on the canvas (EVE-NG shape; kept verbatim).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TextObject {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Kind of annotation (`text`, `square`, `circle`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Rendered content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A line annotation on the canvas (kept verbatim).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineObject {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this version does not know (coordinates, style).
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A picture (background map) attached to the lab (kept verbatim).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Picture {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// MIME type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Width in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<Value>,
    /// Height in pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<Value>,
    /// Image map (clickable areas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}

/// A lab task (kept verbatim).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Task {
    /// Id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub extra: Extra,
}
