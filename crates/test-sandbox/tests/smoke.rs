//! Smoke tests: the sandbox is a real systemd with dbus and polkit, the project's files are in
//! place, D-Bus calls can be made from inside as root and as other users, and nothing leaks to
//! the host.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};
use zbus::{OwnedObjectPath, Variant as Value};

const TEST_ACTION: &str = "org.novave.test.sandbox-smoke";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn boot() -> Sandbox {
    Sandbox::builder()
        .polkit_policy(fixture("org.novave.test-sandbox.policy"))
        .sysusers(fixture("nova-sbtest.sysusers.conf"))
        .tmpfiles(fixture("nova-sbtest.tmpfiles.conf"))
        .boot()
        .unwrap_or_else(|e| panic!("{e}"))
}

fn host_link_names() -> Vec<String> {
    let out = Command::new("ip").args(["-j", "link"]).output().unwrap();
    assert!(out.status.success());
    link_names(&String::from_utf8_lossy(&out.stdout))
}

fn link_names(json: &str) -> Vec<String> {
    let links: Vec<serde_json::Value> = serde_json::from_str(json).unwrap();
    links
        .iter()
        .filter_map(|l| l["ifname"].as_str().map(String::from))
        .collect()
}

// ---- functions run inside the sandbox through Sandbox::call --------------------------------

