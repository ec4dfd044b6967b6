//! The exported interfaces: Manager (root), Lab (one per lab), Node (one per node). Each method
//! authorizes, parses, calls the engine and maps its error — nothing else.

use std::sync::Arc;

use nova_dbus::lab::{
    ACTION_CONSOLE, ACTION_MANAGE, ACTION_VIEW, LabError, LabSummary, NodeFailure, NodeInterface,
    lab_path, node_path,
};
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::{OwnedObjectPath, interface};

use nova_api::{
    LabSnapshot, LayoutSpec, LinkMetricsSpec, LinkSpec, NetworkPatch, NetworkSpec, NodePatch,
    NodeSpec, parse_lab, parse_spec,
};

use super::auth::Auth;
use super::errors::map;
use crate::engine::{LabEngine, NodeView};
use crate::error::EngineError;

fn path(p: String) -> Result<OwnedObjectPath, LabError> {
    OwnedObjectPath::try_from(p).map_err(|e| LabError::Failed(e.to_string()))
}

/// Parses a JSON spec argument.
fn spec<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, LabError> {
    map(parse_spec(what, text).map_err(EngineError::from))
}

/// JSON of a reply value.
fn to_json<T: serde::Serialize>(v: &T) -> Result<String, LabError> {
    serde_json::to_string(v).map_err(|e| LabError::Failed(format!("reply not encoded: {e}")))
}

/// `GetJson`'s shape: the lab document with each node's runtime under `runtime_state`.
fn with_runtime_state(s: &LabSnapshot) -> Result<String, LabError> {
    let mut v = serde_json::to_value(&s.lab)
        .map_err(|e| LabError::Failed(format!("lab not encoded: {e}")))?;
    if let Some(nodes) = v.get_mut("nodes").and_then(|n| n.as_object_mut()) {
        for (key, node) in nodes.iter_mut() {
            let rt = key.parse().ok().and_then(|id: u32| s.runtime.get(&id));
            if let (Some(rt), Some(obj)) = (rt, node.as_object_mut()) {
                let rt = serde_json::to_value(rt)
                    .map_err(|e| LabError::Failed(format!("runtime not encoded: {e}")))?;
                obj.insert("runtime_state".into(), rt);
            }
        }
    }
    Ok(v.to_string())
}

fn failures(v: Vec<(u32, String)>) -> Vec<NodeFailure> {
    v.into_iter()
        .map(|(node_id, reason)| NodeFailure { node_id, reason })
        .collect()
}

/// `org.novave.Lab1.Manager`.
#[derive(Debug, Clone)]
pub struct Manager {
    /// Engine.
    pub engine: Arc<LabEngine>,
    /// polkit.
    pub auth: Auth,
}

#[interface(name = "org.novave.Lab1.Manager")]
impl Manager {
    #[zbus(property)]
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    #[zbus(out_args("labs"))]
    async fn list_labs(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<Vec<LabSummary>, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        self.engine
            .list_labs()
            .into_iter()
            .map(|l| {
                Ok(LabSummary {
                    path: path(lab_path(&l.id))?,
                    id: l.id,
                    name: l.name,
                    folder: l.folder,
                })
            })
            .collect()
    }

    #[zbus(out_args("id", "lab"))]
    async fn create_lab(
        &self,
        folder: &str,
        name: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(String, OwnedObjectPath), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let id = map(self.engine.create_lab(folder, name).await)?;
        Ok((id.clone(), path(lab_path(&id))?))
    }

    #[zbus(out_args("id", "lab"))]
    async fn import_lab(
        &self,
        folder: &str,
        name: &str,
        json: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(String, OwnedObjectPath), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let lab = map(parse_lab(json).map_err(EngineError::from))?;
        let id = map(self.engine.import_lab(folder, name, lab).await)?;
        Ok((id.clone(), path(lab_path(&id))?))
    }

    #[zbus(out_args("json"))]
    async fn export_lab(
        &self,
        id: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        map(self.engine.export_lab(id)).map(|lab| lab.to_json())
    }

    async fn delete_lab(&self, id: &str, #[zbus(header)] hdr: Header<'_>) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.delete_lab(id).await)
    }

