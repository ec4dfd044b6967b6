//! nova-ve-netd: the root network daemon. `engine` is plain Rust over rtnetlink and the TUN
//! ioctls (callable without a bus); `dbus` is the thin polkit-checked adaptor; `nodes` wraps
//! caller processes into node scopes through systemd.

pub mod bpf;
pub mod capture;
pub mod dbus;
pub mod engine;
pub mod error;
pub mod impair;
pub mod netem;
pub mod nodes;
pub mod polkit;
pub mod procfs;
pub mod registry;
pub mod tap;
pub mod validate;
