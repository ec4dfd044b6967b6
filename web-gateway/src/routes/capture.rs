//! Packet capture over HTTP: `GET /api/labs/{id}/links/{link}/capture` and
//! `GET /api/labs/{id}/nodes/{node}/interfaces/{index}/capture` stream a live pcap
//! (`application/vnd.tcpdump.pcap`) taken by netd on the host side of the interface, through
//! labd (`CaptureLink`, `CaptureInterface`: a pipe passed over D-Bus). The stream runs until the
//! client disconnects or `?seconds=N` pass, so both work:
//!
//! ```sh
//! curl -sN -H "Authorization: Bearer $TOKEN" \
//!   http://127.0.0.1:8080/api/labs/demo/links/lnk_001/capture | wireshark -k -i -
//! curl -s -o lnk1.pcap ".../links/lnk_001/capture?seconds=30"   # a file, after 30 s
//! ```

use std::os::fd::OwnedFd;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::Response;
use serde::Deserialize;
use tokio::io::AsyncReadExt as _;
use tokio::net::unix::pipe;

use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;

/// The longest capture a `seconds` may ask for (a day).
pub const MAX_CAPTURE_SECONDS: u64 = 86_400;

/// Query of the capture routes.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureQuery {
    /// Stop after this many seconds (1 to a day); without it, run until the client leaves.
    seconds: Option<u64>,
}

/// `GET /api/labs/{id}/links/{link}/capture`.
pub async fn link(
    State(st): State<AppState>,
    ApiPath((id, link)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<CaptureQuery>,
) -> ApiResult<Response> {
    let limit = limit(&q)?;
    let fd: OwnedFd = st
        .cache
        .labd()
        .lab(&id)
        .await?
        .capture_link(&link)
        .await?
        .into();
    stream(fd, limit, &format!("{id}-{link}"))
}

/// `GET /api/labs/{id}/nodes/{node}/interfaces/{index}/capture`.
pub async fn interface(
    State(st): State<AppState>,
    ApiPath((id, node, index)): ApiPath<(String, u32, u32)>,
    ApiQuery(q): ApiQuery<CaptureQuery>,
) -> ApiResult<Response> {
    let limit = limit(&q)?;
    let fd: OwnedFd = super::topology::node_proxy(&st, &id, node)
        .await?
        .capture_interface(index)
        .await?
        .into();
    stream(fd, limit, &format!("{id}-node{node}-eth{index}"))
}

fn limit(q: &CaptureQuery) -> ApiResult<Option<Duration>> {
    match q.seconds {
        None => Ok(None),
        Some(s @ 1..=MAX_CAPTURE_SECONDS) => Ok(Some(Duration::from_secs(s))),
        Some(s) => Err(ApiError::bad_request(format!(
            "seconds={s}: a capture lasts 1 to {MAX_CAPTURE_SECONDS} seconds"
        ))),
    }
}

/// The pcap pipe as a streamed response body.
fn stream(fd: OwnedFd, limit: Option<Duration>, name: &str) -> ApiResult<Response> {
    let rx = pipe::Receiver::from_owned_fd(fd)
        .map_err(|e| ApiError::internal(format!("capture stream from labd: {e}")))?;
    let deadline = limit.map(|d| tokio::time::Instant::now() + d);
    let chunks = futures_util::stream::unfold(rx, move |mut rx| async move {
        let mut buf = vec![0u8; 64 * 1024];
        let read = rx.read(&mut buf);
        let n = match deadline {
            Some(at) => tokio::time::timeout_at(at, read).await.ok()?,
            None => read.await,
        };
        match n {
            Ok(0) | Err(_) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), rx))
            }
        }
    });
    let file: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Response::builder()
        .header(header::CONTENT_TYPE, "application/vnd.tcpdump.pcap")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}.pcap\""),
        )
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from_stream(chunks))
        .map_err(|e| ApiError::internal(e.to_string()))
}