    async fn rename_lab(
        &self,
        id: &str,
        folder: &str,
        name: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.rename_lab(id, folder, name).await)
    }

    #[zbus(out_args("folders"))]
    async fn list_folders(&self, #[zbus(header)] hdr: Header<'_>) -> Result<Vec<String>, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        map(self.engine.list_folders())
    }

    async fn create_folder(
        &self,
        folder: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.create_folder(folder))
    }

    async fn rename_folder(
        &self,
        folder: &str,
        new_folder: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.rename_folder(folder, new_folder).await)
    }

    async fn delete_folder(
        &self,
        folder: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.delete_folder(folder))
    }

    #[zbus(out_args("json"))]
    async fn list_templates(
        &self,
        kind: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        to_json(&map(self.engine.list_templates(kind))?)
    }

    #[zbus(out_args("sha256"))]
    async fn import_image(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        kind: &str,
        name: &str,
        size: u64,
        sha256: &str,
        data: zbus::OwnedFd,
    ) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self
            .engine
            .import_image(kind, name, size, sha256, data.into())
            .await)
    }

    #[zbus(out_args("images"))]
    async fn list_images(
        &self,
        kind: &str,
        template: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<Vec<String>, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        map(self.engine.list_images(kind, template))
    }

    /// Every topology and runtime change (docs/events.md).
    #[zbus(signal)]
    pub async fn event(
        emitter: &SignalEmitter<'_>,
        lab_id: &str,
        seq: u64,
        r#type: &str,
        json: &str,
    ) -> zbus::Result<()>;
}

/// `org.novave.Lab1.Lab`.
#[derive(Debug, Clone)]
pub struct LabObject {
    /// Engine.
    pub engine: Arc<LabEngine>,
    /// polkit.
    pub auth: Auth,
    /// Lab id.
    pub lab_id: String,
}

#[interface(name = "org.novave.Lab1.Lab")]
impl LabObject {
    #[zbus(property)]
    fn id(&self) -> String {
        self.lab_id.clone()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.engine
            .lab_info(&self.lab_id)
            .map(|i| i.name)
            .unwrap_or_default()
    }

    #[zbus(property)]
    fn folder(&self) -> String {
        self.engine
            .lab_info(&self.lab_id)
            .map(|i| i.folder)
            .unwrap_or_default()
    }

    #[zbus(out_args("json"))]
    async fn get_json(&self, #[zbus(header)] hdr: Header<'_>) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        with_runtime_state(&map(self.engine.snapshot(&self.lab_id))?)
    }

    #[zbus(out_args("json"))]
    async fn get_snapshot(&self, #[zbus(header)] hdr: Header<'_>) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        to_json(&map(self.engine.snapshot(&self.lab_id))?)
    }

    #[zbus(out_args("node_id", "node"))]
    async fn add_node(
        &self,
        spec: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(u32, OwnedObjectPath), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let spec: NodeSpec = self::spec("node spec", spec)?;
        let id = map(self.engine.add_node(&self.lab_id, spec).await)?;
        Ok((id, path(node_path(&self.lab_id, id))?))
    }

    async fn update_node(
        &self,
        node_id: u32,
        patch: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let patch: NodePatch = spec("node patch", patch)?;
        map(self.engine.update_node(&self.lab_id, node_id, patch).await)
    }

    async fn delete_node(
        &self,
        node_id: u32,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.delete_node(&self.lab_id, node_id).await)
    }

    #[zbus(out_args("network_id"))]
    async fn add_network(
        &self,
        spec: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<u32, LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let spec: NetworkSpec = self::spec("network spec", spec)?;
        map(self.engine.add_network(&self.lab_id, spec).await)
    }

    async fn update_network(
        &self,
        network_id: u32,
        patch: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let patch: NetworkPatch = spec("network patch", patch)?;
        map(self
            .engine
            .update_network(&self.lab_id, network_id, patch)
            .await)
    }

    async fn delete_network(
        &self,
        network_id: u32,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.delete_network(&self.lab_id, network_id).await)
    }

    #[zbus(out_args("link_id"))]
    async fn add_link(
        &self,
        spec: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<String, LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let spec: LinkSpec = self::spec("link spec", spec)?;
        map(self.engine.add_link(&self.lab_id, spec).await)
    }

    async fn delete_link(
        &self,
        link_id: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.delete_link(&self.lab_id, link_id).await)
    }

    async fn set_link_metrics(
        &self,
        link_id: &str,
        delay_ms: u32,
        jitter_ms: u32,
        loss_pct: f64,
        bandwidth_kbps: u32,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let m = LinkMetricsSpec {
            delay_ms,
            jitter_ms,
            loss_pct,
            bandwidth_kbps,
        };
        let m = map(m.validate().map_err(EngineError::from))?;
        map(self.engine.set_link_metrics(&self.lab_id, link_id, m).await)
    }

    async fn update_layout(
        &self,
        layout: &str,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        let layout: LayoutSpec = spec("layout", layout)?;
        map(self.engine.update_layout(&self.lab_id, layout).await)
    }

    #[zbus(out_args("failed"))]
    async fn start_all(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<Vec<NodeFailure>, LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.start_all(&self.lab_id).await).map(failures)
    }

    #[zbus(out_args("pcap"))]
    async fn capture_link(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        link: &str,
    ) -> Result<zbus::OwnedFd, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        map(self.engine.capture_link(&self.lab_id, link).await).map(zbus::OwnedFd::from)
    }

    #[zbus(out_args("failed"))]
    async fn stop_all(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<Vec<NodeFailure>, LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.stop_all(&self.lab_id).await).map(failures)
    }
}

