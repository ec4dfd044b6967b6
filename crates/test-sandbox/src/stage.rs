//! Builds a sandbox's state dir before boot: mask links, unit dir, and overlay upper dirs that
//! already hold the project's files. Everything is written under the state dir only; the init
//! script then mounts the upper dirs over /etc, /usr and /var/lib inside the sandbox.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::Error;

/// Stock units that would touch the host the sandbox shares its filesystem with (clean /tmp, set
/// sysctls, load modules, write /etc or /var, create /dev nodes, run udev) or that make no sense
/// in a container. Linked to /dev/null in the first unit dir. See DESIGN.md "What these machines
/// can do"; checked with `systemctl list-units --all` inside.
pub const MASKED_UNITS: &[&str] = &[
    "systemd-tmpfiles-setup.service",
    "systemd-tmpfiles-setup-dev.service",
    "systemd-tmpfiles-clean.service",
    "systemd-tmpfiles-clean.timer",
    "systemd-sysctl.service",
    "systemd-modules-load.service",
    "systemd-binfmt.service",
    "proc-sys-fs-binfmt_misc.automount",
    "proc-sys-fs-binfmt_misc.mount",
    "systemd-sysusers.service",
    "systemd-update-utmp.service",
    "systemd-update-utmp-runlevel.service",
    "systemd-journal-flush.service",
    "systemd-journal-catalog-update.service",
    "systemd-random-seed.service",
    "systemd-remount-fs.service",
    "systemd-machine-id-commit.service",
    "systemd-firstboot.service",
    "systemd-fsck-root.service",
    "systemd-hwdb-update.service",
    "systemd-update-done.service",
    "systemd-repart.service",
    "systemd-pcrphase.service",
    "systemd-pcrphase-sysinit.service",
    "systemd-pcrphase-shutdown.service",
    "systemd-boot-update.service",
    "systemd-boot-system-token.service",
    "systemd-pstore.service",
    "systemd-timesyncd.service",
    "systemd-journald-audit.socket",
    "systemd-ask-password-console.path",
    "systemd-ask-password-wall.path",
    "sys-kernel-debug.mount",
    "sys-kernel-tracing.mount",
    "sys-kernel-config.mount",
    "sys-fs-fuse-connections.mount",
    "dev-hugepages.mount",
    "dev-mqueue.mount",
    "tmp.mount",
    "getty.target",
    "getty@.service",
    "serial-getty@.service",
    "console-getty.service",
    "systemd-udevd.service",
    "systemd-udevd-control.socket",
    "systemd-udevd-kernel.socket",
    "systemd-udev-trigger.service",
    "systemd-udev-settle.service",
    "ldconfig.service",
    "kmod-static-nodes.service",
    // Would reconfigure links (the host's, when the host network namespace is shared).
    "systemd-networkd.service",
    "systemd-networkd.socket",
    "systemd-networkd-wait-online.service",
    "systemd-resolved.service",
    "NetworkManager.service",
    "systemd-rfkill.service",
    "systemd-rfkill.socket",
    "systemd-quotacheck.service",
    "quotaon.service",
];

/// Name of the small target the sandbox's systemd boots into.
pub const TARGET: &str = "nova-sandbox.target";

/// Binaries of the workspace copied to /usr/libexec/nova-ve inside, when built.
fn is_project_binary(name: &str) -> bool {
    !name.contains('.') && (name.starts_with("nova-ve-") || name == "novactl")
}

/// A file to put into the sandbox at an absolute path below /etc, /usr or /var/lib.
#[derive(Debug, Clone)]
pub struct ExtraFile {
    pub src: PathBuf,
    pub dest: PathBuf,
}

/// Everything the state dir is built from.
#[derive(Debug, Clone, Default)]
pub struct StagePlan {
    pub repo_root: PathBuf,
    pub bin_dir: Option<PathBuf>,
    pub extra_files: Vec<ExtraFile>,
    pub extra_units: Vec<PathBuf>,
    pub extra_sysusers: Vec<PathBuf>,
    pub extra_tmpfiles: Vec<PathBuf>,
    pub wants: Vec<String>,
}

/// Writes the whole state dir (which must exist and be empty).
pub fn stage(state: &Path, plan: &StagePlan) -> Result<(), Error> {
    write_masks(&state.join("mask"))?;
    stage_units(state, plan)?;
    stage_project_files(state, &plan.repo_root)?;
    if let Some(bins) = &plan.bin_dir {
        stage_binaries(&state.join("upper/usr/libexec/nova-ve"), bins)?;
    }
    for f in &plan.extra_files {
        let rel = overlay_relative(&f.dest)?;
        copy_file(&f.src, &state.join("upper").join(rel))?;
    }
    Ok(())
}

fn write_masks(dir: &Path) -> Result<(), Error> {
    mkdir(dir)?;
    for unit in MASKED_UNITS {
        let link = dir.join(unit);
        symlink("/dev/null", &link).map_err(|e| Error::io(&link, e))?;
    }
    Ok(())
}

