//! The copy engine: streaming, sha256-verified, sparse-preserving, resumable.
//!
//! A file is copied to `<dest>.part`; only after the bytes on disk were read back and
//! hashed equal to the source's hash is it renamed to `<dest>`. So a destination file
//! with its final name is always complete and verified, and a `.part` is never
//! mistaken for one. Progress is checkpointed in a sidecar `<dest>.part.json`
//! (`{src_size, src_mtime_ns, src_ino, committed}`) after an fsync of the `.part`; a
//! later run whose source still matches the sidecar keeps the first `committed`
//! bytes and continues from there.
//!
//! Holes in the source (found with `SEEK_DATA`/`SEEK_HOLE`) and all-zero blocks are
//! not written, so sparse qcow2 images stay sparse (and zero-filled ones become so).

use std::fs::{self, File};
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fsutil::{self, DestDir, FsError, Owner, hex, io_at};

/// Read/write unit.
const CHUNK: usize = 1 << 20;
/// Granularity of zero-block detection (the usual filesystem block is 4 KiB).
const ZERO_BLOCK: usize = 4096;

static ZEROS: [u8; CHUNK] = [0; CHUNK];

/// How to copy.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Overwrite a destination whose content differs.
    pub force: bool,
    /// Give the result to this user (None: leave as the running user).
    pub owner: Option<Owner>,
    /// File mode of the result.
    pub mode: u32,
    /// Bytes between resume checkpoints (fsync + sidecar write).
    pub checkpoint_bytes: u64,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            force: false,
            owner: None,
            mode: 0o644,
            checkpoint_bytes: 256 << 20,
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyOutcome {
    /// The destination was written and verified.
    Copied {
        /// file size
        bytes: u64,
        /// verified sha256
        sha256: String,
        /// bytes kept from an earlier interrupted run (0 when started fresh)
        resumed_from: u64,
        /// an existing different destination was replaced (`--force`)
        replaced: bool,
    },
    /// The destination already held identical content; nothing was written.
    Identical {
        /// file size
        bytes: u64,
        /// sha256 of both
        sha256: String,
    },
}

impl CopyOutcome {
    /// The verified hash.
    pub fn sha256(&self) -> &str {
        match self {
            Self::Copied { sha256, .. } | Self::Identical { sha256, .. } => sha256,
        }
    }
}

/// Why a copy failed. The source is never touched by the copy engine.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Filesystem failure.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The destination exists with other content and `--force` was not given.
    #[error(
        "{dest}: exists with different content (sha256 {dest_sha256}, source {src_sha256}); use --force to replace"
    )]
    Conflict {
        /// destination path
        dest: PathBuf,
        /// hash of the source
        src_sha256: String,
        /// hash of the destination
        dest_sha256: String,
    },
    /// Read-back verification failed.
    #[error("{dest}: verification failed (wrote sha256 {got}, source {expected})")]
    VerifyFailed {
        /// the `.part` file
        dest: PathBuf,
        /// source hash
        expected: String,
        /// hash read back
        got: String,
    },
    /// The source changed while it was copied.
    #[error("{0}: source changed during the copy")]
    SourceChanged(PathBuf),
    /// The source is not a regular file.
    #[error("{0}: not a regular file")]
    NotRegular(PathBuf),
}

/// Resume checkpoint stored next to a `.part` file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartSidecar {
    /// source size when the copy started
    pub src_size: u64,
    /// source mtime (ns since epoch) when the copy started
    pub src_mtime_ns: i128,
    /// source inode
    pub src_ino: u64,
    /// bytes of the `.part` that were fsynced and can be kept
    pub committed: u64,
}

/// `<dest>.part`
pub fn part_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// `<dest>.part.json`
pub fn sidecar_path(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".part.json");
    PathBuf::from(s)
}

/// A run of a file: data to read, or a hole that reads as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    offset: u64,
    len: u64,
    data: bool,
}

