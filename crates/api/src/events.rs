//! The lab event stream (docs/events.md): every topology and runtime change of a lab as one
//! enum tagged by `type`. labd publishes each as the D-Bus signal
//! `org.novave.Lab1.Manager.Event (lab_id, seq, type, json)` with `json` = [`EventPayload`];
//! the gateway forwards each over WebSocket as an [`EventMessage`].

use std::collections::BTreeMap;

use nova_lab_model::{Link, Network, NetworkId, Node, NodeId};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::runtime::{LabRef, LabSnapshot, NodeRuntime};
use crate::specs::{Position, ViewportSpec};

/// Version of the event payload schema (the `"v"` member of every payload). Fields may be added
/// within a version; removing or changing one bumps it.
pub const EVENT_SCHEMA_VERSION: u32 = 1;

/// One change of a lab.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LabEvent {
    /// CreateLab, ImportLab.
    LabCreated {
        /// The new lab.
        lab: LabRef,
    },
    /// RenameLab, RenameFolder of its folder.
    LabRenamed {
        /// The lab with its new name and folder.
        lab: LabRef,
    },
    /// DeleteLab (after its nodes stopped).
    LabDeleted {
        /// The lab's id.
        lab_id: String,
    },
    /// AddNode.
    NodeCreated {
        /// The node as stored.
        node: Node,
    },
    /// UpdateNode.
    NodeUpdated {
        /// The node as stored.
        node: Node,
    },
    /// DeleteNode (after `link_deleted`/`network_deleted` of its links).
    NodeDeleted {
        /// The node's id.
        node_id: NodeId,
    },
    /// Every runtime change of a node, also after a hot attach/detach.
    NodeState(NodeRuntime),
    /// A wiring step failed (the node is `degraded`).
    NodeWarning {
        /// The node.
        node_id: NodeId,
        /// What failed.
        message: String,
    },
    /// Wipe.
    NodeWiped {
        /// The node.
        node_id: NodeId,
    },
    /// AddNetwork; AddLink of two nodes (the implicit network).
    NetworkCreated {
        /// The network as stored.
        network: Network,
    },
    /// UpdateNetwork.
    NetworkUpdated {
        /// The network as stored.
        network: Network,
    },
    /// DeleteNetwork; removal of an implicit network with its link.
    NetworkDeleted {
        /// The network's id.
        network_id: NetworkId,
    },
    /// AddLink (a node-to-node link gives two: one per half).
    LinkCreated {
        /// The link as stored.
        link: Link,
    },
    /// SetLinkMetrics.
    LinkUpdated {
        /// The link as stored.
        link: Link,
    },
    /// DeleteLink, and the links removed by DeleteNode/DeleteNetwork.
    LinkDeleted {
        /// The link's id.
        link_id: String,
        /// The link as it was.
        link: Link,
    },
    /// UpdateLayout: the new positions, so clients need not re-read the lab.
    LayoutUpdated {
        /// Nodes that moved.
        node_ids: Vec<NodeId>,
        /// Networks that moved.
        network_ids: Vec<NetworkId>,
        /// New node positions by id.
        nodes: BTreeMap<NodeId, Position>,
        /// New network positions by id.
        networks: BTreeMap<NetworkId, Position>,
        /// The new view, when it changed.
        viewport: Option<ViewportSpec>,
    },
}

