//! Health, version, host status, the template catalogue and the audit log.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse as _, Response};
use nova_api::TemplateInfo;
use nova_api::web::{AuditEntryInfo, AuditPage, SystemStatus, VersionInfo};
use nova_gateway_store::{AuditFilter, AuditResult, UserId};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::state::AppState;

/// `GET /api/system/health`: 200 when the gateway runs and labd answers.
pub async fn health(State(st): State<AppState>) -> ApiResult<&'static str> {
    st.cache.labd().manager().version().await.map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            format!("nova-ve-labd does not answer: {e}"),
        )
    })?;
    Ok("ok")
}

/// `GET /api/system/version`.
pub async fn version(State(st): State<AppState>) -> axum::Json<VersionInfo> {
    axum::Json(VersionInfo {
        gateway: env!("CARGO_PKG_VERSION").to_string(),
        labd: st
            .cache
            .labd()
            .manager()
            .version()
            .await
            .unwrap_or_default(),
        event_schema: nova_api::EVENT_SCHEMA_VERSION,
    })
}

fn meminfo() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    (field("MemTotal:"), field("MemAvailable:"))
}

/// Labs, and nodes by kind then state, from the lab copies.
async fn node_counts(st: &AppState) -> ApiResult<(u32, BTreeMap<String, BTreeMap<String, u32>>)> {
    let labs = st.cache.labs();
    let mut nodes: BTreeMap<String, BTreeMap<String, u32>> = BTreeMap::new();
    for l in &labs {
        let snap = st.cache.snapshot(&l.id).await?;
        for n in snap.lab.nodes.values() {
            let state = snap
                .runtime
                .get(&n.id)
                .map_or("stopped", |r| r.state.as_str());
            *nodes
                .entry(n.kind.to_string())
                .or_default()
                .entry(state.to_string())
                .or_default() += 1;
        }
    }
    Ok((labs.len() as u32, nodes))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(st): State<AppState>) -> ApiResult<Response> {
    let (labs, nodes) = node_counts(&st).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        st.metrics.render(labs, &nodes),
    )
        .into_response())
}

/// `GET /api/system/status` (admins): host resources and node counts by kind and state.
pub async fn status(State(st): State<AppState>) -> ApiResult<axum::Json<SystemStatus>> {
    let (memory_total, memory_available) = meminfo();
    let load1 = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let (disk_total, disk_available) = disk("/var/lib/nova-ve");
    let (labs, nodes) = node_counts(&st).await?;
    Ok(axum::Json(SystemStatus {
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
        load1,
        memory_total,
        memory_available,
        disk_total,
        disk_available,
        labs,
        nodes,
    }))
}

fn disk(path: &str) -> (u64, u64) {
    let Ok(c) = std::ffi::CString::new(path) else {
        return (0, 0);
    };
    let mut s = std::mem::MaybeUninit::<libc::statvfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path; statvfs fills the struct it points to.
    if unsafe { libc::statvfs(c.as_ptr(), s.as_mut_ptr()) } != 0 {
        return (0, 0);
    }
    // SAFETY: statvfs returned 0, so it initialized the struct.
    let s = unsafe { s.assume_init() };
    (s.f_blocks * s.f_frsize, s.f_bavail * s.f_frsize)
}

/// `GET /api/templates`.
pub async fn templates(State(st): State<AppState>) -> ApiResult<axum::Json<Vec<TemplateInfo>>> {
    let text = st.cache.labd().manager().list_templates("").await?;
    let list = serde_json::from_str(&text)
        .map_err(|e| ApiError::internal(format!("labd sent templates we cannot read: {e}")))?;
    Ok(axum::Json(list))
}

/// `GET /api/images?kind=&template=`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImagesQuery {
    kind: String,
    template: String,
}

/// `GET /api/images`.
pub async fn images(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<ImagesQuery>,
) -> ApiResult<axum::Json<Vec<String>>> {
    Ok(axum::Json(
        st.cache
            .labd()
            .manager()
            .list_images(&q.kind, &q.template)
            .await?,
    ))
}

/// `GET /api/audit` filters.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    user: Option<i64>,
    lab: Option<String>,
    action: Option<String>,
    result: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: Option<u32>,
    before: Option<i64>,
}

/// `GET /api/audit` (admins): newest first, keyset paging with `before`.
pub async fn audit(
    State(st): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<axum::Json<AuditPage>> {
    let result = q
        .result
        .as_deref()
        .map(str::parse::<AuditResult>)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let limit = q.limit.unwrap_or(nova_gateway_store::AUDIT_DEFAULT_LIMIT);
    let entries = st
        .store
        .list_audit(&AuditFilter {
            user: q.user.map(UserId),
            lab_id: q.lab,
            action_prefix: q.action,
            result,
            since_ms: q.since,
            until_ms: q.until,
            limit,
            before_id: q.before,
        })
        .await?;
    let next_before = (entries.len() as u32 >= limit.max(1))
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    Ok(axum::Json(AuditPage {
        entries: entries
            .into_iter()
            .map(|e| AuditEntryInfo {
                id: e.id,
                at: e.at,
                username: e.username,
                remote_addr: e.remote_addr,
                action: e.action,
                lab_id: e.lab_id,
                node_id: e.node_id,
                target: e.target,
                result: e.result.as_str().to_string(),
                detail: e.detail,
            })
            .collect(),
        next_before,
    }))
}
