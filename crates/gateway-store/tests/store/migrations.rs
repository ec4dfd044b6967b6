//! Migrations: listed before, applied once, refused when the database does not match the build.

use nova_gateway_store::{Backend, Store, StoreError};

use crate::common::{TestDb, on_both_backends};

on_both_backends!(fresh:
    fresh_database_is_pending_then_migrated_once,
    connect_does_not_migrate,
    edited_migration_is_refused,
    unknown_migration_is_refused,
    half_applied_migration_is_refused,
    schema_has_every_table,
);

async fn fresh_database_is_pending_then_migrated_once(db: TestDb) {
    let pending = db.store.pending_migrations().await.unwrap();
    assert_eq!(pending, vec!["1 initial schema".to_owned()]);
    // Listing changed nothing.
    assert_eq!(db.store.pending_migrations().await.unwrap(), pending);

    assert_eq!(db.store.migrate().await.unwrap(), pending);
    assert!(db.store.pending_migrations().await.unwrap().is_empty());
    assert!(
        db.store.migrate().await.unwrap().is_empty(),
        "a second migrate is a no-op"
    );

    let again = Store::connect(&db.url).await.unwrap();
    assert!(again.pending_migrations().await.unwrap().is_empty());
    assert_eq!(again.count_users().await.unwrap(), 0);
}

async fn connect_does_not_migrate(db: TestDb) {
    let err = db.store.count_users().await.unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(err.to_string().contains("migrated"), "{err}");
    assert_eq!(db.store.pending_migrations().await.unwrap().len(), 1);
}

fn bytes_literal(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "x'00'",
        _ => "'\\x00'::bytea",
    }
}

async fn edited_migration_is_refused(db: TestDb) {
    db.store.migrate().await.unwrap();
    let zero = bytes_literal(db.backend());
    db.raw_execute(&format!(
        "UPDATE _sqlx_migrations SET checksum = {zero} WHERE version = 1"
    ))
    .await;
    for err in [
        db.store.pending_migrations().await.unwrap_err(),
        db.store.migrate().await.unwrap_err(),
    ] {
        assert!(
            matches!(err, StoreError::MigrationChanged { version: 1, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string()
                .contains("differs from the one in this build"),
            "{err}"
        );
    }
}

async fn unknown_migration_is_refused(db: TestDb) {
    db.store.migrate().await.unwrap();
    let zero = bytes_literal(db.backend());
    db.raw_execute(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (999, 'from the future', TRUE, {zero}, 0)"
    ))
    .await;
    for err in [
        db.store.pending_migrations().await.unwrap_err(),
        db.store.migrate().await.unwrap_err(),
    ] {
        assert!(
            matches!(err, StoreError::MigrationUnknown { version: 999 }),
            "{err:?}"
        );
        assert!(err.to_string().contains("upgrade nova-ve"), "{err}");
    }
}

async fn half_applied_migration_is_refused(db: TestDb) {
    db.store.migrate().await.unwrap();
    db.raw_execute("UPDATE _sqlx_migrations SET success = FALSE WHERE version = 1")
        .await;
    for err in [
        db.store.pending_migrations().await.unwrap_err(),
        db.store.migrate().await.unwrap_err(),
    ] {
        assert!(
            matches!(err, StoreError::MigrationDirty { version: 1 }),
            "{err:?}"
        );
    }
}

/// The tables and columns the migration makes, the same on both backends.
async fn schema_has_every_table(db: TestDb) {
    db.store.migrate().await.unwrap();
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name || '.' || p.name || CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 \
             THEN ' not null' ELSE '' END AS x \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> '_sqlx_migrations'"
        }
        _ => {
            "SELECT table_name || '.' || column_name || CASE WHEN is_nullable = 'NO' \
             THEN ' not null' ELSE '' END AS x \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'"
        }
    };
    let mut columns = db.raw_column(&format!("({sql}) AS c"), "x").await;
    columns.sort();
    let expected = [
        "api_tokens.created_at not null",
        "api_tokens.expires_at",
        "api_tokens.id not null",
        "api_tokens.last_used_at",
        "api_tokens.name not null",
        "api_tokens.prefix not null",
        "api_tokens.revoked_at",
        "api_tokens.token_hash not null",
        "api_tokens.user_id not null",
        "audit.action not null",
        "audit.at not null",
        "audit.detail",
        "audit.id not null",
        "audit.lab_id",
        "audit.node_id",
        "audit.remote_addr",
        "audit.result not null",
        "audit.target",
        "audit.user_id",
        "audit.username not null",
        "resources.created_at not null",
        "resources.kind not null",
        "resources.owner_id",
        "resources.resource_id not null",
        "sessions.created_at not null",
        "sessions.csrf_token not null",
        "sessions.expires_at not null",
        "sessions.id not null",
        "sessions.idle_timeout_ms",
        "sessions.last_seen_at not null",
        "sessions.remote_addr",
        "sessions.token_hash not null",
        "sessions.user_agent",
        "sessions.user_id not null",
        "shares.created_at not null",
        "shares.kind not null",
        "shares.level not null",
        "shares.resource_id not null",
        "shares.user_id not null",
        "users.created_at not null",
        "users.disabled not null",
        "users.display_name not null",
        "users.id not null",
        "users.password_hash not null",
        "users.role not null",
        "users.updated_at not null",
        "users.username not null",
    ];
    assert_eq!(columns, expected);
}
