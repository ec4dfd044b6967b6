//! Login sessions: the cookie holds a random secret; the database holds its SHA-256.

use crate::rows::{SESSION_COLUMNS, SESSION_USER_COLUMNS, SessionRow, SessionUserRow};
use crate::secret::{Secret, new_secret, secret_hash};
use crate::types::{NewSession, Session, User, UserId};
use crate::validate::{SESSION_FIELD_MAX_CHARS, TOUCH_INTERVAL_MS, sanitize_opt};
use crate::{Result, Store, StoreError};

/// Whether a session has ended at `now_ms`: past `expires_at`, or unused for its idle timeout.
/// The SQL twin is in [`Store::purge_expired`].
fn session_ended(session: &Session, now_ms: i64) -> bool {
    now_ms >= session.expires_at
        || session
            .idle_timeout_ms
            .is_some_and(|idle| now_ms >= session.last_seen_at.saturating_add(idle))
}

impl Store {
    /// Starts a session for an existing, enabled user. Returns the secret for the cookie (shown
    /// this once: only its SHA-256 is stored) and the session, whose `csrf_token` the web app
    /// must echo on unsafe requests.
    pub async fn create_session(
        &self,
        new: &NewSession<'_>,
        now_ms: i64,
    ) -> Result<(Secret, Session)> {
        if new.lifetime_ms <= 0 {
            return Err(StoreError::Invalid(format!(
                "a session lifetime must be positive, not {} ms",
                new.lifetime_ms
            )));
        }
        if let Some(idle) = new.idle_timeout_ms
            && idle <= 0
        {
            return Err(StoreError::Invalid(format!(
                "a session idle timeout must be positive (or none), not {idle} ms"
            )));
        }
        let secret = new_secret("")?;
        let csrf = new_secret("")?;
        let remote_addr = sanitize_opt(new.remote_addr, SESSION_FIELD_MAX_CHARS);
        let user_agent = sanitize_opt(new.user_agent, SESSION_FIELD_MAX_CHARS);
        let insert = format!(
            "INSERT INTO sessions (user_id, token_hash, csrf_token, created_at, expires_at, \
             last_seen_at, idle_timeout_ms, remote_addr, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $4, $6, $7, $8) RETURNING {SESSION_COLUMNS}"
        );
        let user_id = new.user_id;
        let row: SessionRow = with_write_tx!(self, tx, _backend => {
            let disabled: Option<bool> =
                sqlx::query_scalar("SELECT disabled FROM users WHERE id = $1")
                    .bind(user_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            match disabled {
                None => return Err(StoreError::NotFound(format!("user {user_id}"))),
                Some(true) => {
                    return Err(StoreError::Invalid(format!(
                        "user {user_id} is disabled; enable it before starting a session"
                    )));
                }
                Some(false) => {}
            }
            sqlx::query_as(&insert)
                .bind(user_id.0)
                .bind(secret_hash(secret.expose()))
                .bind(csrf.expose())
                .bind(now_ms)
                .bind(now_ms.saturating_add(new.lifetime_ms))
                .bind(new.idle_timeout_ms)
                .bind(remote_addr)
                .bind(user_agent)
                .fetch_one(&mut *tx)
                .await?
        });
        let session = row.into_session();
        tracing::debug!(
            user_id = user_id.0,
            session_id = session.id.0,
            "started session"
        );
        Ok((secret, session))
    }

    /// The session whose cookie secret this is, with its user, when it is live at `now_ms`:
    /// not past `expires_at`, not idle for longer than its idle timeout, and its user enabled.
    /// An ended session is deleted on the way. A live one has `last_seen_at` moved to `now_ms`
    /// when it is more than [`TOUCH_INTERVAL_MS`] old (one write per half minute, not per
    /// request). `None` for an unknown, ended or disabled-user session.
    pub async fn session_by_token(
        &self,
        secret: &str,
        now_ms: i64,
    ) -> Result<Option<(Session, User)>> {
        let sql = format!(
            "SELECT {SESSION_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1"
        );
        let hash = secret_hash(secret);
        let row: Option<SessionUserRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(&hash).fetch_optional(pool).await
        })?;
        let Some(row) = row else { return Ok(None) };
        let mut session = row.session.into_session();
        let user = row.owner.into_user(session.user_id)?;
        if session_ended(&session, now_ms) {
            with_pool!(self, pool => {
                sqlx::query("DELETE FROM sessions WHERE id = $1")
                    .bind(session.id.0)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            tracing::debug!(session_id = session.id.0, "removed ended session");
            return Ok(None);
        }
        if user.disabled {
            return Ok(None);
        }
        if now_ms - session.last_seen_at >= TOUCH_INTERVAL_MS {
            with_pool!(self, pool => {
                sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
                    .bind(session.id.0)
                    .bind(now_ms)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            session.last_seen_at = now_ms;
        }
        Ok(Some((session, user)))
    }

    /// Ends the session whose cookie secret this is (log out). `false` when there was none.
    pub async fn delete_session(&self, secret: &str) -> Result<bool> {
        let hash = secret_hash(secret);
        let deleted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(&hash)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(deleted > 0)
    }

    /// Ends every session of a user (log out everywhere); returns how many ended.
    pub async fn delete_sessions_of(&self, user: UserId) -> Result<u64> {
        let deleted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.0)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(deleted)
    }

    /// A user's live sessions at `now_ms`, newest first (for "where am I logged in").
    pub async fn sessions_of(&self, user: UserId, now_ms: i64) -> Result<Vec<Session>> {
        let sql =
            format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = $1 ORDER BY id DESC");
        let rows: Vec<SessionRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(SessionRow::into_session)
            .filter(|s| !session_ended(s, now_ms))
            .collect())
    }

    /// Deletes every session ended at `now_ms` (expired or idle too long); returns how many.
    /// Run it now and then: [`Store::session_by_token`] only removes the ones it meets.
    pub async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        let deleted = with_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM sessions WHERE expires_at <= $1 \
                 OR (idle_timeout_ms IS NOT NULL AND last_seen_at + idle_timeout_ms <= $1)",
            )
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        if deleted > 0 {
            tracing::debug!(sessions = deleted, "purged ended sessions");
        }
        Ok(deleted)
    }
}
