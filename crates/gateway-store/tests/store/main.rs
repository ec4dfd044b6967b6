//! The gateway store against real databases: every behaviour runs on SQLite and on PostgreSQL
//! (`sqlite::…` and `postgres::…` tests). PostgreSQL comes from `scripts/install-test-deps`
//! (or `NOVA_TEST_POSTGRES_URL`); without it the PostgreSQL tests fail, they are not skipped.

mod common;

mod audit;
mod connect;
mod hostile;
mod migrations;
mod resources;
mod sessions;
mod tokens;
mod users;
