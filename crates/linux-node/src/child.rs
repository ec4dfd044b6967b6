//! The node process between fork and exec.
//!
//! labd is multi-threaded, so after `fork` only async-signal-safe operations are allowed:
//! everything here is a raw syscall on memory prepared before the fork ([`ChildPlan`]); no
//! allocation, no locks, no panics. Failures are reported to the parent as fixed-size
//! records on the status pipe ([`Record`]) and end the process with `_exit`.
//!
//! Process shape: labd forks an intermediate process, which `clone`s the node with
//! `CLONE_NEWUSER | NEWNS | NEWNET | NEWUTS | NEWIPC | NEWPID`, reports the node's pid and
//! exits. The node is PID 1 of its own PID namespace (when it exits the kernel kills
//! everything left in the node) and is not labd's child, so labd never has zombies to reap
//! and nodes look the same before and after a labd restart.
//!
//! After release the node binds its console socket and forks the console holder, which
//! execs `/proc/self/exe` (see [`crate::holder`]), before exec'ing its own program.

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::console::CONSOLE_SOCKET;
use crate::error::{Result, invalid};
use crate::holder::{self, LISTEN_FD};

/// The setup step a node process was at when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(missing_docs)]
pub enum Step {
    Fork = 1,
    Clone,
    Setgroups,
    UidMap,
    GidMap,
    Hostname,
    MountPrivate,
    BindFrrEtc,
    BindGroup,
    TmpfsFrrRun,
    TmpfsVarTmp,
    MountProc,
    DevNull,
    OutputLog,
    Exec,
    ConsoleSocket,
    ConsoleFork,
    ConsoleExec,
    Unknown,
}

impl Step {
    fn from_u8(v: u8) -> Self {
        const ALL: [Step; 18] = [
            Step::Fork,
            Step::Clone,
            Step::Setgroups,
            Step::UidMap,
            Step::GidMap,
            Step::Hostname,
            Step::MountPrivate,
            Step::BindFrrEtc,
            Step::BindGroup,
            Step::TmpfsFrrRun,
            Step::TmpfsVarTmp,
            Step::MountProc,
            Step::DevNull,
            Step::OutputLog,
            Step::Exec,
            Step::ConsoleSocket,
            Step::ConsoleFork,
            Step::ConsoleExec,
        ];
        ALL.into_iter()
            .find(|s| *s as u8 == v)
            .unwrap_or(Step::Unknown)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Fork => "fork",
            Self::Clone => "clone into new user/mount/net/uts/ipc/pid namespaces",
            Self::Setgroups => "write /proc/self/setgroups",
            Self::UidMap => "write /proc/self/uid_map",
            Self::GidMap => "write /proc/self/gid_map",
            Self::Hostname => "sethostname",
            Self::MountPrivate => "make / private",
            Self::BindFrrEtc => "bind-mount the node's etc/frr on /etc/frr",
            Self::BindGroup => "bind-mount the node's etc/group on /etc/group",
            Self::TmpfsFrrRun => "mount a tmpfs on /var/run/frr",
            Self::TmpfsVarTmp => "mount a tmpfs on /var/tmp",
            Self::MountProc => "mount /proc for the node's pid namespace",
            Self::DevNull => "open /dev/null",
            Self::OutputLog => "open the fallback console log",
            Self::Exec => "exec the node's program",
            Self::ConsoleSocket => "bind the console socket in the work dir",
            Self::ConsoleFork => "fork the console holder",
            Self::ConsoleExec => "exec the console holder (/proc/self/exe)",
            Self::Unknown => "an unknown step",
        })
    }
}

/// A status pipe record: 8 bytes (atomic on a pipe), `[kind, step, 0, 0, value as i32 LE]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// From the intermediate: the node's pid (in the caller's pid namespace).
    Pid(i32),
    /// The node's namespaces and mounts are ready; it waits for release.
    Ready,
    /// Output connected to journald's stream socket.
    Journal,
    /// Output goes to the fallback console log.
    LogFile,
    /// A step failed with this errno.
    Failed(Step, i32),
}

