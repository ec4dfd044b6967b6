use std::path::{Path, PathBuf};
use std::time::Duration;

/// What can go wrong with a sandbox. Messages carry what is needed to debug without re-running:
/// commands with their exit status and output, boots with the console and journal tail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation on the host side failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The sandbox was asked for something it cannot do.
    #[error("sandbox configuration: {0}")]
    Config(String),
    /// A command could not be started at all.
    #[error("cannot run {cmd}: {source}")]
    Spawn { cmd: String, source: std::io::Error },
    /// A command ran and failed.
    #[error("`{cmd}` failed ({status})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}")]
    CommandFailed {
        cmd: String,
        status: std::process::ExitStatus,
        stdout: String,
        stderr: String,
    },
    /// systemd, dbus or polkit did not come up.
    #[error(
        "sandbox did not boot: {reason}\n--- console ---\n{console}\n--- journal ---\n{journal}"
    )]
    Boot {
        reason: String,
        console: String,
        journal: String,
    },
    /// A condition given to `wait_for` never held.
    #[error(
        "timed out after {after:?} waiting for {what}\n--- sandbox journal tail ---\n{journal}"
    )]
    Timeout {
        what: String,
        after: Duration,
        journal: String,
    },
    /// `run_as` named a user the sandbox does not have.
    #[error("no user {0:?} in the sandbox")]
    UnknownUser(String),
    /// Some teardown steps failed (each is listed; the others still ran).
    #[error("sandbox teardown left something behind:\n{}", .0.join("\n"))]
    Teardown(Vec<String>),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
