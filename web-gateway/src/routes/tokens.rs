//! API tokens for scripts: each user manages their own.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use nova_api::web::{CreatedToken, NewTokenRequest, TokenInfo};
use nova_gateway_store::{ApiToken, ApiTokenId, now_ms};

use crate::error::ApiResult;
use crate::extract::{ApiPath, JsonBody};
use crate::state::{AppState, Identity};

fn info(t: &ApiToken) -> TokenInfo {
    TokenInfo {
        id: t.id.0,
        name: t.name.clone(),
        prefix: t.prefix.clone(),
        created_at: t.created_at,
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
    }
}

/// `GET /api/tokens`: the caller's active tokens.
pub async fn list(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
) -> ApiResult<axum::Json<Vec<TokenInfo>>> {
    let now = now_ms();
    let tokens = st.store.list_api_tokens(me.user.id).await?;
    Ok(axum::Json(
        tokens
            .iter()
            .filter(|t| t.is_active(now))
            .map(info)
            .collect(),
    ))
}

/// `POST /api/tokens`: the secret is in the reply, once.
pub async fn create(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    JsonBody(req): JsonBody<NewTokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedToken>)> {
    let (secret, token) = st
        .store
        .create_api_token(me.user.id, &req.name, req.expires_at, now_ms())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            token: info(&token),
            secret: secret.into_string(),
        }),
    ))
}

/// `DELETE /api/tokens/{token}`: revokes one of the caller's tokens.
pub async fn revoke(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    st.store
        .revoke_api_token(me.user.id, ApiTokenId(id), now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
