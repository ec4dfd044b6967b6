//! spawn → [`PendingNode`] → release → [`RunningNode`].

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::child::{self, ChildFds, ChildPlan, PlanInput, RECORD_LEN, Record};
use crate::error::{Error, Result, os};
use crate::holder;
use crate::script::{BUSYBOX, FRR_LIBEXEC};
use crate::spec::{LinuxNodeSpec, Profile};
use crate::workdir::{self, WorkFiles};

/// How long spawn waits for the node to report its namespaces ready, and release for exec.
pub const REPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long dropping a [`PendingNode`] waits for the killed node to be gone.
pub const KILL_WAIT: Duration = Duration::from_secs(2);

/// Where a released node's stdout and stderr go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputSink {
    /// journald's stream socket, attributed to the node's scope unit.
    Journal,
    /// journald's socket was absent: this file in the work dir.
    LogFile(PathBuf),
}

/// A node whose namespaces exist and whose process waits for [`PendingNode::release`].
///
/// Meanwhile labd asks netd to wrap [`PendingNode::pid`] in its scope and to move and rename
/// its veth ends. Dropping it without release kills the node process.
#[derive(Debug)]
pub struct PendingNode {
    pid: u32,
    pidfd: Option<OwnedFd>,
    go: Option<File>,
    status: File,
    files: WorkFiles,
    report_timeout: Duration,
}

/// A released node: its program (busybox sh as PID 1 of the node) runs.
///
/// Dropping it does not stop the node: nodes outlive labd's handles; stopping the node's
/// scope (or [`RunningNode::kill`]) ends it.
#[derive(Debug)]
pub struct RunningNode {
    pid: u32,
    pidfd: OwnedFd,
    output: OutputSink,
    files: WorkFiles,
}

/// Creates the node's work dir and process: the process enters new user (root inside mapped
/// to the caller's uid and gid, setgroups denied), mount, network, UTS, IPC and PID
/// namespaces, sets the hostname, prepares its mounts, and blocks until released.
///
/// Blocks for a few milliseconds (call it from `spawn_blocking` in async code). Works
/// unprivileged where unprivileged user namespaces are allowed.
pub fn spawn(spec: &LinuxNodeSpec) -> Result<PendingNode> {
    spawn_with(spec, &SpawnOptions::default())
}

/// Knobs of [`spawn_with`]; the defaults are what production uses.
#[derive(Debug, Clone)]
pub struct SpawnOptions {
    /// journald's stream socket (tests point it at their own listener).
    pub journal_socket: PathBuf,
    /// How long to wait for the node's reports (ready; exec'd).
    pub report_timeout: Duration,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        Self {
            journal_socket: PathBuf::from(child::JOURNAL_STREAM_SOCKET),
            report_timeout: REPORT_TIMEOUT,
        }
    }
}

