//! Removing what sandboxes leave: their cgroups and state dirs, also those of test processes
//! that were killed before they could clean up (their sandboxes died with them through the
//! parent-death signal; only directories remain, and the next boot removes them).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

/// Cgroup hierarchies are mounted below here (hybrid v1 + v2 on this machine kind, or pure v2).
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// "PID STARTTIME": identifies a process across PID reuse.
pub fn process_identity(pid: u32) -> String {
    format!("{pid} {}", start_time(pid).unwrap_or(0))
}

/// Whether the process written by [`process_identity`] is still the same live process.
fn identity_alive(identity: &str) -> Option<u32> {
    let mut it = identity.split_whitespace();
    let pid: u32 = it.next()?.parse().ok()?;
    let start: u64 = it.next()?.parse().ok()?;
    (start_time(pid) == Some(start)).then_some(pid)
}

/// Field 22 of /proc/PID/stat: start time in clock ticks since boot.
fn start_time(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Removes state dirs (and their cgroups) whose owning process is gone.
pub fn collect_stale(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !owner_gone(&dir) {
            continue;
        }
        if let Some(pid1) = fs::read_to_string(dir.join("pid1"))
            .ok()
            .and_then(|s| identity_alive(&s))
        {
            // Normally dead through the parent-death signal already.
            if let Some(p) = Pid::from_raw(pid1 as i32) {
                let _ = kill_process(p, Signal::KILL);
            }
        }
        let mut failures = Vec::new();
        if let Some(name) = dir.file_name().and_then(|n| n.to_str()) {
            remove_cgroups(&format!("nova-sandbox-{name}"), &mut failures);
        }
        remove_state_dir(&dir, &mut failures);
        for f in failures {
            eprintln!("nova-test-sandbox: stale sandbox {}: {f}", dir.display());
        }
    }
}

/// Whether `dir` is a sandbox state dir whose test process is gone. The owner file has PID and
/// start time; a dir killed before it was written is named "<pid>-<n>".
fn owner_gone(dir: &Path) -> bool {
    if let Ok(owner) = fs::read_to_string(dir.join("owner")) {
        return identity_alive(&owner).is_none();
    }
    let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    match name
        .split_once('-')
        .map(|(pid, n)| (pid.parse::<u32>(), n.parse::<u32>()))
    {
        Some((Ok(pid), Ok(_))) => !Path::new(&format!("/proc/{pid}")).exists(),
        _ => false,
    }
}