/// `org.novave.Lab1.Node`.
#[derive(Debug, Clone)]
pub struct NodeObject {
    /// Engine.
    pub engine: Arc<LabEngine>,
    /// polkit.
    pub auth: Auth,
    /// Lab id.
    pub lab_id: String,
    /// Node id.
    pub node_id: u32,
}

impl NodeObject {
    fn view(&self) -> Option<NodeView> {
        self.engine.node_view(&self.lab_id, self.node_id).ok()
    }
}

#[interface(name = "org.novave.Lab1.Node")]
impl NodeObject {
    #[zbus(property)]
    fn id(&self) -> u32 {
        self.node_id
    }

    #[zbus(property)]
    fn lab_id(&self) -> String {
        self.lab_id.clone()
    }

    #[zbus(property)]
    fn name(&self) -> String {
        self.view().map(|v| v.name).unwrap_or_default()
    }

    #[zbus(property)]
    fn kind(&self) -> String {
        self.view().map(|v| v.kind).unwrap_or_default()
    }

    #[zbus(property)]
    fn state(&self) -> String {
        self.view()
            .map_or("stopped", |v| v.runtime.state.as_str())
            .to_string()
    }

    #[zbus(property)]
    fn unit(&self) -> String {
        self.view().map(|v| v.runtime.unit).unwrap_or_default()
    }

    #[zbus(property)]
    fn main_pid(&self) -> u32 {
        self.view().map_or(0, |v| v.runtime.pid)
    }

    #[zbus(property)]
    fn console(&self) -> String {
        self.view().map(|v| v.runtime.console).unwrap_or_default()
    }

    #[zbus(property)]
    fn interfaces(&self) -> Vec<NodeInterface> {
        self.view()
            .map(|v| {
                v.runtime
                    .interfaces
                    .iter()
                    .map(NodeInterface::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn start(&self, #[zbus(header)] hdr: Header<'_>) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.start_node(&self.lab_id, self.node_id).await)
    }

    async fn stop(&self, #[zbus(header)] hdr: Header<'_>) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.stop_node(&self.lab_id, self.node_id).await)
    }

    async fn wipe(&self, #[zbus(header)] hdr: Header<'_>) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_MANAGE).await?;
        map(self.engine.wipe_node(&self.lab_id, self.node_id).await)
    }

    #[zbus(out_args("pcap"))]
    async fn capture_interface(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        index: u32,
    ) -> Result<zbus::OwnedFd, LabError> {
        self.auth.check(&hdr, ACTION_VIEW).await?;
        map(self
            .engine
            .capture_interface(&self.lab_id, self.node_id, index)
            .await)
        .map(zbus::OwnedFd::from)
    }

    #[zbus(out_args("terminal"))]
    async fn open_console(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<zbus::OwnedFd, LabError> {
        self.auth.check(&hdr, ACTION_CONSOLE).await?;
        map(self.engine.open_console(&self.lab_id, self.node_id).await).map(zbus::OwnedFd::from)
    }

    async fn resize_console(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        rows: u16,
        cols: u16,
    ) -> Result<(), LabError> {
        self.auth.check(&hdr, ACTION_CONSOLE).await?;
        map(self
            .engine
            .resize_console(&self.lab_id, self.node_id, rows, cols)
            .await)
    }
}
