//! Small filesystem helpers: directory creation below a destination root without
//! following symlinks, atomic small-file writes, ownership for the service user.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Owner the importer gives to what it writes (the `nova-ve` service user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// numeric user id
    pub uid: u32,
    /// numeric group id
    pub gid: u32,
}

/// Failure of a filesystem helper, with the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// An I/O call failed.
    #[error("{path}: {source}")]
    Io {
        /// the path concerned
        path: PathBuf,
        /// the underlying error
        #[source]
        source: io::Error,
    },
    /// Something other than a real directory sits where a directory is needed.
    #[error("{0}: exists and is a symlink or not a directory; refusing to write through it")]
    NotADirectory(PathBuf),
    /// Something other than a regular file sits where a file is expected.
    #[error("{0}: exists and is not a regular file")]
    NotAFile(PathBuf),
    /// A symlink sits where the importer would write a file.
    #[error("{0}: is a symlink; refusing to write through it")]
    Symlink(PathBuf),
}

/// Attaches the path to an I/O error.
pub fn io_at(path: &Path) -> impl FnOnce(io::Error) -> FsError + '_ {
    move |source| FsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Opens a file for reading without following a symlink in its last component.
pub fn open_nofollow(path: &Path) -> Result<File, FsError> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
        .map_err(io_at(path))
}

/// A destination directory held open by descriptor. Every file operation below it
/// is relative to that descriptor with `O_NOFOLLOW`, so swapping a path component
/// for a symlink while the importer runs (the directories belong to the service
/// user) cannot redirect a write made as root.
#[derive(Debug)]
pub struct DestDir {
    fd: std::os::fd::OwnedFd,
    path: PathBuf,
}

fn errno_at(path: &Path) -> impl FnOnce(nix::errno::Errno) -> FsError + '_ {
    move |e| FsError::Io {
        path: path.to_owned(),
        source: e.into(),
    }
}

impl DestDir {
    /// Creates `root` if needed (the operator's directory; it may be a symlink) and
    /// opens each of `components` below it one at a time without following links,
    /// creating missing ones (mode 0755, given to `owner` through their descriptor).
    pub fn open(
        root: &Path,
        components: &[String],
        owner: Option<Owner>,
    ) -> Result<DestDir, FsError> {
        use nix::fcntl::{OFlag, openat};
        use nix::sys::stat::{Mode, mkdirat};
        fs::create_dir_all(root).map_err(io_at(root))?;
        let dir_flags = OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
        let mut fd: std::os::fd::OwnedFd = File::open(root).map_err(io_at(root))?.into();
        let mut path = root.to_path_buf();
        for comp in components {
            path.push(comp);
            let created = match mkdirat(&fd, comp.as_str(), Mode::from_bits_truncate(0o755)) {
                Ok(()) => true,
                Err(nix::errno::Errno::EEXIST) => false,
                Err(e) => return Err(errno_at(&path)(e)),
            };
            fd = match openat(
                &fd,
                comp.as_str(),
                dir_flags | OFlag::O_NOFOLLOW,
                Mode::empty(),
            ) {
                Ok(f) => f,
                Err(nix::errno::Errno::ELOOP | nix::errno::Errno::ENOTDIR) => {
                    return Err(FsError::NotADirectory(path));
                }
                Err(e) => return Err(errno_at(&path)(e)),
            };
            if created {
                nix::sys::stat::fchmod(&fd, Mode::from_bits_truncate(0o755))
                    .map_err(errno_at(&path))?;
                if let Some(o) = owner {
                    nix::unistd::fchown(&fd, Some(o.uid.into()), Some(o.gid.into()))
                        .map_err(errno_at(&path))?;
                }
            }
        }
        Ok(DestDir { fd, path })
    }

    /// The directory's path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of an entry (for messages).
    pub fn entry_path(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn open_file(
        &self,
        name: &str,
        flags: nix::fcntl::OFlag,
        mode: u32,
    ) -> Result<Option<File>, FsError> {
        use nix::fcntl::{OFlag, openat};
        let all = flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        match openat(
            &self.fd,
            name,
            all,
            nix::sys::stat::Mode::from_bits_truncate(mode),
        ) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(nix::errno::Errno::ENOENT) => Ok(None),
            Err(nix::errno::Errno::ELOOP) => Err(FsError::Symlink(self.entry_path(name))),
            Err(e) => Err(errno_at(&self.entry_path(name))(e)),
        }
    }

    /// Opens an existing entry for reading; `None` when absent; a symlink is refused.
    pub fn open_read(&self, name: &str) -> Result<Option<File>, FsError> {
        self.open_file(name, nix::fcntl::OFlag::O_RDONLY, 0)
    }

