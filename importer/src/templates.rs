//! EVE-NG templates (YAML, and the older UNetLab PHP files) → nova-ve templates
//! ([`nova_lab_model::Template`]), written as `<templates-dir>/<type>/<key>.json`.
//!
//! Fields are mapped one by one (docs/importing-eveng.md has the table); QEMU and
//! Docker options are never copied verbatim: `qemu_options` is parsed into typed
//! settings ([`crate::qemu_opts`]) and rebuilt from those alone.
//!
//! An operator's edits win: the importer remembers the sha256 of every template it
//! wrote in `<templates-dir>/.nova-ve-import-eveng.state`; a destination whose hash
//! is not the remembered one was edited (or was not written by the importer) and is
//! kept — even with `--force` — and reported as "modified by operator, kept".

use std::collections::BTreeMap;
use std::path::Path;

use nova_lab_model::{
    Capabilities, ConsoleType, IconType, InterfaceNaming, LinuxProfile, Machine, NamingFormat,
    NodeKind, Template,
};
use serde_json::{Map, Value, json};

use crate::convert::apply_qemu_flags;
use crate::discover::TemplateSource;
use crate::fsutil;
use crate::manifest::{Action, Category, Entry};
use crate::qemu_opts;
use crate::run::{self, Options};

/// Largest template file read.
pub const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// Name of the importer's record of what it wrote, in the templates directory. Not
/// `.json`/`.yml`, so the template loader never reads it.
pub const STATE_FILE: &str = ".nova-ve-import-eveng.state";

/// A converted template plus review notes.
#[derive(Debug, Clone)]
pub struct ConvertedTemplate {
    /// the nova-ve template (key and kind set)
    pub template: Template,
    /// lossy conversions
    pub review: Vec<String>,
}

/// Why a template could not be converted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateImportError {
    /// Not parseable.
    #[error("cannot parse: {0}")]
    Parse(String),
    /// A type nova-ve has no equivalent for.
    #[error("type {0:?} is not supported")]
    UnsupportedType(String),
    /// The model refused the result.
    #[error("converted template is invalid: {0}")]
    Invalid(String),
}

/// Parses EVE-NG template YAML into a plain map.
pub fn parse_yaml(text: &str) -> Result<Map<String, Value>, TemplateImportError> {
    let v: Value =
        serde_norway::from_str(text).map_err(|e| TemplateImportError::Parse(e.to_string()))?;
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(TemplateImportError::Parse("not a mapping".into())),
    }
}

/// Parses an old UNetLab PHP template (`$p['key'] = value;` lines) into a plain map.
/// Only literal strings, numbers and arrays of strings are understood; PHP code is
/// never evaluated.
pub fn parse_php(text: &str) -> Result<Map<String, Value>, TemplateImportError> {
    let mut m = Map::new();
    for line in text.lines().map(str::trim) {
        let Some(rest) = line
            .strip_prefix("$p['")
            .or_else(|| line.strip_prefix("$p[\""))
        else {
            continue;
        };
        let Some((key, rest)) = rest.split_once(['\'', '"']) else {
            continue;
        };
        let Some(value) = rest.trim_start_matches(']').trim().strip_prefix('=') else {
            continue;
        };
        let value = value.trim().trim_end_matches(';').trim();
        if let Some(v) = php_value(value) {
            m.insert(key.to_owned(), v);
        }
    }
    if m.is_empty() {
        return Err(TemplateImportError::Parse(
            "no `$p['…'] = …;` assignments found".into(),
        ));
    }
    Ok(m)
}

fn php_value(v: &str) -> Option<Value> {
    if let Some(inner) = v
        .strip_prefix("array(")
        .and_then(|s| s.strip_suffix(')'))
        .or_else(|| v.strip_prefix('[').and_then(|s| s.strip_suffix(']')))
    {
        let items: Option<Vec<Value>> = inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(php_value)
            .collect();
        return items.map(Value::Array);
    }
    if let Some(s) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(json!(s.replace("\\'", "'")));
    }
    if let Some(s) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        return Some(json!(s));
    }
    v.parse::<i64>().ok().map(Value::from)
}

