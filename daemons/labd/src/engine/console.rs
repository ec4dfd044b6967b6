//! Node consoles: a viewer descriptor of the console a running node holds, and its window size.
//! labd only does the handshake (see `nova_linux_node::console`); the descriptor it returns is
//! the raw terminal, passed on over D-Bus to the gateway or novactl.

use std::os::fd::OwnedFd;
use std::path::PathBuf;

use nova_lab_model::{NodeId, NodeKind};

use super::{LabEngine, LabHandle};
use crate::error::{EngineError, Result};
use crate::host::HostError;

/// What `Console` shows for a node whose interactive console can be opened with OpenConsole.
pub const CONSOLE_PTY: &str = "pty";

/// Largest window dimension accepted by ResizeConsole (rows or columns).
pub const MAX_CONSOLE_DIMENSION: u16 = 1000;

impl LabEngine {
    /// A node's work dir: its runtime files and the console socket.
    pub(crate) fn work_dir(&self, h: &LabHandle, node_id: NodeId) -> PathBuf {
        self.config
            .run_dir
            .join(&h.key.unit)
            .join(node_id.to_string())
    }

    /// A new viewer of the console of a running node: the raw terminal, recent output first.
    pub async fn open_console(&self, lab_id: &str, node_id: NodeId) -> Result<OwnedFd> {
        let (h, name) = self.console_target(lab_id, node_id)?;
        let dir = self.work_dir(&h, node_id);
        self.host
            .open_console(&dir)
            .await
            .map_err(|e| console_error(&name, e))
    }

    /// Sets the window size of a running node's console (rows × cols, each 1..=1000).
    pub async fn resize_console(
        &self,
        lab_id: &str,
        node_id: NodeId,
        rows: u16,
        cols: u16,
    ) -> Result<()> {
        for (what, v) in [("rows", rows), ("cols", cols)] {
            if v == 0 || v > MAX_CONSOLE_DIMENSION {
                return Err(EngineError::InvalidArgs(format!(
                    "console {what} {v}: must be 1 to {MAX_CONSOLE_DIMENSION}"
                )));
            }
        }
        let (h, name) = self.console_target(lab_id, node_id)?;
        let dir = self.work_dir(&h, node_id);
        self.host
            .resize_console(&dir, rows, cols)
            .await
            .map_err(|e| console_error(&name, e))
    }

    /// The lab handle and node name of a node whose console may be opened now.
    fn console_target(
        &self,
        lab_id: &str,
        node_id: NodeId,
    ) -> Result<(std::sync::Arc<LabHandle>, String)> {
        let h = self.handle(lab_id)?;
        let lab = h.lab();
        let node = lab
            .node(node_id)
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        if node.kind != NodeKind::Linux {
            return Err(EngineError::NotSupported(format!(
                "node {}: {} nodes have no console yet (linux nodes do)",
                node.name, node.kind
            )));
        }
        let state = h.rt.lock().expect("rt").get(&node_id).map(|r| r.state);
        if !state.is_some_and(|s| s.is_active()) {
            return Err(EngineError::Conflict(format!(
                "node {} is not running: start it to open its console",
                node.name
            )));
        }
        Ok((h, node.name.clone()))
    }
}

fn console_error(node: &str, e: HostError) -> EngineError {
    match e {
        HostError::NotFound(m) => EngineError::Conflict(format!(
            "node {node} has no console to attach to (is it still starting or stopping?): {m}"
        )),
        other => EngineError::Failed(format!("console of node {node}: {other}")),
    }
}
