//! The guard in front of every route: who is calling (session cookie or API token), CSRF for
//! cookie-authenticated changes, the route's rule through [`crate::authz::authorize`], and the
//! audit record of every change (database and journal, with a fixed MESSAGE_ID).

use axum::RequestExt as _;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use nova_gateway_store::{AuditResult, NewAuditEntry, now_ms};

use crate::authz::{Origin, authorize};
use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, Identity, Peer};
use std::time::Instant;

/// The session cookie.
pub const COOKIE: &str = "nova_session";
/// The CSRF header.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// journald MESSAGE_ID of audit records (`journalctl MESSAGE_ID=…`).
pub const AUDIT_MESSAGE_ID: &str = "6f0c3b1e4d2a4b8e9a7c5d3f1e2b4a69";

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Who sent these headers, if anyone.
pub async fn identify(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Identity>> {
    let now = now_ms();
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("Authorization must be `Bearer <token>`"))?;
        return match state
            .store
            .authenticate_api_token(token.trim(), now)
            .await?
        {
            Some((_, user)) => Ok(Some(Identity {
                user,
                session: None,
            })),
            None => Err(ApiError::unauthorized(
                "the API token is unknown, revoked or expired",
            )),
        };
    }
    let Some(secret) = cookie(headers, COOKIE) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session_by_token(&secret, now)
        .await?
        .map(|(session, user)| Identity {
            user,
            session: Some(session),
        }))
}

fn is_change(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware (`route_layer`, so it runs for matched routes only).
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    // axum answers HEAD with the GET handler; it has the GET route's rule.
    let lookup = if method == Method::HEAD {
        Method::GET
    } else {
        method.clone()
    };
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
    else {
        return ApiError::not_found("no such route").into_response();
    };
    let Some(route) = state
        .routes
        .iter()
        .find(|((m, p), _)| *m == lookup && *p == path)
        .map(|(_, r)| r.clone())
    else {
        // The path exists with other methods (axum's fallback would answer 405 without
        // saying why).
        let mut allowed: Vec<&str> = state
            .routes
            .keys()
            .filter(|(_, p)| *p == path)
            .map(|(m, _)| m.as_str())
            .collect();
        allowed.sort_unstable();
        if !allowed.is_empty() {
            let allow = allowed.join(", ");
            let mut r = ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{path} takes {allow}, not {method}"),
            )
            .into_response();
            if let Ok(v) = axum::http::HeaderValue::from_str(&allow) {
                r.headers_mut().insert(header::ALLOW, v);
            }
            return r;
        }
        // A route without a rule cannot be built (the router comes from the table); refuse
        // anyway rather than serve it.
        return ApiError::internal(format!("{method} {path} has no authorization rule"))
            .into_response();
    };
    let params: Vec<(String, String)> = match req.extract_parts::<RawPathParams>().await {
        Ok(p) => p
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        Err(e) => return ApiError::bad_request(e.body_text()).into_response(),
    };
    // D-Bus strings and PostgreSQL text cannot hold NUL (the bus would drop the gateway).
    if params.iter().any(|(_, v)| v.contains('\0'))
        || req.uri().query().is_some_and(|q| q.contains("%00"))
    {
        return ApiError::bad_request("NUL characters are not allowed in paths or queries")
            .into_response();
    }
    let param = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let lab_id = if route.rule.is_lab_scoped() {
        param("id")
    } else {
        None
    };
    let peer = req
        .extensions()
        .get::<Peer>()
        .copied()
        .unwrap_or(Peer(None));
    let addr = peer.0.map(|a| a.ip().to_string());
    let origin = origin_of(peer, req.headers());

    // Who called is kept for the audit record, also when they are refused.
    let mut who: Option<Identity> = None;
    let decided: ApiResult<()> = async {
        who = identify(&state, req.headers()).await?;
        if is_change(&method)
            && let Some(Identity {
                session: Some(s), ..
            }) = &who
        {
            let given = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !s.csrf_matches(given) {
                return Err(ApiError::forbidden(
                    "missing or wrong X-CSRF-Token header (take it from GET /api/session)",
                ));
            }
        }
        let access = match (&who, &lab_id) {
            (Some(w), Some(id)) => state.lab_access(&w.user, id).await?,
            _ => None,
        };
        authorize(
            who.as_ref().map(|w| &w.user),
            origin,
            route.rule,
            lab_id.as_deref(),
            access,
        )?;
        if let Some(a) = access {
            req.extensions_mut().insert(a);
        }
        Ok(())
    }
    .await;

    let response = match decided {
        Ok(()) => {
            if let Some(w) = &who {
                req.extensions_mut().insert(w.clone());
            }
            next.run(req).await
        }
        Err(e) => e.into_response(),
    };
    if !route.action.is_empty() {
        let status = response.status();
        let result = if status.is_success() || status == StatusCode::SWITCHING_PROTOCOLS {
            AuditResult::Ok
        } else if status == 401 || status == 403 {
            AuditResult::Denied
        } else {
            AuditResult::Error
        };
        // A sign-in names its user in the response (the request had no identity yet).
        let signed_in = response.extensions().get::<AuditUser>();
        let username = who.as_ref().map_or_else(
            || signed_in.map_or("-".to_string(), |u| u.name.clone()),
            |w| w.user.username.clone(),
        );
        let mut entry = NewAuditEntry::new(now_ms(), username.clone(), route.action, result);
        entry.user_id = who
            .as_ref()
            .map(|w| w.user.id)
            .or_else(|| signed_in.and_then(|u| u.id));
        entry.remote_addr = addr.clone();
        entry.lab_id = lab_id
            .clone()
            .or_else(|| response.extensions().get::<AuditLab>().map(|a| a.0.clone()));
        entry.node_id = param("node");
        entry.target = param("net")
            .or_else(|| param("link"))
            .or_else(|| param("user"))
            .or_else(|| param("path"))
            .or_else(|| param("token"))
            .or_else(|| param("name"));
        entry.detail = (result != AuditResult::Ok).then(|| status.to_string());
        tracing::info!(
            MESSAGE_ID = AUDIT_MESSAGE_ID,
            AUDIT_ACTION = route.action,
            AUDIT_USER = %username,
            AUDIT_RESULT = result.as_str(),
            LAB_ID = entry.lab_id.as_deref().unwrap_or(""),
            "audit: {username} {} -> {}",
            route.action,
            status.as_u16()
        );
        if let Err(e) = state.store.record(&entry).await {
            tracing::error!("audit record not written: {e}");
        }
    }
    state.metrics.observe(
        method.as_str(),
        route.path,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Local: a loopback peer that is not a reverse proxy forwarding someone else's request.
fn origin_of(peer: Peer, headers: &HeaderMap) -> Origin {
    let loopback = peer.0.is_some_and(|a| a.ip().is_loopback());
    let forwarded =
        headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    if loopback && !forwarded {
        Origin::Local
    } else {
        Origin::Remote
    }
}

/// A lab id a handler adds to its response for the audit record (e.g. a lab just created).
#[derive(Debug, Clone)]
pub struct AuditLab(pub String);

/// Who a sign-in was for (the user, or only the name tried), for the audit record.
#[derive(Debug, Clone)]
pub struct AuditUser {
    /// The name.
    pub name: String,
    /// The user, when the name is one.
    pub id: Option<nova_gateway_store::UserId>,
}
