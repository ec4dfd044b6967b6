//! The gateway as a unit, on SQLite and on PostgreSQL.
//!
//! - `refuses_to_start_with_pending_migrations` (no self-migration, DESIGN.md): against a
//!   database that was never migrated, `nova-ve-gateway serve` exits non-zero and says to run
//!   `nova-ve-gateway migrate`, and so does the unit (in its journal); nothing listens. After
//!   `migrate` (the operator step) the unit starts and answers; a second `migrate` has nothing
//!   to do.
//! - `exits_to_be_restarted_when_the_bus_drops`: when its system bus connection goes (dbus
//!   restarted), the gateway does not stay up with stale lab copies: it exits saying why, and
//!   systemd starts it again.

#[macro_use]
mod common;

use std::net::TcpStream;
use std::time::Duration;

use common::*;

on_both_dbs!(
    refuses_to_start_with_pending_migrations,
    exits_to_be_restarted_when_the_bus_drops
);

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

fn unit_property(gw: &Gateway, name: &str) -> String {
    gw.sb
        .run_ok(&["systemctl", "show", "-P", name, "nova-ve-gateway.service"])
        .expect("systemctl show")
        .trim()
        .to_string()
}

fn exits_to_be_restarted_when_the_bus_drops(db: Db) {
    let (gw, admin) = Gateway::start(db);
    create_lab(&admin, "before");
    let pid = unit_property(&gw, "MainPID");
    gw.sb
        .run_ok(&["systemctl", "restart", "dbus.service"])
        .expect("restart dbus");
    gw.sb
        .wait_for(
            "systemd to restart the gateway",
            Duration::from_secs(20),
            || unit_property(&gw, "NRestarts") != "0",
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", gw.journal()));
    let journal = gw.journal();
    assert!(
        journal.contains("lost labd's event stream"),
        "the gateway says why it exits: {journal}"
    );
    assert_ne!(unit_property(&gw, "MainPID"), pid, "a new gateway process");
}
