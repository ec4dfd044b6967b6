//! Labs and folders: create, import, export, delete, rename.

use nova_lab_model::{FolderPath, Lab, LabName, LabPath};
use serde_json::json;

use super::specs::MAX_JSON_BYTES;
use super::{LabEngine, LabHandle};
use crate::error::{EngineError, Result};
use crate::naming::LabKey;

fn lab_path(folder: &str, name: &str) -> Result<LabPath> {
    Ok(LabPath::new(FolderPath::new(folder)?, LabName::new(name)?))
}

/// Lab ids end up in object paths, unit names and logs: 1..=128 of `[A-Za-z0-9._-]`, not
/// starting with `.` or `-`.
fn check_lab_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && !id.starts_with(['.', '-'])
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(format!(
            "lab id {id:?}: 1..=128 of A-Z a-z 0-9 . _ -, not starting with . or -"
        )))
    }
}

fn new_lab_id() -> String {
    // A UUID v4 from the kernel's random source, without another dependency.
    let mut b = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut b);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

impl LabEngine {
    /// Creates an empty lab; returns its id.
    pub async fn create_lab(&self, folder: &str, name: &str) -> Result<String> {
        let path = lab_path(folder, name)?;
        let lab = Lab::new(new_lab_id(), name);
        self.add_lab(path, lab).await
    }

    /// Imports a lab JSON document (v2, or v1 upgraded); returns its id.
    pub async fn import_lab(&self, folder: &str, name: &str, json: &str) -> Result<String> {
        if json.len() > MAX_JSON_BYTES {
            return Err(EngineError::invalid(format!(
                "lab JSON larger than {MAX_JSON_BYTES} bytes"
            )));
        }
        let path = lab_path(folder, name)?;
        let (mut lab, _report) = Lab::from_json_upgrading(json)?;
        if lab.id.is_empty() {
            lab.id = new_lab_id();
        }
        check_lab_id(&lab.id)?;
        if lab.meta.name.is_empty() {
            lab.meta.name = name.to_string();
        }
        lab.validate()?;
        super::topology::check_imported(&lab, &self.templates)?;
        self.add_lab(path, lab).await
    }

    async fn add_lab(&self, path: LabPath, lab: Lab) -> Result<String> {
        let _reg = self.registry.lock().await;
        self.check_free(&path, &lab.id)?;
        self.files.create(&path, &lab)?;
        let id = lab.id.clone();
        let h = LabHandle::new(path, lab);
        self.labs
            .write()
            .expect("labs lock")
            .insert(id.clone(), h.clone());
        tracing::info!(LAB_ID = %id, "lab created");
        self.emit(&h, "lab_created", json!({ "lab": h.info_json() }));
        Ok(id)
    }

    fn check_free(&self, path: &LabPath, id: &str) -> Result<()> {
        let key = LabKey::of(id);
        for h in self.handles() {
            if h.id == id || h.key == key {
                return Err(EngineError::AlreadyExists(format!(
                    "a lab with id {id:?} exists"
                )));
            }
            if &h.path() == path {
                return Err(EngineError::AlreadyExists(format!("a lab {path} exists")));
            }
        }
        Ok(())
    }

    /// The lab JSON as stored.
    pub fn export_lab(&self, id: &str) -> Result<String> {
        Ok(self.handle(id)?.lab().to_json())
    }

    /// The lab JSON with each node's runtime view under `runtime_state`.
    pub fn get_json(&self, id: &str) -> Result<String> {
        let h = self.handle(id)?;
        let mut v: serde_json::Value = serde_json::from_str(&h.lab().to_json())
            .map_err(|e| EngineError::failed(format!("lab JSON: {e}")))?;
        if let Some(nodes) = v.get_mut("nodes").and_then(|n| n.as_object_mut()) {
            for (key, node) in nodes.iter_mut() {
                let Ok(node_id) = key.parse() else { continue };
                let view = self.node_view(id, node_id)?;
                node["runtime_state"] = view.to_json();
            }
        }
        Ok(v.to_string())
    }

    /// Stops the lab's nodes and removes its networks, then deletes the lab file.
    pub async fn delete_lab(&self, id: &str) -> Result<()> {
        let _reg = self.registry.lock().await;
        let h = self.handle(id)?;
        let failed = self.stop_all(id).await?;
        if let Some(f) = failed.first() {
            return Err(EngineError::failed(format!(
                "node {} did not stop: {}",
                f.0, f.1
            )));
        }
        self.gc_bridges(&h, true).await;
        let path = h.doc.lock().await;
        self.files.delete(&path)?;
        self.labs.write().expect("labs lock").remove(id);
        tracing::info!(LAB_ID = %id, "lab deleted");
        self.emit(&h, "lab_deleted", json!({ "lab_id": id }));
        Ok(())
    }

    /// Renames and/or moves a lab. Its id, objects and running nodes stay.
    pub async fn rename_lab(&self, id: &str, folder: &str, name: &str) -> Result<()> {
        let new_path = lab_path(folder, name)?;
        let _reg = self.registry.lock().await;
        let h = self.handle(id)?;
        let mut path = h.doc.lock().await;
        if *path == new_path {
            return Ok(());
        }
        if self.handles().iter().any(|o| o.path() == new_path) {
            return Err(EngineError::AlreadyExists(format!(
                "a lab {new_path} exists"
            )));
        }
        self.files.rename(&path, &new_path)?;
        *path = new_path.clone();
        h.set_snapshot(new_path, (*h.lab()).clone());
        self.emit(&h, "lab_renamed", json!({ "lab": h.info_json() }));
        Ok(())
    }

    /// Every folder.
    pub fn list_folders(&self) -> Result<Vec<String>> {
        Ok(self
            .files
            .folders()?
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// Creates a folder.
    pub fn create_folder(&self, folder: &str) -> Result<()> {
        let f = FolderPath::new(folder)?;
        if f.is_root() {
            return Err(EngineError::AlreadyExists("the top folder exists".into()));
        }
        self.files.create_folder(&f)
    }

    /// Renames a folder; labs in it keep their ids.
    pub async fn rename_folder(&self, folder: &str, new_folder: &str) -> Result<()> {
        let (from, to) = (FolderPath::new(folder)?, FolderPath::new(new_folder)?);
        if from.is_root() || to.is_root() {
            return Err(EngineError::invalid("the top folder cannot be renamed"));
        }
        let _reg = self.registry.lock().await;
        self.files.rename_folder(&from, &to)?;
        for h in self.handles() {
            let mut path = h.doc.lock().await;
            if path.folder.starts_with(&from) {
                let rest: Vec<&str> = path
                    .folder
                    .components()
                    .skip(from.components().count())
                    .collect();
                let mut folder = to.clone();
                for c in rest {
                    folder = folder.join(c)?;
                }
                *path = LabPath::new(folder, path.name.clone());
                h.set_snapshot(path.clone(), (*h.lab()).clone());
                self.emit(&h, "lab_renamed", json!({ "lab": h.info_json() }));
            }
        }
        Ok(())
    }

    /// Deletes an empty folder.
    pub fn delete_folder(&self, folder: &str) -> Result<()> {
        let f = FolderPath::new(folder)?;
        if f.is_root() {
            return Err(EngineError::invalid("the top folder cannot be deleted"));
        }
        self.files.delete_folder(&f)
    }
}

impl LabHandle {
    pub(crate) fn info_json(&self) -> serde_json::Value {
        let i = self.info();
        json!({ "id": i.id, "name": i.name, "folder": i.folder })
    }
}
