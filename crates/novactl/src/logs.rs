//! `novactl logs`: a node's journal. novactl execs `journalctl -u <unit>` rather than
//! linking sd-journal: journalctl already does paging, following, colouring and the
//! journal-access permission checks (systemd-journal group) the way admins expect.

use std::os::unix::process::CommandExt as _;
use std::process::Command;

use crate::error::CtlError;

/// The unit name labd gives a node (`nova-node-<lab component>-<node>.scope`), for nodes
/// that are not running (a running node's `Unit` property is used instead). The rule lives in
/// the contract crate, shared with labd.
pub fn unit_name(lab_id: &str, node_id: u32) -> String {
    nova_dbus::nodes::lab_node_unit_name(lab_id, node_id)
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
        assert_eq!(unit_name("demo", 3), "nova-node-demo-3.scope");
        assert_eq!(
            unit_name("4F1c2a3b-0000-4000-8000-000000000001", 2),
            "nova-node-4f1c2a3b_0000_4000_8000_000000000001-2.scope"
        );
        let long = unit_name(&"x".repeat(200), 1);
        assert!(long.starts_with("nova-node-h") && long.len() < 40, "{long}");
    }
}
