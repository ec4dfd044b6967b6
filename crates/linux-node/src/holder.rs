//! The console holder: the process inside a node that owns its PTY (see [`crate::console`]
//! for the design and the protocol).
//!
//! It is this crate's code in whatever binary spawned the node (labd; a test binary in
//! tests): the node process forks before exec'ing its init, and the fork execs
//! `/proc/self/exe` with [`ENV_HOLDER`] set and the bound console socket on [`LISTEN_FD`].
//! An ELF constructor ([`HOLDER_HOOK`]) in every binary that links this crate checks that
//! variable before `main`; when it is set (and [`LISTEN_FD`] is a listening socket) the
//! holder runs and the process exits without ever reaching `main`. [`ARGV`] holds an option
//! no `main` accepts, so should the constructor ever be missing the binary's own argument
//! parsing (clap, libtest) refuses to start instead of running a second labd in the node.
//!
//! After exec this is an ordinary single-threaded process: it allocates, and drives
//! everything from one `poll` loop (listener, PTY master, viewers, half-open handshakes and a
//! signalfd for SIGCHLD); nothing spins and nothing blocks on a viewer.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::ffi::{CStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::console::{
    CONSOLE_RING_LEN, MAX_CONSOLE_VIEWERS, MODE_SIZE, MODE_VIEW, REPLY_BAD, REPLY_FULL, REPLY_OK,
    VIEWER_BACKLOG_MAX,
};
use crate::script::BUSYBOX;

/// The descriptor the listening console socket is handed over on.
pub(crate) const LISTEN_FD: RawFd = 3;
/// Set (to `1`) in the holder's environment: makes [`HOLDER_HOOK`] run the holder.
pub(crate) const ENV_HOLDER: &CStr = c"NOVA_LINUX_NODE_CONSOLE_HOLDER";
/// `host` or `router`: routers get a hint to run `vtysh`.
pub(crate) const ENV_PROFILE: &str = "NOVA_CONSOLE_PROFILE";
/// The console shell's history file (`HISTFILE`), in the node's work dir.
pub(crate) const ENV_HISTORY: &str = "NOVA_CONSOLE_HISTORY";
/// The holder's argv: a name for `ps`, and an option no `main` accepts (see module doc).
pub(crate) const ARGV: [&str; 2] = ["nova-ve-console", "--nova-ve-console-holder"];

/// The console shell's prompt: `hostname:cwd# ` (busybox ash expands `\h` and `\w`).
pub(crate) const PS1: &str = "\\h:\\w\\$ ";
/// `TERM` of the console shell: what xterm.js and local terminals understand.
pub(crate) const TERM: &str = "xterm-256color";

/// Unfinished handshakes are dropped after this long.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// Handshakes in progress at once; more connections are closed at once.
const MAX_HANDSHAKES: usize = 16;
/// Keyboard input queued for the PTY; beyond it viewers are not read until the shell reads.
const INPUT_MAX: usize = 64 * 1024;
/// Delay before restarting a shell that ran for a while; doubled per quick exit up to
/// [`RESTART_MAX`].
const RESTART_MIN: Duration = Duration::from_millis(200);
const RESTART_MAX: Duration = Duration::from_secs(5);
/// A shell that ran this long resets the backoff.
const STABLE_RUN: Duration = Duration::from_secs(5);
/// Output read from the PTY per loop round at most (then the others get their turn).
const READ_CHUNK: usize = 64 * 1024;
const READS_PER_ROUND: usize = 4;
/// After a failed accept (EMFILE, ...) the listener is left alone this long, so a listener
/// that stays readable cannot spin the loop.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The constructor (ELF `.init_array`) that turns an exec of the spawning binary into a
/// console holder. [`crate::child::ChildPlan::new`] refers to it so that every binary that
/// can spawn nodes links it.
#[used]
#[unsafe(link_section = ".init_array")]
pub(crate) static HOLDER_HOOK: extern "C" fn() = holder_hook;

