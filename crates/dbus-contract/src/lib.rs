//! The nova-ve D-Bus contract: bus names, object paths, interface names, error names and
//! client proxies, shared by the daemons (which implement the interfaces), novactl and the
//! gateway (which call them).
//!
//! The interface XML in `dbus-interfaces/` is the source of truth; the daemons' tests check
//! that what they export matches it. Each daemon gets its own module (`net`, `nodes`, ...).
//!
//! Architecture Invariant: this crate does no I/O of its own and holds no daemon logic; it only
//! names things and describes their wire types.

pub mod errors;
pub mod lab;
pub mod net;
pub mod nodes;
pub mod systemd;
