//! What a client may ask labd to create or change. Unknown fields are refused, sizes bounded,
//! ranges checked against [`crate::limits`]. Runtime and derived fields cannot be set: they are
//! not here.

use std::collections::BTreeMap;

use nova_lab_model::{ConsoleType, Endpoint, LinkMetrics, NetworkType, NodeKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::limits;

/// A request that could not be accepted; nothing was changed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// The JSON is malformed, has unknown fields, or a value is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// Parses a bounded JSON spec (at most [`limits::MAX_SPEC_BYTES`]) into `T`; `what` names it in
/// the error ("node spec: unknown field `foo` …").
pub fn parse_spec<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, SpecError> {
    if text.len() > limits::MAX_SPEC_BYTES {
        return Err(SpecError::Invalid(format!(
            "{what}: more than {} bytes",
            limits::MAX_SPEC_BYTES
        )));
    }
    serde_json::from_str(text).map_err(|e| SpecError::Invalid(format!("{what}: {e}")))
}

/// Parses a lab JSON document a client sent for import (at most
/// [`limits::MAX_LAB_JSON_BYTES`]; schema 2, or schema 1 which is upgraded).
pub fn parse_lab(text: &str) -> Result<nova_lab_model::Lab, SpecError> {
    if text.len() > limits::MAX_LAB_JSON_BYTES {
        return Err(SpecError::Invalid(format!(
            "lab JSON larger than {} bytes",
            limits::MAX_LAB_JSON_BYTES
        )));
    }
    nova_lab_model::Lab::from_json_upgrading(text)
        .map(|(lab, _report)| lab)
        .map_err(|e| SpecError::Invalid(format!("lab JSON: {e}")))
}

/// Extras keys a client may never set, in any spelling (case, `-` or `_`): free-form runtime
/// arguments (QEMU options, Docker arguments and commands) and privileges or host access. A
/// node gets those only from its template, which an administrator installed (REFERENCE §10.1:
/// through node extras they were code execution and root on the host).
pub const FORBIDDEN_EXTRAS: &[&str] = &[
    "qemu_options",
    "qemu_args",
    "extra_args",
    "docker_options",
    "command",
    "entrypoint",
    "privileged",
    "cap_add",
    "devices",
    "volumes",
    "mounts",
    "binds",
    "network_mode",
    "pid_mode",
    "ipc_mode",
    "userns_mode",
    "security_opt",
    "sysctls",
];

/// Checks the extras a client sends with a node spec or patch: no key of
/// [`FORBIDDEN_EXTRAS`], no control characters and no host paths (absolute, or with a `..`
/// component) in any value. `frr_conf` is configuration text: it may have lines and tabs, and
/// is not a path. What a kind's extras mean is checked by labd (typed for `linux` nodes).
pub fn check_client_extras(extras: &Map<String, Value>) -> Result<(), SpecError> {
    let bad = |k: &str, why: &str| Err(SpecError::Invalid(format!("extras.{k}: {why}")));
    for (key, value) in extras {
        let norm = key.to_ascii_lowercase().replace('-', "_");
        if FORBIDDEN_EXTRAS.contains(&norm.as_str()) {
            return bad(
                key,
                "cannot be set by a client; free-form runtime options, privileges and host \
                 access come only from the node's template",
            );
        }
        let text = key == "frr_conf";
        let mut problem = None;
        visit_strings(value, &mut |s| {
            if problem.is_none() {
                problem = string_problem(s, text);
            }
        });
        if key.chars().any(char::is_control) {
            problem = Some("control characters are not allowed");
        }
        if let Some(why) = problem {
            return bad(key, why);
        }
    }
    Ok(())
}

fn string_problem(s: &str, text: bool) -> Option<&'static str> {
    if s.chars()
        .any(|c| c.is_control() && !(text && matches!(c, '\n' | '\t' | '\r')))
    {
        return Some("control characters are not allowed");
    }
    let path = s.starts_with('/') || s.split(['/', '\\']).any(|c| c == "..");
    (!text && path).then_some("host paths (absolute, or with a `..` component) are not allowed")
}

fn visit_strings(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|v| visit_strings(v, f)),
        Value::Object(o) => o.iter().for_each(|(k, v)| {
            f(k);
            visit_strings(v, f);
        }),
        _ => {}
    }
}