/// Size of one record.
pub const RECORD_LEN: usize = 8;

impl Record {
    fn encode(self) -> [u8; RECORD_LEN] {
        let (kind, step, value) = match self {
            Self::Pid(p) => (b'P', 0, p),
            Self::Ready => (b'R', 0, 0),
            Self::Journal => (b'J', 0, 0),
            Self::LogFile => (b'F', 0, 0),
            Self::Failed(s, e) => (b'E', s as u8, e),
        };
        let v = value.to_le_bytes();
        [kind, step, 0, 0, v[0], v[1], v[2], v[3]]
    }

    /// Decodes a record; `None` for garbage.
    pub fn decode(b: [u8; RECORD_LEN]) -> Option<Self> {
        let value = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        Some(match b[0] {
            b'P' => Self::Pid(value),
            b'R' => Self::Ready,
            b'J' => Self::Journal,
            b'F' => Self::LogFile,
            b'E' => Self::Failed(Step::from_u8(b[1]), value),
            _ => return None,
        })
    }
}

/// One mount the node makes in its own mount namespace.
#[derive(Debug)]
struct MountOp {
    source: CString,
    target: CString,
    fstype: Option<CString>,
    flags: libc::c_ulong,
    data: Option<CString>,
    step: Step,
}

/// The byte `release` writes on the go pipe; anything else (or EOF: labd died) ends the node.
pub const GO: u8 = b'G';

/// Everything the node process needs, built before the fork.
#[derive(Debug)]
pub struct ChildPlan {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    hostname: Vec<u8>,
    mounts: Vec<MountOp>,
    journal_addr: libc::sockaddr_un,
    journal_header: Vec<u8>,
    console_log: CString,
    program: CString,
    work_dir: CString,
    /// `console.sock`, relative: bound after a chdir to the work dir, so any work dir length
    /// fits `sun_path`.
    console_addr: libc::sockaddr_un,
    // The pointer arrays point into these; kept alive alongside.
    _argv: Vec<CString>,
    _envp: Vec<CString>,
    _holder_argv: Vec<CString>,
    _holder_envp: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    envp_ptrs: Vec<*const libc::c_char>,
    holder_argv_ptrs: Vec<*const libc::c_char>,
    holder_envp_ptrs: Vec<*const libc::c_char>,
    holder_stack: HolderStack,
}

/// The stack the console holder's `clone(CLONE_VM | CLONE_VFORK)` child runs on until its
/// exec (as `posix_spawn` does): no copy of the node process's page tables — still those of
/// labd's whole address space at that point — and nothing to tear down at the exec.
#[derive(Debug)]
struct HolderStack {
    base: *mut libc::c_void,
    len: usize,
}

impl HolderStack {
    /// Plenty for `exec_holder` (a few syscalls and one 8-byte report).
    const LEN: usize = 64 * 1024;

    fn new() -> Result<Self> {
        // SAFETY: a fresh private anonymous mapping; checked for MAP_FAILED below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                Self::LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(crate::error::os("mmap holder stack")(
                std::io::Error::last_os_error(),
            ));
        }
        Ok(Self {
            base,
            len: Self::LEN,
        })
    }

    /// The initial stack pointer (stacks grow down), 16-byte aligned.
    fn top(&self) -> *mut libc::c_void {
        // SAFETY: one past the end of the mapping, which is page-aligned (so is the end).
        unsafe { self.base.cast::<u8>().add(self.len).cast() }
    }
}

impl Drop for HolderStack {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

/// What the console holder's fork execs: the binary that spawned the node, whose
/// constructor ([`crate::holder`]) becomes the holder.
const HOLDER_PROGRAM: &CStr = c"/proc/self/exe";

/// The journal's stream socket (see systemd's `sd_journal_stream_fd`).
pub const JOURNAL_STREAM_SOCKET: &str = "/run/systemd/journal/stdout";

/// Inputs of [`ChildPlan::new`].
#[derive(Debug)]
pub struct PlanInput<'a> {
    pub hostname: &'a str,
    pub journal_identifier: String,
    pub journal_socket: &'a Path,
    pub console_log: &'a Path,
    pub frr: Option<(&'a Path, &'a Path)>,
    pub program: &'a str,
    pub argv: Vec<Vec<u8>>,
    pub env: Vec<Vec<u8>>,
    pub work_dir: &'a Path,
    pub holder_env: Vec<Vec<u8>>,
}

