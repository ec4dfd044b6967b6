//! Where labs are stored: the lab model's `LabStore` behind a small trait, so the engine does not
//! care how folders and atomic writes are done (that is the model crate's job).

use nova_lab_model::{FolderPath, Lab, LabPath};

use crate::error::Result;

/// A lab found on disk.
#[derive(Debug, Clone)]
pub struct StoredLab {
    /// Where it is.
    pub path: LabPath,
    /// What it holds.
    pub lab: Lab,
}

/// Labs that loaded, and (path, reason) of those that did not.
pub type Loaded = (Vec<StoredLab>, Vec<(String, String)>);

/// The lab files. Writes are atomic and serialized per lab by the implementation.
pub trait LabFiles: Send + Sync {
    /// Every lab that parses; the ones that do not are returned as (path, reason).
    fn load_all(&self) -> Result<Loaded>;
    /// Writes a lab (replacing the file atomically).
    fn save(&self, path: &LabPath, lab: &Lab) -> Result<()>;
    /// Writes a new lab; AlreadyExists when the file exists.
    fn create(&self, path: &LabPath, lab: &Lab) -> Result<()>;
    /// Deletes a lab file.
    fn delete(&self, path: &LabPath) -> Result<()>;
    /// Moves a lab file; AlreadyExists when the target exists.
    fn rename(&self, from: &LabPath, to: &LabPath) -> Result<()>;
    /// Every folder (root excluded).
    fn folders(&self) -> Result<Vec<FolderPath>>;
    /// Creates a folder (and its parents).
    fn create_folder(&self, folder: &FolderPath) -> Result<()>;
    /// Renames a folder.
    fn rename_folder(&self, from: &FolderPath, to: &FolderPath) -> Result<()>;
    /// Deletes an empty folder (Conflict when not empty).
    fn delete_folder(&self, folder: &FolderPath) -> Result<()>;
}
