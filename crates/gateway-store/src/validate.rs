//! Every input limit and check of the store, in one place.

use crate::{Result, StoreError};

/// Most characters in a username.
pub const USERNAME_MAX_CHARS: usize = 64;
/// Fewest bytes in a new password.
pub const PASSWORD_MIN_BYTES: usize = 8;
/// Most bytes in a password (longer ones are refused before hashing).
pub const PASSWORD_MAX_BYTES: usize = 1024;
/// Most characters in a display name.
pub const DISPLAY_NAME_MAX_CHARS: usize = 128;
/// Most characters in an API token's name.
pub const API_TOKEN_NAME_MAX_CHARS: usize = 64;
/// What every API token secret starts with, so that a leaked one is recognizable (secret
/// scanners, logs) and cannot be mistaken for a session cookie.
pub const API_TOKEN_PREFIX: &str = "nvt_";
/// How many leading characters of an API token secret are kept for display: the `nvt_` prefix
/// and 8 random characters (48 of its 256 random bits), enough to tell a user's tokens apart.
pub const API_TOKEN_PREFIX_CHARS: usize = API_TOKEN_PREFIX.len() + 8;
/// Most characters in a lab id or folder path.
pub const RESOURCE_ID_MAX_CHARS: usize = 1024;
/// Most characters kept of a session's remote address or User-Agent.
pub const SESSION_FIELD_MAX_CHARS: usize = 512;
/// Most characters in an audit action name.
pub const AUDIT_ACTION_MAX_CHARS: usize = 64;
/// Most characters kept of an audit entry's username, remote address, lab id or node id.
pub const AUDIT_FIELD_MAX_CHARS: usize = 256;
/// Most characters kept of an audit entry's target or detail.
pub const AUDIT_TEXT_MAX_CHARS: usize = 4096;
/// Most audit entries one [`Store::list_audit`](crate::Store::list_audit) call returns.
pub const AUDIT_LIST_MAX: u32 = 1000;
/// Audit entries returned when the filter does not say.
pub const AUDIT_DEFAULT_LIMIT: u32 = 100;
/// A session's `last_seen_at` and a token's `last_used_at` are written at most this often
/// (ms), to save a write per request; idle timeouts are therefore this precise.
pub const TOUCH_INTERVAL_MS: i64 = 30_000;

/// Checks a username: 1 to [`USERNAME_MAX_CHARS`] of `[A-Za-z0-9._-]`, not starting with `.`
/// or `-` (so it is never a path component such as `..`, nor read as an option).
pub fn check_username(username: &str) -> Result<()> {
    let invalid = |why: &str| {
        Err(StoreError::Invalid(format!(
            "username {username:?} {why}; use 1 to {USERNAME_MAX_CHARS} letters, digits, \
             '.', '_' or '-', not starting with '.' or '-'"
        )))
    };
    if username.is_empty() {
        return invalid("is empty");
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return invalid("is too long");
    }
    if let Some(bad) = username
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return invalid(&format!("contains {bad:?}"));
    }
    if username.starts_with(['.', '-']) {
        return invalid("starts with '.' or '-'");
    }
    Ok(())
}

/// Checks a new password: [`PASSWORD_MIN_BYTES`] to [`PASSWORD_MAX_BYTES`] bytes of UTF-8.
/// (No composition rules: length is what counts.)
pub fn check_password(password: &str) -> Result<()> {
    let len = password.len();
    if len < PASSWORD_MIN_BYTES {
        return Err(StoreError::Invalid(format!(
            "the password is too short ({len} bytes); use at least {PASSWORD_MIN_BYTES}"
        )));
    }
    if len > PASSWORD_MAX_BYTES {
        return Err(StoreError::Invalid(format!(
            "the password is too long ({len} bytes); use at most {PASSWORD_MAX_BYTES}"
        )));
    }
    Ok(())
}

/// Checks a display name: at most [`DISPLAY_NAME_MAX_CHARS`], no control characters.
pub(crate) fn check_display_name(name: &str) -> Result<()> {
    check_label("display name", name, 0, DISPLAY_NAME_MAX_CHARS)
}

/// Checks an API token's name: 1 to [`API_TOKEN_NAME_MAX_CHARS`], no control characters.
pub(crate) fn check_token_name(name: &str) -> Result<()> {
    check_label("API token name", name, 1, API_TOKEN_NAME_MAX_CHARS)
}

/// Checks a lab id or folder path: 1 to [`RESOURCE_ID_MAX_CHARS`], no control characters. The
/// store treats it as opaque text; labd decides what ids and paths exist.
pub(crate) fn check_resource_id(id: &str) -> Result<()> {
    check_label("lab id or folder path", id, 1, RESOURCE_ID_MAX_CHARS)
}

/// Checks an audit action: 1 to [`AUDIT_ACTION_MAX_CHARS`] of `[A-Za-z0-9._:-]`.
pub(crate) fn check_action(action: &str) -> Result<()> {
    let ok = !action.is_empty()
        && action.len() <= AUDIT_ACTION_MAX_CHARS
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "audit action {action:?} is not 1 to {AUDIT_ACTION_MAX_CHARS} of letters, digits, \
             '.', '_', ':' or '-' (e.g. \"lab.create\")"
        )))
    }
}

fn check_label(what: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars < min {
        return Err(StoreError::Invalid(format!("the {what} is empty")));
    }
    if chars > max {
        return Err(StoreError::Invalid(format!(
            "the {what} is too long ({chars} characters); use at most {max}"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!(
            "the {what} {value:?} contains a control character"
        )));
    }
    Ok(())
}

/// Client-supplied text made storable: control characters (NUL included, which PostgreSQL
/// refuses in text) become U+FFFD, and it is cut to `max` characters.
pub(crate) fn sanitize(value: &str, max: usize) -> String {
    value
        .chars()
        .take(max)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

pub(crate) fn sanitize_opt(value: Option<&str>, max: usize) -> Option<String> {
    value.map(|v| sanitize(v, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for good in [
            "a",
            "alice",
            "Bob.Smith",
            "x_y-z",
            "0",
            "a..b",
            &"a".repeat(64),
        ] {
            check_username(good).unwrap_or_else(|e| panic!("{good:?}: {e}"));
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "-rf",
            "a/b",
            "../etc",
            "a\0b",
            "a b",
            "ünï",
            "a'b",
            "a;b",
            &"a".repeat(65),
        ] {
            let err = check_username(bad).expect_err(bad);
            assert!(matches!(err, StoreError::Invalid(_)), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn passwords_count_bytes() {
        assert!(check_password("1234567").is_err());
        check_password("12345678").unwrap();
        check_password(&"é".repeat(512)).unwrap(); // 1024 bytes
        assert!(check_password(&"é".repeat(513)).is_err());
    }

    #[test]
    fn sanitize_replaces_controls_and_cuts() {
        assert_eq!(sanitize("a\0b\nc", 10), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(sanitize("ééé", 2), "éé");
    }

    #[test]
    fn actions() {
        check_action("lab.create").unwrap();
        check_action("node.start").unwrap();
        assert!(check_action("").is_err());
        assert!(check_action("lab create").is_err());
        assert!(check_action("lab%").is_err());
    }
}
