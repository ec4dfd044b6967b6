//! Nodes, networks, links and layout of one lab: typed bodies (unknown fields refused) passed to
//! labd as its JSON specs; reads from the lab cache.

use axum::extract::State;
use axum::http::StatusCode;
use nova_api::web::{BatchNodesRequest, Created};
use nova_api::{
    LayoutSpec, LinkMetricsSpec, LinkSpec, NetworkPatch, NetworkSpec, NodePatch, NodeSpec, limits,
};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, JsonBody};
use crate::state::AppState;

fn spec_json<T: Serialize>(v: &T) -> ApiResult<String> {
    serde_json::to_string(v).map_err(|e| ApiError::internal(format!("spec not encoded: {e}")))
}

/// A node with its runtime, as `GET …/nodes` lists it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NodeWithRuntime {
    #[serde(flatten)]
    node: nova_api::model::Node,
    runtime: Option<nova_api::NodeRuntime>,
}

/// `GET /api/labs/{id}/nodes`.
pub async fn nodes(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<NodeWithRuntime>>> {
    let snap = st.cache.snapshot(&id).await?;
    Ok(axum::Json(
        snap.lab
            .nodes
            .values()
            .map(|n| NodeWithRuntime {
                node: n.clone(),
                runtime: snap.runtime.get(&n.id).cloned(),
            })
            .collect(),
    ))
}

/// `GET /api/labs/{id}/nodes/{node}`.
pub async fn node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
) -> ApiResult<axum::Json<NodeWithRuntime>> {
    let snap = st.cache.snapshot(&id).await?;
    let n = snap
        .lab
        .node(node)
        .ok_or_else(|| ApiError::not_found(format!("no node {node} in lab {id:?}")))?;
    Ok(axum::Json(NodeWithRuntime {
        node: n.clone(),
        runtime: snap.runtime.get(&node).cloned(),
    }))
}

/// `POST /api/labs/{id}/nodes`.
pub async fn add_node(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(spec): JsonBody<NodeSpec>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let (node, _) = st
        .cache
        .labd()
        .lab(&id)
        .await?
        .add_node(&spec_json(&spec)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id: node.to_string(),
        }),
    ))
}

/// `POST /api/labs/{id}/nodes/batch`: every node or none: at the first refusal the nodes this
/// batch added are deleted again, and the error names the refused one.
pub async fn add_nodes(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(req): JsonBody<BatchNodesRequest>,
) -> ApiResult<(StatusCode, axum::Json<Vec<Created>>)> {
    if req.nodes.len() > limits::MAX_BATCH_NODES {
        return Err(ApiError::bad_request(format!(
            "at most {} nodes per batch",
            limits::MAX_BATCH_NODES
        )));
    }
    let lab = st.cache.labd().lab(&id).await?;
    let mut added = Vec::with_capacity(req.nodes.len());
    for (i, spec) in req.nodes.iter().enumerate() {
        match lab.add_node(&spec_json(spec)?).await {
            Ok((node, _)) => added.push(node),
            Err(e) => {
                let mut left = 0;
                for node in added.iter().rev() {
                    if lab.delete_node(*node).await.is_err() {
                        left += 1;
                    }
                }
                st.cache.refresh(&id).await?;
                let mut e = ApiError::from(e);
                e.detail = format!("node {i} ({:?}): {}", spec.name, e.detail);
                if left > 0 {
                    e.detail += &format!(" ({left} added before it could not be removed)");
                }
                return Err(e);
            }
        }
    }
    st.cache.refresh(&id).await?;
    let out = added
        .iter()
        .map(|n| Created { id: n.to_string() })
        .collect();
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// `PATCH /api/labs/{id}/nodes/{node}`.
pub async fn update_node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
    JsonBody(patch): JsonBody<NodePatch>,
) -> ApiResult<StatusCode> {
    st.cache
        .labd()
        .lab(&id)
        .await?
        .update_node(node, &spec_json(&patch)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/labs/{id}/nodes/{node}`.
pub async fn delete_node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
) -> ApiResult<StatusCode> {
    st.cache.labd().lab(&id).await?.delete_node(node).await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn node_proxy(
    st: &AppState,
    id: &str,
    node: u32,
) -> ApiResult<nova_dbus::lab::NodeProxy<'static>> {
    let snap = st.cache.snapshot(id).await?;
    if snap.lab.node(node).is_none() {
        return Err(ApiError::not_found(format!("no node {node} in lab {id:?}")));
    }
    Ok(st.cache.labd().node(id, node).await?)
}

/// `POST /api/labs/{id}/nodes/{node}/start`.
pub async fn start_node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
) -> ApiResult<StatusCode> {
    node_proxy(&st, &id, node).await?.start().await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/labs/{id}/nodes/{node}/stop`.
pub async fn stop_node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
) -> ApiResult<StatusCode> {
    node_proxy(&st, &id, node).await?.stop().await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/labs/{id}/nodes/{node}/wipe`.
pub async fn wipe_node(
    State(st): State<AppState>,
    ApiPath((id, node)): ApiPath<(String, u32)>,
) -> ApiResult<StatusCode> {
    node_proxy(&st, &id, node).await?.wipe().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/labs/{id}/networks`.
pub async fn networks(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<nova_api::model::Network>>> {
    let snap = st.cache.snapshot(&id).await?;
    Ok(axum::Json(snap.lab.networks.values().cloned().collect()))
}

/// `POST /api/labs/{id}/networks`.
pub async fn add_network(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(spec): JsonBody<NetworkSpec>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let net = st
        .cache
        .labd()
        .lab(&id)
        .await?
        .add_network(&spec_json(&spec)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id: net.to_string(),
        }),
    ))
}