impl ChildPlan {
    /// Builds every string and buffer the child will use.
    pub fn new(input: PlanInput<'_>) -> Result<Self> {
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let argv = cstrings(input.argv)?;
        let envp = cstrings(input.env)?;
        let argv_ptrs = null_terminated(&argv);
        let envp_ptrs = null_terminated(&envp);
        let holder_argv = cstrings(holder::ARGV.iter().map(|a| a.as_bytes().to_vec()).collect())?;
        let holder_envp = cstrings(input.holder_env)?;
        let holder_argv_ptrs = null_terminated(&holder_argv);
        let holder_envp_ptrs = null_terminated(&holder_envp);
        // A use of the holder's constructor from the spawning code: whichever binary can
        // spawn a node links it, so the holder's exec of that binary finds it.
        std::hint::black_box(&holder::HOLDER_HOOK);
        Ok(Self {
            uid_map: format!("0 {uid} 1\n").into_bytes(),
            gid_map: format!("0 {gid} 1\n").into_bytes(),
            hostname: input.hostname.as_bytes().to_vec(),
            mounts: mounts(input.frr)?,
            journal_addr: unix_addr(input.journal_socket)?,
            journal_header: journal_header(&input.journal_identifier),
            console_log: path_cstring(input.console_log)?,
            program: cstring(input.program.as_bytes().to_vec())?,
            work_dir: path_cstring(input.work_dir)?,
            console_addr: unix_addr(Path::new(CONSOLE_SOCKET))?,
            _argv: argv,
            _envp: envp,
            _holder_argv: holder_argv,
            _holder_envp: holder_envp,
            argv_ptrs,
            envp_ptrs,
            holder_argv_ptrs,
            holder_envp_ptrs,
            holder_stack: HolderStack::new()?,
        })
    }
}

/// The stream header journald expects: identifier, unit id (empty: journald takes the unit
/// from the peer's cgroup), priority, level_prefix, forward to syslog / kmsg / console.
fn journal_header(identifier: &str) -> Vec<u8> {
    format!("{identifier}\n\n6\n1\n0\n0\n0\n").into_bytes()
}

fn mounts(frr: Option<(&Path, &Path)>) -> Result<Vec<MountOp>> {
    let mut v = Vec::new();
    if let Some((etc_frr, group)) = frr {
        v.push(bind(path_cstring(etc_frr)?, c"/etc/frr", Step::BindFrrEtc));
        v.push(bind(path_cstring(group)?, c"/etc/group", Step::BindGroup));
        v.push(MountOp {
            source: c"tmpfs".to_owned(),
            target: c"/var/run/frr".to_owned(),
            fstype: Some(c"tmpfs".to_owned()),
            flags: libc::MS_NOSUID | libc::MS_NODEV,
            data: Some(c"mode=0755,size=16m".to_owned()),
            step: Step::TmpfsFrrRun,
        });
        // FRR keeps crash logs in /var/tmp/frr: without this they land on the host's disk.
        v.push(MountOp {
            source: c"tmpfs".to_owned(),
            target: c"/var/tmp".to_owned(),
            fstype: Some(c"tmpfs".to_owned()),
            flags: libc::MS_NOSUID | libc::MS_NODEV,
            data: Some(c"mode=1777,size=16m".to_owned()),
            step: Step::TmpfsVarTmp,
        });
    }
    v.push(MountOp {
        source: c"proc".to_owned(),
        target: c"/proc".to_owned(),
        fstype: Some(c"proc".to_owned()),
        flags: libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        data: None,
        step: Step::MountProc,
    });
    Ok(v)
}

fn bind(source: CString, target: &CStr, step: Step) -> MountOp {
    MountOp {
        source,
        target: target.to_owned(),
        fstype: None,
        flags: libc::MS_BIND,
        data: None,
        step,
    }
}

