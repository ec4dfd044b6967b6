//! The store's vocabulary: ids, roles, levels, and the records it returns.

use std::fmt;
use std::str::FromStr;

/// A web user's id (never reused, also after the user is deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub i64);

/// A login session's id (not its secret: knowing it grants nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub i64);

/// An API token's id (not its secret: knowing it grants nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiTokenId(pub i64);

macro_rules! id_display {
    ($($ty:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}
id_display!(UserId, SessionId, ApiTokenId);

/// A text value that is not one of an enum's names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}; expected one of: {expected}")]
pub struct ParseEnumError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

/// Text enums: stored and shown as their lower-case names.
macro_rules! text_enum {
    (
        $(#[$meta:meta])* $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The name stored in the database and shown to people.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)*
                    _ => Err(ParseEnumError {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),*),
                    }),
                }
            }
        }
    };
}

text_enum!(
    /// A web user's global role.
    Role, "role" {
        /// Everything, including managing users and every lab.
        Admin = "admin",
        /// Creates labs and folders, edits and runs their own and those shared with them.
        Editor = "editor",
        /// Looks at what is shared with them.
        Viewer = "viewer",
    }
);

impl Role {
    /// Orders roles by power: viewer 0 < editor 1 < admin 2, so
    /// `user.role.rank() >= Role::Editor.rank()` reads "at least editor".
    pub fn rank(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Editor => 1,
            Role::Admin => 2,
        }
    }

    /// Whether this role is at least `other`.
    pub fn at_least(self, other: Role) -> bool {
        self.rank() >= other.rank()
    }
}

text_enum!(
    /// What a share grants on one lab or folder.
    ShareLevel, "share level" {
        /// May open and look.
        Viewer = "viewer",
        /// May also change and run.
        Editor = "editor",
    }
);

impl ShareLevel {
    /// Orders levels: viewer 0 < editor 1.
    pub fn rank(self) -> u8 {
        match self {
            ShareLevel::Viewer => 0,
            ShareLevel::Editor => 1,
        }
    }
}

text_enum!(
    /// What kind of thing is owned or shared.
    ResourceKind, "resource kind" {
        /// A lab, named by its lab id.
        Lab = "lab",
        /// A folder, named by its path relative to the labs root (`a/b`).
        Folder = "folder",
    }
);

text_enum!(
    /// How an audited action ended.
    AuditResult, "audit result" {
        /// It was done.
        Ok = "ok",
        /// The caller was not allowed.
        Denied = "denied",
        /// It was allowed but failed.
        Error = "error",
    }
);

/// A web user as stored (without the password hash, so it is safe to log and to show).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// The login name (unique regardless of case; shown as created).
    pub username: String,
    /// A name for people; may be empty.
    pub display_name: String,
    /// The global role.
    pub role: Role,
    /// A disabled user cannot log in, and its sessions and API tokens do not authenticate.
    pub disabled: bool,
    /// When it was created (unix ms).
    pub created_at: i64,
    /// When its name, role, state or password last changed (unix ms).
    pub updated_at: i64,
}

/// What [`Store::create_user`](crate::Store::create_user) needs.
#[derive(Clone, Copy)]
pub struct NewUser<'a> {
    /// 1 to [`USERNAME_MAX_CHARS`](crate::USERNAME_MAX_CHARS) of `[A-Za-z0-9._-]`, not
    /// starting with `.` or `-`.
    pub username: &'a str,
    /// A name for people; may be empty.
    pub display_name: &'a str,
    /// The global role.
    pub role: Role,
    /// [`PASSWORD_MIN_BYTES`](crate::PASSWORD_MIN_BYTES) to
    /// [`PASSWORD_MAX_BYTES`](crate::PASSWORD_MAX_BYTES) bytes.
    pub password: &'a str,
}

impl fmt::Debug for NewUser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Changes for [`Store::update_user`](crate::Store::update_user); `None` leaves a field as is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUpdate {
    /// A new display name.
    pub display_name: Option<String>,
    /// A new role.
    pub role: Option<Role>,
    /// Disable (`true`: also ends the user's sessions) or enable.
    pub disabled: Option<bool>,
}

