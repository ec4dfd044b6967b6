//! Validated names for things that become file system paths.
//!
//! A [`LabName`] or [`FolderPath`] that exists has passed every check, so code
//! that joins it under the labs root cannot be steered outside that root by
//! `..`, an absolute path, a NUL byte or a hidden name. (Symlinks inside the
//! root are the store's business: it opens every component without following
//! links.)

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most characters in one lab name or folder name.
pub const MAX_NAME_CHARS: usize = 64;
/// Most bytes in one lab name or folder name. Leaves room for the store's
/// `.<name>.json.lock` and temp-file names inside the usual 255-byte limit.
pub const MAX_NAME_BYTES: usize = 200;
/// Most folder levels below the labs root.
pub const MAX_FOLDER_DEPTH: usize = 16;

/// Why a lab name, folder name or folder path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name is empty.
    #[error("{what} is empty; give it a name")]
    Empty {
        /// What was being named ("lab name", "folder name", ...).
        what: &'static str,
    },
    /// The name is longer than allowed.
    #[error(
        "{what} {name:?} is too long ({len} characters); at most {MAX_NAME_CHARS} characters and {MAX_NAME_BYTES} bytes"
    )]
    TooLong {
        /// What was being named.
        what: &'static str,
        /// The refused name.
        name: String,
        /// Its length in characters.
        len: usize,
    },
    /// The name contains a character that is not allowed.
    #[error(
        "{what} {name:?} contains {bad:?}, which is not allowed (no '/', '\\', NUL or control characters)"
    )]
    BadChar {
        /// What was being named.
        what: &'static str,
        /// The refused name.
        name: String,
        /// The offending character.
        bad: char,
    },
    /// The name starts with a dot (hidden files, `.` and `..`).
    #[error("{what} {name:?} starts with '.'; hidden names and '..' are not allowed")]
    LeadingDot {
        /// What was being named.
        what: &'static str,
        /// The refused name.
        name: String,
    },
    /// The name starts or ends with white space.
    #[error("{what} {name:?} starts or ends with white space; trim it")]
    Whitespace {
        /// What was being named.
        what: &'static str,
        /// The refused name.
        name: String,
    },
    /// The path is absolute.
    #[error(
        "folder path {path:?} is absolute; give it relative to the labs root (\"\" is the root)"
    )]
    Absolute {
        /// The refused path.
        path: String,
    },
    /// The path has an empty component (`a//b`, trailing `/`).
    #[error("folder path {path:?} has an empty component")]
    EmptyComponent {
        /// The refused path.
        path: String,
    },
    /// The path is nested too deeply.
    #[error("folder path {path:?} is nested {depth} levels deep; at most {MAX_FOLDER_DEPTH}")]
    TooDeep {
        /// The refused path.
        path: String,
        /// Its depth.
        depth: usize,
    },
}

/// Checks one path component (a lab name or a folder name).
fn check_component(what: &'static str, name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { what });
    }
    let len = name.chars().count();
    if len > MAX_NAME_CHARS || name.len() > MAX_NAME_BYTES {
        return Err(NameError::TooLong {
            what,
            name: name.to_owned(),
            len,
        });
    }
    if let Some(bad) = name
        .chars()
        .find(|c| c.is_control() || matches!(c, '/' | '\\'))
    {
        return Err(NameError::BadChar {
            what,
            name: name.to_owned(),
            bad,
        });
    }
    if name.starts_with('.') {
        return Err(NameError::LeadingDot {
            what,
            name: name.to_owned(),
        });
    }
    if name.trim() != name {
        return Err(NameError::Whitespace {
            what,
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// A lab's file name without the `.json` suffix, safe to use as a path component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabName(String);

impl LabName {
    /// Validates `name` (without `.json`).
    pub fn new(name: &str) -> Result<Self, NameError> {
        check_component("lab name", name)?;
        Ok(LabName(name.to_owned()))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lab's file name, `<name>.json`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.0)
    }
}

/// A folder below the labs root: `""` (the root itself) or `a/b/c`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FolderPath(Vec<String>);

impl FolderPath {
    /// The labs root.
    pub fn root() -> Self {
        FolderPath(Vec::new())
    }

    /// Validates a `/`-separated relative folder path; `""` is the root.
    pub fn new(path: &str) -> Result<Self, NameError> {
        if path.is_empty() {
            return Ok(Self::root());
        }
        if path.starts_with('/') {
            return Err(NameError::Absolute {
                path: path.to_owned(),
            });
        }
        let parts: Vec<&str> = path.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(NameError::EmptyComponent {
                path: path.to_owned(),
            });
        }
        if parts.len() > MAX_FOLDER_DEPTH {
            return Err(NameError::TooDeep {
                path: path.to_owned(),
                depth: parts.len(),
            });
        }
        for part in &parts {
            check_component("folder name", part)?;
        }
        Ok(FolderPath(parts.into_iter().map(str::to_owned).collect()))
    }

    /// True for the labs root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The folder's components, outermost first.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The last component, `None` for the root.
    pub fn name(&self) -> Option<&str> {
        self.0.last().map(String::as_str)
    }

    /// The enclosing folder, `None` for the root.
    pub fn parent(&self) -> Option<FolderPath> {
        (!self.is_root()).then(|| FolderPath(self.0[..self.0.len() - 1].to_vec()))
    }

    /// A sub-folder of this one.
    pub fn join(&self, name: &str) -> Result<FolderPath, NameError> {
        check_component("folder name", name)?;
        if self.0.len() + 1 > MAX_FOLDER_DEPTH {
            return Err(NameError::TooDeep {
                path: format!("{self}/{name}"),
                depth: self.0.len() + 1,
            });
        }
        let mut parts = self.0.clone();
        parts.push(name.to_owned());
        Ok(FolderPath(parts))
    }

    /// True if `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &FolderPath) -> bool {
        self.0.starts_with(&other.0)
    }
}

/// Where a lab lives: its folder and its name (`a/b/mylab.json`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LabPath {
    /// The folder holding the lab.
    pub folder: FolderPath,
    /// The lab's name.
    pub name: LabName,
}

