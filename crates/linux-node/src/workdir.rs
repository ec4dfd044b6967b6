//! The node's work directory: the generated init script, the FRR files bind-mounted into
//! the node's mount namespace, the console log used when journald is absent, and the
//! interactive console's socket and shell history.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::script;
use crate::spec::{LinuxNodeSpec, Profile};

/// `/etc/group` inside a router: FRR's daemons and vtysh look up `frr` and `frrvty`; only
/// gid 0 is mapped in the node's user namespace, so both are gid 0 with root a member.
pub const NODE_GROUP_FILE: &str = "root:x:0:\nfrr:x:0:root\nfrrvty:x:0:root\nnogroup:x:65534:\n";
/// `vtysh.conf`: one integrated `frr.conf` for every daemon (applied by `vtysh -b`).
pub const VTYSH_CONF: &str = "service integrated-vtysh-config\n";

/// Paths of the generated files.
#[derive(Debug, Clone)]
pub struct WorkFiles {
    /// The init script busybox sh runs as PID 1.
    pub init_script: PathBuf,
    /// Console log used when the journal's stream socket is absent.
    pub console_log: PathBuf,
    /// The interactive console's socket, bound by the node when released (see
    /// [`crate::open_console`]).
    pub console_socket: PathBuf,
    /// The console shell's history (`HISTFILE`), kept across shell restarts.
    pub console_history: PathBuf,
    /// `<work>/etc/frr`, bind-mounted on `/etc/frr` (routers only).
    pub frr_etc: Option<PathBuf>,
    /// `<work>/etc/group`, bind-mounted on `/etc/group` (routers only).
    pub group: Option<PathBuf>,
}

/// Creates the work dir (0700) and (re)writes every generated file.
pub fn prepare(spec: &LinuxNodeSpec) -> Result<WorkFiles> {
    let dir = &spec.work_dir;
    mkdir(dir)?;
    let init_script = dir.join("init.sh");
    write(&init_script, &script::init_script(spec))?;
    let mut files = WorkFiles {
        init_script,
        console_log: dir.join("console.log"),
        console_socket: crate::console::console_socket_path(dir),
        console_history: dir.join("console_history"),
        frr_etc: None,
        group: None,
    };
    if let Profile::FrrRouter { frr_conf, daemons } = &spec.profile {
        let etc = dir.join("etc");
        let frr = etc.join("frr");
        mkdir(&etc)?;
        mkdir(&frr)?;
        write(&frr.join("frr.conf"), frr_conf.as_str())?;
        write(&frr.join("vtysh.conf"), VTYSH_CONF)?;
        write(&frr.join("daemons"), &script::frr_daemons_file(daemons))?;
        let group = etc.join("group");
        write(&group, NODE_GROUP_FILE)?;
        files.frr_etc = Some(frr);
        files.group = Some(group);
    }
    Ok(files)
}

fn wd_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::WorkDir {
        path: path.to_owned(),
        source,
    }
}

fn mkdir(path: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(wd_err(path))
}

fn write(path: &Path, text: &str) -> Result<()> {
    fs::write(path, text).map_err(wd_err(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(wd_err(path))
}
