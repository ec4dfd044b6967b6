//! Names labd derives for the host: unit-name components and host interface names.
//!
//! netd accepts `[a-z0-9_]{1,64}` for the lab and node parts of `nova-node-<lab>-<node>.scope`
//! and interface names of at most 15 bytes with its prefix `nv`. Lab ids are free strings (UUIDs
//! for labs made here), so both are derived from the id deterministically, which lets a
//! restarted labd find its units and interfaces again without any state file.

use nova_lab_model::{NetworkId, NodeId};

/// Prefix of every host interface netd owns.
pub const IF_PREFIX: &str = "nv";

/// Host-facing keys of one lab.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LabKey {
    /// Component in unit names (`[a-z0-9_]{1,64}`).
    pub unit: String,
    /// 6 hex digits in interface names.
    pub ifhash: String,
}

impl LabKey {
    /// Keys of a lab id.
    pub fn of(lab_id: &str) -> LabKey {
        LabKey {
            unit: nova_dbus::nodes::lab_unit_component(lab_id),
            ifhash: format!("{:06x}", fnv1a(lab_id) & 0xff_ffff),
        }
    }

    /// `nova-node-<lab>-<node>.scope`.
    pub fn unit_name(&self, node: NodeId) -> String {
        nova_dbus::nodes::node_unit_name(&self.unit, &node.to_string())
    }

    /// Host end of the veth of a node interface: `nv<hash>v<node hex>e<index hex>` (≤ 15 bytes
    /// for node ids below 0x1000 and indexes below 0x100).
    pub fn veth_name(&self, node: NodeId, index: u32) -> Option<String> {
        (node < 0x1000 && index < 0x100)
            .then(|| format!("{IF_PREFIX}{}v{node:x}e{index:x}", self.ifhash))
    }

    /// Bridge of a network: `nv<hash>n<network hex>`.
    pub fn bridge_name(&self, network: NetworkId) -> Option<String> {
        (network < 0x10_0000).then(|| format!("{IF_PREFIX}{}n{network:x}", self.ifhash))
    }

    /// True if a host interface name belongs to this lab.
    pub fn owns_ifname(&self, name: &str) -> bool {
        name.strip_prefix(IF_PREFIX)
            .is_some_and(|rest| rest.starts_with(&self.ifhash))
    }

    /// `(node, index)` of one of this lab's veth names.
    pub fn parse_veth(&self, name: &str) -> Option<(NodeId, u32)> {
        let rest = name
            .strip_prefix(IF_PREFIX)?
            .strip_prefix(&self.ifhash)?
            .strip_prefix('v')?;
        let (node, index) = rest.split_once('e')?;
        Some((
            u32::from_str_radix(node, 16).ok()?,
            u32::from_str_radix(index, 16).ok()?,
        ))
    }

    /// The network of one of this lab's bridge names.
    pub fn parse_bridge(&self, name: &str) -> Option<NetworkId> {
        let rest = name
            .strip_prefix(IF_PREFIX)?
            .strip_prefix(&self.ifhash)?
            .strip_prefix('n')?;
        u32::from_str_radix(rest, 16).ok()
    }
}

/// `(lab unit component, node id)` of a node unit name.
pub fn parse_unit_name(unit: &str) -> Option<(String, NodeId)> {
    let rest = unit
        .strip_prefix(nova_dbus::nodes::NODE_UNIT_PREFIX)?
        .strip_suffix(".scope")?;
    let (lab, node) = rest.rsplit_once('-')?;
    Some((lab.to_string(), node.parse().ok()?))
}

fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_and_round_trip() {
        let k = LabKey::of("4f1c2a3b-0000-4000-8000-000000000001");
        assert_eq!(k.unit, "4f1c2a3b_0000_4000_8000_000000000001");
        let v = k.veth_name(0xfff, 0xff).unwrap();
        assert!(v.len() <= 15, "{v}");
        assert_eq!(k.parse_veth(&v), Some((0xfff, 0xff)));
        let b = k.bridge_name(0xfffff).unwrap();
        assert!(b.len() <= 15, "{b}");
        assert_eq!(k.parse_bridge(&b), Some(0xfffff));
        assert!(k.owns_ifname(&v) && k.owns_ifname(&b));
        assert_eq!(k.parse_veth(&b), None);
        assert_eq!(k.veth_name(0x1000, 0), None);
        let unit = k.unit_name(12);
        assert_eq!(parse_unit_name(&unit), Some((k.unit.clone(), 12)));
    }

    #[test]
    fn hostile_ids_give_safe_components() {
        let k = LabKey::of("../../etc passwd-\u{1F600}");
        assert!(
            k.unit
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        );
        assert!(LabKey::of(&"x".repeat(200)).unit.len() <= 64);
        assert!(LabKey::of("").unit.starts_with('h'));
    }
}