fn str_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn num_of(m: &Map<String, Value>, k: &str) -> Option<u32> {
    match m.get(k)? {
        Value::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Converts an EVE-NG template (as a map) with key `key`.
pub fn convert(
    key: &str,
    m: &Map<String, Value>,
) -> Result<ConvertedTemplate, TemplateImportError> {
    let eve_type = str_of(m, "type").unwrap_or("qemu");
    let kind = match eve_type {
        "qemu" => NodeKind::Qemu,
        "docker" => NodeKind::Docker,
        "iol" => NodeKind::Iol,
        "dynamips" => NodeKind::Dynamips,
        "vpcs" => NodeKind::Linux,
        other => return Err(TemplateImportError::UnsupportedType(other.to_owned())),
    };
    let mut t: Template = serde_json::from_value(json!({}))
        .map_err(|e| TemplateImportError::Invalid(e.to_string()))?;
    let mut review = Vec::new();
    t.key = key.to_owned();
    t.kind = kind.clone();
    t.declared_kind = Some(kind.clone());
    // EVE-NG's `description` is the label in the node list, which is nova-ve's display
    // `name`. EVE-NG's `name` is only a node-name prefix (`R`, `SW`): as a nova-ve name
    // it would match nearly every image by substring, so it is kept aside.
    t.name = str_of(m, "description")
        .or_else(|| str_of(m, "name"))
        .map(str::to_owned);
    t.description = str_of(m, "description").map(str::to_owned);
    if let Some(prefix) = str_of(m, "name") {
        t.extras.insert("node_name_prefix".into(), json!(prefix));
    }
    t.cpu = num_of(m, "cpu").filter(|&c| c > 0);
    t.ram = num_of(m, "ram").filter(|&r| r >= 16);
    t.cpulimit = num_of(m, "cpulimit");
    t.image_aliases = vec![key.to_lowercase()];
    if let Some(icon) = str_of(m, "icon") {
        t.icon_type = Some(icon_type(icon));
        t.extra.insert("icon".into(), json!(icon));
    }
    t.console_type = console(&kind, str_of(m, "console"), &mut review);
    match kind {
        NodeKind::Iol => {
            let eth = num_of(m, "ethernet").unwrap_or(2);
            let ser = num_of(m, "serial").unwrap_or(0);
            t.ethernet = Some(((eth + ser) * 4).min(128));
            t.extras.insert("serial".into(), json!(ser));
            t.extras.insert("ethernet_groups".into(), json!(eth));
            if let Some(v) = num_of(m, "nvram") {
                t.extras.insert("nvram".into(), json!(v));
            }
        }
        NodeKind::Linux => {
            t.profile = Some(LinuxProfile::BusyboxHost);
            t.ethernet = Some(num_of(m, "ethernet").unwrap_or(1));
            review.push("VPCS template became a `linux` busybox host template".into());
        }
        _ => t.ethernet = num_of(m, "ethernet").map(|e| e.min(128)),
    }
    naming(m, &mut t, &mut review);
    match kind {
        NodeKind::Qemu => qemu_fields(m, &mut t, &mut review),
        NodeKind::Dynamips => dynamips_fields(m, &mut t, &mut review),
        NodeKind::Docker => {
            if let Some(o) = str_of(m, "docker_options") {
                review.push(format!("docker_options {o:?} not carried over (nova-ve never runs containers privileged or with free-form options)"));
            }
        }
        _ => {}
    }
    for k in ["shutdown", "config_script", "delay", "pci_mode"] {
        if let Some(v) = m.get(k) {
            t.extras.insert(format!("eveng_{k}"), v.clone());
        }
    }
    if m.contains_key("pci_mode") {
        review.push("pci_mode (e.g. multifunction NICs) has no nova-ve equivalent yet".into());
    }
    validate(&kind, key, t, review)
}

/// Round-trips through the model's own loader so the written file is one labd accepts.
fn validate(
    kind: &NodeKind,
    key: &str,
    t: Template,
    review: Vec<String>,
) -> Result<ConvertedTemplate, TemplateImportError> {
    let text =
        serde_json::to_string(&t).map_err(|e| TemplateImportError::Invalid(e.to_string()))?;
    let checked = Template::from_yaml(kind.as_str(), key, &text)
        .map_err(|e| TemplateImportError::Invalid(e.to_string()))?;
    Ok(ConvertedTemplate {
        template: checked,
        review,
    })
}

fn icon_type(icon: &str) -> IconType {
    let l = icon.to_lowercase();
    if l.contains("switch") {
        IconType::Switch
    } else if l.contains("firewall") || l.contains("asa") {
        IconType::Firewall
    } else if ["server", "desktop", "pc", "linux", "windows", "host"]
        .iter()
        .any(|w| l.contains(w))
    {
        IconType::Server
    } else {
        IconType::Router
    }
}

fn console(kind: &NodeKind, c: Option<&str>, review: &mut Vec<String>) -> Option<ConsoleType> {
    let wanted = ConsoleType::from(c?);
    if ConsoleType::allowed_for(kind).contains(&wanted.as_str()) {
        return Some(wanted);
    }
    let fallback = if *kind == NodeKind::Qemu && wanted == ConsoleType::Rdp {
        ConsoleType::Vnc
    } else {
        ConsoleType::Telnet
    };
    review.push(format!(
        "console {} not available for {kind}; {} used",
        wanted.as_str(),
        fallback.as_str()
    ));
    Some(fallback)
}

fn qemu_fields(m: &Map<String, Value>, t: &mut Template, review: &mut Vec<String>) {
    if let Some(arch) = str_of(m, "qemu_arch") {
        if qemu_opts::ARCHES.contains(&arch) {
            t.extras.insert("architecture".into(), json!(arch));
        } else {
            review.push(format!("qemu_arch {arch:?} not supported"));
        }
    }
    if let Some(v) = str_of(m, "qemu_version") {
        t.extras.insert("qemu_version".into(), json!(v));
    }
    if let Some(nic) = str_of(m, "qemu_nic") {
        match qemu_opts::nic_model(nic) {
            Some(model) => {
                t.extras.insert("qemu_nic".into(), json!(model));
            }
            None => review.push(format!(
                "qemu_nic {nic:?} not supported; nova-ve's default used"
            )),
        }
    }
    if let Some(uuid) = str_of(m, "uuid") {
        t.extras.insert("uuid".into(), json!(uuid));
    }
    let flags = qemu_opts::parse(str_of(m, "qemu_options").unwrap_or_default());
    let machine = match flags.machine.as_deref() {
        Some("q35") => Machine::Q35,
        _ => Machine::Pc,
    };
    let max_nics = t.ethernet.unwrap_or(1).clamp(8, 128);
    t.capabilities = Some(Capabilities {
        // PCIe hot-plug needs q35; EVE-NG's `pc` guests keep a fixed NIC set.
        hotplug: Some(machine == Machine::Q35),
        max_nics: Some(max_nics),
        machine: Some(machine),
        extra: Map::new(),
    });
    apply_qemu_flags(&mut t.extras, &flags);
    let canonical = canonical_qemu_options(&flags);
    if !canonical.is_empty() {
        t.extras.insert("qemu_options".into(), json!(canonical));
    }
    if !flags.dropped.is_empty() {
        review.push(format!(
            "qemu_options not carried over: {}",
            flags.dropped.join(" ")
        ));
    }
}

/// `qemu_options` rebuilt from the typed, allow-listed settings only.
pub fn canonical_qemu_options(f: &qemu_opts::QemuFlags) -> String {
    let mut out: Vec<String> = Vec::new();
    if let Some(m) = &f.machine {
        out.push(format!("-machine type={m}"));
    }
    if let Some(c) = &f.cpu_model {
        let mut v = c.clone();
        for feat in &f.cpu_features {
            v.push(',');
            v.push_str(feat);
        }
        out.push(format!("-cpu {v}"));
    }
    if let Some(v) = &f.vga {
        out.push(format!("-vga {v}"));
    }
    if let Some(utc) = f.rtc_utc {
        out.push(format!(
            "-rtc base={}",
            if utc { "utc" } else { "localtime" }
        ));
    }
    if f.usb_tablet {
        out.push("-usbdevice tablet".into());
    }
    if let Some(b) = &f.boot_order {
        out.push(format!("-boot order={b}"));
    }
    out.join(" ")
}

fn dynamips_fields(m: &Map<String, Value>, t: &mut Template, review: &mut Vec<String>) {
    if let Some(v) = num_of(m, "nvram") {
        t.extras.insert("nvram".into(), json!(v));
    }
    // YAML reads an unquoted `0x62f21000` as a number: keep EVE-NG's hex text.
    match m.get("idlepc") {
        Some(Value::Number(n)) => {
            t.extras.insert(
                "idlepc".into(),
                json!(format!("0x{:x}", n.as_u64().unwrap_or(0))),
            );
        }
        Some(Value::String(s)) if !s.trim().is_empty() => {
            t.extras.insert("idlepc".into(), json!(s.trim()));
        }
        _ => {}
    }
    for slot in 0..=6 {
        let k = format!("slot{slot}");
        let v = match m.get(&k) {
            Some(Value::Object(o)) => o.get("value").cloned(),
            Some(v @ Value::String(_)) => Some(v.clone()),
            _ => None,
        };
        if let Some(v) = v.filter(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
            t.extras.insert(k, v);
        }
    }
    let opts = str_of(m, "dynamips_options").unwrap_or_default();
    let tokens: Vec<&str> = opts.split_whitespace().collect();
    let mut dropped = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let (flag, arg) = (tokens[i], tokens.get(i + 1).copied());
        match (flag, arg) {
            ("-P", Some(p)) if p.chars().all(|c| c.is_ascii_alphanumeric()) => {
                t.extras.insert(
                    "platform".into(),
                    json!(format!("c{}", p.trim_start_matches('c'))),
                );
                i += 2;
            }
            ("-t", Some(npe)) if npe.starts_with("npe-") => {
                t.extras.insert("npe".into(), json!(npe));
                i += 2;
            }
            ("--disk0", Some(d)) if d.parse::<u32>().is_ok() => {
                t.extras
                    .insert("disk0".into(), json!(d.parse::<u32>().unwrap_or(0)));
                i += 2;
            }
            ("-o" | "-c" | "--disk1" | "-i" | "-r", Some(a)) => {
                dropped.push(format!("{flag} {a}"));
                i += 2;
            }
            _ => {
                dropped.push(flag.to_owned());
                i += 1;
            }
        }
    }
    if !dropped.is_empty() {
        review.push(format!(
            "dynamips_options not carried over: {}",
            dropped.join(" ")
        ));
    }
}

/// EVE-NG `eth_name` (first names) + `eth_format` (generator for the rest) →
/// `interface_naming`. `{0}` counts from 0 (`{n}`), `{1}` from 1 (`{port}`); other
/// starts and two-level `X{1}/{0-8}` formats are rendered into explicit names.
fn naming(m: &Map<String, Value>, t: &mut Template, review: &mut Vec<String>) {
    let names: Vec<String> = match m.get("eth_name") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s
            .split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    let format = str_of(m, "eth_format");
    if names.is_empty() && format.is_none() {
        return;
    }
    let mut naming = InterfaceNaming::default();
    match format.map(EthFormat::parse) {
        Some(Some(EthFormat::Simple {
            prefix,
            start,
            suffix,
        })) if start <= 1 && !names.iter().any(|n| n.contains(',')) => {
            let ph = if start == 0 { "{n}" } else { "{port}" };
            let mut entries = names.clone();
            entries.push(format!("{prefix}{ph}{suffix}"));
            naming.format = Some(NamingFormat::List(entries));
        }
        Some(Some(f)) => {
            let count = t
                .capabilities
                .as_ref()
                .and_then(|c| c.max_nics)
                .unwrap_or(0)
                .max(t.ethernet.unwrap_or(1))
                .max(8);
            let rendered: Vec<String> = (0..count as usize)
                .map(|i| {
                    names
                        .get(i)
                        .cloned()
                        .unwrap_or_else(|| f.render(i - names.len().min(i)))
                })
                .collect();
            naming.explicit = Some(rendered);
        }
        Some(None) => {
            review.push(format!(
                "eth_format {:?} not understood; default interface names used",
                format.unwrap_or_default()
            ));
            if !names.is_empty() {
                naming.explicit = Some(names);
            }
        }
        None => naming.explicit = Some(names),
    }
    t.interface_naming = Some(naming);
}

/// An EVE-NG `eth_format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EthFormat {
    /// `prefix{start}suffix`
    Simple {
        /// text before the counter
        prefix: String,
        /// first counter value
        start: u32,
        /// text after the counter
        suffix: String,
    },
    /// `prefix{slot start}mid{port start-ports per slot}suffix`
    TwoLevel {
        /// text before the slot
        prefix: String,
        /// first slot
        slot_start: u32,
        /// between slot and port
        mid: String,
        /// first port
        port_start: u32,
        /// ports per slot
        per_slot: u32,
        /// text after the port
        suffix: String,
    },
}

