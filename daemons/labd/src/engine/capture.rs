//! Packet capture of a running lab: a link or a node interface is captured on its host-side
//! veth by netd (AF_PACKET, pcap into a pipe); labd only finds the interface and hands the
//! stream on. A capture runs until its reader closes it.

use std::os::fd::OwnedFd;

use nova_lab_model::NodeId;

use super::LabEngine;
use crate::error::{EngineError, Result};

impl LabEngine {
    /// A pcap stream of interface `index` of node `node_id` (it must be running and wired).
    pub async fn capture_interface(
        &self,
        lab_id: &str,
        node_id: NodeId,
        index: u32,
    ) -> Result<OwnedFd> {
        let ifname = self.wired_interface(lab_id, node_id, index)?;
        self.host
            .capture(&ifname)
            .await
            .map_err(|e| EngineError::Failed(format!("capture on {ifname}: {e}")))
    }

    /// A pcap stream of link `link_id`: its node end's interface (a node-to-node link is two
    /// links through a hidden network, so every link has a node end).
    pub async fn capture_link(&self, lab_id: &str, link_id: &str) -> Result<OwnedFd> {
        let lab = self.handle(lab_id)?.lab();
        let link = lab
            .links
            .iter()
            .find(|l| l.id == link_id)
            .ok_or_else(|| EngineError::not_found(format!("no link {link_id:?}")))?;
        let (node, index) = link.from.as_node().or(link.to.as_node()).ok_or_else(|| {
            EngineError::InvalidArgs(format!("link {link_id} has no node end to capture on"))
        })?;
        self.capture_interface(lab_id, node, index).await
    }

    /// The host-side interface of a node's interface while it is wired.
    fn wired_interface(&self, lab_id: &str, node_id: NodeId, index: u32) -> Result<String> {
        let h = self.handle(lab_id)?;
        let lab = h.lab();
        let node = lab
            .node(node_id)
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        if index >= node.ethernet {
            return Err(EngineError::not_found(format!(
                "node {} has no interface {index} (it has {})",
                node.name, node.ethernet
            )));
        }
        let rt = h.rt.lock().expect("rt");
        rt.get(&node_id)
            .filter(|r| r.state.is_active())
            .and_then(|r| r.plugged.get(&index))
            .map(|(ifname, _)| ifname.clone())
            .ok_or_else(|| {
                EngineError::Conflict(format!(
                    "interface {index} of node {} carries no traffic to capture: start the node \
                     and link the interface",
                    node.name
                ))
            })
    }
}
