//! The store's one error type. Each message says what went wrong and, where the caller can do
//! something about it, what to do.

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What went wrong in a store operation. The gateway maps these to HTTP statuses in one place:
/// `NotFound` → 404, `AlreadyExists` and `LastAdmin` → 409, `Invalid` → 400 (or 422),
/// the rest → 500/503.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The user, session, token or share named does not exist.
    #[error("{0} not found")]
    NotFound(String),

    /// A unique name is taken (e.g. "username \"alice\" is taken; choose another").
    #[error("{0}")]
    AlreadyExists(String),

    /// Input refused before anything changed (a bad username, a short password, a bad URL…).
    #[error("{0}")]
    Invalid(String),

    /// The change would leave no enabled admin.
    #[error(
        "{username:?} is the last enabled admin; make another user an admin first, \
         or nobody could manage users any more"
    )]
    LastAdmin {
        /// The admin that was to be deleted, demoted or disabled.
        username: String,
    },

    /// The database could not be opened or reached.
    #[error("cannot open the gateway database at {location}: {source}; {hint}")]
    Connect {
        /// Where the database is (no password).
        location: String,
        /// What to check.
        hint: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },

    /// A migration recorded in the database differs from the same-numbered one in this build.
    #[error(
        "migration {version} ({description}) applied to this database differs from the one \
         in this build of nova-ve; the database was migrated by another build: use that \
         build, or restore a backup made before it migrated"
    )]
    MigrationChanged {
        /// The migration's number.
        version: i64,
        /// Its description in this build.
        description: String,
    },

    /// The database has a migration this build does not know.
    #[error(
        "this database has migration {version}, which this build of nova-ve does not know: \
         it was migrated by a newer nova-ve; upgrade nova-ve (downgrades are not supported)"
    )]
    MigrationUnknown {
        /// The unknown migration's number.
        version: i64,
    },

    /// A migration started but did not finish.
    #[error(
        "migration {version} started but did not finish (its row in _sqlx_migrations has \
         success = false); look at the database, repair it by hand or restore a backup, \
         delete that row, then migrate again"
    )]
    MigrationDirty {
        /// The half-applied migration's number.
        version: i64,
    },

    /// Running a migration failed; that migration's transaction was rolled back.
    #[error("migrating the gateway database failed: {0}; fix the cause and migrate again")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// The database holds a value this build cannot read (e.g. an unknown role).
    #[error("the gateway database holds an invalid value: {0}; was it edited by hand?")]
    Corrupt(String),

    /// Any other database error.
    #[error(
        "gateway database error: {0}; check that the database is reachable and migrated \
         (pending migrations are listed at gateway start)"
    )]
    Database(#[from] sqlx::Error),

    /// A failure outside the database: the OS random generator, the password hasher, a
    /// blocking task that panicked.
    #[error("internal error in the gateway store: {0}")]
    Internal(String),
}

impl StoreError {
    /// `err` as `if_unique` when it is a unique-constraint violation, else as a database error.
    pub(crate) fn unique_or(err: sqlx::Error, if_unique: impl FnOnce() -> StoreError) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => if_unique(),
            _ => StoreError::Database(err),
        }
    }

    /// `err` as `if_fk` when it is a foreign-key violation, else as a database error.
    pub(crate) fn foreign_key_or(err: sqlx::Error, if_fk: impl FnOnce() -> StoreError) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => if_fk(),
            _ => StoreError::Database(err),
        }
    }
}