/// `PATCH /api/labs/{id}/networks/{net}`.
pub async fn update_network(
    State(st): State<AppState>,
    ApiPath((id, net)): ApiPath<(String, u32)>,
    JsonBody(patch): JsonBody<NetworkPatch>,
) -> ApiResult<StatusCode> {
    st.cache
        .labd()
        .lab(&id)
        .await?
        .update_network(net, &spec_json(&patch)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/labs/{id}/networks/{net}`.
pub async fn delete_network(
    State(st): State<AppState>,
    ApiPath((id, net)): ApiPath<(String, u32)>,
) -> ApiResult<StatusCode> {
    st.cache.labd().lab(&id).await?.delete_network(net).await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/labs/{id}/links`.
pub async fn links(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<Vec<nova_api::model::Link>>> {
    Ok(axum::Json(st.cache.snapshot(&id).await?.lab.links.clone()))
}

/// `POST /api/labs/{id}/links`.
pub async fn add_link(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(spec): JsonBody<LinkSpec>,
) -> ApiResult<(StatusCode, axum::Json<Created>)> {
    let link = st
        .cache
        .labd()
        .lab(&id)
        .await?
        .add_link(&spec_json(&spec)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok((StatusCode::CREATED, axum::Json(Created { id: link })))
}

/// `DELETE /api/labs/{id}/links/{link}`.
pub async fn delete_link(
    State(st): State<AppState>,
    ApiPath((id, link)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    st.cache.labd().lab(&id).await?.delete_link(&link).await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/labs/{id}/links/{link}/metrics`.
pub async fn set_metrics(
    State(st): State<AppState>,
    ApiPath((id, link)): ApiPath<(String, String)>,
    JsonBody(m): JsonBody<LinkMetricsSpec>,
) -> ApiResult<StatusCode> {
    m.validate()?;
    st.cache
        .labd()
        .lab(&id)
        .await?
        .set_link_metrics(&link, m.delay_ms, m.jitter_ms, m.loss_pct, m.bandwidth_kbps)
        .await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/labs/{id}/layout`.
pub async fn layout(
    State(st): State<AppState>,
    ApiPath(id): ApiPath<String>,
    JsonBody(layout): JsonBody<LayoutSpec>,
) -> ApiResult<StatusCode> {
    st.cache
        .labd()
        .lab(&id)
        .await?
        .update_layout(&spec_json(&layout)?)
        .await?;
    st.cache.refresh(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
