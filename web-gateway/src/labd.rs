//! The gateway's client of nova-ve-labd on the system bus (the only backend it talks to).
//! Proxies are built without property caching: a cached proxy adds match rules per object,
//! and a bus connection may hold only a few hundred of those.

use nova_dbus::lab::{LabProxy, LabResult, ManagerProxy, NodeProxy, lab_path, node_path};
use zbus::proxy::CacheProperties;

/// A connection to labd.
#[derive(Debug, Clone)]
pub struct Labd {
    conn: zbus::Connection,
    manager: ManagerProxy<'static>,
}

impl Labd {
    /// Connects on `conn` (the system bus in production).
    pub async fn new(conn: zbus::Connection) -> zbus::Result<Labd> {
        let manager = ManagerProxy::builder(&conn)
            .cache_properties(CacheProperties::No)
            .build()
            .await?;
        Ok(Labd { conn, manager })
    }

    /// The Manager.
    pub fn manager(&self) -> &ManagerProxy<'static> {
        &self.manager
    }

    /// One lab's object.
    pub async fn lab(&self, lab_id: &str) -> LabResult<LabProxy<'static>> {
        Ok(LabProxy::builder(&self.conn)
            .path(lab_path(lab_id))
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }

    /// One node's object.
    pub async fn node(&self, lab_id: &str, node_id: u32) -> LabResult<NodeProxy<'static>> {
        Ok(NodeProxy::builder(&self.conn)
            .path(node_path(lab_id, node_id))
            .cache_properties(CacheProperties::No)
            .build()
            .await?)
    }
}
