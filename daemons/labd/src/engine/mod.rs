//! The lab engine: plain Rust, no D-Bus. It owns the in-memory view of every lab (topology from
//! the lab files, runtime from systemd and netd), applies changes atomically to the files, drives
//! the host through [`Host`], and reports every change as an [`Event`].
//!
//! Architecture Invariant: nothing here knows D-Bus names, object paths or polkit; the `dbus`
//! module only parses, authorizes, calls this and maps errors.
//!
//! Locking: labs map (std RwLock, never held across await) → per-lab `doc` (tokio Mutex,
//! serializes writes of one lab file) → per-node life lock (tokio RwLock: start/stop write,
//! hot-plug read) → per-(node, interface) lock (hot attach/detach). Runtime state lives in a std
//! Mutex touched only briefly.

mod capture;
mod console;
mod images;
mod labs;
mod reconcile;
mod runtime;
mod topology;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use nova_api::{LabEvent, LabRef};
use nova_lab_model::{Lab, LabPath, NetworkId, NodeId, TemplateSet};

use crate::error::{EngineError, Result};
use crate::events::{Event, EventSink};
use crate::files::LabFiles;
use crate::host::Host;
use crate::naming::LabKey;

pub use console::{CONSOLE_PTY, MAX_CONSOLE_DIMENSION};
pub use images::image_name_problem;
pub use nova_api::NodeState;
pub use reconcile::ReconcileReport;
pub use runtime::NodeView;

/// Configuration the engine needs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where node work dirs go (`<state>/run/<lab>/<node>`).
    pub run_dir: std::path::PathBuf,
    /// Base images dir (`<state>/images`).
    pub images_dir: std::path::PathBuf,
}

/// Summary of one lab.
pub type LabInfo = LabRef;

/// One node's runtime.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeRt {
    pub state: NodeState,
    pub unit: String,
    pub pid: u32,
    /// Wired interfaces: index → (host veth, network).
    pub plugged: BTreeMap<u32, (String, NetworkId)>,
    /// Why the node is degraded, if it is.
    pub problems: Vec<String>,
    /// MACs seen inside the running node, by interface index.
    pub live_macs: BTreeMap<u32, String>,
}

/// The lock of one node interface (hot attach/detach).
pub(crate) type IfaceLock = Arc<tokio::sync::Mutex<()>>;

/// One lab in memory.
pub(crate) struct LabHandle {
    pub id: String,
    pub key: LabKey,
    /// Serializes writes of the lab file; holds its path.
    pub doc: tokio::sync::Mutex<LabPath>,
    /// The last written lab, for readers.
    pub snapshot: RwLock<(LabPath, Arc<Lab>)>,
    pub rt: Mutex<BTreeMap<NodeId, NodeRt>>,
    pub node_locks: Mutex<HashMap<NodeId, Arc<tokio::sync::RwLock<()>>>>,
    pub iface_locks: Mutex<HashMap<(NodeId, u32), IfaceLock>>,
    /// Bridges known to exist.
    pub bridges: Mutex<BTreeSet<String>>,
    seq: AtomicU64,
}

impl std::fmt::Debug for LabHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabHandle")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl LabHandle {
    fn new(path: LabPath, lab: Lab) -> Arc<LabHandle> {
        // Sequence numbers start at the current time in µs, so they keep increasing across a
        // labd restart and a client's `last_seq` from before the restart is never reused.
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        Arc::new(LabHandle {
            id: lab.id.clone(),
            key: LabKey::of(&lab.id),
            doc: tokio::sync::Mutex::new(path.clone()),
            snapshot: RwLock::new((path, Arc::new(lab))),
            rt: Mutex::new(BTreeMap::new()),
            node_locks: Mutex::new(HashMap::new()),
            iface_locks: Mutex::new(HashMap::new()),
            bridges: Mutex::new(BTreeSet::new()),
            seq: AtomicU64::new(start),
        })
    }

    pub fn lab(&self) -> Arc<Lab> {
        self.snapshot.read().expect("snapshot lock").1.clone()
    }

    pub fn path(&self) -> LabPath {
        self.snapshot.read().expect("snapshot lock").0.clone()
    }

    fn set_snapshot(&self, path: LabPath, lab: Lab) {
        *self.snapshot.write().expect("snapshot lock") = (path, Arc::new(lab));
    }

    pub fn node_lock(&self, node: NodeId) -> Arc<tokio::sync::RwLock<()>> {
        self.node_locks
            .lock()
            .expect("node locks")
            .entry(node)
            .or_default()
            .clone()
    }

    pub fn iface_lock(&self, node: NodeId, index: u32) -> Arc<tokio::sync::Mutex<()>> {
        self.iface_locks
            .lock()
            .expect("iface locks")
            .entry((node, index))
            .or_default()
            .clone()
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The last sequence number handed out.
    pub(crate) fn current_seq(&self) -> u64 {
        self.seq.load(Ordering::SeqCst)
    }

    pub fn info(&self) -> LabInfo {
        let path = self.path();
        LabInfo {
            id: self.id.clone(),
            name: path.name.to_string(),
            folder: path.folder.to_string(),
        }
    }
}