/// [`spawn`] with explicit [`SpawnOptions`].
pub fn spawn_with(spec: &LinuxNodeSpec, opts: &SpawnOptions) -> Result<PendingNode> {
    spec.validate()?;
    preflight(&spec.profile)?;
    let files = workdir::prepare(spec)?;
    let plan = ChildPlan::new(plan_input(spec, &files, &opts.journal_socket))?;
    let (status_r, status_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let fds = ChildFds {
        status_w: status_w.as_raw_fd(),
        go_r: go_r.as_raw_fd(),
    };
    let mid = fork_intermediate(&plan, fds)?;
    drop((status_w, go_r));
    reap(mid);
    let mut status = File::from(status_r);
    let (pid, outcome) = await_ready(&mut status, opts.report_timeout);
    if let Err(e) = outcome {
        if let Some(pid) = pid {
            // SAFETY: the node has not been released; it is blocked or already gone, and
            // its pid cannot have been reused while its status pipe is still open.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        return Err(e);
    }
    let pid = pid.ok_or(Error::ChildVanished("reporting its pid"))?;
    let mut pending = PendingNode {
        pid,
        pidfd: None,
        go: Some(File::from(go_w)),
        status,
        files,
        report_timeout: opts.report_timeout,
    };
    // If pidfd_open fails, dropping `pending` still kills the node by pid.
    pending.pidfd = Some(pidfd_open(pid)?);
    Ok(pending)
}

/// Checks the host has what the profile execs and mounts over, so a missing package is a
/// clear error before anything is created rather than a failed mount or exec.
fn preflight(profile: &Profile) -> Result<()> {
    let need = |path: &str, dir: bool, package: &'static str| {
        let p = Path::new(path);
        let ok = if dir { p.is_dir() } else { p.is_file() };
        ok.then_some(()).ok_or_else(|| Error::NotInstalled {
            path: p.to_owned(),
            package,
        })
    };
    need(BUSYBOX, false, "busybox-static")?;
    if let Profile::FrrRouter { daemons, .. } = profile {
        need("/usr/bin/vtysh", false, "frr")?;
        need("/etc/frr", true, "frr")?;
        need("/var/run/frr", true, "frr")?;
        let bins = std::iter::once("zebra").chain(daemons.iter().map(|d| d.binary()));
        for bin in bins {
            need(&format!("{FRR_LIBEXEC}/{bin}"), false, "frr")?;
        }
    }
    Ok(())
}

fn plan_input<'a>(
    spec: &'a LinuxNodeSpec,
    files: &'a WorkFiles,
    journal_socket: &'a Path,
) -> PlanInput<'a> {
    let script = files.init_script.as_os_str().as_encoded_bytes().to_vec();
    let env: Vec<Vec<u8>> = [
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
        "HOME=/root".to_owned(),
        format!("NOVA_LAB={}", spec.lab),
        format!("NOVA_NODE={}", spec.node),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect();
    let profile = match spec.profile {
        Profile::BusyboxHost { .. } => "host",
        Profile::FrrRouter { .. } => "router",
    };
    let mut holder_env = env.clone();
    holder_env.push([holder::ENV_HOLDER.to_bytes(), b"=1"].concat());
    holder_env.push(format!("{}={profile}", holder::ENV_PROFILE).into_bytes());
    let history = files.console_history.as_os_str().as_encoded_bytes();
    holder_env.push([holder::ENV_HISTORY.as_bytes(), b"=", history].concat());
    PlanInput {
        hostname: spec.hostname.as_str(),
        journal_identifier: spec.journal_identifier(),
        journal_socket,
        console_log: &files.console_log,
        frr: files.frr_etc.as_deref().zip(files.group.as_deref()),
        program: BUSYBOX,
        argv: vec![b"sh".to_vec(), script],
        env,
        work_dir: &spec.work_dir,
        holder_env,
    }
}

fn fork_intermediate(plan: &ChildPlan, fds: ChildFds) -> Result<libc::pid_t> {
    // SAFETY: the child runs only child::intermediate, which uses async-signal-safe raw
    // syscalls on the prepared `plan` and `fds` and ends with _exit.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(Error::Os {
            what: "fork",
            source: io::Error::last_os_error(),
        }),
        // SAFETY: we are the freshly forked child; plan and fds were prepared before the fork.
        0 => unsafe { child::intermediate(plan, fds) },
        pid => Ok(pid),
    }
}

