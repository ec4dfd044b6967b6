//! Shared helpers: synthetic EVE-NG trees, running the binary, hashing trees.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

pub const BIN: &str = env!("CARGO_BIN_EXE_nova-ve-import-eveng");
pub const MIB: u64 = 1 << 20;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A temporary workspace: `src/` (EVE-NG root), `dest/{images,templates,labs}`, `out/`.
/// Removed on drop (also when a test fails).
pub struct World {
    pub tmp: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("nova-import-test-")
            .tempdir()
            .expect("tempdir");
        for d in ["src", "dest", "out"] {
            fs::create_dir_all(tmp.path().join(d)).unwrap();
        }
        World { tmp }
    }
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
    pub fn src(&self) -> PathBuf {
        self.root().join("src")
    }
    pub fn images(&self) -> PathBuf {
        self.root().join("dest/images")
    }
    pub fn templates(&self) -> PathBuf {
        self.root().join("dest/templates")
    }
    pub fn labs(&self) -> PathBuf {
        self.root().join("dest/labs")
    }
    pub fn manifest_path(&self) -> PathBuf {
        self.root().join("out/manifest.json")
    }
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.manifest_path()).expect("manifest"))
            .expect("manifest json")
    }

    /// Runs the importer with the world's directories plus `extra` arguments.
    pub fn run(&self, extra: &[&str]) -> Output {
        let mut cmd = self.command(extra);
        cmd.output().expect("run importer")
    }

    pub fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--source")
            .arg(self.src())
            .arg("--dest")
            .arg(self.images())
            .arg("--templates-dir")
            .arg(self.templates())
            .arg("--labs-dir")
            .arg(self.labs())
            .arg("--manifest")
            .arg(self.manifest_path())
            .args(extra);
        cmd
    }

    /// A full synthetic EVE-NG tree: many vendors, sparse disks, dynamips, IOL +
    /// iourc, a docker context, templates and labs from the fixtures.
    pub fn build_eveng_tree(&self) {
        let src = self.src();
        let q = src.join("addons/qemu");
        sparse(&q.join("vios-15.6/virtioa.qcow2"), 64 * MIB, &[0, 32 * MIB]);
        sparse(
            &q.join("csr1000vng-17.03.08a/virtioa.qcow2"),
            16 * MIB,
            &[0],
        );
        sparse(&q.join("asav-9.18.1/virtioa.qcow2"), 8 * MIB, &[0, 4 * MIB]);
        sparse(&q.join("bigip-16.1/virtioa.qcow2"), 4 * MIB, &[0]);
        sparse(&q.join("bigip-16.1/virtiob.qcow2"), 4 * MIB, &[MIB]);
        sparse(&q.join("veos-4.29/hda.qcow2"), 4 * MIB, &[0]);
        write(&q.join("veos-4.29/cdrom.iso"), b"Aboot iso");
        sparse(&q.join("linux-ubuntu-22.04/virtioa.qcow2"), 4 * MIB, &[0]);
        sparse(
            &q.join("vmxvcp-18.2R1.9-domestic-VCP/virtioa.qcow2"),
            2 * MIB,
            &[0],
        );
        write(
            &q.join("vmxvcp-18.2R1.9-domestic-VCP/notes.txt"),
            b"unexpected file",
        );
        write(&q.join("nodash/hda.qcow2"), b"no prefix");
        write(
            &src.join("addons/dynamips/c7200-adventerprisek9-mz.152-4.S2.image"),
            &[7u8; 70_000],
        );
        write(
            &src.join("addons/iol/bin/i86bi_LinuxL2-AdvEnterpriseK9-M_152_May_2018.bin"),
            &[0x7f, b'E', b'L', b'F', 1, 2, 3],
        );
        write(
            &src.join("addons/iol/bin/iourc"),
            b"[license]\neve-ng = 0123456789abcdef;\n",
        );
        write(
            &src.join("addons/docker/eve-gui-server/Dockerfile"),
            b"FROM debian:12\n",
        );
        write(
            &src.join("addons/docker/eve-gui-server/rootfs/etc/motd"),
            b"hello\n",
        );
        let tdir = src.join("html/templates/intel");
        fs::create_dir_all(&tdir).unwrap();
        for entry in fs::read_dir(fixtures().join("templates"))
            .unwrap()
            .flatten()
        {
            fs::copy(entry.path(), tdir.join(entry.file_name())).unwrap();
        }
        write(
            &src.join("html/includes/custom_templates.yml"),
            b"---\ncustom_templates:\n  - name: linux\n    listname: Linux Cloud\n...\n",
        );
        let labs = src.join("labs");
        let full = fs::read(fixtures().join("labs/full.unl")).unwrap();
        write(&labs.join("Folder A/Sub Folder/Full Lab.unl"), &full);
        write(
            &labs.join("p2p.unl"),
            &fs::read(fixtures().join("labs/p2p.unl")).unwrap(),
        );
        for bad in ["encrypted", "malformed", "bomb", "deep", "dup-ids"] {
            write(
                &labs.join("bad").join(format!("{bad}.unl")),
                &fs::read(fixtures().join(format!("labs/{bad}.unl"))).unwrap(),
            );
        }
    }
}

pub fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = File::create(path).unwrap();
    f.write_all(data).unwrap();
}

/// A sparse file of `size` bytes with 64 KiB of non-zero data at each offset.
pub fn sparse(path: &Path, size: u64, data_at: &[u64]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = File::create(path).unwrap();
    f.set_len(size).unwrap();
    for (i, &off) in data_at.iter().enumerate() {
        let block: Vec<u8> = (0..65536u32)
            .map(|b| (b as u8) ^ (i as u8) ^ 0x5a | 1)
            .collect();
        f.write_all_at(&block, off).unwrap();
    }
}

pub fn sha256_file(path: &Path) -> String {
    let data = fs::read(path).unwrap();
    Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Allocated bytes of a file (st_blocks × 512).
pub fn allocated(path: &Path) -> u64 {
    fs::metadata(path).unwrap().blocks() * 512
}

/// Every path below `root` with its type, mode, size and content hash (symlinks by
/// target); changes anywhere show up as a difference.
pub fn tree_state(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().display().to_string();
        let m = fs::symlink_metadata(&p).unwrap();
        if m.file_type().is_symlink() {
            out.insert(
                rel,
                format!("link {}", fs::read_link(&p).unwrap().display()),
            );
        } else if m.is_dir() {
            out.insert(rel, format!("dir {:o}", m.mode()));
            walk(root, &p, out);
        } else {
            out.insert(
                rel,
                format!(
                    "file {:o} {} {} {}",
                    m.mode(),
                    m.len(),
                    m.mtime_nsec(),
                    sha256_file(&p)
                ),
            );
        }
    }
}

/// Manifest entries whose `name` or `source` contains `needle`.
pub fn entries<'a>(m: &'a serde_json::Value, needle: &str) -> Vec<&'a serde_json::Value> {
    m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["name"].as_str().is_some_and(|n| n.contains(needle))
                || e["source"].as_str().is_some_and(|s| s.contains(needle))
        })
        .collect()
}

pub fn entry<'a>(m: &'a serde_json::Value, needle: &str) -> &'a serde_json::Value {
    let found = entries(m, needle);
    assert_eq!(
        found.len(),
        1,
        "expected one entry for {needle}: {found:#?}"
    );
    found[0]
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}
