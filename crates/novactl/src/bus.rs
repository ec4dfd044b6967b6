//! The bus connection: the system bus, or an explicit address (tests, sandboxes).

use anyhow::Context as _;

pub async fn connect(address: Option<&str>) -> anyhow::Result<zbus::Connection> {
    match address {
        None => zbus::Connection::system()
            .await
            .context("cannot connect to the system D-Bus"),
        Some(addr) => zbus::connection::Builder::address(addr)
            .build()
            .await
            .with_context(|| format!("cannot connect to D-Bus at {addr}")),
    }
}
