//! The interactive console of real nodes: a shell on a PTY held inside the node, reached
//! through `<work_dir>/console.sock` (`open_console`, `resize_console`). No mocks.
//!
//! Every test starts its own nodes in a scratch dir under the target dir and kills them when
//! it ends, pass or fail. The test that changes uid to `nobody` needs root (CI runs tests as
//! root) and says so.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nova_linux_node::{
    Error, FrrConfig, Hostname, Ident, LinuxNodeSpec, Profile, RunningNode, open_console,
    resize_console, spawn,
};

const NOBODY: u32 = 65534;

// ---------- fixtures ----------

fn unique() -> u32 {
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A scratch directory under the target dir (not /tmp), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "nlc-{}-{}",
            std::process::id(),
            unique()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Kills a running node when the test ends, pass or fail.
struct NodeGuard(RunningNode);

impl Drop for NodeGuard {
    fn drop(&mut self) {
        let _ = self.0.kill(Duration::from_secs(2));
    }
}

impl std::ops::Deref for NodeGuard {
    type Target = RunningNode;
    fn deref(&self) -> &RunningNode {
        &self.0
    }
}

/// SIGKILLs a node known only by pid (started by a helper process) when the test ends.
struct PidGuard(u32);

impl Drop for PidGuard {
    fn drop(&mut self) {
        // SAFETY: the node's PID 1, started for this test; its PID namespace dies with it.
        unsafe { libc::kill(self.0 as libc::pid_t, libc::SIGKILL) };
    }
}

fn host_spec(work_dir: PathBuf, name: &str) -> LinuxNodeSpec {
    LinuxNodeSpec {
        lab: Ident::new("lab1").unwrap(),
        node: Ident::new(name).unwrap(),
        hostname: Hostname::new(name).unwrap(),
        work_dir,
        interfaces: vec![],
        profile: Profile::BusyboxHost {
            default_gateway: None,
        },
    }
}

fn start_host(scratch: &Scratch, name: &str) -> NodeGuard {
    NodeGuard(
        spawn(&host_spec(scratch.path(name), name))
            .unwrap()
            .release()
            .unwrap(),
    )
}

fn work_dir(node: &RunningNode) -> PathBuf {
    node.work_files().init_script.parent().unwrap().to_owned()
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// A viewer: everything it read, and how far `expect` has consumed it.
struct Term {
    s: UnixStream,
    seen: Vec<u8>,
    cursor: usize,
}

impl Term {
    fn open(work_dir: &Path) -> Self {
        let s = open_console(work_dir).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        Self {
            s,
            seen: Vec::new(),
            cursor: 0,
        }
    }

    fn send(&mut self, keys: &str) {
        self.s.write_all(keys.as_bytes()).unwrap();
    }

    /// Reads until `needle` appears after what earlier calls consumed; returns the text up
    /// to and including it. Panics with what was read when it does not come within `within`.
    fn expect_within(&mut self, needle: &str, within: Duration) -> String {
        let end = Instant::now() + within;
        let n = needle.as_bytes();
        let mut searched = self.cursor;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            if let Some(i) = self.seen[searched..].windows(n.len()).position(|w| w == n) {
                let stop = searched + i + n.len();
                let text = String::from_utf8_lossy(&self.seen[self.cursor..stop]).into_owned();
                self.cursor = stop;
                return text;
            }
            searched = self.seen.len().saturating_sub(n.len() - 1).max(self.cursor);
            assert!(
                Instant::now() < end,
                "{needle:?} not seen within {within:?}; got: {:?}",
                String::from_utf8_lossy(&self.seen[self.cursor..])
            );
            match self.s.read(&mut buf) {
                Ok(0) => panic!(
                    "console closed before {needle:?}; got: {:?}",
                    String::from_utf8_lossy(&self.seen[self.cursor..])
                ),
                Ok(k) => self.seen.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => panic!("console read: {e}"),
            }
        }
    }

    fn expect(&mut self, needle: &str) -> String {
        self.expect_within(needle, Duration::from_secs(5))
    }

    /// Waits for the shell's prompt, `<hostname>:/# ` (or `~ #` style cwd is not used: the
    /// console shell starts in `/`).
    fn prompt(&mut self, host: &str) {
        self.expect(&format!("{host}:/# "));
    }

    /// Reads until EOF (the holder closed this viewer); returns the bytes read. Panics if it
    /// does not come within `within`.
    fn read_to_eof(&mut self, within: Duration) -> usize {
        let end = Instant::now() + within;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            assert!(Instant::now() < end, "no EOF within {within:?}");
            match self.s.read(&mut buf) {
                Ok(0) => return total,
                Ok(k) => total += k,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return total,
                Err(e) => panic!("console read: {e}"),
            }
        }
    }
}

