//! Lenient (de)serialisation helpers.
//!
//! Lab files come from several writers (EVE-NG exports, the earlier Python
//! implementation, hand edits), and they disagree on scalar types: `"cpu": "2"`
//! next to `"cpu": 2`, `"visibility": 1` next to `"visibility": true`. These
//! helpers accept every such spelling on read so a real lab opens, and write one
//! canonical form.

use serde::de::{self, Deserializer, Unexpected};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// Reads an unsigned integer written as a number or a numeric string.
pub(crate) fn u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_u64(&v)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| de::Error::invalid_value(unexpected(&v), &"a non-negative integer"))
}

/// Like [`u32_lenient`] for optional fields; `null` reads as `None`.
pub(crate) fn opt_u32_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    value_to_u64(&v)
        .and_then(|n| u32::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| de::Error::invalid_value(unexpected(&v), &"a non-negative integer"))
}

/// Reads an unsigned 64-bit integer written as a number or a numeric string.
pub(crate) fn u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_u64(&v)
        .ok_or_else(|| de::Error::invalid_value(unexpected(&v), &"a non-negative integer"))
}

/// Reads a canvas coordinate: any number (fractions are rounded) or numeric string.
pub(crate) fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_f64(&v)
        .filter(|f| f.is_finite() && f.abs() < 9.0e15)
        .map(|f| f.round() as i64)
        .ok_or_else(|| de::Error::invalid_value(unexpected(&v), &"a number"))
}

/// Reads a floating point number written as a number or a numeric string.
pub(crate) fn f64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_f64(&v)
        .filter(|f| f.is_finite())
        .ok_or_else(|| de::Error::invalid_value(unexpected(&v), &"a finite number"))
}

/// Reads a string that some writers emit as a number (`"version": 1`).
pub(crate) fn opt_string_lenient<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(de::Error::invalid_value(unexpected(&other), &"a string")),
    }
}

fn value_to_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn value_to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map(Unexpected::Signed)
            .or_else(|| n.as_f64().map(Unexpected::Float))
            .unwrap_or(Unexpected::Other("number")),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// A flag that EVE-NG writes as `0`/`1` and nova-ve writes as `false`/`true`.
///
/// The original spelling is kept so a lab written back is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LooseBool {
    /// Written as a JSON boolean.
    Bool(bool),
    /// Written as a JSON integer (non-zero is true).
    Int(i64),
}

impl LooseBool {
    /// The flag's truth value.
    pub fn get(self) -> bool {
        match self {
            LooseBool::Bool(b) => b,
            LooseBool::Int(i) => i != 0,
        }
    }
}

impl From<bool> for LooseBool {
    fn from(b: bool) -> Self {
        LooseBool::Bool(b)
    }
}

impl Serialize for LooseBool {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LooseBool::Bool(b) => s.serialize_bool(*b),
            LooseBool::Int(i) => s.serialize_i64(*i),
        }
    }
}

/// TypeScript: written by earlier versions as a boolean or as 0/1.
#[cfg(feature = "ts")]
impl ts_rs::TS for LooseBool {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;
    fn name(_: &ts_rs::Config) -> String {
        "LooseBool".to_owned()
    }
    fn inline(_: &ts_rs::Config) -> String {
        "boolean | number".to_owned()
    }
    fn decl(cfg: &ts_rs::Config) -> String {
        format!("type LooseBool = {};", Self::inline(cfg))
    }
    fn decl_concrete(cfg: &ts_rs::Config) -> String {
        Self::decl(cfg)
    }
    fn output_path() -> Option<std::path::PathBuf> {
        Some(std::path::PathBuf::from("LooseBool.ts"))
    }
}

/// JSON Schema: a boolean or an integer; on input also `"0"`, `"1"`, `"true"`, `"false"`.
#[cfg(feature = "schema")]
impl schemars::JsonSchema for LooseBool {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LooseBool".into()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::LooseBool").into()
    }
    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut any = vec![
            schemars::json_schema!({ "type": "boolean" }),
            schemars::json_schema!({ "type": "integer", "description": "0 is false" }),
        ];
        if g.contract().is_deserialize() {
            any.push(schemars::json_schema!({
                "type": "string",
                "enum": ["0", "1", "true", "false"]
            }));
        }
        schemars::json_schema!({
            "description": "a flag: a boolean, or 0/1 as EVE-NG writes it (kept as written)",
            "anyOf": any
        })
    }
}

impl<'de> Deserialize<'de> for LooseBool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Bool(b) => Ok(LooseBool::Bool(*b)),
            Value::Number(n) if n.as_i64().is_some() => Ok(LooseBool::Int(n.as_i64().unwrap_or(0))),
            Value::String(s) if s == "0" || s == "1" => Ok(LooseBool::Int(i64::from(s == "1"))),
            Value::String(s) if s == "true" || s == "false" => Ok(LooseBool::Bool(s == "true")),
            _ => Err(de::Error::invalid_value(
                unexpected(&v),
                &"a boolean or 0/1",
            )),
        }
    }
}

/// Declares a string-valued enum that keeps unknown values in `Other`.
///
/// Unknown values survive a round trip; validation decides whether they are
/// acceptable.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every value this version knows.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The value as written in lab and template files.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Other(s) => s,
                }
            }

            /// True for values this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $text => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Ok($name::from(s.as_str()))
            }
        }

        // JSON Schema: the known values, or any other string (kept verbatim, like `Other`).
        #[cfg(feature = "schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }
            fn schema_id() -> std::borrow::Cow<'static, str> {
                concat!(module_path!(), "::", stringify!($name)).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "anyOf": [
                        { "type": "string", "enum": Self::KNOWN },
                        {
                            "type": "string",
                            "description": "a value this version does not know, kept verbatim"
                        }
                    ]
                })
            }
        }

        // TypeScript: the known values, or any other string (kept verbatim, like `Other`).
        #[cfg(feature = "ts")]
        impl ts_rs::TS for $name {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                stringify!($name).to_owned()
            }
            fn inline(_: &ts_rs::Config) -> String {
                let known: Vec<String> = Self::KNOWN.iter().map(|k| format!("\"{k}\"")).collect();
                format!("{} | (string & {{}})", known.join(" | "))
            }
            fn decl(cfg: &ts_rs::Config) -> String {
                format!("type {} = {};", Self::name(cfg), Self::inline(cfg))
            }
            fn decl_concrete(cfg: &ts_rs::Config) -> String {
                Self::decl(cfg)
            }
            fn output_path() -> Option<std::path::PathBuf> {
                Some(std::path::PathBuf::from(concat!(stringify!($name), ".ts")))
            }
        }
    };
}

pub(crate) use string_enum;

/// Reads an id-keyed object (`nodes`, `networks`), refusing a key that appears
/// twice: JSON parsers differ on which duplicate wins, so the lab is ambiguous.
pub(crate) fn unique_keys<'de, D, V>(d: D) -> Result<indexmap::IndexMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Visit<V>(std::marker::PhantomData<V>);

    impl<'de, V: Deserialize<'de>> de::Visitor<'de> for Visit<V> {
        type Value = indexmap::IndexMap<String, V>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object keyed by id")
        }

        fn visit_map<A: de::MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = indexmap::IndexMap::new();
            while let Some(key) = access.next_key::<String>()? {
                if map.contains_key(&key) {
                    return Err(de::Error::custom(format!(
                        "id {key:?} appears twice; ids must be unique"
                    )));
                }
                let value = access.next_value()?;
                map.insert(key, value);
            }
            Ok(map)
        }
    }

    d.deserialize_map(Visit(std::marker::PhantomData))
}