fn reap(pid: libc::pid_t) {
    loop {
        // SAFETY: waits for our own child; a null status pointer is allowed.
        let rc = unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        if rc >= 0 || io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return;
        }
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    if rc < 0 {
        return Err(os("pipe2")(io::Error::last_os_error()));
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((above_stdio(r)?, above_stdio(w)?))
}

/// The node points 0..2 at /dev/null; if the caller runs with stdio closed, a pipe end could
/// be one of them, so move it to 3 or above.
fn above_stdio(fd: OwnedFd) -> Result<OwnedFd> {
    if fd.as_raw_fd() > 2 {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC duplicates a descriptor we own to the lowest free one >= 3.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(os("fcntl(F_DUPFD_CLOEXEC)")(io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

fn pidfd_open(pid: u32) -> Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return Err(os("pidfd_open")(io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Reads status records until the node's pid and its ready (or failure) report arrived.
fn await_ready(status: &mut File, timeout: Duration) -> (Option<u32>, Result<()>) {
    let deadline = Instant::now() + timeout;
    let (mut pid, mut ready) = (None, false);
    while pid.is_none() || !ready {
        match read_record(status, deadline, "its namespaces were ready") {
            Ok(Record::Pid(p)) => pid = Some(p as u32),
            Ok(Record::Ready) => ready = true,
            Ok(Record::Failed(step, e)) => return (pid, Err(child_failed(step, e))),
            Ok(Record::Journal | Record::LogFile) => {}
            Err(e) => return (pid, Err(e)),
        }
    }
    (pid, Ok(()))
}

fn child_failed(step: child::Step, e: i32) -> Error {
    Error::Child {
        step,
        source: io::Error::from_raw_os_error(e),
    }
}

/// One record, or `None` at EOF.
fn read_record_or_eof(status: &mut File, deadline: Instant) -> Result<Option<Record>> {
    let mut buf = [0u8; RECORD_LEN];
    wait_readable(status.as_fd(), deadline)?;
    match status.read_exact(&mut buf) {
        Ok(()) => Ok(Record::decode(buf)),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(os("read status pipe")(e)),
    }
}

fn read_record(status: &mut File, deadline: Instant, what: &'static str) -> Result<Record> {
    read_record_or_eof(status, deadline)?.ok_or(Error::ChildVanished(what))
}

/// Polls `fd` for input until `deadline`.
fn wait_readable(fd: BorrowedFd<'_>, deadline: Instant) -> Result<()> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = left.as_millis().min(i32::MAX as u128) as i32;
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut p, 1, ms) };
        match rc {
            1.. => return Ok(()),
            0 => return Err(Error::Timeout("waiting for the node process")),
            _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => continue,
            _ => return Err(os("poll")(io::Error::last_os_error())),
        }
    }
}

impl PendingNode {
    /// The node's PID 1, as seen from the caller's PID namespace: what netd wraps in the
    /// scope and uses to find the node's network namespace.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A pidfd for the node process.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|f| f.as_fd())
    }

    /// The node's work dir files.
    pub fn work_files(&self) -> &WorkFiles {
        &self.files
    }

    /// Lets the node run: it connects its output to journald (or the console log) — being in
    /// its scope by now, the stream is attributed to the scope — and execs its program.
    /// Returns once the exec succeeded.
    pub fn release(mut self) -> Result<RunningNode> {
        let mut go = self.go.take().ok_or(Error::ChildVanished("release"))?;
        if let Err(e) = go.write_all(&[child::GO]) {
            return Err(match e.raw_os_error() {
                Some(libc::EPIPE) => Error::ChildVanished("release"),
                _ => os("write go pipe")(e),
            });
        }
        drop(go);
        let output = match self.await_exec() {
            Ok(o) => o,
            Err(e) => {
                // Stuck or failed after the go byte: do not leave it behind.
                if let Some(fd) = &self.pidfd {
                    let _ = pidfd_kill(fd.as_fd(), libc::SIGKILL);
                }
                return Err(e);
            }
        };
        let pidfd = self.pidfd.take().ok_or(Error::ChildVanished("release"))?;
        Ok(RunningNode {
            pid: self.pid,
            pidfd,
            output,
            files: self.files.clone(),
        })
    }

    fn await_exec(&mut self) -> Result<OutputSink> {
        let deadline = Instant::now() + self.report_timeout;
        let mut sink = None;
        loop {
            match read_record_or_eof(&mut self.status, deadline)? {
                Some(Record::Journal) => sink = Some(OutputSink::Journal),
                Some(Record::LogFile) => {
                    sink = Some(OutputSink::LogFile(self.files.console_log.clone()))
                }
                Some(Record::Failed(step, e)) => return Err(child_failed(step, e)),
                Some(_) => {}
                // EOF: the status pipe is close-on-exec, so exec succeeded.
                None => return sink.ok_or(Error::ChildVanished("exec")),
            }
        }
    }
}

impl Drop for PendingNode {
    fn drop(&mut self) {
        if self.go.is_none() {
            return; // released (or releasing): the node is no longer ours to kill
        }
        match &self.pidfd {
            Some(fd) => {
                let _ = pidfd_kill(fd.as_fd(), libc::SIGKILL);
                let _ = wait_exit(fd.as_fd(), KILL_WAIT);
            }
            // SAFETY: the node is still blocked on our go pipe, so the pid is still its.
            None => unsafe {
                libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
            },
        }
    }
}

fn pidfd_kill(fd: BorrowedFd<'_>, sig: libc::c_int) -> io::Result<()> {
    // SAFETY: pidfd_send_signal with a valid pidfd, a null siginfo and no flags.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A pidfd polls readable once the process has exited.
fn wait_exit(fd: BorrowedFd<'_>, timeout: Duration) -> Result<bool> {
    match wait_readable(fd, Instant::now() + timeout) {
        Ok(()) => Ok(true),
        Err(Error::Timeout(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

impl RunningNode {
    /// The node's PID 1 in the caller's PID namespace.
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// A pidfd for the node's PID 1 (polls readable when the node has exited).
    pub fn pidfd(&self) -> BorrowedFd<'_> {
        self.pidfd.as_fd()
    }
    /// Where the node's output goes.
    pub fn output(&self) -> &OutputSink {
        &self.output
    }
    /// The node's work dir files.
    pub fn work_files(&self) -> &WorkFiles {
        &self.files
    }
    /// Runs `argv` inside the node (see [`crate::exec_in_node`]).
    pub fn exec<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<Output> {
        crate::exec::exec_in_node(self.pid, argv)
    }
    /// Adds an address to a hot-added `eth<index>` (see [`crate::add_interface_address`]).
    pub fn add_interface_address(&self, index: u16, addr: crate::IfAddr) -> Result<()> {
        crate::exec::add_interface_address(self.pid, index, addr)
    }
    /// Sends `signal` to the node's PID 1 (its init traps TERM, INT and HUP and stops).
    pub fn signal(&self, signal: libc::c_int) -> Result<()> {
        pidfd_kill(self.pidfd(), signal).map_err(os("pidfd_send_signal"))
    }
    /// SIGKILLs the node (everything in its PID namespace dies with PID 1) and waits up to
    /// `timeout` for it to be gone; returns whether it is.
    pub fn kill(&self, timeout: Duration) -> Result<bool> {
        self.signal(libc::SIGKILL)?;
        self.wait_exit(timeout)
    }
    /// Waits up to `timeout` for the node to exit; returns whether it has.
    pub fn wait_exit(&self, timeout: Duration) -> Result<bool> {
        wait_exit(self.pidfd(), timeout)
    }
    /// Whether the node's PID 1 still runs.
    pub fn is_running(&self) -> bool {
        !matches!(wait_exit(self.pidfd(), Duration::ZERO), Ok(true))
    }
    /// The console log path used when journald is absent.
    pub fn console_log(&self) -> &Path {
        &self.files.console_log
    }
    /// Becomes a viewer of the node's interactive console (see [`crate::open_console`]).
    pub fn open_console(&self) -> Result<std::os::unix::net::UnixStream> {
        crate::console::open_console(self.work_dir())
    }
    /// Sets the console's window size (see [`crate::resize_console`]).
    pub fn resize_console(&self, rows: u16, cols: u16) -> Result<()> {
        crate::console::resize_console(self.work_dir(), rows, cols)
    }
    fn work_dir(&self) -> &Path {
        // The socket is `<work_dir>/console.sock`.
        self.files.console_socket.parent().unwrap_or(Path::new("/"))
    }
}