/// Removes the sandbox's cgroup subtree from every hierarchy, deepest first. Retries for a while:
/// a cgroup stays busy until the kernel has finished killing its processes.
pub fn remove_cgroups(name: &str, failures: &mut Vec<String>) {
    if name.is_empty() || name.contains('/') {
        failures.push(format!("refusing to remove cgroup {name:?}"));
        return;
    }
    for top in hierarchies() {
        let dir = top.join(name);
        if !dir.exists() {
            continue;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match remove_cgroup_tree(&dir) {
                Ok(()) => break,
                // Another process collecting the same stale sandbox got there first.
                Err(_) if !dir.exists() => break,
                Err(e) if Instant::now() >= deadline => {
                    failures.push(format!("rmdir {}: {e}", dir.display()));
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// Mount points of every cgroup hierarchy (the same list init.sh joins).
fn hierarchies() -> Vec<std::path::PathBuf> {
    let mounts = fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (target, fstype) = (f.nth(1)?, f.next()?);
            matches!(fstype, "cgroup" | "cgroup2").then(|| std::path::PathBuf::from(target))
        })
        .filter(|p| p.starts_with(CGROUP_ROOT))
        .collect()
}

/// Cgroup dirs can only be removed with rmdir, children first (their files are virtual).
fn remove_cgroup_tree(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)?.flatten() {
        if entry.file_type()?.is_dir() {
            remove_cgroup_tree(&entry.path())?;
        }
    }
    match fs::remove_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Host PIDs of every process in the cgroup subtree `name` (systemd's own hierarchy if mounted,
/// else the unified one).
pub fn cgroup_pids(name: &str) -> Vec<u32> {
    let top = ["systemd", "unified", ""]
        .iter()
        .map(|h| Path::new(CGROUP_ROOT).join(h).join(name))
        .find(|p| p.join("cgroup.procs").exists());
    let mut pids = Vec::new();
    if let Some(top) = top {
        collect_pids(&top, &mut pids);
    }
    pids.sort_unstable();
    pids.dedup();
    pids
}

fn collect_pids(dir: &Path, pids: &mut Vec<u32>) {
    if let Ok(procs) = fs::read_to_string(dir.join("cgroup.procs")) {
        pids.extend(procs.lines().filter_map(|l| l.trim().parse::<u32>().ok()));
    }
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_pids(&entry.path(), pids);
        }
    }
}

/// Removes a state dir, but only one that carries the sandbox marker.
pub fn remove_state_dir(dir: &Path, failures: &mut Vec<String>) {
    if !dir.exists() {
        return;
    }
    let named_like_one = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split_once('-'))
        .is_some_and(|(p, n)| p.parse::<u32>().is_ok() && n.parse::<u32>().is_ok());
    if !dir.join("nova-sandbox-state").is_file() && !named_like_one {
        failures.push(format!(
            "{} is not a sandbox state dir; left in place",
            dir.display()
        ));
        return;
    }
    if let Err(e) = fs::remove_dir_all(dir)
        && dir.exists()
    {
        failures.push(format!("remove {}: {e}", dir.display()));
    }
}

/// Whether the sandbox id `<pid>-<n>` (the name of its state dir and, after `nova-sandbox-`,
/// of its cgroups) belongs to a test process that is still running. Such a sandbox is someone
/// else's live work (another test run, `make demo`), never a leftover of a finished run.
fn owner_running(sandbox_id: &str) -> bool {
    sandbox_id
        .split_once('-')
        .and_then(|(pid, _)| pid.parse::<u32>().ok())
        .is_some_and(|pid| start_time(pid).is_some())
}

/// The sandbox id in a `/proc/PID/cgroup` text, if the process is in a sandbox's cgroup.
fn sandbox_id_of_cgroup(cgroup: &str) -> Option<&str> {
    let (_, rest) = cgroup.split_once("/nova-sandbox-")?;
    Some(rest.split(['/', '\n']).next().unwrap_or(rest))
}

/// See [`crate::leftovers`].
pub fn leftovers(base: &Path) -> Result<Vec<String>, crate::Error> {
    let mut out = Vec::new();
    for entry in fs::read_dir(base).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() && entry.file_name() != "by-name" && owner_gone(&path) {
            out.push(format!("state dir {}", path.display()));
        }
    }
    for top in hierarchies() {
        for entry in fs::read_dir(&top).into_iter().flatten().flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(id) = name.strip_prefix("nova-sandbox-")
                && !owner_running(id)
            {
                out.push(format!("cgroup {}", entry.path().display()));
            }
        }
    }
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let cgroup = fs::read_to_string(entry.path().join("cgroup")).unwrap_or_default();
        // A zombie is dead already; its reaper (the host's init) collects it.
        let zombie =
            Pid::from_raw(pid.parse().unwrap_or(0)).is_none_or(|p| !crate::launcher::alive(p));
        if sandbox_id_of_cgroup(&cgroup).is_some_and(|id| !owner_running(id)) && !zombie {
            let comm = fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            out.push(format!("process {pid} ({})", comm.trim()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandboxes_of_running_processes_are_not_leftovers() {
        let me = std::process::id();
        assert!(owner_running(&format!("{me}-0")));
        assert!(!owner_running("4294967295-0"));
        assert!(!owner_running("not-an-id"));
        assert_eq!(
            sandbox_id_of_cgroup("12:pids:/nova-sandbox-42-3/system.slice\n0::/x\n"),
            Some("42-3")
        );
        assert_eq!(sandbox_id_of_cgroup("0::/user.slice\n"), None);
    }

    #[test]
    fn a_state_dir_without_owner_file_is_judged_by_its_name() {
        let base = crate::paths::state_base().unwrap();
        let mine = base.join(format!("{}-999", std::process::id()));
        let not_one = base.join("by-name");
        assert!(!owner_gone(&mine));
        assert!(!owner_gone(&not_one));
        // PIDs above the kernel's maximum (4194304) never exist.
        assert!(owner_gone(&base.join("4294967295-0")));
    }

    #[test]
    fn own_identity_is_alive_and_a_dead_one_is_not() {
        let me = process_identity(std::process::id());
        assert_eq!(identity_alive(&me), Some(std::process::id()));
        assert_eq!(identity_alive(&format!("{} 1", std::process::id())), None);
        assert_eq!(identity_alive("garbage"), None);
    }
}
