//! Errors of this crate. Each variant's message is what labd shows its caller.

use std::io;
use std::path::PathBuf;

use crate::child::Step;

/// Everything that can go wrong when building, starting or entering a node.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec field failed validation; nothing was created.
    #[error("invalid node spec: {field}: {reason}")]
    InvalidSpec {
        /// The offending field, e.g. `hostname`.
        field: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// Something the profile runs or mounts over is not on this host; nothing was created.
    #[error("{path} not found: install the Debian package {package}")]
    NotInstalled {
        /// The missing binary or directory.
        path: PathBuf,
        /// The package that provides it.
        package: &'static str,
    },
    /// Writing the node's work directory failed.
    #[error("preparing node work dir {path}: {source}")]
    WorkDir {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A syscall in the spawning process failed.
    #[error("{what}: {source}")]
    Os {
        /// The operation, e.g. `fork`.
        what: &'static str,
        /// The underlying error.
        source: io::Error,
    },
    /// The node process reported a failure while setting itself up or exec'ing.
    #[error("node setup failed at {step}: {source}")]
    Child {
        /// The setup step that failed.
        step: Step,
        /// The errno the step returned.
        source: io::Error,
    },
    /// The node process did not report within the deadline.
    #[error("timed out {0}")]
    Timeout(&'static str),
    /// The node process went away without reporting (killed from outside?).
    #[error("node process exited before {0}")]
    ChildVanished(&'static str),
    /// A command run inside the node failed.
    #[error("{command:?} in node failed ({status}): {stderr}")]
    NodeCommand {
        /// The argv, joined by spaces.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its stderr, lossily decoded.
        stderr: String,
    },
    /// `exec_in_node` was given an empty argv.
    #[error("exec_in_node: empty argv")]
    EmptyArgv,
    /// Nothing answers on the node's console socket: the node is not running (or was never
    /// started with this work dir).
    #[error("node has no console socket at {path} ({source}): is it running?")]
    ConsoleUnavailable {
        /// `<work_dir>/console.sock`.
        path: PathBuf,
        /// Why connecting failed (no such file, connection refused, ...).
        source: io::Error,
    },
    /// The node's console holder refused a request or did not answer.
    #[error("console at {path}: {reason}")]
    Console {
        /// `<work_dir>/console.sock`.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn os(what: &'static str) -> impl FnOnce(io::Error) -> Error {
    move |source| Error::Os { what, source }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidSpec {
        field,
        reason: reason.into(),
    }
}
