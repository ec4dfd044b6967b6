//! Maps keyed by ids (`BTreeMap<u32, _>`) that also read inside internally tagged or flattened
//! enums. JSON object keys are strings; serde_json turns them into integers for a plain
//! `BTreeMap<u32, _>`, but inside `#[serde(tag = …)]` or `#[serde(flatten)]` serde first
//! buffers the value and then refuses `"1"` as a `u32` (serde-rs/serde#1183). Found by the
//! gateway bench: every `layout_updated` event was dropped by the gateway for this reason.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::str::FromStr;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

/// `#[serde(deserialize_with = "crate::int_keys::deserialize")]`.
pub fn deserialize<'de, D, K, V>(d: D) -> Result<BTreeMap<K, V>, D::Error>
where
    D: Deserializer<'de>,
    K: FromStr + Ord,
    K::Err: Display,
    V: Deserialize<'de>,
{
    BTreeMap::<String, V>::deserialize(d)?
        .into_iter()
        .map(|(k, v)| {
            k.parse::<K>()
                .map(|k| (k, v))
                .map_err(|e| D::Error::custom(format!("map key {k:?}: {e}")))
        })
        .collect()
}
