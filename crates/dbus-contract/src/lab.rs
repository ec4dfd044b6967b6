//! `org.novave.Lab1`: the lab engine nova-ve-labd (see `dbus-interfaces/org.novave.Lab1.*.xml`
//! and `docs/events.md`).
//!
//! Objects: [`MANAGER_PATH`] serves `org.novave.Lab1.Manager` and the ObjectManager; each lab is
//! at [`lab_path`] (`org.novave.Lab1.Lab`) and each node at [`node_path`] (`org.novave.Lab1.Node`).

use serde::{Deserialize, Serialize};
use zbus::{OwnedObjectPath, Type, proxy};

/// Well-known bus name of nova-ve-labd.
pub const BUS_NAME: &str = "org.novave.Lab1";
/// Root object: Manager interface and ObjectManager.
pub const MANAGER_PATH: &str = "/org/novave/Lab1";
/// Manager interface name.
pub const MANAGER_INTERFACE: &str = "org.novave.Lab1.Manager";
/// Lab interface name.
pub const LAB_INTERFACE: &str = "org.novave.Lab1.Lab";
/// Node interface name.
pub const NODE_INTERFACE: &str = "org.novave.Lab1.Node";
/// polkit action for reads.
pub const ACTION_VIEW: &str = "org.novave.lab.view";
/// polkit action for changes.
pub const ACTION_MANAGE: &str = "org.novave.lab.manage";
/// polkit action: open a running node's console (a shell as root inside the node).
pub const ACTION_CONSOLE: &str = "org.novave.lab.console";
/// Version of the event JSON schema (the `"v"` member of every event).
pub use nova_api::EVENT_SCHEMA_VERSION;

/// Errors of `org.novave.Lab1` (`org.novave.Lab1.Error.*`).
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.novave.Lab1.Error")]
pub enum LabError {
    /// A transport-level zbus error.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// polkit refused the caller; nothing changed.
    AccessDenied(String),
    /// An argument is not acceptable (name, JSON, id, range); nothing changed.
    InvalidArgs(String),
    /// No such lab, folder, node, network or link.
    NotFound(String),
    /// A lab, folder, node or link with that name or id exists already.
    AlreadyExists(String),
    /// The request conflicts with the current state (e.g. node running, folder not empty).
    Conflict(String),
    /// Not supported in this version (e.g. starting a qemu node).
    NotSupported(String),
    /// Something below labd (netd, systemd, the file system) failed; the message says why.
    Failed(String),
}

/// Result of a call on labd: its named error, typed.
pub type LabResult<T> = Result<T, LabError>;

impl LabError {
    /// The full D-Bus error name (`org.novave.Lab1.Error.NotFound`, or for a transport error the
    /// bus's own name such as `org.freedesktop.DBus.Error.AccessDenied`, else its text).
    pub fn error_name(&self) -> String {
        match self {
            LabError::ZBus(e) => crate::errors::error_name(e).unwrap_or_else(|| e.to_string()),
            other => zbus::DBusError::name(other).to_string(),
        }
    }

    /// The message without the name.
    pub fn message(&self) -> String {
        match self {
            LabError::ZBus(e) => e.to_string(),
            LabError::AccessDenied(m)
            | LabError::InvalidArgs(m)
            | LabError::NotFound(m)
            | LabError::AlreadyExists(m)
            | LabError::Conflict(m)
            | LabError::NotSupported(m)
            | LabError::Failed(m) => m.clone(),
        }
    }
}

/// Full D-Bus error names, for clients that match on them.
pub mod error_names {
    /// `org.novave.Lab1.Error.AccessDenied`
    pub const ACCESS_DENIED: &str = "org.novave.Lab1.Error.AccessDenied";
    /// `org.novave.Lab1.Error.InvalidArgs`
    pub const INVALID_ARGS: &str = "org.novave.Lab1.Error.InvalidArgs";
    /// `org.novave.Lab1.Error.NotFound`
    pub const NOT_FOUND: &str = "org.novave.Lab1.Error.NotFound";
    /// `org.novave.Lab1.Error.AlreadyExists`
    pub const ALREADY_EXISTS: &str = "org.novave.Lab1.Error.AlreadyExists";
    /// `org.novave.Lab1.Error.Conflict`
    pub const CONFLICT: &str = "org.novave.Lab1.Error.Conflict";
    /// `org.novave.Lab1.Error.NotSupported`
    pub const NOT_SUPPORTED: &str = "org.novave.Lab1.Error.NotSupported";
    /// `org.novave.Lab1.Error.Failed`
    pub const FAILED: &str = "org.novave.Lab1.Error.Failed";
}

