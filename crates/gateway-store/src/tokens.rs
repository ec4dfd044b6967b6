//! API tokens: `nvt_…` secrets for scripts and novactl-like clients, acting as their owner.

use crate::rows::{API_TOKEN_COLUMNS, API_TOKEN_USER_COLUMNS, ApiTokenRow, ApiTokenUserRow};
use crate::secret::{Secret, new_secret, secret_hash};
use crate::types::{ApiToken, ApiTokenId, User, UserId};
use crate::validate::{
    API_TOKEN_PREFIX, API_TOKEN_PREFIX_CHARS, TOUCH_INTERVAL_MS, check_token_name,
};
use crate::{Result, Store, StoreError};

impl Store {
    /// Creates an API token for a user. Returns its secret (`nvt_` and 43 base64url
    /// characters; shown this once: only its SHA-256 is stored) and the token.
    /// `expires_at` (unix ms) must be after `now_ms`; `None` for a token that does not expire.
    pub async fn create_api_token(
        &self,
        user: UserId,
        name: &str,
        expires_at: Option<i64>,
        now_ms: i64,
    ) -> Result<(Secret, ApiToken)> {
        check_token_name(name)?;
        if let Some(at) = expires_at
            && at <= now_ms
        {
            return Err(StoreError::Invalid(format!(
                "an API token's expiry ({at}) must be in the future (now is {now_ms})"
            )));
        }
        let secret = new_secret(API_TOKEN_PREFIX)?;
        let prefix: String = secret
            .expose()
            .chars()
            .take(API_TOKEN_PREFIX_CHARS)
            .collect();
        let sql = format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {API_TOKEN_COLUMNS}"
        );
        let row: ApiTokenRow = with_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(user.0)
                .bind(name)
                .bind(secret_hash(secret.expose()))
                .bind(&prefix)
                .bind(now_ms)
                .bind(expires_at)
                .fetch_one(pool)
                .await
        })
        .map_err(|e| {
            StoreError::foreign_key_or(e, || StoreError::NotFound(format!("user {user}")))
        })?;
        let token = row.into_token();
        tracing::info!(
            user_id = user.0,
            token_id = token.id.0,
            prefix = %token.prefix,
            "created API token"
        );
        Ok((secret, token))
    }

    /// A user's API tokens, revoked and expired ones included, newest first.
    pub async fn list_api_tokens(&self, user: UserId) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
        );
        let rows: Vec<ApiTokenRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(user.0).fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(ApiTokenRow::into_token).collect())
    }

    /// Revokes one of a user's tokens (it stays listed, with `revoked_at`). Revoking a revoked
    /// token changes nothing. [`StoreError::NotFound`] when the user has no such token.
    pub async fn revoke_api_token(&self, user: UserId, id: ApiTokenId, now_ms: i64) -> Result<()> {
        let changed = with_pool!(self, pool => {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
                 WHERE id = $1 AND user_id = $2",
            )
            .bind(id.0)
            .bind(user.0)
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "API token {id} of user {user}"
            )));
        }
        tracing::info!(user_id = user.0, token_id = id.0, "revoked API token");
        Ok(())
    }

    /// The token whose secret this is, with its owner, when it authenticates at `now_ms`: not
    /// revoked, not expired, owner enabled. Moves `last_used_at` to `now_ms` when it is unset
    /// or more than [`TOUCH_INTERVAL_MS`] old. `None` otherwise, without saying why.
    pub async fn authenticate_api_token(
        &self,
        secret: &str,
        now_ms: i64,
    ) -> Result<Option<(ApiToken, User)>> {
        if !secret.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {API_TOKEN_USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1"
        );
        let hash = secret_hash(secret);
        let row: Option<ApiTokenUserRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(&hash).fetch_optional(pool).await
        })?;
        let Some(row) = row else { return Ok(None) };
        let mut token = row.token.into_token();
        let user = row.owner.into_user(token.user_id)?;
        if !token.is_active(now_ms) || user.disabled {
            return Ok(None);
        }
        if token
            .last_used_at
            .is_none_or(|at| now_ms - at >= TOUCH_INTERVAL_MS)
        {
            with_pool!(self, pool => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token.id.0)
                    .bind(now_ms)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            token.last_used_at = Some(now_ms);
        }
        Ok(Some((token, user)))
    }
}
