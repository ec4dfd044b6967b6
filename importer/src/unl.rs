//! EVE-NG `.unl` lab files parsed into an intermediate, typed form (FORMATS.md §4.1).
//!
//! Parsing is tolerant where EVE-NG itself was (missing attributes get UNetLab's
//! defaults, base64 blocks fall back to raw text, percentage positions are converted)
//! and strict where a hostile file could hurt (see [`crate::xmltree`]). Anything odd
//! but survivable is recorded in [`UnlLab::warnings`] for the manifest.

use std::collections::BTreeMap;

use crate::b64;
use crate::xmltree::{self, Element, Limits, XmlError};

/// A parsed lab.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnlLab {
    /// `name` attribute
    pub name: String,
    /// `id` attribute (UUID), if present and not all zero
    pub id: Option<String>,
    /// `version`
    pub version: Option<String>,
    /// `author`
    pub author: Option<String>,
    /// `scripttimeout`
    pub scripttimeout: Option<u32>,
    /// `countdown`
    pub countdown: Option<u32>,
    /// `linkwidth`
    pub linkwidth: Option<String>,
    /// `grid`
    pub grid: Option<bool>,
    /// `lock`
    pub lock: Option<bool>,
    /// `sat`
    pub sat: Option<String>,
    /// `<description>`
    pub description: String,
    /// `<body>`
    pub body: String,
    /// nodes in file order
    pub nodes: Vec<UnlNode>,
    /// networks in file order
    pub networks: Vec<UnlNetwork>,
    /// `<textobject>`s
    pub textobjects: Vec<UnlTextObject>,
    /// `<picture>`s
    pub pictures: Vec<UnlPicture>,
    /// `<config id=node>` startup configs, decoded
    pub configs: BTreeMap<u32, String>,
    /// `<configset>`s
    pub configsets: Vec<UnlConfigSet>,
    /// `<task>`s
    pub tasks: Vec<UnlTask>,
    /// non-fatal oddities
    pub warnings: Vec<String>,
}

/// A `<node>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnlNode {
    /// `id`
    pub id: u32,
    /// `name`
    pub name: String,
    /// `type`: qemu, iol, dynamips, docker, vpcs
    pub kind: String,
    /// `template`
    pub template: String,
    /// `image`
    pub image: String,
    /// `console` (empty = telnet)
    pub console: String,
    /// `cpu`
    pub cpu: Option<u32>,
    /// `ram` (MB)
    pub ram: Option<u32>,
    /// `cpulimit`
    pub cpulimit: Option<u32>,
    /// `ethernet`: NIC count, IOL: port groups
    pub ethernet: Option<u32>,
    /// `serial` (IOL port groups)
    pub serial: Option<u32>,
    /// `nvram` (KB)
    pub nvram: Option<u32>,
    /// `idlepc` (dynamips)
    pub idlepc: Option<String>,
    /// `keepalive` (IOL)
    pub keepalive: Option<u32>,
    /// `uuid` (qemu SMBIOS)
    pub uuid: Option<String>,
    /// `firstmac`
    pub firstmac: Option<String>,
    /// `qemu_options` (never passed through; mapped by the converter)
    pub qemu_options: Option<String>,
    /// `qemu_version`
    pub qemu_version: Option<String>,
    /// `qemu_arch`
    pub qemu_arch: Option<String>,
    /// `qemu_nic`
    pub qemu_nic: Option<String>,
    /// `delay` seconds
    pub delay: Option<u32>,
    /// `icon`
    pub icon: String,
    /// `config`: boot from the stored startup-config
    pub config: bool,
    /// canvas x
    pub left: i64,
    /// canvas y
    pub top: i64,
    /// `e0dhcp`
    pub e0dhcp: Option<String>,
    /// dynamips `<slot id module>`
    pub slots: BTreeMap<u32, String>,
    /// connected interfaces
    pub interfaces: Vec<UnlInterface>,
}

/// An `<interface>` of a node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlInterface {
    /// `id` (IOL: module + 16 × port)
    pub id: u32,
    /// `name`
    pub name: String,
    /// `serial` type (else ethernet)
    pub serial: bool,
    /// ethernet: the network it plugs into
    pub network_id: Option<u32>,
    /// serial: peer node
    pub remote_id: Option<u32>,
    /// serial: peer interface id
    pub remote_if: Option<u32>,
}

