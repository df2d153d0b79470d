//! `GET /files/{id}`: an evidence attachment's bytes, streamed from the object store, for
//! whoever may read the item it belongs to (the office, leaders, the agencies assigned to the
//! task), with the same `Authorization: Bearer` token as the GraphQL API.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Server, authenticate, refusal, refused};
use crate::domain::evidence::content_disposition;
use crate::error::AppError;
use crate::services;

pub(super) async fn download(
    State(s): State<Server>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let viewer = match authenticate(&s, &headers).await {
        Ok(Some(v)) => v,
        Ok(None) => return refused(&AppError::Unauthenticated),
        Err(e) => {
            tracing::error!(error = %e, "viewer lookup failed");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let db = &s.state.db.conn;
    let found = match services::parse_id("attachment", &id) {
        Ok(id) => services::attachments::for_download(db, &viewer, id).await,
        Err(e) => Err(e),
    };
    let a = match found {
        Ok(a) => a,
        Err(e) => return refused(&e),
    };
    let stream = match s.state.config.storage.get(&a.storage_key).await {
        Ok(stream) => stream,
        // A row whose object is gone is our fault, not the client's.
        Err(e) => {
            tracing::error!(error = %e, key = %a.storage_key, "attachment object missing");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let mut resp = axum::body::Body::from_stream(stream).into_response();
    let h = resp.headers_mut();
    let value = |v: &str| {
        HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("application/octet-stream"))
    };
    h.insert(header::CONTENT_TYPE, value(&a.media_type));
    h.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(a.size.max(0) as u64),
    );
    if let Ok(cd) = HeaderValue::from_str(&content_disposition(&a.file_name)) {
        h.insert(header::CONTENT_DISPOSITION, cd);
    }
    // The sniffed type is the only one a browser may use, and nothing in it may run.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{}\"", a.sha256)) {
        h.insert(header::ETAG, tag);
    }
    resp
}
