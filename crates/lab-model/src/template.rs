//! Node templates (REFERENCE §4): the defaults a new node starts from.
//!
//! The product ships built-in templates (embedded at build time from
//! `templates/<type>/<key>.yml`); operators add or override them with files in
//! a templates directory. A template's key is its file stem; its type is its
//! `type:` field, else the name of the directory holding it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::lab::{ConsoleType, Extra, Node, NodeId, NodeInterface, NodeKind};
use crate::serde_util::{opt_u32_lenient, string_enum};
use crate::validate::limits;

include!(concat!(env!("OUT_DIR"), "/builtin_templates.rs"));

/// Top-level template keys that are really per-kind extras (REFERENCE §4.3);
/// they are folded into [`Template::extras`] on load.
pub const EXTRAS_KEYS: &[&str] = &[
    // qemu
    "architecture",
    "qemu_nic",
    "qemu_version",
    "boot_order",
    "qemu_options",
    "uuid",
    "firstmac",
    // docker
    "restart_policy",
    "vnc_port",
    "environment",
    "extra_args",
    "command",
    // iol
    "serial",
    "serial_adapters",
    "l1_keepalives",
    "nvram",
    "config",
    "idle_pc",
    // dynamips
    "platform",
    "slot0",
    "slot1",
    "slot2",
    "slot3",
    "slot4",
    "slot5",
    "slot6",
    "disk0",
    "npe",
    "midplane",
    "idlepc",
];

string_enum! {
    /// The icon family of a template.
    pub enum IconType {
        /// A router.
        Router => "router",
        /// A server.
        Server => "server",
        /// A switch.
        Switch => "switch",
        /// A firewall.
        Firewall => "firewall",
        /// An end host.
        Host => "host",
    }
}

impl IconType {
    /// The node icon file for this family.
    pub fn icon_file(&self) -> &'static str {
        match self {
            IconType::Server | IconType::Host => "Server.png",
            IconType::Switch => "Switch.png",
            IconType::Firewall => "Firewall.png",
            IconType::Router | IconType::Other(_) => "Router.png",
        }
    }
}

string_enum! {
    /// The QEMU machine type.
    pub enum Machine {
        /// i440FX: no PCIe hot-plug.
        Pc => "pc",
        /// Q35: PCIe hot-plug.
        Q35 => "q35",
    }
}

/// The program a `linux` node runs. A closed set on purpose: a template never
/// carries a free-form command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum LinuxProfile {
    /// A busybox shell and applets.
    BusyboxHost,
    /// FRRouting (zebra and routing daemons) with vtysh.
    FrrRouter,
}

impl LinuxProfile {
    /// Every profile, as written in files.
    pub const KNOWN: &'static [&'static str] = &["busybox-host", "frr-router"];

    /// The profile as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            LinuxProfile::BusyboxHost => "busybox-host",
            LinuxProfile::FrrRouter => "frr-router",
        }
    }

    /// Parses a profile name.
    pub fn parse(s: &str) -> Option<LinuxProfile> {
        match s {
            "busybox-host" => Some(LinuxProfile::BusyboxHost),
            "frr-router" => Some(LinuxProfile::FrrRouter),
            _ => None,
        }
    }
}

impl Node {
    /// The program profile a `linux` node names in `extras.profile`:
    /// `Ok(None)` when it names none (use its template's), `Err` with the raw
    /// value when it names an unknown one.
    pub fn linux_profile(&self) -> Result<Option<LinuxProfile>, String> {
        match self.extras.get("profile") {
            None => Ok(None),
            Some(Value::String(s)) => LinuxProfile::parse(s).map(Some).ok_or_else(|| s.clone()),
            Some(other) => Err(other.to_string()),
        }
    }
}

/// What the runtime can do with a template's nodes, as written in the file.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    /// NICs can be added or removed while the node runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotplug: Option<bool>,
    /// Most NICs a node may have.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub max_nics: Option<u32>,
    /// QEMU machine type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<Machine>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

/// [`Capabilities`] with the per-kind defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedCapabilities {
    /// NICs can be added or removed while the node runs.
    pub hotplug: bool,
    /// Most NICs a node may have.
    pub max_nics: u32,
    /// QEMU machine type (`None` for other kinds).
    pub machine: Option<Machine>,
}

/// `interface_naming.format`: one string (entries separated by commas) or a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NamingFormat {
    /// `"eth{n}"` or `"mgmt0,eth{n}"`.
    One(String),
    /// `["mgmt", "ethernet1/{port}"]`.
    List(Vec<String>),
}