/// A `<network>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlNetwork {
    /// `id`
    pub id: u32,
    /// `type`: bridge, ovs, pnet0..9, nat0, internal*
    pub kind: String,
    /// `name`
    pub name: String,
    /// canvas x
    pub left: i64,
    /// canvas y
    pub top: i64,
    /// `visibility` (absent = visible, as in UNetLab before EVE 5)
    pub visible: bool,
    /// `icon`
    pub icon: Option<String>,
}

/// A `<textobject>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlTextObject {
    /// `id`
    pub id: u32,
    /// `name`
    pub name: String,
    /// `type`: text, square, circle
    pub kind: String,
    /// decoded HTML fragment
    pub data: String,
}

/// A `<picture>` (image kept as base64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlPicture {
    /// `id`
    pub id: u32,
    /// `name`
    pub name: String,
    /// MIME type
    pub mime: String,
    /// `width`
    pub width: Option<u32>,
    /// `height`
    pub height: Option<u32>,
    /// base64 image data, whitespace removed
    pub data_base64: String,
    /// HTML image map
    pub map: String,
}

/// A `<configset>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlConfigSet {
    /// `id`
    pub id: u32,
    /// `name`
    pub name: String,
    /// node id → decoded config
    pub configs: BTreeMap<u32, String>,
}

/// A `<task>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnlTask {
    /// `id`
    pub id: u32,
    /// `name`
    pub name: String,
    /// `type`
    pub kind: String,
    /// decoded content
    pub data: String,
}

/// Why a `.unl` file could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnlError {
    /// PNETLab-encrypted or otherwise not XML.
    #[error("not an XML lab (encrypted PNETLab lab or another format); skipped")]
    NotXml,
    /// Not UTF-8.
    #[error("not UTF-8 text")]
    NotUtf8,
    /// Refused or malformed XML.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The root element is not `<lab>`.
    #[error("root element is <{0}>, expected <lab>")]
    NotALab(String),
    /// Structurally invalid (bad or duplicate ids, ...).
    #[error("invalid lab: {0}")]
    Invalid(String),
}

/// Parses a `.unl` file's bytes.
pub fn parse(bytes: &[u8], limits: Limits) -> Result<UnlLab, UnlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(bytes.len(), limits.max_bytes).into());
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    if bytes.get(start) != Some(&b'<') {
        return Err(UnlError::NotXml);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| UnlError::NotUtf8)?;
    let root = xmltree::parse(text, limits)?;
    if root.name != "lab" {
        return Err(UnlError::NotALab(root.name));
    }
    lab_from(&root)
}

fn lab_from(root: &Element) -> Result<UnlLab, UnlError> {
    let mut lab = UnlLab {
        name: root.attr("name").unwrap_or_default().to_owned(),
        id: root
            .attr("id")
            .map(str::trim)
            .filter(|s| valid_uuid(s))
            .map(str::to_owned),
        version: nonempty(root.attr("version")),
        author: nonempty(root.attr("author")),
        scripttimeout: root.attr("scripttimeout").and_then(num),
        countdown: root.attr("countdown").and_then(num),
        linkwidth: nonempty(root.attr("linkwidth")),
        grid: root.attr("grid").map(truthy),
        lock: root.attr("lock").map(truthy),
        sat: nonempty(root.attr("sat")),
        description: root
            .child("description")
            .map(|e| e.text.clone())
            .unwrap_or_default(),
        body: root
            .child("body")
            .map(|e| e.text.clone())
            .unwrap_or_default(),
        ..Default::default()
    };
    if let Some(id) = root.attr("id")
        && lab.id.is_none()
        && !id.is_empty()
    {
        lab.warnings.push(format!(
            "lab id {id:?} is not a usable UUID; a new one was generated"
        ));
    }
    if let Some(topo) = root.child("topology") {
        for nodes in topo.children_named("nodes") {
            for n in nodes.children_named("node") {
                let node = node_from(n, &mut lab.warnings)?;
                if lab.nodes.iter().any(|o| o.id == node.id) {
                    return Err(UnlError::Invalid(format!(
                        "node id {} appears twice",
                        node.id
                    )));
                }
                lab.nodes.push(node);
            }
        }
        for nets in topo.children_named("networks") {
            for n in nets.children_named("network") {
                let net = network_from(n)?;
                if lab.networks.iter().any(|o| o.id == net.id) {
                    return Err(UnlError::Invalid(format!(
                        "network id {} appears twice",
                        net.id
                    )));
                }
                lab.networks.push(net);
            }
        }
    }
    // Real files sometimes carry a second, empty <objects/>: read them all.
    for objects in root.children_named("objects") {
        objects_from(objects, &mut lab)?;
    }
    Ok(lab)
}

