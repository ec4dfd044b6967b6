//! `org.novave.Net1`: nova-ve-netd's network interface API (see
//! `dbus-interfaces/org.novave.Net1.xml`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use zbus::{OwnedVariant, Type, Variant, proxy};

/// Well-known bus name of nova-ve-netd.
pub const BUS_NAME: &str = "org.novave.Net1";
/// Object path of nova-ve-netd's single object.
pub const OBJECT_PATH: &str = "/org/novave/Net1";
/// Network interface name.
pub const INTERFACE: &str = "org.novave.Net1";
/// Name prefix of every host interface netd owns.
pub const IFNAME_PREFIX: &str = "nv";

/// polkit action for reading (ListInterfaces).
pub const ACTION_READ: &str = "org.novave.net.read";
/// polkit action for every change.
pub const ACTION_MANAGE: &str = "org.novave.net.manage";
/// polkit action for packet capture.
pub const ACTION_CAPTURE: &str = "org.novave.net.capture";

/// One owned interface as listed by `ListInterfaces` (`(sssubs)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct InterfaceInfo {
    /// Interface name.
    pub name: String,
    /// "bridge", "tap" or "veth".
    pub kind: String,
    /// MAC address, "aa:bb:cc:dd:ee:ff" (empty if unknown).
    pub mac: String,
    /// MTU.
    pub mtu: u32,
    /// Administratively up.
    pub up: bool,
    /// Name of the bridge it is attached to, "" if none.
    pub master: String,
}

/// One classic BPF instruction (`struct sock_filter`), as produced by `tcpdump -ddd` or
/// `pcap_compile`: `(code, jt, jf, k)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub struct BpfInstruction {
    /// Opcode.
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Generic field.
    pub k: u32,
}

/// One operation of an `Apply` batch: `(op name, args)`.
pub type BatchOp<'a> = (&'a str, HashMap<&'a str, Variant<'a>>);
/// Owned form of [`BatchOp`], as the daemon receives it.
pub type OwnedBatchOp = (String, HashMap<String, OwnedVariant>);

/// Client proxy for `org.novave.Net1`.
#[proxy(
    interface = "org.novave.Net1",
    default_service = "org.novave.Net1",
    default_path = "/org/novave/Net1"
)]
pub trait Net1 {
    /// Creates a bridge.
    fn create_bridge(&self, name: &str) -> zbus::Result<()>;
    /// Creates a persistent TAP owned by `owner_uid`.
    fn create_tap(&self, name: &str, owner_uid: u32) -> zbus::Result<()>;
    /// Creates a veth pair, the peer optionally inside the netns of `netns_pid`.
    fn create_veth(
        &self,
        name: &str,
        peer: &str,
        netns_pid: u32,
        peer_up: bool,
    ) -> zbus::Result<()>;
    /// Deletes an owned interface.
    fn delete_interface(&self, name: &str) -> zbus::Result<()>;
    /// Deletes several owned interfaces at once (missing ones skipped); returns those deleted.
    fn delete_interfaces(&self, names: &[&str]) -> zbus::Result<Vec<String>>;
    /// Attaches an owned interface to an owned bridge.
    fn attach_to_bridge(&self, name: &str, bridge: &str) -> zbus::Result<()>;
    /// Detaches an owned interface from its bridge.
    fn detach_from_bridge(&self, name: &str) -> zbus::Result<()>;
    /// Sets the interface up or down.
    fn set_up(&self, name: &str, up: bool) -> zbus::Result<()>;
    /// Sets the MTU.
    fn set_mtu(&self, name: &str, mtu: u32) -> zbus::Result<()>;
    /// Sets the MAC address.
    fn set_mac(&self, name: &str, mac: &str) -> zbus::Result<()>;
    /// Sets netem impairments on the root qdisc.
    fn set_netem(
        &self,
        name: &str,
        delay_us: u32,
        jitter_us: u32,
        loss_percent: f64,
        rate_bytes_per_sec: u64,
    ) -> zbus::Result<()>;
    /// Removes netem.
    fn clear_netem(&self, name: &str) -> zbus::Result<()>;
    /// Lists owned interfaces.
    fn list_interfaces(&self) -> zbus::Result<Vec<InterfaceInfo>>;
    /// Applies a batch of operations; returns how many were applied.
    fn apply(&self, ops: &[BatchOp<'_>]) -> zbus::Result<u32>;
    /// Starts a capture; returns the read end of a pcap stream.
    fn capture_start(&self, name: &str, filter: &[BpfInstruction]) -> zbus::Result<zbus::OwnedFd>;

    /// Name prefix of owned interfaces.
    #[zbus(property)]
    fn prefix(&self) -> zbus::Result<String>;

    /// An owned interface appeared.
    #[zbus(signal)]
    fn interface_added(&self, name: &str, kind: &str) -> zbus::Result<()>;
    /// An owned interface changed.
    #[zbus(signal)]
    fn interface_changed(&self, name: &str) -> zbus::Result<()>;
    /// An owned interface went away.
    #[zbus(signal)]
    fn interface_removed(&self, name: &str) -> zbus::Result<()>;
}
