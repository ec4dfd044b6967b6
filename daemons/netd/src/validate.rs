//! Validated newtypes: nothing unchecked reaches netlink, the TUN ioctls or systemd.

use std::fmt;

use crate::error::{NetdError, Result};

/// Linux IFNAMSIZ is 16 including the NUL.
pub const IFNAME_MAX: usize = 15;

/// A syntactically valid interface name: 1..=15 bytes of `[A-Za-z0-9_.-]`, not `.`/`..`, not
/// starting with `-` or `.` (the kernel itself also forbids `/`, `:` and whitespace; we are
/// stricter so a name is also safe in unit names, paths and logs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName(String);

impl IfName {
    /// Parses and validates.
    pub fn parse(s: &str) -> Result<Self> {
        if s.is_empty() {
            return Err(NetdError::invalid("interface name is empty"));
        }
        if s.len() > IFNAME_MAX {
            return Err(NetdError::invalid(format!(
                "interface name {s:?} is longer than {IFNAME_MAX} bytes"
            )));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            return Err(NetdError::invalid(format!(
                "interface name {s:?} may only contain A-Z a-z 0-9 _ . -"
            )));
        }
        if s.starts_with('-') || s.starts_with('.') {
            return Err(NetdError::invalid(format!(
                "interface name {s:?} must not start with '-' or '.'"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// Parses a name netd may create in the host namespace: valid and carrying the prefix.
    pub fn parse_host(s: &str) -> Result<Self> {
        let name = Self::parse(s)?;
        if !name.has_prefix() || name.0.len() == nova_dbus::net::IFNAME_PREFIX.len() {
            return Err(NetdError::invalid(format!(
                "interface name {s:?} must start with {:?} and have more after it",
                nova_dbus::net::IFNAME_PREFIX
            )));
        }
        Ok(name)
    }

    /// Whether the name carries the project prefix.
    pub fn has_prefix(&self) -> bool {
        self.0.starts_with(nova_dbus::net::IFNAME_PREFIX)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unicast, non-zero Ethernet MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// Parses `aa:bb:cc:dd:ee:ff` (hex, either case, `:` separated, exactly 6 octets).
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || NetdError::invalid(format!("MAC address {s:?} is not aa:bb:cc:dd:ee:ff"));
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut out {
            let p = parts.next().ok_or_else(bad)?;
            if p.len() != 2 || !p.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(p, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        if out[0] & 1 == 1 {
            return Err(NetdError::invalid(format!("MAC address {s} is multicast")));
        }
        if out == [0; 6] {
            return Err(NetdError::invalid("MAC address is all zero"));
        }
        Ok(Self(out))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

/// Formats raw address bytes as a MAC string ("" when not 6 bytes).
pub fn format_mac(bytes: &[u8]) -> String {
    match <[u8; 6]>::try_from(bytes) {
        Ok(a) => MacAddr(a).to_string(),
        Err(_) => String::new(),
    }
}

/// An MTU in 68..=65535 (68 is the IPv4 minimum; the kernel checks each device's own range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mtu(u32);

impl Mtu {
    /// Lowest accepted MTU.
    pub const MIN: u32 = 68;
    /// Highest accepted MTU.
    pub const MAX: u32 = 65535;

    /// Validates.
    pub fn new(v: u32) -> Result<Self> {
        if (Self::MIN..=Self::MAX).contains(&v) {
            Ok(Self(v))
        } else {
            Err(NetdError::invalid(format!(
                "MTU {v} is outside {}..={}",
                Self::MIN,
                Self::MAX
            )))
        }
    }

    /// The value.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Validated netem parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Netem {
    /// Added delay in microseconds.
    pub delay_us: u32,
    /// Jitter in microseconds (<= delay).
    pub jitter_us: u32,
    /// Loss in percent, 0..=100.
    pub loss_percent: f64,
    /// Rate limit in bytes per second, 0 = none.
    pub rate_bytes_per_sec: u64,
}

impl Netem {
    /// Largest delay or jitter: 60 s.
    pub const MAX_DELAY_US: u32 = 60_000_000;
    /// Smallest non-zero rate (bytes/s).
    pub const MIN_RATE: u64 = 8;

    /// Validates.
    pub fn new(
        delay_us: u32,
        jitter_us: u32,
        loss_percent: f64,
        rate_bytes_per_sec: u64,
    ) -> Result<Self> {
        if delay_us > Self::MAX_DELAY_US {
            return Err(NetdError::invalid(format!(
                "delay {delay_us} µs exceeds {} µs",
                Self::MAX_DELAY_US
            )));
        }
        if jitter_us > delay_us {
            return Err(NetdError::invalid(format!(
                "jitter {jitter_us} µs exceeds delay {delay_us} µs"
            )));
        }
        if !loss_percent.is_finite() || !(0.0..=100.0).contains(&loss_percent) {
            return Err(NetdError::invalid(format!(
                "loss {loss_percent}% is outside 0..=100"
            )));
        }
        if rate_bytes_per_sec != 0 && rate_bytes_per_sec < Self::MIN_RATE {
            return Err(NetdError::invalid(format!(
                "rate {rate_bytes_per_sec} B/s is below {} B/s",
                Self::MIN_RATE
            )));
        }
        if delay_us == 0 && loss_percent == 0.0 && rate_bytes_per_sec == 0 {
            return Err(NetdError::invalid(
                "netem with no delay, loss or rate does nothing: use ClearNetem",
            ));
        }
        Ok(Self {
            delay_us,
            jitter_us,
            loss_percent,
            rate_bytes_per_sec,
        })
    }
}

/// A lab or node component of a node unit name: 1..=64 of `[a-z0-9_]`. No `-`, so
/// `nova-node-<lab>-<node>.scope` splits unambiguously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitComponent(String);

impl UnitComponent {
    /// Validates.
    pub fn parse(what: &str, s: &str) -> Result<Self> {
        let max = nova_dbus::nodes::MAX_COMPONENT_LEN;
        if s.is_empty() || s.len() > max {
            return Err(NetdError::invalid(format!(
                "{what} {s:?} must be 1..={max} characters"
            )));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(NetdError::invalid(format!(
                "{what} {s:?} may only contain a-z 0-9 _"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// The component.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A node unit name `nova-node-<lab>-<node>.scope` with valid components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeUnitName(String);

impl NodeUnitName {
    /// Builds from validated components.
    pub fn new(lab: &UnitComponent, node: &UnitComponent) -> Self {
        Self(nova_dbus::nodes::node_unit_name(
            lab.as_str(),
            node.as_str(),
        ))
    }

    /// Parses a full unit name; only `nova-node-<lab>-<node>.scope` is accepted.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            NetdError::invalid(format!(
                "{s:?} is not a node unit (nova-node-<lab>-<node>.scope)"
            ))
        };
        let rest = s
            .strip_prefix(nova_dbus::nodes::NODE_UNIT_PREFIX)
            .and_then(|r| r.strip_suffix(".scope"))
            .ok_or_else(bad)?;
        let (lab, node) = rest.split_once('-').ok_or_else(bad)?;
        let lab = UnitComponent::parse("lab", lab).map_err(|_| bad())?;
        let node = UnitComponent::parse("node", node).map_err(|_| bad())?;
        Ok(Self::new(&lab, &node))
    }

    /// The unit name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest accepted classic BPF program (the kernel's BPF_MAXINSNS).
pub const BPF_MAX_INSNS: usize = 4096;

/// A classic BPF program the kernel will check again on attach.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BpfProgram(pub Vec<nova_dbus::net::BpfInstruction>);

impl BpfProgram {
    /// Validates size and that it ends in a return (the kernel verifies the rest).
    pub fn new(insns: Vec<nova_dbus::net::BpfInstruction>) -> Result<Self> {
        if insns.len() > BPF_MAX_INSNS {
            return Err(NetdError::invalid(format!(
                "BPF program has {} instructions, at most {BPF_MAX_INSNS}",
                insns.len()
            )));
        }
        // BPF_RET class is 0x06; the kernel rejects programs not ending in one.
        if let Some(last) = insns.last()
            && last.code & 0x07 != 0x06
        {
            return Err(NetdError::invalid(
                "BPF program must end with a ret instruction",
            ));
        }
        Ok(Self(insns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_interface_names_are_refused() {
        let long = "nv".to_owned() + &"a".repeat(14);
        let hostile = [
            "",
            long.as_str(),
            "nv/x",
            "../nv",
            "..",
            ".",
            "nv x",
            "nv\tx",
            "nv\nx",
            "nvé",
            "nv💥",
            "-nv",
            ".nv",
            "nv:0",
            "nv%d",
            "nv\0",
            "nv;rm",
            "nv$x",
        ];
        for name in hostile {
            let err = IfName::parse(name).expect_err(name);
            assert!(matches!(err, NetdError::InvalidArgs(_)), "{name:?}: {err}");
            assert!(IfName::parse_host(name).is_err(), "{name:?}");
        }
    }

    #[test]
    fn host_names_need_the_prefix() {
        for name in ["eth0", "lo", "docker0", "nv", "br0", "NV0"] {
            let err = IfName::parse_host(name).expect_err(name);
            assert!(matches!(err, NetdError::InvalidArgs(_)), "{name}");
        }
        for name in ["nvbr0", "nv-tap.1", "nv_x", "nvaaaaaaaaaaaaa"] {
            assert_eq!(IfName::parse_host(name).unwrap().as_str(), name);
        }
        // Non-prefixed but valid names are fine inside a node's namespace (veth peers).
        assert!(IfName::parse("eth1").is_ok());
        assert_eq!(IFNAME_MAX, 15);
        assert!(IfName::parse(&"a".repeat(15)).is_ok());
        assert!(IfName::parse(&"a".repeat(16)).is_err());
    }

    #[test]
    fn mac_parsing() {
        assert_eq!(
            MacAddr::parse("02:00:5E:10:00:0a").unwrap().0,
            [2, 0, 0x5e, 0x10, 0, 10]
        );
        assert_eq!(
            MacAddr::parse("02:00:5e:10:00:0a").unwrap().to_string(),
            "02:00:5e:10:00:0a"
        );
        for bad in [
            "",
            "02:00:5e:10:00",
            "02:00:5e:10:00:0a:01",
            "02-00-5e-10-00-0a",
            "2:00:5e:10:00:0a",
            "02:00:5e:10:00:0g",
            "02:00:5e:10:00:0a ",
            "01:00:5e:00:00:01",
            "ff:ff:ff:ff:ff:ff",
            "00:00:00:00:00:00",
            "+2:00:5e:10:00:0a",
        ] {
            assert!(MacAddr::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_mac(&[1, 2, 3]), "");
    }

    #[test]
    fn mtu_range() {
        assert!(Mtu::new(67).is_err());
        assert!(Mtu::new(0).is_err());
        assert!(Mtu::new(65536).is_err());
        assert_eq!(Mtu::new(68).unwrap().get(), 68);
        assert_eq!(Mtu::new(9000).unwrap().get(), 9000);
    }

    #[test]
    fn netem_ranges() {
        assert!(Netem::new(1000, 0, 0.0, 0).is_ok());
        assert!(Netem::new(0, 0, 5.5, 0).is_ok());
        assert!(Netem::new(0, 0, 0.0, 125_000).is_ok());
        assert!(Netem::new(Netem::MAX_DELAY_US, Netem::MAX_DELAY_US, 100.0, u64::MAX).is_ok());
        for (d, j, l, r) in [
            (0, 0, 0.0, 0),
            (Netem::MAX_DELAY_US + 1, 0, 0.0, 0),
            (10, 11, 0.0, 0),
            (0, 5, 1.0, 0),
            (0, 0, -0.1, 0),
            (0, 0, 100.01, 0),
            (0, 0, f64::NAN, 0),
            (0, 0, f64::INFINITY, 0),
            (0, 0, 0.0, 7),
        ] {
            assert!(Netem::new(d, j, l, r).is_err(), "{d} {j} {l} {r}");
        }
    }

    #[test]
    fn unit_components_and_names() {
        for ok in ["lab1", "a", "my_lab_2", &"a".repeat(64)] {
            assert!(UnitComponent::parse("lab", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Lab",
            "a-b",
            "a.b",
            "a/b",
            "..",
            "a b",
            "é",
            &"a".repeat(65),
            "a\n",
            "*",
        ] {
            assert!(UnitComponent::parse("lab", bad).is_err(), "{bad:?}");
        }
        let lab = UnitComponent::parse("lab", "lab1").unwrap();
        let node = UnitComponent::parse("node", "r1").unwrap();
        assert_eq!(
            NodeUnitName::new(&lab, &node).as_str(),
            "nova-node-lab1-r1.scope"
        );
        assert!(NodeUnitName::parse("nova-node-lab1-r1.scope").is_ok());
        for bad in [
            "nova-node-lab1.scope",
            "nova-node-lab1-r1.service",
            "sshd.service",
            "nova-node-lab1-r1-x.scope",
            "nova-node--r1.scope",
            "nova-node-lab1-.scope",
            "init.scope",
            "nova-node-Lab-r1.scope",
            "../nova-node-a-b.scope",
        ] {
            assert!(NodeUnitName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bpf_program_checks() {
        use nova_dbus::net::BpfInstruction as I;
        let ret = I {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0xffff,
        };
        assert!(BpfProgram::new(vec![]).is_ok());
        assert!(BpfProgram::new(vec![ret]).is_ok());
        let ld = I {
            code: 0x28,
            jt: 0,
            jf: 0,
            k: 12,
        };
        assert!(BpfProgram::new(vec![ld]).is_err());
        assert!(BpfProgram::new(vec![ret; BPF_MAX_INSNS + 1]).is_err());
    }
}
