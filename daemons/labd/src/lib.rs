//! nova-ve-labd: the lab engine on the system D-Bus.
//!
//! - [`engine`]: plain Rust, no bus: labs, nodes, networks, links, runtime view, reconciliation.
//! - [`host`]: the one trait through which the engine touches the host; [`system`] is the real
//!   implementation (linux-node launcher, netd, systemd).
//! - [`dbus`]: the thin adaptor exporting `org.novave.Lab1` (parse, authorize, call, map errors).

pub mod dbus;
pub mod engine;
pub mod error;
pub mod events;
pub mod files;
pub mod host;
pub mod linux;
pub mod naming;
pub mod store_files;
pub mod system;
pub mod templates;
