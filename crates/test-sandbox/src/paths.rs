//! Where things are: the repository, the cargo target dir, the built binaries, the state dirs.

use std::path::{Path, PathBuf};

use crate::Error;

/// Overrides the base directory of sandbox state dirs (never under /tmp).
pub const ENV_STATE_BASE: &str = "NOVA_SANDBOX_STATE_BASE";
/// Overrides the directory the project's binaries are taken from.
pub const ENV_BIN_DIR: &str = "NOVA_SANDBOX_BIN_DIR";
/// Overrides the repository root the project files are taken from.
pub const ENV_REPO_ROOT: &str = "NOVA_SANDBOX_REPO_ROOT";

/// Fallback base when no cargo target dir can be found.
const FALLBACK_STATE_BASE: &str = "/var/cache/nova-ve-sandbox";

/// Paths the sandbox mounts over (tmpfs or overlay): a state dir below them would be hidden from
/// the sandbox, or (for overlays) overlap the overlay's lower dir.
const HIDDEN_INSIDE: &[&str] = &[
    "/tmp", "/var/tmp", "/var/log", "/run", "/dev", "/etc", "/usr", "/var/lib",
];

/// The repository root: this crate lives at `<root>/crates/test-sandbox`.
pub fn repo_root() -> PathBuf {
    if let Some(p) = std::env::var_os(ENV_REPO_ROOT) {
        return PathBuf::from(p);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest.to_path_buf(), Path::to_path_buf)
}

/// The cargo target dir of the running executable: the ancestor holding `CACHEDIR.TAG`.
pub fn target_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CARGO_TARGET_DIR") {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            return Some(p);
        }
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors()
        .skip(1)
        .find(|d| d.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
}

/// The profile dir (`target/debug` or `target/release`) whose binaries go into the sandbox.
pub fn bin_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_BIN_DIR) {
        return Some(PathBuf::from(p));
    }
    let exe = std::env::current_exe().ok()?;
    let target = target_dir()?;
    // The profile dir is the child of the target dir on the way to the executable.
    exe.ancestors()
        .find(|d| d.parent() == Some(target.as_path()))
        .map(Path::to_path_buf)
}

/// Base directory holding one state dir per sandbox.
pub fn state_base() -> Result<PathBuf, Error> {
    let base = match std::env::var_os(ENV_STATE_BASE) {
        Some(p) => PathBuf::from(p),
        None => target_dir().map_or_else(
            || PathBuf::from(FALLBACK_STATE_BASE),
            |t| t.join("nova-sandbox"),
        ),
    };
    check_not_tmp(&base)?;
    Ok(base)
}

/// The sandbox mounts its own /tmp, /var/tmp, /run, ... (and stock units clean /tmp): state must
/// live elsewhere.
fn check_not_tmp(p: &Path) -> Result<(), Error> {
    let abs = std::path::absolute(p).map_err(|e| Error::io(p, e))?;
    if let Some(top) = HIDDEN_INSIDE.iter().find(|top| abs.starts_with(top)) {
        return Err(Error::Config(format!(
            "sandbox state dir {} must not be under {top}, which the sandbox mounts over \
             (set {ENV_STATE_BASE})",
            abs.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmp_is_refused_as_state_base() {
        for bad in [
            "/tmp/x",
            "/var/tmp/x",
            "/run/x",
            "/var/lib/x",
            "/etc/x",
            "/usr/x",
        ] {
            assert!(check_not_tmp(Path::new(bad)).is_err(), "{bad}");
        }
        assert!(check_not_tmp(Path::new("/var/cache/x")).is_ok());
        assert!(check_not_tmp(Path::new("/work/target/nova-sandbox")).is_ok());
    }

    #[test]
    fn repo_root_has_the_workspace_manifest() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("crates/test-sandbox").is_dir());
    }
}
