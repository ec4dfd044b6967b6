//! Templates as clients see them (`ListTemplates`).

use nova_lab_model::{ConsoleType, IconType, LinuxProfile, NodeKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

/// What a template's nodes can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TemplateCapabilities {
    /// Interfaces can be linked and unlinked while the node runs.
    pub hotplug: bool,
    /// Most interfaces a node may have.
    pub max_nics: u32,
}

/// One template, with its resolved defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TemplateInfo {
    /// Template key (what a node spec names).
    pub key: String,
    /// Node kind.
    #[serde(rename = "type")]
    pub kind: NodeKind,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Icon family.
    pub icon_type: IconType,
    /// Default vCPUs.
    pub cpu: u32,
    /// Default memory in MiB.
    pub ram: u32,
    /// Default interface count.
    pub ethernet: u32,
    /// Default console type.
    pub console_type: ConsoleType,
    /// Program of a `linux` node.
    pub profile: Option<LinuxProfile>,
    /// Capabilities.
    pub capabilities: TemplateCapabilities,
    /// Per-kind extras defaults.
    pub extras: Map<String, Value>,
    /// Whether this version can start nodes of this template on this host.
    pub startable: bool,
}
