//! `.unl` (parsed into [`UnlLab`]) → nova-ve lab JSON schema 2 ([`nova_lab_model::Lab`]).
//!
//! What maps to what is documented in docs/importing-eveng.md; the short version:
//! nodes keep their EVE-NG ids, networks keep theirs, a hidden bridge with exactly
//! two members becomes an implicit network (schema 2's node↔node link), pnetN
//! becomes a bridge cloud, nat0 a NAT cloud, startup configs go into the node's
//! `extras.startup_config`, configsets into `configsets`. Anything lossy is
//! reported as a review note; the result always passes [`Lab::validate`].

use std::collections::{BTreeMap, HashSet};

use nova_lab_model::{
    ConsoleType, Endpoint, Lab, LabName, Link, LooseBool, Network, NetworkType, Node,
    NodeInterface, NodeKind, Picture, Task, TextObject, ValidationErrors, limits,
};
use serde_json::{Map, Value, json};

use crate::qemu_opts;
use crate::unl::{UnlInterface, UnlLab, UnlNetwork, UnlNode};

/// A converted lab and what the operator should know about it.
#[derive(Debug, Clone)]
pub struct Converted {
    /// the lab
    pub lab: Lab,
    /// lossy conversions the operator should review
    pub review: Vec<String>,
}

/// Why a lab could not be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The result would not validate (a bug or an input beyond the model's limits).
    #[error("converted lab does not validate: {0}")]
    Invalid(#[from] ValidationErrors),
}