/// The lab engine.
pub struct LabEngine {
    files: Arc<dyn LabFiles>,
    host: Arc<dyn Host>,
    events: EventSink,
    config: EngineConfig,
    templates: Arc<TemplateSet>,
    labs: RwLock<BTreeMap<String, Arc<LabHandle>>>,
    /// Serializes lab creation, import, rename and deletion (ids and paths stay unique).
    registry: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for LabEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabEngine")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl LabEngine {
    /// An engine with no labs loaded yet (call [`LabEngine::load`]).
    pub fn new(
        files: Arc<dyn LabFiles>,
        host: Arc<dyn Host>,
        templates: Arc<TemplateSet>,
        events: EventSink,
        config: EngineConfig,
    ) -> Self {
        LabEngine {
            files,
            host,
            events,
            config,
            templates,
            labs: RwLock::new(BTreeMap::new()),
            registry: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads every lab file; returns the files that could not be loaded, with the reason.
    pub fn load(&self) -> Result<Vec<(String, String)>> {
        let (stored, mut bad) = self.files.load_all()?;
        let mut labs = self.labs.write().expect("labs lock");
        let mut keys: HashMap<LabKey, String> = HashMap::new();
        for s in stored {
            let key = LabKey::of(&s.lab.id);
            if labs.contains_key(&s.lab.id) || keys.contains_key(&key) {
                bad.push((
                    s.path.to_string(),
                    format!("lab id {:?} is used by another lab", s.lab.id),
                ));
                continue;
            }
            keys.insert(key, s.lab.id.clone());
            labs.insert(s.lab.id.clone(), LabHandle::new(s.path, s.lab));
        }
        for (path, why) in &bad {
            tracing::warn!(LAB_PATH = %path, "lab not loaded: {why}");
        }
        Ok(bad)
    }

    pub(crate) fn handle(&self, id: &str) -> Result<Arc<LabHandle>> {
        self.labs
            .read()
            .expect("labs lock")
            .get(id)
            .cloned()
            .ok_or_else(|| EngineError::not_found(format!("no lab with id {id:?}")))
    }

    fn handles(&self) -> Vec<Arc<LabHandle>> {
        self.labs
            .read()
            .expect("labs lock")
            .values()
            .cloned()
            .collect()
    }

    /// Every lab, by folder then name.
    pub fn list_labs(&self) -> Vec<LabInfo> {
        let mut v: Vec<LabInfo> = self.handles().iter().map(|h| h.info()).collect();
        v.sort_by(|a, b| (&a.folder, &a.name).cmp(&(&b.folder, &b.name)));
        v
    }

    /// One lab's summary.
    pub fn lab_info(&self, id: &str) -> Result<LabInfo> {
        Ok(self.handle(id)?.info())
    }

    /// Node ids of a lab.
    pub fn node_ids(&self, id: &str) -> Result<Vec<NodeId>> {
        Ok(self
            .handle(id)?
            .lab()
            .nodes
            .values()
            .map(|n| n.id)
            .collect())
    }

    /// Templates of a kind ("" = all).
    pub fn list_templates(&self, kind: &str) -> Result<Vec<nova_api::TemplateInfo>> {
        crate::templates::list(&self.templates, kind)
    }

    /// Image names for a template: entries of `<images>/<kind>/` matching the template.
    pub fn list_images(&self, kind: &str, template: &str) -> Result<Vec<String>> {
        let k: nova_lab_model::NodeKind =
            serde_json::from_value(serde_json::Value::String(kind.to_string()))
                .map_err(EngineError::invalid)?;
        let tpl = crate::templates::resolve(&self.templates, template, Some(&k))?;
        let dir = self.config.images_dir.join(k.to_string());
        let Ok(rd) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut v: Vec<String> = rd
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && tpl.matches_image(n))
            .collect();
        v.sort();
        Ok(v)
    }

    /// The templates in use (trusted).
    pub fn templates(&self) -> &TemplateSet {
        &self.templates
    }

    /// Sends one event of a lab.
    pub(crate) fn emit(&self, h: &LabHandle, event: LabEvent) {
        let ev = Event {
            lab_id: h.id.clone(),
            seq: h.next_seq(),
            event,
        };
        self.events.send(ev);
    }

    /// Applies `f` to a copy of the lab, validates, writes the file atomically, then publishes
    /// the new snapshot. On any error nothing changed.
    pub(crate) async fn edit<R>(
        &self,
        h: &LabHandle,
        f: impl FnOnce(&mut Lab) -> Result<R>,
    ) -> Result<R> {
        let path = h.doc.lock().await;
        let mut lab = (*h.lab()).clone();
        let r = f(&mut lab)?;
        lab.validate()?;
        self.files.save(&path, &lab)?;
        h.set_snapshot(path.clone(), lab);
        Ok(r)
    }
}