fn stage_units(state: &Path, plan: &StagePlan) -> Result<(), Error> {
    let units = state.join("units");
    mkdir(&units)?;
    let repo_units = plan.repo_root.join("units");
    for src in files_with_ext(
        &repo_units,
        &["service", "slice", "target", "socket", "timer", "path"],
    )? {
        copy_into(&src, &units)?;
    }
    for dropins in unit_dropin_dirs(&repo_units)? {
        let name = dropins.file_name().unwrap_or_default();
        copy_all(&dropins, &["conf"], &units.join(name))?;
    }
    for src in &plan.extra_units {
        copy_into(src, &units)?;
    }
    let target = target_unit(&plan.wants);
    write(&units.join(TARGET), &target)?;
    let sysusers = state.join("sysusers.d");
    copy_all(&repo_units.join("sysusers.d"), &["conf"], &sysusers)?;
    for src in &plan.extra_sysusers {
        copy_into(src, &sysusers)?;
    }
    let tmpfiles = state.join("tmpfiles.d");
    copy_all(&repo_units.join("tmpfiles.d"), &["conf"], &tmpfiles)?;
    for src in &plan.extra_tmpfiles {
        copy_into(src, &tmpfiles)?;
    }
    Ok(())
}

/// `units/<unit>.d/` drop-in dirs (not sysusers.d/tmpfiles.d, which are no units).
fn unit_dropin_dirs(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    Ok(entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".d"))
                .is_some_and(|unit| unit.contains('.'))
        })
        .collect())
}

fn target_unit(wants: &[String]) -> String {
    let extra = wants.join(" ");
    format!(
        "[Unit]\nDescription=nova-ve test sandbox\n\
         Wants=systemd-journald.socket dbus.socket dbus.service polkit.service {extra}\n\
         After=dbus.service polkit.service\n"
    )
}

/// Bus policy, activation files and polkit files go into the overlay upper dirs.
fn stage_project_files(state: &Path, repo: &Path) -> Result<(), Error> {
    let upper = state.join("upper");
    let bus = repo.join("dbus-interfaces");
    copy_all(&bus, &["conf"], &upper.join("etc/dbus-1/system.d"))?;
    copy_all(
        &bus,
        &["service"],
        &upper.join("usr/share/dbus-1/system-services"),
    )?;
    let polkit = repo.join("polkit");
    copy_all(
        &polkit,
        &["policy"],
        &upper.join("usr/share/polkit-1/actions"),
    )?;
    copy_all(&polkit, &["rules"], &upper.join("etc/polkit-1/rules.d"))?;
    // journald: volatile, and nothing read from or written to the host's kernel log, console or
    // terminals. systemd: tests should not wait 90 s for a unit that hangs.
    write_new(
        &upper.join("etc/systemd/journald.conf.d/nova-sandbox.conf"),
        JOURNALD_CONF,
    )?;
    write_new(
        &upper.join("etc/systemd/system.conf.d/nova-sandbox.conf"),
        SYSTEM_CONF,
    )?;
    // systemd sets the hostname from /etc/hostname (in the sandbox's own UTS namespace).
    write_new(&upper.join("etc/hostname"), "nova-sandbox\n")?;
    // Service state and config dirs the units expect; private to this sandbox even when the
    // host has an installed nova-ve (opaque: the host's content does not show through).
    for dir in PRIVATE_DIRS {
        mkdir_opaque(&upper.join(dir))?;
    }
    Ok(())
}

const JOURNALD_CONF: &str = "[Journal]\nStorage=volatile\nReadKMsg=no\nForwardToKMsg=no\n\
ForwardToConsole=no\nForwardToWall=no\nForwardToSyslog=no\n";

const SYSTEM_CONF: &str = "[Manager]\nDefaultTimeoutStartSec=30s\nDefaultTimeoutStopSec=15s\n";

fn write_new(p: &Path, content: &str) -> Result<(), Error> {
    if let Some(parent) = p.parent() {
        mkdir(parent)?;
    }
    write(p, content)
}

/// Directories (below the overlaid /etc, /usr, /var/lib) that hide the host's copy entirely.
pub const PRIVATE_DIRS: &[&str] = &["var/lib/nova-ve", "etc/nova-ve", "usr/libexec/nova-ve"];

/// Creates `dir` in an overlay upper dir, marked opaque so the lower dir's entries stay hidden.
fn mkdir_opaque(dir: &Path) -> Result<(), Error> {
    use std::os::unix::ffi::OsStrExt;
    mkdir(dir)?;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| Error::Config(format!("NUL in path {}", dir.display())))?;
    // SAFETY: NUL-terminated path and name, value pointer and length of a live slice.
    let rc = unsafe {
        libc::setxattr(
            path.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            b"y".as_ptr().cast(),
            1,
            0,
        )
    };
    if rc != 0 {
        return Err(Error::io(dir, std::io::Error::last_os_error()));
    }
    Ok(())
}

