//! `GET /api/labs/{id}/events?since=SEQ` (WebSocket): the typed events of one lab. First a
//! `hello` with the current seq; then the events after `since` still in the ring, or a
//! `resnapshot` with the whole lab when the client is too far behind; then live events. A
//! client that cannot keep up is closed with code 4008; it never slows the others. Access is
//! checked on connect (the guard) and again every few seconds, so a revoked share ends the
//! stream.

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::Response;
use nova_api::StreamControl;
use nova_api::web::LabAccess;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::ws::{CLOSE_GONE, CLOSE_TOO_SLOW, RECHECK, check_origin, close, still_allowed};
use crate::cache::Feed;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::{AppState, Identity};

/// Query of the events WebSocket.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    since: Option<u64>,
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

async fn stream(
    st: AppState,
    me: Identity,
    id: String,
    mut sub: crate::cache::Subscription,
    mut socket: WebSocket,
) {
    let _client = st.metrics.ws_client();
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
                if let Err((code, reason)) = still_allowed(&st, &me, &id, LabAccess::Viewer).await {
                    return close(socket, code, reason).await;
                }
            }
        }
    }
}
