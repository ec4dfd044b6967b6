//! A sandbox never outlives its test: not when the test panics (Drop during unwinding), and not
//! when the test process is killed outright (parent-death signal; the next boot removes the
//! leftover state dir).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nova_test_sandbox::{InsideResult, Sandbox, inside, inside_fns};

/// Boots a sandbox, makes a link in it, reports it, then panics with the sandbox alive.
fn boot_then_panic(_args: &[String]) -> InsideResult {
    let sb = Sandbox::boot()?;
    sb.run_ok(&["ip", "link", "add", "nsbpanic0", "type", "bridge"])?;
    report(&sb);
    panic!("deliberate panic with a live sandbox");
}

/// Boots a sandbox, reports it, then waits to be killed.
fn boot_then_hang(_args: &[String]) -> InsideResult {
    let sb = Sandbox::boot()?;
    report(&sb);
    std::thread::sleep(Duration::from_secs(600));
    Err("not killed".into())
}

fn report(sb: &Sandbox) {
    println!(
        "{} {} {}",
        sb.pid1(),
        sb.cgroup_name(),
        sb.state_dir().display()
    );
}

/// Uses the per-process shared sandbox twice, reports it, and returns: the process exits with it.
fn use_shared_then_exit(_args: &[String]) -> InsideResult {
    let first = Sandbox::shared();
    let second = Sandbox::shared();
    if first.pid1() != second.pid1() {
        return Err("Sandbox::shared() booted twice".into());
    }
    first.run_ok(&["systemctl", "is-active", "polkit.service"])?;
    report(first);
    Ok(String::new())
}

inside_fns!(boot_then_panic, boot_then_hang, use_shared_then_exit);

/// Runs this test binary on the host with one of the functions above.
fn spawn_child(name: &str) -> (Child, Remains) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(inside::ENV_CALL, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let mut it = line.split_whitespace();
    let remains = Remains {
        pid1: it.next().expect("child reported nothing").parse().unwrap(),
        cgroup: it.next().unwrap().to_string(),
        state: PathBuf::from(it.next().unwrap()),
    };
    assert!(
        remains.pid1_alive(),
        "sandbox not running while its test runs"
    );
    (child, remains)
}

struct Remains {
    pid1: u32,
    cgroup: String,
    state: PathBuf,
}

impl Remains {
    fn pid1_alive(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid1))
            .is_ok_and(|s| !s.contains(") Z "))
    }

    fn cgroup_dirs(&self) -> Vec<PathBuf> {
        ["systemd", "unified", "memory", "pids", "cpu"]
            .iter()
            .map(|h| Path::new("/sys/fs/cgroup").join(h).join(&self.cgroup))
            .filter(|p| p.exists())
            .collect()
    }

    fn assert_all_gone(&self) {
        assert!(!self.pid1_alive(), "sandbox PID 1 {} survived", self.pid1);
        assert!(
            !self.state.exists(),
            "state dir left: {}",
            self.state.display()
        );
        assert_eq!(self.cgroup_dirs(), Vec::<PathBuf>::new(), "cgroups left");
    }
}

fn wait_until(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn host_has_link(name: &str) -> bool {
    let out = Command::new("ip").args(["-o", "link"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains(&format!(": {name}:"))
}

#[test]
fn a_panicking_test_leaves_nothing_behind() {
    let (mut child, remains) = spawn_child("boot_then_panic");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(101), "the child should have panicked");
    remains.assert_all_gone();
    assert!(!host_has_link("nsbpanic0"));
}

#[test]
fn the_shared_sandbox_is_torn_down_when_its_process_exits() {
    let (mut child, remains) = spawn_child("use_shared_then_exit");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    remains.assert_all_gone();
}

#[test]
fn a_killed_test_process_takes_its_sandbox_with_it() {
    let (mut child, remains) = spawn_child("boot_then_hang");
    child.kill().unwrap(); // SIGKILL: no Drop, no atexit
    child.wait().unwrap();
    // The kernel kills the sandbox through the launcher's parent-death signal.
    wait_until("the sandbox to die", Duration::from_secs(10), || {
        !remains.pid1_alive()
    });
    // Only directories remain; the next boot (or collect_stale) removes them. Another test's
    // sandbox booting in parallel may already have collected them, so their presence here is
    // not asserted — only that nothing is left once collection ran.
    nova_test_sandbox::collect_stale().unwrap();
    remains.assert_all_gone();
}
