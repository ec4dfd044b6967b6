//! The typed spec of a `linux` node, from its stored node and its trusted template.
//!
//! Extras a client may set on a linux node (anything else is refused):
//! `addresses` `{"eth0": ["10.0.0.1/24"]}`, `default_gateway` `"10.0.0.254"` (hosts),
//! `frr_conf` (routers: the frr.conf text), `frr_daemons` `["ospfd", "bgpd", "staticd"]`.
//! The program (busybox host or FRR router) is the template's `profile`: never client text.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use nova_lab_model::{LinuxProfile, Node, TemplateSet};
use nova_linux_node::{
    FrrConfig, FrrDaemon, Hostname, Ident, IfAddr, Interface, LinuxNodeSpec, Profile,
};
use serde::Deserialize;

use crate::error::{EngineError, Result};
use crate::naming::LabKey;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinuxExtras {
    #[serde(default)]
    addresses: BTreeMap<String, Vec<String>>,
    default_gateway: Option<String>,
    frr_conf: Option<String>,
    #[serde(default)]
    frr_daemons: Vec<String>,
    /// Copied from the template by the model; must agree with the template (checked).
    profile: Option<LinuxProfile>,
}

fn bad(e: impl std::fmt::Display) -> EngineError {
    EngineError::invalid(format!("linux node extras: {e}"))
}

fn extras(node: &Node) -> Result<LinuxExtras> {
    serde_json::from_value(serde_json::Value::Object(node.extras.clone())).map_err(bad)
}

fn profile(node: &Node, templates: &TemplateSet, ex: &LinuxExtras) -> Result<Profile> {
    let tpl = crate::templates::resolve(templates, &node.template, Some(&node.kind))?;
    if ex.profile.is_some() && ex.profile != tpl.profile {
        return Err(bad("profile is the template's and cannot be changed"));
    }
    match tpl.profile {
        Some(LinuxProfile::BusyboxHost) => {
            let gw = ex
                .default_gateway
                .as_deref()
                .map(str::parse::<IpAddr>)
                .transpose()
                .map_err(bad)?;
            Ok(Profile::BusyboxHost {
                default_gateway: gw,
            })
        }
        Some(LinuxProfile::FrrRouter) => {
            let frr_conf = FrrConfig::new(ex.frr_conf.as_deref().unwrap_or("")).map_err(bad)?;
            let daemons = ex
                .frr_daemons
                .iter()
                .map(|d| daemon(d))
                .collect::<Result<BTreeSet<_>>>()?;
            Ok(Profile::FrrRouter { frr_conf, daemons })
        }
        None => Err(EngineError::invalid(format!(
            "template {:?} has no linux profile",
            node.template
        ))),
    }
}

fn daemon(name: &str) -> Result<FrrDaemon> {
    match name {
        "staticd" => Ok(FrrDaemon::Staticd),
        "ospfd" => Ok(FrrDaemon::Ospfd),
        "bgpd" => Ok(FrrDaemon::Bgpd),
        other => Err(bad(format!(
            "unknown FRR daemon {other:?} (staticd, ospfd, bgpd)"
        ))),
    }
}

/// Interfaces `eth<index>` for the indexes given, with their addresses.
fn interfaces(node: &Node, ex: &LinuxExtras, indexes: &BTreeSet<u32>) -> Result<Vec<Interface>> {
    for name in ex.addresses.keys() {
        let idx = name.strip_prefix("eth").and_then(|i| i.parse::<u32>().ok());
        if idx.is_none_or(|i| i >= node.ethernet) {
            return Err(bad(format!(
                "addresses: no interface {name:?} (eth0..eth{})",
                node.ethernet.saturating_sub(1)
            )));
        }
    }
    indexes
        .iter()
        .map(|&i| {
            let addrs = ex
                .addresses
                .get(&format!("eth{i}"))
                .map(Vec::as_slice)
                .unwrap_or_default();
            let addresses = addrs
                .iter()
                .map(|a| a.parse::<IfAddr>().map_err(bad))
                .collect::<Result<_>>()?;
            let index = u16::try_from(i).map_err(bad)?;
            Ok(Interface { index, addresses })
        })
        .collect()
}

/// A hostname from the node name: letters, digits and `-`; else `node<id>`.
fn hostname(node: &Node) -> Hostname {
    let s: String = node
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(63)
        .collect();
    let s = s.trim_matches('-').to_string();
    Hostname::new(&s)
        .or_else(|_| Hostname::new(&format!("node{}", node.id)))
        .expect("node<id> is a valid hostname")
}

/// Checks that a linux node's extras and template make a valid spec (at add/update time).
pub fn linux_spec_check(node: &Node, templates: &TemplateSet) -> Result<()> {
    let ex = extras(node)?;
    profile(node, templates, &ex)?;
    let all: BTreeSet<u32> = (0..node.ethernet).collect();
    interfaces(node, &ex, &all)?;
    Ok(())
}

/// The launch spec: wired interfaces first, then addressed ones (configured if hot-plugged soon).
pub fn linux_spec(
    key: &LabKey,
    node: &Node,
    templates: &TemplateSet,
    work_dir: &Path,
    wired: &[u32],
) -> Result<LinuxNodeSpec> {
    let ex = extras(node)?;
    let mut idx: BTreeSet<u32> = wired.iter().copied().collect();
    for name in ex.addresses.keys() {
        if let Some(i) = name.strip_prefix("eth").and_then(|i| i.parse().ok()) {
            idx.insert(i);
        }
    }
    let spec = LinuxNodeSpec {
        lab: Ident::new(&key.unit).map_err(bad)?,
        node: Ident::new(&node.id.to_string()).map_err(bad)?,
        hostname: hostname(node),
        work_dir: work_dir.to_path_buf(),
        interfaces: interfaces(node, &ex, &idx)?,
        profile: profile(node, templates, &ex)?,
    };
    spec.validate().map_err(bad)?;
    Ok(spec)
}

/// The validated addresses a linux node's extras give interface `eth<index>` (empty if none or
/// invalid: invalid extras never get this far, AddNode/UpdateNode refuse them).
pub fn addresses_of(node: &Node, index: u32) -> Vec<String> {
    let Ok(ex) = extras(node) else {
        return Vec::new();
    };
    ex.addresses
        .get(&format!("eth{index}"))
        .map(|v| {
            v.iter()
                .filter_map(|a| a.parse::<IfAddr>().ok())
                .map(|a| a.to_string())
                .collect()
        })
        .unwrap_or_default()
}
