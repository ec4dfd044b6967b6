//! Race-aware process checks: a pidfd pins the process, /proc is read, then the pidfd is asked
//! whether the process is still the one we opened (a reused PID would make it report exit).

use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use crate::error::{NetdError, Result};

/// Opens a pidfd for `pid` (pidfd_open(2)).
pub fn pidfd_open(pid: u32) -> Result<OwnedFd> {
    if pid == 0 || pid > i32::MAX as u32 {
        return Err(NetdError::invalid(format!("pid {pid} is not valid")));
    }
    // SAFETY: raw syscall with plain integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        let err = std::io::Error::last_os_error();
        return Err(match err.raw_os_error() {
            Some(libc::ESRCH) => NetdError::NotFound(format!("process {pid}")),
            _ => NetdError::Failed(format!("pidfd_open({pid}): {err}")),
        });
    }
    // SAFETY: the syscall returned a new descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Whether the process behind `pidfd` is still alive (signal 0 through the pidfd). EPERM (a
/// process of another user, netd having no CAP_KILL) still means it exists; ESRCH means it
/// exited, and with a pidfd that also covers a reused PID.
pub fn pidfd_alive(pidfd: &OwnedFd) -> bool {
    // SAFETY: pidfd_send_signal with signal 0 only checks; null info is allowed.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            0,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Real and effective uid of `pid` from /proc/<pid>/status.
pub fn uids(pid: u32) -> Result<(u32, u32)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|_| NetdError::NotFound(format!("process {pid}")))?;
    parse_uids(&status).ok_or_else(|| NetdError::Failed(format!("no Uid line for {pid}")))
}

/// Parses the `Uid:` line of a status file: (real, effective).
pub fn parse_uids(status: &str) -> Option<(u32, u32)> {
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    let mut it = line["Uid:".len()..].split_whitespace();
    let real = it.next()?.parse().ok()?;
    let eff = it.next()?.parse().ok()?;
    Some((real, eff))
}

/// The unified-hierarchy cgroup path of `pid` ("0::/..." line of /proc/<pid>/cgroup).
pub fn cgroup(pid: u32) -> Result<String> {
    let text = fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .map_err(|_| NetdError::NotFound(format!("process {pid}")))?;
    parse_cgroup(&text).ok_or_else(|| NetdError::Failed(format!("no cgroup v2 entry for {pid}")))
}

/// Parses the cgroup v2 line of a /proc/<pid>/cgroup file.
pub fn parse_cgroup(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("0::"))
        .map(str::to_owned)
}

/// (device, inode) identifying a namespace file.
pub fn ns_id(path: &str) -> Result<(u64, u64)> {
    let m = fs::metadata(path).map_err(|e| NetdError::Failed(format!("stat {path}: {e}")))?;
    Ok((m.dev(), m.ino()))
}

/// Checks that `pid` belongs to `caller_uid` (real and effective uid). Root callers are held to
/// the same rule: they must name their own (uid 0) processes.
pub fn check_owned_by(pid: u32, caller_uid: u32) -> Result<()> {
    let (real, eff) = uids(pid)?;
    if real != caller_uid || eff != caller_uid {
        return Err(NetdError::invalid(format!(
            "process {pid} does not belong to uid {caller_uid}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_and_cgroup() {
        let status = "Name:\tbash\nUid:\t1000\t1001\t1000\t1000\nGid:\t1\t1\t1\t1\n";
        assert_eq!(parse_uids(status), Some((1000, 1001)));
        assert_eq!(parse_uids("Name: x\n"), None);
        assert_eq!(
            parse_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n").as_deref(),
            Some("/user.slice/user-1000.slice/session-2.scope")
        );
        assert_eq!(parse_cgroup("1:name=systemd:/x\n"), None);
    }

    #[test]
    fn own_process_checks() {
        let me = std::process::id();
        let fd = pidfd_open(me).unwrap();
        assert!(pidfd_alive(&fd));
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        check_owned_by(me, uid).unwrap();
        assert!(check_owned_by(me, uid.wrapping_add(12345)).is_err());
        assert!(matches!(pidfd_open(0), Err(NetdError::InvalidArgs(_))));
        assert!(cgroup(me).unwrap().starts_with('/'));
    }
}