extern "C" fn holder_hook() {
    // SAFETY: constructors run before main with `environ` set up; getenv only reads it.
    if unsafe { libc::getenv(ENV_HOLDER.as_ptr()) }.is_null() {
        return;
    }
    if !is_listening_socket(LISTEN_FD) {
        eprintln!(
            "nova-linux-node: {} is set but fd {LISTEN_FD} is not a listening socket: \
             not starting a console holder",
            ENV_HOLDER.to_string_lossy()
        );
        return;
    }
    let code = match std::panic::catch_unwind(run) {
        Ok(Err(e)) => {
            eprintln!("nova-ve-console: {e}");
            1
        }
        Err(_) => 101,
    };
    // SAFETY: _exit ends the process without running the host binary's main or atexit hooks.
    unsafe { libc::_exit(code) }
}

fn is_listening_socket(fd: RawFd) -> bool {
    let mut v: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes an int into `v`; a non-socket just fails.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            (&mut v as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    rc == 0 && v != 0
}

fn cvt(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn context(what: &'static str) -> impl FnOnce(io::Error) -> io::Error {
    move |e| io::Error::new(e.kind(), format!("{what}: {e}"))
}

fn run() -> io::Result<Infallible> {
    // SAFETY: plain process-attribute syscalls in this single-threaded process.
    unsafe {
        // Out of labd's session and process group: no terminal signals from labd's side.
        libc::setsid();
        // Orphans of console shells (background jobs) are reparented here and reaped.
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        // Writes to gone viewers fail with EPIPE instead of killing the holder.
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let sigfd = sigchld_fd().map_err(context("signalfd"))?;
    // SAFETY: LISTEN_FD was checked to be a listening socket handed to this process, and
    // nothing else owns it.
    let listener = UnixListener::from(unsafe { OwnedFd::from_raw_fd(LISTEN_FD) });
    set_cloexec(LISTEN_FD).map_err(context("console socket"))?;
    listener
        .set_nonblocking(true)
        .map_err(context("console socket"))?;
    let (master, slave) = open_pty().map_err(context("open a PTY"))?;
    let termios = initial_termios(&slave).map_err(context("PTY settings"))?;
    set_winsize(&master, 24, 80).map_err(context("PTY window size"))?;
    let mut holder = Holder {
        profile: std::env::var(ENV_PROFILE).unwrap_or_default(),
        history: std::env::var_os(ENV_HISTORY),
        listener,
        master: File::from(master),
        slave,
        termios,
        sigfd,
        ring: Ring::new(CONSOLE_RING_LEN),
        conns: Vec::new(),
        viewers: Vec::new(),
        input: VecDeque::new(),
        shell: None,
        restart_at: None,
        backoff: RESTART_MIN,
        accept_paused_until: None,
    };
    holder.start_shell();
    holder.run_loop()
}

fn sigchld_fd() -> io::Result<OwnedFd> {
    // SAFETY: builds a signal set on the stack, blocks SIGCHLD (single-threaded process) and
    // creates a signalfd for it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        cvt(libc::sigprocmask(
            libc::SIG_BLOCK,
            &set,
            std::ptr::null_mut(),
        ))?;
        let fd = cvt(libc::signalfd(
            -1,
            &set,
            libc::SFD_NONBLOCK | libc::SFD_CLOEXEC,
        ))?;
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor this process owns.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }).map(drop)
}

/// A new PTY pair from `/dev/ptmx`; the slave is opened from the master (`TIOCGPTPEER`), not
/// by path, so it is the right one whatever the mount namespace shows under `/dev/pts`.
fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: posix_openpt returns a new descriptor or -1.
    let master = unsafe { OwnedFd::from_raw_fd(cvt(libc::posix_openpt(flags))?) };
    // SAFETY: grantpt/unlockpt/ioctl on the master just opened.
    unsafe {
        cvt(libc::grantpt(master.as_raw_fd()))?;
        cvt(libc::unlockpt(master.as_raw_fd()))?;
        let slave = cvt(libc::ioctl(master.as_raw_fd(), libc::TIOCGPTPEER, flags))?;
        cvt(libc::fcntl(
            master.as_raw_fd(),
            libc::F_SETFL,
            libc::O_NONBLOCK,
        ))?;
        Ok((master, OwnedFd::from_raw_fd(slave)))
    }
}

