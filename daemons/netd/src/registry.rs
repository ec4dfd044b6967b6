//! The ownership registry: which host interfaces netd created. An interface is owned only if
//! (1) its name carries the prefix, (2) this registry (a root-only file, replaced atomically)
//! records it with the same ifindex, and (3) the interface itself carries the alias marker.
//! At start-up both sides are reconciled: records whose interface vanished, was renamed or lost
//! its marker are dropped; marked interfaces without a record are *not* adopted (anyone with
//! CAP_NET_ADMIN can set an alias, only netd writes the file).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{NetdError, Result};

/// Alias (IFLA_IFALIAS) netd puts on every interface it creates.
pub const OWNED_ALIAS: &str = "nova-ve-netd:owned";
/// File name of the registry inside the state directory.
pub const STATE_FILE: &str = "owned.json";

/// Kinds of interfaces netd makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkKind {
    /// Linux bridge.
    Bridge,
    /// Persistent TAP.
    Tap,
    /// One end of a veth pair.
    Veth,
}

impl LinkKind {
    /// Name as shown over D-Bus.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bridge => "bridge",
            Self::Tap => "tap",
            Self::Veth => "veth",
        }
    }
}

/// One owned interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedLink {
    /// Interface name.
    pub name: String,
    /// Kernel ifindex at creation (names can be reused, the pair name+index identifies it).
    pub ifindex: u32,
    /// What it is.
    pub kind: LinkKind,
    /// The other end of a veth pair when both ends are in the host namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    links: Vec<OwnedLink>,
}

/// The registry, optionally persisted.
#[derive(Debug, Default)]
pub struct Registry {
    links: BTreeMap<String, OwnedLink>,
    path: Option<PathBuf>,
}

impl Registry {
    /// In memory only (tests, benches).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Loads `dir/owned.json` (missing = empty). Creates `dir` mode 0700 if needed.
    pub fn load(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir)
            .map_err(|e| NetdError::Failed(format!("create {}: {e}", dir.display())))?;
        let path = dir.join(STATE_FILE);
        let links = match fs::read(&path) {
            Ok(bytes) => {
                let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
                    NetdError::Failed(format!("corrupt state file {}: {e}", path.display()))
                })?;
                state
                    .links
                    .into_iter()
                    .map(|l| (l.name.clone(), l))
                    .collect()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(NetdError::Failed(format!("read {}: {e}", path.display()))),
        };
        Ok(Self {
            links,
            path: Some(path),
        })
    }

    /// Writes the file atomically: temp file (0600), fsync, rename, fsync directory.
    pub fn save(&self) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let state = StateFile {
            version: 1,
            links: self.links.values().cloned().collect(),
        };
        let bytes = serde_json::to_vec_pretty(&state)
            .map_err(|e| NetdError::Failed(format!("encode state: {e}")))?;
        let tmp = path.with_extension("json.tmp");
        let fail = |what: &str, e: std::io::Error| NetdError::Failed(format!("{what}: {e}"));
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| fail("open state temp file", e))?;
        f.write_all(&bytes).map_err(|e| fail("write state", e))?;
        f.sync_all().map_err(|e| fail("fsync state", e))?;
        fs::rename(&tmp, path).map_err(|e| fail("rename state", e))?;
        if let Some(dir) = path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| fail("fsync state dir", e))?;
        }
        Ok(())
    }

    /// The record for `name`.
    pub fn get(&self, name: &str) -> Option<&OwnedLink> {
        self.links.get(name)
    }

    /// Records a created interface.
    pub fn insert(&mut self, link: OwnedLink) {
        self.links.insert(link.name.clone(), link);
    }

    /// Forgets an interface; returns its record.
    pub fn remove(&mut self, name: &str) -> Option<OwnedLink> {
        self.links.remove(name)
    }

    /// All records.
    pub fn iter(&self) -> impl Iterator<Item = &OwnedLink> {
        self.links.values()
    }

    /// Mutable access to all records.
    pub fn links_mut(&mut self) -> impl Iterator<Item = &mut OwnedLink> {
        self.links.values_mut()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.links.len()
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty()
    }

    /// Keeps only records for which `alive(record)` holds; returns the names dropped.
    pub fn retain(&mut self, mut alive: impl FnMut(&OwnedLink) -> bool) -> Vec<String> {
        let dropped: Vec<String> = self
            .links
            .values()
            .filter(|l| !alive(l))
            .map(|l| l.name.clone())
            .collect();
        for name in &dropped {
            self.links.remove(name);
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_atomically_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let mut r = Registry::load(dir.path()).unwrap();
        assert!(r.is_empty());
        r.insert(OwnedLink {
            name: "nvbr0".into(),
            ifindex: 7,
            kind: LinkKind::Bridge,
            peer: None,
        });
        r.save().unwrap();
        let meta = fs::metadata(dir.path().join(STATE_FILE)).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let r2 = Registry::load(dir.path()).unwrap();
        assert_eq!(r2.get("nvbr0").unwrap().ifindex, 7);
        assert!(!dir.path().join("owned.json.tmp").exists());
    }

    #[test]
    fn corrupt_state_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(STATE_FILE), b"{not json").unwrap();
        assert!(Registry::load(dir.path()).is_err());
    }
}
