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
    callers: Arc<Mutex<HashMap<String, Caller>>>,
}

/// What is remembered of a caller (a unique bus name) until it leaves the bus.
#[derive(Debug, Default)]
struct Caller {
    uid: Option<u32>,
    allowed: HashSet<&'static str>,
}

impl Auth {
    /// An authorizer on `conn`; spawns the task that forgets names leaving the bus.
    pub async fn new(conn: Connection) -> zbus::Result<Auth> {
        let auth = Auth {
            conn: conn.clone(),
            callers: Arc::default(),
        };
        let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
        let mut gone = dbus.receive_name_owner_changed().await?;
        let callers = auth.callers.clone();
        tokio::spawn(async move {
            while let Some(sig) = gone.next().await {
                if let Ok(a) = sig.args()
                    && a.new_owner.is_none()
                {
                    callers.lock().expect("auth cache").remove(a.name.as_str());
                }
            }
        });
        Ok(auth)
    }

    /// Ok if polkit allows the caller of this message `action`; AccessDenied otherwise.
    /// Every authorized call that may change something (any action but `view`) is journaled
    /// with the caller's uid, method and object, so changes made with novactl or busctl are
    /// on record beside the gateway's own audit log.
    pub async fn check(&self, hdr: &Header<'_>, action: &'static str) -> Result<(), LabError> {
        let sender = hdr
            .sender()
            .map(|s| s.to_string())
            .ok_or_else(|| LabError::AccessDenied("no sender".into()))?;
        let cached = {
            let callers = self.callers.lock().expect("auth cache");
            callers
                .get(&sender)
                .filter(|c| c.allowed.contains(action))
                .map(|c| c.uid)
        };
        let uid = match cached {
            Some(uid) => uid,
            None => {
                self.ask_polkit(hdr, &sender, action).await?;
                let uid = self.unix_user(&sender).await;
                let mut callers = self.callers.lock().expect("auth cache");
                let c = callers.entry(sender.clone()).or_default();
                c.uid = uid;
                c.allowed.insert(action);
                uid
            }
        };
        if action != nova_dbus::lab::ACTION_VIEW {
            tracing::info!(
                CALLER = %sender,
                CALLER_UID = uid.map_or(-1, i64::from),
                ACTION = action,
                METHOD = hdr.member().map(|m| m.as_str()).unwrap_or(""),
                OBJECT = hdr.path().map(|p| p.as_str()).unwrap_or(""),
                "{} on {} by uid {}",
                hdr.member().map(|m| m.as_str()).unwrap_or("?"),
                hdr.path().map(|p| p.as_str()).unwrap_or("?"),
                uid.map_or_else(|| "?".to_string(), |u| u.to_string()),
            );
        }
        Ok(())
    }

    async fn ask_polkit(
        &self,
        hdr: &Header<'_>,
        sender: &str,
        action: &'static str,
    ) -> Result<(), LabError> {
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
        Ok(())
    }

    /// The caller's uid from the bus (None if the bus does not say; only used for the record).
    async fn unix_user(&self, sender: &str) -> Option<u32> {
        let dbus = zbus::fdo::DBusProxy::new(&self.conn).await.ok()?;
        let name = zbus::names::BusName::try_from(sender).ok()?;
        dbus.get_connection_unix_user(name).await.ok()
    }
}
