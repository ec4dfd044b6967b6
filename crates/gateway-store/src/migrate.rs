//! Schema migrations: `migrations/sqlite` and `migrations/postgres` at the workspace root, the
//! same schema in each dialect, embedded at build time (see `build.rs`). Applied ones are
//! recorded, with a checksum, in sqlx's `_sqlx_migrations` table.

use sqlx::migrate::{AppliedMigration, Migrate, Migration, Migrator};

use crate::{Backend, Result, Store, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/postgres");

pub(crate) fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// How a migration is named in lists: `"1 initial schema"`.
fn describe(migration: &Migration) -> String {
    format!("{} {}", migration.version, migration.description)
}

/// The migrations of `migrator` not yet applied, after checking that what was applied is what
/// this build has: no half-applied migration, no unknown one, no edited one.
fn pending<'m>(
    migrator: &'m Migrator,
    dirty: Option<i64>,
    applied: &[AppliedMigration],
) -> Result<Vec<&'m Migration>> {
    if let Some(version) = dirty {
        return Err(StoreError::MigrationDirty { version });
    }
    let ours = |version| {
        migrator
            .iter()
            .find(|m| m.version == version && !m.migration_type.is_down_migration())
    };
    for done in applied {
        let Some(ours) = ours(done.version) else {
            return Err(StoreError::MigrationUnknown {
                version: done.version,
            });
        };
        if ours.checksum != done.checksum {
            return Err(StoreError::MigrationChanged {
                version: done.version,
                description: ours.description.to_string(),
            });
        }
    }
    Ok(migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .filter(|m| !applied.iter().any(|done| done.version == m.version))
        .collect())
}

async fn apply_pending<C: Migrate>(conn: &mut C, migrator: &Migrator) -> Result<Vec<String>> {
    conn.ensure_migrations_table().await?;
    let dirty = conn.dirty_version().await?;
    let applied = conn.list_applied_migrations().await?;
    let mut done = Vec::new();
    for migration in pending(migrator, dirty, &applied)? {
        conn.apply(migration).await?;
        tracing::info!(
            version = migration.version,
            description = %migration.description,
            "applied gateway database migration"
        );
        done.push(describe(migration));
    }
    Ok(done)
}

impl Store {
    /// The migrations this build would apply, as `"<version> <description>"`, oldest first;
    /// empty when the database is up to date. Changes nothing (a fresh database has all
    /// pending). Errors when the database does not match this build: a migration applied
    /// with other contents ([`StoreError::MigrationChanged`]), one this build does not know
    /// ([`StoreError::MigrationUnknown`]) or one that did not finish
    /// ([`StoreError::MigrationDirty`]). The gateway refuses to start unless this is empty.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        let backend = self.backend();
        let migrator = migrator(backend);
        let table_exists = match backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master \
                 WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM pg_catalog.pg_tables \
                 WHERE schemaname = current_schema() AND tablename = '_sqlx_migrations'"
            }
        };
        with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            let tables: i64 = sqlx::query_scalar(table_exists).fetch_one(&mut *conn).await?;
            let pending = if tables == 0 {
                pending(migrator, None, &[])?
            } else {
                let dirty = conn.dirty_version().await?;
                let applied = conn.list_applied_migrations().await?;
                pending(migrator, dirty, &applied)?
            };
            Ok(pending.into_iter().map(describe).collect())
        })
    }

    /// Applies the pending migrations, each in its own transaction, and returns what it
    /// applied (as [`Store::pending_migrations`] names them); empty when there was nothing to
    /// do. Refuses, changing nothing, in the cases where `pending_migrations` errs. On
    /// PostgreSQL concurrent runs wait for each other (advisory lock).
    ///
    /// An operator step (`novactl`/gateway command), never done implicitly.
    pub async fn migrate(&self) -> Result<Vec<String>> {
        let migrator = migrator(self.backend());
        with_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            conn.lock().await?;
            let outcome = apply_pending(&mut *conn, migrator).await;
            let unlocked = conn.unlock().await;
            let applied = outcome?;
            unlocked?;
            Ok(applied)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both dialects have the same migrations, by number and description.
    #[test]
    fn both_dialects_have_the_same_migrations() {
        let names = |backend| migrator(backend).iter().map(describe).collect::<Vec<_>>();
        let sqlite = names(Backend::Sqlite);
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names(Backend::Postgres));
        assert_eq!(sqlite[0], "1 initial schema");
    }
}
