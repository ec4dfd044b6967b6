//! Kernel-level tests of linux nodes: real namespaces, veths, busybox and FRR; no mocks.
//!
//! Network set-up the tests do as root (the part netd does in production) happens in a
//! throwaway network namespace per test (`ip netns add`), never in the host's; every
//! namespace, node and directory is removed by a guard, also when a test fails.
//! Tests that need root (veths, the setuid to `nobody`) say so and fail when not root.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use nova_linux_node::{
    Error, FrrConfig, FrrDaemon, Hostname, Ident, IfAddr, Interface, LinuxNodeSpec, OutputSink,
    Profile, RunningNode, SpawnOptions, exec_in_node, spawn, spawn_with,
};

const NOBODY: u32 = 65534;

// ---------- fixtures ----------

fn unique() -> u32 {
    static N: AtomicU32 = AtomicU32::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test wires veths as root (CI runs tests as root)"
    );
}

/// A scratch directory under the target dir (not /tmp), removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        let p = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "nln-{}-{}",
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

fn run(args: &[&str]) -> String {
    let out = Command::new(args[0]).args(&args[1..]).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A throwaway network namespace standing in for the host side netd manages.
struct TestNetns {
    name: String,
}

impl TestNetns {
    fn new() -> Self {
        let name = format!("nln-{}-{}", std::process::id(), unique());
        run(&["ip", "netns", "add", &name]);
        Self { name }
    }

    fn ip(&self, args: &[&str]) -> String {
        let mut v = vec!["ip", "-n", &self.name];
        v.extend_from_slice(args);
        run(&v)
    }

    fn bridge(&self, br: &str) {
        self.ip(&["link", "add", br, "type", "bridge"]);
        self.ip(&["link", "set", br, "up"]);
    }

    /// A veth pair in this namespace; returns its two end names.
    fn veth(&self) -> (String, String) {
        let n = unique();
        let (a, b) = (format!("v{n}a"), format!("v{n}b"));
        self.ip(&["link", "add", &a, "type", "veth", "peer", "name", &b]);
        (a, b)
    }

    /// What netd does: move `dev` into the node's netns by pid and rename it `ifname`.
    fn move_into(&self, dev: &str, pid: u32, ifname: &str) {
        self.ip(&["link", "set", dev, "netns", &pid.to_string()]);
        let netns = format!("--net=/proc/{pid}/ns/net");
        run(&["nsenter", &netns, "ip", "link", "set", dev, "name", ifname]);
    }

    /// veth: one end on `br` (up), the other moved into the node as `ifname`.
    fn attach(&self, br: &str, pid: u32, ifname: &str) {
        let (a, b) = self.veth();
        self.ip(&["link", "set", &b, "master", br, "up"]);
        self.move_into(&a, pid, ifname);
    }
}

impl Drop for TestNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
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

fn id(s: &str) -> Ident {
    Ident::new(s).unwrap()
}

fn iface(index: u16, addrs: &[&str]) -> Interface {
    Interface {
        index,
        addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
    }
}

fn host_spec(dir: PathBuf, name: &str, addr: &str, gw: Option<&str>) -> LinuxNodeSpec {
    LinuxNodeSpec {
        lab: id("lab1"),
        node: id(name),
        hostname: Hostname::new(name).unwrap(),
        work_dir: dir,
        interfaces: vec![iface(0, &[addr])],
        profile: Profile::BusyboxHost {
            default_gateway: gw.map(|g| g.parse::<IpAddr>().unwrap()),
        },
    }
}

/// A host without interfaces: its init does not wait for any to appear.
fn bare_host_spec(dir: PathBuf, name: &str) -> LinuxNodeSpec {
    LinuxNodeSpec {
        interfaces: vec![],
        ..host_spec(dir, name, "10.0.0.1/24", None)
    }
}

fn router_spec(dir: PathBuf, name: &str, addr: &str, conf: &str) -> LinuxNodeSpec {
    LinuxNodeSpec {
        lab: id("lab1"),
        node: id(name),
        hostname: Hostname::new(name).unwrap(),
        work_dir: dir,
        interfaces: vec![iface(0, &[addr])],
        profile: Profile::FrrRouter {
            frr_conf: FrrConfig::new(conf).unwrap(),
            daemons: BTreeSet::from([FrrDaemon::Ospfd]),
        },
    }
}

fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

fn exec_stdout(pid: u32, argv: &[&str]) -> String {
    let out = exec_in_node(pid, argv).unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn has_addr(pid: u32, ifname: &str, addr: &str) -> bool {
    exec_stdout(pid, &["/bin/busybox", "ip", "addr", "show", "dev", ifname]).contains(addr)
}

fn pings(pid: u32, dst: &str) -> bool {
    let argv = ["/bin/busybox", "ping", "-c", "1", "-W", "1", dst];
    wait_until(Duration::from_secs(8), || {
        exec_in_node(pid, &argv).unwrap().status.success()
    })
}

fn pidfd_exited(fd: &OwnedFd, timeout: Duration) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    unsafe { libc::poll(&mut p, 1, timeout.as_millis() as i32) == 1 }
}

fn status_field(pid: u32, field: &str) -> String {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = s.lines().find(|l| l.starts_with(field)).unwrap();
    line[field.len()..].trim().to_owned()
}

// ---------- hostile input ----------

#[test]
fn hostile_spec_fields_are_refused() {
    for bad in [
        "a/b",
        "a\0b",
        "",
        "-a",
        "a-",
        "with space",
        &"x".repeat(64),
        "ä",
    ] {
        assert!(Hostname::new(bad).is_err(), "hostname {bad:?} accepted");
    }
    for bad in ["../x", "a/b", "", "-x", "a\0", &"y".repeat(65), "a.b"] {
        assert!(Ident::new(bad).is_err(), "id {bad:?} accepted");
    }
    let huge = "!\n".repeat(nova_linux_node::MAX_FRR_CONF_LEN / 2 + 1);
    assert!(matches!(
        FrrConfig::new(&huge),
        Err(Error::InvalidSpec {
            field: "frr_conf",
            ..
        })
    ));
    assert!(FrrConfig::new("router ospf\0\n").is_err());
    assert!(FrrConfig::new("log stdout\x1b[2J\n").is_err());
    assert!(FrrConfig::new("router ospf\n network 10.0.0.0/8 area 0\n").is_ok());
    for bad in ["10.0.0.1/33", "10.0.0.1", "::1/129", "x/24", "10.0.0.1/-1"] {
        assert!(bad.parse::<IfAddr>().is_err(), "address {bad:?} accepted");
    }
}

#[test]
fn bad_work_dirs_and_interfaces_change_nothing() {
    let scratch = Scratch::new();
    let base = host_spec(scratch.path("ok"), "h1", "10.0.0.1/24", None);
    let cases: Vec<(LinuxNodeSpec, PathBuf)> = vec![
        {
            let mut s = base.clone();
            s.work_dir = PathBuf::from("relative/dir");
            (s, PathBuf::from("relative"))
        },
        {
            let mut s = base.clone();
            s.work_dir = scratch.path("a/../b");
            (s, scratch.path("a"))
        },
        {
            let mut s = base.clone();
            s.work_dir = scratch.path("new\nline");
            (s, scratch.path("new\nline"))
        },
        {
            let mut s = base.clone();
            s.work_dir = scratch.path("dup");
            s.interfaces = vec![iface(0, &[]), iface(0, &[])];
            (s, scratch.path("dup"))
        },
    ];
    for (spec, must_not_exist) in cases {
        let err = spawn(&spec).unwrap_err();
        assert!(
            matches!(err, Error::InvalidSpec { .. }),
            "{spec:?}: unexpected {err}"
        );
        assert!(!must_not_exist.exists(), "{must_not_exist:?} was created");
    }
}

// ---------- life cycle ----------

#[test]
fn dropping_a_pending_node_kills_it() {
    let scratch = Scratch::new();
    let spec = host_spec(scratch.path("h1"), "h1", "10.0.0.1/24", None);
    let pending = spawn(&spec).unwrap();
    let pid = pending.pid();
    let fd = pending.pidfd().unwrap().try_clone_to_owned().unwrap();
    assert!(!pidfd_exited(&fd, Duration::ZERO), "pending node not alive");
    // It waits in its own namespaces, unreleased: nothing ran, no console output yet.
    assert_ne!(
        std::fs::read_link(format!("/proc/{pid}/ns/net")).unwrap(),
        std::fs::read_link("/proc/self/ns/net").unwrap()
    );
    assert!(!spec.work_dir.join("console.log").exists());
    drop(pending);
    assert!(
        pidfd_exited(&fd, Duration::from_secs(2)),
        "pending node {pid} survived its drop"
    );
}

#[test]
fn node_is_pid1_of_its_namespaces_and_sigterm_stops_it() {
    let scratch = Scratch::new();
    let spec = bare_host_spec(scratch.path("h1"), "h1");
    let node = NodeGuard(spawn(&spec).unwrap().release().unwrap());
    let pid = node.pid();
    assert_eq!(
        status_field(pid, "NSpid:")
            .split_whitespace()
            .last()
            .unwrap(),
        "1"
    );
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    assert_eq!(
        map.split_whitespace().collect::<Vec<_>>(),
        ["0", &uid.to_string(), "1"]
    );
    assert_eq!(exec_stdout(pid, &["/bin/busybox", "hostname"]).trim(), "h1");
    // The test harness ignores SIGPIPE (Rust does); the node must not inherit that, nor a
    // blocked mask.
    let ignored = u64::from_str_radix(&status_field(pid, "SigIgn:"), 16).unwrap();
    assert_eq!(
        ignored & (1 << (libc::SIGPIPE - 1)),
        0,
        "SIGPIPE ignored in node"
    );
    assert_eq!(status_field(pid, "SigBlk:"), "0000000000000000");
    // Its init is up: the generated script logged to the fallback console log (no journald
    // here), and /proc is the node's own (busybox ps sees only the node).
    assert_eq!(
        node.output(),
        &OutputSink::LogFile(spec.work_dir.join("console.log"))
    );
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_to_string(node.console_log())
            .unwrap_or_default()
            .contains("nova-node: host ready")
    }));
    // "host ready" is logged just before the idle sleep starts.
    let ps = || exec_stdout(pid, &["/bin/busybox", "ps", "-o", "pid,args"]);
    assert!(
        wait_until(Duration::from_secs(5), || ps().contains("sleep 2147483647")),
        "{}",
        ps()
    );
    let ps = ps();
    assert!(!ps.contains("cargo"), "node sees host processes: {ps}");
    // PID 1 traps TERM (what `systemctl stop` sends) and stops promptly.
    node.signal(libc::SIGTERM).unwrap();
    assert!(node.wait_exit(Duration::from_secs(3)).unwrap());
}

