//! The `nova-sandbox` binary behind `scripts/sandbox` (and `make demo`): boot a named sandbox in
//! the background, run commands in it as root and as another user, stop it, nothing left.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_nova-sandbox");

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// Stops the named sandbox when the test ends, also on failure.
struct Named(String);

impl Drop for Named {
    fn drop(&mut self) {
        let _ = cli(&["stop", &self.0]);
    }
}

#[test]
fn a_named_sandbox_boots_runs_commands_and_stops() {
    let name = Named(format!("clitest-{}", std::process::id()));
    let mut holder = Command::new(BIN)
        .args(["boot", &name.0])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let pid1: u32 = line.trim().parse().expect("boot prints PID 1");

    let list = String::from_utf8(cli(&["list"]).stdout).unwrap();
    assert!(list.contains(&format!("{}\tpid1={pid1}", name.0)), "{list}");
    let root = cli(&["run", &name.0, "--", "id", "-u"]);
    assert_eq!(String::from_utf8_lossy(&root.stdout).trim(), "0");
    let nobody = cli(&["run", &name.0, "--user", "nobody", "--", "id", "-un"]);
    assert_eq!(String::from_utf8_lossy(&nobody.stdout).trim(), "nobody");
    let failing = cli(&["run", &name.0, "--", "sh", "-c", "exit 7"]);
    assert_eq!(failing.status.code(), Some(7), "exit status is passed on");
    let again = cli(&["boot", &name.0]);
    assert!(
        !again.status.success(),
        "a second sandbox with the same name"
    );

    assert!(cli(&["stop", &name.0]).status.success());
    assert!(holder.wait().unwrap().success());
    assert!(
        !Path::new(&format!("/proc/{pid1}")).exists(),
        "PID 1 survived"
    );
    let gone = cli(&["run", &name.0, "--", "true"]);
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no running sandbox"));
}

#[test]
fn bad_names_and_verbs_are_refused() {
    for args in [
        &["run", "../etc", "--", "true"][..],
        &["stop", "a/b"],
        &["frobnicate"],
    ] {
        let out = cli(args);
        assert!(!out.status.success(), "{args:?} accepted");
        assert!(!out.stderr.is_empty(), "{args:?}: no message");
    }
}
