//! [`LabFiles`] over the lab model's [`LabStore`] (atomic writes under a per-lab lock, names
//! and paths confined to the labs dir).

use nova_lab_model::{FolderPath, Lab, LabPath, LabStore, StoreError};

use crate::error::{EngineError, Result};
use crate::files::{LabFiles, Loaded, StoredLab};

/// The real lab files.
#[derive(Debug, Clone)]
pub struct StoreFiles(pub LabStore);

fn map(e: StoreError) -> EngineError {
    match e {
        StoreError::NotFound { .. } => EngineError::NotFound(e.to_string()),
        StoreError::AlreadyExists { .. } => EngineError::AlreadyExists(e.to_string()),
        StoreError::FolderNotEmpty { .. } | StoreError::LockTimeout { .. } => {
            EngineError::Conflict(e.to_string())
        }
        StoreError::InvalidName(_)
        | StoreError::Symlink { .. }
        | StoreError::IntoItself { .. }
        | StoreError::TooLarge { .. }
        | StoreError::Parse { .. }
        | StoreError::Invalid { .. } => EngineError::InvalidArgs(e.to_string()),
        _ => EngineError::Failed(e.to_string()),
    }
}

impl StoreFiles {
    fn walk(&self, folder: &FolderPath, out: &mut Vec<FolderPath>, depth: usize) -> Result<()> {
        if depth > nova_lab_model::MAX_FOLDER_DEPTH {
            return Ok(());
        }
        for sub in self.0.list_folders(folder).map_err(map)? {
            out.push(sub.clone());
            self.walk(&sub, out, depth + 1)?;
        }
        Ok(())
    }
}

impl LabFiles for StoreFiles {
    fn load_all(&self) -> Result<Loaded> {
        let mut folders = vec![FolderPath::root()];
        self.walk(&FolderPath::root(), &mut folders, 0)?;
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        for f in folders {
            for entry in self.0.list(&f).map_err(map)? {
                match self.0.read_upgrading(&entry.path) {
                    Ok((lab, _)) => good.push(StoredLab {
                        path: entry.path,
                        lab,
                    }),
                    Err(e) => bad.push((entry.path.to_string(), e.to_string())),
                }
            }
        }
        Ok((good, bad))
    }
    fn save(&self, path: &LabPath, lab: &Lab) -> Result<()> {
        self.0.write(path, lab).map_err(map)
    }
    fn create(&self, path: &LabPath, lab: &Lab) -> Result<()> {
        self.0.create(path, lab).map_err(map)
    }
    fn delete(&self, path: &LabPath) -> Result<()> {
        self.0.delete(path).map_err(map)
    }
    fn rename(&self, from: &LabPath, to: &LabPath) -> Result<()> {
        self.0.rename(from, to).map_err(map)
    }
    fn folders(&self) -> Result<Vec<FolderPath>> {
        let mut out = Vec::new();
        self.walk(&FolderPath::root(), &mut out, 0)?;
        Ok(out)
    }
    fn create_folder(&self, folder: &FolderPath) -> Result<()> {
        self.0.create_folder(folder).map_err(map)
    }
    fn rename_folder(&self, from: &FolderPath, to: &FolderPath) -> Result<()> {
        self.0.rename_folder(from, to).map_err(map)
    }
    fn delete_folder(&self, folder: &FolderPath) -> Result<()> {
        self.0.delete_folder(folder, false).map_err(map)
    }
}
