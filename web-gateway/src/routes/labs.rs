//! Labs, folders and sharing. Reads come from the lab cache; changes go to labd, then the
//! cache is refreshed so the caller reads its own write.

use axum::Extension;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use nova_api::web::{
    BatchResult, CreateLabRequest, FolderInfo, FolderRequest, ImportLabRequest, LabAccess,
    LabListItem, LabPatch, ShareInfo, ShareRequest, UnlImportQuery, UnlImported,
};
use nova_api::{LabSnapshot, limits};
use nova_gateway_store::{ResourceKind, ShareLevel, UserId, now_ms};

use crate::authz::share_access;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, JsonBody};
use crate::guard::AuditLab;
use crate::state::{AppState, Identity};

async fn owner_name(st: &AppState, kind: ResourceKind, id: &str) -> ApiResult<Option<String>> {
    Ok(match st.store.owner_of(kind, id).await? {
        Some(uid) => st.store.user(uid).await.ok().map(|u| u.username),
        None => None,
    })
}

/// `GET /api/labs`: the labs the caller may see.
pub async fn list(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
) -> ApiResult<axum::Json<Vec<LabListItem>>> {
    let mut out = Vec::new();
    for l in st.cache.labs() {
        if let Some(access) = st.lab_access(&me.user, &l.id).await? {
            out.push(LabListItem {
                owner: owner_name(&st, ResourceKind::Lab, &l.id).await?,
                id: l.id,
                name: l.name,
                folder: l.folder,
                access,
            });
        }
    }
    Ok(axum::Json(out))
}

/// A lab the caller just created, as listed for them.
fn lab_item(st: &AppState, me: &Identity, id: &str) -> LabListItem {
    let r = st.cache.lab_ref(id);
    LabListItem {
        id: id.to_string(),
        name: r.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
        folder: r.map(|l| l.folder).unwrap_or_default(),
        owner: Some(me.user.username.clone()),
        access: LabAccess::Owner,
    }
}

fn created(st: &AppState, me: &Identity, id: String) -> Response {
    let item = lab_item(st, me, &id);
    let mut r = (StatusCode::CREATED, axum::Json(item)).into_response();
    r.extensions_mut().insert(AuditLab(id));
    r
}

async fn adopt(st: &AppState, me: &Identity, id: &str) -> ApiResult<()> {
    st.store
        .set_owner(ResourceKind::Lab, id, me.user.id, now_ms())
        .await?;
    st.cache.reload_index().await?;
    Ok(())
}

/// `POST /api/labs`: an empty lab owned by the caller.
pub async fn create(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    JsonBody(req): JsonBody<CreateLabRequest>,
) -> ApiResult<Response> {
    let (id, _) = st
        .cache
        .labd()
        .manager()
        .create_lab(&req.folder, &req.name)
        .await?;
    adopt(&st, &me, &id).await?;
    Ok(created(&st, &me, id))
}

/// `POST /api/labs/import`: a lab JSON document.
pub async fn import(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    JsonBody(req): JsonBody<ImportLabRequest>,
) -> ApiResult<Response> {
    let text = req.lab.to_string();
    // Parsed here too, so a bad document is refused with the parser's words before labd.
    nova_api::parse_lab(&text)?;
    let (id, _) = st
        .cache
        .labd()
        .manager()
        .import_lab(&req.folder, &req.name, &text)
        .await?;
    adopt(&st, &me, &id).await?;
    Ok(created(&st, &me, id))
}

/// `POST /api/labs/import/unl?folder=&name=`: an EVE-NG `.unl` file (the raw body, at most
/// the lab size limit), converted by the importer's library as `nova-ve-import-eveng` does,
/// then imported into labd. Images and templates are not part of a `.unl`; import those on
/// the host with `nova-ve-import-eveng`.
pub async fn import_unl(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiQuery(q): ApiQuery<UnlImportQuery>,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "send the .unl file as the request body (curl --data-binary @lab.unl)",
        ));
    }
    let limits = nova_import_eveng::xmltree::Limits {
        max_bytes: limits::MAX_LAB_JSON_BYTES,
        ..Default::default()
    };
    let converted = nova_import_eveng::convert::convert_unl(&body, "imported", limits)
        .map_err(|e| ApiError::unprocessable(format!("not an EVE-NG lab we can import: {e}")))?;
    let name = if q.name.is_empty() {
        converted.lab.meta.name.clone()
    } else {
        q.name
    };
    let text = serde_json::to_string(&converted.lab)
        .map_err(|e| ApiError::internal(format!("converted lab: {e}")))?;
    let (id, _) = st
        .cache
        .labd()
        .manager()
        .import_lab(&q.folder, &name, &text)
        .await?;
    adopt(&st, &me, &id).await?;
    let lab = lab_item(&st, &me, &id);
    let mut r = (
        StatusCode::CREATED,
        axum::Json(UnlImported {
            lab,
            review: converted.review,
        }),
    )
        .into_response();
    r.extensions_mut().insert(AuditLab(id));
    Ok(r)
}

/// `GET /api/labs/{id}`: the lab, every node's runtime and the event seq, from memory.
pub async fn get(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<std::sync::Arc<LabSnapshot>>> {
    // Serialized straight from the shared copy: no per-request clone of the whole lab.
    Ok(axum::Json(st.cache.snapshot(&id).await?))
}

/// `GET /api/labs/{id}/export`: the lab JSON as a file.
pub async fn export(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Response> {
    let snap = st.cache.snapshot(&id).await?;
    let name = snap
        .lab_ref
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect::<String>();
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.json\""),
            ),
        ],
        snap.lab.to_json(),
    )
        .into_response())
}