fn client_extras<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
    let extras = Option::<Map<String, Value>>::deserialize(d)?;
    if let Some(e) = &extras {
        check_client_extras(e).map_err(serde::de::Error::custom)?;
    }
    Ok(extras)
}

/// A new node. Its kind and defaults come from the template (trusted, installed by an
/// administrator), never from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NodeSpec {
    /// Display name.
    pub name: String,
    /// Template key.
    pub template: String,
    /// Kind; defaults to the template's.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NodeKind>,
    /// Image (relative to the kind's images directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Virtual CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Memory in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram: Option<u32>,
    /// Number of interfaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethernet: Option<u32>,
    /// CPU limit on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpulimit: Option<bool>,
    /// Console type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<ConsoleType>,
    /// Icon file name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Canvas x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// Canvas y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<i64>,
    /// Per-kind knobs (typed for `linux` nodes; see docs/labd.md).
    #[serde(
        default,
        deserialize_with = "client_extras",
        skip_serializing_if = "Option::is_none"
    )]
    pub extras: Option<Map<String, Value>>,
}

impl NodeSpec {
    /// A spec with only the required fields.
    pub fn new(name: impl Into<String>, template: impl Into<String>) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            template: template.into(),
            kind: None,
            image: None,
            cpu: None,
            ram: None,
            ethernet: None,
            cpulimit: None,
            console: None,
            icon: None,
            left: None,
            top: None,
            extras: None,
        }
    }
}

/// Changes to a node: any subset of the spec's fields except the kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NodePatch {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Template key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Virtual CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<u32>,
    /// Memory in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram: Option<u32>,
    /// Number of interfaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ethernet: Option<u32>,
    /// CPU limit on/off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpulimit: Option<bool>,
    /// Console type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console: Option<ConsoleType>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Canvas x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// Canvas y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<i64>,
    /// Replaces the extras.
    #[serde(
        default,
        deserialize_with = "client_extras",
        skip_serializing_if = "Option::is_none"
    )]
    pub extras: Option<Map<String, Value>>,
}

impl NodePatch {
    /// True if the patch changes what runs (allowed only while the node is stopped).
    pub fn changes_runtime(&self) -> bool {
        self.template.is_some()
            || self.image.is_some()
            || self.ethernet.is_some()
            || self.extras.is_some()
            || self.cpu.is_some()
            || self.ram.is_some()
            || self.cpulimit.is_some()
    }
}

/// A new network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NetworkSpec {
    /// Display name (unique in the lab).
    pub name: String,
    /// Type (`linux_bridge` by default).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NetworkType>,
    /// Canvas x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// Canvas y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<i64>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Shown on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<bool>,
}

/// Changes to a network.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NetworkPatch {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Canvas x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<i64>,
    /// Canvas y.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top: Option<i64>,
    /// Icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// Shown on the canvas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<bool>,
}

/// Impairments of a link, as a client sets them (0 = none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkMetricsSpec {
    /// One-way delay in ms.
    #[serde(default)]
    pub delay_ms: u32,
    /// Jitter in ms (at most the delay).
    #[serde(default)]
    pub jitter_ms: u32,
    /// Random loss in percent.
    #[serde(default)]
    pub loss_pct: f64,
    /// Rate limit in kbit/s.
    #[serde(default)]
    pub bandwidth_kbps: u32,
}

impl LinkMetricsSpec {
    /// The metrics as stored in the lab, after checking every range against [`crate::limits`].
    pub fn validate(self) -> Result<LinkMetrics, SpecError> {
        let loss = limits::LINK_LOSS_PCT;
        if self.loss_pct.is_nan() || !loss.contains(&self.loss_pct) {
            return Err(SpecError::Invalid(format!(
                "loss_pct {} not in {}..={}",
                self.loss_pct,
                loss.start(),
                loss.end()
            )));
        }
        let delay = limits::LINK_DELAY_MS;
        for (what, v) in [("delay_ms", self.delay_ms), ("jitter_ms", self.jitter_ms)] {
            if !delay.contains(&u64::from(v)) {
                return Err(SpecError::Invalid(format!(
                    "{what} {v} not in {}..={}",
                    delay.start(),
                    delay.end()
                )));
            }
        }
        if self.jitter_ms > self.delay_ms {
            return Err(SpecError::Invalid(
                "jitter_ms must not exceed delay_ms".into(),
            ));
        }
        let bw = limits::LINK_BANDWIDTH_KBPS;
        if !bw.contains(&u64::from(self.bandwidth_kbps)) {
            return Err(SpecError::Invalid(format!(
                "bandwidth_kbps {} not in {}..={}",
                self.bandwidth_kbps,
                bw.start(),
                bw.end()
            )));
        }
        Ok(LinkMetrics {
            delay_ms: self.delay_ms,
            loss_pct: self.loss_pct,
            bandwidth_kbps: u64::from(self.bandwidth_kbps),
            jitter_ms: self.jitter_ms,
            extra: Default::default(),
        })
    }
}

