//! `nova-sandbox`: the sandbox for people (`scripts/sandbox` wraps it). Same code as the tests use.
//!
//! ```text
//! nova-sandbox shell [--host-net]            boot, open a root shell inside, tear down on exit
//! nova-sandbox boot [--host-net] [NAME]      boot and hold it in the foreground until SIGINT/SIGTERM
//! nova-sandbox run NAME [--user U] -- CMD..  run a command inside a held sandbox
//! nova-sandbox enter NAME [--user U]         interactive shell inside a held sandbox
//! nova-sandbox stop NAME                     tear a held sandbox down
//! nova-sandbox list                          held sandboxes
//! nova-sandbox leftovers                     remove what dead test processes left; fail if
//!                                            any sandbox state dir, cgroup or process remains
//! ```

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use anyhow::{Context, Result, bail};
use nova_test_sandbox::{Sandbox, paths};

const USAGE: &str = "usage: nova-sandbox shell [--host-net]
       nova-sandbox boot [--host-net] [NAME]
       nova-sandbox run NAME [--user USER] -- CMD [ARGS...]
       nova-sandbox enter NAME [--user USER]
       nova-sandbox stop NAME
       nova-sandbox list
       nova-sandbox leftovers";

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nova-sandbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (host_net, args) = take_flag(args, "--host-net");
    let Some((verb, rest)) = args.split_first() else {
        bail!("{USAGE}");
    };
    match verb.as_str() {
        "shell" => shell(host_net),
        "boot" => boot(host_net, rest.first().map_or("default", String::as_str)),
        "run" => run(rest),
        "enter" => enter(rest),
        "stop" => stop(rest.first().context(USAGE)?),
        "list" => list(),
        "leftovers" => leftovers(),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn take_flag(args: Vec<String>, flag: &str) -> (bool, Vec<String>) {
    let had = args.iter().any(|a| a == flag);
    (had, args.into_iter().filter(|a| a != flag).collect())
}

fn boot_sandbox(host_net: bool) -> Result<Sandbox> {
    let sb = Sandbox::builder().host_network(host_net).boot()?;
    eprintln!(
        "nova-sandbox: booted {} in {} ms (PID 1 = host pid {}, state {})",
        sb.id(),
        sb.boot_time().as_millis(),
        sb.pid1(),
        sb.state_dir().display()
    );
    Ok(sb)
}

fn shell(host_net: bool) -> Result<ExitCode> {
    let sb = boot_sandbox(host_net)?;
    let status = interactive(sb.command(&["bash", "-l"]))?;
    let started = std::time::Instant::now();
    sb.teardown()?;
    eprintln!(
        "nova-sandbox: torn down in {} ms",
        started.elapsed().as_millis()
    );
    Ok(exit_code(status))
}

fn interactive(mut cmd: Command) -> Result<std::process::ExitStatus> {
    if let Ok(term) = std::env::var("TERM") {
        cmd.env("TERM", term);
    }
    cmd.env("PS1", "[nova-sandbox \\w]# ")
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit());
    Ok(cmd.status()?)
}

/// Where held sandboxes are registered by name: `<state base>/by-name/<NAME>` holds
/// "PID1 HOLDER_PID".
fn name_file(name: &str) -> Result<PathBuf> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        bail!("sandbox name {name:?}: use letters, digits, - and _");
    }
    Ok(paths::state_base()?.join("by-name").join(name))
}

fn boot(host_net: bool, name: &str) -> Result<ExitCode> {
    let file = name_file(name)?;
    if let Some((pid1, _)) = read_name(name)?
        && process_alive(pid1)
    {
        bail!("sandbox {name} is already running (PID 1 = {pid1})");
    }
    // Block the stop signals in every thread before any is spawned, then wait for one.
    let mask = stop_signals();
    // SAFETY: a valid, initialised signal set.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &mask, std::ptr::null_mut()) };
    let sb = boot_sandbox(host_net)?;
    fs::create_dir_all(file.parent().context("name dir")?)?;
    fs::write(&file, format!("{} {}", sb.pid1(), std::process::id()))?;
    println!("{}", sb.pid1());
    let mut sig = 0;
    // SAFETY: valid set and out pointer.
    unsafe { libc::sigwait(&mask, &mut sig) };
    let _ = fs::remove_file(&file);
    sb.teardown()?;
    Ok(ExitCode::SUCCESS)
}

