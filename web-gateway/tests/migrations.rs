//! No self-migration (DESIGN.md), on SQLite and on PostgreSQL.
//!
//! - `refuses_to_start_with_pending_migrations`: against a database that was never migrated,
//!   `nova-ve-gateway serve` exits non-zero and says to run `nova-ve-gateway migrate`, and so
//!   does the unit (in its journal); nothing listens. After `migrate` (the operator step) the
//!   unit starts and answers; a second `migrate` has nothing to do.

#[macro_use]
mod common;

use std::net::TcpStream;

use common::*;

on_both_dbs!(refuses_to_start_with_pending_migrations);

const HINT: &str = "run `nova-ve-gateway migrate`";

fn refuses_to_start_with_pending_migrations(db: Db) {
    let gw = Gateway::configure(db);

    let out = gw.operator(&["serve"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "serve started on a fresh database");
    assert!(stderr.contains(HINT), "serve's stderr: {stderr}");
    assert!(stderr.contains("pending migrations"), "{stderr}");

    let started = gw.start_unit();
    assert!(started.is_err(), "the unit started on a fresh database");
    let journal = gw.journal();
    assert!(journal.contains(HINT), "the unit's journal: {journal}");
    assert!(
        TcpStream::connect(gw.addr).is_err(),
        "something listens on {}",
        gw.addr
    );

    let applied = gw.operator_ok(&["migrate"]);
    assert!(applied.contains("applied migration"), "{applied}");
    gw.start_unit()
        .unwrap_or_else(|e| panic!("after migrate: {e}\n{}", gw.journal()));
    let health = gw.anonymous().get("/api/system/health");
    assert_eq!((health.status, health.text()), (200, "ok".to_string()));
    let again = gw.operator_ok(&["migrate"]);
    assert!(again.contains("up to date"), "{again}");
}