/// A login session as stored. Its `Debug` hides the CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    /// The session's id (for "log out that session" and for
    /// [`Store::set_password`](crate::Store::set_password)'s `except_session`).
    pub id: SessionId,
    /// Whose session.
    pub user_id: UserId,
    /// The anti-CSRF token the web app must echo in a header on every unsafe request; compare
    /// with [`Session::csrf_matches`].
    pub csrf_token: String,
    /// When it was created (unix ms).
    pub created_at: i64,
    /// When it ends whatever happens (unix ms).
    pub expires_at: i64,
    /// When it was last used, to [`TOUCH_INTERVAL_MS`](crate::TOUCH_INTERVAL_MS) precision.
    pub last_seen_at: i64,
    /// It ends after this long unused; `None`: only `expires_at` ends it.
    pub idle_timeout_ms: Option<i64>,
    /// The client address at login.
    pub remote_addr: Option<String>,
    /// The client's User-Agent at login.
    pub user_agent: Option<String>,
}

impl Session {
    /// Whether `given` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        crate::secret::constant_time_eq(self.csrf_token.as_bytes(), given.as_bytes())
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"<redacted>")
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("idle_timeout_ms", &self.idle_timeout_ms)
            .field("remote_addr", &self.remote_addr)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// What [`Store::create_session`](crate::Store::create_session) needs.
#[derive(Clone, Copy, Debug)]
pub struct NewSession<'a> {
    /// Whose session (must exist and be enabled).
    pub user_id: UserId,
    /// How long the session lasts at most (ms, > 0).
    pub lifetime_ms: i64,
    /// How long it may go unused (ms, > 0); `None` for no idle timeout.
    pub idle_timeout_ms: Option<i64>,
    /// The client address (kept for the user's "my sessions" list; control characters are
    /// replaced, long values shortened).
    pub remote_addr: Option<&'a str>,
    /// The client's User-Agent (as `remote_addr`).
    pub user_agent: Option<&'a str>,
}

/// An API token as stored (without its secret or hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// The token's id.
    pub id: ApiTokenId,
    /// Whose token: it acts as this user.
    pub user_id: UserId,
    /// The name its owner gave it.
    pub name: String,
    /// The secret's first [`API_TOKEN_PREFIX_CHARS`](crate::API_TOKEN_PREFIX_CHARS) characters
    /// (`nvt_` and a few random ones), to tell tokens apart in a list.
    pub prefix: String,
    /// When it was created (unix ms).
    pub created_at: i64,
    /// When it stops working (unix ms); `None`: never.
    pub expires_at: Option<i64>,
    /// When it last authenticated, to [`TOUCH_INTERVAL_MS`](crate::TOUCH_INTERVAL_MS) precision.
    pub last_used_at: Option<i64>,
    /// When it was revoked (unix ms).
    pub revoked_at: Option<i64>,
}

impl ApiToken {
    /// Whether the token still authenticates at `now_ms` (not revoked, not expired); the
    /// owner's state is checked separately.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|at| now_ms < at)
    }
}

/// One user's share of one lab or folder, as listed by
/// [`Store::shares_of`](crate::Store::shares_of).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// Who it is shared with.
    pub user_id: UserId,
    /// Their username, for lists.
    pub username: String,
    /// What they may do.
    pub level: ShareLevel,
}

/// A lab or folder shared with a user, as listed by
/// [`Store::shares_for_user`](crate::Store::shares_for_user).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedResource {
    /// Lab or folder.
    pub kind: ResourceKind,
    /// The lab id or folder path.
    pub resource_id: String,
    /// What the user may do there.
    pub level: ShareLevel,
}

/// One audit event to record. Text fields are stored as given, except that control
/// characters (NUL included) are replaced by U+FFFD and over-long values are shortened
/// (an audit entry is never refused for what a client sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEntry {
    /// When it happened (unix ms).
    pub at: i64,
    /// Who did it, if known.
    pub user_id: Option<UserId>,
    /// Their username (or the name tried, for a failed login); kept when the user is deleted.
    pub username: String,
    /// The client address.
    pub remote_addr: Option<String>,
    /// What was done, dotted lower-case words: `lab.create`, `node.start`, `user.login`.
    pub action: String,
    /// The lab concerned.
    pub lab_id: Option<String>,
    /// The node concerned.
    pub node_id: Option<String>,
    /// What else was acted on (a folder, a user, a network…).
    pub target: Option<String>,
    /// How it ended.
    pub result: AuditResult,
    /// Free text: the error, the denied permission, …
    pub detail: Option<String>,
}