impl EthFormat {
    /// Parses `Gi{0}`, `Eth{1}`, `G0/{0}`, `Gi{1}/{0-8}`.
    pub fn parse(f: &str) -> Option<Self> {
        let (prefix, rest) = f.split_once('{')?;
        let (first, rest) = rest.split_once('}')?;
        let start: u32 = first.parse().ok()?;
        match rest.split_once('{') {
            None => Some(Self::Simple {
                prefix: prefix.into(),
                start,
                suffix: rest.into(),
            }),
            Some((mid, rest)) => {
                let (second, suffix) = rest.split_once('}')?;
                let (ps, per) = second.split_once('-')?;
                let per_slot: u32 = per.parse().ok().filter(|&p| p > 0)?;
                Some(Self::TwoLevel {
                    prefix: prefix.into(),
                    slot_start: start,
                    mid: mid.into(),
                    port_start: ps.parse().ok()?,
                    per_slot,
                    suffix: suffix.into(),
                })
            }
        }
    }

    /// The name of the `i`-th formatted interface (0-based).
    pub fn render(&self, i: usize) -> String {
        let i = i as u32;
        match self {
            Self::Simple {
                prefix,
                start,
                suffix,
            } => format!("{prefix}{}{suffix}", start + i),
            Self::TwoLevel {
                prefix,
                slot_start,
                mid,
                port_start,
                per_slot,
                suffix,
            } => {
                format!(
                    "{prefix}{}{mid}{}{suffix}",
                    slot_start + i / per_slot,
                    port_start + i % per_slot
                )
            }
        }
    }
}