/// Escapes a lab id into one object-path element: `[A-Za-z0-9]` kept, every other byte `_xx`
/// (lower-case hex), as systemd does. Empty → `_`.
pub fn escape_path_element(s: &str) -> String {
    if s.is_empty() {
        return "_".to_string();
    }
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("_{b:02x}"));
        }
    }
    out
}

/// Object path of a lab.
pub fn lab_path(lab_id: &str) -> String {
    format!("{MANAGER_PATH}/lab/{}", escape_path_element(lab_id))
}

/// Object path of a node.
pub fn node_path(lab_id: &str, node_id: u32) -> String {
    format!("{}/node/{node_id}", lab_path(lab_id))
}

/// One lab as listed by `ListLabs` (`(ssso)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct LabSummary {
    /// Lab id (the lab JSON `id`).
    pub id: String,
    /// Lab name (file stem).
    pub name: String,
    /// Folder relative to the labs dir ("" = top).
    pub folder: String,
    /// Object path of the lab.
    pub path: OwnedObjectPath,
}

/// One interface of a node as in the `Interfaces` property (`(usssus)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct NodeInterface {
    /// Interface index.
    pub index: u32,
    /// Name inside the node (eth0, …).
    pub name: String,
    /// MAC planned in the lab file ("" when none).
    pub planned_mac: String,
    /// MAC seen on the running interface ("" when not running).
    pub live_mac: String,
    /// Network the interface is linked to (0 = none).
    pub network_id: u32,
    /// Host-side interface (veth end) while running, else "".
    pub host_ifname: String,
}

impl From<&nova_api::InterfaceStatus> for NodeInterface {
    fn from(i: &nova_api::InterfaceStatus) -> Self {
        NodeInterface {
            index: i.index,
            name: i.name.clone(),
            planned_mac: i.planned_mac.clone(),
            live_mac: i.live_mac.clone(),
            network_id: i.network_id,
            host_ifname: i.host_ifname.clone(),
        }
    }
}

/// A node that failed in StartAll/StopAll (`(us)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct NodeFailure {
    /// Node id.
    pub node_id: u32,
    /// Why.
    pub reason: String,
}

