//! Web users: create, look up, list, update, passwords, delete, logins.

use crate::rows::{USER_COLUMNS, UserRow, UserWithHashRow};
use crate::secret::{DUMMY_PASSWORD_HASH, hash_password, verify_password};
use crate::types::{NewUser, Role, SessionId, User, UserId, UserUpdate};
use crate::validate::{PASSWORD_MAX_BYTES, check_display_name, check_password, check_username};
use crate::{Backend, Result, Store, StoreError};

/// PostgreSQL: lock every enabled admin's row before a change that could remove the last one,
/// so that two such changes in parallel (demote Alice, demote Bob) are checked one after the
/// other. In id order, so that two of them never deadlock. (SQLite write transactions are
/// already serial: `BEGIN IMMEDIATE`.)
const LOCK_ENABLED_ADMINS_PG: &str =
    "SELECT id FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE";

const COUNT_OTHER_ENABLED_ADMINS: &str =
    "SELECT COUNT(*) FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1";

fn user_not_found(id: UserId) -> StoreError {
    StoreError::NotFound(format!("user {id}"))
}

fn username_taken(username: &str) -> StoreError {
    StoreError::AlreadyExists(format!(
        "username {username:?} is taken (usernames are unique regardless of case); choose another"
    ))
}

impl Store {
    /// Creates a user. [`StoreError::Invalid`] for a bad username, display name or password,
    /// [`StoreError::AlreadyExists`] when the username is taken (in any letter case).
    pub async fn create_user(&self, new: &NewUser<'_>, now_ms: i64) -> Result<User> {
        check_username(new.username)?;
        check_display_name(new.display_name)?;
        check_password(new.password)?;
        let hash = hash_password(new.password).await?;
        let sql = format!(
            "INSERT INTO users (username, display_name, role, password_hash, disabled, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, FALSE, $5, $5) \
             RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = with_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(new.username)
                .bind(new.display_name)
                .bind(new.role.as_str())
                .bind(&hash)
                .bind(now_ms)
                .fetch_one(pool)
                .await
        })
        .map_err(|e| StoreError::unique_or(e, || username_taken(new.username)))?;
        let user = row.into_user()?;
        tracing::info!(
            user_id = user.id.0,
            username = %user.username,
            role = %user.role,
            "created web user"
        );
        Ok(user)
    }

    /// The user with this id, or [`StoreError::NotFound`].
    pub async fn user(&self, id: UserId) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).bind(id.0).fetch_optional(pool).await)?;
        row.ok_or_else(|| user_not_found(id))?.into_user()
    }

    /// The user with this username (in any letter case), or [`StoreError::NotFound`].
    pub async fn user_by_name(&self, username: &str) -> Result<User> {
        let not_found = || StoreError::NotFound(format!("user {username:?}"));
        // A name no user can have is not looked up (PostgreSQL refuses NUL in text).
        check_username(username).map_err(|_| not_found())?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1)");
        let row: Option<UserRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await
        })?;
        row.ok_or_else(not_found)?.into_user()
    }

    /// Every user, by username.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY lower(username), id");
        let rows: Vec<UserRow> =
            with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    /// How many users exist (0 on a fresh install: time to create the first admin).
    pub async fn count_users(&self) -> Result<u64> {
        let count: i64 = with_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(pool).await
        })?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Changes a user's display name, role or disabled state and returns the user as now stored.
    /// Disabling also ends the user's sessions (API tokens stop authenticating while disabled).
    /// [`StoreError::LastAdmin`] when the change would leave no enabled admin.
    pub async fn update_user(&self, id: UserId, update: &UserUpdate, now_ms: i64) -> Result<User> {
        if let Some(name) = &update.display_name {
            check_display_name(name)?;
        }
        let select = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let update_sql = format!(
            "UPDATE users SET display_name = $2, role = $3, disabled = $4, updated_at = $5 \
             WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let user = with_write_tx!(self, tx, backend => {
            if backend == Backend::Postgres {
                sqlx::query(LOCK_ENABLED_ADMINS_PG).execute(&mut *tx).await?;
            }
            let row: Option<UserRow> =
                sqlx::query_as(&select).bind(id.0).fetch_optional(&mut *tx).await?;
            let before = row.ok_or_else(|| user_not_found(id))?.into_user()?;
            let role = update.role.unwrap_or(before.role);
            let disabled = update.disabled.unwrap_or(before.disabled);
            let loses_admin = role != Role::Admin || disabled;
            if before.role == Role::Admin && !before.disabled && loses_admin {
                let others: i64 = sqlx::query_scalar(COUNT_OTHER_ENABLED_ADMINS)
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                if others == 0 {
                    return Err(StoreError::LastAdmin { username: before.username });
                }
            }
            let display_name = update.display_name.as_deref().unwrap_or(&before.display_name);
            let row: UserRow = sqlx::query_as(&update_sql)
                .bind(id.0)
                .bind(display_name)
                .bind(role.as_str())
                .bind(disabled)
                .bind(now_ms)
                .fetch_one(&mut *tx)
                .await?;
            if disabled && !before.disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
            }
            row.into_user()?
        });
        tracing::info!(
            user_id = id.0,
            username = %user.username,
            role = %user.role,
            disabled = user.disabled,
            "updated web user"
        );
        Ok(user)
    }

    /// Sets a user's password and ends all their sessions except `except_session` (the one
    /// the change was made from, so its owner stays logged in). API tokens stay valid.
    pub async fn set_password(
        &self,
        id: UserId,
        password: &str,
        except_session: Option<SessionId>,
        now_ms: i64,
    ) -> Result<()> {
        check_password(password)?;
        // Hash before the transaction: it takes tens of milliseconds.
        let hash = hash_password(password).await?;
        let ended = with_write_tx!(self, tx, _backend => {
            let changed = sqlx::query(
                "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
            )
            .bind(id.0)
            .bind(&hash)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(user_not_found(id));
            }
            // -1: no session has that id, so none is kept.
            let keep = except_session.map_or(-1, |s| s.0);
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
                .bind(id.0)
                .bind(keep)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        tracing::info!(
            user_id = id.0,
            sessions_ended = ended,
            "changed web user's password"
        );
        Ok(())
    }

    /// Deletes a user with their sessions, API tokens and shares; labs and folders they owned
    /// stay, without owner. Audit entries keep their username. [`StoreError::LastAdmin`] for
    /// the last enabled admin.
    pub async fn delete_user(&self, id: UserId) -> Result<()> {
        let select = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let user = with_write_tx!(self, tx, backend => {
            if backend == Backend::Postgres {
                sqlx::query(LOCK_ENABLED_ADMINS_PG).execute(&mut *tx).await?;
            }
            let row: Option<UserRow> =
                sqlx::query_as(&select).bind(id.0).fetch_optional(&mut *tx).await?;
            let user = row.ok_or_else(|| user_not_found(id))?.into_user()?;
            if user.role == Role::Admin && !user.disabled {
                let others: i64 = sqlx::query_scalar(COUNT_OTHER_ENABLED_ADMINS)
                    .bind(id.0)
                    .fetch_one(&mut *tx)
                    .await?;
                if others == 0 {
                    return Err(StoreError::LastAdmin { username: user.username });
                }
            }
            sqlx::query("DELETE FROM users WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
            user
        });
        tracing::info!(user_id = id.0, username = %user.username, "deleted web user");
        Ok(())
    }

    /// Checks a login. `Some(user)` when the username exists (in any letter case), the
    /// password matches and the user is enabled; `None` otherwise, without saying why.
    ///
    /// Exactly one argon2 verification runs whether or not the username exists (an unknown
    /// one is checked against a fixed dummy hash), so response time does not reveal which
    /// usernames exist. Inputs no user could have (a malformed username, a password over
    /// [`PASSWORD_MAX_BYTES`]) are refused at once: that reveals nothing about the database.
    pub async fn verify_login(&self, username: &str, password: &str) -> Result<Option<User>> {
        if check_username(username).is_err() || password.len() > PASSWORD_MAX_BYTES {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE lower(username) = lower($1)"
        );
        let row: Option<UserWithHashRow> = with_pool!(self, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await
        })?;
        let (hash, user) = match row {
            Some(row) => (row.password_hash, Some(row.user.into_user()?)),
            None => (DUMMY_PASSWORD_HASH.to_owned(), None),
        };
        let matches = verify_password(password, hash).await?;
        Ok(user.filter(|user| matches && !user.disabled))
    }
}
