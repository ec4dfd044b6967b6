//! Rows as the databases return them, and their checked conversion into the public records.
//! Column lists live here beside the structs that read them.

use std::str::FromStr;

use crate::types::{
    ApiToken, ApiTokenId, AuditEntry, AuditResult, ResourceKind, Role, Session, SessionId,
    ShareLevel, User, UserId,
};
use crate::{Result, StoreError};

/// Parses a text enum read from the database; an unknown value is [`StoreError::Corrupt`].
pub(crate) fn parse_column<T: FromStr<Err = crate::ParseEnumError>>(
    table: &str,
    value: &str,
) -> Result<T> {
    value
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("{table}: {e}")))
}

pub(crate) const USER_COLUMNS: &str =
    "id, username, display_name, role, disabled, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl UserRow {
    pub(crate) fn into_user(self) -> Result<User> {
        Ok(User {
            id: UserId(self.id),
            username: self.username,
            display_name: self.display_name,
            role: parse_column::<Role>("users.role", &self.role)?,
            disabled: self.disabled,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A user with the password hash, for logins only.
#[derive(sqlx::FromRow)]
pub(crate) struct UserWithHashRow {
    #[sqlx(flatten)]
    pub(crate) user: UserRow,
    pub(crate) password_hash: String,
}

/// Session columns, then the owner's columns prefixed `u_` (one round trip per request).
pub(crate) const SESSION_USER_COLUMNS: &str = "s.id, s.user_id, s.csrf_token, s.created_at, \
     s.expires_at, s.last_seen_at, s.idle_timeout_ms, s.remote_addr, s.user_agent, \
     u.username AS u_username, u.display_name AS u_display_name, u.role AS u_role, \
     u.disabled AS u_disabled, u.created_at AS u_created_at, u.updated_at AS u_updated_at";

pub(crate) const SESSION_COLUMNS: &str = "id, user_id, csrf_token, created_at, expires_at, \
     last_seen_at, idle_timeout_ms, remote_addr, user_agent";

#[derive(sqlx::FromRow)]
pub(crate) struct SessionRow {
    id: i64,
    user_id: i64,
    csrf_token: String,
    created_at: i64,
    expires_at: i64,
    last_seen_at: i64,
    idle_timeout_ms: Option<i64>,
    remote_addr: Option<String>,
    user_agent: Option<String>,
}

impl SessionRow {
    pub(crate) fn into_session(self) -> Session {
        Session {
            id: SessionId(self.id),
            user_id: UserId(self.user_id),
            csrf_token: self.csrf_token,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_seen_at: self.last_seen_at,
            idle_timeout_ms: self.idle_timeout_ms,
            remote_addr: self.remote_addr,
            user_agent: self.user_agent,
        }
    }
}

/// The owner's columns of a joined row (`u_…`); the id comes from the other half.
#[derive(sqlx::FromRow)]
pub(crate) struct OwnerRow {
    u_username: String,
    u_display_name: String,
    u_role: String,
    u_disabled: bool,
    u_created_at: i64,
    u_updated_at: i64,
}

impl OwnerRow {
    pub(crate) fn into_user(self, id: UserId) -> Result<User> {
        Ok(User {
            id,
            username: self.u_username,
            display_name: self.u_display_name,
            role: parse_column::<Role>("users.role", &self.u_role)?,
            disabled: self.u_disabled,
            created_at: self.u_created_at,
            updated_at: self.u_updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct SessionUserRow {
    #[sqlx(flatten)]
    pub(crate) session: SessionRow,
    #[sqlx(flatten)]
    pub(crate) owner: OwnerRow,
}

pub(crate) const API_TOKEN_COLUMNS: &str =
    "id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at";

pub(crate) const API_TOKEN_USER_COLUMNS: &str = "t.id, t.user_id, t.name, t.prefix, \
     t.created_at, t.expires_at, t.last_used_at, t.revoked_at, \
     u.username AS u_username, u.display_name AS u_display_name, u.role AS u_role, \
     u.disabled AS u_disabled, u.created_at AS u_created_at, u.updated_at AS u_updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: i64,
    user_id: i64,
    name: String,
    prefix: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl ApiTokenRow {
    pub(crate) fn into_token(self) -> ApiToken {
        ApiToken {
            id: ApiTokenId(self.id),
            user_id: UserId(self.user_id),
            name: self.name,
            prefix: self.prefix,
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenUserRow {
    #[sqlx(flatten)]
    pub(crate) token: ApiTokenRow,
    #[sqlx(flatten)]
    pub(crate) owner: OwnerRow,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ShareRow {
    pub(crate) user_id: i64,
    pub(crate) username: String,
    pub(crate) level: String,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SharedResourceRow {
    pub(crate) kind: String,
    pub(crate) resource_id: String,
    pub(crate) level: String,
}

impl SharedResourceRow {
    pub(crate) fn kind(&self) -> Result<ResourceKind> {
        parse_column("shares.kind", &self.kind)
    }

    pub(crate) fn level(&self) -> Result<ShareLevel> {
        parse_column("shares.level", &self.level)
    }
}

pub(crate) const AUDIT_COLUMNS: &str = "id, at, user_id, username, remote_addr, action, lab_id, \
     node_id, target, result, detail";

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: i64,
    at: i64,
    user_id: Option<i64>,
    username: String,
    remote_addr: Option<String>,
    action: String,
    lab_id: Option<String>,
    node_id: Option<String>,
    target: Option<String>,
    result: String,
    detail: Option<String>,
}

impl AuditRow {
    pub(crate) fn into_entry(self) -> Result<AuditEntry> {
        Ok(AuditEntry {
            id: self.id,
            at: self.at,
            user_id: self.user_id.map(UserId),
            username: self.username,
            remote_addr: self.remote_addr,
            action: self.action,
            lab_id: self.lab_id,
            node_id: self.node_id,
            target: self.target,
            result: parse_column::<AuditResult>("audit.result", &self.result)?,
            detail: self.detail,
        })
    }
}
