//! JSON specs and patches accepted over the API: typed, unknown fields refused, sizes bounded.
//! Only these fields can be set by a client; runtime and derived fields cannot.

use std::collections::BTreeMap;

use nova_lab_model::{ConsoleType, Endpoint, LinkMetrics, NetworkType, NodeKind};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{EngineError, Result};

/// Largest JSON document accepted from a client (a whole lab on import).
pub const MAX_JSON_BYTES: usize = 4 * 1024 * 1024;
/// Largest spec or patch.
pub const MAX_SPEC_BYTES: usize = 256 * 1024;

/// Parses a bounded JSON spec into `T`.
pub fn parse<T: DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(EngineError::invalid(format!(
            "{what}: more than {MAX_SPEC_BYTES} bytes"
        )));
    }
    serde_json::from_str(text).map_err(|e| EngineError::invalid(format!("{what}: {e}")))
}

/// A new node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Display name.
    pub name: String,
    /// Template key (resolved from trusted templates only).
    pub template: String,
    /// Kind; defaults to the template's.
    #[serde(rename = "type")]
    pub kind: Option<NodeKind>,
    /// Image.
    pub image: Option<String>,
    /// vCPUs.
    pub cpu: Option<u32>,
    /// MiB.
    pub ram: Option<u32>,
    /// Interface count.
    pub ethernet: Option<u32>,
    /// CPU limit on/off.
    pub cpulimit: Option<bool>,
    /// Console type.
    pub console: Option<ConsoleType>,
    /// Icon.
    pub icon: Option<String>,
    /// Canvas x.
    pub left: Option<i64>,
    /// Canvas y.
    pub top: Option<i64>,
    /// Per-kind knobs (typed for `linux`, see docs/labd.md).
    pub extras: Option<Map<String, Value>>,
}

/// Changes to a node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePatch {
    /// Display name.
    pub name: Option<String>,
    /// Template key.
    pub template: Option<String>,
    /// Image.
    pub image: Option<String>,
    /// vCPUs.
    pub cpu: Option<u32>,
    /// MiB.
    pub ram: Option<u32>,
    /// Interface count.
    pub ethernet: Option<u32>,
    /// CPU limit on/off.
    pub cpulimit: Option<bool>,
    /// Console type.
    pub console: Option<ConsoleType>,
    /// Icon.
    pub icon: Option<String>,
    /// Canvas x.
    pub left: Option<i64>,
    /// Canvas y.
    pub top: Option<i64>,
    /// Replaces the extras.
    pub extras: Option<Map<String, Value>>,
}

impl NodePatch {
    /// True if the patch changes what runs (only allowed while the node is stopped).
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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Display name (unique in the lab).
    pub name: String,
    /// Type (linux_bridge by default).
    #[serde(rename = "type")]
    pub kind: Option<NetworkType>,
    /// Canvas x.
    pub left: Option<i64>,
    /// Canvas y.
    pub top: Option<i64>,
    /// Icon.
    pub icon: Option<String>,
    /// Shown on the canvas.
    pub visibility: Option<bool>,
}

/// Changes to a network.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkPatch {
    /// Display name.
    pub name: Option<String>,
    /// Canvas x.
    pub left: Option<i64>,
    /// Canvas y.
    pub top: Option<i64>,
    /// Icon.
    pub icon: Option<String>,
    /// Shown on the canvas.
    pub visibility: Option<bool>,
}

/// A new link.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// One end (must be a node interface).
    pub from: Endpoint,
    /// Other end: node interface or network.
    pub to: Endpoint,
    /// Impairments.
    pub metrics: Option<LinkMetrics>,
}

/// A position.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// x.
    pub left: i64,
    /// y.
    pub top: i64,
}

/// The canvas view.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewportSpec {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
    /// Zoom.
    pub zoom: f64,
}

/// Layout changes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayoutSpec {
    /// Viewport.
    pub viewport: Option<ViewportSpec>,
    /// Node positions by id.
    #[serde(default)]
    pub nodes: BTreeMap<u32, Position>,
    /// Network positions by id.
    #[serde(default)]
    pub networks: BTreeMap<u32, Position>,
}

/// Link metrics from the method arguments, checked.
pub fn metrics(
    delay_ms: u32,
    jitter_ms: u32,
    loss_pct: f64,
    bandwidth_kbps: u32,
) -> Result<LinkMetrics> {
    if !(0.0..=100.0).contains(&loss_pct) || loss_pct.is_nan() {
        return Err(EngineError::invalid(format!(
            "loss_pct {loss_pct} not in 0..=100"
        )));
    }
    if delay_ms > 60_000 || jitter_ms > 60_000 {
        return Err(EngineError::invalid(
            "delay_ms and jitter_ms must be at most 60000",
        ));
    }
    if jitter_ms > delay_ms {
        return Err(EngineError::invalid("jitter_ms must not exceed delay_ms"));
    }
    Ok(LinkMetrics {
        delay_ms,
        loss_pct,
        bandwidth_kbps: u64::from(bandwidth_kbps),
        jitter_ms,
        extra: Default::default(),
    })
}
