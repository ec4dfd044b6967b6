//! # nova-test-sandbox
//!
//! Integration tests for nova-ve need the real things: systemd, the system D-Bus, polkit and
//! netlink. This crate boots a **real systemd 252 as PID 1 of fresh PID + mount + UTS + network
//! namespaces** (the host's network namespace can be shared instead), with journald (volatile),
//! dbus-daemon and polkitd running, and the project's files in place inside:
//!
//! | repository | inside the sandbox |
//! |---|---|
//! | `units/*.service,slice,target,socket,timer,path` | on `SYSTEMD_UNIT_PATH` |
//! | `units/sysusers.d/*.conf` | applied with `systemd-sysusers` (users exist only inside) |
//! | `units/tmpfiles.d/*.conf` | applied only by [`Sandbox::apply_tmpfiles`] |
//! | `dbus-interfaces/*.conf` | `/etc/dbus-1/system.d/` |
//! | `dbus-interfaces/*.service` | `/usr/share/dbus-1/system-services/` |
//! | `polkit/*.policy` | `/usr/share/polkit-1/actions/` |
//! | `polkit/*.rules` | `/etc/polkit-1/rules.d/` |
//! | `target/<profile>/{nova-ve-*,novactl}` | `/usr/libexec/nova-ve/` |
//! | — | private `/var/lib/nova-ve`, `/etc/nova-ve`, `/run`, `/tmp`, `/var/tmp`, `/var/log`, `/dev/shm`, `/dev/net/tun` (0666) |
//!
//! The sandbox shares the host's filesystem, but /etc, /usr and /var/lib are overlays whose
//! writes land in the sandbox's state dir (under the cargo target dir), and the stock units that
//! would touch the host are masked ([`MASKED_UNITS`]). The host's /etc and /tmp are never written.
//!
//! ## Booting and running commands
//!
//! ```no_run
//! use nova_test_sandbox::Sandbox;
//!
//! let sb = Sandbox::boot()?; // ~0.4 s; torn down when `sb` is dropped, also on panic
//! let names = sb.run_ok(&["busctl", "--system", "list"])?;
//! assert!(names.contains("org.freedesktop.PolicyKit1"));
//! let out = sb.run_as("nobody", &["id", "-u"])?;
//! assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "65534");
//! sb.run_ok(&["systemctl", "start", "nova-ve-netd.service"])?;
//! println!("{}", sb.journal("nova-ve-netd.service")?);
//! # Ok::<(), nova_test_sandbox::Error>(())
//! ```
//!
//! Use [`Sandbox::builder`] to share the host network, add test-only polkit actions, units,
//! sysusers/tmpfiles files or other files, or start units as part of the boot. Helpers:
//! [`Sandbox::wait_for`], [`Sandbox::wait_active`], [`Sandbox::journal`],
//! [`Sandbox::journal_tail`], [`Sandbox::host_pids`]. More in `docs/testing.md`.
//!
//! ## D-Bus calls from inside, as root or as another user
//!
//! systemd and polkit look at the caller's PID and uid, and the test process is in the host's
//! PID namespace. Register functions with [`inside_fns!`]; [`Sandbox::call`] re-executes the test
//! binary inside the sandbox as the given user and runs the function there:
//!
//! ```ignore
//! use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};
//!
//! fn ping_netd(args: &[String]) -> InsideResult {
//!     block_on(async {
//!         let conn = zbus::Connection::system().await?;
//!         // ... a proxy call; errors propagate with `?`
//!         Ok(format!("called as {}", args[0]))
//!     })
//! }
//! inside_fns!(ping_netd);
//!
//! #[test]
//! fn netd_refuses_nobody() {
//!     let sb = Sandbox::boot().unwrap();
//!     let out = sb.call("root", "ping_netd", &["root"]).unwrap(); // Err if it failed
//!     let err = sb.call("nobody", "ping_netd", &["nobody"]).unwrap_err();
//! }
//! ```
//!
//! ## Lifetime
//!
//! [`Sandbox::boot`] gives a sandbox owned by the test. [`Sandbox::shared`] gives one per test
//! process (under nextest that is one per test anyway). Teardown sends SIGKILL to the sandbox's
//! PID 1 (SIGTERM would make systemd re-execute), reaps it, removes its cgroups and state dir.
//! If the test process dies, the kernel kills the sandbox (parent-death signal on the launcher,
//! forked from a long-lived thread) and the next boot removes the leftover directories.

mod error;
mod gc;
pub mod inside;
mod launcher;
pub mod paths;
mod sandbox;
mod stage;

pub use error::Error;
pub use inside::{InsideResult, block_on};
pub use sandbox::{Builder, Sandbox};
pub use stage::{MASKED_UNITS, TARGET};

/// Removes state dirs and cgroups of sandboxes whose test process is gone (done at every boot).
pub fn collect_stale() -> Result<(), Error> {
    gc::collect_stale(&paths::state_base()?);
    Ok(())
}

/// Every sandbox state dir, cgroup and process that exists now (one line each). Empty when no
/// sandbox is running and none left anything behind; `make test` checks this at the end.
pub fn leftovers() -> Result<Vec<String>, Error> {
    gc::leftovers(&paths::state_base()?)
}