fn cstring(v: Vec<u8>) -> Result<CString> {
    CString::new(v).map_err(|_| invalid("argv/env", "NUL byte"))
}

fn cstrings(v: Vec<Vec<u8>>) -> Result<Vec<CString>> {
    v.into_iter().map(cstring).collect()
}

fn path_cstring(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| invalid("work_dir", "NUL byte"))
}

fn null_terminated(v: &[CString]) -> Vec<*const libc::c_char> {
    v.iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

fn unix_addr(path: &Path) -> Result<libc::sockaddr_un> {
    // SAFETY: sockaddr_un is plain old data; all-zero is a valid value.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    let bytes = path.as_os_str().as_bytes();
    // Keep a terminating NUL: sun_path is 108 bytes.
    if bytes.len() >= a.sun_path.len() || bytes.contains(&0) {
        return Err(invalid(
            "journal_socket",
            "path too long for a unix socket, or has NUL",
        ));
    }
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in a.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    Ok(a)
}

/// The pipe ends the child uses.
#[derive(Debug, Clone, Copy)]
pub struct ChildFds {
    /// Write end of the status pipe (close-on-exec: EOF tells the parent exec succeeded).
    pub status_w: RawFd,
    /// Read end of the go pipe.
    pub go_r: RawFd,
}

/// Namespaces a node gets. No cgroup namespace: journald and systemd must see the real
/// cgroup path of the scope.
pub const CLONE_FLAGS: libc::c_int = libc::CLONE_NEWUSER
    | libc::CLONE_NEWNS
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWPID;

type StepResult = std::result::Result<(), (Step, i32)>;

fn errno() -> i32 {
    // SAFETY: __errno_location returns this thread's errno slot, always valid.
    unsafe { *libc::__errno_location() }
}

fn report(fd: RawFd, r: Record) {
    let b = r.encode();
    // SAFETY: writes 8 bytes from a live stack buffer; a pipe write of <= PIPE_BUF is atomic.
    unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
}

fn fail(fd: RawFd, step: Step, code: i32) -> ! {
    report(fd, Record::Failed(step, code));
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code.clamp(1, 125)) }
}

/// Runs in the intermediate process (forked from labd): clones the node, reports its pid,
/// exits.
///
/// # Safety
/// Call only in a freshly forked child; `plan` and `fds` must have been prepared before the
/// fork. Never returns.
pub unsafe fn intermediate(plan: &ChildPlan, fds: ChildFds) -> ! {
    let flags = (CLONE_FLAGS | libc::SIGCHLD) as libc::c_ulong;
    // SAFETY: a raw clone without CLONE_VM and with a null stack behaves like fork: the
    // child gets a copy-on-write copy of this (single-threaded) process and continues here.
    let pid = unsafe { libc::syscall(libc::SYS_clone, flags, 0usize, 0usize, 0usize, 0usize) };
    if pid < 0 {
        fail(fds.status_w, Step::Clone, errno());
    }
    if pid == 0 {
        node_main(plan, fds);
    }
    report(fds.status_w, Record::Pid(pid as i32));
    // SAFETY: _exit is async-signal-safe.
    unsafe { libc::_exit(0) }
}

fn node_main(plan: &ChildPlan, fds: ChildFds) -> ! {
    reset_signals();
    close_other_fds(fds);
    if let Err((step, e)) = setup(plan) {
        fail(fds.status_w, step, e);
    }
    report(fds.status_w, Record::Ready);
    if !wait_for_go(fds.go_r) {
        // labd dropped the PendingNode or died: no orphans.
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(0) }
    }
    match connect_output(plan) {
        Ok(r) => report(fds.status_w, r),
        Err((step, e)) => fail(fds.status_w, step, e),
    }
    if let Err((step, e)) = start_console(plan, fds.status_w) {
        fail(fds.status_w, step, e);
    }
    // SAFETY: program, argv and envp are NUL-terminated strings and null-terminated pointer
    // arrays owned by `plan`, alive until exec replaces the process.
    unsafe {
        libc::execve(
            plan.program.as_ptr(),
            plan.argv_ptrs.as_ptr(),
            plan.envp_ptrs.as_ptr(),
        )
    };
    fail(fds.status_w, Step::Exec, errno())
}

