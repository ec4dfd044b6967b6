//! Reading and writing lab JSON text.

use serde_json::Value;

use crate::lab::{Lab, Meta, SCHEMA_VERSION, Viewport};
use crate::upgrade::{UpgradeReport, upgrade_v1};

/// Why lab JSON text could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LabParseError {
    /// Not JSON, or not the shape of a lab.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde_json reported.
        message: String,
    },
    /// The document is not a JSON object.
    #[error("a lab must be a JSON object, found {found}")]
    NotAnObject {
        /// What was found instead.
        found: &'static str,
    },
    /// A `schema` value this version cannot read.
    #[error(
        "lab schema {found} is not supported; this version reads schema 2 and upgrades schema 1"
    )]
    UnsupportedSchema {
        /// The `schema` value found.
        found: String,
    },
    /// A v1 (EVE-NG-like) lab given to a reader that does not upgrade.
    #[error(
        "lab uses the legacy schema 1; open it with Lab::from_json_upgrading (the store does this) to upgrade it"
    )]
    LegacySchema,
    /// The v1 → v2 upgrade could not make sense of the lab.
    #[error("cannot upgrade schema 1 lab: {0}")]
    Upgrade(String),
}

impl From<serde_json::Error> for LabParseError {
    fn from(e: serde_json::Error) -> Self {
        LabParseError::Syntax {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}

/// Which schema a lab document declares.
enum Declared {
    V1,
    V2,
}

fn declared_schema(v: &Value) -> Result<Declared, LabParseError> {
    let obj = v.as_object().ok_or(LabParseError::NotAnObject {
        found: json_kind(v),
    })?;
    match obj.get("schema") {
        None => Ok(Declared::V1),
        Some(s) if s.as_u64() == Some(1) => Ok(Declared::V1),
        Some(s) if s.as_u64() == Some(u64::from(SCHEMA_VERSION)) => Ok(Declared::V2),
        Some(other) => Err(LabParseError::UnsupportedSchema {
            found: other.to_string(),
        }),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Lab {
    /// An empty lab with the given identity and display name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Lab {
            schema: SCHEMA_VERSION,
            schema_version: Some(SCHEMA_VERSION),
            id: id.into(),
            meta: Meta {
                name: name.into(),
                ..Meta::default()
            },
            viewport: Viewport::default(),
            nodes: Default::default(),
            networks: Default::default(),
            links: Vec::new(),
            defaults: Default::default(),
            textobjects: Vec::new(),
            lineobjects: Vec::new(),
            pictures: Vec::new(),
            tasks: Vec::new(),
            configsets: Default::default(),
            extra: Default::default(),
        }
    }

    /// Parses a schema-2 lab. A schema-1 lab is refused with
    /// [`LabParseError::LegacySchema`]; use [`Lab::from_json_upgrading`] for those.
    ///
    /// Derived keys (top-level `topology`, `networks[*].count`,
    /// `interfaces[*].network_id`) are dropped: `links` is the truth.
    pub fn from_json(text: &str) -> Result<Lab, LabParseError> {
        let value: Value = serde_json::from_str(text)?;
        match declared_schema(&value)? {
            Declared::V1 => Err(LabParseError::LegacySchema),
            Declared::V2 => {
                // Parse the text again (not the Value) so shape errors carry a line and column.
                let mut lab: Lab = serde_json::from_str(text)?;
                lab.strip_derived();
                Ok(lab)
            }
        }
    }

    /// Parses a lab of schema 2, or of schema 1 after upgrading it in memory.
    /// The report is `Some` when an upgrade happened.
    pub fn from_json_upgrading(text: &str) -> Result<(Lab, Option<UpgradeReport>), LabParseError> {
        let value: Value = serde_json::from_str(text)?;
        match declared_schema(&value)? {
            Declared::V2 => Lab::from_json(text).map(|lab| (lab, None)),
            Declared::V1 => {
                let (upgraded, report) = upgrade_v1(value)?;
                let mut lab: Lab = serde_json::from_value(upgraded)
                    .map_err(|e| LabParseError::Upgrade(e.to_string()))?;
                lab.strip_derived();
                Ok((lab, Some(report)))
            }
        }
    }

    /// The lab as pretty-printed JSON with a trailing newline, without derived keys.
    pub fn to_json(&self) -> String {
        let mut lab = self.clone();
        lab.strip_derived();
        // Serialising these types cannot fail: every map key is a string.
        let mut text = serde_json::to_string_pretty(&lab).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Removes the keys the earlier implementation derived on read (REFERENCE §3.2),
    /// in case they arrived in `extra`.
    pub fn strip_derived(&mut self) {
        self.extra.shift_remove("topology");
        for net in self.networks.values_mut() {
            net.extra.shift_remove("count");
        }
        for node in self.nodes.values_mut() {
            for iface in &mut node.interfaces {
                iface.extra.shift_remove("network_id");
            }
        }
    }
}
