//! `GET /api/labs/{id}/events?since=SEQ` (WebSocket): the typed events of one lab. First a
//! `hello` with the current seq; then the events after `since` still in the ring, or a
//! `resnapshot` with the whole lab when the client is too far behind; then live events. A
//! client that cannot keep up is closed with code 4008; it never slows the others. Access is
//! checked on connect (the guard) and again every few seconds, so a revoked share ends the
//! stream.

use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use nova_api::StreamControl;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::cache::Feed;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::{AppState, Identity};

/// Close code for a client that fell too far behind.
pub const CLOSE_TOO_SLOW: u16 = 4008;
/// Close code when the caller lost access to the lab.
pub const CLOSE_FORBIDDEN: u16 = 4003;
/// Close code when the lab was deleted.
pub const CLOSE_GONE: u16 = 4004;
/// How often access is checked again.
const RECHECK: Duration = Duration::from_secs(5);

/// Query of the events WebSocket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    since: Option<u64>,
}

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

/// The upgrade.
pub async fn events(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> ApiResult<Response> {
    check_origin(&st, &headers)?;
    let sub = st.cache.subscribe(&id, q.since).await?;
    Ok(ws.on_upgrade(move |socket| stream(st, me, id, sub, socket)))
}

async fn send_json<T: serde::Serialize>(socket: &mut WebSocket, v: &T) -> bool {
    match serde_json::to_string(v) {
        Ok(t) => socket.send(Message::Text(t.into())).await.is_ok(),
        Err(_) => false,
    }
}

async fn close(mut socket: WebSocket, code: u16, reason: &str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.to_string().into(),
        })))
        .await;
}

async fn stream(
    st: AppState,
    me: Identity,
    id: String,
    mut sub: crate::cache::Subscription,
    mut socket: WebSocket,
) {
    let hello = StreamControl::Hello {
        lab_id: id.clone(),
        seq: sub.seq,
    };
    if !send_json(&mut socket, &hello).await {
        return;
    }
    let mut last = sub.seq;
    match sub.replay.take() {
        Some(events) => {
            for (_, json) in events {
                if socket
                    .send(Message::Text(json.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
        }
        None => {
            let r = StreamControl::Resnapshot {
                reason: "the requested seq is no longer in the server's replay buffer".into(),
                snapshot: Box::new((*sub.snapshot).clone()),
            };
            last = sub.snapshot.seq;
            if !send_json(&mut socket, &r).await {
                return;
            }
        }
    }
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    loop {
        tokio::select! {
            feed = sub.rx.recv() => match feed {
                Ok(Feed::Event(seq, json)) => {
                    if seq > last {
                        last = last.max(seq);
                        if socket.send(Message::Text(json.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Ok(Feed::Resnapshot) => {
                    let Ok(snap) = st.cache.snapshot(&id).await else { return };
                    last = snap.seq;
                    let r = StreamControl::Resnapshot {
                        reason: "events were missed; this is the lab now".into(),
                        snapshot: Box::new((*snap).clone()),
                    };
                    if !send_json(&mut socket, &r).await {
                        return;
                    }
                }
                Ok(Feed::Deleted) => return close(socket, CLOSE_GONE, "lab deleted").await,
                Err(RecvError::Lagged(_)) => {
                    return close(socket, CLOSE_TOO_SLOW, "too slow: reconnect with ?since=<last seq>").await;
                }
                Err(RecvError::Closed) => return,
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = recheck.tick() => {
                let fresh = match st.store.user(me.user.id).await {
                    Ok(u) if !u.disabled => u,
                    _ => return close(socket, CLOSE_FORBIDDEN, "signed out").await,
                };
                if !matches!(st.lab_access(&fresh, &id).await, Ok(Some(_))) {
                    return close(socket, CLOSE_FORBIDDEN, "access to this lab was revoked").await;
                }
            }
        }
    }
}
