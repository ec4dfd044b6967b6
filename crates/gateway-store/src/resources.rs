//! Ownership and shares of labs (by lab id) and folders (by path relative to the labs root).
//!
//! The store treats lab ids and folder paths as opaque text: labd decides which exist, and the
//! gateway passes them in labd's canonical form (`a/b` for folders, `""` is the root). A share
//! needs a `resources` row; [`Store::share`] adds one without owner when there is none, and
//! shares go when their resource is forgotten and move when it is renamed (foreign key with
//! `ON DELETE CASCADE ON UPDATE CASCADE`). Every function refuses an id that could not have
//! been recorded (empty, too long, control characters) with [`StoreError::Invalid`].

use crate::rows::{ShareRow, SharedResourceRow, parse_column};
use crate::types::{ResourceKind, Share, ShareLevel, SharedResource, UserId};
use crate::validate::check_resource_id;
use crate::{Result, Store, StoreError};

/// Rows of `kind` whose id is `$2` or below it (`$2/…`); `$1` is the kind.
const ID_OR_BELOW: &str = "kind = $1 AND (resource_id = $2 \
     OR substr(resource_id, 1, length($2) + 1) = $2 || '/')";

impl Store {
    /// Makes `owner` the owner of a lab or folder (replacing any previous owner).
    /// [`StoreError::NotFound`] when the user does not exist.
    pub async fn set_owner(
        &self,
        kind: ResourceKind,
        id: &str,
        owner: UserId,
        now_ms: i64,
    ) -> Result<()> {
        check_resource_id(id)?;
        with_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO resources (kind, resource_id, owner_id, created_at) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, resource_id) DO UPDATE SET owner_id = excluded.owner_id",
            )
            .bind(kind.as_str())
            .bind(id)
            .bind(owner.0)
            .bind(now_ms)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(|e| {
            StoreError::foreign_key_or(e, || StoreError::NotFound(format!("user {owner}")))
        })?;
        Ok(())
    }

    /// The owner of a lab or folder; `None` when none is recorded or the owner was deleted.
    pub async fn owner_of(&self, kind: ResourceKind, id: &str) -> Result<Option<UserId>> {
        check_resource_id(id)?;
        let owner: Option<Option<i64>> = with_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT owner_id FROM resources WHERE kind = $1 AND resource_id = $2",
            )
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(pool)
            .await
        })?;
        Ok(owner.flatten().map(UserId))
    }

    /// Shares a lab or folder with a user at `level` (replacing an earlier level).
    /// [`StoreError::NotFound`] when the user does not exist.
    pub async fn share(
        &self,
        kind: ResourceKind,
        id: &str,
        user: UserId,
        level: ShareLevel,
        now_ms: i64,
    ) -> Result<()> {
        check_resource_id(id)?;
        let result: Result<(), sqlx::Error> = async {
            with_write_tx!(self, tx, _backend => {
                sqlx::query(
                    "INSERT INTO resources (kind, resource_id, owner_id, created_at) \
                     VALUES ($1, $2, NULL, $3) ON CONFLICT (kind, resource_id) DO NOTHING",
                )
                .bind(kind.as_str())
                .bind(id)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO shares (kind, resource_id, user_id, level, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (kind, resource_id, user_id) DO UPDATE SET level = excluded.level",
                )
                .bind(kind.as_str())
                .bind(id)
                .bind(user.0)
                .bind(level.as_str())
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            });
            Ok(())
        }
        .await;
        result.map_err(|e| {
            StoreError::foreign_key_or(e, || StoreError::NotFound(format!("user {user}")))
        })
    }

    /// Takes back a user's share. [`StoreError::NotFound`] when there was none.
    pub async fn unshare(&self, kind: ResourceKind, id: &str, user: UserId) -> Result<()> {
        check_resource_id(id)?;
        let deleted = with_pool!(self, pool => {
            sqlx::query("DELETE FROM shares WHERE kind = $1 AND resource_id = $2 AND user_id = $3")
                .bind(kind.as_str())
                .bind(id)
                .bind(user.0)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if deleted == 0 {
            return Err(StoreError::NotFound(format!(
                "share of {kind} {id:?} with user {user}"
            )));
        }
        Ok(())
    }

    /// Who a lab or folder is shared with, by username.
    pub async fn shares_of(&self, kind: ResourceKind, id: &str) -> Result<Vec<Share>> {
        check_resource_id(id)?;
        let rows: Vec<ShareRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT s.user_id, u.username, s.level FROM shares s \
                 JOIN users u ON u.id = s.user_id \
                 WHERE s.kind = $1 AND s.resource_id = $2 ORDER BY lower(u.username), u.id",
            )
            .bind(kind.as_str())
            .bind(id)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(Share {
                    user_id: UserId(row.user_id),
                    level: parse_column("shares.level", &row.level)?,
                    username: row.username,
                })
            })
            .collect()
    }

    /// The labs and folders shared with a user, folders first, then by id.
    pub async fn shares_for_user(&self, user: UserId) -> Result<Vec<SharedResource>> {
        let rows: Vec<SharedResourceRow> = with_pool!(self, pool => {
            sqlx::query_as(
                "SELECT kind, resource_id, level FROM shares WHERE user_id = $1 \
                 ORDER BY kind, resource_id",
            )
            .bind(user.0)
            .fetch_all(pool)
            .await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(SharedResource {
                    kind: row.kind()?,
                    level: row.level()?,
                    resource_id: row.resource_id,
                })
            })
            .collect()
    }

    /// Forgets a lab's or folder's owner and shares (the lab or folder was deleted). For a
    /// folder, everything recorded below it (`path/…`) goes too. Returns how many resources
    /// were forgotten (0 when none was recorded).
    pub async fn forget_resource(&self, kind: ResourceKind, id: &str) -> Result<u64> {
        check_resource_id(id)?;
        let which = match kind {
            ResourceKind::Lab => "kind = $1 AND resource_id = $2",
            ResourceKind::Folder => ID_OR_BELOW,
        };
        let shares = format!("DELETE FROM shares WHERE {which}");
        let resources = format!("DELETE FROM resources WHERE {which}");
        let deleted = with_write_tx!(self, tx, _backend => {
            // Shares go by cascade; deleting them here as well keeps a database whose
            // foreign keys were switched off consistent.
            sqlx::query(&shares).bind(kind.as_str()).bind(id).execute(&mut *tx).await?;
            sqlx::query(&resources)
                .bind(kind.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// A folder was renamed or moved from `old` to `new`: its record and those of every folder
    /// below it (`old/…` becomes `new/…`) move, with their shares. Returns how many moved.
    /// [`StoreError::Invalid`] when `new` is inside `old`, [`StoreError::AlreadyExists`] when a
    /// folder recorded at the new place is in the way.
    pub async fn rename_folder_resources(&self, old: &str, new: &str) -> Result<u64> {
        check_resource_id(old)?;
        check_resource_id(new)?;
        if old == new {
            return Ok(0);
        }
        if new.starts_with(&format!("{old}/")) {
            return Err(StoreError::Invalid(format!(
                "cannot move folder {old:?} into itself ({new:?})"
            )));
        }
        let sql = format!(
            "UPDATE resources SET resource_id = $3 || substr(resource_id, length($2) + 1) \
             WHERE {ID_OR_BELOW}"
        );
        let result: Result<u64, sqlx::Error> = async {
            Ok(with_write_tx!(self, tx, _backend => {
                sqlx::query(&sql)
                    .bind(ResourceKind::Folder.as_str())
                    .bind(old)
                    .bind(new)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            }))
        }
        .await;
        let moved = result.map_err(|e| {
            StoreError::unique_or(e, || {
                StoreError::AlreadyExists(format!(
                    "folder {new:?} (or one below it) already has an owner or shares recorded; \
                     forget it first"
                ))
            })
        })?;
        tracing::debug!(old, new, moved, "moved folder records");
        Ok(moved)
    }
}