impl NamingFormat {
    /// The entries: fixed names, then the pattern for the rest.
    pub fn entries(&self) -> Vec<String> {
        let items: Vec<&str> = match self {
            NamingFormat::One(s) => vec![s.as_str()],
            NamingFormat::List(v) => v.iter().map(String::as_str).collect(),
        };
        split_entries(&items.join(","))
    }
}

/// How a template names its interfaces.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct InterfaceNaming {
    /// A naming pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<NamingFormat>,
    /// Explicit names for the first interfaces (laid over the pattern).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explicit: Option<Vec<String>>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Extra,
}

fn split_entries(format: &str) -> Vec<String> {
    format
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Renders interface `index` (0-based) from naming entries.
///
/// All entries but the last are fixed names, one interface each. The last is a
/// pattern for the remaining interfaces, numbered relative to it: `{n}` and
/// `{slot}` count from 0, `{port}` from 1. So `["mgmt", "ethernet1/{port}"]`
/// gives `mgmt, ethernet1/1, ethernet1/2, ...`.
pub fn render_interface_name(entries: &[String], index: u32) -> String {
    let Some(last) = entries.last() else {
        return String::new();
    };
    let fixed = entries.len() - 1;
    let index = index as usize;
    if index < fixed {
        return entries[index].clone();
    }
    let rel = index - fixed;
    last.replace("{n}", &rel.to_string())
        .replace("{slot}", &rel.to_string())
        .replace("{port}", &(rel + 1).to_string())
}

/// Names for `count` interfaces from a comma-separated format (`"mgmt0,eth{n}"`).
pub fn interface_names(format: &str, count: u32) -> Vec<String> {
    let entries = split_entries(format);
    (0..count)
        .map(|i| render_interface_name(&entries, i))
        .collect()
}

/// The built-in fallback names: `Gi1..` for qemu, `eth0..` for the rest.
pub fn default_interface_names(kind: &NodeKind, count: u32) -> Vec<String> {
    match kind {
        NodeKind::Qemu => (0..count).map(|i| format!("Gi{}", i + 1)).collect(),
        _ => (0..count).map(|i| format!("eth{i}")).collect(),
    }
}

/// A node template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// The key (file stem).
    #[serde(skip)]
    pub key: String,
    /// The node kind: the `type:` field, else the directory name.
    #[serde(skip, default = "qemu")]
    pub kind: NodeKind,
    /// `type:` as written.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub declared_kind: Option<NodeKind>,
    /// Display name (defaults to the key). Also used to match image directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icon family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_type: Option<IconType>,
    /// Default CPUs.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub cpu: Option<u32>,
    /// Default memory in MiB.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub ram: Option<u32>,
    /// Default interface count.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub ethernet: Option<u32>,
    /// CPU limit flag.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "opt_u32_lenient"
    )]
    pub cpulimit: Option<u32>,
    /// Default console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_type: Option<ConsoleType>,
    /// Extra lower-case substrings that match image directory names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_aliases: Vec<String>,
    /// Runtime capabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    /// Interface naming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_naming: Option<InterfaceNaming>,
    /// Program profile of a `linux` template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<LinuxProfile>,
    /// Per-kind extras defaults, including top-level keys from [`EXTRAS_KEYS`].
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub extras: Map<String, Value>,
    /// Other top-level keys (paired-template fields among them).
    #[serde(flatten)]
    pub extra: Extra,
}

fn qemu() -> NodeKind {
    NodeKind::Qemu
}

