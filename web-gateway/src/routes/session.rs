//! Sign in and out, and users (admins manage them; everyone changes their own password).

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nova_api::web::{
    LoginRequest, NewUserRequest, PasswordChange, RoleName, SessionInfo, UserInfo, UserPatch,
};
use nova_gateway_store::{NewSession, NewUser, Role, User, UserId, UserUpdate, now_ms};

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, JsonBody};
use crate::guard::{AuditUser, COOKIE};
use crate::state::{AppState, Identity, LOGIN_FAILURES_PER_ADDR, LOGIN_FAILURES_PER_USER, Peer};

pub(crate) fn role_name(r: Role) -> RoleName {
    match r {
        Role::Admin => RoleName::Admin,
        Role::Editor => RoleName::Editor,
        Role::Viewer => RoleName::Viewer,
    }
}

fn role(r: RoleName) -> Role {
    match r {
        RoleName::Admin => Role::Admin,
        RoleName::Editor => Role::Editor,
        RoleName::Viewer => Role::Viewer,
    }
}

pub(crate) fn user_info(u: &User) -> UserInfo {
    UserInfo {
        id: u.id.0,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role: role_name(u.role),
        disabled: u.disabled,
        created_at: u.created_at,
    }
}

fn too_many(secs: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed sign-ins; try again in {secs} s"),
    )
}

/// `POST /api/session`. The response names who signed in (or the name tried) for the audit
/// record.
pub async fn login(
    State(st): State<AppState>,
    Extension(peer): Extension<Peer>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Response {
    let name = req.username.chars().take(128).collect();
    let (mut r, id) = match sign_in(st, peer, headers, req).await {
        Ok((r, id)) => (r, Some(id)),
        Err(e) => (e.into_response(), None),
    };
    r.extensions_mut().insert(AuditUser { name, id });
    r
}

async fn sign_in(
    st: AppState,
    peer: Peer,
    headers: HeaderMap,
    req: LoginRequest,
) -> ApiResult<(Response, UserId)> {
    let user_key = format!("u:{}", req.username.to_lowercase());
    let addr = peer.0.map(|a| a.ip().to_string()).unwrap_or_default();
    let addr_key = format!("a:{addr}");
    for (k, limit) in [
        (&user_key, LOGIN_FAILURES_PER_USER),
        (&addr_key, LOGIN_FAILURES_PER_ADDR),
    ] {
        if let Some(secs) = st.limiter.blocked(k, limit) {
            return Err(too_many(secs));
        }
    }
    let Some(user) = st.store.verify_login(&req.username, &req.password).await? else {
        st.limiter.fail(&user_key);
        st.limiter.fail(&addr_key);
        return Err(ApiError::unauthorized("wrong username or password"));
    };
    st.limiter.clear(&user_key);
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let lifetime = st.settings.session_lifetime;
    let (secret, session) = st
        .store
        .create_session(
            &NewSession {
                user_id: user.id,
                lifetime_ms: lifetime.as_millis() as i64,
                idle_timeout_ms: Some(st.settings.session_idle.as_millis() as i64),
                remote_addr: Some(&addr),
                user_agent: ua,
            },
            now_ms(),
        )
        .await?;
    let secure = if st.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        secret.expose(),
        lifetime.as_secs()
    );
    let body = SessionInfo {
        user: user_info(&user),
        csrf_token: session.csrf_token.clone(),
        expires_at: session.expires_at,
    };
    let mut r = (StatusCode::CREATED, axum::Json(body)).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::internal(e.to_string()))?,
    );
    Ok((r, user.id))
}

/// `GET /api/session`.
pub async fn current(Extension(me): Extension<Identity>) -> ApiResult<axum::Json<SessionInfo>> {
    let s = me
        .session
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("this request used an API token, not a session"))?;
    Ok(axum::Json(SessionInfo {
        user: user_info(&me.user),
        csrf_token: s.csrf_token.clone(),
        expires_at: s.expires_at,
    }))
}

/// `DELETE /api/session`.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(secret) = crate::guard::cookie(&headers, COOKIE) {
        st.store.delete_session(&secret).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("nova_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(r)
}

/// `GET /api/users`.
pub async fn list_users(State(st): State<AppState>) -> ApiResult<axum::Json<Vec<UserInfo>>> {
    let users = st.store.list_users().await?;
    Ok(axum::Json(users.iter().map(user_info).collect()))
}

/// `POST /api/users`.
pub async fn create_user(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<NewUserRequest>,
) -> ApiResult<(StatusCode, axum::Json<UserInfo>)> {
    let u = st
        .store
        .create_user(
            &NewUser {
                username: &req.username,
                display_name: req.display_name.as_deref().unwrap_or(""),
                role: role(req.role),
                password: &req.password,
            },
            now_ms(),
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(user_info(&u))))
}

/// `GET /api/users/{user}`: admins any, others themselves.
pub async fn get_user(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<axum::Json<UserInfo>> {
    if me.user.role != Role::Admin && me.user.id.0 != id {
        return Err(ApiError::forbidden(
            "only administrators may read other users",
        ));
    }
    Ok(axum::Json(user_info(&st.store.user(UserId(id)).await?)))
}

/// `PATCH /api/users/{user}` (admins; the route rule says so). Nobody raises their own role.
pub async fn update_user(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<i64>,
    JsonBody(p): JsonBody<UserPatch>,
) -> ApiResult<axum::Json<UserInfo>> {
    if me.user.id.0 == id && (p.role.is_some() || p.disabled.is_some()) {
        return Err(ApiError::forbidden(
            "you cannot change your own role or disable yourself; ask another administrator",
        ));
    }
    let u = st
        .store
        .update_user(
            UserId(id),
            &UserUpdate {
                display_name: p.display_name,
                role: p.role.map(role),
                disabled: p.disabled,
            },
            now_ms(),
        )
        .await?;
    Ok(axum::Json(user_info(&u)))
}

/// `DELETE /api/users/{user}` (admins).
pub async fn delete_user(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if me.user.id.0 == id {
        return Err(ApiError::forbidden("you cannot delete yourself"));
    }
    st.store.delete_user(UserId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/users/{user}/password`: one's own with the current password; admins anyone's.
pub async fn set_password(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(id): ApiPath<i64>,
    JsonBody(p): JsonBody<PasswordChange>,
) -> ApiResult<StatusCode> {
    let own = me.user.id.0 == id;
    if !own && me.user.role != Role::Admin {
        return Err(ApiError::forbidden(
            "only administrators may set other users' passwords",
        ));
    }
    if own {
        let current = p
            .current_password
            .as_deref()
            .ok_or_else(|| ApiError::bad_request("current_password is required"))?;
        if st
            .store
            .verify_login(&me.user.username, current)
            .await?
            .is_none()
        {
            return Err(ApiError::forbidden("current_password is wrong"));
        }
    }
    let except = if own {
        me.session.as_ref().map(|s| s.id)
    } else {
        None
    };
    st.store
        .set_password(UserId(id), &p.new_password, except, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