impl LabPath {
    /// A lab path from its parts.
    pub fn new(folder: FolderPath, name: LabName) -> Self {
        LabPath { folder, name }
    }

    /// Parses `folder/sub/name.json` (the `.json` suffix is optional).
    pub fn parse(path: &str) -> Result<Self, NameError> {
        let (folder, file) = match path.rsplit_once('/') {
            Some((folder, file)) => (FolderPath::new(folder)?, file),
            None if path.starts_with('/') => {
                return Err(NameError::Absolute {
                    path: path.to_owned(),
                });
            }
            None => (FolderPath::root(), path),
        };
        if path.starts_with('/') {
            return Err(NameError::Absolute {
                path: path.to_owned(),
            });
        }
        let stem = file.strip_suffix(".json").unwrap_or(file);
        Ok(LabPath {
            folder,
            name: LabName::new(stem)?,
        })
    }
}

macro_rules! display_and_serde {
    ($ty:ty, $parse:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_string_impl())
            }
        }
        impl std::str::FromStr for $ty {
            type Err = NameError;
            fn from_str(s: &str) -> Result<Self, NameError> {
                $parse(s)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

impl LabName {
    fn to_string_impl(&self) -> String {
        self.0.clone()
    }
}
impl FolderPath {
    fn to_string_impl(&self) -> String {
        self.0.join("/")
    }
}
impl LabPath {
    fn to_string_impl(&self) -> String {
        if self.folder.is_root() {
            self.name.file_name()
        } else {
            format!("{}/{}", self.folder, self.name.file_name())
        }
    }
}

display_and_serde!(LabName, LabName::new);
display_and_serde!(FolderPath, FolderPath::new);
display_and_serde!(LabPath, LabPath::parse);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_names_accept_ordinary_names() {
        for ok in ["mylab", "Lab 1", "pa-fw_ipsec.v2", "ÖBB-Netz", "a"] {
            assert_eq!(LabName::new(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn lab_names_refuse_hostile_names() {
        let long = "x".repeat(MAX_NAME_CHARS + 1);
        for bad in [
            "", "..", ".", ".hidden", "a/b", "a\\b", "a\0b", "a\nb", " lead", "trail ", &long,
        ] {
            assert!(LabName::new(bad).is_err(), "{bad:?} must be refused");
        }
        let wide = "é".repeat(MAX_NAME_CHARS);
        assert!(
            LabName::new(&wide).is_ok(),
            "64 two-byte characters fit in 200 bytes"
        );
        let wider = "😀".repeat(MAX_NAME_CHARS);
        assert!(matches!(
            LabName::new(&wider),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn folder_paths_refuse_traversal_and_absolute_paths() {
        for bad in [
            "/etc", "a/../b", "..", "a//b", "a/", "a/.git", "a/\u{7f}", "/",
        ] {
            assert!(FolderPath::new(bad).is_err(), "{bad:?} must be refused");
        }
        let deep = vec!["d"; MAX_FOLDER_DEPTH + 1].join("/");
        assert!(matches!(
            FolderPath::new(&deep),
            Err(NameError::TooDeep { .. })
        ));
    }

    #[test]
    fn folder_paths_parse_and_print() {
        let f = FolderPath::new("team/ospf").unwrap();
        assert_eq!(f.to_string(), "team/ospf");
        assert_eq!(f.name(), Some("ospf"));
        assert_eq!(f.parent().unwrap().to_string(), "team");
        assert!(f.starts_with(&FolderPath::new("team").unwrap()));
        assert!(
            !FolderPath::new("teamx")
                .unwrap()
                .starts_with(&FolderPath::new("team").unwrap())
        );
        assert!(FolderPath::new("").unwrap().is_root());
    }

    #[test]
    fn lab_paths_parse_with_and_without_suffix() {
        let p = LabPath::parse("a/b/lab.json").unwrap();
        assert_eq!(p.folder.to_string(), "a/b");
        assert_eq!(p.name.as_str(), "lab");
        assert_eq!(p.to_string(), "a/b/lab.json");
        assert_eq!(LabPath::parse("lab").unwrap().to_string(), "lab.json");
        assert!(LabPath::parse("/abs/lab.json").is_err());
        assert!(LabPath::parse("../lab.json").is_err());
        assert!(LabPath::parse("a/.json").is_err());
    }
}