/// The new PTY's (sane) settings plus IUTF8; restored before every shell starts, so a shell
/// that died in raw mode does not leave its successor with a broken terminal.
fn initial_termios(slave: &OwnedFd) -> io::Result<libc::termios> {
    // SAFETY: termios is plain data; tcgetattr/tcsetattr read and write it for our slave.
    unsafe {
        let mut t: libc::termios = std::mem::zeroed();
        cvt(libc::tcgetattr(slave.as_raw_fd(), &mut t))?;
        t.c_iflag |= libc::IUTF8;
        cvt(libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t))?;
        Ok(t)
    }
}

fn set_winsize(master: &impl AsRawFd, rows: u16, cols: u16) -> io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize from a live stack value.
    cvt(unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) }).map(drop)
}

/// The last `cap` bytes of output.
#[derive(Debug)]
struct Ring {
    buf: VecDeque<u8>,
    cap: usize,
}

impl Ring {
    fn new(cap: usize) -> Self {
        Self {
            buf: VecDeque::with_capacity(cap),
            cap,
        }
    }

    fn push(&mut self, b: &[u8]) {
        let b = &b[b.len().saturating_sub(self.cap)..];
        let over = (self.buf.len() + b.len()).saturating_sub(self.cap);
        self.buf.drain(..over);
        self.buf.extend(b);
    }
}

/// What the first bytes of a connection ask for.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    /// Not enough bytes yet.
    Incomplete,
    /// `V`: a viewer; bytes after the mode byte are already keyboard input.
    View,
    /// `S` rows cols.
    Size(u16, u16),
    /// Anything else (or a zero dimension).
    Bad,
}

fn parse_request(b: &[u8]) -> Request {
    match b.first() {
        None => Request::Incomplete,
        Some(&MODE_VIEW) => Request::View,
        Some(&MODE_SIZE) if b.len() < 5 => Request::Incomplete,
        Some(&MODE_SIZE) => {
            let rows = u16::from_be_bytes([b[1], b[2]]);
            let cols = u16::from_be_bytes([b[3], b[4]]);
            if rows == 0 || cols == 0 {
                Request::Bad
            } else {
                Request::Size(rows, cols)
            }
        }
        Some(_) => Request::Bad,
    }
}

/// A connection whose mode byte has not arrived yet.
#[derive(Debug)]
struct Conn {
    stream: UnixStream,
    buf: [u8; 5],
    len: usize,
    deadline: Instant,
    done: bool,
}

#[derive(Debug)]
struct Viewer {
    stream: UnixStream,
    /// Output its socket did not take yet.
    backlog: VecDeque<u8>,
    /// False after it shut down its sending side: still gets output.
    input_open: bool,
    dead: bool,
}