impl NewAuditEntry {
    /// An entry with only the required fields; set the others on the result.
    pub fn new(
        at: i64,
        username: impl Into<String>,
        action: impl Into<String>,
        result: AuditResult,
    ) -> Self {
        NewAuditEntry {
            at,
            user_id: None,
            username: username.into(),
            remote_addr: None,
            action: action.into(),
            lab_id: None,
            node_id: None,
            target: None,
            result,
            detail: None,
        }
    }
}

/// One recorded audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Increases with every entry; the key for paging.
    pub id: i64,
    /// When it happened (unix ms).
    pub at: i64,
    /// Who did it, if known (the id stays when the user is deleted).
    pub user_id: Option<UserId>,
    /// Their username at the time.
    pub username: String,
    /// The client address.
    pub remote_addr: Option<String>,
    /// What was done.
    pub action: String,
    /// The lab concerned.
    pub lab_id: Option<String>,
    /// The node concerned.
    pub node_id: Option<String>,
    /// What else was acted on.
    pub target: Option<String>,
    /// How it ended.
    pub result: AuditResult,
    /// Free text.
    pub detail: Option<String>,
}

/// Which audit entries [`Store::list_audit`](crate::Store::list_audit) returns, newest first.
/// Every set field narrows the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries of this user.
    pub user: Option<UserId>,
    /// Entries about this lab.
    pub lab_id: Option<String>,
    /// Entries whose action starts with this text, exactly (`"lab."`, `"node.start"`); no
    /// wildcards.
    pub action_prefix: Option<String>,
    /// Entries that ended so.
    pub result: Option<AuditResult>,
    /// Entries at or after this time (unix ms).
    pub since_ms: Option<i64>,
    /// Entries before this time (unix ms).
    pub until_ms: Option<i64>,
    /// At most this many entries, 1 to [`AUDIT_LIST_MAX`](crate::AUDIT_LIST_MAX) (larger values
    /// are lowered to it; 0 is raised to 1). Default
    /// [`AUDIT_DEFAULT_LIMIT`](crate::AUDIT_DEFAULT_LIMIT).
    pub limit: u32,
    /// Keyset paging: only entries older than this id (pass the last id of the previous page).
    pub before_id: Option<i64>,
}

impl Default for AuditFilter {
    fn default() -> Self {
        AuditFilter {
            user: None,
            lab_id: None,
            action_prefix: None,
            result: None,
            since_ms: None,
            until_ms: None,
            limit: crate::AUDIT_DEFAULT_LIMIT,
            before_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), *role);
        }
        for level in ShareLevel::ALL {
            assert_eq!(level.to_string().parse::<ShareLevel>().unwrap(), *level);
        }
        for kind in ResourceKind::ALL {
            assert_eq!(kind.as_str().parse::<ResourceKind>().unwrap(), *kind);
        }
        for result in AuditResult::ALL {
            assert_eq!(result.as_str().parse::<AuditResult>().unwrap(), *result);
        }
        let err = "root".parse::<Role>().unwrap_err().to_string();
        assert!(err.contains("\"root\" is not a role"), "{err}");
        assert!(err.contains("admin editor viewer"), "{err}");
        assert!("Admin".parse::<Role>().is_err(), "names are exact");
    }

    #[test]
    fn roles_are_ordered_by_rank() {
        assert!(Role::Admin.rank() > Role::Editor.rank());
        assert!(Role::Editor.rank() > Role::Viewer.rank());
        assert!(Role::Admin.at_least(Role::Editor));
        assert!(!Role::Viewer.at_least(Role::Editor));
        assert!(ShareLevel::Editor.rank() > ShareLevel::Viewer.rank());
    }

    #[test]
    fn session_debug_hides_the_csrf_token() {
        let session = Session {
            id: SessionId(1),
            user_id: UserId(2),
            csrf_token: "csrf-secret-value".into(),
            created_at: 0,
            expires_at: 1,
            last_seen_at: 0,
            idle_timeout_ms: None,
            remote_addr: None,
            user_agent: None,
        };
        assert!(!format!("{session:?}").contains("csrf-secret-value"));
        assert!(session.csrf_matches("csrf-secret-value"));
        assert!(!session.csrf_matches("csrf-secret-valuE"));
        assert!(!session.csrf_matches(""));
    }
}
