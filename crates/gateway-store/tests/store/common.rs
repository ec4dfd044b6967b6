//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database dropped afterwards (also
//! when the test fails). Nothing is mocked.

use std::sync::atomic::{AtomicU32, Ordering};

use nova_gateway_store::{Backend, NewUser, Role, Store, User};
use sqlx::{Connection, Executor, PgConnection, PgPool, Row, SqlitePool};

/// Where the PostgreSQL tests connect to create their databases; override with
/// `NOVA_TEST_POSTGRES_URL`. The role must be allowed to CREATE DATABASE.
pub const POSTGRES_URL_ENV: &str = "NOVA_TEST_POSTGRES_URL";
pub const POSTGRES_DEFAULT_URL: &str = "postgres:///postgres?host=/var/run/postgresql";
/// Test databases are named `nova_gw_test_<pid>_<n>`.
const PG_PREFIX: &str = "nova_gw_test_";

/// A moment to start the test clock at (unix ms).
pub const T0: i64 = 1_700_000_000_000;
/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery";

/// One test's database and a store on it.
pub struct TestDb {
    // Fields drop in order: the store's pool before the database.
    pub store: Store,
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    _pg: Option<PgDatabase>,
}

impl TestDb {
    pub fn backend(&self) -> Backend {
        self.store.backend()
    }

    /// A fresh SQLite database in a temporary directory under the build's target dir.
    pub async fn sqlite(migrate: bool) -> TestDb {
        let dir = tempfile::Builder::new()
            .prefix("gateway-store-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temporary directory under CARGO_TARGET_TMPDIR");
        let url = format!("sqlite://{}/gateway.db", dir.path().display());
        let store = Store::connect(&url).await.expect("open SQLite store");
        if migrate {
            store.migrate().await.expect("migrate");
        }
        TestDb {
            store,
            url,
            _sqlite_dir: Some(dir),
            _pg: None,
        }
    }

    /// A fresh PostgreSQL database on the test server. Fails, saying what to do, when the
    /// server cannot be reached: PostgreSQL tests are never skipped.
    pub async fn postgres(migrate: bool) -> TestDb {
        let pg = PgDatabase::create().await;
        let url = pg.url.clone();
        let store = Store::connect(&url)
            .await
            .expect("connect PostgreSQL store");
        if migrate {
            store.migrate().await.expect("migrate");
        }
        TestDb {
            store,
            url,
            _sqlite_dir: None,
            _pg: Some(pg),
        }
    }

    /// The SQLite file (for looking at its raw bytes).
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self._sqlite_dir
            .as_ref()
            .map(|d| d.path().join("gateway.db"))
    }

    /// Runs SQL straight on the database, around the store (to tamper with it or look at it).
    pub async fn raw_execute(&self, sql: &str) {
        match self.backend() {
            Backend::Sqlite => {
                let pool = SqlitePool::connect(&self.url).await.unwrap();
                pool.execute(sql).await.unwrap();
                pool.close().await;
            }
            _ => {
                let pool = PgPool::connect(&self.url).await.unwrap();
                pool.execute(sql).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// Every row of `table`, each as one text with all its values.
    pub async fn raw_rows(&self, table: &str) -> Vec<String> {
        match self.backend() {
            Backend::Sqlite => {
                let pool = SqlitePool::connect(&self.url).await.unwrap();
                let columns: Vec<String> =
                    sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                        .bind(table)
                        .fetch_all(&pool)
                        .await
                        .unwrap();
                assert!(!columns.is_empty(), "no table {table}");
                let concat = columns
                    .iter()
                    .map(|c| format!("coalesce(CAST({c} AS TEXT), '')"))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let rows = sqlx::query(&format!("SELECT {concat} FROM {table}"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
            _ => {
                let pool = PgPool::connect(&self.url).await.unwrap();
                let rows = sqlx::query(&format!("SELECT t::text FROM {table} t"))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                rows.iter().map(|r| r.get::<String, _>(0)).collect()
            }
        }
    }

    /// One text column of `table` (e.g. every token_hash).
    pub async fn raw_column(&self, table: &str, column: &str) -> Vec<String> {
        let sql = format!("SELECT {column} FROM {table} ORDER BY 1");
        match self.backend() {
            Backend::Sqlite => {
                let pool = SqlitePool::connect(&self.url).await.unwrap();
                let out = sqlx::query_scalar(&sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                out
            }
            _ => {
                let pool = PgPool::connect(&self.url).await.unwrap();
                let out = sqlx::query_scalar(&sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                out
            }
        }
    }
}

/// Creates a user with [`PASSWORD`].
pub async fn add_user(store: &Store, username: &str, role: Role) -> User {
    store
        .create_user(
            &NewUser {
                username,
                display_name: "",
                role,
                password: PASSWORD,
            },
            T0,
        )
        .await
        .unwrap_or_else(|e| panic!("create user {username}: {e}"))
}

/// The test server's URL.
pub fn postgres_admin_url() -> String {
    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| POSTGRES_DEFAULT_URL.to_owned())
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").expect("a URL with ://");
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    let mut out = format!("{scheme}://{authority}/{database}");
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// Connects to the test server, failing with instructions when it cannot.
pub async fn admin_connection() -> PgConnection {
    let admin_url = postgres_admin_url();
    match PgConnection::connect(&admin_url).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {admin_url}: {e}\n\
             The gateway store's tests need a PostgreSQL server: run scripts/install-test-deps \
             as root (it installs PostgreSQL, starts it and creates the superuser role root), or \
             set {POSTGRES_URL_ENV} to a server where this user may CREATE DATABASE."
        ),
    }
}

/// A PostgreSQL database that exists for one test; dropping it drops the database.
struct PgDatabase {
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create() -> PgDatabase {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let mut admin = admin_connection().await;
        drop_stale_databases(&mut admin).await;
        let name = format!(
            "{PG_PREFIX}{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        admin
            .execute(format!("CREATE DATABASE \"{name}\"").as_str())
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        admin.close().await.ok();
        let url = with_database(&postgres_admin_url(), &name);
        PgDatabase { name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on async work: use a thread
        // with a runtime of its own. WITH (FORCE) ends the store's pooled connections.
        let name = self.name.clone();
        let result = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&postgres_admin_url()).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            })
        })
        .join();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop test database {}: {e}", self.name),
            Err(_) => eprintln!(
                "could not drop test database {}: the thread panicked",
                self.name
            ),
        }
    }
}

/// Drops test databases of processes that are gone (killed before their guard ran).
async fn drop_stale_databases(admin: &mut PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'nova\\_gw\\_test\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let pid = name
            .strip_prefix(PG_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = pid
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
                .await;
        }
    }
}

/// Runs each named `async fn(TestDb)` once on SQLite and once on PostgreSQL, as tests
/// `sqlite::<name>` and `postgres::<name>`. `migrated:` gets a migrated database, `fresh:` an
/// empty one.
macro_rules! on_both_backends {
    (@mode migrated) => { true };
    (@mode fresh) => { false };
    ($mode:ident: $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let migrate = crate::common::on_both_backends!(@mode $mode);
                    let db = crate::common::TestDb::sqlite(migrate).await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let migrate = crate::common::on_both_backends!(@mode $mode);
                    let db = crate::common::TestDb::postgres(migrate).await;
                    super::$name(db).await;
                }
            )*
        }
    };
}
pub(crate) use on_both_backends;
