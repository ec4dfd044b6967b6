//! Image uploads: bytes read from a descriptor (a pipe the gateway feeds from an HTTP body)
//! into `<images>/<kind>/<name>`, never held in memory, with the declared size enforced and a
//! SHA-256 computed (and checked when the sender gave one). The file appears under its name
//! only when complete (written as a hidden temporary, fsynced, then hard-linked without
//! replacing anything), so a listing never shows half an image and an existing one is never
//! overwritten.

use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nova_api::limits::{MAX_IMAGE_BYTES, MAX_IMAGE_NAME_BYTES};
use nova_lab_model::NodeKind;
use sha2::{Digest as _, Sha256};

use super::LabEngine;
use crate::error::{EngineError, Result};

/// Room left on the file system beyond the image itself (labs and logs need space too).
const KEEP_FREE_BYTES: u64 = 256 * 1024 * 1024;

/// An image name problem, in words (None when it is a plain file name we accept).
pub fn image_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_IMAGE_NAME_BYTES {
        return Some(format!(
            "image names are 1 to {MAX_IMAGE_NAME_BYTES} bytes long"
        ));
    }
    if name.starts_with('.') {
        return Some("image names may not start with a dot".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')))
    {
        return Some(format!(
            "image names use letters, digits and . _ - + only, not {c:?}"
        ));
    }
    None
}

impl LabEngine {
    /// Stores `size` bytes read from `data` as image `name` of `kind`; its SHA-256 (hex).
    /// `sha256` ("" = none) must match when given. Nothing is left behind on any error.
    pub async fn import_image(
        &self,
        kind: &str,
        name: &str,
        size: u64,
        sha256: &str,
        data: OwnedFd,
    ) -> Result<String> {
        let kind = serde_json::from_value::<NodeKind>(serde_json::Value::String(kind.into()))
            .ok()
            .filter(NodeKind::is_known)
            .ok_or_else(|| EngineError::InvalidArgs(format!("unknown node kind {kind:?}")))?;
        if let Some(p) = image_name_problem(name) {
            return Err(EngineError::InvalidArgs(format!("image {name:?}: {p}")));
        }
        if size == 0 || size > MAX_IMAGE_BYTES {
            return Err(EngineError::InvalidArgs(format!(
                "image size {size}: must be 1 byte to {} GiB",
                MAX_IMAGE_BYTES >> 30
            )));
        }
        let expected = sha256.to_ascii_lowercase();
        if !expected.is_empty()
            && (expected.len() != 64 || !expected.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(EngineError::InvalidArgs(
                "sha256 must be 64 hex digits (or empty)".into(),
            ));
        }
        let dir = self.config.images_dir.join(kind.to_string());
        let name = name.to_string();
        tokio::task::spawn_blocking(move || store(&dir, &name, size, &expected, data))
            .await
            .map_err(|e| EngineError::Failed(e.to_string()))?
    }
}

fn store(dir: &Path, name: &str, size: u64, expected: &str, data: OwnedFd) -> Result<String> {
    let io = |what: &str, e: std::io::Error| EngineError::Failed(format!("{what}: {e}"));
    std::fs::create_dir_all(dir).map_err(|e| io(&dir.display().to_string(), e))?;
    let target = dir.join(name);
    if target.symlink_metadata().is_ok() {
        return Err(EngineError::AlreadyExists(format!(
            "image {name} exists; delete it first or upload under another name"
        )));
    }
    let free = free_bytes(dir);
    if free < size.saturating_add(KEEP_FREE_BYTES) {
        return Err(EngineError::Conflict(format!(
            "not enough space for {size} bytes in {}: {free} bytes free",
            dir.display()
        )));
    }
    static UPLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = UPLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".upload-{}-{n}-{name}", std::process::id()));
    let result = copy_in(&tmp, size, expected, data).and_then(|sha| {
        std::fs::hard_link(&tmp, &target).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                EngineError::AlreadyExists(format!("image {name} exists"))
            } else {
                io(&target.display().to_string(), e)
            }
        })?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(sha)
    });
    let _ = std::fs::remove_file(&tmp);
    result
}

/// Reads exactly `size` bytes into `tmp` (created new), hashing; the hex SHA-256.
fn copy_in(tmp: &PathBuf, size: u64, expected: &str, data: OwnedFd) -> Result<String> {
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(tmp)
        .map_err(|e| EngineError::Failed(format!("{}: {e}", tmp.display())))?;
    let mut src = std::fs::File::from(data);
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut got: u64 = 0;
    loop {
        let n = src
            .read(&mut buf)
            .map_err(|e| EngineError::Failed(format!("reading the upload: {e}")))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        if got > size {
            return Err(EngineError::InvalidArgs(format!(
                "the upload is longer than the {size} bytes declared"
            )));
        }
        hash.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| EngineError::Failed(format!("{}: {e}", tmp.display())))?;
    }
    if got != size {
        return Err(EngineError::InvalidArgs(format!(
            "the upload ended after {got} of {size} bytes"
        )));
    }
    let sha: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
    if !expected.is_empty() && sha != expected {
        return Err(EngineError::InvalidArgs(format!(
            "SHA-256 mismatch: got {sha}, expected {expected}"
        )));
    }
    out.sync_all()
        .map_err(|e| EngineError::Failed(format!("{}: {e}", tmp.display())))?;
    Ok(sha)
}

fn free_bytes(dir: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return 0;
    };
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path; statvfs fills the struct it points to.
    if unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) } != 0 {
        return u64::MAX; // unknown: let the write fail with ENOSPC if it must
    }
    // SAFETY: statvfs returned 0, so it initialized the struct.
    let s = unsafe { s.assume_init() };
    s.f_bavail * s.f_frsize
}