/// Splits a file into data and hole extents with SEEK_DATA/SEEK_HOLE (a filesystem
/// without them reports the whole file as data).
fn extents(file: &File, size: u64) -> io::Result<Vec<Extent>> {
    use nix::unistd::{Whence, lseek};
    let mut out = Vec::new();
    let mut pos: u64 = 0;
    while pos < size {
        let data = match lseek(file.as_fd(), pos as i64, Whence::SeekData) {
            Ok(d) => d as u64,
            Err(nix::errno::Errno::ENXIO) => size, // only a hole remains
            Err(nix::errno::Errno::EINVAL) if out.is_empty() => {
                return Ok(vec![Extent {
                    offset: 0,
                    len: size,
                    data: true,
                }]);
            }
            Err(e) => return Err(e.into()),
        };
        let data = data.min(size);
        if data > pos {
            out.push(Extent {
                offset: pos,
                len: data - pos,
                data: false,
            });
        }
        if data >= size {
            break;
        }
        let hole = match lseek(file.as_fd(), data as i64, Whence::SeekHole) {
            Ok(h) => (h as u64).min(size),
            Err(e) => return Err(e.into()),
        };
        out.push(Extent {
            offset: data,
            len: hole - data,
            data: true,
        });
        pos = hole;
    }
    Ok(out)
}

/// Visits a file's content chunk by chunk: `f(offset, bytes, is_hole)`. Holes are
/// delivered as zero slices without reading.
fn for_each_chunk(
    file: &File,
    path: &Path,
    size: u64,
    mut f: impl FnMut(u64, &[u8], bool) -> Result<(), CopyError>,
) -> Result<(), CopyError> {
    let mut buf = vec![0u8; CHUNK];
    for ext in extents(file, size).map_err(io_at(path))? {
        let mut off = ext.offset;
        let end = ext.offset + ext.len;
        while off < end {
            let n = ((end - off) as usize).min(CHUNK);
            if ext.data {
                file.read_exact_at(&mut buf[..n], off)
                    .map_err(io_at(path))?;
                f(off, &buf[..n], false)?;
            } else {
                f(off, &ZEROS[..n], true)?;
            }
            off += n as u64;
        }
    }
    Ok(())
}

/// sha256 of a file's content, reading only its data extents.
pub fn hash_file(path: &Path) -> Result<(String, u64), CopyError> {
    hash_open(&fsutil::open_nofollow(path)?, path)
}

/// sha256 of an open file (`path` only for messages).
pub fn hash_open(file: &File, path: &Path) -> Result<(String, u64), CopyError> {
    let size = file.metadata().map_err(io_at(path))?.len();
    let mut h = Sha256::new();
    for_each_chunk(file, path, size, |_, bytes, _| {
        h.update(bytes);
        Ok(())
    })?;
    Ok((hex(&h.finalize()), size))
}

/// Copies `src` to entry `name` of `dir` (see the module docs). `progress` is called
/// with byte counts as the source is read.
pub fn copy_file(
    src: &Path,
    dir: &DestDir,
    name: &str,
    opts: &CopyOptions,
    progress: &dyn Fn(u64),
) -> Result<CopyOutcome, CopyError> {
    let src_file = fsutil::open_nofollow(src)?;
    let src_meta = src_file.metadata().map_err(io_at(src))?;
    if !src_meta.is_file() {
        return Err(CopyError::NotRegular(src.to_owned()));
    }
    let dest = dir.entry_path(name);
    let replaced = match compare_existing(&src_file, src, &src_meta, dir, name, progress)? {
        Existing::Identical(sha256, f) => {
            fsutil::set_owner_mode(&f, &dest, opts.owner, opts.mode)?;
            // A leftover partial copy of a file that is complete by now is of no use.
            let _ = dir.remove(&part_name(name));
            let _ = dir.remove(&sidecar_name(name));
            return Ok(CopyOutcome::Identical {
                bytes: src_meta.len(),
                sha256,
            });
        }
        Existing::Differs {
            src_sha256,
            dest_sha256,
        } if !opts.force => {
            return Err(CopyError::Conflict {
                dest,
                src_sha256,
                dest_sha256,
            });
        }
        Existing::Differs { .. } => true,
        Existing::Absent => false,
    };
    let (sha256, resumed_from) = write_part(&src_file, src, &src_meta, dir, name, opts, progress)?;
    dir.rename(&part_name(name), name)?;
    let _ = dir.remove(&sidecar_name(name));
    dir.sync()?;
    Ok(CopyOutcome::Copied {
        bytes: src_meta.len(),
        sha256,
        resumed_from,
        replaced,
    })
}

fn part_name(name: &str) -> String {
    format!("{name}.part")
}

fn sidecar_name(name: &str) -> String {
    format!("{name}.part.json")
}