impl Viewer {
    fn send(&mut self, b: &[u8]) {
        if self.dead || b.is_empty() {
            return;
        }
        let mut rest = b;
        if self.backlog.is_empty() {
            match self.stream.write(b) {
                Ok(n) => rest = &b[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => {
                    self.dead = true;
                    return;
                }
            }
        }
        self.backlog.extend(rest);
        if self.backlog.len() > VIEWER_BACKLOG_MAX {
            // Not reading: drop it rather than hold the shell or the other viewers.
            self.dead = true;
        }
    }

    fn flush(&mut self) {
        while !self.backlog.is_empty() && !self.dead {
            let (front, _) = self.backlog.as_slices();
            match self.stream.write(front) {
                Ok(n) => drop(self.backlog.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.dead = true,
            }
        }
    }
}

#[derive(Debug)]
struct Holder {
    profile: String,
    history: Option<OsString>,
    listener: UnixListener,
    master: File,
    /// Kept open for the holder's life: the PTY survives shell restarts (same size, no
    /// hang-up), and reading the master never reports EIO for want of a slave.
    slave: OwnedFd,
    termios: libc::termios,
    sigfd: OwnedFd,
    ring: Ring,
    conns: Vec<Conn>,
    viewers: Vec<Viewer>,
    /// Keyboard input not yet written to the PTY.
    input: VecDeque<u8>,
    /// The running shell: pid and start time.
    shell: Option<(libc::pid_t, Instant)>,
    restart_at: Option<Instant>,
    backoff: Duration,
    accept_paused_until: Option<Instant>,
}

fn pollfd(fd: RawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd,
        events,
        revents: 0,
    }
}

const READABLE: libc::c_short = libc::POLLIN | libc::POLLHUP | libc::POLLERR;

impl Holder {
    fn run_loop(&mut self) -> io::Result<Infallible> {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut fds = Vec::new();
        loop {
            let now = Instant::now();
            if self.restart_at.is_some_and(|t| t <= now) {
                self.restart_at = None;
                self.start_shell();
            }
            self.conns.retain(|c| c.deadline > now);
            if self.accept_paused_until.is_some_and(|t| t <= now) {
                self.accept_paused_until = None;
            }

            fds.clear();
            fds.push(pollfd(self.sigfd.as_raw_fd(), libc::POLLIN));
            let accepting = if self.accept_paused_until.is_none() {
                libc::POLLIN
            } else {
                0
            };
            fds.push(pollfd(self.listener.as_raw_fd(), accepting));
            let out = if self.input.is_empty() {
                0
            } else {
                libc::POLLOUT
            };
            fds.push(pollfd(self.master.as_raw_fd(), libc::POLLIN | out));
            let take_input = self.input.len() < INPUT_MAX;
            for v in &self.viewers {
                let mut ev = 0;
                if v.input_open && take_input {
                    ev |= libc::POLLIN;
                }
                if !v.backlog.is_empty() {
                    ev |= libc::POLLOUT;
                }
                fds.push(pollfd(v.stream.as_raw_fd(), ev));
            }
            for c in &self.conns {
                fds.push(pollfd(c.stream.as_raw_fd(), libc::POLLIN));
            }
            let timeout = self.poll_timeout(now);
            // SAFETY: `fds` is a live array of initialised pollfds.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(context("poll")(e));
            }
            if rc == 0 {
                continue;
            }
            let (nv, nc) = (self.viewers.len(), self.conns.len());
            let rev = |i: usize| fds[i].revents;
            if rev(0) != 0 {
                self.reap();
            }
            if rev(2) & READABLE != 0 {
                self.read_master(&mut buf);
            }
            if rev(2) & libc::POLLOUT != 0 {
                self.write_master();
            }
            for i in 0..nv {
                self.viewer_event(i, rev(3 + i), &mut buf);
            }
            for j in 0..nc {
                if rev(3 + nv + j) != 0 {
                    self.handshake(j);
                }
            }
            if rev(1) & libc::POLLIN != 0 {
                self.accept();
            }
            self.viewers.retain(|v| !v.dead);
            self.conns.retain(|c| !c.done);
            if !self.input.is_empty() {
                self.write_master();
            }
        }
    }

    /// Milliseconds until the next restart or handshake deadline; -1 (none) waits for events.
    fn poll_timeout(&self, now: Instant) -> libc::c_int {
        let next = self
            .conns
            .iter()
            .map(|c| c.deadline)
            .chain(self.restart_at)
            .chain(self.accept_paused_until)
            .min();
        match next {
            None => -1,
            // Rounded up, so the loop does not spin in the last sub-millisecond.
            Some(t) => {
                let d = t.saturating_duration_since(now);
                (d.as_micros().div_ceil(1000)).min(i32::MAX as u128) as libc::c_int
            }
        }
    }

    /// Output to the ring and to every viewer.
    fn emit(&mut self, b: &[u8]) {
        self.ring.push(b);
        for v in &mut self.viewers {
            v.send(b);
        }
    }

