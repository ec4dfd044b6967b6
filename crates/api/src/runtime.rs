//! The runtime view: what runs, derived by labd from systemd and netd (never stored as truth).

use std::collections::BTreeMap;

use nova_lab_model::{Lab, NetworkId, NodeId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A node's runtime state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Not running.
    #[default]
    Stopped,
    /// Being started.
    Starting,
    /// Running, fully wired.
    Running,
    /// Being stopped.
    Stopping,
    /// Running, but some interface could not be wired (see `problems`).
    Degraded,
    /// The last start failed (see `problems`).
    Failed,
}

impl NodeState {
    /// Every state, in the order above.
    pub const ALL: [NodeState; 6] = [
        NodeState::Stopped,
        NodeState::Starting,
        NodeState::Running,
        NodeState::Stopping,
        NodeState::Degraded,
        NodeState::Failed,
    ];

    /// The name on the bus, in events and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeState::Stopped => "stopped",
            NodeState::Starting => "starting",
            NodeState::Running => "running",
            NodeState::Stopping => "stopping",
            NodeState::Degraded => "degraded",
            NodeState::Failed => "failed",
        }
    }

    /// Parses a name written by [`NodeState::as_str`].
    pub fn parse(s: &str) -> Option<NodeState> {
        NodeState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Running in any form (a unit exists).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            NodeState::Starting | NodeState::Running | NodeState::Stopping | NodeState::Degraded
        )
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One interface of a node, planned and live.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InterfaceStatus {
    /// Interface index.
    pub index: u32,
    /// Name inside the node (`eth0`, `Gi0/1`, …).
    pub name: String,
    /// MAC planned in the lab file ("" when none).
    pub planned_mac: String,
    /// MAC seen on the running interface ("" when not running).
    pub live_mac: String,
    /// Network the interface is linked to (0 = none).
    pub network_id: NetworkId,
    /// Host-side interface while running, else "".
    pub host_ifname: String,
}

/// The runtime view of one node (the `node_state` event, `runtime_state` in `GetJson`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeRuntime {
    /// Node id.
    pub node_id: NodeId,
    /// State.
    pub state: NodeState,
    /// The node's systemd unit while it runs, else "".
    pub unit: String,
    /// Main PID while running, else 0.
    pub pid: u32,
    /// Console endpoint while running ("" when none).
    pub console: String,
    /// Interfaces.
    pub interfaces: Vec<InterfaceStatus>,
    /// Why the node is degraded or failed.
    pub problems: Vec<String>,
}

/// A lab's identity and place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabRef {
    /// Lab id (the lab JSON `id`).
    pub id: String,
    /// Lab name (its file name without `.json`).
    pub name: String,
    /// Folder ("" = top).
    pub folder: String,
}

/// A node that failed in a batch operation (StartAll, StopAll).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct NodeFailure {
    /// Node id.
    pub node_id: NodeId,
    /// Why.
    pub reason: String,
}

/// A whole lab at one moment: the document, every node's runtime, and the `seq` of the last
/// event published before it was taken. Events with a higher `seq` may already be reflected in
/// it; every event applies idempotently, so a client applies all events after `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabSnapshot {
    /// Where the lab is.
    #[serde(rename = "ref")]
    pub lab_ref: LabRef,
    /// The lab document.
    pub lab: Lab,
    /// Runtime of every node, by node id.
    #[serde(deserialize_with = "crate::int_keys::deserialize")]
    pub runtime: BTreeMap<NodeId, NodeRuntime>,
    /// The lab's event sequence number when the snapshot was taken.
    pub seq: u64,
}
