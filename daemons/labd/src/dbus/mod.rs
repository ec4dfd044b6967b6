//! The D-Bus adaptor for `org.novave.Lab1` (stratisd style: thin over the engine).
//!
//! [`export`] puts the ObjectManager and Manager at `/org/novave/Lab1` and one object per lab and
//! node; [`dispatch_events`] turns every engine event into the `Event` signal, adds and removes
//! objects, and emits `PropertiesChanged` for node state.

pub mod auth;
pub mod errors;
pub mod objects;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use nova_dbus::lab::{MANAGER_PATH, lab_path, node_path};
use tokio::sync::mpsc::UnboundedReceiver;
use zbus::Connection;
use zbus::object_server::SignalEmitter;

use nova_api::LabEvent;

use crate::engine::LabEngine;
use crate::events::Event;
use auth::Auth;
use objects::{LabObject, Manager, NodeObject};

/// Exports the root objects and every lab and node the engine has now.
pub async fn export(
    conn: &Connection,
    engine: Arc<LabEngine>,
    auth: Auth,
) -> zbus::Result<Registry> {
    let server = conn.object_server();
    server.at(MANAGER_PATH, zbus::fdo::ObjectManager).await?;
    server
        .at(
            MANAGER_PATH,
            Manager {
                engine: engine.clone(),
                auth: auth.clone(),
            },
        )
        .await?;
    let mut reg = Registry {
        conn: conn.clone(),
        engine,
        auth,
        nodes: BTreeMap::new(),
    };
    for lab in reg.engine.list_labs() {
        reg.add_lab(&lab.id).await?;
    }
    Ok(reg)
}

/// The exported labs and nodes.
#[derive(Debug)]
pub struct Registry {
    conn: Connection,
    engine: Arc<LabEngine>,
    auth: Auth,
    nodes: BTreeMap<String, BTreeSet<u32>>,
}

impl Registry {
    async fn add_lab(&mut self, lab_id: &str) -> zbus::Result<()> {
        let obj = LabObject {
            engine: self.engine.clone(),
            auth: self.auth.clone(),
            lab_id: lab_id.to_string(),
        };
        self.conn.object_server().at(lab_path(lab_id), obj).await?;
        self.nodes.entry(lab_id.to_string()).or_default();
        for node in self.engine.node_ids(lab_id).unwrap_or_default() {
            self.add_node(lab_id, node).await?;
        }
        Ok(())
    }

    async fn remove_lab(&mut self, lab_id: &str) -> zbus::Result<()> {
        for node in self.nodes.remove(lab_id).unwrap_or_default() {
            self.conn
                .object_server()
                .remove::<NodeObject, _>(node_path(lab_id, node))
                .await?;
        }
        self.conn
            .object_server()
            .remove::<LabObject, _>(lab_path(lab_id))
            .await?;
        Ok(())
    }

    async fn add_node(&mut self, lab_id: &str, node: u32) -> zbus::Result<()> {
        if !self
            .nodes
            .entry(lab_id.to_string())
            .or_default()
            .insert(node)
        {
            return Ok(());
        }
        let obj = NodeObject {
            engine: self.engine.clone(),
            auth: self.auth.clone(),
            lab_id: lab_id.to_string(),
            node_id: node,
        };
        self.conn
            .object_server()
            .at(node_path(lab_id, node), obj)
            .await?;
        Ok(())
    }

    async fn remove_node(&mut self, lab_id: &str, node: u32) -> zbus::Result<()> {
        if let Some(set) = self.nodes.get_mut(lab_id)
            && set.remove(&node)
        {
            self.conn
                .object_server()
                .remove::<NodeObject, _>(node_path(lab_id, node))
                .await?;
        }
        Ok(())
    }

    async fn node_changed(&self, lab_id: &str, node: u32, all: bool) -> zbus::Result<()> {
        if !self.nodes.get(lab_id).is_some_and(|s| s.contains(&node)) {
            return Ok(());
        }
        let iface = self
            .conn
            .object_server()
            .interface::<_, NodeObject>(node_path(lab_id, node))
            .await?;
        let o = iface.get().await;
        let e = iface.signal_emitter();
        o.state_changed(e).await?;
        o.interfaces_changed(e).await?;
        if all {
            o.unit_changed(e).await?;
            o.main_pid_changed(e).await?;
            o.console_changed(e).await?;
            o.name_changed(e).await?;
        }
        Ok(())
    }

    async fn lab_changed(&self, lab_id: &str) -> zbus::Result<()> {
        let iface = self
            .conn
            .object_server()
            .interface::<_, LabObject>(lab_path(lab_id))
            .await?;
        let o = iface.get().await;
        o.name_changed(iface.signal_emitter()).await?;
        o.folder_changed(iface.signal_emitter()).await
    }

    /// Applies one event to the objects.
    async fn apply(&mut self, ev: &Event) -> zbus::Result<()> {
        let lab = ev.lab_id.as_str();
        match &ev.event {
            LabEvent::LabCreated { .. } => self.add_lab(lab).await,
            LabEvent::LabDeleted { .. } => self.remove_lab(lab).await,
            LabEvent::LabRenamed { .. } => self.lab_changed(lab).await,
            LabEvent::NodeCreated { node } => self.add_node(lab, node.id).await,
            LabEvent::NodeDeleted { node_id } => self.remove_node(lab, *node_id).await,
            LabEvent::NodeState(rt) => self.node_changed(lab, rt.node_id, true).await,
            LabEvent::NodeUpdated { node } => self.node_changed(lab, node.id, true).await,
            e @ (LabEvent::LinkCreated { .. } | LabEvent::LinkDeleted { .. }) => {
                for n in e.touched_nodes() {
                    self.node_changed(lab, n, false).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// Forwards engine events: the `Event` signal, then object and property updates. Runs until the
/// engine is dropped.
pub async fn dispatch_events(mut reg: Registry, mut rx: UnboundedReceiver<Event>) {
    let emitter = SignalEmitter::new(&reg.conn, MANAGER_PATH).expect("valid path");
    while let Some(ev) = rx.recv().await {
        let (kind, json) = (ev.event.kind(), ev.event.to_payload_json());
        if let Err(e) = Manager::event(&emitter, &ev.lab_id, ev.seq, kind, &json).await {
            tracing::warn!(LAB_ID = %ev.lab_id, "Event signal not sent: {e}");
        }
        if let Err(e) = reg.apply(&ev).await {
            tracing::warn!(LAB_ID = %ev.lab_id, "objects not updated for {kind}: {e}");
        }
    }
}
