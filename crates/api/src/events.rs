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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
        #[serde(deserialize_with = "crate::int_keys::deserialize")]
        nodes: BTreeMap<NodeId, Position>,
        /// New network positions by id.
        #[serde(deserialize_with = "crate::int_keys::deserialize")]
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

impl LabSnapshot {
    /// Applies one event to this copy of a lab (what every client that keeps a copy does).
    /// Events at or below the copy's `seq` are skipped; the others apply idempotently (upserts
    /// and deletes by id). Returns false for a `seq` gap: events were missed and the client must
    /// take a new snapshot.
    pub fn apply(&mut self, seq: u64, event: &LabEvent) -> bool {
        if seq <= self.seq {
            return true;
        }
        if seq != self.seq + 1 {
            return false;
        }
        self.seq = seq;
        let lab = &mut self.lab;
        match event {
            LabEvent::LabCreated { lab: r } | LabEvent::LabRenamed { lab: r } => {
                self.lab_ref = r.clone();
            }
            LabEvent::LabDeleted { .. } => {}
            LabEvent::NodeCreated { node } | LabEvent::NodeUpdated { node } => {
                lab.nodes.insert(node.id.to_string(), node.clone());
                self.runtime.entry(node.id).or_insert_with(|| NodeRuntime {
                    node_id: node.id,
                    ..Default::default()
                });
            }
            LabEvent::NodeDeleted { node_id } => {
                lab.nodes.shift_remove(&node_id.to_string());
                self.runtime.remove(node_id);
            }
            LabEvent::NodeState(rt) => {
                self.runtime.insert(rt.node_id, rt.clone());
            }
            LabEvent::NodeWarning { .. } | LabEvent::NodeWiped { .. } => {}
            LabEvent::NetworkCreated { network } | LabEvent::NetworkUpdated { network } => {
                lab.networks.insert(network.id.to_string(), network.clone());
            }
            LabEvent::NetworkDeleted { network_id } => {
                lab.networks.shift_remove(&network_id.to_string());
            }
            LabEvent::LinkCreated { link } | LabEvent::LinkUpdated { link } => {
                match lab.links.iter_mut().find(|l| l.id == link.id) {
                    Some(l) => *l = link.clone(),
                    None => lab.links.push(link.clone()),
                }
            }
            LabEvent::LinkDeleted { link_id, .. } => lab.links.retain(|l| &l.id != link_id),
            LabEvent::LayoutUpdated {
                nodes,
                networks,
                viewport,
                ..
            } => {
                for (id, p) in nodes {
                    if let Some(n) = lab.nodes.get_mut(&id.to_string()) {
                        (n.left, n.top) = (p.left, p.top);
                    }
                }
                for (id, p) in networks {
                    if let Some(n) = lab.networks.get_mut(&id.to_string()) {
                        (n.left, n.top) = (p.left, p.top);
                    }
                }
                if let Some(v) = viewport {
                    (lab.viewport.x, lab.viewport.y, lab.viewport.zoom) = (v.x, v.y, v.zoom);
                }
            }
        }
        true
    }
}

/// The `json` argument of the D-Bus `Event` signal: the event and the schema version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

    /// Id-keyed maps inside the tagged and flattened shapes (serde-rs/serde#1183).
    #[test]
    fn id_keyed_maps_read_back_inside_tagged_shapes() {
        let ev = LabEvent::LayoutUpdated {
            node_ids: vec![1],
            network_ids: vec![7],
            nodes: BTreeMap::from([(1, Position { left: 10, top: 20 })]),
            networks: BTreeMap::from([(7, Position { left: 1, top: 2 })]),
            viewport: None,
        };
        let json = ev.to_payload_json();
        assert_eq!(
            EventPayload::parse("layout_updated", &json).unwrap().event,
            ev
        );
        let msg = EventMessage {
            lab_id: "l".into(),
            seq: 3,
            v: crate::EVENT_SCHEMA_VERSION,
            event: ev.clone(),
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert_eq!(serde_json::from_str::<EventMessage>(&text).unwrap(), msg);
        let mut lab = nova_lab_model::Lab::new("l", "L");
        lab.nodes.insert(
            "4".into(),
            nova_lab_model::Node::new(4, "n", nova_lab_model::NodeKind::Linux),
        );
        let snap = crate::LabSnapshot {
            lab_ref: crate::LabRef {
                id: "l".into(),
                name: "l".into(),
                folder: String::new(),
            },
            lab,
            runtime: BTreeMap::from([(4, NodeRuntime::default())]),
            seq: 9,
        };
        let control = StreamControl::Resnapshot {
            reason: "r".into(),
            snapshot: Box::new(snap),
        };
        let text = serde_json::to_string(&control).unwrap();
        assert_eq!(
            serde_json::from_str::<StreamControl>(&text).unwrap(),
            control
        );
    }

    #[test]
    fn snapshots_apply_events_in_order_and_report_gaps() {
        let mut lab = nova_lab_model::Lab::new("l", "L");
        let templates = nova_lab_model::TemplateSet::builtin().unwrap();
        let host = templates
            .get(&nova_lab_model::NodeKind::Linux, "host")
            .unwrap();
        let node = host.new_node(1, "h1");
        let mut snap = LabSnapshot {
            lab_ref: LabRef {
                id: "l".into(),
                name: "L".into(),
                folder: String::new(),
            },
            lab: lab.clone(),
            runtime: BTreeMap::new(),
            seq: 10,
        };
        let created = LabEvent::NodeCreated { node: node.clone() };
        assert!(snap.apply(11, &created));
        assert!(snap.apply(11, &created), "a replayed event is skipped");
        assert_eq!(snap.lab.nodes.len(), 1);
        let running = LabEvent::NodeState(NodeRuntime {
            node_id: 1,
            state: NodeState::Running,
            ..Default::default()
        });
        assert!(!snap.apply(13, &running), "seq 12 is missing");
        assert!(snap.apply(12, &running));
        assert_eq!(snap.runtime[&1].state, NodeState::Running);
        let moved = LabEvent::LayoutUpdated {
            node_ids: vec![1],
            network_ids: vec![],
            nodes: BTreeMap::from([(1, Position { left: 7, top: 9 })]),
            networks: BTreeMap::new(),
            viewport: None,
        };
        assert!(snap.apply(13, &moved));
        assert_eq!((snap.lab.nodes["1"].left, snap.lab.nodes["1"].top), (7, 9));
        assert!(snap.apply(14, &LabEvent::NodeDeleted { node_id: 1 }));
        assert!(snap.lab.nodes.is_empty() && snap.runtime.is_empty());
        lab.nodes.clear();
        assert_eq!(snap.lab, lab);
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