fn objects_from(objects: &Element, lab: &mut UnlLab) -> Result<(), UnlError> {
    for t in objects
        .children_named("textobjects")
        .flat_map(|e| e.children_named("textobject"))
    {
        lab.textobjects.push(UnlTextObject {
            id: id_of(t, "textobject")?,
            name: t.attr("name").unwrap_or_default().to_owned(),
            kind: t.attr("type").unwrap_or("text").to_owned(),
            data: t
                .child("data")
                .map(|d| decode_text(&d.text))
                .unwrap_or_default(),
        });
    }
    for p in objects
        .children_named("pictures")
        .flat_map(|e| e.children_named("picture"))
    {
        lab.pictures.push(UnlPicture {
            id: id_of(p, "picture")?,
            name: p.attr("name").unwrap_or_default().to_owned(),
            mime: p.attr("type").unwrap_or_default().to_owned(),
            width: p.attr("width").and_then(num),
            height: p.attr("height").and_then(num),
            data_base64: p
                .child("data")
                .map(|d| d.text.split_whitespace().collect())
                .unwrap_or_default(),
            map: p.child("map").map(|m| m.text.clone()).unwrap_or_default(),
        });
    }
    for c in objects
        .children_named("configs")
        .flat_map(|e| e.children_named("config"))
    {
        lab.configs
            .insert(id_of(c, "config")?, decode_text(&c.text));
    }
    for s in objects
        .children_named("configsets")
        .flat_map(|e| e.children_named("configset"))
    {
        let mut set = UnlConfigSet {
            id: id_of(s, "configset")?,
            name: s.attr("name").unwrap_or_default().to_owned(),
            configs: BTreeMap::new(),
        };
        for c in s.children_named("config") {
            set.configs
                .insert(id_of(c, "configset config")?, decode_text(&c.text));
        }
        lab.configsets.push(set);
    }
    for t in objects
        .children_named("tasks")
        .flat_map(|e| e.children_named("task"))
    {
        lab.tasks.push(UnlTask {
            id: id_of(t, "task")?,
            name: t.attr("name").unwrap_or_default().to_owned(),
            kind: t.attr("type").unwrap_or_default().to_owned(),
            data: t
                .child("data")
                .map(|d| decode_text(&d.text))
                .unwrap_or_default(),
        });
    }
    Ok(())
}

fn node_from(n: &Element, warnings: &mut Vec<String>) -> Result<UnlNode, UnlError> {
    let id = id_of(n, "node")?;
    let mut node = UnlNode {
        id,
        name: n.attr("name").unwrap_or_default().to_owned(),
        kind: n.attr("type").unwrap_or_default().to_owned(),
        template: n.attr("template").unwrap_or_default().to_owned(),
        image: n.attr("image").unwrap_or_default().to_owned(),
        console: n.attr("console").unwrap_or_default().to_owned(),
        cpu: n.attr("cpu").and_then(num),
        ram: n.attr("ram").and_then(num),
        cpulimit: n.attr("cpulimit").and_then(num),
        ethernet: n.attr("ethernet").and_then(num),
        serial: n.attr("serial").and_then(num),
        nvram: n.attr("nvram").and_then(num),
        idlepc: nonempty(n.attr("idlepc")),
        keepalive: n.attr("keepalive").and_then(num),
        uuid: nonempty(n.attr("uuid")),
        firstmac: nonempty(n.attr("firstmac")),
        qemu_options: nonempty(n.attr("qemu_options")),
        qemu_version: nonempty(n.attr("qemu_version")),
        qemu_arch: nonempty(n.attr("qemu_arch")),
        qemu_nic: nonempty(n.attr("qemu_nic")),
        delay: n.attr("delay").and_then(num),
        icon: n.attr("icon").unwrap_or_default().to_owned(),
        config: n.attr("config").is_some_and(config_flag),
        left: position(n.attr("left"), 800),
        top: position(n.attr("top"), 600),
        e0dhcp: nonempty(n.attr("e0dhcp")),
        ..Default::default()
    };
    for s in n.children_named("slot") {
        if let (Some(sid), Some(module)) = (s.attr("id").and_then(num), s.attr("module")) {
            node.slots.insert(sid, module.to_owned());
        }
    }
    for i in n.children_named("interface") {
        let Some(iid) = i.attr("id").and_then(num) else {
            warnings.push(format!("node {id}: interface without a numeric id ignored"));
            continue;
        };
        if node.interfaces.iter().any(|o| o.id == iid) {
            warnings.push(format!(
                "node {id}: interface {iid} listed twice; the first kept"
            ));
            continue;
        }
        node.interfaces.push(UnlInterface {
            id: iid,
            name: i.attr("name").unwrap_or_default().to_owned(),
            serial: i.attr("type") == Some("serial"),
            network_id: i.attr("network_id").and_then(num).filter(|&v| v > 0),
            remote_id: i.attr("remote_id").and_then(num).filter(|&v| v > 0),
            remote_if: i.attr("remote_if").and_then(num),
        });
    }
    Ok(node)
}