/// Forks a child that waits on a pipe, wraps it into a transient scope with StartTransientUnit,
/// waits until it is in the scope's cgroup, then lets it connect to the journal and exec.
/// Args: unit name, token to print. Prints the child's PID (inside the sandbox).
fn start_scope(args: &[String]) -> InsideResult {
    let (unit, token) = (&args[0], &args[1]);
    let script =
        format!("read go && exec systemd-cat -t nova-smoke sh -c 'echo {token}; exec sleep 600'");
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let job = block_on(start_transient_scope(unit, pid))?;
    let cgroup_file = format!("/proc/{pid}/cgroup");
    for _ in 0..500 {
        if std::fs::read_to_string(&cgroup_file)?.contains(unit.as_str()) {
            child.stdin.take().ok_or("no stdin")?.write_all(b"go\n")?;
            return Ok(format!("{pid} {job}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("child {pid} never entered {unit}").into())
}

async fn start_transient_scope(unit: &str, pid: u32) -> zbus::Result<String> {
    let conn = zbus::Connection::system().await?;
    let props: Vec<(&str, Value<'_>)> = vec![
        ("Description", Value::from("nova-ve sandbox smoke scope")),
        ("Slice", Value::from("nova.slice")),
        ("MemoryMax", Value::from(256u64 << 20)),
        ("PIDs", Value::from(vec![pid])),
    ];
    let aux: Vec<(&str, Vec<(&str, Value<'_>)>)> = Vec::new();
    let reply = conn
        .call_method(
            Some("org.freedesktop.systemd1"),
            "/org/freedesktop/systemd1",
            Some("org.freedesktop.systemd1.Manager"),
            "StartTransientUnit",
            &(unit, "fail", props, aux),
        )
        .await?;
    let job: OwnedObjectPath = reply.body().deserialize()?;
    Ok(job.to_string())
}

/// Asks polkit over D-Bus whether this process may do the test action. Prints "yes" or "no".
fn check_authorization(_args: &[String]) -> InsideResult {
    let authorized = block_on(check_own_authorization(TEST_ACTION))?;
    Ok(if authorized { "yes" } else { "no" }.to_string())
}

async fn check_own_authorization(action: &str) -> zbus::Result<bool> {
    let conn = zbus::Connection::system().await?;
    let start_time = own_start_time().map_err(|e| zbus::Error::Failure(e.to_string()))?;
    let mut subject: HashMap<&str, Value<'_>> = HashMap::new();
    subject.insert("pid", Value::from(std::process::id()));
    subject.insert("start-time", Value::from(start_time));
    let details: HashMap<&str, &str> = HashMap::new();
    let reply = conn
        .call_method(
            Some("org.freedesktop.PolicyKit1"),
            "/org/freedesktop/PolicyKit1/Authority",
            Some("org.freedesktop.PolicyKit1.Authority"),
            "CheckAuthorization",
            &(("unix-process", subject), action, details, 0u32, ""),
        )
        .await?;
    let (authorized, _challenge, _details): (bool, bool, HashMap<String, String>) =
        reply.body().deserialize()?;
    Ok(authorized)
}

fn own_start_time() -> std::io::Result<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    stat.rsplit_once(") ")
        .and_then(|(_, rest)| rest.split_whitespace().nth(19)?.parse().ok())
        .ok_or_else(|| std::io::Error::other("unparsable /proc/self/stat"))
}

/// Prints uid and PID as seen by the process inside.
fn whoami(_args: &[String]) -> InsideResult {
    Ok(format!(
        "{} {}",
        rustix::process::getuid().as_raw(),
        std::process::id()
    ))
}

/// Leaves a child behind that inherited stdout and stderr.
fn leave_child(_args: &[String]) -> InsideResult {
    Command::new("sleep").arg("300").spawn()?;
    Ok("left".into())
}

/// Prints the arguments it got, as JSON.
fn echo_args(args: &[String]) -> InsideResult {
    Ok(serde_json::to_string(args)?)
}

inside_fns!(
    start_scope,
    check_authorization,
    whoami,
    leave_child,
    echo_args
);

// ---- tests -----------------------------------------------------------------------------------

#[test]
fn bus_has_systemd_and_polkit() {
    let sb = boot();
    let names = sb
        .run_ok(&["busctl", "--system", "list", "--no-pager"])
        .unwrap();
    assert!(names.contains("org.freedesktop.systemd1"), "{names}");
    assert!(names.contains("org.freedesktop.PolicyKit1"), "{names}");
    eprintln!("boot took {:?}", sb.boot_time());
}

#[test]
fn only_the_expected_services_run_and_host_touching_units_are_masked() {
    let sb = boot();
    let active = sb
        .run_ok(&[
            "systemctl",
            "list-units",
            "--type=service",
            "--state=active",
            "--plain",
            "--no-legend",
        ])
        .unwrap();
    let mut services: Vec<&str> = active
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    services.sort_unstable();
    assert_eq!(
        services,
        ["dbus.service", "polkit.service", "systemd-journald.service"],
        "{active}"
    );
    for unit in ["systemd-tmpfiles-setup.service", "systemd-sysctl.service"] {
        let state = sb.run(&["systemctl", "is-enabled", unit]).unwrap();
        assert_eq!(String::from_utf8_lossy(&state.stdout).trim(), "masked");
    }
    let failed = sb
        .run_ok(&[
            "systemctl",
            "list-units",
            "--failed",
            "--plain",
            "--no-legend",
        ])
        .unwrap();
    assert_eq!(failed.trim(), "", "failed units");
    // /tmp, /run, /dev/net, ... inside are the sandbox's own: the topmost mount there has the
    // expected type and is another filesystem than the host's.
    for (path, fstype) in [
        ("/tmp", "tmpfs"),
        ("/var/tmp", "tmpfs"),
        ("/var/log", "tmpfs"),
        ("/dev/shm", "tmpfs"),
        ("/run", "tmpfs"),
        ("/dev/net", "tmpfs"),
        ("/etc", "overlay"),
        ("/usr", "overlay"),
        ("/var/lib", "overlay"),
    ] {
        let fs = sb
            .run_ok(&["findmnt", "-n", "-o", "FSTYPE", "--mountpoint", path])
            .unwrap();
        assert_eq!(fs.lines().last(), Some(fstype), "{path}");
        let inside_dev = sb.run_ok(&["stat", "-c", "%d", path]).unwrap();
        let host = Command::new("stat")
            .args(["-c", "%d", path])
            .output()
            .unwrap();
        assert_ne!(
            inside_dev,
            String::from_utf8_lossy(&host.stdout),
            "{path} is the host's"
        );
    }
}

#[test]
fn project_files_and_users_exist_only_inside() {
    let sb = boot();
    // Service users from the repository's sysusers.d and from the fixture.
    let repo_sysusers = std::fs::read_to_string(
        nova_test_sandbox::paths::repo_root().join("units/sysusers.d/nova-ve.conf"),
    )
    .unwrap_or_default();
    let mut users: Vec<&str> = repo_sysusers
        .lines()
        .filter_map(|l| l.strip_prefix("u "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    users.push("nova-sbtest");
    let host_passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    for user in users {
        sb.run_ok(&["getent", "passwd", user])
            .unwrap_or_else(|e| panic!("{user} missing inside: {e}"));
        assert!(
            !host_passwd.contains(&format!("\n{user}:")),
            "{user} leaked to the host"
        );
    }
    // Bus policy, polkit action and unit from the repository and fixtures are in place.
    sb.run_ok(&[
        "test",
        "-f",
        "/usr/share/polkit-1/actions/org.novave.test-sandbox.policy",
    ])
    .unwrap();
    let slice = sb.run_ok(&["systemctl", "cat", "nova.slice"]).unwrap();
    assert!(slice.contains("nova-ve lab nodes"));
    // A write to /var/lib/nova-ve lands in the state dir, not on the host.
    sb.run_ok(&["sh", "-c", "echo x > /var/lib/nova-ve/sandbox-smoke"])
        .unwrap();
    assert!(!Path::new("/var/lib/nova-ve/sandbox-smoke").exists());
    assert!(
        sb.state_dir()
            .join("upper/var/lib/nova-ve/sandbox-smoke")
            .exists()
    );
    // The stock /run layout of a booted host is there (frr's tmpfiles.d makes /run/frr), but
    // no /run/nologin.
    sb.run_ok(&["test", "-d", "/run/user"]).unwrap();
    assert!(
        !sb.run(&["test", "-e", "/run/nologin"])
            .unwrap()
            .status
            .success()
    );
    // tmpfiles.d entries apply only when asked, and only inside.
    assert!(
        !sb.run(&["test", "-e", "/var/lib/nova-sbtest"])
            .unwrap()
            .status
            .success()
    );
    sb.apply_tmpfiles().unwrap();
    let made = sb
        .run_ok(&["stat", "-c", "%U %a", "/var/lib/nova-sbtest"])
        .unwrap();
    assert_eq!(made.trim(), "nova-sbtest 750");
    assert!(!Path::new("/var/lib/nova-sbtest").exists());
    // The workspace's built binaries are in /usr/libexec/nova-ve.
    let bins = nova_test_sandbox::paths::bin_dir().unwrap();
    for name in ["nova-ve-netd", "nova-ve-labd", "novactl"] {
        if bins.join(name).is_file() {
            let inside = format!("/usr/libexec/nova-ve/{name}");
            sb.run_ok(&["test", "-x", &inside]).unwrap();
        }
    }
    // The private /dev/net/tun is 0666; the host's is left as it is.
    let mode = sb
        .run_ok(&["stat", "-c", "%a %t:%T", "/dev/net/tun"])
        .unwrap();
    assert_eq!(mode.trim(), "666 a:c8");
}

#[test]
fn commands_and_inside_functions_run_as_the_requested_user() {
    let sb = boot();
    assert_eq!(sb.run_ok(&["id", "-un"]).unwrap().trim(), "root");
    assert_eq!(
        sb.run_as_ok("nobody", &["id", "-un"]).unwrap().trim(),
        "nobody"
    );
    let err = sb.run_ok(&["sh", "-c", "echo out; echo err >&2; exit 3"]);
    let msg = err.unwrap_err().to_string();
    assert!(
        msg.contains("exit status: 3") && msg.contains("out") && msg.contains("err"),
        "{msg}"
    );
    assert!(matches!(
        sb.run_as("no-such-user", &["true"]),
        Err(nova_test_sandbox::Error::UnknownUser(_))
    ));
    // The re-executed test binary runs inside: own PID namespace, requested uid.
    let root = sb.call("root", "whoami", &[]).unwrap();
    let nobody = sb.call("nobody", "whoami", &[]).unwrap();
    let (uid, pid) = root.split_once(' ').unwrap();
    assert_eq!(uid, "0");
    assert!(
        pid.parse::<u32>().unwrap() < 1000,
        "pid {pid} is not a sandbox pid"
    );
    assert!(nobody.starts_with("65534 "), "{nobody}");
    let unknown = sb.call("root", "no_such_fn", &[]).unwrap_err().to_string();
    assert!(unknown.contains("no inside function"), "{unknown}");
    // Arguments arrive exactly as given: empty ones, spaces, a leading dash included.
    for user in ["root", "nobody"] {
        let args = ["", "a b", "", "-x", ""];
        let got = sb.call(user, "echo_args", &args).unwrap();
        assert_eq!(got, serde_json::to_string(&args).unwrap(), "as {user}");
        assert_eq!(sb.call(user, "echo_args", &[]).unwrap(), "[]");
    }
}

#[test]
fn commands_return_at_exit_even_if_their_children_keep_the_output_open() {
    let sb = boot();
    let started = std::time::Instant::now();
    let out = sb
        .run_ok(&["sh", "-c", "sleep 300 & echo started"])
        .unwrap();
    assert_eq!(out.trim(), "started");
    assert_eq!(sb.call("nobody", "leave_child", &[]).unwrap(), "left");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "waited for the children"
    );
}

#[test]
fn transient_scope_gets_its_output_in_the_journal_and_stops() {
    let sb = boot();
    let unit = "nova-smoke-node.scope";
    let token = format!("hello-from-scope-{}", std::process::id());
    let out = sb.call("root", "start_scope", &[unit, &token]).unwrap();
    let pid = out.split_whitespace().next().unwrap().to_string();

    sb.wait_active(unit, Duration::from_secs(10)).unwrap();
    let status = sb
        .run_ok(&["systemctl", "status", "--no-pager", "--lines=0", unit])
        .unwrap();
    assert!(status.contains("active (running)"), "{status}");
    assert!(status.contains("nova.slice"), "{status}");
    let memory_max = sb
        .run_ok(&["systemctl", "show", "-P", "MemoryMax", unit])
        .unwrap();
    assert_eq!(memory_max.trim(), (256u64 << 20).to_string());

    sb.wait_for(
        "the scope's output in its journal",
        Duration::from_secs(10),
        || sb.journal(unit).is_ok_and(|j| j.contains(&token)),
    )
    .unwrap();

    sb.run_ok(&["systemctl", "stop", unit]).unwrap();
    sb.wait_for(
        "the scope's processes to die",
        Duration::from_secs(10),
        || {
            sb.run(&["kill", "-0", &pid])
                .is_ok_and(|o| !o.status.success())
        },
    )
    .unwrap();
    let state = sb.run(&["systemctl", "is-active", unit]).unwrap();
    assert_ne!(String::from_utf8_lossy(&state.stdout).trim(), "active");
}

#[test]
fn polkit_authorizes_root_and_not_nobody() {
    let sb = boot();
    let pkcheck = [
        "sh",
        "-c",
        "exec pkcheck --action-id \"$0\" --process $$",
        TEST_ACTION,
    ];
    let root = sb.run(&pkcheck).unwrap();
    assert!(
        root.status.success(),
        "root denied: {}",
        String::from_utf8_lossy(&root.stderr)
    );
    let nobody = sb.run_as("nobody", &pkcheck).unwrap();
    assert!(!nobody.status.success(), "nobody was authorized");
    // The same over D-Bus from inside, made by the process asking about itself.
    assert_eq!(sb.call("root", "check_authorization", &[]).unwrap(), "yes");
    assert_eq!(sb.call("nobody", "check_authorization", &[]).unwrap(), "no");
    // An action nobody installed is denied even to... nobody; unknown actions are an error.
    let unknown = sb
        .run(&[
            "pkcheck",
            "--action-id",
            "org.novave.no-such-action",
            "--process",
            "1",
        ])
        .unwrap();
    assert!(!unknown.status.success());
}

#[test]
fn links_made_inside_are_invisible_outside_and_gone_after_teardown() {
    let sb = boot();
    let bridge = "nsbsmoke0";
    let tap = "nsbsmoketap0";
    sb.run_ok(&["ip", "link", "add", bridge, "type", "bridge"])
        .unwrap();
    sb.run_ok(&["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
        .unwrap();
    sb.run_ok(&["ip", "link", "set", tap, "master", bridge])
        .unwrap();
    let inside = link_names(&sb.run_ok(&["ip", "-j", "link"]).unwrap());
    assert!(inside.contains(&bridge.to_string()) && inside.contains(&tap.to_string()));
    let host = host_link_names();
    assert!(!host.contains(&bridge.to_string()) && !host.contains(&tap.to_string()));

    let pid1 = sb.pid1();
    let pids = sb.host_pids();
    assert!(pids.len() >= 4, "systemd, journald, dbus, polkit: {pids:?}");
    assert!(pids.contains(&pid1));
    let state = sb.state_dir().to_path_buf();
    let cgroup = sb.cgroup_name().to_string();
    drop(sb);

    let host = host_link_names();
    assert!(!host.contains(&bridge.to_string()) && !host.contains(&tap.to_string()));
    for pid in pids {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "{pid} survived"
        );
    }
    assert!(!state.exists(), "state dir left: {}", state.display());
    for h in ["systemd", "unified", "memory", "pids"] {
        let dir = Path::new("/sys/fs/cgroup").join(h).join(&cgroup);
        assert!(!dir.exists(), "cgroup left: {}", dir.display());
    }
}

#[test]
fn host_network_option_shares_the_hosts_links() {
    let sb = Sandbox::builder()
        .host_network(true)
        .boot()
        .unwrap_or_else(|e| panic!("{e}"));
    // Other tests may add or remove host links meanwhile: compare with the links that were
    // there both before and after.
    let before = host_link_names();
    let inside = link_names(&sb.run_ok(&["ip", "-j", "link"]).unwrap());
    let after = host_link_names();
    let stable: Vec<&String> = before.iter().filter(|l| after.contains(l)).collect();
    assert!(stable.len() > 1, "host has only {stable:?}");
    for link in stable {
        assert!(
            inside.contains(link),
            "{link} not visible inside: {inside:?}"
        );
    }
    // The private default has only loopback.
    let private = boot();
    let names = link_names(&private.run_ok(&["ip", "-j", "link"]).unwrap());
    assert_eq!(names, ["lo"]);
}

/// Deletes a host network namespace made by a test, also when the test fails.
struct HostNetns(String);

impl HostNetns {
    fn add(name: String) -> Self {
        let ok = Command::new("ip")
            .args(["netns", "add", &name])
            .status()
            .unwrap();
        assert!(ok.success(), "ip netns add {name}");
        HostNetns(name)
    }
}

impl Drop for HostNetns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

#[test]
fn the_sandbox_does_not_hold_other_network_namespaces() {
    // A namespace another test made with `ip netns add` is a bind mount the sandbox's mount
    // namespace starts with a copy of; kept, it would outlive its owner's `ip netns del`.
    let netns = HostNetns::add(format!("nsbsmoke-{}", std::process::id()));
    let sb = boot();
    let nsfs = sb
        .run(&["findmnt", "-rn", "-o", "TARGET", "-t", "nsfs"])
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&nsfs.stdout),
        "",
        "nsfs mounts inside"
    );
    drop(netns);
}

#[test]
fn a_boot_that_cannot_finish_fails_in_bounded_time_with_the_journal() {
    let started = std::time::Instant::now();
    let err = Sandbox::builder()
        .wants("nova-sbtest-missing.service")
        .boot_timeout(Duration::from_secs(3))
        .boot()
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(15));
    let msg = err.to_string();
    assert!(
        matches!(err, nova_test_sandbox::Error::Boot { .. }),
        "{msg}"
    );
    assert!(msg.contains("nova-sbtest-missing.service"), "{msg}");
    assert!(
        msg.contains("--- journal ---") && msg.contains("polkitd"),
        "{msg}"
    );
}