enum Existing {
    Absent,
    Identical(String, File),
    Differs {
        src_sha256: String,
        dest_sha256: String,
    },
}

fn compare_existing(
    src_file: &File,
    src: &Path,
    src_meta: &fs::Metadata,
    dir: &DestDir,
    name: &str,
    progress: &dyn Fn(u64),
) -> Result<Existing, CopyError> {
    let dest = dir.entry_path(name);
    let Some(existing) = dir.open_read(name)? else {
        return Ok(Existing::Absent);
    };
    if !existing.metadata().map_err(io_at(&dest))?.is_file() {
        return Err(CopyError::NotRegular(dest));
    }
    let (dest_sha256, _) = hash_open(&existing, &dest)?;
    let mut h = Sha256::new();
    for_each_chunk(src_file, src, src_meta.len(), |_, b, _| {
        h.update(b);
        progress(b.len() as u64);
        Ok(())
    })?;
    let src_sha256 = hex(&h.finalize());
    Ok(if src_sha256 == dest_sha256 {
        Existing::Identical(src_sha256, existing)
    } else {
        Existing::Differs {
            src_sha256,
            dest_sha256,
        }
    })
}

fn sidecar_for(meta: &fs::Metadata, committed: u64) -> PartSidecar {
    PartSidecar {
        src_size: meta.len(),
        src_mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        src_ino: meta.ino(),
        committed,
    }
}

/// How many bytes of an existing `.part` can be kept: the sidecar must describe this
/// very source and the `.part` must hold at least the committed bytes.
fn resumable_bytes(dir: &DestDir, name: &str, src_meta: &fs::Metadata) -> u64 {
    use std::io::Read;
    let Ok(Some(mut f)) = dir.open_read(&sidecar_name(name)) else {
        return 0;
    };
    let mut text = Vec::new();
    if f.by_ref().take(4096).read_to_end(&mut text).is_err() {
        return 0;
    }
    let Ok(sc) = serde_json::from_slice::<PartSidecar>(&text) else {
        return 0;
    };
    let Ok(Some(part)) = dir.open_read(&part_name(name)) else {
        return 0;
    };
    let Ok(pm) = part.metadata() else { return 0 };
    let expected = sidecar_for(src_meta, sc.committed);
    if sc != expected || !pm.is_file() || pm.len() < sc.committed || sc.committed > src_meta.len() {
        return 0;
    }
    sc.committed
}

fn write_sidecar(dir: &DestDir, name: &str, sc: &PartSidecar) -> Result<(), CopyError> {
    let bytes = serde_json::to_vec(sc).unwrap_or_default();
    dir.write_atomic(&sidecar_name(name), &bytes, None, 0o600)?;
    Ok(())
}

/// Writes (or continues) `<name>.part`, then reads it back and verifies it. Returns
/// the verified hash and the number of bytes kept from an earlier run.
fn write_part(
    src_file: &File,
    src: &Path,
    src_meta: &fs::Metadata,
    dir: &DestDir,
    name: &str,
    opts: &CopyOptions,
    progress: &dyn Fn(u64),
) -> Result<(String, u64), CopyError> {
    let part = dir.entry_path(&part_name(name));
    let keep = resumable_bytes(dir, name, src_meta);
    let out = dir.open_rw(&part_name(name), 0o600)?;
    // Drop anything past the checkpoint: it may be half-written garbage.
    out.set_len(keep).map_err(io_at(&part))?;
    let size = src_meta.len();
    let mut h = Sha256::new();
    let mut next_checkpoint = keep + opts.checkpoint_bytes;
    for_each_chunk(src_file, src, size, |off, bytes, hole| {
        h.update(bytes);
        progress(bytes.len() as u64);
        let end = off + bytes.len() as u64;
        if !hole && end > keep {
            let skip = keep.saturating_sub(off) as usize;
            write_nonzero(&out, &part, off + skip as u64, &bytes[skip..])?;
        }
        if end >= next_checkpoint && end < size {
            out.sync_data().map_err(io_at(&part))?;
            write_sidecar(dir, name, &sidecar_for(src_meta, end))?;
            next_checkpoint = end + opts.checkpoint_bytes;
        }
        Ok(())
    })?;
    out.set_len(size).map_err(io_at(&part))?;
    let src_sha256 = hex(&h.finalize());
    let after = src_file.metadata().map_err(io_at(src))?;
    if sidecar_for(&after, 0) != sidecar_for(src_meta, 0) {
        return Err(CopyError::SourceChanged(src.to_owned()));
    }
    fsutil::set_owner_mode(&out, &part, opts.owner, opts.mode)?;
    out.sync_all().map_err(io_at(&part))?;
    // Read back through a fresh descriptor: what is on disk is what gets verified.
    drop(out);
    let reread = dir
        .open_read(&part_name(name))?
        .ok_or_else(|| CopyError::NotRegular(part.clone()))?;
    let (got, _) = hash_open(&reread, &part)?;
    if got != src_sha256 {
        // Nothing of this attempt can be trusted: start from zero next time.
        let _ = dir.remove(&sidecar_name(name));
        let _ = dir.remove(&part_name(name));
        return Err(CopyError::VerifyFailed {
            dest: part,
            expected: src_sha256,
            got,
        });
    }
    Ok((src_sha256, keep))
}

