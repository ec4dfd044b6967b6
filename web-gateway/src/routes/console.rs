//! `GET /api/labs/{id}/nodes/{node}/console` (WebSocket): a node's console in the browser.
//!
//! Authorization is the guard's, before the upgrade (401/403/404 like every route). Then the
//! gateway asks labd for a viewer of the console (`Node.OpenConsole`, a unix socket passed over
//! D-Bus); when labd refuses, the upgrade is still accepted and closed at once with a code and
//! the reason in words ([`CLOSE_NOT_RUNNING`] 4009 for a node that is not running, 4004 for
//! one that is gone, [`CLOSE_NO_CONSOLE`] 4022 for a kind without a console), because a browser
//! never sees the HTTP status of a refused upgrade. Then it only relays: binary frames from the client are keyboard input, the console's
//! output goes out as binary frames (recent output first), and a text frame
//! `{"type":"resize","rows":R,"cols":C}` ([`ConsoleControl`]) sets the window size. No
//! console listens on a TCP port. A client that does not read stops the relay from reading,
//! and the node's console holder then drops this viewer alone (nobody else waits for it).
//! Access is re-checked every few seconds like the event stream.

use std::os::fd::OwnedFd;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use nova_api::web::ConsoleControl;
use nova_api::web::LabAccess;
use nova_dbus::lab::LabError;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::UnixStream;

use super::ws::{CLOSE_GONE, RECHECK, check_origin, close, still_allowed};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::{AppState, Identity};

/// Close code for a control frame the gateway does not understand.
pub const CLOSE_BAD_CONTROL: u16 = 4400;
/// Close code when the node is not running (labd: Conflict).
pub const CLOSE_NOT_RUNNING: u16 = 4009;
/// Close code when the node's kind has no console (labd: NotSupported).
pub const CLOSE_NO_CONSOLE: u16 = 4022;
/// Output read from the console per frame at most.
const CHUNK: usize = 16 * 1024;

/// The upgrade, once labd handed over a viewer of the console.
pub async fn console(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    check_origin(&st, &headers)?;
    let proxy = super::topology::node_proxy(&st, &id, node).await?;
    let fd: OwnedFd = match proxy.open_console().await {
        Ok(fd) => fd.into(),
        Err(e) => {
            let code = match &e {
                LabError::Conflict(_) => CLOSE_NOT_RUNNING,
                LabError::NotFound(_) => CLOSE_GONE,
                LabError::NotSupported(_) => CLOSE_NO_CONSOLE,
                _ => return Err(e.into()),
            };
            let reason = clip(&e.message());
            return Ok(
                ws.on_upgrade(move |socket| async move { close(socket, code, &reason).await })
            );
        }
    };
    let stream = std::os::unix::net::UnixStream::from(fd);
    stream
        .set_nonblocking(true)
        .and_then(|()| UnixStream::from_std(stream))
        .map_err(|e| ApiError::internal(format!("console descriptor: {e}")))
        .map(|stream| ws.on_upgrade(move |socket| relay(st, me, id, proxy, stream, socket)))
}

/// A close reason fits in a control frame (123 bytes).
fn clip(reason: &str) -> String {
    let mut out = String::new();
    for c in reason.chars() {
        if out.len() + c.len_utf8() > 120 {
            break;
        }
        out.push(c);
    }
    out
}

async fn relay(
    st: AppState,
    me: Identity,
    id: String,
    proxy: nova_dbus::lab::NodeProxy<'static>,
    stream: UnixStream,
    mut socket: WebSocket,
) {
    let _session = st.metrics.console_session();
    let (mut from_node, mut to_node) = stream.into_split();
    let mut buf = vec![0u8; CHUNK];
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            n = from_node.read(&mut buf) => match n {
                Ok(0) | Err(_) => {
                    return close(socket, 1000, "the console ended (the node stopped)").await;
                }
                Ok(n) => {
                    if socket.send(Message::Binary(buf[..n].to_vec().into())).await.is_err() {
                        return;
                    }
                }
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Binary(input))) => {
                    if to_node.write_all(&input).await.is_err() {
                        return close(socket, 1000, "the console ended (the node stopped)").await;
                    }
                }
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str::<ConsoleControl>(&text) {
                        Ok(ConsoleControl::Resize { rows, cols }) => {
                            if let Err(e) = proxy.resize_console(rows, cols).await {
                                tracing::debug!(LAB_ID = %id, "console resize refused: {e}");
                            }
                        }
                        Err(e) => {
                            let reason = clip(&format!("not a console control message: {e}"));
                            return close(socket, CLOSE_BAD_CONTROL, &reason).await;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                if st.cache.lab_ref(&id).is_none() {
                    return close(socket, CLOSE_GONE, "lab deleted").await;
                }
                if let Err((code, reason)) = still_allowed(&st, &me, &id, LabAccess::Editor).await {
                    return close(socket, code, reason).await;
                }
            }
        }
    }
}
