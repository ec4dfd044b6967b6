//! What the WebSockets (lab events, node consoles) share: the Origin check, closing with a
//! code, and re-checking the caller's access while a socket stays open.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{HeaderMap, header};
use nova_api::web::LabAccess;

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Identity};

/// Close code when the caller lost access to the lab (or was signed out).
pub const CLOSE_FORBIDDEN: u16 = 4003;
/// Close code when the lab (or the node) was deleted.
pub const CLOSE_GONE: u16 = 4004;
/// Close code for a client that fell too far behind.
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// How often access is checked again while a socket is open.
pub const RECHECK: Duration = Duration::from_secs(5);

/// Only the gateway's own origin (or an allowed one) may open a WebSocket: browsers send
/// cookies with cross-site WebSocket requests.
pub fn check_origin(st: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(()); // not a browser
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let same = origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest == host);
    if same || st.settings.allowed_origins.iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "origin {origin:?} may not open this WebSocket"
        )))
    }
}

/// Sends a close frame with `code` and `reason`.
pub async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_string().into(),
        })))
        .await;
}

/// Whether `me` may still use lab `id` at `need` or more: `Err((code, reason))` to close with.
pub async fn still_allowed(
    st: &AppState,
    me: &Identity,
    id: &str,
    need: LabAccess,
) -> Result<(), (u16, &'static str)> {
    let fresh = match st.store.user(me.user.id).await {
        Ok(u) if !u.disabled => u,
        _ => return Err((CLOSE_FORBIDDEN, "signed out")),
    };
    match st.lab_access(&fresh, id).await {
        Ok(Some(a)) if a >= need => Ok(()),
        _ => Err((CLOSE_FORBIDDEN, "access to this lab was revoked")),
    }
}
