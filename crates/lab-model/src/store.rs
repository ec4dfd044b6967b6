//! The lab store: lab files in a tree of folders under one root,
//! `<root>/<folder...>/<name>.json`.
//!
//! Safety properties:
//! - Every path is built from [`FolderPath`] and [`LabName`], so `..`,
//!   absolute paths and hidden names never reach the file system.
//! - Every component below the root is opened with `O_NOFOLLOW` relative to
//!   its parent's descriptor, so a symlink planted inside the root cannot lead
//!   outside it (it is refused with [`StoreError::Symlink`]).
//! - Writes are atomic: a temp file in the lab's directory is written and
//!   fsynced, renamed over the lab, and the directory is fsynced. A crash leaves
//!   the old or the new lab, never a mix; [`LabStore::open`] removes temp files
//!   that crashed writers left behind.
//! - Changes to one lab are serialised by an exclusive `flock` on a
//!   `.<name>.json.lock` sentinel beside it, with a bounded wait.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rustix::fs::{AtFlags, Dir, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::json::LabParseError;
use crate::lab::Lab;
use crate::names::{FolderPath, LabName, LabPath, NameError};
use crate::upgrade::UpgradeReport;
use crate::validate::ValidationErrors;

/// Largest lab file the store reads, in bytes.
pub const MAX_LAB_BYTES: u64 = 64 * 1024 * 1024;
/// How long a lab operation waits for another writer's lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

const TMP_MARKER: &str = ".json.tmp-";
const LOCK_SUFFIX: &str = ".json.lock";