fn network_from(n: &Element) -> Result<UnlNetwork, UnlError> {
    Ok(UnlNetwork {
        id: id_of(n, "network")?,
        kind: n.attr("type").unwrap_or("bridge").to_owned(),
        name: n.attr("name").unwrap_or_default().to_owned(),
        left: position(n.attr("left"), 800),
        top: position(n.attr("top"), 600),
        visible: n.attr("visibility").is_none_or(truthy),
        icon: nonempty(n.attr("icon")),
    })
}

fn id_of(e: &Element, what: &str) -> Result<u32, UnlError> {
    let raw = e.attr("id").unwrap_or_default();
    num(raw).filter(|&v| v > 0).ok_or_else(|| {
        UnlError::Invalid(format!(
            "{what} has id {raw:?}, expected a positive integer"
        ))
    })
}

fn num(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

fn nonempty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn truthy(s: &str) -> bool {
    matches!(s.trim(), "1" | "true" | "yes" | "on")
}

/// `config` attribute: 0/1 plus UNetLab's legacy words.
fn config_flag(s: &str) -> bool {
    matches!(s.trim(), "1" | "Exported" | "Saved" | "true")
}

/// Canvas position; very old UNetLab files used percentages of an 800×600 viewport.
fn position(s: Option<&str>, extent: i64) -> i64 {
    let Some(s) = s.map(str::trim) else { return 0 };
    if let Some(pct) = s.strip_suffix('%') {
        return pct
            .trim()
            .parse::<f64>()
            .map(|p| (p * extent as f64 / 100.0).round() as i64)
            .unwrap_or(0);
    }
    s.parse::<f64>().map(|v| v.round() as i64).unwrap_or(0)
}

fn valid_uuid(s: &str) -> bool {
    let hex_groups: Vec<&str> = s.split('-').collect();
    let lens = [8, 4, 4, 4, 12];
    hex_groups.len() == 5
        && hex_groups
            .iter()
            .zip(lens)
            .all(|(g, l)| g.len() == l && g.chars().all(|c| c.is_ascii_hexdigit()))
        && s.chars().any(|c| c != '0' && c != '-')
}

/// Base64 content, or the raw text when it does not decode to plausible UTF-8 text
/// (eve2cml does the same: some exports carry plain configs).
pub fn decode_text(raw: &str) -> String {
    let compact: String = raw.split_whitespace().collect();
    if let Some(bytes) = b64::decode(&compact)
        && let Ok(text) = String::from_utf8(bytes)
        && text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
    {
        return text;
    }
    raw.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_encrypted_and_foreign_roots() {
        assert_eq!(
            parse(b"U2FsdGVkX1+abc", Limits::default()),
            Err(UnlError::NotXml)
        );
        assert!(matches!(
            parse(b"<html/>", Limits::default()),
            Err(UnlError::NotALab(_))
        ));
        assert!(matches!(
            parse(
                b"<lab><topology><nodes><node id=\"x\"/></nodes></topology></lab>",
                Limits::default()
            ),
            Err(UnlError::Invalid(_))
        ));
    }

    #[test]
    fn positions_and_flags() {
        assert_eq!(position(Some("40%"), 800), 320);
        assert_eq!(position(Some("12.6"), 800), 13);
        assert!(config_flag("Exported"));
        assert!(!config_flag("None"));
        assert!(!valid_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(valid_uuid("a1b2c3d4-0000-4000-8000-000000000001"));
    }

    #[test]
    fn decodes_base64_or_keeps_raw() {
        assert_eq!(decode_text("aG9zdG5hbWUgUjEK"), "hostname R1\n");
        assert_eq!(decode_text("hostname R1\n!"), "hostname R1\n!");
    }
}