fn stop_signals() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before use.
    unsafe {
        let mut set = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

fn read_name(name: &str) -> Result<Option<(u32, u32)>> {
    let file = name_file(name)?;
    let Ok(s) = fs::read_to_string(&file) else {
        return Ok(None);
    };
    let mut it = s.split_whitespace().map(str::parse::<u32>);
    match (it.next(), it.next()) {
        (Some(Ok(p)), Some(Ok(h))) => Ok(Some((p, h))),
        _ => bail!("{}: unreadable", file.display()),
    }
}

fn running(name: &str) -> Result<(u32, u32)> {
    match read_name(name)? {
        Some((pid1, holder)) if process_alive(pid1) => Ok((pid1, holder)),
        _ => bail!("no running sandbox named {name} (start one: scripts/sandbox boot {name})"),
    }
}

/// The same `nsenter` + `setpriv` invocation `Sandbox::command_as` uses.
fn inside(pid1: u32, user: Option<&str>, argv: &[String]) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.arg(format!("--target={pid1}"))
        .args(["--mount", "--pid", "--uts", "--net", "--wd=/", "--"]);
    if let Some(u) = user.filter(|u| *u != "root") {
        cmd.args([
            "setpriv",
            &format!("--reuid={u}"),
            &format!("--regid={}", primary_group(pid1, u)),
            "--init-groups",
            "--",
        ]);
    }
    cmd.args(argv);
    cmd
}

fn primary_group(pid1: u32, user: &str) -> String {
    let out = inside(pid1, None, &["id".into(), "-g".into(), user.into()]).output();
    out.ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| user.to_string())
}

fn split_user(rest: &[String]) -> (Option<String>, Vec<String>) {
    let mut user = None;
    let mut out = Vec::new();
    let mut it = rest.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--user" | "-u" => user = it.next().cloned(),
            "--" => {
                out.extend(it.cloned());
                break;
            }
            _ => out.push(a.clone()),
        }
    }
    (user, out)
}

fn run(rest: &[String]) -> Result<ExitCode> {
    let (name, rest) = rest.split_first().context(USAGE)?;
    let (pid1, _) = running(name)?;
    let (user, argv) = split_user(rest);
    if argv.is_empty() {
        bail!("{USAGE}");
    }
    Ok(exit_code(inside(pid1, user.as_deref(), &argv).status()?))
}

fn enter(rest: &[String]) -> Result<ExitCode> {
    let (name, rest) = rest.split_first().context(USAGE)?;
    let (pid1, _) = running(name)?;
    let (user, _) = split_user(rest);
    let cmd = inside(pid1, user.as_deref(), &["bash".into(), "-l".into()]);
    Ok(exit_code(interactive(cmd)?))
}

fn stop(name: &str) -> Result<ExitCode> {
    let (_, holder) = running(name)?;
    let pid = rustix::process::Pid::from_raw(holder as i32).context("holder pid")?;
    rustix::process::kill_process(pid, rustix::process::Signal::TERM)?;
    for _ in 0..500 {
        if !process_alive(holder) {
            return Ok(ExitCode::SUCCESS);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    bail!("holder {holder} of sandbox {name} did not exit")
}

/// Alive and not a zombie (an exited holder whose parent has not reaped it yet is done).
fn process_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
    })
}

fn list() -> Result<ExitCode> {
    let dir = paths::state_base()?.join("by-name");
    for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Ok((pid1, holder)) = running(&name) {
            println!("{name}\tpid1={pid1}\tholder={holder}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn leftovers() -> Result<ExitCode> {
    nova_test_sandbox::collect_stale()?;
    let report = nova_test_sandbox::leftovers()?;
    if report.is_empty() {
        println!("nova-sandbox: no sandbox leftovers");
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    for item in &report {
        // A closed pipe (`| head`) is no reason to panic.
        if writeln!(out, "leftover: {item}").is_err() {
            break;
        }
    }
    Ok(ExitCode::FAILURE)
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    ExitCode::from(status.code().unwrap_or(1).clamp(0, 255) as u8)
}
