//! What every handler shares, and the identity of a request (who, and their access to the lab
//! in the path), resolved once by the guard.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::Method;
use nova_api::web::LabAccess;
use nova_gateway_store::{ResourceKind, Session, Store, User};

use crate::authz::{Route, role_cap, share_access};
use crate::cache::LabCache;
use crate::error::ApiResult;

/// Settings of a running gateway.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Session lifetime.
    pub session_lifetime: Duration,
    /// Session idle timeout.
    pub session_idle: Duration,
    /// Mark cookies `Secure` (behind TLS).
    pub secure_cookies: bool,
    /// Origins allowed to open WebSockets besides the gateway's own host.
    pub allowed_origins: Vec<String>,
}

/// Shared state.
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<Inner>);

/// The shared parts.
#[derive(Debug)]
pub struct Inner {
    /// Users, sessions, tokens, shares, audit.
    pub store: Store,
    /// Labs, from labd.
    pub cache: Arc<LabCache>,
    /// Settings.
    pub settings: Settings,
    /// The route table by (method, path).
    pub routes: HashMap<(Method, &'static str), Route>,
    /// Failed sign-ins, by username and by address.
    pub limiter: LoginLimiter,
    /// Prometheus counters.
    pub metrics: crate::metrics::Metrics,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The user.
    pub user: User,
    /// The session, when signed in with a cookie (API tokens have none).
    pub session: Option<Session>,
}

/// Where the request came from.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<SocketAddr>);

impl Inner {
    /// What `user` may do with lab `lab_id`: admins everything; the owner (of the lab or of a
    /// folder above it) owns it; shares of the lab or of a folder above it give their level;
    /// all capped by the user's role. `None`: nothing (or no such lab).
    pub async fn lab_access(&self, user: &User, lab_id: &str) -> ApiResult<Option<LabAccess>> {
        let Some(lab) = self.cache.lab_ref(lab_id) else {
            return Ok(None);
        };
        let cap = role_cap(user.role);
        if cap == LabAccess::Admin {
            return Ok(Some(LabAccess::Admin));
        }
        let mut best: Option<LabAccess> = None;
        if self.store.owner_of(ResourceKind::Lab, lab_id).await? == Some(user.id) {
            best = Some(LabAccess::Owner);
        }
        let folders = ancestors(&lab.folder);
        for f in &folders {
            if self.store.owner_of(ResourceKind::Folder, f).await? == Some(user.id) {
                best = Some(LabAccess::Owner);
            }
        }
        if best.is_none() {
            for s in self.store.shares_for_user(user.id).await? {
                let hit = match s.kind {
                    ResourceKind::Lab => s.resource_id == lab_id,
                    ResourceKind::Folder => folders.contains(&s.resource_id),
                };
                if hit {
                    best = best.max(Some(share_access(s.level)));
                }
            }
        }
        Ok(best.map(|b| b.min(cap)))
    }
}

/// `a/b/c` → `["a", "a/b", "a/b/c"]`; the top folder ("") has none.
pub fn ancestors(folder: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for part in folder.split('/').filter(|p| !p.is_empty()) {
        if !cur.is_empty() {
            cur.push('/');
        }
        cur.push_str(part);
        out.push(cur.clone());
    }
    out
}

/// Failed sign-ins per username and per address in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// The window of [`LoginLimiter`].
pub const LOGIN_WINDOW: Duration = Duration::from_secs(300);
/// Failures per username in a window.
pub const LOGIN_FAILURES_PER_USER: u32 = 10;
/// Failures per address in a window.
pub const LOGIN_FAILURES_PER_ADDR: u32 = 30;

impl LoginLimiter {
    /// Seconds until `key` may try again, if it is over `limit`.
    pub fn blocked(&self, key: &str, limit: u32) -> Option<u64> {
        let map = self.failures.lock().expect("limiter");
        let (n, since) = map.get(key)?;
        let left = LOGIN_WINDOW.checked_sub(since.elapsed())?;
        (*n >= limit).then(|| left.as_secs().max(1))
    }

    /// Counts a failure of `key`.
    pub fn fail(&self, key: &str) {
        let mut map = self.failures.lock().expect("limiter");
        if map.len() > 100_000 {
            map.retain(|_, (_, t)| t.elapsed() < LOGIN_WINDOW);
        }
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= LOGIN_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Forgets `key` (after a successful sign-in).
    pub fn clear(&self, key: &str) {
        self.failures.lock().expect("limiter").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_ancestors() {
        assert_eq!(ancestors(""), Vec::<String>::new());
        assert_eq!(ancestors("a/b"), vec!["a".to_string(), "a/b".to_string()]);
    }

    #[test]
    fn limiter_blocks_after_the_limit() {
        let l = LoginLimiter::default();
        for _ in 0..3 {
            assert!(l.blocked("u:alice", 3).is_none());
            l.fail("u:alice");
        }
        assert!(l.blocked("u:alice", 3).is_some());
        assert!(l.blocked("u:bob", 3).is_none());
        l.clear("u:alice");
        assert!(l.blocked("u:alice", 3).is_none());
    }
}