impl LabEvent {
    /// The `type` of the event.
    pub fn kind(&self) -> &'static str {
        match self {
            LabEvent::LabCreated { .. } => "lab_created",
            LabEvent::LabRenamed { .. } => "lab_renamed",
            LabEvent::LabDeleted { .. } => "lab_deleted",
            LabEvent::NodeCreated { .. } => "node_created",
            LabEvent::NodeUpdated { .. } => "node_updated",
            LabEvent::NodeDeleted { .. } => "node_deleted",
            LabEvent::NodeState(_) => "node_state",
            LabEvent::NodeWarning { .. } => "node_warning",
            LabEvent::NodeWiped { .. } => "node_wiped",
            LabEvent::NetworkCreated { .. } => "network_created",
            LabEvent::NetworkUpdated { .. } => "network_updated",
            LabEvent::NetworkDeleted { .. } => "network_deleted",
            LabEvent::LinkCreated { .. } => "link_created",
            LabEvent::LinkUpdated { .. } => "link_updated",
            LabEvent::LinkDeleted { .. } => "link_deleted",
            LabEvent::LayoutUpdated { .. } => "layout_updated",
        }
    }

    /// The nodes whose D-Bus objects or properties this event changes.
    pub fn touched_nodes(&self) -> Vec<NodeId> {
        match self {
            LabEvent::NodeCreated { node } | LabEvent::NodeUpdated { node } => vec![node.id],
            LabEvent::NodeDeleted { node_id }
            | LabEvent::NodeWarning { node_id, .. }
            | LabEvent::NodeWiped { node_id } => vec![*node_id],
            LabEvent::NodeState(rt) => vec![rt.node_id],
            LabEvent::LinkCreated { link } | LabEvent::LinkDeleted { link, .. } => link
                .endpoints()
                .iter()
                .filter_map(|e| e.as_node().map(|(n, _)| n))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The payload JSON sent on the bus: the event with `"v"`.
    pub fn to_payload_json(&self) -> String {
        serde_json::to_string(&EventPayload {
            v: EVENT_SCHEMA_VERSION,
            event: self.clone(),
        })
        .expect("events serialize")
    }
}

/// The `json` argument of the D-Bus `Event` signal: the event and the schema version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EventPayload {
    /// Schema version ([`EVENT_SCHEMA_VERSION`]).
    pub v: u32,
    /// The event (its `type` and fields at the top level).
    #[serde(flatten)]
    pub event: LabEvent,
}

impl EventPayload {
    /// Parses the signal's `json`; the `type` inside must agree with the signal's `type`.
    pub fn parse(kind: &str, json: &str) -> Result<EventPayload, String> {
        let p: EventPayload =
            serde_json::from_str(json).map_err(|e| format!("event {kind}: {e}"))?;
        if p.event.kind() != kind {
            return Err(format!(
                "event type {kind:?} but payload says {:?}",
                p.event.kind()
            ));
        }
        Ok(p)
    }
}

/// One event as the gateway forwards it over WebSocket: envelope and payload in one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct EventMessage {
    /// The lab.
    pub lab_id: String,
    /// Per-lab sequence number (+1 per event; a gap means events were missed).
    pub seq: u64,
    /// Schema version.
    pub v: u32,
    /// The event.
    #[serde(flatten)]
    pub event: LabEvent,
}

/// Messages of the event WebSocket besides events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamControl {
    /// First message: the lab's current `seq`. Events after it follow (replayed ones first
    /// when the client asked `since` a seq still in the server's ring).
    Hello {
        /// The lab.
        lab_id: String,
        /// Current sequence number.
        seq: u64,
    },
    /// The client is too far behind (or missed events): here is the whole lab; events after
    /// its `seq` follow.
    Resnapshot {
        /// Why.
        reason: String,
        /// The lab now.
        snapshot: Box<LabSnapshot>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::NodeState;

    #[test]
    fn payload_round_trips_with_type_and_version() {
        let ev = LabEvent::NodeState(NodeRuntime {
            node_id: 2,
            state: NodeState::Running,
            unit: "nova-node-x-2.scope".into(),
            pid: 42,
            ..Default::default()
        });
        let json = ev.to_payload_json();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["type"], "node_state");
        assert_eq!(v["state"], "running");
        assert_eq!(v["node_id"], 2);
        let back = EventPayload::parse("node_state", &json).unwrap();
        assert_eq!(back.event, ev);
        assert!(EventPayload::parse("node_wiped", &json).is_err());
    }

    #[test]
    fn every_kind_matches_its_serde_tag() {
        let lab = nova_lab_model::Lab::new("l", "L");
        let _ = lab;
        let evs = [
            LabEvent::LabDeleted { lab_id: "x".into() },
            LabEvent::NodeWiped { node_id: 1 },
            LabEvent::NetworkDeleted { network_id: 1 },
            LabEvent::LayoutUpdated {
                node_ids: vec![1],
                network_ids: vec![],
                nodes: BTreeMap::from([(1, Position { left: 3, top: 4 })]),
                networks: BTreeMap::new(),
                viewport: None,
            },
        ];
        for ev in evs {
            let v = serde_json::to_value(&ev).unwrap();
            assert_eq!(v["type"], ev.kind());
        }
    }
}