/// Why a template file was refused.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Not valid YAML/JSON, or not the shape of a template.
    #[error("template {source_name}: {message}")]
    Parse {
        /// Where the template came from (`qemu/vmx` or a file path).
        source_name: String,
        /// What the parser reported (with line and column).
        message: String,
    },
    /// Parsed, but a value is not acceptable.
    #[error("template {source_name}: {message}")]
    Invalid {
        /// Where the template came from.
        source_name: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A template directory or file could not be read.
    #[error("template directory {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl Template {
    /// Parses a YAML (or JSON) template. `dir_kind` is the name of the
    /// directory it came from, used when the file has no `type:`.
    pub fn from_yaml(dir_kind: &str, key: &str, text: &str) -> Result<Template, TemplateError> {
        let source_name = format!("{dir_kind}/{key}");
        let mut t: Template = serde_norway::from_str(text).map_err(|e| TemplateError::Parse {
            source_name: source_name.clone(),
            message: e.to_string(),
        })?;
        t.key = key.to_owned();
        t.kind = t
            .declared_kind
            .clone()
            .unwrap_or_else(|| NodeKind::from(dir_kind));
        t.fold_extras();
        t.check().map_err(|message| TemplateError::Invalid {
            source_name,
            message,
        })?;
        Ok(t)
    }

    /// Moves top-level extras keys (`qemu_options`, ...) into `extras`; an
    /// explicit `extras:` entry wins.
    fn fold_extras(&mut self) {
        for key in EXTRAS_KEYS {
            if let Some(v) = self.extra.shift_remove(*key) {
                self.extras.entry(key.to_string()).or_insert(v);
            }
        }
    }

    /// Load-time checks; the message says what to change.
    fn check(&self) -> Result<(), String> {
        if !self.kind.is_known() {
            return Err(format!(
                "type {:?} is unknown; use one of {}",
                self.kind.as_str(),
                NodeKind::KNOWN.join(", ")
            ));
        }
        let caps = self.capabilities();
        if caps.max_nics == 0 || u64::from(caps.max_nics) > *limits::ETHERNET.end() {
            return Err(format!(
                "capabilities.max_nics {} out of range (1..={})",
                caps.max_nics,
                limits::ETHERNET.end()
            ));
        }
        if self.kind != NodeKind::Qemu
            && self
                .capabilities
                .as_ref()
                .is_some_and(|c| c.machine.is_some())
        {
            return Err("capabilities.machine is only valid for qemu templates".into());
        }
        if let Some(m) = &caps.machine
            && !m.is_known()
        {
            return Err(format!(
                "capabilities.machine {m:?} is unknown; use pc or q35"
            ));
        }
        if caps.hotplug && caps.machine == Some(Machine::Pc) {
            return Err(
                "capabilities: hotplug=true requires machine q35; pc has no PCIe hot-plug".into(),
            );
        }
        match (&self.kind, self.profile) {
            (NodeKind::Linux, None) => {
                Err("a linux template needs a profile (busybox-host or frr-router)".into())
            }
            (NodeKind::Linux, Some(_)) | (_, None) => Ok(()),
            (kind, Some(_)) => Err(format!(
                "profile is only valid for linux templates, not {kind}"
            )),
        }
    }

    /// Display name: `name`, else the key.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.key)
    }

    /// Default CPUs (1).
    pub fn cpu(&self) -> u32 {
        self.cpu.unwrap_or(1)
    }

    /// Default memory in MiB (1024).
    pub fn ram(&self) -> u32 {
        self.ram.unwrap_or(1024)
    }

    /// Default interface count (1).
    pub fn ethernet(&self) -> u32 {
        self.ethernet.unwrap_or(1)
    }

    /// Default console (telnet).
    pub fn console(&self) -> ConsoleType {
        self.console_type.clone().unwrap_or(ConsoleType::Telnet)
    }

    /// Icon family (router; server for docker).
    pub fn icon_type(&self) -> IconType {
        self.icon_type.clone().unwrap_or(match self.kind {
            NodeKind::Docker => IconType::Server,
            _ => IconType::Router,
        })
    }

    /// Capabilities with the per-kind defaults: qemu {hotplug, 8 NICs, q35},
    /// docker {hotplug, 99}, linux {hotplug, 64}, iol/dynamips {no hotplug, 8}.
    pub fn capabilities(&self) -> ResolvedCapabilities {
        let (hotplug, max_nics, machine) = match self.kind {
            NodeKind::Qemu => (true, 8, Some(Machine::Q35)),
            NodeKind::Docker => (true, 99, None),
            NodeKind::Linux => (true, 64, None),
            _ => (false, 8, None),
        };
        let c = self.capabilities.clone().unwrap_or_default();
        ResolvedCapabilities {
            hotplug: c.hotplug.unwrap_or(hotplug),
            max_nics: c.max_nics.unwrap_or(max_nics),
            machine: c.machine.or(machine),
        }
    }

    /// Names for `count` interfaces: the naming format (or the kind's fallback),
    /// with `explicit` names laid over the first ones.
    pub fn interface_names(&self, count: u32) -> Vec<String> {
        let naming = self.interface_naming.as_ref();
        let entries = naming
            .and_then(|n| n.format.as_ref())
            .map(NamingFormat::entries)
            .unwrap_or_default();
        let mut names = if entries.is_empty() {
            default_interface_names(&self.kind, count)
        } else {
            (0..count)
                .map(|i| render_interface_name(&entries, i))
                .collect()
        };
        if let Some(explicit) = naming.and_then(|n| n.explicit.as_ref()) {
            for (slot, name) in names.iter_mut().zip(explicit) {
                slot.clone_from(name);
            }
        }
        names
    }

    /// True if an image directory name matches this template (REFERENCE §4.4):
    /// the lower-cased names contain one another, or an alias is contained.
    pub fn matches_image(&self, image: &str) -> bool {
        let image = image.trim().to_lowercase();
        if image.is_empty() {
            return false;
        }
        let name = self.display_name().trim().to_lowercase();
        std::iter::once(name)
            .chain(self.image_aliases.iter().map(|a| a.trim().to_lowercase()))
            .filter(|c| !c.is_empty())
            .any(|c| image.contains(&c) || c.contains(&image))
    }

    /// A new node from this template, with its interfaces named.
    pub fn new_node(&self, id: NodeId, name: impl Into<String>) -> Node {
        let mut node = Node::new(id, name, self.kind.clone());
        node.template = self.key.clone();
        node.cpu = self.cpu();
        node.ram = self.ram();
        node.ethernet = self.ethernet();
        node.console = self.console();
        node.icon = self.icon_type().icon_file().to_owned();
        node.extras = self.extras.clone();
        if let Some(profile) = self.profile {
            // The lab names the program itself, so it still runs if the template goes away.
            node.extras
                .insert("profile".into(), Value::from(profile.as_str()));
        }
        if let Some(m) = self.capabilities.as_ref().and_then(|c| c.machine.clone()) {
            node.machine_override = Some(m.to_string());
        }
        node.interfaces = interfaces_for(&node, Some(self));
        node
    }
}