fn stage_binaries(dest: &Path, bins: &Path) -> Result<(), Error> {
    mkdir(dest)?;
    let Ok(entries) = fs::read_dir(bins) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Ok(meta) = entry.metadata() else { continue };
        if is_project_binary(name) && meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            link_or_copy(&entry.path(), &dest.join(name))?;
        }
    }
    Ok(())
}

/// Maps an absolute destination inside the sandbox to its path below the upper dirs.
fn overlay_relative(dest: &Path) -> Result<PathBuf, Error> {
    let bad = || {
        Error::Config(format!(
            "cannot install into sandbox path {}",
            dest.display()
        ))
    };
    let rel = dest.strip_prefix("/").map_err(|_| bad())?;
    if rel
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(bad());
    }
    let ok = ["etc", "usr", "var/lib"]
        .iter()
        .any(|top| rel.starts_with(top) && rel != Path::new(top));
    if ok {
        Ok(rel.to_path_buf())
    } else {
        Err(bad())
    }
}

fn files_with_ext(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    Ok(out)
}

fn copy_all(src_dir: &Path, exts: &[&str], dest_dir: &Path) -> Result<(), Error> {
    mkdir(dest_dir)?;
    for src in files_with_ext(src_dir, exts)? {
        copy_into(&src, dest_dir)?;
    }
    Ok(())
}

fn copy_into(src: &Path, dest_dir: &Path) -> Result<(), Error> {
    let name = src
        .file_name()
        .ok_or_else(|| Error::Config(format!("not a file: {}", src.display())))?;
    copy_file(src, &dest_dir.join(name))
}

/// Copies with mode 0644 (0755 if executable) so service users inside can read it.
fn copy_file(src: &Path, dest: &Path) -> Result<(), Error> {
    if let Some(parent) = dest.parent() {
        mkdir(parent)?;
    }
    fs::copy(src, dest).map_err(|e| Error::io(src, e))?;
    let exec = fs::metadata(src)
        .map_err(|e| Error::io(src, e))?
        .permissions()
        .mode()
        & 0o111;
    let mode = if exec != 0 { 0o755 } else { 0o644 };
    fs::set_permissions(dest, fs::Permissions::from_mode(mode)).map_err(|e| Error::io(dest, e))
}

/// Hard links are instant on the same filesystem; cargo replaces binaries by rename, so the
/// sandbox keeps the version it booted with.
fn link_or_copy(src: &Path, dest: &Path) -> Result<(), Error> {
    if fs::hard_link(src, dest).is_ok() {
        return Ok(());
    }
    copy_file(src, dest)
}

fn mkdir(p: &Path) -> Result<(), Error> {
    fs::create_dir_all(p).map_err(|e| Error::io(p, e))
}

fn write(p: &Path, content: &str) -> Result<(), Error> {
    fs::write(p, content).map_err(|e| Error::io(p, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_files_may_only_land_in_overlaid_dirs() {
        assert!(overlay_relative(Path::new("/etc/nova-ve/x.conf")).is_ok());
        assert!(overlay_relative(Path::new("/usr/share/polkit-1/actions/a.policy")).is_ok());
        assert!(overlay_relative(Path::new("/var/lib/nova-ve/labs/a.json")).is_ok());
        for bad in [
            "/tmp/x",
            "etc/x",
            "/etc",
            "/etc/../tmp/x",
            "/var/log/x",
            "/run/x",
        ] {
            assert!(overlay_relative(Path::new(bad)).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn private_dirs_are_opaque_in_the_upper_dir() {
        let base = crate::paths::state_base()
            .unwrap()
            .join(format!("unit-{}", std::process::id()));
        let plan = StagePlan {
            repo_root: crate::paths::repo_root(),
            ..StagePlan::default()
        };
        std::fs::create_dir_all(&base).unwrap();
        let result = stage(&base, &plan);
        let opaque: Vec<bool> = PRIVATE_DIRS
            .iter()
            .map(|d| xattr_is_y(&base.join("upper").join(d)))
            .collect();
        std::fs::remove_dir_all(&base).unwrap();
        result.unwrap();
        assert_eq!(opaque, vec![true; PRIVATE_DIRS.len()]);
    }

    fn xattr_is_y(p: &Path) -> bool {
        use std::os::unix::ffi::OsStrExt;
        let path = std::ffi::CString::new(p.as_os_str().as_bytes()).unwrap();
        let mut buf = [0u8; 4];
        // SAFETY: valid C strings and a buffer of the given length.
        let n = unsafe {
            libc::getxattr(
                path.as_ptr(),
                c"trusted.overlay.opaque".as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        n == 1 && buf[0] == b'y'
    }

    #[test]
    fn project_binaries_are_recognised() {
        assert!(is_project_binary("nova-ve-netd"));
        assert!(is_project_binary("novactl"));
        assert!(!is_project_binary("nova-sandbox"));
        assert!(!is_project_binary("nova-ve-netd.d"));
    }

    #[test]
    fn target_wants_extra_units() {
        let t = target_unit(&["nova-ve-netd.service".into()]);
        assert!(t.contains("polkit.service nova-ve-netd.service"));
    }
}
