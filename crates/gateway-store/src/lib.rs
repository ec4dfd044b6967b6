//! nova-ve gateway store: the web gateway's own data — web users, login sessions, API tokens,
//! who owns and who may use which lab or folder, and the audit log — on SQLite (a file, zero
//! set-up, the default) or PostgreSQL (chosen by URL), with the same schema and one set of
//! migrations for each.
//!
//! Plain async Rust over sqlx: no HTTP, no D-Bus, no lab logic. The gateway decides what a web
//! user may do; this crate remembers the facts it decides with.
//!
//! - **Connecting** — [`Store::connect`] takes `sqlite:///abs/path.db` (created if missing, WAL,
//!   foreign keys on, busy timeout) or `postgres://…`. It never migrates.
//! - **Migrations** — [`Store::pending_migrations`] (the gateway refuses to start while any are
//!   pending) and [`Store::migrate`] (an operator step). A database whose applied migrations do
//!   not match this build's (edited, unknown or half-applied) is an error, never "pending".
//! - **Users** — [`Store::create_user`], [`Store::verify_login`], [`Store::update_user`],
//!   [`Store::set_password`], [`Store::delete_user`], …; argon2id PHC hashes; the last enabled
//!   admin cannot be deleted, demoted or disabled ([`StoreError::LastAdmin`]).
//! - **Sessions and API tokens** — [`Store::create_session`], [`Store::session_by_token`],
//!   [`Store::create_api_token`], [`Store::authenticate_api_token`], …: the secret is shown once
//!   as a [`Secret`]; only its SHA-256 is stored.
//! - **Ownership and shares** — [`Store::set_owner`], [`Store::share`],
//!   [`Store::shares_for_user`], [`Store::rename_folder_resources`], …
//! - **Audit** — [`Store::record`], [`Store::list_audit`] (newest first, keyset paging).
//!
//! Times are `i64` unix milliseconds everywhere, passed in by the caller (`now_ms`), so that
//! expiry is testable and both databases store the same plain integers; [`now_ms`] reads the
//! system clock.
//!
//! # Why an enum of two pools, not `sqlx::AnyPool`
//!
//! [`Store`] holds either a `SqlitePool` or a `PgPool`, and each method's body is written once
//! and compiled for both (the private `with_pool!`/`with_write_tx!` macros), with `$1`-style
//! placeholders that both databases accept. Compared with `AnyPool` this keeps:
//! - typed connection options: SQLite's WAL, foreign keys, busy timeout and create-if-missing
//!   are set with `SqliteConnectOptions`, not hoped for through URL parameters or after-connect
//!   hooks, and no process-global driver registration is needed;
//! - each backend's own type mapping (SQLite integer booleans, PostgreSQL `BOOLEAN`) instead of
//!   `Any`'s lowest common denominator;
//! - `BEGIN IMMEDIATE` for SQLite write transactions (a deferred transaction that reads first
//!   fails with `SQLITE_BUSY` instead of waiting when two writers meet) and row locks on
//!   PostgreSQL where a check must see concurrent writers (the last-admin rule);
//! - each backend's own migration support (`sqlx::migrate!` migrators run on the native
//!   connection).
//!
//! The cost is that query code is compiled twice; the SQL text is shared.
//!
//! # Architecture invariants
//!
//! - Secrets (session cookies, API tokens) are never stored: only `sha256(secret)` in hex.
//! - Every multi-step change runs in one transaction: a refused change changes nothing.
//! - The store never migrates on its own; [`Store::migrate`] is called by an operator command.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to the store's pool, compiled once per backend.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a write transaction `$tx` (`&mut *$tx` is the executor) and commits it when
/// the body completes; an early return (`?`) drops the transaction, which rolls it back.
/// `$backend` names the [`Backend`](crate::Backend) for the few statements that differ.
/// SQLite transactions start with `BEGIN IMMEDIATE`: writers queue on the busy timeout instead
/// of failing when a read-then-write transaction meets another writer.
macro_rules! with_write_tx {
    ($store:expr, $tx:ident, $backend:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite(pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::Backend::Sqlite;
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Db::Postgres(pool) => {
                #[allow(unused_variables)]
                let $backend = $crate::Backend::Postgres;
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

mod audit;
mod error;
mod migrate;
mod resources;
mod rows;
mod secret;
mod sessions;
mod tokens;
mod types;
mod users;
mod validate;

pub use error::{Result, StoreError};
pub use secret::Secret;
pub use types::{
    ApiToken, ApiTokenId, AuditEntry, AuditFilter, AuditResult, NewAuditEntry, NewSession, NewUser,
    ParseEnumError, ResourceKind, Role, Session, SessionId, Share, ShareLevel, SharedResource,
    User, UserId, UserUpdate,
};
pub use validate::{
    API_TOKEN_NAME_MAX_CHARS, API_TOKEN_PREFIX, API_TOKEN_PREFIX_CHARS, AUDIT_ACTION_MAX_CHARS,
    AUDIT_DEFAULT_LIMIT, AUDIT_FIELD_MAX_CHARS, AUDIT_LIST_MAX, AUDIT_TEXT_MAX_CHARS,
    DISPLAY_NAME_MAX_CHARS, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, RESOURCE_ID_MAX_CHARS,
    SESSION_FIELD_MAX_CHARS, TOUCH_INTERVAL_MS, USERNAME_MAX_CHARS, check_password, check_username,
};

/// How long a connection waits for a locked SQLite database before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The gateway's database: cheap to clone (it wraps a connection pool), safe to share between
/// tasks. Its `Debug` shows the backend and where the database is, never a password.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// Where the database is, for messages: the SQLite path or `postgres://user@host:port/db`.
    location: String,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .field("location", &self.location)
            .finish()
    }
}

impl Store {
    /// Opens a pool on `url` and checks that the database answers. Does not migrate.
    ///
    /// - `sqlite:///abs/path.db`: the file is created if missing (its directory must exist),
    ///   opened in WAL mode with foreign keys on, `synchronous=NORMAL` and a busy timeout.
    ///   The path must be absolute.
    /// - `postgres://user:password@host:port/db` or `postgresql://…`, including the socket
    ///   form `postgres:///db?host=/var/run/postgresql`.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::connect_postgres(url).await
        } else {
            Err(StoreError::Invalid(format!(
                "database URL {:?} is neither sqlite:///absolute/path.db nor postgres://…",
                redact_url(url)
            )))
        }
    }

    async fn connect_sqlite(url: &str) -> Result<Store> {
        let bad_url = |why: &str| {
            StoreError::Invalid(format!(
                "SQLite URL {url:?} {why}; give an absolute path such as \
                 sqlite:///var/lib/nova-ve/gateway.db"
            ))
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| bad_url(&format!("cannot be parsed ({e})")))?;
        let path = options.get_filename().to_owned();
        if !path.is_absolute() {
            return Err(bad_url("does not name an absolute path"));
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let location = path.display().to_string();
        let pool = SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                location: location.clone(),
                hint: "check that its directory exists and that this user may write there",
                source,
            })?;
        tracing::debug!(path = %location, "opened SQLite gateway store");
        Ok(Store {
            db: Db::Sqlite(pool),
            location,
        })
    }

    async fn connect_postgres(url: &str) -> Result<Store> {
        let options = PgConnectOptions::from_str(url).map_err(|e| {
            StoreError::Invalid(format!(
                "PostgreSQL URL {:?} cannot be parsed: {e}",
                redact_url(url)
            ))
        })?;
        let location = match options.get_socket() {
            Some(dir) => format!(
                "postgres://{}@{}/{}",
                options.get_username(),
                dir.display(),
                options.get_database().unwrap_or("")
            ),
            None => format!(
                "postgres://{}@{}:{}/{}",
                options.get_username(),
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or("")
            ),
        };
        let pool = PgPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                location: location.clone(),
                hint: "check the URL, that the server runs, and that the role may log in to \
                       that database",
                source,
            })?;
        tracing::debug!(location = %location, "connected to PostgreSQL gateway store");
        Ok(Store {
            db: Db::Postgres(pool),
            location,
        })
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Where the database is (SQLite path, or PostgreSQL user, host and database), for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Closes every pooled connection (waits for connections in use to come back).
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

/// The system clock in unix milliseconds, for the `now_ms` arguments.
pub fn now_ms() -> i64 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}

/// `url` with any password replaced by `***`, for messages.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    // `?password=…` is accepted too.
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redact_url_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://gw:s3cret@db:5432/nova"),
            "postgres://gw:***@db:5432/nova"
        );
        assert_eq!(
            redact_url("postgres:///nova?host=/run/pg"),
            "postgres:///nova?host=/run/pg"
        );
        assert_eq!(redact_url("postgres://gw@db/nova"), "postgres://gw@db/nova");
        assert_eq!(
            redact_url("postgres://db/nova?user=gw&password=pw"),
            "postgres://db/nova?user=gw&password=***"
        );
        assert_eq!(redact_url("mysql:x"), "mysql:x");
    }
}
