//! polkit checks with a per-caller cache. Every method asks before doing anything; a positive
//! answer is remembered for (unique bus name, action) until NameOwnerChanged reports that name
//! gone. Safe because a bus never hands out a unique name twice. Negative answers are never
//! cached (a rule change or group membership may grant it on the next call).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use zbus::Connection;
use zbus::message::Header;
use zbus_polkit::policykit1::{AuthorityProxy, CheckAuthorizationFlags, Subject};

use crate::error::{NetdError, Result};

/// The authority plus its cache.
#[derive(Debug, Clone)]
pub struct Polkit {
    authority: AuthorityProxy<'static>,
    dbus: zbus::fdo::DBusProxy<'static>,
    uids: Arc<Mutex<HashMap<String, u32>>>,
    cache: Arc<Mutex<HashSet<(String, &'static str)>>>,
}

impl Polkit {
    /// Connects to polkit on `conn` and starts evicting cache entries of callers that leave.
    pub async fn new(conn: &Connection) -> Result<Self> {
        let authority = AuthorityProxy::new(conn)
            .await
            .map_err(|e| NetdError::Failed(format!("polkit proxy: {e}")))?;
        let cache: Arc<Mutex<HashSet<(String, &'static str)>>> = Arc::default();
        let dbus: zbus::fdo::DBusProxy<'static> = zbus::fdo::DBusProxy::new(conn)
            .await
            .map_err(|e| NetdError::Failed(format!("bus proxy: {e}")))?;
        let mut gone = dbus
            .receive_name_owner_changed()
            .await
            .map_err(|e| NetdError::Failed(format!("NameOwnerChanged: {e}")))?;
        let evict = Arc::clone(&cache);
        let uids: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let evict_uids = Arc::clone(&uids);
        tokio::spawn(async move {
            while let Some(sig) = gone.next().await {
                let Ok(args) = sig.args() else { continue };
                if args.new_owner().is_none() && args.name().as_str().starts_with(':') {
                    let name = args.name().as_str().to_owned();
                    if let Ok(mut c) = evict.lock() {
                        c.retain(|(n, _)| n != &name);
                    }
                    if let Ok(mut u) = evict_uids.lock() {
                        u.remove(&name);
                    }
                }
            }
        });
        Ok(Self {
            authority,
            dbus,
            uids,
            cache,
        })
    }

    /// Checks `action` for the sender of `header`; AccessDenied unless polkit says yes.
    pub async fn check(&self, header: &Header<'_>, action: &'static str) -> Result<()> {
        let sender = header
            .sender()
            .ok_or_else(|| NetdError::AccessDenied("message has no sender".into()))?
            .as_str()
            .to_owned();
        if self.cached(&sender, action) {
            return Ok(());
        }
        let subject = Subject::new_for_message_header(header)
            .map_err(|e| NetdError::AccessDenied(format!("no polkit subject: {e}")))?;
        let details: HashMap<&str, &str> = HashMap::new();
        let result = self
            .authority
            .check_authorization(
                &subject,
                action,
                &details,
                CheckAuthorizationFlags::empty(),
                "",
            )
            .await
            .map_err(|e| {
                NetdError::AccessDenied(format!("polkit check of {action} failed: {e}"))
            })?;
        if !result.is_authorized {
            return Err(NetdError::AccessDenied(format!(
                "{action} not authorized for {sender}"
            )));
        }
        if let Ok(mut c) = self.cache.lock() {
            c.insert((sender, action));
        }
        Ok(())
    }

    /// The Unix uid of the sender (asked from the bus once per unique name).
    pub async fn caller_uid(&self, header: &Header<'_>) -> Result<u32> {
        let sender = header
            .sender()
            .ok_or_else(|| NetdError::AccessDenied("message has no sender".into()))?;
        if let Some(uid) = self
            .uids
            .lock()
            .ok()
            .and_then(|u| u.get(sender.as_str()).copied())
        {
            return Ok(uid);
        }
        let uid = self
            .dbus
            .get_connection_unix_user(sender.clone().into())
            .await
            .map_err(|e| NetdError::Failed(format!("GetConnectionUnixUser: {e}")))?;
        if let Ok(mut u) = self.uids.lock() {
            u.insert(sender.as_str().to_owned(), uid);
        }
        Ok(uid)
    }

    /// The PID of the sender's process (asked every time: used only for node scopes).
    pub async fn caller_pid(&self, header: &Header<'_>) -> Result<u32> {
        let sender = header
            .sender()
            .ok_or_else(|| NetdError::AccessDenied("message has no sender".into()))?;
        self.dbus
            .get_connection_unix_process_id(sender.clone().into())
            .await
            .map_err(|e| NetdError::Failed(format!("GetConnectionUnixProcessID: {e}")))
    }

    fn cached(&self, sender: &str, action: &'static str) -> bool {
        self.cache
            .lock()
            .map(|c| c.contains(&(sender.to_owned(), action)))
            .unwrap_or(false)
    }

    /// Number of cached (caller, action) grants (for tests).
    pub fn cache_len(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }
}
