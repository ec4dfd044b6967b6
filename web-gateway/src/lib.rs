//! nova-ve-gateway: the unprivileged web tier. HTTP + WebSocket on 127.0.0.1 (behind Caddy for
//! TLS), web users, sessions, roles, per-lab permissions and the audit log (SQL through
//! `nova-gateway-store`); every lab call is a D-Bus call on nova-ve-labd.
//!
//! Architecture Invariant: the gateway holds no lab logic and never talks to systemd, netlink
//! or netd; labd is its only backend, and one function (`authz::authorize`), driven by the
//! route table (`routes::table`), decides every route and WebSocket.
//!
//! - `routes/`: the table and the handlers; `guard`: identity, CSRF, authorization, audit;
//! - `cache`: each lab's copy kept current by labd's event stream (reads never wait on D-Bus);
//! - `labd`: the D-Bus client; `error`: the one mapping of errors to problem details.

pub mod authz;
pub mod cache;
pub mod error;
pub mod extract;
pub mod guard;
pub mod labd;
pub mod metrics;
pub mod routes;
pub mod state;

use std::net::SocketAddr;
use std::path::Path;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::state::{AppState, Peer};

/// Largest request body: a lab import plus its JSON envelope.
pub const MAX_BODY_BYTES: usize = nova_api::limits::MAX_LAB_JSON_BYTES + 64 * 1024;

/// Content-Security-Policy: no inline script, nothing framed, connections to this origin only.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'";

async fn peer(mut req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    req.extensions_mut().insert(Peer(addr));
    next.run(req).await
}

async fn no_api_route() -> ApiError {
    ApiError::not_found("no such API route (see docs/api.md)")
}

/// The whole application: the API from the route table behind the guard, security headers,
/// body limits, and the web app from `frontend_dir` (with index.html for deep links).
pub fn app(state: AppState, frontend_dir: Option<&Path>) -> Router {
    let mut app = routes::router()
        .route_layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .route("/api", axum::routing::any(no_api_route))
        .route("/api/{*rest}", axum::routing::any(no_api_route))
        .with_state(state);
    if let Some(dir) = frontend_dir.filter(|d| d.join("index.html").is_file()) {
        // A deep link (`/labs/<id>`, `/admin`) is the app's index.html with 200 (not a 404,
        // which `not_found_service` would have made of every one of them).
        app = app
            .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html"))));
    }
    app.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(peer))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-frame-options"),
            HeaderValue::from_static("DENY"),
        ))
}
