//! `org.novave.Nodes1`: node units (transient scopes) made by nova-ve-netd (see
//! `dbus-interfaces/org.novave.Net1.xml`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use zbus::{Type, Variant, proxy};

/// Node-units interface name (served by nova-ve-netd on [`crate::net::OBJECT_PATH`]).
pub const INTERFACE: &str = "org.novave.Nodes1";
/// polkit action for every node-unit method.
pub const ACTION_NODE_MANAGE: &str = "org.novave.node.manage";
/// Slice every node unit lives in.
pub const NODE_SLICE: &str = "nova.slice";
/// Unit name prefix of node units.
pub const NODE_UNIT_PREFIX: &str = "nova-node-";
/// Properties `StartNodeScope` accepts (with their D-Bus types: s, t, t, t).
pub const ALLOWED_PROPERTIES: [&str; 4] =
    ["Description", "MemoryMax", "TasksMax", "CPUQuotaPerSecUSec"];
/// Longest lab or node component of a unit name.
pub const MAX_COMPONENT_LEN: usize = 64;

/// The unit name of a node: `nova-node-<lab>-<node>.scope`. Components must already be valid
/// (`[a-z0-9_]{1,64}`); the daemon checks again.
pub fn node_unit_name(lab: &str, node: &str) -> String {
    format!("{NODE_UNIT_PREFIX}{lab}-{node}.scope")
}

/// One node unit as listed by `ListNodeScopes` (`(sss)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct NodeScopeInfo {
    /// Unit name.
    pub unit: String,
    /// systemd ActiveState.
    pub active_state: String,
    /// systemd SubState.
    pub sub_state: String,
}

/// Client proxy for `org.novave.Nodes1`.
#[proxy(
    interface = "org.novave.Nodes1",
    default_service = "org.novave.Net1",
    default_path = "/org/novave/Net1"
)]
pub trait Nodes1 {
    /// Wraps `pid` (owned by the caller) into `nova-node-<lab>-<node>.scope`.
    fn start_node_scope(
        &self,
        lab: &str,
        node: &str,
        pid: u32,
        properties: HashMap<&str, Variant<'_>>,
    ) -> zbus::Result<String>;
    /// Stops a node unit.
    fn stop_node_scope(&self, unit: &str) -> zbus::Result<()>;
    /// Lists node units.
    fn list_node_scopes(&self) -> zbus::Result<Vec<NodeScopeInfo>>;
}