/// `PATCH /api/labs/{id}`: rename and/or move.
pub async fn rename(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(p): JsonBody<LabPatch>,
) -> ApiResult<axum::Json<LabListItem>> {
    let cur = st
        .cache
        .lab_ref(&id)
        .ok_or_else(|| ApiError::not_found(format!("no lab {id:?}")))?;
    let folder = p.folder.unwrap_or(cur.folder);
    let name = p.name.unwrap_or(cur.name);
    st.cache
        .labd()
        .manager()
        .rename_lab(&id, &folder, &name)
        .await?;
    st.cache.reload_index().await?;
    Ok(axum::Json(LabListItem {
        owner: owner_name(&st, ResourceKind::Lab, &id).await?,
        id,
        name,
        folder,
        access: LabAccess::Owner,
    }))
}

/// `DELETE /api/labs/{id}`: stops its nodes, deletes it and forgets its shares.
pub async fn delete(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    st.cache.labd().manager().delete_lab(&id).await?;
    st.store.forget_resource(ResourceKind::Lab, &id).await?;
    st.cache.reload_index().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/labs/{id}/start`.
pub async fn start(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<BatchResult>> {
    let failed = st.cache.labd().lab(&id).await?.start_all().await?;
    st.cache.refresh(&id).await?;
    Ok(axum::Json(failures(failed)))
}

/// `POST /api/labs/{id}/stop`.
pub async fn stop(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<BatchResult>> {
    let failed = st.cache.labd().lab(&id).await?.stop_all().await?;
    st.cache.refresh(&id).await?;
    Ok(axum::Json(failures(failed)))
}

fn failures(v: Vec<nova_dbus::lab::NodeFailure>) -> BatchResult {
    BatchResult {
        failed: v
            .into_iter()
            .map(|f| nova_api::NodeFailure {
                node_id: f.node_id,
                reason: f.reason,
            })
            .collect(),
    }
}

/// `GET /api/labs/{id}/shares`.
pub async fn shares(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<ShareInfo>>> {
    let list = st.store.shares_of(ResourceKind::Lab, &id).await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|s| ShareInfo {
                user_id: s.user_id.0,
                username: s.username,
                level: share_access(s.level),
            })
            .collect(),
    ))
}

/// `PUT /api/labs/{id}/shares/{user}`: owners share as viewer or editor, never more.
pub async fn share(
    State(st): State<AppState>,
    ApiPath((id, user)): ApiPath<(String, i64)>,
    JsonBody(req): JsonBody<ShareRequest>,
) -> ApiResult<StatusCode> {
    let level = match req.level {
        LabAccess::Viewer => ShareLevel::Viewer,
        LabAccess::Editor => ShareLevel::Editor,
        other => {
            return Err(ApiError::bad_request(format!(
                "a lab can be shared as viewer or editor, not {other:?}"
            )));
        }
    };
    st.store.user(UserId(user)).await?;
    st.store
        .share(ResourceKind::Lab, &id, UserId(user), level, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/labs/{id}/shares/{user}`.
pub async fn unshare(
    State(st): State<AppState>,
    ApiPath((id, user)): ApiPath<(String, i64)>,
) -> ApiResult<StatusCode> {
    st.store
        .unshare(ResourceKind::Lab, &id, UserId(user))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/folders`.
pub async fn folders(State(st): State<AppState>) -> ApiResult<axum::Json<Vec<FolderInfo>>> {
    let list = st.cache.labd().manager().list_folders().await?;
    let mut out = Vec::with_capacity(list.len());
    for path in list {
        out.push(FolderInfo {
            owner: owner_name(&st, ResourceKind::Folder, &path).await?,
            path,
        });
    }
    Ok(axum::Json(out))
}

/// `POST /api/folders`.
pub async fn create_folder(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    JsonBody(req): JsonBody<FolderRequest>,
) -> ApiResult<StatusCode> {
    check_folder_len(&req.path)?;
    st.cache.labd().manager().create_folder(&req.path).await?;
    st.store
        .set_owner(ResourceKind::Folder, &req.path, me.user.id, now_ms())
        .await?;
    Ok(StatusCode::CREATED)
}

fn check_folder_len(path: &str) -> ApiResult<()> {
    if path.len() > limits::MAX_NAME_BYTES * limits::MAX_FOLDER_DEPTH {
        return Err(ApiError::bad_request("folder path too long"));
    }
    Ok(())
}

async fn folder_owner_or_admin(st: &AppState, me: &Identity, path: &str) -> ApiResult<()> {
    if me.user.role == nova_gateway_store::Role::Admin
        || st.store.owner_of(ResourceKind::Folder, path).await? == Some(me.user.id)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "only the owner of folder {path:?} or an administrator may change it"
        )))
    }
}

/// `PATCH /api/folders/{*path}`: rename (owner or admin).
pub async fn rename_folder(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(path): ApiPath<String>,
    JsonBody(req): JsonBody<FolderRequest>,
) -> ApiResult<StatusCode> {
    check_folder_len(&req.path)?;
    folder_owner_or_admin(&st, &me, &path).await?;
    st.cache
        .labd()
        .manager()
        .rename_folder(&path, &req.path)
        .await?;
    st.store.rename_folder_resources(&path, &req.path).await?;
    st.cache.reload_index().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/folders/{*path}`: an empty folder (owner or admin).
pub async fn delete_folder(
    State(st): State<AppState>,
    Extension(me): Extension<Identity>,
    ApiPath(path): ApiPath<String>,
) -> ApiResult<StatusCode> {
    folder_owner_or_admin(&st, &me, &path).await?;
    st.cache.labd().manager().delete_folder(&path).await?;
    st.store
        .forget_resource(ResourceKind::Folder, &path)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