/// Why a `.unl` document could not become a lab: refused or unparsable input, or a
/// conversion that does not validate.
#[derive(Debug, thiserror::Error)]
pub enum UnlConvertError {
    /// The document was refused or could not be parsed (encrypted, malformed, too deep, …).
    #[error(transparent)]
    Parse(#[from] crate::unl::UnlError),
    /// The converted lab does not validate.
    #[error(transparent)]
    Convert(#[from] ConvertError),
}

/// Parses and converts one `.unl` document held in memory: what the importer does per lab
/// file, without reading or writing anything. `fallback_name` (e.g. the file's stem) names a
/// lab that carries no name; a lab without a usable UUID gets an id derived from the
/// document's hash, so converting the same bytes twice gives the same lab.
pub fn convert_unl(
    bytes: &[u8],
    fallback_name: &str,
    limits: crate::xmltree::Limits,
) -> Result<Converted, UnlConvertError> {
    let parsed = crate::unl::parse(bytes, limits)?;
    let fallback_id = uuid_from_hash(&crate::fsutil::sha256_hex(bytes));
    Ok(convert(&parsed, fallback_name, &fallback_id)?)
}

/// Lab-wide state while converting.
struct Ctx<'a> {
    unl: &'a UnlLab,
    lab: Lab,
    review: Vec<String>,
    /// EVE (node id, interface id) → our interface index
    index_of: BTreeMap<(u32, u32), u32>,
    next_link: u32,
}

/// Converts a parsed lab. `fallback_name` is used when the file carries no name;
/// `fallback_id` (e.g. derived from the file's hash, so re-runs are stable) when it
/// carries no usable UUID.
pub fn convert(
    unl: &UnlLab,
    fallback_name: &str,
    fallback_id: &str,
) -> Result<Converted, ConvertError> {
    let name = if unl.name.trim().is_empty() {
        fallback_name
    } else {
        unl.name.trim()
    };
    let id = unl.id.clone().unwrap_or_else(|| fallback_id.to_owned());
    let mut cx = Ctx {
        unl,
        lab: Lab::new(id, clip(name, *limits::LAB_TITLE_CHARS.end())),
        review: unl.warnings.clone(),
        index_of: BTreeMap::new(),
        next_link: 1,
    };
    cx.meta();
    for n in &unl.nodes {
        cx.node(n);
    }
    cx.networks();
    cx.serial_links();
    cx.objects();
    cx.lab.validate()?;
    Ok(Converted {
        lab: cx.lab,
        review: cx.review,
    })
}

/// The address of a VPCS startup config (`ip 10.0.0.2/24 10.0.0.1` or
/// `ip 10.0.0.2 255.255.255.0 10.0.0.1`) as (CIDR, gateway), and the lines that meant
/// something else (`ip dhcp`, `set …`, unparsable addresses). Blank lines and comments
/// are dropped.
fn vpcs_ip(cfg: &str) -> (Option<(String, Option<String>)>, Vec<String>) {
    use std::net::Ipv4Addr;
    let (mut ip, mut rest) = (None, Vec::new());
    for line in cfg.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let parsed = match words.as_slice() {
            ["ip", addr, more @ ..] if ip.is_none() => {
                let (a, len, more) = match addr.split_once('/') {
                    Some((a, l)) => (a, l.parse::<u8>().ok().filter(|l| *l <= 32), more),
                    None => match more {
                        [mask, tail @ ..] => (*addr, mask_len(mask), tail),
                        [] => (*addr, Some(24), more),
                    },
                };
                let gw = more.first().map(|g| g.parse::<Ipv4Addr>());
                match (a.parse::<Ipv4Addr>(), len, gw) {
                    (Ok(a), Some(len), None) => Some((format!("{a}/{len}"), None)),
                    (Ok(a), Some(len), Some(Ok(g))) => {
                        Some((format!("{a}/{len}"), Some(g.to_string())))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        match parsed {
            Some(p) => ip = Some(p),
            None => rest.push(clip(line, 200)),
        }
    }
    (ip, rest)
}

/// Prefix length of a dotted netmask (`255.255.255.0` → 24); None unless contiguous.
fn mask_len(mask: &str) -> Option<u8> {
    let m = u32::from(mask.parse::<std::net::Ipv4Addr>().ok()?);
    (m.leading_ones() + m.trailing_zeros() == 32).then(|| m.leading_ones() as u8)
}

/// Truncates to at most `max` characters.
fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// A deterministic UUID-shaped id from a hash (hex string of at least 32 digits).
pub fn uuid_from_hash(hex: &str) -> String {
    let h: String = hex.chars().take(32).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

impl Ctx<'_> {
    fn meta(&mut self) {
        let u = self.unl;
        let m = &mut self.lab.meta;
        m.author = u.author.clone();
        m.description = Some(u.description.clone()).filter(|s| !s.is_empty());
        m.body = Some(u.body.clone()).filter(|s| !s.is_empty());
        m.version = u.version.clone();
        m.scripttimeout = u.scripttimeout;
        m.countdown = u.countdown;
        m.linkwidth = u.linkwidth.clone();
        m.grid = u.grid.map(LooseBool::from);
        m.lock = u.lock.map(LooseBool::from);
        m.sat = u.sat.clone();
    }

    fn node(&mut self, n: &UnlNode) {
        let kind = match n.kind.as_str() {
            "qemu" => NodeKind::Qemu,
            "docker" => NodeKind::Docker,
            "iol" => NodeKind::Iol,
            "dynamips" => NodeKind::Dynamips,
            "vpcs" => {
                self.review.push(format!(
                    "node {} ({}): VPCS became a `linux` host node; give it an address inside",
                    n.id, n.name
                ));
                NodeKind::Linux
            }
            other => {
                self.review.push(format!(
                    "node {} ({}): unknown type {other:?}; node and its links dropped",
                    n.id, n.name
                ));
                return;
            }
        };
        let name = if n.name.trim().is_empty() {
            format!("node{}", n.id)
        } else {
            clip(n.name.trim(), *limits::NAME_CHARS.end())
        };
        let mut node = Node::new(n.id, name, kind.clone());
        node.template = n.template.clone();
        node.image = n.image.clone();
        node.console = self.console(n, &kind);
        node.cpu = self.cpu(n);
        node.ram = self.ram(n, &kind);
        node.delay = n.delay.unwrap_or(0).min(*limits::DELAY_S.end() as u32);
        node.cpulimit = n.cpulimit.map(Value::from);
        node.uuid = n.uuid.clone();
        node.firstmac = n.firstmac.clone();
        node.left = n.left;
        node.top = n.top;
        node.icon = n.icon.clone();
        node.config = Some(Value::Bool(n.config));
        match kind {
            NodeKind::Iol => self.iol_interfaces(n, &mut node),
            NodeKind::Dynamips => self.dynamips_interfaces(n, &mut node),
            _ => self.plain_interfaces(n, &mut node),
        }
        self.extras(n, &mut node);
        self.lab.nodes.insert(n.id.to_string(), node);
    }

    fn console(&mut self, n: &UnlNode, kind: &NodeKind) -> ConsoleType {
        let wanted = match n.console.as_str() {
            "" | "telnet" => ConsoleType::Telnet,
            "vnc" => ConsoleType::Vnc,
            "rdp" => ConsoleType::Rdp,
            other => {
                self.review.push(format!(
                    "node {}: console {other:?} unknown; telnet used",
                    n.id
                ));
                ConsoleType::Telnet
            }
        };
        if ConsoleType::allowed_for(kind).contains(&wanted.as_str()) {
            return wanted;
        }
        let fallback = if wanted == ConsoleType::Rdp && *kind == NodeKind::Qemu {
            ConsoleType::Vnc
        } else {
            ConsoleType::Telnet
        };
        self.review.push(format!(
            "node {}: console {} is not available for {kind} nodes; {} used",
            n.id,
            wanted.as_str(),
            fallback.as_str()
        ));
        fallback
    }

    fn cpu(&mut self, n: &UnlNode) -> u32 {
        let max = *limits::CPU.end() as u32;
        match n.cpu {
            None => 1,
            Some(0) => {
                self.review
                    .push(format!("node {}: cpu=0 in the lab file; 1 used", n.id));
                1
            }
            Some(c) if c > max => {
                self.review.push(format!(
                    "node {}: cpu={c} above nova-ve's limit; {max} used",
                    n.id
                ));
                max
            }
            Some(c) => c,
        }
    }

    fn ram(&mut self, n: &UnlNode, kind: &NodeKind) -> u32 {
        let default = match kind {
            NodeKind::Linux => 64,
            NodeKind::Dynamips => 512,
            _ => 1024,
        };
        let (min, max) = (*limits::RAM_MB.start() as u32, *limits::RAM_MB.end() as u32);
        match n.ram {
            None => default,
            Some(r) if r < min => {
                self.review.push(format!(
                    "node {}: ram={r} MB in the lab file; {default} MB used",
                    n.id
                ));
                default
            }
            Some(r) => r.min(max),
        }
    }

    /// qemu, docker, vpcs: EVE interface id = our index.
    fn plain_interfaces(&mut self, n: &UnlNode, node: &mut Node) {
        let max = *limits::ETHERNET.end() as u32;
        let highest = n.interfaces.iter().map(|i| i.id + 1).max().unwrap_or(0);
        node.ethernet = n.ethernet.unwrap_or(1).max(highest).min(max);
        for i in &n.interfaces {
            if i.id >= max {
                self.review.push(format!(
                    "node {}: interface {} beyond {max} interfaces dropped",
                    n.id, i.id
                ));
                continue;
            }
            let name = if i.name.is_empty() {
                format!("eth{}", i.id)
            } else {
                clip(&i.name, 64)
            };
            node.interfaces.push(NodeInterface::new(i.id, name));
            self.index_of.insert((n.id, i.id), i.id);
        }
        if node.kind == NodeKind::Linux && n.ethernet.is_none() {
            node.ethernet = node.ethernet.max(1);
        }
    }

    /// IOL: id = module + 16 × port, name e{module}/{port} (serial groups follow the
    /// Ethernet groups). Our index = module × 4 + port, `ethernet` = 4 × all groups.
    fn iol_interfaces(&mut self, n: &UnlNode, node: &mut Node) {
        let eth_groups = n.ethernet.unwrap_or(2);
        let ser_groups = n.serial.unwrap_or(0);
        let groups = (eth_groups + ser_groups).min(*limits::ETHERNET.end() as u32 / 4);
        node.ethernet = groups * 4;
        for i in &n.interfaces {
            let (module, port) = (i.id & 0xF, i.id >> 4);
            if module >= groups || port >= 4 {
                self.review.push(format!(
                    "node {}: IOL interface id {} outside its port groups; dropped",
                    n.id, i.id
                ));
                continue;
            }
            let index = module * 4 + port;
            let prefix = if module >= eth_groups { 's' } else { 'e' };
            self.push_mapped(n, node, i, index, format!("{prefix}{module}/{port}"));
        }
    }

    /// Dynamips: id = 16 × slot + port (UNetLab's layout, inferred). Our index =
    /// slot × 8 + port (a port adapter has at most 8 ports).
    fn dynamips_interfaces(&mut self, n: &UnlNode, node: &mut Node) {
        let mut highest = 0;
        for i in &n.interfaces {
            let (slot, port) = (i.id >> 4, i.id & 0xF);
            let index = slot * 8 + port;
            if port >= 8 || index >= *limits::ETHERNET.end() as u32 {
                self.review.push(format!(
                    "node {}: Dynamips interface id {} out of range; dropped",
                    n.id, i.id
                ));
                continue;
            }
            highest = highest.max(index + 1);
            self.push_mapped(n, node, i, index, format!("fa{slot}/{port}"));
        }
        let slots_ports = n.slots.keys().map(|s| (s + 1) * 8).max().unwrap_or(8);
        node.ethernet = highest
            .max(slots_ports)
            .max(n.ethernet.unwrap_or(0))
            .min(*limits::ETHERNET.end() as u32);
    }

    fn push_mapped(
        &mut self,
        n: &UnlNode,
        node: &mut Node,
        i: &UnlInterface,
        index: u32,
        default_name: String,
    ) {
        let name = if i.name.is_empty() {
            default_name
        } else {
            clip(&i.name, 64)
        };
        let mut iface = NodeInterface::new(index, name);
        let mut extras = Map::new();
        extras.insert("eveng_id".into(), json!(i.id));
        iface.extras = Some(extras);
        node.interfaces.push(iface);
        self.index_of.insert((n.id, i.id), index);
    }

    fn extras(&mut self, n: &UnlNode, node: &mut Node) {
        if n.kind == "vpcs" {
            self.vpcs_extras(n, node);
            return;
        }
        let x = &mut node.extras;
        if let Some(cfg) = self.unl.configs.get(&n.id) {
            x.insert("startup_config".into(), json!(cfg));
        }
        if let Some(v) = n.e0dhcp.as_deref() {
            x.insert("e0dhcp".into(), json!(v == "1"));
        }
        match node.kind {
            NodeKind::Qemu => self.qemu_extras(n, node),
            NodeKind::Iol => {
                let x = &mut node.extras;
                x.insert("ethernet_groups".into(), json!(n.ethernet.unwrap_or(2)));
                x.insert("serial".into(), json!(n.serial.unwrap_or(0)));
                if let Some(v) = n.nvram {
                    x.insert("nvram".into(), json!(v));
                }
                if let Some(v) = n.keepalive {
                    x.insert("l1_keepalives".into(), json!(v == 1));
                }
            }
            NodeKind::Dynamips => {
                let x = &mut node.extras;
                x.insert("platform".into(), json!(n.template));
                if let Some(v) = &n.idlepc {
                    x.insert("idlepc".into(), json!(v));
                }
                if let Some(v) = n.nvram {
                    x.insert("nvram".into(), json!(v));
                }
                for (slot, module) in &n.slots {
                    x.insert(format!("slot{slot}"), json!(module));
                }
            }
            _ => {}
        }
    }

    /// A VPCS is a plain host: a `linux` node with nova-ve's busybox host profile. labd
    /// accepts only typed extras on linux nodes (addresses, default_gateway, profile), so the
    /// VPCS startup config's `ip` line becomes those and anything else is a review note.
    fn vpcs_extras(&mut self, n: &UnlNode, node: &mut Node) {
        let x = &mut node.extras;
        x.insert(
            "profile".into(),
            json!(nova_lab_model::LinuxProfile::BusyboxHost.as_str()),
        );
        let Some(cfg) = self.unl.configs.get(&n.id) else {
            return;
        };
        let (ip, rest) = vpcs_ip(cfg);
        if let Some((cidr, gw)) = ip {
            x.insert("addresses".into(), json!({ "eth0": [cidr] }));
            if let Some(gw) = gw {
                x.insert("default_gateway".into(), json!(gw));
            }
        }
        if !rest.is_empty() {
            self.review.push(format!(
                "node {} ({}): VPCS config lines not carried over: {}",
                n.id,
                n.name,
                rest.join("; ")
            ));
        }
    }

    fn qemu_extras(&mut self, n: &UnlNode, node: &mut Node) {
        let id = n.id;
        if let Some(nic) = &n.qemu_nic {
            match qemu_opts::nic_model(nic) {
                Some(m) => {
                    node.extras.insert("qemu_nic".into(), json!(m));
                }
                None => self.review.push(format!(
                    "node {id}: NIC model {nic:?} not supported; template default used"
                )),
            }
        }
        if let Some(arch) = &n.qemu_arch {
            if qemu_opts::ARCHES.contains(&arch.as_str()) {
                node.extras.insert("architecture".into(), json!(arch));
            } else {
                self.review.push(format!(
                    "node {id}: qemu_arch {arch:?} not supported; dropped"
                ));
            }
        }
        if let Some(v) = &n.qemu_version {
            node.extras.insert("eveng_qemu_version".into(), json!(v));
        }
        if let Some(opts) = &n.qemu_options {
            let f = qemu_opts::parse(opts);
            node.machine_override = f.machine.clone();
            apply_qemu_flags(&mut node.extras, &f);
            if !f.dropped.is_empty() {
                self.review.push(format!(
                    "node {id}: qemu_options not carried over: {}",
                    f.dropped.join(" ")
                ));
            }
        }
    }

    fn network_kind(&mut self, net: &UnlNetwork) -> (NetworkType, Option<String>) {
        let kind = net.kind.as_str();
        match kind {
            "bridge" => (NetworkType::LinuxBridge, None),
            "ovs" => {
                self.review.push(format!(
                    "network {}: Open vSwitch network became a Linux bridge",
                    net.id
                ));
                (NetworkType::LinuxBridge, None)
            }
            "nat0" => {
                self.review.push(format!(
                    "network {}: NAT cloud imported; check its addressing",
                    net.id
                ));
                (NetworkType::NatCloud, None)
            }
            k if k.starts_with("pnet") && k[4..].parse::<u8>().is_ok_and(|d| d <= 9) => {
                self.review.push(format!(
                    "network {} ({k}): bridge cloud on host bridge {k:?}; create that bridge or edit config.host_bridge",
                    net.id
                ));
                (NetworkType::BridgeCloud, Some(k.to_owned()))
            }
            other => {
                self.review.push(format!(
                    "network {}: type {other:?} unknown here; imported as a Linux bridge",
                    net.id
                ));
                (NetworkType::LinuxBridge, None)
            }
        }
    }

    /// Networks and the node→network links.
    fn networks(&mut self) {
        let mut used: HashSet<String> = HashSet::new();
        for net in &self.unl.networks {
            let members = self.members(net.id);
            if members.is_empty() && !net.visible {
                self.review
                    .push(format!("network {}: hidden and unused; dropped", net.id));
                continue;
            }
            let (kind, host_bridge) = self.network_kind(net);
            let base = if net.name.trim().is_empty() {
                format!("Net-{}", net.id)
            } else {
                clip(net.name.trim(), 64)
            };
            let name = unique_name(&base, net.id, &mut used);
            let mut network = Network::new(net.id, name, kind.clone());
            network.left = net.left;
            network.top = net.top;
            network.icon = net.icon.clone();
            network.config.host_bridge = host_bridge;
            if !net.visible {
                if members.len() == 2 && kind == NetworkType::LinuxBridge {
                    // EVE-NG's point-to-point link: schema 2 stores it as an implicit network.
                    network.implicit = true;
                    network.visibility = Some(LooseBool::Bool(false));
                } else {
                    self.review.push(format!(
                        "network {}: hidden network with {} members kept as a visible network",
                        net.id,
                        members.len()
                    ));
                }
            }
            self.lab.networks.insert(net.id.to_string(), network);
            for (node, index) in members {
                self.link(Endpoint::node(node, index), Endpoint::network(net.id));
            }
        }
        self.dangling_interfaces();
    }

    /// (node id, our index) of the Ethernet interfaces plugged into `net`.
    fn members(&self, net: u32) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        for n in &self.unl.nodes {
            for i in n
                .interfaces
                .iter()
                .filter(|i| !i.serial && i.network_id == Some(net))
            {
                if let Some(&index) = self.index_of.get(&(n.id, i.id)) {
                    out.push((n.id, index));
                }
            }
        }
        out
    }

    fn dangling_interfaces(&mut self) {
        for n in &self.unl.nodes {
            for i in n.interfaces.iter().filter(|i| !i.serial) {
                if let Some(net) = i.network_id
                    && !self.lab.networks.contains_key(&net.to_string())
                {
                    self.review.push(format!(
                        "node {} interface {}: network {net} does not exist; not connected",
                        n.id, i.id
                    ));
                }
            }
        }
    }

    fn link(&mut self, from: Endpoint, to: Endpoint) {
        let id = format!("lnk_{:03}", self.next_link);
        self.next_link += 1;
        self.lab.links.push(Link::new(id, from, to));
    }

    /// Serial links are node↔node without a network in EVE-NG; here each becomes an
    /// implicit network so the topology is kept (the runtime needs serial support).
    fn serial_links(&mut self) {
        let mut done: HashSet<(u32, u32)> = HashSet::new();
        let mut pairs = Vec::new();
        for n in &self.unl.nodes {
            for i in n.interfaces.iter().filter(|i| i.serial) {
                let (Some(rn), Some(ri)) = (i.remote_id, i.remote_if) else {
                    self.review.push(format!(
                        "node {} interface {}: serial link without a peer; dropped",
                        n.id, i.id
                    ));
                    continue;
                };
                let (Some(&a), Some(&b)) = (
                    self.index_of.get(&(n.id, i.id)),
                    self.index_of.get(&(rn, ri)),
                ) else {
                    self.review.push(format!(
                        "node {} interface {}: serial peer {rn}/{ri} unknown; dropped",
                        n.id, i.id
                    ));
                    continue;
                };
                if done.contains(&(n.id, a)) || done.contains(&(rn, b)) {
                    continue;
                }
                done.insert((n.id, a));
                done.insert((rn, b));
                pairs.push((n.id, a, rn, b, n.name.clone(), i.name.clone()));
            }
        }
        for (na, a, nb, b, name, ifname) in pairs {
            match self.lab.connect_nodes(na, a, nb, b) {
                Ok(_) => self.review.push(format!(
                    "serial link {name} {ifname} ↔ node {nb}: imported as an implicit network; serial links need IOL runtime support"
                )),
                Err(e) => self.review.push(format!("serial link node {na} ↔ node {nb}: {e}; dropped")),
            }
        }
    }

    fn objects(&mut self) {
        let u = self.unl;
        for t in &u.textobjects {
            self.lab.textobjects.push(TextObject {
                id: Some(json!(t.id)),
                name: Some(t.name.clone()),
                kind: Some(t.kind.clone()),
                data: Some(t.data.clone()),
                extra: Map::new(),
            });
        }
        for p in &u.pictures {
            if p.mime != "image/png" && p.mime != "image/jpeg" {
                self.review.push(format!(
                    "picture {}: type {:?} is not image/png or image/jpeg; dropped",
                    p.id, p.mime
                ));
                continue;
            }
            let mut extra = Map::new();
            extra.insert("data".into(), json!(p.data_base64));
            self.lab.pictures.push(Picture {
                id: Some(json!(p.id)),
                name: Some(p.name.clone()),
                kind: Some(p.mime.clone()),
                width: p.width.map(Value::from),
                height: p.height.map(Value::from),
                map: Some(p.map.clone()).filter(|m| !m.is_empty()),
                extra,
            });
        }
        for t in &u.tasks {
            let mut extra = Map::new();
            extra.insert("type".into(), json!(t.kind));
            extra.insert("data".into(), json!(t.data));
            self.lab.tasks.push(Task {
                id: Some(json!(t.id)),
                name: Some(t.name.clone()),
                extra,
            });
        }
        for s in &u.configsets {
            let configs: Map<String, Value> = s
                .configs
                .iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            let key = if s.name.is_empty() {
                format!("configset-{}", s.id)
            } else {
                s.name.clone()
            };
            self.lab
                .configsets
                .insert(key, json!({"id": s.id, "name": s.name, "configs": configs}));
        }
        for id in u
            .configs
            .keys()
            .filter(|id| !self.lab.nodes.contains_key(&id.to_string()))
        {
            self.review
                .push(format!("startup config for missing node {id} dropped"));
        }
    }
}

/// The typed QEMU settings nova-ve keeps in node extras / template fields.
pub fn apply_qemu_flags(x: &mut Map<String, Value>, f: &qemu_opts::QemuFlags) {
    if let Some(v) = &f.cpu_model {
        x.insert("cpu_model".into(), json!(v));
    }
    if !f.cpu_features.is_empty() {
        x.insert("cpu_features".into(), json!(f.cpu_features));
    }
    if let Some(v) = &f.vga {
        x.insert("vga".into(), json!(v));
    }
    if let Some(v) = f.rtc_utc {
        x.insert("rtc_utc".into(), json!(v));
    }
    if f.usb_tablet {
        x.insert("usb_tablet".into(), json!(true));
    }
    if let Some(v) = &f.boot_order {
        x.insert("boot_order".into(), json!(v));
    }
}

fn unique_name(base: &str, id: u32, used: &mut HashSet<String>) -> String {
    let mut name = base.to_owned();
    if used.contains(&name.to_lowercase()) {
        let suffix = format!("-{id}");
        name = format!("{}{suffix}", clip(base, 64 - suffix.len()));
    }
    let mut n = 2;
    while used.contains(&name.to_lowercase()) {
        let suffix = format!("-{id}-{n}");
        name = format!("{}{suffix}", clip(base, 64 - suffix.len()));
        n += 1;
    }
    used.insert(name.to_lowercase());
    name
}

/// The nova-ve lab file name for an EVE-NG lab file stem (trimmed; refused when the
/// model's [`LabName`] rules refuse it).
pub fn lab_name(stem: &str) -> Result<LabName, nova_lab_model::NameError> {
    LabName::new(stem.trim())
}

#[cfg(test)]
mod tests {
    use super::{mask_len, vpcs_ip};

    #[test]
    fn vpcs_config_ip_lines() {
        let some = |c: &str, g: Option<&str>| Some((c.to_owned(), g.map(str::to_owned)));
        assert_eq!(
            vpcs_ip("set pcname VPC1\nip 10.0.0.2 255.255.255.0 10.0.0.1\n"),
            (
                some("10.0.0.2/24", Some("10.0.0.1")),
                vec!["set pcname VPC1".into()]
            )
        );
        assert_eq!(
            vpcs_ip("ip 10.1.0.9/16"),
            (some("10.1.0.9/16", None), vec![])
        );
        assert_eq!(vpcs_ip("ip 10.1.0.9"), (some("10.1.0.9/24", None), vec![]));
        assert_eq!(vpcs_ip("ip dhcp").0, None);
        assert_eq!(vpcs_ip("ip dhcp").1, ["ip dhcp"]);
        assert_eq!(vpcs_ip("ip 10.0.0.2/40").0, None);
        assert_eq!(vpcs_ip("ip 10.0.0.2 255.0.255.0").0, None);
        assert_eq!(vpcs_ip("ip 999.0.0.2/24 x").0, None);
        assert_eq!(vpcs_ip("\n# c\n"), (None, vec![]));
        assert_eq!(mask_len("255.255.255.252"), Some(30));
        assert_eq!(mask_len("0.0.0.0"), Some(0));
    }
}