/// The importer's record of the templates it wrote: relative path → sha256.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct State {
    written: BTreeMap<String, String>,
}

fn load_state(dir: &Path) -> State {
    std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Converts and writes every discovered template.
pub fn import_all(opts: &Options, sources: &[TemplateSource]) -> Vec<Entry> {
    let mut state = load_state(&opts.templates_dir);
    let listnames = custom_listnames(&opts.source);
    let mut out = Vec::new();
    for src in sources {
        out.push(import_one(opts, src, &listnames, &mut state));
    }
    if !opts.dry_run && !sources.is_empty() {
        let bytes = serde_json::to_vec_pretty(&state).unwrap_or_default();
        let written = fsutil::DestDir::open(&opts.templates_dir, &[], opts.owner)
            .and_then(|d| d.write_atomic(STATE_FILE, &bytes, opts.owner, 0o644));
        if let Err(err) = written {
            let mut e = Entry::new(
                Category::Template,
                Action::Failed,
                &opts.templates_dir.join(STATE_FILE),
            );
            e.reason = Some(format!("recording written templates: {err}"));
            out.push(e);
        }
    }
    out
}

/// `html/includes/custom_templates.yml`: template key → `listname` (the label EVE-NG
/// shows for a custom template). Missing or unreadable → empty.
pub fn custom_listnames(source: &Path) -> BTreeMap<String, String> {
    let path = source.join("html/includes/custom_templates.yml");
    let Ok(bytes) = run::read_capped(&path, MAX_TEMPLATE_BYTES) else {
        return BTreeMap::new();
    };
    let Ok(Value::Object(m)) = serde_norway::from_slice::<Value>(&bytes) else {
        return BTreeMap::new();
    };
    let Some(Value::Array(list)) = m.get("custom_templates") else {
        return BTreeMap::new();
    };
    list.iter()
        .filter_map(|e| {
            Some((
                e.get("name")?.as_str()?.to_owned(),
                e.get("listname")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

fn import_one(
    opts: &Options,
    src: &TemplateSource,
    listnames: &BTreeMap<String, String>,
    state: &mut State,
) -> Entry {
    let mut e = Entry::new(Category::Template, Action::Converted, &src.path);
    e.name = Some(src.key.clone());
    let parsed = run::read_capped(&src.path, MAX_TEMPLATE_BYTES)
        .and_then(|b| String::from_utf8(b).map_err(|_| "not UTF-8".to_owned()))
        .and_then(|text| {
            if src.php {
                parse_php(&text)
            } else {
                parse_yaml(&text)
            }
            .map_err(|e| e.to_string())
        });
    // A custom template's list label stands in for a missing description.
    let parsed = parsed.map(|mut m| {
        if let (None, Some(label)) = (str_of(&m, "description"), listnames.get(&src.key)) {
            m.insert("description".into(), json!(label));
        }
        m
    });
    let converted = match parsed.and_then(|m| convert(&src.key, &m).map_err(|e| e.to_string())) {
        Ok(c) => c,
        Err(reason) => {
            e.action = Action::Skipped;
            e.reason = Some(reason);
            return e;
        }
    };
    e.review = converted.review;
    let kind = converted.template.kind.as_str().to_owned();
    let rel = format!("{kind}/{}.json", src.key);
    let dest = opts
        .templates_dir
        .join(&kind)
        .join(format!("{}.json", src.key));
    e.dest = Some(dest.display().to_string());
    let text = serde_json::to_string_pretty(&converted.template).unwrap_or_default() + "\n";
    let sha = fsutil::sha256_hex(text.as_bytes());
    e.sha256.push(sha.clone());
    if let Ok(existing) = std::fs::read(&dest) {
        let existing_sha = fsutil::sha256_hex(&existing);
        if existing_sha == sha {
            e.action = if opts.dry_run {
                Action::Planned
            } else {
                Action::Unchanged
            };
            state.written.insert(rel, sha);
            return e;
        }
        if state.written.get(&rel) != Some(&existing_sha) {
            e.action = Action::KeptOperatorEdit;
            e.reason = Some("modified by operator, kept".into());
            return e;
        }
        e.notes
            .push("updated: the previous import's file was unchanged by the operator".into());
    }
    if opts.dry_run {
        e.action = Action::Planned;
        return e;
    }
    // The previous importer-written file may be replaced: force for write_document.
    let force_opts = Options {
        force: true,
        ..opts.clone()
    };
    let e = run::write_document(
        &force_opts,
        &opts.templates_dir,
        &[kind],
        &dest,
        text.as_bytes(),
        e,
    );
    if e.action == Action::Converted {
        state.written.insert(rel, sha);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eth_formats() {
        assert_eq!(EthFormat::parse("Gi0/{0}").unwrap().render(2), "Gi0/2");
        assert_eq!(EthFormat::parse("Eth{1}").unwrap().render(0), "Eth1");
        let two = EthFormat::parse("Gi{1}/{0-8}").unwrap();
        assert_eq!(two.render(0), "Gi1/0");
        assert_eq!(two.render(9), "Gi2/1");
        assert!(EthFormat::parse("eth").is_none());
    }

    #[test]
    fn php_templates() {
        let m = parse_php("<?php\n$p['type'] = 'qemu';\n$p['cpu'] = 2;\n$p['eth_name'] = array('mgmt', 'ge0');\n system('x');\n?>").unwrap();
        assert_eq!(m["type"], json!("qemu"));
        assert_eq!(m["cpu"], json!(2));
        assert_eq!(m["eth_name"], json!(["mgmt", "ge0"]));
        assert!(parse_php("<?php echo 1; ?>").is_err());
    }
}
