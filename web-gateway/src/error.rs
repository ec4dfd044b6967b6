//! The gateway's one error type and the one place where every lower error (labd's typed D-Bus
//! errors, the store's errors, request parsing) becomes an HTTP status with an RFC 9457 problem
//! details body (`application/problem+json`) that says what was wrong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nova_dbus::lab::LabError;
use nova_gateway_store::StoreError;
use serde::Serialize;

/// A failed request: its status and what to tell the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {detail}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong and, where the client can do something, what to do.
    pub detail: String,
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl ApiError {
    /// An error with a status and a detail.
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
        }
    }
    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }
    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, detail)
    }
    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, detail)
    }
    /// 404.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, detail)
    }
    /// 409.
    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, detail)
    }
    /// 422: well-formed, but not something that can be done.
    pub fn unprocessable(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, detail)
    }
    /// 500.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, detail)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = serde_json::to_vec(&Problem {
            kind: "about:blank",
            title,
            status: self.status.as_u16(),
            detail: &self.detail,
        })
        .unwrap_or_default();
        let mut r = (self.status, body).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"nova-ve\""),
            );
        }
        r
    }
}

/// labd's errors are typed: the variant decides the status.
impl From<LabError> for ApiError {
    fn from(e: LabError) -> ApiError {
        match e {
            LabError::InvalidArgs(m) => ApiError::bad_request(m),
            LabError::NotFound(m) => ApiError::not_found(m),
            LabError::AlreadyExists(m) | LabError::Conflict(m) => ApiError::conflict(m),
            LabError::NotSupported(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("not supported: {m}"),
            ),
            LabError::AccessDenied(m) => ApiError::internal(format!(
                "labd refused the gateway ({m}); check that polkit/50-nova-ve.rules is installed \
                 and the gateway runs as nova-ve-gw"
            )),
            LabError::Failed(m) => ApiError::new(StatusCode::BAD_GATEWAY, m),
            LabError::ZBus(z) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("nova-ve-labd is not reachable on the system bus: {z}"),
            ),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match &e {
            StoreError::NotFound(_) => ApiError::not_found(e.to_string()),
            StoreError::AlreadyExists(_) | StoreError::LastAdmin { .. } => {
                ApiError::conflict(e.to_string())
            }
            StoreError::Invalid(_) => ApiError::bad_request(e.to_string()),
            _ => {
                tracing::error!("database: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the gateway's database failed; see the gateway's journal",
                )
            }
        }
    }
}

impl From<nova_api::SpecError> for ApiError {
    fn from(e: nova_api::SpecError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiError {
        ApiError::new(r.status(), r.body_text())
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::bad_request(r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::bad_request(r.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_errors_map_by_variant() {
        assert_eq!(
            ApiError::from(LabError::NotFound("x".into())).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(LabError::Conflict("x".into())).status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(LabError::InvalidArgs("x".into())).status,
            StatusCode::BAD_REQUEST
        );
        let ns = ApiError::from(LabError::NotSupported("delay needs sch_netem".into()));
        assert_eq!(ns.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(ns.detail.contains("not supported"));
    }
}
