//! The typed node spec. Every string that reaches a file, a script or a syscall
//! passes through a validating newtype here; there is no free-form command line.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use crate::error::{Error, Result, invalid};

/// Longest lab or node id, in bytes. Keeps unit names (`nova-node-<lab>-<node>.scope`) short.
pub const MAX_ID_LEN: usize = 64;
/// Largest accepted FRR configuration, in bytes.
pub const MAX_FRR_CONF_LEN: usize = 256 * 1024;
/// Most interfaces (eth0..eth{N-1}) a node may have.
pub const MAX_INTERFACES: usize = 128;
/// Most addresses per interface.
pub const MAX_ADDRESSES_PER_INTERFACE: usize = 16;
/// Longest accepted work dir path, in bytes.
pub const MAX_WORK_DIR_LEN: usize = 1024;

/// A lab or node id: 1..=64 bytes of `[A-Za-z0-9_-]`, not starting with `-`.
/// Safe in unit names, file names, journal identifiers and shell words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ident(String);

impl Ident {
    /// Validates `s` as an id.
    pub fn new(s: &str) -> Result<Self> {
        check_ident(s).map_err(|reason| invalid("id", reason))?;
        Ok(Self(s.to_owned()))
    }
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_ident(s: &str) -> std::result::Result<(), String> {
    if s.is_empty() || s.len() > MAX_ID_LEN {
        return Err(format!("length must be 1..={MAX_ID_LEN} bytes"));
    }
    if s.starts_with('-') {
        return Err("must not start with '-'".into());
    }
    match s
        .bytes()
        .find(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
    {
        Some(b) => Err(format!(
            "character {:?} not allowed (only A-Z a-z 0-9 _ -)",
            b as char
        )),
        None => Ok(()),
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Ident {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

/// A node's hostname: one RFC 1123 label (1..=63 of `[A-Za-z0-9-]`, no leading or trailing `-`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hostname(String);

impl Hostname {
    /// Validates `s` as a hostname label.
    pub fn new(s: &str) -> Result<Self> {
        let bad = |reason: &str| Err(invalid("hostname", format!("{s:?}: {reason}")));
        if s.is_empty() || s.len() > 63 {
            return bad("length must be 1..=63 bytes");
        }
        if s.starts_with('-') || s.ends_with('-') {
            return bad("must not start or end with '-'");
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return bad("only A-Z a-z 0-9 and '-' are allowed");
        }
        Ok(Self(s.to_owned()))
    }
    /// The hostname as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Hostname {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::new(s)
    }
}

/// An interface address with its prefix length, e.g. `10.0.0.1/24` or `2001:db8::1/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IfAddr {
    addr: IpAddr,
    prefix_len: u8,
}

impl IfAddr {
    /// An address; the prefix length must fit the family (<= 32 or <= 128).
    pub fn new(addr: IpAddr, prefix_len: u8) -> Result<Self> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix_len > max {
            return Err(invalid(
                "address",
                format!("prefix /{prefix_len} too long for {addr}"),
            ));
        }
        Ok(Self { addr, prefix_len })
    }
    /// The address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }
    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }
}

impl fmt::Display for IfAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl FromStr for IfAddr {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || invalid("address", format!("{s:?} is not ADDRESS/PREFIX"));
        let (a, p) = s.split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = a.parse().map_err(|_| bad())?;
        let prefix_len: u8 = p.parse().map_err(|_| bad())?;
        Self::new(addr, prefix_len)
    }
}

/// One interface of the node, named `eth<index>` inside it (netd renames the moved veth end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// N in `ethN`.
    pub index: u16,
    /// Addresses the node's init sets on it (may be empty, e.g. for a switch port).
    pub addresses: Vec<IfAddr>,
}

impl Interface {
    /// The name inside the node, `eth<index>`.
    pub fn name(&self) -> String {
        format!("eth{}", self.index)
    }
}

/// FRR daemons a router may run. zebra always runs (the others need it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrrDaemon {
    /// Static routes.
    Staticd,
    /// OSPFv2.
    Ospfd,
    /// BGP.
    Bgpd,
}

impl FrrDaemon {
    /// The daemon's binary name under /usr/lib/frr.
    pub fn binary(self) -> &'static str {
        match self {
            Self::Staticd => "staticd",
            Self::Ospfd => "ospfd",
            Self::Bgpd => "bgpd",
        }
    }
}

/// An FRR integrated configuration (`frr.conf`) text: at most [`MAX_FRR_CONF_LEN`] bytes,
/// printable text plus newlines and tabs (no NUL or other control characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrrConfig(String);