/// Client proxy for `org.novave.Lab1.Manager`.
#[proxy(
    interface = "org.novave.Lab1.Manager",
    default_service = "org.novave.Lab1",
    default_path = "/org/novave/Lab1"
)]
pub trait Manager {
    /// Every lab.
    fn list_labs(&self) -> LabResult<Vec<LabSummary>>;
    /// Creates an empty lab; returns (id, object path).
    fn create_lab(&self, folder: &str, name: &str) -> LabResult<(String, OwnedObjectPath)>;
    /// Stores `size` bytes read from `data` as image `name` of `kind` (checked against
    /// `sha256` unless empty); returns the SHA-256.
    fn import_image(
        &self,
        kind: &str,
        name: &str,
        size: u64,
        sha256: &str,
        data: zbus::OwnedFd,
    ) -> LabResult<String>;
    /// Imports a lab JSON document; returns (id, object path).
    fn import_lab(
        &self,
        folder: &str,
        name: &str,
        json: &str,
    ) -> LabResult<(String, OwnedObjectPath)>;
    /// The lab JSON document.
    fn export_lab(&self, id: &str) -> LabResult<String>;
    /// Stops the lab's nodes, then deletes it.
    fn delete_lab(&self, id: &str) -> LabResult<()>;
    /// Renames and/or moves a lab.
    fn rename_lab(&self, id: &str, folder: &str, name: &str) -> LabResult<()>;
    /// Every folder.
    fn list_folders(&self) -> LabResult<Vec<String>>;
    /// Creates a folder.
    fn create_folder(&self, folder: &str) -> LabResult<()>;
    /// Renames a folder.
    fn rename_folder(&self, folder: &str, new_folder: &str) -> LabResult<()>;
    /// Deletes an empty folder.
    fn delete_folder(&self, folder: &str) -> LabResult<()>;
    /// Templates as a JSON array ("" = every kind).
    fn list_templates(&self, kind: &str) -> LabResult<String>;
    /// Images for a template.
    fn list_images(&self, kind: &str, template: &str) -> LabResult<Vec<String>>;
    /// Daemon version.
    #[zbus(property)]
    fn version(&self) -> zbus::Result<String>;
    /// Every topology and runtime change (docs/events.md).
    #[zbus(signal)]
    fn event(&self, lab_id: &str, seq: u64, r#type: &str, json: &str) -> zbus::Result<()>;
}

/// Client proxy for `org.novave.Lab1.Lab` (build with `.path(lab_path(id))`).
#[proxy(interface = "org.novave.Lab1.Lab", default_service = "org.novave.Lab1")]
pub trait Lab {
    /// The lab JSON with node runtime state.
    fn get_json(&self) -> LabResult<String>;
    /// The lab, every node's runtime and the event seq (JSON of `nova_api::LabSnapshot`).
    fn get_snapshot(&self) -> LabResult<String>;
    /// Adds a node from a JSON spec; returns (node id, object path).
    fn add_node(&self, spec: &str) -> LabResult<(u32, OwnedObjectPath)>;
    /// Updates a node from a JSON patch.
    fn update_node(&self, node_id: u32, patch: &str) -> LabResult<()>;
    /// Deletes a node (stops it, deletes its links).
    fn delete_node(&self, node_id: u32) -> LabResult<()>;
    /// Adds a network from a JSON spec.
    fn add_network(&self, spec: &str) -> LabResult<u32>;
    /// Updates a network from a JSON patch.
    fn update_network(&self, network_id: u32, patch: &str) -> LabResult<()>;
    /// Deletes a network and its links.
    fn delete_network(&self, network_id: u32) -> LabResult<()>;
    /// Adds a link from a JSON spec; returns the link id.
    fn add_link(&self, spec: &str) -> LabResult<String>;
    /// Deletes a link.
    fn delete_link(&self, link_id: &str) -> LabResult<()>;
    /// Sets link impairments (live).
    fn set_link_metrics(
        &self,
        link_id: &str,
        delay_ms: u32,
        jitter_ms: u32,
        loss_pct: f64,
        bandwidth_kbps: u32,
    ) -> LabResult<()>;
    /// Updates positions (JSON).
    fn update_layout(&self, layout: &str) -> LabResult<()>;
    /// A live pcap stream of a link (on its node end); runs until closed.
    fn capture_link(&self, link: &str) -> LabResult<zbus::OwnedFd>;
    /// Starts every node; returns the failures.
    fn start_all(&self) -> LabResult<Vec<NodeFailure>>;
    /// Stops every node; returns the failures.
    fn stop_all(&self) -> LabResult<Vec<NodeFailure>>;
    /// Lab id.
    #[zbus(property)]
    fn id(&self) -> zbus::Result<String>;
    /// Lab name.
    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;
    /// Lab folder.
    #[zbus(property)]
    fn folder(&self) -> zbus::Result<String>;
}

/// Client proxy for `org.novave.Lab1.Node` (build with `.path(node_path(lab, node))`).
#[proxy(
    interface = "org.novave.Lab1.Node",
    default_service = "org.novave.Lab1"
)]
pub trait Node {
    /// Starts the node.
    fn start(&self) -> LabResult<()>;
    /// Stops the node.
    fn stop(&self) -> LabResult<()>;
    /// Deletes the node's runtime files.
    fn wipe(&self) -> LabResult<()>;
    /// A live pcap stream of interface `index` (running and linked); runs until closed.
    fn capture_interface(&self, index: u32) -> LabResult<zbus::OwnedFd>;
    /// A new viewer of the running node's console: the raw terminal (recent output first).
    fn open_console(&self) -> LabResult<zbus::OwnedFd>;
    /// Sets the console's window size.
    fn resize_console(&self, rows: u16, cols: u16) -> LabResult<()>;
    /// Node id.
    #[zbus(property)]
    fn id(&self) -> zbus::Result<u32>;
    /// Lab id.
    #[zbus(property)]
    fn lab_id(&self) -> zbus::Result<String>;
    /// Node name.
    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;
    /// Node kind.
    #[zbus(property)]
    fn kind(&self) -> zbus::Result<String>;
    /// stopped | starting | running | stopping | degraded | failed.
    #[zbus(property)]
    fn state(&self) -> zbus::Result<String>;
    /// systemd unit while running.
    #[zbus(property)]
    fn unit(&self) -> zbus::Result<String>;
    /// Main PID while running (0 otherwise).
    #[zbus(property)]
    fn main_pid(&self) -> zbus::Result<u32>;
    /// Console endpoint.
    #[zbus(property)]
    fn console(&self) -> zbus::Result<String>;
    /// Interfaces with planned and live MAC.
    #[zbus(property)]
    fn interfaces(&self) -> zbus::Result<Vec<NodeInterface>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_systemd() {
        assert_eq!(escape_path_element("abc-1"), "abc_2d1");
        assert_eq!(escape_path_element(""), "_");
        assert_eq!(lab_path("a.b"), "/org/novave/Lab1/lab/a_2eb");
        assert_eq!(node_path("x", 3), "/org/novave/Lab1/lab/x/node/3");
    }
}