fn status_field(pid: u32, field: &str) -> String {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line[field.len()..].trim().to_owned()
}

/// The pids of `parent`'s children, from /proc.
fn children(parent: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    let l = s.lines().find(|l| l.starts_with("PPid:"))?.to_owned();
                    l["PPid:".len()..].trim().parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn cmdline(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

// ---------- tests ----------

#[test]
fn console_runs_a_command_and_replays_it_to_a_later_viewer() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c1");
    let mut v1 = Term::open(&work_dir(&node));
    // The prompt names the node.
    v1.prompt("c1");
    v1.send("echo hello-$((6*7))\r");
    v1.expect("hello-42");
    v1.prompt("c1");
    // A viewer connecting later gets the recent output first.
    let mut v2 = Term::open(&work_dir(&node));
    let replay = v2.expect_within("hello-42", Duration::from_secs(1));
    assert!(replay.contains("echo hello-$((6*7))"), "{replay}");
    // A real interactive shell: the PTY is its controlling terminal (job control works).
    assert!(!replay.contains("job control"), "{replay}");
    v1.send("tty; set -o | grep monitor\r");
    v1.expect("/dev/pts/");
    let monitor = v1.expect("c1:/# ");
    assert!(monitor.contains("monitor         on"), "{monitor}");
    // RunningNode::open_console is the same thing.
    let mut v3 = Term {
        s: node.open_console().unwrap(),
        seen: Vec::new(),
        cursor: 0,
    };
    v3.s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    v3.expect("hello-42");
}

#[test]
fn two_viewers_see_all_output_and_either_can_type() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c2");
    let mut v1 = Term::open(&work_dir(&node));
    let mut v2 = Term::open(&work_dir(&node));
    v1.prompt("c2");
    v2.prompt("c2");
    v2.send("echo from-two-$((20+3))\r");
    v1.expect("from-two-23");
    v2.expect("from-two-23");
    v1.send("echo from-one-$((30+4))\r");
    v2.expect("from-one-34");
    v1.expect("from-one-34");
}

#[test]
fn resize_changes_the_shells_terminal_size() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c3");
    let dir = work_dir(&node);
    let mut v = Term::open(&dir);
    v.prompt("c3");
    v.send("stty size\r");
    v.expect("\n24 80");
    resize_console(&dir, 40, 132).unwrap();
    v.send("stty size\r");
    v.expect("\n40 132");
    node.resize_console(50, 100).unwrap();
    v.send("stty size\r");
    v.expect("\n50 100");
    // A zero dimension is refused before anything is sent.
    let err = resize_console(&dir, 0, 80).unwrap_err();
    assert!(matches!(err, Error::Console { .. }), "{err}");
}

#[test]
fn exit_in_the_shell_brings_up_a_new_one() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c4");
    let mut v = Term::open(&work_dir(&node));
    v.prompt("c4");
    v.send("echo $$ >/dev/null; exit\r");
    v.expect("the shell ended (exit status 0)");
    // Same viewer, new shell, within the short backoff.
    v.expect_within("c4:/# ", Duration::from_secs(2));
    v.send("echo back-$((40+2))\r");
    v.expect("back-42");
    // Killed shells come back too.
    v.send("kill -9 $$\r");
    v.expect("killed by signal 9");
    v.expect_within("c4:/# ", Duration::from_secs(2));
    v.send("echo again-$((40+3))\r");
    v.expect("again-43");
    // A later viewer attaches to the new shell.
    let mut v2 = Term::open(&work_dir(&node));
    v2.expect("again-43");
}

