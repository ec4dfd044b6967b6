//! Everything labd asks of the host, behind one trait: the linux-node launcher, netd (bridges,
//! veths, netem, node scopes) and systemd (stopping and listing node units). The real
//! implementation is [`crate::system::SystemHost`]; engine unit tests use a recording fake.

use std::future::Future;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::pin::Pin;

use nova_lab_model::{Lab, Node};

/// A boxed future, so the trait stays object-safe.
pub type HostFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, HostError>> + Send + 'a>>;

/// A host operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostError {
    /// The thing asked for exists already (bridge, interface).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The thing does not exist (interface, unit, process).
    #[error("not found: {0}")]
    NotFound(String),
    /// The host cannot do this (e.g. no netem in the kernel).
    #[error("not supported: {0}")]
    NotSupported(String),
    /// Anything else; the message says why.
    #[error("{0}")]
    Failed(String),
}

/// Netem impairments of one interface.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Netem {
    /// Delay in µs.
    pub delay_us: u32,
    /// Jitter in µs.
    pub jitter_us: u32,
    /// Loss in percent.
    pub loss_percent: f64,
    /// Rate in bytes/s (0 = unlimited).
    pub rate_bytes_per_sec: u64,
}

impl Netem {
    /// True when nothing is impaired.
    pub fn is_none(&self) -> bool {
        self.delay_us == 0
            && self.jitter_us == 0
            && self.loss_percent == 0.0
            && self.rate_bytes_per_sec == 0
    }
}

/// One node interface to wire: host veth end `host_if`, node end `peer` in the node's netns,
/// host end enslaved to `bridge`.
#[derive(Debug, Clone, PartialEq)]
pub struct Plug {
    /// Host-side veth name.
    pub host_if: String,
    /// Name inside the node (eth0, …).
    pub peer: String,
    /// Bridge to attach to.
    pub bridge: String,
    /// Impairments on the host end.
    pub netem: Netem,
}

/// Resource properties of a node scope.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeProps {
    /// Description shown by systemctl.
    pub description: String,
    /// MemoryMax in bytes (0 = none).
    pub memory_max: u64,
    /// CPU quota in µs per s (0 = none).
    pub cpu_quota_per_sec_usec: u64,
}

/// A node unit systemd has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitInfo {
    /// Unit name.
    pub unit: String,
    /// ActiveState.
    pub active_state: String,
    /// First process of the unit (0 when none).
    pub pid: u32,
}

/// A host interface netd owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInterface {
    /// Name.
    pub name: String,
    /// bridge / tap / veth.
    pub kind: String,
    /// Bridge it is enslaved to ("" if none).
    pub master: String,
}

/// What to launch: the typed spec, built from the stored node and its trusted template.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    /// The linux node spec.
    pub spec: nova_linux_node::LinuxNodeSpec,
}

/// A launched node, paused until [`PendingNode::release`].
pub trait PendingNode: Send {
    /// PID of the node's first process (in labd's PID namespace).
    fn pid(&self) -> u32;
    /// Lets the node run (it connects to the journal and execs its program).
    fn release(self: Box<Self>) -> Result<(), HostError>;
}

/// Everything labd does to the host.
pub trait Host: Send + Sync {
    /// Forks the node, paused.
    fn launch(&self, req: LaunchRequest) -> HostFuture<'_, Box<dyn PendingNode>>;
    /// netd StartNodeScope; returns the unit name.
    fn start_scope<'a>(
        &'a self,
        lab: &'a str,
        node: &'a str,
        pid: u32,
        props: ScopeProps,
    ) -> HostFuture<'a, String>;
    /// Stops a node unit and waits for it.
    fn stop_unit<'a>(&'a self, unit: &'a str) -> HostFuture<'a, ()>;
    /// Node units systemd has, with their first PID.
    fn list_units(&self) -> HostFuture<'_, Vec<UnitInfo>>;
    /// ActiveState of a unit ("" when systemd does not know it).
    fn unit_state<'a>(&'a self, unit: &'a str) -> HostFuture<'a, String>;
    /// Creates a bridge and sets it up (AlreadyExists when it is there).
    fn create_bridge<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()>;
    /// Deletes an owned interface.
    fn delete_interface<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()>;
    /// Deletes several owned interfaces in one call (netd: DeleteInterfaces, one kernel batch);
    /// names already gone are skipped, anything else refuses the whole call.
    fn delete_interfaces<'a>(&'a self, names: &'a [String]) -> HostFuture<'a, ()>;
    /// Creates the veths of a node in its netns and attaches them (one batch; netem is applied
    /// separately with [`Host::set_netem`]).
    fn plug<'a>(&'a self, pid: u32, plugs: &'a [Plug]) -> HostFuture<'a, ()>;
    /// Sets (or clears, when `netem.is_none()`) impairments on an interface.
    fn set_netem<'a>(&'a self, ifname: &'a str, netem: Netem) -> HostFuture<'a, ()>;
    /// Interfaces netd owns.
    fn list_interfaces(&self) -> HostFuture<'_, Vec<HostInterface>>;
    /// Sets validated addresses (`10.0.0.1/24`) on an interface inside a running node (hot
    /// attach: the node's init configured only the interfaces present at start).
    fn configure_addresses<'a>(
        &'a self,
        pid: u32,
        ifname: &'a str,
        addrs: Vec<String>,
    ) -> HostFuture<'a, ()>;
    /// MACs of the interfaces inside a running node (`eth0` → `aa:bb:…`).
    fn live_macs(&self, pid: u32) -> HostFuture<'_, std::collections::BTreeMap<String, String>>;
    /// Removes a node's runtime files (Wipe).
    fn wipe<'a>(&'a self, lab: &'a Lab, node: &'a Node) -> HostFuture<'a, ()>;
    /// Becomes a viewer of the console held inside the running node whose work dir is
    /// `work_dir`; the descriptor is the raw terminal (NotFound when nothing holds one).
    fn open_console<'a>(&'a self, work_dir: &'a Path) -> HostFuture<'a, OwnedFd>;
    /// A live capture of an owned host interface (netd CaptureStart, no filter): the read end
    /// of a pcap stream that runs until it is closed.
    fn capture<'a>(&'a self, ifname: &'a str) -> HostFuture<'a, OwnedFd>;
    /// Sets that console's window size.
    fn resize_console<'a>(&'a self, work_dir: &'a Path, rows: u16, cols: u16)
    -> HostFuture<'a, ()>;
}
