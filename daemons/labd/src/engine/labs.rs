//! Labs and folders: create, import, export, delete, rename.

use nova_api::{LabEvent, LabSnapshot};
use nova_lab_model::{FolderPath, Lab, LabName, LabPath};

use super::{LabEngine, LabHandle};
use crate::error::{EngineError, Result};
use crate::naming::LabKey;

fn lab_path(folder: &str, name: &str) -> Result<LabPath> {
    Ok(LabPath::new(FolderPath::new(folder)?, LabName::new(name)?))
}

fn check_lab_id(id: &str) -> Result<()> {
    match nova_lab_model::lab_id_problem(id) {
        Some(why) => Err(EngineError::invalid(why)),
        None => Ok(()),
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

    /// Imports a lab document (parsed by the caller with [`nova_api::parse_lab`]); returns its
    /// id.
    pub async fn import_lab(&self, folder: &str, name: &str, mut lab: Lab) -> Result<String> {
        let path = lab_path(folder, name)?;
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
        self.emit(&h, LabEvent::LabCreated { lab: h.info() });
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

    /// The lab as stored.
    pub fn export_lab(&self, id: &str) -> Result<std::sync::Arc<Lab>> {
        Ok(self.handle(id)?.lab())
    }

    /// The lab with every node's runtime view and the `seq` of the last event before it.
    pub fn snapshot(&self, id: &str) -> Result<LabSnapshot> {
        let h = self.handle(id)?;
        // seq first: an event published after this point may already be in the copy below,
        // and events apply idempotently (see LabSnapshot).
        let seq = h.current_seq();
        let lab = h.lab();
        let mut runtime = std::collections::BTreeMap::new();
        for node in lab.nodes.values() {
            runtime.insert(node.id, self.node_view(id, node.id)?.runtime);
        }
        Ok(LabSnapshot {
            lab_ref: h.info(),
            lab: (*lab).clone(),
            runtime,
            seq,
        })
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
        self.emit(
            &h,
            LabEvent::LabDeleted {
                lab_id: id.to_string(),
            },
        );
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
        self.emit(&h, LabEvent::LabRenamed { lab: h.info() });
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
                self.emit(&h, LabEvent::LabRenamed { lab: h.info() });
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