impl FrrConfig {
    /// Validates a configuration text.
    pub fn new(text: &str) -> Result<Self> {
        if text.len() > MAX_FRR_CONF_LEN {
            let msg = format!("{} bytes, more than {MAX_FRR_CONF_LEN}", text.len());
            return Err(invalid("frr_conf", msg));
        }
        if let Some(c) = text
            .chars()
            .find(|c| c.is_control() && *c != '\n' && *c != '\t')
        {
            return Err(invalid(
                "frr_conf",
                format!("control character {c:?} not allowed"),
            ));
        }
        Ok(Self(text.to_owned()))
    }
    /// The configuration text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the node runs once released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profile {
    /// A host: busybox sh configures `lo`, the interfaces' addresses and the default route,
    /// then idles as the node's PID 1.
    BusyboxHost {
        /// Default route via this gateway, if any.
        default_gateway: Option<IpAddr>,
    },
    /// A router: FRR's zebra plus `daemons` in the foreground under a busybox sh PID 1,
    /// configured from `frr_conf` (applied with `vtysh -b`).
    FrrRouter {
        /// The router's `frr.conf`.
        frr_conf: FrrConfig,
        /// Daemons besides zebra.
        daemons: BTreeSet<FrrDaemon>,
    },
}

/// Everything needed to start one `linux` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinuxNodeSpec {
    /// The lab's id.
    pub lab: Ident,
    /// The node's id within the lab.
    pub node: Ident,
    /// Hostname inside the node's UTS namespace.
    pub hostname: Hostname,
    /// Per-node directory (absolute, no `..`), e.g. `<state>/run/<lab>/<node>`; created if
    /// missing, its generated files rewritten on every spawn.
    pub work_dir: PathBuf,
    /// The node's interfaces, `eth<index>`; indexes unique.
    pub interfaces: Vec<Interface>,
    /// What runs.
    pub profile: Profile,
}

impl LinuxNodeSpec {
    /// Checks what the newtypes cannot: the work dir and the interface list.
    pub fn validate(&self) -> Result<()> {
        check_work_dir(&self.work_dir)?;
        // Routers get a private tmpfs on /var/tmp, which would hide a work dir below it.
        if matches!(self.profile, Profile::FrrRouter { .. })
            && self.work_dir.starts_with("/var/tmp")
        {
            return Err(invalid(
                "work_dir",
                "a router's work dir cannot be under /var/tmp",
            ));
        }
        check_interfaces(&self.interfaces)
    }

    /// The systemd unit labd asks netd for: `nova-node-<lab>-<node>.scope`.
    pub fn unit_name(&self) -> String {
        format!("nova-node-{}-{}.scope", self.lab, self.node)
    }

    /// The journal identifier (`SYSLOG_IDENTIFIER`) of the node's output.
    pub fn journal_identifier(&self) -> String {
        format!("nova-node-{}-{}", self.lab, self.node)
    }
}

fn check_work_dir(p: &Path) -> Result<()> {
    let s = p.as_os_str().as_encoded_bytes();
    if s.is_empty() || s.len() > MAX_WORK_DIR_LEN {
        return Err(invalid(
            "work_dir",
            format!("length must be 1..={MAX_WORK_DIR_LEN} bytes"),
        ));
    }
    if !p.is_absolute() {
        return Err(invalid("work_dir", "must be absolute"));
    }
    if s.iter().any(|b| *b == 0 || b.is_ascii_control()) {
        return Err(invalid(
            "work_dir",
            "control characters (NUL, newline, ...) not allowed",
        ));
    }
    if p.components()
        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err(invalid("work_dir", "'.' and '..' components not allowed"));
    }
    Ok(())
}

fn check_interfaces(ifs: &[Interface]) -> Result<()> {
    if ifs.len() > MAX_INTERFACES {
        return Err(invalid("interfaces", format!("more than {MAX_INTERFACES}")));
    }
    let mut seen = BTreeSet::new();
    for i in ifs {
        if !seen.insert(i.index) {
            return Err(invalid(
                "interfaces",
                format!("eth{} listed twice", i.index),
            ));
        }
        if i.addresses.len() > MAX_ADDRESSES_PER_INTERFACE {
            let msg = format!(
                "eth{}: more than {MAX_ADDRESSES_PER_INTERFACE} addresses",
                i.index
            );
            return Err(invalid("interfaces", msg));
        }
    }
    Ok(())
}
