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

/// The lab component of node unit names, derived from a lab id: lower-case, every character
/// outside `[a-z0-9]` becomes `_`; an empty or over-long result becomes `h` + the FNV-1a-64 hash
/// of the id in hex. Deterministic, so labd finds its units again after a restart and novactl
/// names the unit of a node that is not running; written once here so the two never disagree.
pub fn lab_unit_component(lab_id: &str) -> String {
    let s: String = lab_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.len() > MAX_COMPONENT_LEN {
        let hash = lab_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("h{hash:016x}")
    } else {
        s
    }
}

/// The unit name of node `node_id` of lab `lab_id` (a free-form lab id, see
/// [`lab_unit_component`]).
pub fn lab_node_unit_name(lab_id: &str, node_id: u32) -> String {
    node_unit_name(&lab_unit_component(lab_id), &node_id.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_ids_map_to_valid_unit_components() {
        assert_eq!(
            lab_node_unit_name("4F1c2a3b-0000-4000-8000-000000000001", 2),
            "nova-node-4f1c2a3b_0000_4000_8000_000000000001-2.scope"
        );
        assert_eq!(lab_unit_component("demo"), "demo");
        for hostile in ["", "../..", "ünï", &"x".repeat(200), "a b\n"] {
            let c = lab_unit_component(hostile);
            assert!(
                !c.is_empty() && c.len() <= MAX_COMPONENT_LEN,
                "{hostile:?} → {c:?}"
            );
            assert!(
                c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
        }
        assert_ne!(lab_unit_component(""), lab_unit_component(&"x".repeat(200)));
    }
}
