//! Running a command inside a node's namespaces.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};

use crate::error::{Error, Result, os};
use crate::script::BUSYBOX;
use crate::spec::IfAddr;

/// Namespaces entered, user first: entering it gives the caller (the unprivileged owner of
/// the node's user namespace) the capabilities the others need. The PID namespace is not
/// entered: the command stays in the caller's, which only matters for `ps` and `kill`.
const NAMESPACES: [(&str, libc::c_int); 5] = [
    ("user", libc::CLONE_NEWUSER),
    ("mnt", libc::CLONE_NEWNS),
    ("net", libc::CLONE_NEWNET),
    ("uts", libc::CLONE_NEWUTS),
    ("ipc", libc::CLONE_NEWIPC),
];

/// A [`Command`] for `argv` that, once spawned, runs inside the node whose PID 1 is `pid`
/// (user, mount, network, UTS and IPC namespaces; root inside; environment cleared but for
/// `PATH`; stdin /dev/null). Use it to add timeouts or stream output; [`exec_in_node`] is the
/// simple form.
pub fn node_command<S: AsRef<OsStr>>(pid: u32, argv: &[S]) -> Result<Command> {
    let (prog, args) = argv.split_first().ok_or(Error::EmptyArgv)?;
    let fds = open_namespaces(pid)?;
    let mut cmd = Command::new(prog);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .current_dir("/")
        .stdin(Stdio::null());
    let enter = move || enter_namespaces(&fds);
    // SAFETY: the closure runs between fork and exec and only calls setns and chdir (raw,
    // async-signal-safe syscalls) on descriptors opened before the fork.
    unsafe { cmd.pre_exec(enter) };
    Ok(cmd)
}

/// Runs `argv` inside the node whose PID 1 is `pid` and collects its output.
pub fn exec_in_node<S: AsRef<OsStr>>(pid: u32, argv: &[S]) -> Result<Output> {
    node_command(pid, argv)?
        .output()
        .map_err(os("exec in node"))
}

/// Sets `eth<index>` up and adds `addr` to it inside a running node: for interfaces netd
/// hot-adds after the node started (the init script configures the spec's interfaces
/// itself). Idempotent (`ip addr replace`). Runs the node's busybox `ip` with typed
/// arguments only.
pub fn add_interface_address(pid: u32, index: u16, addr: IfAddr) -> Result<()> {
    let ifname = format!("eth{index}");
    run_ok(pid, &[BUSYBOX, "ip", "link", "set", "dev", &ifname, "up"])?;
    let addr = addr.to_string();
    run_ok(
        pid,
        &[BUSYBOX, "ip", "addr", "replace", &addr, "dev", &ifname],
    )
}

fn run_ok(pid: u32, argv: &[&str]) -> Result<()> {
    let out = exec_in_node(pid, argv)?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::NodeCommand {
        command: argv.join(" "),
        status: out.status,
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
    })
}

fn open_namespaces(pid: u32) -> Result<Vec<(OwnedFd, libc::c_int)>> {
    NAMESPACES
        .iter()
        .map(|(name, flag)| {
            let path = format!("/proc/{pid}/ns/{name}");
            let f = File::open(&path).map_err(os("open node namespace"))?;
            Ok((OwnedFd::from(f), *flag))
        })
        .collect()
}

fn enter_namespaces(fds: &[(OwnedFd, libc::c_int)]) -> io::Result<()> {
    for (fd, flag) in fds {
        // SAFETY: setns on a namespace descriptor we own.
        if unsafe { libc::setns(fd.as_raw_fd(), *flag) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    // SAFETY: static NUL-terminated path; entering a mount namespace leaves cwd dangling.
    if unsafe { libc::chdir(c"/".as_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