/// Why a store operation failed. Nothing was changed unless the variant says so.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The lab or folder does not exist.
    #[error("{what} {path} does not exist")]
    NotFound {
        /// "lab" or "folder".
        what: &'static str,
        /// Path relative to the labs root.
        path: String,
    },
    /// The lab or folder exists already.
    #[error("{what} {path} already exists; choose another name or delete it first")]
    AlreadyExists {
        /// "lab" or "folder".
        what: &'static str,
        /// Path relative to the labs root.
        path: String,
    },
    /// A lab or folder name was refused.
    #[error(transparent)]
    InvalidName(#[from] NameError),
    /// A symlink where a folder or lab was expected.
    #[error(
        "{path} is a symbolic link; the store does not follow links, so labs cannot leave the labs root"
    )]
    Symlink {
        /// Path relative to the labs root.
        path: String,
    },
    /// Something other than a folder where a folder was expected (or vice versa).
    #[error("{path} is not a {expected}")]
    WrongType {
        /// Path relative to the labs root.
        path: String,
        /// "folder" or "lab file".
        expected: &'static str,
    },
    /// The folder still has labs or folders in it.
    #[error(
        "folder {path} is not empty; delete its labs and folders first, or ask for a recursive delete"
    )]
    FolderNotEmpty {
        /// Path relative to the labs root.
        path: String,
    },
    /// Moving a folder into itself.
    #[error("cannot move folder {from} into itself ({to})")]
    IntoItself {
        /// Source folder.
        from: String,
        /// Destination folder.
        to: String,
    },
    /// Another writer held the lab's lock for too long.
    #[error("lab {path} is locked by another writer; gave up after {waited:?}, try again")]
    LockTimeout {
        /// The lab.
        path: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The lab file is larger than [`MAX_LAB_BYTES`].
    #[error("lab {path} is {size} bytes, more than the {MAX_LAB_BYTES}-byte limit")]
    TooLarge {
        /// The lab.
        path: String,
        /// Its size.
        size: u64,
    },
    /// The lab file is not a readable lab.
    #[error("lab {path}: {source}")]
    Parse {
        /// The lab.
        path: String,
        /// What is wrong, with line and column for JSON errors.
        #[source]
        source: LabParseError,
    },
    /// The lab to write fails validation; nothing was written.
    #[error("lab {path} not written: {errors}")]
    Invalid {
        /// The lab.
        path: String,
        /// Every problem found.
        errors: ValidationErrors,
    },
    /// The operating system refused an operation.
    #[error("{op} {}: {source}", .path.display())]
    Io {
        /// What we tried.
        op: &'static str,
        /// The full path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// One lab in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabEntry {
    /// Where it is.
    pub path: LabPath,
    /// Last modification time.
    pub modified: SystemTime,
    /// Size in bytes.
    pub size: u64,
}

/// Holds a lab's write lock until dropped.
#[derive(Debug)]
pub struct LabLock {
    path: LabPath,
    _file: File,
}

impl LabLock {
    /// The locked lab.
    pub fn path(&self) -> &LabPath {
        &self.path
    }
}

/// Labs in a directory tree. Cheap to clone; holds no open files.
#[derive(Debug, Clone)]
pub struct LabStore {
    root: PathBuf,
    lock_timeout: Duration,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn errno_io(e: Errno) -> std::io::Error {
    std::io::Error::from(e)
}

impl LabStore {
    /// Opens the store at `root` (which must be an existing directory) and
    /// removes temp files that crashed writers left behind.
    pub fn open(root: impl AsRef<Path>) -> Result<LabStore, StoreError> {
        let given = root.as_ref();
        let root = given.canonicalize().map_err(|source| StoreError::Io {
            op: "open labs root",
            path: given.to_owned(),
            source,
        })?;
        let store = LabStore {
            root,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        };
        let fd = store.root_fd()?;
        store.sweep_temp_files(&fd, &FolderPath::root(), 0);
        Ok(store)
    }

    /// Sets how long operations wait for a lab's lock.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// The labs root (canonical).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The full path of a lab file (for messages; open labs through the store).
    pub fn full_path(&self, path: &LabPath) -> PathBuf {
        self.folder_full_path(&path.folder)
            .join(path.name.file_name())
    }

    fn folder_full_path(&self, folder: &FolderPath) -> PathBuf {
        folder
            .components()
            .fold(self.root.clone(), |p, c| p.join(c))
    }

    fn io_err(&self, op: &'static str, rel: &str) -> impl FnOnce(Errno) -> StoreError + '_ {
        let path = if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        };
        move |e| StoreError::Io {
            op,
            path,
            source: errno_io(e),
        }
    }

    fn root_fd(&self) -> Result<OwnedFd, StoreError> {
        rustix::fs::open(
            &self.root,
            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(self.io_err("open labs root", ""))
    }

    /// Opens a folder one component at a time without following links.
    fn folder_fd(&self, folder: &FolderPath) -> Result<OwnedFd, StoreError> {
        let mut fd = self.root_fd()?;
        let mut walked = FolderPath::root();
        for comp in folder.components() {
            walked = walked.join(comp)?;
            fd = self.open_subdir(&fd, comp, &walked)?;
        }
        Ok(fd)
    }

    fn open_subdir(
        &self,
        parent: &OwnedFd,
        name: &str,
        rel: &FolderPath,
    ) -> Result<OwnedFd, StoreError> {
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        rustix::fs::openat(parent, name, flags, Mode::empty())
            .map_err(|e| self.classify(e, parent, name, rel, "folder"))
    }

    /// Turns an open error into NotFound / Symlink / WrongType / Io.
    fn classify(
        &self,
        e: Errno,
        parent: &OwnedFd,
        name: &str,
        rel: impl ToString,
        what: &'static str,
    ) -> StoreError {
        let rel = rel.to_string();
        match e {
            Errno::NOENT => StoreError::NotFound { what, path: rel },
            Errno::LOOP | Errno::NOTDIR => {
                match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                        StoreError::Symlink { path: rel }
                    }
                    _ => StoreError::WrongType {
                        path: rel,
                        expected: if what == "lab" { "lab file" } else { "folder" },
                    },
                }
            }
            other => StoreError::Io {
                op: "open",
                path: self.root.join(&rel),
                source: errno_io(other),
            },
        }
    }

    // ----- folders -----

    /// The folders directly inside `folder`, sorted. Hidden entries and links are skipped.
    pub fn list_folders(&self, folder: &FolderPath) -> Result<Vec<FolderPath>, StoreError> {
        let fd = self.folder_fd(folder)?;
        let mut out = Vec::new();
        for (name, ft) in self.entries(&fd, folder)? {
            if ft == FileType::Directory
                && let Ok(sub) = folder.join(&name)
            {
                out.push(sub);
            }
        }
        out.sort();
        Ok(out)
    }

    /// Creates one folder; its parent must exist.
    pub fn create_folder(&self, folder: &FolderPath) -> Result<(), StoreError> {
        let (parent, name) = split_folder(folder)?;
        let fd = self.folder_fd(&parent)?;
        match rustix::fs::mkdirat(&fd, name, Mode::from_raw_mode(0o750)) {
            Ok(()) => rustix::fs::fsync(&fd).map_err(self.io_err("fsync", &parent.to_string())),
            Err(Errno::EXIST) => Err(StoreError::AlreadyExists {
                what: "folder",
                path: folder.to_string(),
            }),
            Err(e) => Err(self.io_err("create folder", &folder.to_string())(e)),
        }
    }

    /// Renames or moves a folder with everything in it. The destination's
    /// parent must exist and the destination must not.
    pub fn rename_folder(&self, from: &FolderPath, to: &FolderPath) -> Result<(), StoreError> {
        if to.starts_with(from) {
            return Err(StoreError::IntoItself {
                from: from.to_string(),
                to: to.to_string(),
            });
        }
        let (from_parent, from_name) = split_folder(from)?;
        let (to_parent, to_name) = split_folder(to)?;
        let from_fd = self.folder_fd(&from_parent)?;
        // Refuse a link or a file in the source position before moving it.
        drop(self.open_subdir(&from_fd, from_name, from)?);
        let to_fd = self.folder_fd(&to_parent)?;
        self.rename_noreplace(
            &from_fd,
            from_name,
            &to_fd,
            to_name,
            "folder",
            &to.to_string(),
        )?;
        rustix::fs::fsync(&from_fd).map_err(self.io_err("fsync", &from_parent.to_string()))?;
        rustix::fs::fsync(&to_fd).map_err(self.io_err("fsync", &to_parent.to_string()))
    }

    /// Deletes a folder. A folder holding labs or folders is refused unless
    /// `recursive`; the store's own lock sentinels do not count.
    pub fn delete_folder(&self, folder: &FolderPath, recursive: bool) -> Result<(), StoreError> {
        let (parent, name) = split_folder(folder)?;
        let parent_fd = self.folder_fd(&parent)?;
        let fd = self.open_subdir(&parent_fd, name, folder)?;
        let entries = self.entries_all(&fd, folder)?;
        let only_sentinels = entries
            .iter()
            .all(|(n, ft)| *ft == FileType::RegularFile && is_store_file(n));
        if !only_sentinels && !recursive {
            return Err(StoreError::FolderNotEmpty {
                path: folder.to_string(),
            });
        }
        self.remove_contents(&fd, folder, 0)?;
        rustix::fs::unlinkat(&parent_fd, name, AtFlags::REMOVEDIR)
            .map_err(self.io_err("delete folder", &folder.to_string()))?;
        rustix::fs::fsync(&parent_fd).map_err(self.io_err("fsync", &parent.to_string()))
    }

    /// Removes everything inside a folder without following links.
    fn remove_contents(
        &self,
        fd: &OwnedFd,
        folder: &FolderPath,
        depth: usize,
    ) -> Result<(), StoreError> {
        for (name, ft) in self.entries_all(fd, folder)? {
            let rel = format!("{folder}/{name}");
            if ft == FileType::Directory && depth < 64 {
                let sub = rustix::fs::openat(
                    fd,
                    name.as_str(),
                    OFlags::DIRECTORY | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                )
                .map_err(self.io_err("open", &rel))?;
                // Sub-folder names may not be valid FolderPath components (made by hand); use the parent for messages.
                self.remove_contents(&sub, folder, depth + 1)?;
                rustix::fs::unlinkat(fd, name.as_str(), AtFlags::REMOVEDIR)
                    .map_err(self.io_err("delete folder", &rel))?;
            } else {
                rustix::fs::unlinkat(fd, name.as_str(), AtFlags::empty())
                    .map_err(self.io_err("delete", &rel))?;
            }
        }
        Ok(())
    }

    // ----- labs -----

    /// The labs directly inside `folder`, sorted by name.
    pub fn list(&self, folder: &FolderPath) -> Result<Vec<LabEntry>, StoreError> {
        let fd = self.folder_fd(folder)?;
        let mut out = Vec::new();
        for (name, ft) in self.entries(&fd, folder)? {
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            let Ok(lab_name) = LabName::new(stem) else {
                continue;
            };
            if ft != FileType::RegularFile {
                continue;
            }
            let Ok(st) = rustix::fs::statat(&fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) else {
                continue;
            };
            let modified = SystemTime::UNIX_EPOCH
                + Duration::new(st.st_mtime.max(0) as u64, st.st_mtime_nsec as u32);
            out.push(LabEntry {
                path: LabPath::new(folder.clone(), lab_name),
                modified,
                size: st.st_size as u64,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Every lab in `folder` and below, sorted by path (links and hidden
    /// entries are skipped). labd uses this to build its index at start-up.
    pub fn list_recursive(&self, folder: &FolderPath) -> Result<Vec<LabEntry>, StoreError> {
        let mut out = self.list(folder)?;
        for sub in self.list_folders(folder)? {
            out.extend(self.list_recursive(&sub)?);
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// True if the lab exists.
    pub fn exists(&self, path: &LabPath) -> Result<bool, StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        match rustix::fs::statat(
            &fd,
            path.name.file_name().as_str(),
            AtFlags::SYMLINK_NOFOLLOW,
        ) {
            Ok(_) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(self.io_err("stat", &path.to_string())(e)),
        }
    }

    /// Reads a lab; a schema-1 lab is upgraded in memory (it is written as
    /// schema 2 on the next write).
    pub fn read(&self, path: &LabPath) -> Result<Lab, StoreError> {
        self.read_upgrading(path).map(|(lab, _)| lab)
    }

    /// Reads a lab and reports whether it was upgraded from schema 1.
    pub fn read_upgrading(
        &self,
        path: &LabPath,
    ) -> Result<(Lab, Option<UpgradeReport>), StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        let text = self.read_text(&fd, path)?;
        Lab::from_json_upgrading(&text).map_err(|source| StoreError::Parse {
            path: path.to_string(),
            source,
        })
    }

    fn read_text(&self, dir: &OwnedFd, path: &LabPath) -> Result<String, StoreError> {
        let file_name = path.name.file_name();
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = rustix::fs::openat(dir, file_name.as_str(), flags, Mode::empty())
            .map_err(|e| self.classify(e, dir, &file_name, path, "lab"))?;
        let st = rustix::fs::fstat(&fd).map_err(self.io_err("stat", &path.to_string()))?;
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Err(StoreError::WrongType {
                path: path.to_string(),
                expected: "lab file",
            });
        }
        if st.st_size as u64 > MAX_LAB_BYTES {
            return Err(StoreError::TooLarge {
                path: path.to_string(),
                size: st.st_size as u64,
            });
        }
        let mut text = String::new();
        File::from(fd)
            .take(MAX_LAB_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|source| StoreError::Io {
                op: "read",
                path: self.full_path(path),
                source,
            })?;
        Ok(text)
    }

    /// Takes a lab's write lock (waiting at most the lock timeout). Hold it
    /// across a read-modify-write; [`LabStore::update`] does this for you.
    pub fn lock(&self, path: &LabPath) -> Result<LabLock, StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        self.lock_in(&fd, path)
    }

    fn lock_in(&self, dir: &OwnedFd, path: &LabPath) -> Result<LabLock, StoreError> {
        let name = format!(".{}{LOCK_SUFFIX}", path.name);
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(dir, name.as_str(), flags, Mode::from_raw_mode(0o600))
            .map_err(|e| self.classify(e, dir, &name, path, "lab"))?;
        let start = Instant::now();
        loop {
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {
                    return Ok(LabLock {
                        path: path.clone(),
                        _file: File::from(fd),
                    });
                }
                Err(Errno::WOULDBLOCK) | Err(Errno::INTR) => {}
                Err(e) => return Err(self.io_err("lock", &path.to_string())(e)),
            }
            let waited = start.elapsed();
            if waited >= self.lock_timeout {
                return Err(StoreError::LockTimeout {
                    path: path.to_string(),
                    waited,
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Writes a lab (creating or replacing it) atomically under its lock.
    /// An invalid lab is refused and nothing is written.
    pub fn write(&self, path: &LabPath, lab: &Lab) -> Result<(), StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        let _lock = self.lock_in(&fd, path)?;
        self.write_locked(&fd, path, lab, RenameFlags::empty())
    }

    /// Like [`LabStore::write`], but refuses to replace an existing lab.
    pub fn create(&self, path: &LabPath, lab: &Lab) -> Result<(), StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        let _lock = self.lock_in(&fd, path)?;
        self.write_locked(&fd, path, lab, RenameFlags::NOREPLACE)
    }

    /// Reads, changes and writes a lab under its lock. If `change` fails the
    /// file is untouched and its error is returned; a change that leaves the lab
    /// invalid is refused with [`StoreError::Invalid`].
    pub fn update<T, E>(
        &self,
        path: &LabPath,
        change: impl FnOnce(&mut Lab) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let fd = self.folder_fd(&path.folder)?;
        let _lock = self.lock_in(&fd, path)?;
        let text = self.read_text(&fd, path)?;
        let (mut lab, _) = Lab::from_json_upgrading(&text).map_err(|source| StoreError::Parse {
            path: path.to_string(),
            source,
        })?;
        let out = change(&mut lab)?;
        self.write_locked(&fd, path, &lab, RenameFlags::empty())?;
        Ok(out)
    }

    /// Validates, writes a temp file, fsyncs it, renames it into place and
    /// fsyncs the directory. The caller holds the lab's lock.
    fn write_locked(
        &self,
        dir: &OwnedFd,
        path: &LabPath,
        lab: &Lab,
        flags: RenameFlags,
    ) -> Result<(), StoreError> {
        lab.validate().map_err(|errors| StoreError::Invalid {
            path: path.to_string(),
            errors,
        })?;
        let text = lab.to_json();
        let tmp = format!(
            ".{}{TMP_MARKER}{}-{}",
            path.name,
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let result = self
            .write_tmp(dir, &tmp, text.as_bytes(), path)
            .and_then(|()| {
                let target = path.name.file_name();
                self.rename_noreplace_flags(
                    dir,
                    &tmp,
                    dir,
                    &target,
                    flags,
                    "lab",
                    &path.to_string(),
                )
            });
        if result.is_err() {
            // Best effort: the temp file may not exist if creating it failed.
            let _ = rustix::fs::unlinkat(dir, tmp.as_str(), AtFlags::empty());
            return result;
        }
        rustix::fs::fsync(dir).map_err(self.io_err("fsync", &path.folder.to_string()))
    }

    fn write_tmp(
        &self,
        dir: &OwnedFd,
        tmp: &str,
        bytes: &[u8],
        path: &LabPath,
    ) -> Result<(), StoreError> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(dir, tmp, flags, Mode::from_raw_mode(0o640))
            .map_err(self.io_err("create temp file for", &path.to_string()))?;
        let mut file = File::from(fd);
        let io = |source| StoreError::Io {
            op: "write",
            path: self.full_path(path),
            source,
        };
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)
    }

    /// Deletes a lab (and its lock sentinel).
    pub fn delete(&self, path: &LabPath) -> Result<(), StoreError> {
        let fd = self.folder_fd(&path.folder)?;
        let lock = self.lock_in(&fd, path)?;
        let file_name = path.name.file_name();
        self.check_is_lab(&fd, path)?;
        rustix::fs::unlinkat(&fd, file_name.as_str(), AtFlags::empty())
            .map_err(self.io_err("delete", &path.to_string()))?;
        let _ = rustix::fs::unlinkat(
            &fd,
            format!(".{}{LOCK_SUFFIX}", path.name).as_str(),
            AtFlags::empty(),
        );
        drop(lock);
        rustix::fs::fsync(&fd).map_err(self.io_err("fsync", &path.folder.to_string()))
    }

    /// Renames or moves a lab; the destination must not exist.
    pub fn rename(&self, from: &LabPath, to: &LabPath) -> Result<(), StoreError> {
        if from == to {
            return Err(StoreError::AlreadyExists {
                what: "lab",
                path: to.to_string(),
            });
        }
        let from_fd = self.folder_fd(&from.folder)?;
        let to_fd = self.folder_fd(&to.folder)?;
        // Lock in a fixed order so two opposite renames cannot deadlock.
        let (first, second) = if from < to {
            ((&from_fd, from), (&to_fd, to))
        } else {
            ((&to_fd, to), (&from_fd, from))
        };
        let _l1 = self.lock_in(first.0, first.1)?;
        let _l2 = self.lock_in(second.0, second.1)?;
        self.check_is_lab(&from_fd, from)?;
        self.rename_noreplace(
            &from_fd,
            &from.name.file_name(),
            &to_fd,
            &to.name.file_name(),
            "lab",
            &to.to_string(),
        )?;
        let _ = rustix::fs::unlinkat(
            &from_fd,
            format!(".{}{LOCK_SUFFIX}", from.name).as_str(),
            AtFlags::empty(),
        );
        rustix::fs::fsync(&from_fd).map_err(self.io_err("fsync", &from.folder.to_string()))?;
        rustix::fs::fsync(&to_fd).map_err(self.io_err("fsync", &to.folder.to_string()))
    }

    fn check_is_lab(&self, dir: &OwnedFd, path: &LabPath) -> Result<(), StoreError> {
        let name = path.name.file_name();
        match rustix::fs::statat(dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::RegularFile => Ok(()),
                FileType::Symlink => Err(StoreError::Symlink {
                    path: path.to_string(),
                }),
                _ => Err(StoreError::WrongType {
                    path: path.to_string(),
                    expected: "lab file",
                }),
            },
            Err(Errno::NOENT) => Err(StoreError::NotFound {
                what: "lab",
                path: path.to_string(),
            }),
            Err(e) => Err(self.io_err("stat", &path.to_string())(e)),
        }
    }

    fn rename_noreplace(
        &self,
        from_dir: &OwnedFd,
        from: &str,
        to_dir: &OwnedFd,
        to: &str,
        what: &'static str,
        rel: &str,
    ) -> Result<(), StoreError> {
        self.rename_noreplace_flags(
            from_dir,
            from,
            to_dir,
            to,
            RenameFlags::NOREPLACE,
            what,
            rel,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn rename_noreplace_flags(
        &self,
        from_dir: &OwnedFd,
        from: &str,
        to_dir: &OwnedFd,
        to: &str,
        flags: RenameFlags,
        what: &'static str,
        rel: &str,
    ) -> Result<(), StoreError> {
        match rustix::fs::renameat_with(from_dir, from, to_dir, to, flags) {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) | Err(Errno::NOTEMPTY) => Err(StoreError::AlreadyExists {
                what,
                path: rel.to_owned(),
            }),
            Err(e) => Err(self.io_err("rename", rel)(e)),
        }
    }

    // ----- directory scanning -----

    /// Visible entries (no dot names) with their types; links report as links.
    fn entries(
        &self,
        fd: &OwnedFd,
        folder: &FolderPath,
    ) -> Result<Vec<(String, FileType)>, StoreError> {
        Ok(self
            .entries_all(fd, folder)?
            .into_iter()
            .filter(|(n, _)| !n.starts_with('.'))
            .collect())
    }

    /// Every entry but `.` and `..`, with its type (from `lstat` when the
    /// directory entry does not say).
    fn entries_all(
        &self,
        fd: &OwnedFd,
        folder: &FolderPath,
    ) -> Result<Vec<(String, FileType)>, StoreError> {
        let dir = Dir::read_from(fd.as_fd()).map_err(self.io_err("list", &folder.to_string()))?;
        let mut out = Vec::new();
        for entry in dir {
            let entry = entry.map_err(self.io_err("list", &folder.to_string()))?;
            let bytes = entry.file_name().to_bytes();
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let Some(name) = OsStr::from_bytes(bytes).to_str().map(str::to_owned) else {
                continue;
            };
            let ft = match entry.file_type() {
                FileType::Unknown => {
                    rustix::fs::statat(fd, name.as_str(), AtFlags::SYMLINK_NOFOLLOW)
                        .map(|st| FileType::from_raw_mode(st.st_mode))
                        .unwrap_or(FileType::Unknown)
                }
                ft => ft,
            };
            out.push((name, ft));
        }
        Ok(out)
    }

    /// Removes `.<name>.json.tmp-<pid>-<n>` files whose writer process is gone.
    /// Best effort: an unreadable folder is skipped.
    fn sweep_temp_files(&self, fd: &OwnedFd, folder: &FolderPath, depth: usize) {
        let Ok(entries) = self.entries_all(fd, folder) else {
            return;
        };
        for (name, ft) in entries {
            match ft {
                FileType::RegularFile if temp_writer_gone(&name) => {
                    let _ = rustix::fs::unlinkat(fd, name.as_str(), AtFlags::empty());
                }
                FileType::Directory
                    if depth < crate::names::MAX_FOLDER_DEPTH && !name.starts_with('.') =>
                {
                    let (Ok(sub_path), Ok(sub)) = (
                        folder.join(&name),
                        rustix::fs::openat(
                            fd,
                            name.as_str(),
                            OFlags::DIRECTORY | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                            Mode::empty(),
                        ),
                    ) else {
                        continue;
                    };
                    self.sweep_temp_files(&sub, &sub_path, depth + 1);
                }
                _ => {}
            }
        }
    }
}

/// True for the store's own bookkeeping files (lock sentinels, temp files).
fn is_store_file(name: &str) -> bool {
    name.starts_with('.') && (name.ends_with(LOCK_SUFFIX) || name.contains(TMP_MARKER))
}

/// True for a store temp file whose writing process no longer exists.
fn temp_writer_gone(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix('.')
        .and_then(|n| n.rsplit_once(TMP_MARKER))
        .map(|(_, r)| r)
    else {
        return false;
    };
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
        return false;
    };
    pid != std::process::id() && !Path::new("/proc").join(pid.to_string()).exists()
}

/// A non-root folder's parent and last component.
fn split_folder(folder: &FolderPath) -> Result<(FolderPath, &str), StoreError> {
    match (folder.parent(), folder.name()) {
        (Some(parent), Some(name)) => Ok((parent, name)),
        _ => Err(StoreError::InvalidName(NameError::Empty {
            what: "folder name (the labs root itself cannot be changed)",
        })),
    }
}
