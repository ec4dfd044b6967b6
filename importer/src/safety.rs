//! Guards against hostile names and symlinks in an EVE-NG tree.
//!
//! Everything the importer writes lands below one of the operator's destination
//! directories. Names taken from the source tree (folder names, file names, lab
//! names) are checked here before they are joined to a destination path, and
//! source paths are resolved so that a symlink pointing out of the source tree is
//! refused instead of followed.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// Longest file name the importer accepts (the Linux NAME_MAX).
pub const MAX_NAME_LEN: usize = 255;

/// Why a name or path was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UnsafeName {
    /// The name is empty.
    #[error("empty name")]
    Empty,
    /// `.` or `..`.
    #[error("name {0:?} is a relative path step")]
    DotStep(String),
    /// The name contains `/`, NUL or a control character.
    #[error("name {0:?} contains a path separator, NUL or a control character")]
    BadChar(String),
    /// Longer than [`MAX_NAME_LEN`] bytes.
    #[error("name is longer than {MAX_NAME_LEN} bytes")]
    TooLong,
    /// Not valid UTF-8 (every name the importer writes ends up in JSON).
    #[error("name {0:?} is not valid UTF-8")]
    NotUtf8(String),
    /// A relative path had an absolute, `..` or otherwise odd component.
    #[error("path {0:?} is absolute or leaves its directory")]
    Escapes(String),
    /// A symlink (or the path itself) resolves outside the tree it must stay in.
    #[error("{0:?} resolves outside {1:?}")]
    OutsideTree(PathBuf, PathBuf),
}

/// Checks one path component taken from the source tree; returns it as a `&str`.
pub fn check_component(name: &OsStr) -> Result<&str, UnsafeName> {
    let bytes = name.as_bytes();
    if bytes.is_empty() {
        return Err(UnsafeName::Empty);
    }
    if bytes.len() > MAX_NAME_LEN {
        return Err(UnsafeName::TooLong);
    }
    let Some(s) = name.to_str() else {
        return Err(UnsafeName::NotUtf8(name.to_string_lossy().into_owned()));
    };
    if s == "." || s == ".." {
        return Err(UnsafeName::DotStep(s.to_owned()));
    }
    if s.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Err(UnsafeName::BadChar(s.to_owned()));
    }
    Ok(s)
}

/// Checks a relative path (e.g. a lab's folder below `labs/`): every component must be
/// a plain, safe name. Returns the components.
pub fn check_relative(path: &Path) -> Result<Vec<String>, UnsafeName> {
    let mut out = Vec::new();
    for comp in path.components() {
        match comp {
            Component::Normal(n) => out.push(check_component(n)?.to_owned()),
            _ => return Err(UnsafeName::Escapes(path.display().to_string())),
        }
    }
    Ok(out)
}

/// Resolves `path` (following symlinks) and checks that the result is inside
/// `root_canonical` (itself already canonical). Returns the resolved path, which is
/// what the importer opens, so a symlink swapped later cannot redirect the read
/// without also failing the `O_NOFOLLOW` open of the final component.
pub fn resolve_within(path: &Path, root_canonical: &Path) -> Result<PathBuf, ResolveError> {
    let resolved = std::fs::canonicalize(path).map_err(|e| ResolveError::Io(path.into(), e))?;
    if resolved.starts_with(root_canonical) {
        Ok(resolved)
    } else {
        Err(ResolveError::Unsafe(UnsafeName::OutsideTree(
            path.into(),
            root_canonical.into(),
        )))
    }
}

/// Failure of [`resolve_within`].
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The path could not be resolved.
    #[error("cannot resolve {0:?}: {1}")]
    Io(PathBuf, #[source] std::io::Error),
    /// It resolves outside the tree.
    #[error(transparent)]
    Unsafe(#[from] UnsafeName),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn refuses_hostile_components() {
        assert!(check_component(OsStr::new("vios-15.6")).is_ok());
        assert!(check_component(OsStr::new("My Lab")).is_ok());
        for bad in ["", ".", "..", "a/b", "a\\b", "a\nb"] {
            assert!(check_component(OsStr::new(bad)).is_err(), "{bad:?}");
        }
        let nul = OsString::from_vec(b"a\0b".to_vec());
        assert!(check_component(&nul).is_err());
        let non_utf8 = OsString::from_vec(vec![0xff, 0xfe]);
        assert!(matches!(
            check_component(&non_utf8),
            Err(UnsafeName::NotUtf8(_))
        ));
        assert_eq!(
            check_component(OsStr::new(&"x".repeat(256))),
            Err(UnsafeName::TooLong)
        );
    }

    #[test]
    fn refuses_escaping_relative_paths() {
        assert_eq!(
            check_relative(Path::new("a/b c/d")).unwrap(),
            vec!["a", "b c", "d"]
        );
        assert!(check_relative(Path::new("../x")).is_err());
        assert!(check_relative(Path::new("/etc")).is_err());
        assert!(check_relative(Path::new("a/../../x")).is_err());
    }
}
