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

/// Creates `root` (the operator's destination, which may itself be a symlink) and
/// then each of `components` below it, refusing any component that exists as a
/// symlink or non-directory. New directories get mode 0755 and `owner`.
pub fn ensure_dir(
    root: &Path,
    components: &[String],
    owner: Option<Owner>,
) -> Result<PathBuf, FsError> {
    fs::create_dir_all(root).map_err(io_at(root))?;
    let mut path = root.to_path_buf();
    for comp in components {
        path.push(comp);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(FsError::NotADirectory(path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&path).map_err(io_at(&path))?;
                fs::set_permissions(&path, Permissions::from_mode(0o755)).map_err(io_at(&path))?;
                if let Some(o) = owner {
                    // lchown is fchownat(AT_SYMLINK_NOFOLLOW): never chowns a symlink target.
                    std::os::unix::fs::lchown(&path, Some(o.uid), Some(o.gid))
                        .map_err(io_at(&path))?;
                }
            }
            Err(e) => return Err(FsError::Io { path, source: e }),
        }
    }
    Ok(path)
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