#[test]
fn a_viewer_that_does_not_read_blocks_neither_the_shell_nor_other_viewers() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c5");
    let dir = work_dir(&node);
    let mut stalled = Term::open(&dir);
    let mut reader = Term::open(&dir);
    reader.prompt("c5");
    // About 2 MB of output: far more than the stalled viewer's socket buffers plus its
    // backlog allowance.
    let started = Instant::now();
    reader.send("/bin/busybox seq 1 300000; echo done-$((7*6))\r");
    reader.expect_within("done-42", Duration::from_secs(20));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "output took {took:?}");
    // The stalled viewer was disconnected: what it can still read ends in EOF, well short
    // of everything the shell printed.
    let got = stalled.read_to_eof(Duration::from_secs(5));
    assert!(got < 1_500_000, "stalled viewer got {got} bytes");
    // The console still takes new viewers and input.
    let mut late = Term::open(&dir);
    late.send("echo still-$((5*5))\r");
    late.expect("still-25");
}

#[test]
fn console_of_a_stopped_node_is_a_clear_error() {
    let scratch = Scratch::new();
    let node = start_host(&scratch, "c6");
    let dir = work_dir(&node);
    let mut v = Term::open(&dir);
    v.prompt("c6");
    assert!(node.kill(Duration::from_secs(2)).unwrap());
    // The holder died with the node: its viewers see EOF ...
    v.read_to_eof(Duration::from_secs(2));
    // ... and a new viewer gets an error that says what is wrong.
    let err = open_console(&dir).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::ConsoleUnavailable { .. }), "{msg}");
    assert!(
        msg.contains("console.sock") && msg.contains("is it running?"),
        "{msg}"
    );
    let err = resize_console(&dir, 30, 90).unwrap_err();
    assert!(matches!(err, Error::ConsoleUnavailable { .. }), "{err}");
    // A work dir no node ever ran in: same error.
    let err = open_console(&scratch.path("never")).unwrap_err();
    assert!(err.to_string().contains("is it running?"), "{err}");
}

#[test]
fn console_works_with_a_work_dir_longer_than_a_socket_path() {
    let scratch = Scratch::new();
    let dir = scratch.path(&"d".repeat(120));
    assert!(dir.join("console.sock").as_os_str().len() > 108);
    let node = NodeGuard(
        spawn(&host_spec(dir.clone(), "c7"))
            .unwrap()
            .release()
            .unwrap(),
    );
    let mut v = Term::open(&work_dir(&node));
    v.prompt("c7");
    v.send("echo long-$((2*21))\r");
    v.expect("long-42");
}

#[test]
fn frr_router_console_is_a_shell_where_vtysh_works() {
    let scratch = Scratch::new();
    let spec = LinuxNodeSpec {
        lab: Ident::new("lab1").unwrap(),
        node: Ident::new("rc1").unwrap(),
        hostname: Hostname::new("rc1").unwrap(),
        work_dir: scratch.path("rc1"),
        interfaces: vec![],
        profile: Profile::FrrRouter {
            frr_conf: FrrConfig::new("frr defaults traditional\nhostname rc1\n!\n").unwrap(),
            daemons: BTreeSet::new(),
        },
    };
    let node = NodeGuard(spawn(&spec).unwrap().release().unwrap());
    let mut v = Term::open(&spec.work_dir);
    v.expect("run vtysh for the router CLI");
    v.prompt("rc1");
    let ready = wait_until(Duration::from_secs(15), || {
        std::fs::read_to_string(node.console_log())
            .unwrap_or_default()
            .contains("router ready")
    });
    assert!(ready, "router never ready");
    v.send("vtysh\r");
    v.expect("rc1# ");
    v.send("show version\r");
    v.expect("FRRouting");
    v.expect("rc1# ");
    v.send("exit\r");
    v.prompt("rc1");
    // The node still stops when its daemons have all exited: PID 1 waits for them, not for
    // every child (the holder is one too).
    v.send("kill $(pidof zebra)\r");
    assert!(
        node.wait_exit(Duration::from_secs(10)).unwrap(),
        "router outlived its daemons"
    );
}