/// Interface entries for a node: names from the node's own
/// `interface_naming_scheme`, else the template, else the kind's fallback.
/// Docker interfaces are always `eth{n}` (the container sees those names).
pub fn interfaces_for(node: &Node, template: Option<&Template>) -> Vec<NodeInterface> {
    let names = match (&node.kind, &node.interface_naming_scheme, template) {
        (NodeKind::Docker, _, _) => default_interface_names(&NodeKind::Docker, node.ethernet),
        (_, Some(scheme), _) if !scheme.trim().is_empty() => interface_names(scheme, node.ethernet),
        (_, _, Some(t)) => t.interface_names(node.ethernet),
        _ => default_interface_names(&node.kind, node.ethernet),
    };
    names
        .into_iter()
        .zip(0..)
        .map(|(name, i)| NodeInterface::new(i, name))
        .collect()
}

/// All templates, keyed by `(type, key)`: the built-ins, overridden by
/// operator files.
#[derive(Debug, Clone, Default)]
pub struct TemplateSet {
    templates: BTreeMap<(String, String), Template>,
}

impl TemplateSet {
    /// The shipped templates. They are tested to parse, so an error here is a build defect.
    pub fn builtin() -> Result<TemplateSet, TemplateError> {
        let mut set = TemplateSet::default();
        for (dir, key, text) in BUILTIN_TEMPLATES {
            set.insert(Template::from_yaml(dir, key, text)?);
        }
        Ok(set)
    }

    /// Adds a template, replacing one with the same type and key; returns the replaced one.
    pub fn insert(&mut self, t: Template) -> Option<Template> {
        self.templates
            .insert((t.kind.to_string(), t.key.clone()), t)
    }

    /// Loads `*.yml`, `*.yaml` and `*.json` under `dir` (recursively) over the
    /// current set. Bad files are skipped and returned as errors; good ones are kept.
    pub fn load_dir(&mut self, dir: &Path) -> Vec<TemplateError> {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        collect_files(dir, &mut files, &mut errors);
        files.sort();
        for path in files {
            match load_file(&path) {
                Ok(t) => {
                    self.insert(t);
                }
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// The template of this type and key.
    pub fn get(&self, kind: &NodeKind, key: &str) -> Option<&Template> {
        self.templates.get(&(kind.to_string(), key.to_owned()))
    }

    /// The template with this key, of whatever type (first by type name).
    pub fn find(&self, key: &str) -> Option<&Template> {
        self.templates.values().find(|t| t.key == key)
    }

    /// Every template, ordered by type then key.
    pub fn iter(&self) -> impl Iterator<Item = &Template> {
        self.templates.values()
    }

    /// The templates of one type, ordered by key.
    pub fn of_kind<'a>(&'a self, kind: &'a NodeKind) -> impl Iterator<Item = &'a Template> + 'a {
        self.templates.values().filter(move |t| &t.kind == kind)
    }

    /// How many templates there are.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<TemplateError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            errors.push(TemplateError::Io {
                path: dir.to_owned(),
                source,
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            collect_files(&path, files, errors);
        } else if ft.is_file()
            && path
                .extension()
                .is_some_and(|e| e == "yml" || e == "yaml" || e == "json")
        {
            files.push(path);
        }
    }
}

