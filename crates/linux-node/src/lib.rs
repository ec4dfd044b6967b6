//! Namespace (`linux` kind) nodes for nova-ve.
//!
//! A node is a process tree in its own user, mount, network, UTS, IPC and PID namespaces,
//! started by the unprivileged labd in milliseconds:
//!
//! 1. [`spawn`] validates a typed [`LinuxNodeSpec`], writes the node's work dir (init
//!    script, FRR files), and starts the node process, which sets up its namespaces and
//!    mounts and then blocks. It returns a [`PendingNode`] with the node's pid and pidfd.
//! 2. labd asks netd to wrap that pid in `nova-node-<lab>-<node>.scope` and to move the
//!    node's veth ends into its network namespace as `eth0..ethN`.
//! 3. [`PendingNode::release`] lets the node connect its output to journald's stream
//!    socket (attributed to the scope it is now in) and exec its program: busybox sh
//!    running the generated init script as PID 1. Dropping a `PendingNode` kills it.
//!
//! [`exec_in_node`] runs a command inside a running node (e.g. `vtysh`, busybox `ping`).
//!
//! Every released node also has an interactive console: a shell on a PTY held by a small
//! process inside the node (so it survives a labd restart), reached with [`open_console`]
//! (raw bytes after a one-byte handshake, with a replay of recent output; several viewers
//! at once) and resized with [`resize_console`]. See [`console`] for the design and protocol.
//! See docs/linux-nodes.md for the design and measured start times.
//!
//! Architecture invariant: nothing here needs privileges beyond owning the node's user
//! namespace, and nothing assumes systemd except the journal's stream socket (with a
//! fallback to a console log in the work dir).

mod child;
pub mod console;
mod error;
mod exec;
mod holder;
mod node;
mod script;
mod spec;
mod workdir;

pub use child::{JOURNAL_STREAM_SOCKET, Step};
pub use console::{
    CONSOLE_REPLY_TIMEOUT, CONSOLE_RING_LEN, CONSOLE_SOCKET, MAX_CONSOLE_VIEWERS, MODE_SIZE,
    MODE_VIEW, REPLY_BAD, REPLY_FULL, REPLY_OK, VIEWER_BACKLOG_MAX, console_socket_path,
    open_console, resize_console,
};
pub use error::{Error, Result};
pub use exec::{add_interface_address, exec_in_node, node_command};
pub use node::{
    KILL_WAIT, OutputSink, PendingNode, REPORT_TIMEOUT, RunningNode, SpawnOptions, spawn,
    spawn_with,
};
pub use script::{BUSYBOX, FRR_LIBEXEC, init_script};
pub use spec::{
    FrrConfig, FrrDaemon, Hostname, Ident, IfAddr, Interface, LinuxNodeSpec,
    MAX_ADDRESSES_PER_INTERFACE, MAX_FRR_CONF_LEN, MAX_ID_LEN, MAX_INTERFACES, Profile,
};
pub use workdir::WorkFiles;
