//! `PUT /api/images/{kind}/{name}` (administrators): an image uploaded as the raw request body,
//! streamed through a pipe to labd (`Manager.ImportImage`), which writes it under
//! `/var/lib/nova-ve/images/<kind>/` with the declared size enforced and its SHA-256 computed
//! (and checked against `X-Checksum-Sha256` when sent). Nothing is buffered whole: the body
//! flows chunk by chunk from the socket into the pipe while labd reads the other end.
//!
//! ```sh
//! curl -T vyos-1.4.qcow2 -H "Authorization: Bearer $TOKEN" \
//!   -H "X-Checksum-Sha256: $(sha256sum vyos-1.4.qcow2 | cut -d' ' -f1)" \
//!   http://127.0.0.1:8080/api/images/qemu/vyos-1.4.qcow2
//! ```

use std::os::fd::OwnedFd;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::StreamExt as _;
use nova_api::limits::MAX_IMAGE_BYTES;
use nova_api::web::ImageUploaded;
use tokio::io::AsyncWriteExt as _;

use crate::error::{ApiError, ApiResult};
use crate::extract::ApiPath;
use crate::state::AppState;

/// The header carrying the expected SHA-256 (hex).
pub const CHECKSUM_HEADER: &str = "x-checksum-sha256";

/// The upload.
pub async fn upload(
    State(st): State<AppState>,
    ApiPath((kind, name)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, axum::Json<ImageUploaded>)> {
    let size: u64 = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::LENGTH_REQUIRED,
                "send the image with a Content-Length (curl -T file does)",
            )
        })?;
    if size > MAX_IMAGE_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("images are at most {} GiB", MAX_IMAGE_BYTES >> 30),
        ));
    }
    let sha256 = headers
        .get(CHECKSUM_HEADER)
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| ApiError::bad_request("X-Checksum-Sha256 must be 64 hex digits"))?
        .unwrap_or("")
        .to_string();
    let (mut tx, rx) =
        tokio::net::unix::pipe::pipe().map_err(|e| ApiError::internal(format!("pipe: {e}")))?;
    let fd: OwnedFd = rx
        .into_blocking_fd()
        .map_err(|e| ApiError::internal(format!("pipe: {e}")))?;
    let labd = st.cache.labd().clone();
    let store = async move {
        labd.manager()
            .import_image(&kind, &name, size, &sha256, fd.into())
            .await
            .map(|sha| (kind, name, sha))
    };
    let feed = async move {
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|e| format!("the upload broke off: {e}"))?;
            // labd stops reading when it refuses (exists, bad name, too long): its answer wins.
            tx.write_all(&chunk)
                .await
                .map_err(|e| format!("labd stopped reading: {e}"))?;
        }
        Ok::<(), String>(())
    };
    let (stored, fed) = tokio::join!(store, feed);
    let (kind, name, sha256) = stored?;
    fed.map_err(ApiError::bad_request)?;
    Ok((
        StatusCode::CREATED,
        axum::Json(ImageUploaded {
            kind,
            name,
            size,
            sha256,
        }),
    ))
}