/// A new link: a node interface to another node interface (a cable) or to a network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct LinkSpec {
    /// One end (a node interface).
    pub from: Endpoint,
    /// The other end: a node interface or a network.
    pub to: Endpoint,
    /// Impairments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<LinkMetricsSpec>,
}

/// A position on the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// x.
    pub left: i64,
    /// y.
    pub top: i64,
}

/// The canvas view.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ViewportSpec {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// Zoom.
    pub zoom: f64,
}

/// Layout changes: positions of nodes and networks by id, and the view.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct LayoutSpec {
    /// The view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub viewport: Option<ViewportSpec>,
    /// Node positions by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nodes: BTreeMap<u32, Position>,
    /// Network positions by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<u32, Position>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_oversize_specs_are_refused() {
        let e = parse_spec::<NodeSpec>("node spec", r#"{"name":"a","template":"t","x":1}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown field `x`"), "{e}");
        let big = format!(
            r#"{{"name":"{}","template":"t"}}"#,
            "a".repeat(limits::MAX_SPEC_BYTES)
        );
        let e = parse_spec::<NodeSpec>("node spec", &big).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        assert!(parse_spec::<NodeSpec>("node spec", "{not json").is_err());
    }

    #[test]
    fn extras_carry_no_runtime_options_privileges_or_host_paths() {
        for extras in [
            r#"{"qemu_options": "-netdev tap,script=/tmp/x"}"#,
            r#"{"Extra-Args": "-v /:/host"}"#,
            r#"{"privileged": true}"#,
            r#"{"qemu_nic": "e1000\n-device x"}"#,
            r#"{"config": "/etc/shadow"}"#,
            r#"{"environment": [{"key": "A", "value": "../../etc"}]}"#,
        ] {
            let spec = format!(r#"{{"name":"a","template":"t","extras":{extras}}}"#);
            let e = parse_spec::<NodeSpec>("node spec", &spec).unwrap_err();
            assert!(e.to_string().contains("extras."), "{extras}: {e}");
            let patch = format!(r#"{{"extras":{extras}}}"#);
            assert!(
                parse_spec::<NodePatch>("node patch", &patch).is_err(),
                "{extras}"
            );
        }
        let ok = r#"{"name":"r","template":"frr","extras":{"frr_conf":"router ospf\n ospf router-id 1.1.1.1\n","qemu_nic":"e1000","a":1}}"#;
        let spec = parse_spec::<NodeSpec>("node spec", ok).unwrap();
        assert_eq!(spec.extras.unwrap()["a"], 1);
    }

    #[test]
    fn specs_round_trip_without_absent_fields() {
        let mut s = NodeSpec::new("r1", "frr");
        s.ethernet = Some(3);
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, r#"{"name":"r1","template":"frr","ethernet":3}"#);
        assert_eq!(parse_spec::<NodeSpec>("n", &text).unwrap(), s);
        let l: LayoutSpec = parse_spec("layout", r#"{"nodes":{"3":{"left":1,"top":2}}}"#).unwrap();
        assert_eq!(l.nodes[&3], Position { left: 1, top: 2 });
    }

    #[test]
    fn metrics_ranges_come_from_the_model() {
        let ok = LinkMetricsSpec {
            delay_ms: 10,
            jitter_ms: 5,
            loss_pct: 1.5,
            bandwidth_kbps: 1000,
        };
        assert_eq!(ok.validate().unwrap().bandwidth_kbps, 1000);
        for bad in [
            LinkMetricsSpec {
                loss_pct: 100.1,
                ..ok
            },
            LinkMetricsSpec {
                loss_pct: f64::NAN,
                ..ok
            },
            LinkMetricsSpec {
                jitter_ms: 11,
                ..ok
            },
            LinkMetricsSpec {
                delay_ms: *limits::LINK_DELAY_MS.end() as u32 + 1,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
