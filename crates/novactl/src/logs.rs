//! `novactl logs`: a node's journal. novactl execs `journalctl -u <unit>` rather than
//! linking sd-journal: journalctl already does paging, following, colouring and the
//! journal-access permission checks (systemd-journal group) the way admins expect.

use std::os::unix::process::CommandExt as _;
use std::process::Command;

use crate::error::CtlError;

/// The node unit name labd and netd use (`nova-node-<lab>-<node>.scope`).
pub fn unit_name(lab_id: &str, node_id: &str) -> String {
    format!("nova-node-{lab_id}-{node_id}.scope")
}

/// The journalctl command line for a unit.
pub fn journalctl_command(unit: &str, follow: bool, lines: Option<u32>) -> Command {
    let mut cmd = Command::new("journalctl");
    cmd.arg("--no-hostname").arg("-u").arg(unit);
    if follow {
        cmd.arg("--follow");
    }
    if let Some(n) = lines {
        cmd.arg("--lines").arg(n.to_string());
    }
    cmd
}

/// Replaces this process with journalctl; returns only on failure.
pub fn exec_journalctl(unit: &str, follow: bool, lines: Option<u32>) -> CtlError {
    let err = journalctl_command(unit, follow, lines).exec();
    CtlError::NotSupported(format!("cannot run journalctl: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journalctl_args() {
        let cmd = journalctl_command("nova-node-l-1.scope", true, Some(20));
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            [
                "--no-hostname",
                "-u",
                "nova-node-l-1.scope",
                "--follow",
                "--lines",
                "20"
            ]
        );
        assert_eq!(unit_name("lab", "3"), "nova-node-lab-3.scope");
    }
}