    /// Opens (creating with `mode`) an entry for reading and writing; a symlink is refused.
    pub fn open_rw(&self, name: &str, mode: u32) -> Result<File, FsError> {
        use nix::fcntl::OFlag;
        self.open_file(name, OFlag::O_RDWR | OFlag::O_CREAT, mode)?
            .ok_or_else(|| errno_at(&self.entry_path(name))(nix::errno::Errno::ENOENT))
    }

    /// Creates a new entry (fails if it exists).
    fn create_new(&self, name: &str, mode: u32) -> Result<File, FsError> {
        use nix::fcntl::OFlag;
        self.open_file(name, OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL, mode)?
            .ok_or_else(|| errno_at(&self.entry_path(name))(nix::errno::Errno::ENOENT))
    }

    /// Whether an entry exists (symlinks count, nothing is followed).
    pub fn exists(&self, name: &str) -> bool {
        nix::sys::stat::fstatat(&self.fd, name, nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW).is_ok()
    }

    /// Renames an entry within this directory (replacing `to`).
    pub fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        nix::fcntl::renameat(&self.fd, from, &self.fd, to).map_err(errno_at(&self.entry_path(to)))
    }

    /// Removes an entry (a file or a link, never what a link points at).
    pub fn remove(&self, name: &str) -> Result<(), FsError> {
        nix::unistd::unlinkat(&self.fd, name, nix::unistd::UnlinkatFlags::NoRemoveDir)
            .map_err(errno_at(&self.entry_path(name)))
    }

    /// fsyncs the directory (makes renames durable).
    pub fn sync(&self) -> Result<(), FsError> {
        nix::unistd::fsync(&self.fd).map_err(errno_at(&self.path))
    }

    /// Writes `bytes` as entry `name` atomically (temp file, fsync, rename, fsync of
    /// the directory), with `mode` and `owner` set on the descriptor.
    pub fn write_atomic(
        &self,
        name: &str,
        bytes: &[u8],
        owner: Option<Owner>,
        mode: u32,
    ) -> Result<(), FsError> {
        let tmp = format!(".{name}.tmp-{}", std::process::id());
        let result = (|| {
            let mut f = self.create_new(&tmp, 0o600)?;
            f.write_all(bytes).map_err(io_at(&self.entry_path(&tmp)))?;
            set_owner_mode(&f, &self.entry_path(&tmp), owner, mode)?;
            f.sync_all().map_err(io_at(&self.entry_path(&tmp)))?;
            if let Some(existing) = self.open_read(name)? {
                // Only plain files are replaced (open_read refused a symlink already).
                if !existing
                    .metadata()
                    .map_err(io_at(&self.entry_path(name)))?
                    .is_file()
                {
                    return Err(FsError::NotAFile(self.entry_path(name)));
                }
            }
            self.rename(&tmp, name)?;
            self.sync()
        })();
        if result.is_err() {
            let _ = self.remove(&tmp);
        }
        result
    }
}

/// Fails when `path` exists as a symlink (so the importer never writes through one).
pub fn refuse_symlink(path: &Path) -> Result<(), FsError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(FsError::Symlink(path.to_owned())),
        _ => Ok(()),
    }
}

/// Sets mode and (optionally) owner on an open file: fchmod/fchown on the descriptor,
/// so no path lookup (and no symlink) is involved.
pub fn set_owner_mode(
    file: &File,
    path: &Path,
    owner: Option<Owner>,
    mode: u32,
) -> Result<(), FsError> {
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(io_at(path))?;
    if let Some(o) = owner {
        std::os::unix::fs::fchown(file, Some(o.uid), Some(o.gid)).map_err(io_at(path))?;
    }
    Ok(())
}

/// fsyncs a directory so a rename inside it is durable.
pub fn sync_dir(dir: &Path) -> Result<(), FsError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_at(dir))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory
/// (created with O_EXCL|O_NOFOLLOW), fsync, rename, fsync of the directory. A crash
/// leaves either the old or the new content, never a mix.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    owner: Option<Owner>,
    mode: u32,
) -> Result<(), FsError> {
    refuse_symlink(path)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&tmp)
            .map_err(io_at(&tmp))?;
        f.write_all(bytes).map_err(io_at(&tmp))?;
        set_owner_mode(&f, &tmp, owner, mode)?;
        f.sync_all().map_err(io_at(&tmp))?;
        fs::rename(&tmp, path).map_err(io_at(path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// sha256 of a byte slice, as hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}