/// Writes `bytes` at `offset`, skipping all-zero blocks (they stay holes).
fn write_nonzero(out: &File, path: &Path, offset: u64, bytes: &[u8]) -> Result<(), CopyError> {
    let mut i = 0;
    while i < bytes.len() {
        let end = (i + ZERO_BLOCK).min(bytes.len());
        if bytes[i..end].iter().any(|&b| b != 0) {
            // Extend the run over following non-zero blocks to write in one call.
            let mut run_end = end;
            while run_end < bytes.len() {
                let next = (run_end + ZERO_BLOCK).min(bytes.len());
                if bytes[run_end..next].iter().all(|&b| b == 0) {
                    break;
                }
                run_end = next;
            }
            out.write_all_at(&bytes[i..run_end], offset + i as u64)
                .map_err(io_at(path))?;
            i = run_end;
        } else {
            i = end;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn setup(data: &[u8]) -> (tempfile::TempDir, PathBuf, DestDir) {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src.img");
        fs::write(&src, data).unwrap();
        let dir = DestDir::open(&tmp.path().join("dest"), &[], None).unwrap();
        (tmp, src, dir)
    }

    #[test]
    fn a_source_changing_during_the_copy_fails_and_is_not_promoted() {
        let (_tmp, src, dir) = setup(&vec![1u8; 3 * CHUNK]);
        let grow = || {
            let mut f = fs::OpenOptions::new().append(true).open(&src).unwrap();
            f.write_all(b"more").unwrap();
        };
        let err =
            copy_file(&src, &dir, "out.img", &CopyOptions::default(), &|_| grow()).unwrap_err();
        assert!(matches!(err, CopyError::SourceChanged(_)), "{err}");
        assert!(!dir.exists("out.img"));
    }

    #[test]
    fn identical_destination_is_skipped_and_stale_part_removed() {
        let (_tmp, src, dir) = setup(b"hello world");
        let first = copy_file(&src, &dir, "out.img", &CopyOptions::default(), &|_| ()).unwrap();
        assert!(matches!(
            first,
            CopyOutcome::Copied {
                resumed_from: 0,
                replaced: false,
                ..
            }
        ));
        fs::write(dir.entry_path("out.img.part"), b"stale").unwrap();
        let second = copy_file(&src, &dir, "out.img", &CopyOptions::default(), &|_| ()).unwrap();
        assert_eq!(
            second,
            CopyOutcome::Identical {
                bytes: 11,
                sha256: first.sha256().to_owned()
            }
        );
        assert!(!dir.exists("out.img.part"));
    }

    #[test]
    fn extents_split_data_and_holes() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("sparse");
        let f = File::create(&p).unwrap();
        f.set_len(8 << 20).unwrap();
        f.write_all_at(&[1u8; 4096], 4 << 20).unwrap();
        f.sync_all().unwrap();
        let ex = extents(&f, 8 << 20).unwrap();
        assert_eq!(ex.iter().map(|e| e.len).sum::<u64>(), 8 << 20);
        let data: u64 = ex.iter().filter(|e| e.data).map(|e| e.len).sum();
        assert!(data < 1 << 20, "{ex:?}");
        assert!(
            ex.iter()
                .any(|e| e.data && e.offset <= 4 << 20 && e.offset + e.len > 4 << 20)
        );
    }
}
