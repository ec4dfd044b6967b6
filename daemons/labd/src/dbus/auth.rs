//! polkit authorization with a per-unique-name cache: a positive answer is remembered until the
//! caller's unique name leaves the bus (unique names are never reused), so a client pays the
//! ~1.5 ms polkit round trip once per action, not per call. Denials are never cached.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use nova_dbus::lab::LabError;
use zbus::Connection;
use zbus::message::Header;
use zbus_polkit::policykit1::{AuthorityProxy, CheckAuthorizationFlags, Subject};

/// The authorizer.
#[derive(Debug, Clone)]
pub struct Auth {
    conn: Connection,
    allowed: Arc<Mutex<HashMap<String, HashSet<&'static str>>>>,
}

impl Auth {
    /// An authorizer on `conn`; spawns the task that forgets names leaving the bus.
    pub async fn new(conn: Connection) -> zbus::Result<Auth> {
        let auth = Auth {
            conn: conn.clone(),
            allowed: Arc::default(),
        };
        let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
        let mut gone = dbus.receive_name_owner_changed().await?;
        let allowed = auth.allowed.clone();
        tokio::spawn(async move {
            while let Some(sig) = gone.next().await {
                if let Ok(a) = sig.args()
                    && a.new_owner.is_none()
                {
                    allowed.lock().expect("auth cache").remove(a.name.as_str());
                }
            }
        });
        Ok(auth)
    }

    /// Ok if polkit allows the caller of this message `action`; AccessDenied otherwise.
    pub async fn check(&self, hdr: &Header<'_>, action: &'static str) -> Result<(), LabError> {
        let sender = hdr
            .sender()
            .map(|s| s.to_string())
            .ok_or_else(|| LabError::AccessDenied("no sender".into()))?;
        if self
            .allowed
            .lock()
            .expect("auth cache")
            .get(&sender)
            .is_some_and(|s| s.contains(action))
        {
            return Ok(());
        }
        let subject = Subject::new_for_message_header(hdr)
            .map_err(|e| LabError::AccessDenied(e.to_string()))?;
        let authority = AuthorityProxy::new(&self.conn)
            .await
            .map_err(|e| LabError::Failed(format!("polkit: {e}")))?;
        let r = authority
            .check_authorization(
                &subject,
                action,
                &HashMap::new(),
                CheckAuthorizationFlags::empty(),
                "",
            )
            .await
            .map_err(|e| LabError::Failed(format!("polkit: {e}")))?;
        if !r.is_authorized {
            tracing::info!(CALLER = %sender, ACTION = action, "access denied");
            return Err(LabError::AccessDenied(format!(
                "not authorized for {action}"
            )));
        }
        self.allowed
            .lock()
            .expect("auth cache")
            .entry(sender)
            .or_default()
            .insert(action);
        Ok(())
    }
}