#[test]
fn output_goes_to_the_journal_stream_socket_with_its_header() {
    let scratch = Scratch::new();
    let sock = scratch.path("journal.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    let opts = SpawnOptions {
        journal_socket: sock,
        ..SpawnOptions::default()
    };
    let spec = bare_host_spec(scratch.path("hj"), "hj");
    let node = NodeGuard(spawn_with(&spec, &opts).unwrap().release().unwrap());
    assert_eq!(node.output(), &OutputSink::Journal);
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 512];
    while !got.contains("host ready") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "stream closed early: {got:?}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let header: Vec<&str> = got.splitn(8, '\n').take(7).collect();
    assert_eq!(header, ["nova-node-lab1-hj", "", "6", "1", "0", "0", "0"]);
    assert!(!spec.work_dir.join("console.log").exists());
}

#[test]
fn nodes_spawned_from_parallel_threads_all_run() {
    // labd spawns from several blocking threads at once: fork in a multi-threaded process.
    let scratch = Scratch::new();
    let nodes: Vec<NodeGuard> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let scratch = &scratch;
                s.spawn(move || {
                    (0..4)
                        .map(|i| {
                            let name = format!("p{t}x{i}");
                            let spec = bare_host_spec(scratch.path(&name), &name);
                            NodeGuard(spawn(&spec).unwrap().release().unwrap())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(nodes.len(), 32);
    for n in &nodes {
        // Each node's work dir is named after it, and so is its hostname.
        let dir = n.work_files().init_script.parent().unwrap().to_owned();
        let want = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(n.is_running(), "node {} not running", n.pid());
        assert_eq!(
            exec_stdout(n.pid(), &["/bin/busybox", "hostname"]).trim(),
            want
        );
    }
}

// ---------- networking (root: veths in a throwaway namespace) ----------

#[test]
fn busybox_hosts_ping_across_a_bridge() {
    require_root();
    let scratch = Scratch::new();
    let ns = TestNetns::new();
    ns.bridge("br0");
    let h1 = spawn(&host_spec(
        scratch.path("h1"),
        "h1",
        "10.55.0.1/24",
        Some("10.55.0.254"),
    ))
    .unwrap();
    let h2 = spawn(&host_spec(scratch.path("h2"), "h2", "10.55.0.2/24", None)).unwrap();
    ns.attach("br0", h1.pid(), "eth0");
    ns.attach("br0", h2.pid(), "eth0");
    let h1 = NodeGuard(h1.release().unwrap());
    let h2 = NodeGuard(h2.release().unwrap());
    assert!(wait_until(Duration::from_secs(5), || has_addr(
        h2.pid(),
        "eth0",
        "10.55.0.2/24"
    )));
    assert!(wait_until(Duration::from_secs(5), || {
        exec_stdout(h1.pid(), &["/bin/busybox", "ip", "route"]).contains("default via 10.55.0.254")
    }));
    assert!(pings(h1.pid(), "10.55.0.2"), "h1 cannot ping h2");
    assert!(pings(h2.pid(), "10.55.0.1"), "h2 cannot ping h1");
    // Nothing leaked into the namespace standing in for the host: the moved ends are gone.
    let links = ns.ip(&["-o", "link", "show"]);
    assert!(!links.contains("eth0"), "{links}");
}

#[test]
fn hot_added_interface_gets_its_address() {
    require_root();
    let scratch = Scratch::new();
    let ns = TestNetns::new();
    let h1 = NodeGuard(
        spawn(&bare_host_spec(scratch.path("h1"), "h1"))
            .unwrap()
            .release()
            .unwrap(),
    );
    let h2 = NodeGuard(
        spawn(&bare_host_spec(scratch.path("h2"), "h2"))
            .unwrap()
            .release()
            .unwrap(),
    );
    // Wired after both run, as a link added to a running lab.
    let (a, b) = ns.veth();
    ns.move_into(&a, h1.pid(), "eth3");
    ns.move_into(&b, h2.pid(), "eth3");
    h1.add_interface_address(3, "10.88.0.1/30".parse().unwrap())
        .unwrap();
    h2.add_interface_address(3, "10.88.0.2/30".parse().unwrap())
        .unwrap();
    assert!(has_addr(h1.pid(), "eth3", "10.88.0.1/30"));
    // Idempotent: labd may re-apply after a restart.
    h1.add_interface_address(3, "10.88.0.1/30".parse().unwrap())
        .unwrap();
    assert!(pings(h1.pid(), "10.88.0.2"));
    // A missing interface is a clear error naming the command.
    let err = h1
        .add_interface_address(9, "10.99.0.1/24".parse().unwrap())
        .unwrap_err();
    assert!(
        matches!(&err, Error::NodeCommand { command, .. } if command.contains("eth9")),
        "{err}"
    );
}

const OSPF_CONF: &str = "frr defaults traditional
hostname {name}
log stdout informational
!
interface eth0
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
exit
!
interface lo
 ip address {loopback}/32
exit
!
router ospf
 ospf router-id {loopback}
 timers throttle spf 10 100 1000
 network 10.77.0.0/24 area 0
 network {loopback}/32 area 0
exit
!
";

fn ospf_conf(name: &str, loopback: &str) -> String {
    OSPF_CONF
        .replace("{name}", name)
        .replace("{loopback}", loopback)
}

#[test]
fn frr_routers_reach_ospf_full() {
    require_root();
    let scratch = Scratch::new();
    let ns = TestNetns::new();
    let r1 = spawn(&router_spec(
        scratch.path("r1"),
        "r1",
        "10.77.0.1/24",
        &ospf_conf("r1", "192.0.2.1"),
    ))
    .unwrap();
    let r2 = spawn(&router_spec(
        scratch.path("r2"),
        "r2",
        "10.77.0.2/24",
        &ospf_conf("r2", "192.0.2.2"),
    ))
    .unwrap();
    let (a, b) = ns.veth();
    ns.move_into(&a, r1.pid(), "eth0");
    ns.move_into(&b, r2.pid(), "eth0");
    let r1 = NodeGuard(r1.release().unwrap());
    let r2 = NodeGuard(r2.release().unwrap());
    // The node's mount namespace shows its own /etc/frr.
    let conf = exec_stdout(r1.pid(), &["/bin/busybox", "cat", "/etc/frr/frr.conf"]);
    assert!(conf.contains("hostname r1"), "{conf}");
    let neighbor = || exec_stdout(r1.pid(), &["vtysh", "-c", "show ip ospf neighbor"]);
    let full = wait_until(Duration::from_secs(45), || neighbor().contains("Full"));
    let log = std::fs::read_to_string(r1.console_log()).unwrap_or_default();
    assert!(full, "no OSPF Full: {}\nr1 console:\n{log}", neighbor());
    assert!(neighbor().contains("192.0.2.2"));
    // FRR's crash-log dir is on the node's private /var/tmp, not the host's.
    let vartmp = exec_stdout(r1.pid(), &["/bin/busybox", "ls", "/var/tmp/frr"]);
    assert!(vartmp.contains("zebra."), "{vartmp}");
    let mounts = exec_stdout(r1.pid(), &["/bin/busybox", "cat", "/proc/1/mounts"]);
    assert!(mounts.contains("tmpfs /var/tmp tmpfs"), "{mounts}");
    for entry in vartmp.split_whitespace() {
        let host = Path::new("/var/tmp/frr").join(entry);
        assert!(!host.exists(), "FRR wrote {host:?} on the host");
    }
    // The route to r2's loopback is learned by OSPF, installed by zebra, and carries traffic.
    assert!(wait_until(Duration::from_secs(15), || {
        exec_stdout(r1.pid(), &["/bin/busybox", "ip", "route"]).contains("192.0.2.2")
    }));
    assert!(pings(r1.pid(), "192.0.2.2"));
    drop(r2);
}

// ---------- unprivileged owner (labd runs as its own user) ----------

/// The whole labd-side flow run as uid `nobody`, with root wiring veths between spawn and
/// release as netd would: the protocol is lines on the helper's stdin and stdout.
#[test]
fn unprivileged_owner_spawns_releases_and_pings() {
    require_root();
    let scratch = Scratch::new();
    chown(&scratch.0, Some(NOBODY), Some(NOBODY)).unwrap();
    std::fs::set_permissions(&scratch.0, std::fs::Permissions::from_mode(0o700)).unwrap();
    let ns = TestNetns::new();
    ns.bridge("br0");
    let mut helper = HelperGuard(
        Command::new(std::env::current_exe().unwrap())
            .env(nova_test_sandbox::inside::ENV_CALL, "helper_unprivileged_owner")
            .env("NLN_HELPER_DIR", &scratch.0)
            .uid(NOBODY)
            .gid(NOBODY)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run the test binary as nobody: every directory above it must be traversable by uid 65534"),
        Vec::new(),
    );
    let mut lines = BufReader::new(helper.0.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| -> String {
        for l in lines.by_ref() {
            let l = l.unwrap();
            if let Some((_, rest)) = l.split_once(prefix) {
                return rest.trim().to_owned();
            }
        }
        panic!("helper ended before {prefix}");
    };
    let pids: Vec<u32> = next("PENDING")
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    helper.1 = pids.clone();
    for pid in &pids {
        // The node runs as the unprivileged owner outside, root inside.
        let uids = status_field(*pid, "Uid:");
        assert!(
            uids.split_whitespace().all(|u| u == "65534"),
            "node uids {uids}"
        );
        ns.attach("br0", *pid, "eth0");
    }
    writeln!(helper.0.stdin.as_mut().unwrap(), "GO").unwrap();
    assert_eq!(next("PING"), "ok", "unprivileged nodes cannot ping");
    assert_eq!(next("STOPPED"), "ok");
    assert!(helper.0.wait().unwrap().success());
}

struct HelperGuard(Child, Vec<u32>);

impl Drop for HelperGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        for pid in &self.1 {
            // SAFETY: these are the helper's node processes, started by this test.
            unsafe { libc::kill(*pid as libc::pid_t, libc::SIGKILL) };
        }
    }
}

/// Not a test: run as uid nobody by unprivileged_owner_spawns_releases_and_pings, from the
/// constructor `inside_fns!` installs (`NOVA_SANDBOX_CALL` set), instead of the test harness.
fn helper_unprivileged_owner(_args: &[String]) -> nova_test_sandbox::InsideResult {
    // SAFETY: geteuid has no preconditions.
    assert_ne!(
        unsafe { libc::geteuid() },
        0,
        "helper must run unprivileged"
    );
    let dir = PathBuf::from(std::env::var_os("NLN_HELPER_DIR").unwrap());
    let h1 = spawn(&host_spec(dir.join("h1"), "h1", "10.66.0.1/24", None)).unwrap();
    let h2 = spawn(&host_spec(dir.join("h2"), "h2", "10.66.0.2/24", None)).unwrap();
    say(&format!("PENDING {} {}", h1.pid(), h2.pid()));
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "GO");
    let h1 = NodeGuard(h1.release().unwrap());
    let h2 = NodeGuard(h2.release().unwrap());
    let ready = wait_until(Duration::from_secs(5), || {
        has_addr(h2.pid(), "eth0", "10.66.0.2/24")
    });
    let ok = ready && pings(h1.pid(), "10.66.0.2");
    say(&format!("PING {}", if ok { "ok" } else { "fail" }));
    let stopped =
        h1.kill(Duration::from_secs(2)).unwrap() && h2.kill(Duration::from_secs(2)).unwrap();
    say(&format!("STOPPED {}", if stopped { "ok" } else { "fail" }));
    Ok(String::new())
}
nova_test_sandbox::inside_fns!(helper_unprivileged_owner);

/// Straight to fd 1, flushed at once: the test reads each line while the helper waits.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").unwrap();
    out.flush().unwrap();
}