/// Undoes labd's signal set-up: its handlers (e.g. tokio's) must not run in the node, and
/// ignored dispositions (Rust ignores SIGPIPE) and the blocked mask would survive exec into
/// busybox and FRR (a blocked TERM would defeat the init script's trap).
fn reset_signals() {
    // 1..=64: every Linux signal number (_NSIG is 65).
    for sig in 1..65 {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: signal() with SIG_DFL is async-signal-safe; invalid numbers just fail.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
    // SAFETY: an empty, initialised set; SIG_SETMASK with it unblocks everything.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Closes every inherited descriptor above 2 except the two pipe ends, so a pending node
/// holds none of labd's sockets or other nodes' go pipes.
fn close_other_fds(fds: ChildFds) {
    let (a, b) = if fds.status_w < fds.go_r {
        (fds.status_w, fds.go_r)
    } else {
        (fds.go_r, fds.status_w)
    };
    let ranges = [(3, a - 1), (a + 1, b - 1), (b + 1, libc::c_int::MAX)];
    for (lo, hi) in ranges {
        if lo <= hi {
            // SAFETY: close_range only closes descriptors; errors (e.g. ENOSYS) are harmless
            // because labd's descriptors are close-on-exec anyway.
            unsafe {
                libc::syscall(
                    libc::SYS_close_range,
                    lo as libc::c_uint,
                    hi as libc::c_uint,
                    0,
                )
            };
        }
    }
}

fn setup(plan: &ChildPlan) -> StepResult {
    write_file(c"/proc/self/setgroups", b"deny", Step::Setgroups)?;
    write_file(c"/proc/self/uid_map", &plan.uid_map, Step::UidMap)?;
    write_file(c"/proc/self/gid_map", &plan.gid_map, Step::GidMap)?;
    // SAFETY: pointer and length describe plan.hostname.
    check(
        unsafe { libc::sethostname(plan.hostname.as_ptr().cast(), plan.hostname.len()) },
        Step::Hostname,
    )?;
    let private = (libc::MS_REC | libc::MS_PRIVATE) as libc::c_ulong;
    // SAFETY: static NUL-terminated strings; null source/fstype/data are allowed for a
    // propagation change.
    check(
        unsafe {
            libc::mount(
                std::ptr::null(),
                c"/".as_ptr(),
                std::ptr::null(),
                private,
                std::ptr::null(),
            )
        },
        Step::MountPrivate,
    )?;
    for m in &plan.mounts {
        do_mount(m)?;
    }
    // SAFETY: static NUL-terminated path.
    check(unsafe { libc::chdir(c"/".as_ptr()) }, Step::MountPrivate)?;
    stdio_to_devnull()
}

fn check(rc: libc::c_int, step: Step) -> StepResult {
    if rc < 0 { Err((step, errno())) } else { Ok(()) }
}

fn do_mount(m: &MountOp) -> StepResult {
    let opt = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: all pointers are NUL-terminated strings owned by the plan, or null where the
    // kernel allows it (fstype and data for a bind mount).
    let rc = unsafe {
        libc::mount(
            m.source.as_ptr(),
            m.target.as_ptr(),
            opt(&m.fstype),
            m.flags,
            opt(&m.data).cast(),
        )
    };
    check(rc, m.step)
}

fn write_file(path: &CStr, data: &[u8], step: Step) -> StepResult {
    // SAFETY: NUL-terminated path; the fd is closed below.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    check(fd, step)?;
    // SAFETY: writes `data` from a live slice to the fd just opened.
    let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    let e = errno();
    // SAFETY: closes the fd opened above.
    unsafe { libc::close(fd) };
    if n != data.len() as isize {
        return Err((step, if n < 0 { e } else { libc::EIO }));
    }
    Ok(())
}

/// Points 0, 1 and 2 at /dev/null: the node must not write into labd's stdout while it
/// waits, and after this any new descriptor is >= 3.
fn stdio_to_devnull() -> StepResult {
    // SAFETY: static NUL-terminated path.
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    check(fd, Step::DevNull)?;
    for target in 0..3 {
        if fd != target {
            // SAFETY: dup2 of a valid descriptor; the copy is not close-on-exec.
            check(unsafe { libc::dup2(fd, target) }, Step::DevNull)?;
        }
    }
    if fd > 2 {
        // SAFETY: closes our own temporary descriptor.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// Binds `<work_dir>/console.sock` (mode 0600) and forks the console holder, which gets the
/// listening socket on [`LISTEN_FD`]. Binding here, before the node's program runs, means
/// the socket accepts connections (queued until the holder runs) by the time `release`
/// returns. The holder is a child of the node's PID 1: in all its namespaces and its scope.
fn start_console(plan: &ChildPlan, status_w: RawFd) -> StepResult {
    // SAFETY: plain socket creation.
    let lfd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    check(lfd, Step::ConsoleSocket)?;
    let listening = bind_console(plan, lfd);
    let forked = listening.and_then(|()| {
        let args = HolderArgs {
            plan,
            lfd,
            status_w,
        };
        let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
        // SAFETY: the child runs `holder_entry` on its own prepared stack, sharing our memory
        // while we are suspended (CLONE_VFORK) until it execs or exits; it only reads `args`
        // (alive in this frame meanwhile) and the plan, and makes raw syscalls.
        let pid = unsafe {
            libc::clone(
                holder_entry,
                plan.holder_stack.top(),
                flags,
                (&args as *const HolderArgs<'_>).cast_mut().cast(),
            )
        };
        if pid < 0 {
            Err((Step::ConsoleFork, errno()))
        } else {
            Ok(())
        }
    });
    // SAFETY: closes our copy of the socket; the holder has its own.
    unsafe { libc::close(lfd) };
    forked
}

fn bind_console(plan: &ChildPlan, lfd: RawFd) -> StepResult {
    // SAFETY: NUL-terminated path owned by the plan.
    check(
        unsafe { libc::chdir(plan.work_dir.as_ptr()) },
        Step::ConsoleSocket,
    )?;
    let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    let addr = (&plan.console_addr as *const libc::sockaddr_un).cast();
    // SAFETY: unlink of a static relative path (a stale socket of an earlier run); umask and
    // bind on the prepared address; chdir back to a static path.
    let (rc, e) = unsafe {
        libc::unlink(plan.console_addr.sun_path.as_ptr());
        let old = libc::umask(0o177);
        let rc = libc::bind(lfd, addr, len);
        let e = errno();
        libc::umask(old);
        libc::chdir(c"/".as_ptr());
        (rc, e)
    };
    if rc < 0 {
        return Err((Step::ConsoleSocket, e));
    }
    // SAFETY: listen on the socket just bound.
    check(unsafe { libc::listen(lfd, 64) }, Step::ConsoleSocket)
}

struct HolderArgs<'a> {
    plan: &'a ChildPlan,
    lfd: RawFd,
    status_w: RawFd,
}

extern "C" fn holder_entry(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` points at the HolderArgs in start_console's frame, which lives until we
    // exec or exit (the parent is suspended by CLONE_VFORK).
    let a = unsafe { &*arg.cast::<HolderArgs<'_>>() };
    exec_holder(a.plan, a.lfd, a.status_w)
}

/// In the holder's clone: the socket onto [`LISTEN_FD`] (inheritable), exec the spawning
/// binary. Failures are reported on the status pipe, which `release` reads to its EOF.
fn exec_holder(plan: &ChildPlan, lfd: RawFd, status_w: RawFd) -> ! {
    let mut report_fd = status_w;
    if report_fd == LISTEN_FD {
        // SAFETY: duplicates our status pipe end above LISTEN_FD (close-on-exec).
        report_fd = unsafe { libc::fcntl(status_w, libc::F_DUPFD_CLOEXEC, LISTEN_FD + 1) };
    }
    // SAFETY: descriptor juggling on descriptors this process owns.
    let rc = unsafe {
        if lfd == LISTEN_FD {
            libc::fcntl(lfd, libc::F_SETFD, 0)
        } else {
            libc::dup2(lfd, LISTEN_FD)
        }
    };
    if rc < 0 {
        fail(report_fd, Step::ConsoleExec, errno());
    }
    // SAFETY: program, argv and envp are NUL-terminated strings and null-terminated pointer
    // arrays owned by `plan`, alive until exec replaces the process.
    unsafe {
        libc::execve(
            HOLDER_PROGRAM.as_ptr(),
            plan.holder_argv_ptrs.as_ptr(),
            plan.holder_envp_ptrs.as_ptr(),
        )
    };
    fail(report_fd, Step::ConsoleExec, errno())
}

fn wait_for_go(go_r: RawFd) -> bool {
    let mut b = 0u8;
    loop {
        // SAFETY: reads one byte into a live stack variable.
        let n = unsafe { libc::read(go_r, (&mut b as *mut u8).cast(), 1) };
        if n < 0 && errno() == libc::EINTR {
            continue;
        }
        return n == 1 && b == GO;
    }
}

/// Connects stdout and stderr to journald's stream socket (now that the node is in its
/// scope, journald attributes the stream to the scope's unit), or else to the console log.
fn connect_output(plan: &ChildPlan) -> std::result::Result<Record, (Step, i32)> {
    if let Some(fd) = journal_stream(plan) {
        dup_to_stdout_stderr(fd);
        return Ok(Record::Journal);
    }
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND | libc::O_CLOEXEC;
    // SAFETY: NUL-terminated path owned by the plan.
    let fd = unsafe { libc::open(plan.console_log.as_ptr(), flags, 0o600 as libc::c_uint) };
    check(fd, Step::OutputLog)?;
    dup_to_stdout_stderr(fd);
    Ok(Record::LogFile)
}

fn journal_stream(plan: &ChildPlan) -> Option<RawFd> {
    // SAFETY: plain socket creation.
    let fd = unsafe { libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    let len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    let addr = (&plan.journal_addr as *const libc::sockaddr_un).cast();
    let h = &plan.journal_header;
    // SAFETY: addr/len describe the prepared sockaddr_un; the header is a live buffer.
    let ok = unsafe {
        libc::connect(fd, addr, len) == 0
            && libc::write(fd, h.as_ptr().cast(), h.len()) == h.len() as isize
            && libc::shutdown(fd, libc::SHUT_RD) == 0
    };
    if ok {
        return Some(fd);
    }
    // SAFETY: closes the socket created above.
    unsafe { libc::close(fd) };
    None
}

/// `fd` is >= 3 (0..2 are /dev/null), so dup2 always makes fresh, inheritable copies.
fn dup_to_stdout_stderr(fd: RawFd) {
    // SAFETY: dup2/close on descriptors this process owns.
    unsafe {
        libc::dup2(fd, 1);
        libc::dup2(fd, 2);
        libc::close(fd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let all = [
            Record::Pid(4_000_000),
            Record::Ready,
            Record::Journal,
            Record::LogFile,
            Record::Failed(Step::UidMap, libc::EPERM),
            Record::Failed(Step::Exec, libc::ENOENT),
        ];
        for r in all {
            assert_eq!(Record::decode(r.encode()), Some(r));
        }
        assert_eq!(Record::decode(*b"Zxxxxxxx"), None);
        assert_eq!(
            Record::decode([b'E', 200, 0, 0, 1, 0, 0, 0]),
            Some(Record::Failed(Step::Unknown, 1))
        );
    }

    #[test]
    fn journal_header_is_the_stream_protocol() {
        let h = journal_header("nova-node-l-n");
        assert_eq!(h, b"nova-node-l-n\n\n6\n1\n0\n0\n0\n");
    }

    #[test]
    fn over_long_socket_path_is_refused() {
        let long = Path::new("/").join("x".repeat(120));
        assert!(unix_addr(&long).is_err());
        assert!(unix_addr(Path::new(JOURNAL_STREAM_SOCKET)).is_ok());
    }
}