    fn read_master(&mut self, buf: &mut [u8]) {
        for _ in 0..READS_PER_ROUND {
            match self.master.read(buf) {
                Ok(0) => return,
                Ok(n) => self.emit(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // WouldBlock: drained. EIO cannot happen while `slave` is open.
                Err(_) => return,
            }
        }
    }

    fn write_master(&mut self) {
        while !self.input.is_empty() {
            let (front, _) = self.input.as_slices();
            match self.master.write(front) {
                Ok(0) => return,
                Ok(n) => drop(self.input.drain(..n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }

    fn viewer_event(&mut self, i: usize, rev: libc::c_short, buf: &mut [u8]) {
        let v = &mut self.viewers[i];
        if v.dead || rev == 0 {
            return;
        }
        if rev & libc::POLLOUT != 0 {
            v.flush();
        }
        if rev & libc::POLLIN != 0 {
            let room = INPUT_MAX.saturating_sub(self.input.len()).max(1);
            let n = room.min(buf.len());
            match v.stream.read(&mut buf[..n]) {
                Ok(0) => v.input_open = false,
                Ok(n) => self.input.extend(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => v.dead = true,
            }
        }
        // The peer closed its end entirely (HUP) or the socket failed.
        if rev & (libc::POLLHUP | libc::POLLERR) != 0 && rev & libc::POLLIN == 0 {
            v.dead = true;
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if self.conns.len() >= MAX_HANDSHAKES || stream.set_nonblocking(true).is_err() {
                        continue; // dropped: closed
                    }
                    self.conns.push(Conn {
                        stream,
                        buf: [0; 5],
                        len: 0,
                        deadline: Instant::now() + HANDSHAKE_TIMEOUT,
                        done: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    eprintln!("nova-ve-console: accept: {e}");
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    return;
                }
            }
        }
    }

    fn handshake(&mut self, j: usize) {
        let c = &mut self.conns[j];
        if c.done {
            return;
        }
        let len = c.len;
        match c.stream.read(&mut c.buf[len..]) {
            Ok(0) => {
                c.done = true;
                return;
            }
            Ok(n) => c.len += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                return;
            }
            Err(_) => {
                c.done = true;
                return;
            }
        }
        let req = parse_request(&c.buf[..c.len]);
        let reply = |c: &mut Conn, b: u8| {
            let _ = c.stream.write(&[b]);
            c.done = true;
        };
        match req {
            Request::Incomplete => {}
            Request::Bad => reply(c, REPLY_BAD),
            Request::Size(rows, cols) => {
                let ok = set_winsize(&self.master, rows, cols).is_ok();
                reply(c, if ok { REPLY_OK } else { REPLY_BAD });
            }
            Request::View if self.viewers.len() >= MAX_CONSOLE_VIEWERS => reply(c, REPLY_FULL),
            Request::View => {
                c.done = true;
                let typed = c.buf[1..c.len].to_vec();
                let stream = c.stream.try_clone();
                let Ok(stream) = stream else { return };
                let mut v = Viewer {
                    stream,
                    backlog: VecDeque::new(),
                    input_open: true,
                    dead: false,
                };
                v.send(&[REPLY_OK]);
                let (a, b) = self.ring.buf.as_slices();
                v.send(a);
                v.send(b);
                self.input.extend(typed);
                self.viewers.push(v);
            }
        }
    }

    fn reap(&mut self) {
        let mut sink = [0u8; 16 * std::mem::size_of::<libc::signalfd_siginfo>()];
        // SAFETY: reads into a live stack buffer from our non-blocking signalfd.
        while unsafe { libc::read(self.sigfd.as_raw_fd(), sink.as_mut_ptr().cast(), sink.len()) }
            > 0
        {}
        loop {
            let mut status = 0;
            // SAFETY: waitpid for any child, non-blocking, status into a live int.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            if let Some((shell, started)) = self.shell
                && shell == pid
            {
                self.shell = None;
                self.shell_ended(status, started.elapsed());
            }
        }
    }

    /// Schedules the next shell; returns the delay (backoff doubles per quick exit).
    fn schedule_restart(&mut self, ran: Duration) -> Duration {
        if ran >= STABLE_RUN {
            self.backoff = RESTART_MIN;
        }
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(RESTART_MAX);
        self.restart_at = Some(Instant::now() + delay);
        delay
    }

    fn shell_ended(&mut self, status: libc::c_int, ran: Duration) {
        let delay = self.schedule_restart(ran);
        let how = if libc::WIFSIGNALED(status) {
            format!("killed by signal {}", libc::WTERMSIG(status))
        } else {
            format!("exit status {}", libc::WEXITSTATUS(status))
        };
        let msg = format!(
            "\r\n[nova-ve console: the shell ended ({how}); a new one starts in {:.1} s]\r\n",
            delay.as_secs_f64()
        );
        self.emit(msg.as_bytes());
    }

    fn start_shell(&mut self) {
        // SAFETY: restores settings read from this very PTY at start.
        unsafe { libc::tcsetattr(self.slave.as_raw_fd(), libc::TCSANOW, &self.termios) };
        if self.profile == "router" {
            self.emit(b"[nova-ve console: FRRouting router; run vtysh for the router CLI]\r\n");
        }
        match self.spawn_shell() {
            Ok(pid) => self.shell = Some((pid, Instant::now())),
            Err(e) => {
                eprintln!("nova-ve-console: cannot start {BUSYBOX} sh: {e}");
                let delay = self.schedule_restart(Duration::ZERO);
                let msg = format!(
                    "\r\n[nova-ve console: cannot start a shell ({e}); trying again in {:.1} s]\r\n",
                    delay.as_secs_f64()
                );
                self.emit(msg.as_bytes());
            }
        }
    }

    fn spawn_shell(&self) -> io::Result<libc::pid_t> {
        let tty = || self.slave.try_clone().map(Stdio::from);
        let mut cmd = Command::new(BUSYBOX);
        cmd.arg0("sh")
            .arg("-i")
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", "/root")
            .env("TERM", TERM)
            .env("PS1", PS1)
            .current_dir("/")
            .stdin(tty()?)
            .stdout(tty()?)
            .stderr(tty()?);
        if let Some(h) = &self.history {
            cmd.env("HISTFILE", h);
        }
        for var in ["NOVA_LAB", "NOVA_NODE"] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        let become_session = || {
            // SAFETY: between fork and exec: raw syscalls only. A new session whose
            // controlling terminal is the PTY (stdin, set up by Command), and a clean signal
            // state (the holder blocks SIGCHLD and ignores SIGPIPE).
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut set);
                libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                cvt(libc::setsid())?;
                cvt(libc::ioctl(0, libc::TIOCSCTTY, 0))?;
            }
            Ok(())
        };
        // SAFETY: the closure only makes async-signal-safe syscalls.
        unsafe { cmd.pre_exec(become_session) };
        let child = cmd.spawn()?;
        // Reaped through the signalfd (waitpid), not through `child`.
        Ok(child.id() as libc::pid_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_keeps_the_last_bytes() {
        let mut r = Ring::new(8);
        r.push(b"abc");
        r.push(b"defgh");
        assert_eq!(r.buf.iter().copied().collect::<Vec<_>>(), b"abcdefgh");
        r.push(b"ij");
        assert_eq!(r.buf.iter().copied().collect::<Vec<_>>(), b"cdefghij");
        r.push(b"0123456789");
        assert_eq!(r.buf.iter().copied().collect::<Vec<_>>(), b"23456789");
    }

    #[test]
    fn requests_parse() {
        assert_eq!(parse_request(b""), Request::Incomplete);
        assert_eq!(parse_request(b"V"), Request::View);
        assert_eq!(parse_request(b"Vls\n"), Request::View);
        assert_eq!(parse_request(b"S\0\x28"), Request::Incomplete);
        let req = crate::console::size_request(40, 300);
        assert_eq!(parse_request(&req), Request::Size(40, 300));
        assert_eq!(parse_request(b"S\0\0\0\x50"), Request::Bad);
        assert_eq!(parse_request(b"X"), Request::Bad);
    }

    #[test]
    fn hook_is_inert_without_its_variable() {
        // Every binary linking this crate runs the hook at start (this one did); without the
        // variable it returns at once.
        assert!(std::env::var_os(ENV_HOLDER.to_str().unwrap()).is_none());
        (HOLDER_HOOK)();
    }
}