fn load_file(path: &Path) -> Result<Template, TemplateError> {
    let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Io {
        path: path.to_owned(),
        source,
    })?;
    let key = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let dir_kind = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    Template::from_yaml(dir_kind, key, &text).map_err(|e| match e {
        TemplateError::Parse { message, .. } => TemplateError::Parse {
            source_name: path.display().to_string(),
            message,
        },
        TemplateError::Invalid { message, .. } => TemplateError::Invalid {
            source_name: path.display().to_string(),
            message,
        },
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn placeholders_render_relative_to_the_trailing_entry() {
        let pa = s(&["mgmt", "ethernet1/{port}"]);
        let names: Vec<String> = (0..4).map(|i| render_interface_name(&pa, i)).collect();
        assert_eq!(names, ["mgmt", "ethernet1/1", "ethernet1/2", "ethernet1/3"]);
        let vmx = s(&["em0 / fxp0", "em1 / Internal use", "ge-0/0/{n}"]);
        let names: Vec<String> = (0..5).map(|i| render_interface_name(&vmx, i)).collect();
        assert_eq!(
            names,
            [
                "em0 / fxp0",
                "em1 / Internal use",
                "ge-0/0/0",
                "ge-0/0/1",
                "ge-0/0/2"
            ]
        );
        assert_eq!(interface_names("slot{slot}", 2), ["slot0", "slot1"]);
        assert_eq!(
            interface_names("mgmt0, eth{n}", 3),
            ["mgmt0", "eth0", "eth1"]
        );
        assert_eq!(interface_names("Gi{port}", 2), ["Gi1", "Gi2"]);
        assert!(interface_names("", 2).iter().all(String::is_empty));
    }

    #[test]
    fn explicit_names_overlay_the_pattern() {
        let t = Template::from_yaml(
            "qemu",
            "x",
            "name: X\nethernet: 3\ninterface_naming:\n  format: eth{n}\n  explicit: [mgmt0]\n",
        )
        .unwrap();
        assert_eq!(t.interface_names(3), ["mgmt0", "eth1", "eth2"]);
    }

    #[test]
    fn top_level_extras_are_folded_and_defaults_apply() {
        let t = Template::from_yaml(
            "qemu",
            "k",
            "qemu_nic: e1000\nqemu_options: -cpu host\nfoo: 1\n",
        )
        .unwrap();
        assert_eq!(t.extras["qemu_nic"], "e1000");
        assert_eq!(t.extras["qemu_options"], "-cpu host");
        assert_eq!(t.extra["foo"], 1, "unknown keys stay in extra");
        assert_eq!(t.display_name(), "k");
        assert_eq!((t.cpu(), t.ram(), t.ethernet()), (1, 1024, 1));
        assert_eq!(
            t.capabilities(),
            ResolvedCapabilities {
                hotplug: true,
                max_nics: 8,
                machine: Some(Machine::Q35)
            }
        );
        assert_eq!(t.interface_names(2), ["Gi1", "Gi2"]);
    }

    #[test]
    fn bad_templates_are_refused_with_reasons() {
        let cases = [
            (
                "qemu",
                "capabilities: {machine: pc, hotplug: true}",
                "requires machine q35",
            ),
            (
                "docker",
                "capabilities: {machine: q35}",
                "only valid for qemu",
            ),
            ("qemu", "capabilities: {max_nics: 0}", "max_nics"),
            ("vbox", "name: x", "unknown"),
            ("linux", "name: x", "needs a profile"),
            ("linux", "profile: bash -c evil", "unknown variant"),
            ("qemu", "profile: frr-router", "only valid for linux"),
            ("qemu", "cpu: [1]", "non-negative integer"),
        ];
        for (dir, yaml, want) in cases {
            let e = Template::from_yaml(dir, "k", yaml).unwrap_err().to_string();
            assert!(e.contains(want), "{yaml}: {e}");
            assert!(
                e.contains(&format!("{dir}/k")),
                "error names the template: {e}"
            );
        }
    }
}
