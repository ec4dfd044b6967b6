//! Opening a store: URL forms, and errors that say what to check.

use nova_gateway_store::{Backend, Store, StoreError};

use crate::common::{TestDb, admin_connection, postgres_admin_url, with_database};

#[tokio::test]
async fn sqlite_file_is_created_in_wal_mode() {
    let db = TestDb::sqlite(true).await;
    let path = db.sqlite_path().unwrap();
    assert!(path.exists());
    assert_eq!(db.store.backend(), Backend::Sqlite);
    assert_eq!(db.store.location(), path.display().to_string());
    let modes = db.raw_column("pragma_journal_mode", "journal_mode").await;
    assert_eq!(modes, ["wal"]);
    let debug = format!("{:?}", db.store);
    assert!(
        debug.contains("Sqlite") && debug.contains("gateway.db"),
        "{debug}"
    );
}

#[tokio::test]
async fn sqlite_url_must_name_an_absolute_path() {
    for url in [
        "sqlite://relative.db",
        "sqlite:relative.db",
        "sqlite::memory:",
    ] {
        let err = Store::connect(url).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{url}: {err:?}");
        assert!(err.to_string().contains("absolute path"), "{err}");
    }
}

#[tokio::test]
async fn sqlite_in_a_missing_directory_says_what_to_check() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let url = format!("sqlite://{}/no/such/dir/gateway.db", dir.path().display());
    let err = Store::connect(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("directory exists"), "{err}");
}

#[tokio::test]
async fn other_schemes_are_refused_without_showing_passwords() {
    let err = Store::connect("mysql://gw:hunter2@db/nova")
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("sqlite:///") && message.contains("postgres://"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn postgres_store_debug_shows_where_but_no_password() {
    let db = TestDb::postgres(false).await;
    assert_eq!(db.store.backend(), Backend::Postgres);
    let debug = format!("{:?}", db.store);
    assert!(
        debug.contains("Postgres") && debug.contains("nova_gw_test_"),
        "{debug}"
    );
}

#[tokio::test]
async fn postgres_missing_database_says_what_to_check() {
    // Reachable server (fails with instructions otherwise), missing database.
    drop(admin_connection().await);
    let url = with_database(&postgres_admin_url(), "nova_gw_no_such_database");
    let err = Store::connect(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("nova_gw_no_such_database"), "{message}");
    assert!(message.contains("check the URL"), "{message}");
}
