//! File downloads for frontends, authenticated with the same bearer token as `/graphql`:
//! the ledger (`/ledger.xlsx`, `/ledger.csv`, filtered like `tasks` by `plan` and `agency`)
//! and a numbered notice's Word document (`/notices/{record id}.docx`). Refusals carry the
//! API's stable codes (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{Server, authenticate, refusal, refused};
use crate::auth::Viewer;
use crate::error::AppError;
use crate::services::ledger::{self, CsvLedger, LedgerFormat, XlsxLedger};

/// `?plan=…&agency=…` (ids as in the API).
#[derive(serde::Deserialize, Default)]
pub(super) struct LedgerQuery {
    plan: Option<String>,
    agency: Option<String>,
}

async fn signed_in(s: &Server, headers: &HeaderMap) -> Result<Viewer, AppError> {
    authenticate(s, headers)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// `Content-Disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987).
fn attachment(ascii: &str, utf8: &str) -> HeaderValue {
    let encoded: String = utf8
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

pub(super) async fn ledger_xlsx(
    State(s): State<Server>,
    headers: HeaderMap,
    Query(q): Query<LedgerQuery>,
) -> Response {
    ledger_download(s, headers, q, LedgerFormat::Xlsx).await
}

pub(super) async fn ledger_csv(
    State(s): State<Server>,
    headers: HeaderMap,
    Query(q): Query<LedgerQuery>,
) -> Response {
    ledger_download(s, headers, q, LedgerFormat::Csv).await
}

/// Writes the ledger into an anonymous temporary file (rows stream from the database in
/// batches, so memory stays bounded), then streams the file back.
async fn ledger_download(
    s: Server,
    headers: HeaderMap,
    q: LedgerQuery,
    format: LedgerFormat,
) -> Response {
    let viewer = match signed_in(&s, &headers).await {
        Ok(v) => v,
        Err(e) => return refused(&e),
    };
    // Bounded after sign-in, so anonymous requests cannot hold the permits.
    let Ok(_running) = s.exports.try_acquire() else {
        let mut resp = refusal(
            StatusCode::TOO_MANY_REQUESTS,
            crate::graphql::limits::LIMIT_EXCEEDED,
            "other ledger exports are running; try again shortly",
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return resp;
    };
    match build_ledger(&s, &viewer, &q, format).await {
        Ok(file) => {
            let name = format!("ledger.{}", format.extension());
            let body = Body::from_stream(tokio_util::io::ReaderStream::new(
                tokio::fs::File::from_std(file),
            ));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static(format.media_type()),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        attachment(&name, &format!("督办台账.{}", format.extension())),
                    ),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, no-store"),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(e) => refused(&e),
    }
}

async fn build_ledger(
    s: &Server,
    viewer: &Viewer,
    q: &LedgerQuery,
    format: LedgerFormat,
) -> Result<std::fs::File, AppError> {
    use std::io::Seek;
    let id = |what: &str, v: &Option<String>| {
        v.as_deref()
            .filter(|v| !v.trim().is_empty())
            .map(|v| crate::services::parse_id(what, v))
            .transpose()
    };
    let filter = ledger::scope(viewer, id("plan", &q.plan)?, id("agency", &q.agency)?)?;
    let today = s.state.today();
    let mut file = tempfile::tempfile().map_err(AppError::internal)?;
    let out = std::io::BufWriter::new(file.try_clone().map_err(AppError::internal)?);
    match format {
        LedgerFormat::Xlsx => {
            let mut sink = XlsxLedger::new(None)?;
            ledger::export(&s.state.db.conn, &filter, today, &mut sink).await?;
            // Assembling the archive is CPU work: off the async workers.
            tokio::task::spawn_blocking(move || sink.finish(out))
                .await
                .map_err(AppError::internal)??;
        }
        LedgerFormat::Csv => {
            let mut sink = CsvLedger::new(out)?;
            ledger::export(&s.state.db.conn, &filter, today, &mut sink).await?;
            std::io::Write::flush(&mut sink.finish()?).map_err(AppError::internal)?;
        }
    }
    file.rewind().map_err(AppError::internal)?;
    Ok(file)
}

/// A numbered notice's .docx, exactly as it was mailed.
pub(super) async fn notice_docx(
    State(s): State<Server>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let found = async {
        let viewer = signed_in(&s, &headers).await?;
        let id = file
            .strip_suffix(".docx")
            .ok_or_else(|| AppError::not_found("notice", file.clone()))?;
        let id = crate::services::parse_id("supervision record", id)?;
        crate::notify::documents::for_viewer(&s.state.db.conn, &viewer, id).await
    }
    .await;
    match found {
        Ok(doc) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(crate::notify::notice_doc::DOCX_MEDIA_TYPE),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    attachment(&format!("notice-{}.docx", doc.record_id), &doc.file_name),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("private, no-store"),
                ),
            ],
            doc.content,
        )
            .into_response(),
        Err(e) => refused(&e),
    }
}