/// PID 1's TERM trap stops the node promptly although PID 1 also parents the console holder
/// (busybox's bare `wait` would block on it); many nodes at once, with a viewer attached.
#[test]
fn sigterm_stops_nodes_that_have_a_console() {
    let scratch = Scratch::new();
    let nodes: Vec<NodeGuard> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let scratch = &scratch;
                s.spawn(move || {
                    (0..4)
                        .map(|i| start_host(scratch, &format!("t{t}x{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut viewers = Vec::new();
    for n in &nodes {
        let ready = wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(n.console_log())
                .unwrap_or_default()
                .contains("host ready")
        });
        assert!(ready, "node {} not ready", n.pid());
        viewers.push(Term::open(&work_dir(n)));
    }
    for n in &nodes {
        n.signal(libc::SIGTERM).unwrap();
    }
    for (n, v) in nodes.iter().zip(&mut viewers) {
        assert!(
            n.wait_exit(Duration::from_secs(3)).unwrap(),
            "node {} ignored SIGTERM",
            n.pid()
        );
        v.read_to_eof(Duration::from_secs(2));
    }
}

// ---------- the spawner goes away (labd restarts); ownership ----------

/// labd spawns a node, then exits (a restart): the console is still there, held by a
/// process of the node (child of its PID 1, in its namespaces and cgroup), and its socket
/// belongs to the node's (labd's) user with mode 0600.
#[test]
fn console_outlives_its_spawner_and_belongs_to_the_node_user() {
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this test runs the spawner as nobody (CI runs tests as root)"
    );
    let scratch = Scratch::new();
    chown(&scratch.0, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&scratch.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let mut spawner = Command::new(std::env::current_exe().unwrap())
        .env(nova_test_sandbox::inside::ENV_CALL, "helper_spawn_and_exit")
        .env("NLC_HELPER_DIR", &scratch.0)
        .uid(NOBODY)
        .gid(NOBODY)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the test binary as nobody: every directory above it must be traversable by uid 65534");
    let line = BufReader::new(spawner.stdout.take().unwrap())
        .lines()
        .find_map(|l| l.ok()?.strip_prefix("NODE ").map(str::to_owned))
        .expect("helper printed no NODE line");
    let pid: u32 = line.trim().parse().unwrap();
    let _kill = PidGuard(pid);
    assert!(spawner.wait().unwrap().success(), "spawner failed");

    let dir = scratch.path("c8");
    let sock = std::fs::metadata(dir.join("console.sock")).unwrap();
    assert_eq!(sock.uid(), NOBODY, "console socket owner");
    assert_eq!(sock.mode() & 0o7777, 0o600, "console socket mode");

    // The holder: a child of the node's PID 1, inside its PID namespace and its cgroup.
    let mut holders = Vec::new();
    assert!(wait_until(Duration::from_secs(2), || {
        holders = children(pid)
            .into_iter()
            .filter(|c| cmdline(*c).starts_with("nova-ve-console"))
            .collect();
        holders.len() == 1
    }));
    let holder = holders[0];
    assert_eq!(status_field(holder, "NSpid:").split_whitespace().count(), 2);
    for ns in ["pid", "net", "mnt", "uts", "user"] {
        assert_eq!(
            std::fs::read_link(format!("/proc/{holder}/ns/{ns}")).unwrap(),
            std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).unwrap(),
            "holder not in the node's {ns} namespace"
        );
    }
    assert_eq!(
        std::fs::read_to_string(format!("/proc/{holder}/cgroup")).unwrap(),
        std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap()
    );
    assert!(
        status_field(holder, "Uid:")
            .split_whitespace()
            .all(|u| u == "65534")
    );

    // The spawner is gone; the console works.
    let mut v = Term::open(&dir);
    v.prompt("c8");
    v.send("echo alive-$((6*7)); id -u\r");
    v.expect("alive-42");
    v.expect("\n0\r\n");
}

/// Not a test: run as uid nobody by console_outlives_its_spawner_and_belongs_to_the_node_user
/// (from the constructor `inside_fns!` installs): spawns and releases a node, prints its pid
/// and exits without stopping it.
fn helper_spawn_and_exit(_args: &[String]) -> nova_test_sandbox::InsideResult {
    let dir = PathBuf::from(std::env::var_os("NLC_HELPER_DIR").unwrap());
    let node = spawn(&host_spec(dir.join("c8"), "c8"))?.release()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "NODE {}", node.pid())?;
    out.flush()?;
    Ok(String::new())
}
nova_test_sandbox::inside_fns!(helper_spawn_and_exit);
