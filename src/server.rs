//! HTTP: axum decodes the bearer token, attaches the viewer and fresh DataLoaders, and hands
//! the request to the schema. Nothing here knows about plans or tasks.

mod downloads;

use std::net::SocketAddr;

use async_graphql::{BatchRequest, BatchResponse, ParseRequestError};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::limits::{Cost, LIMIT_EXCEEDED};
use crate::graphql::parse_cache::ParseCache;
use crate::graphql::request::{ClientAddr, CredentialBudget, RequestOrigin};
use crate::graphql::{AppSchema, MAX_BATCH, build_schema_with, loaders};

mod request;
#[allow(clippy::wildcard_imports)]
use request::*;
mod files;
mod metrics;

#[derive(Clone)]
struct Server {
    state: AppState,
    schema: AppSchema,
    /// Parsed documents of signed-in clients, shared by all requests.
    parsed: std::sync::Arc<ParseCache>,
    /// Permits to read a large body (see `read_request`).
    large_bodies: std::sync::Arc<tokio::sync::Semaphore>,
    /// Ledger exports running now (`Limits::concurrent_exports`).
    exports: std::sync::Arc<tokio::sync::Semaphore>,
    /// Automatic persisted queries known to this process.
    persisted: std::sync::Arc<crate::graphql::persisted::PersistedQueries>,
    /// This replica's live-update events, fanned out to its subscribers.
    hub: std::sync::Arc<crate::services::events::Hub>,
    /// WebSocket connections per user, and those not yet initialised.
    connections: std::sync::Arc<ws::Connections>,
}

mod ws;

/// The router, ready to serve or to drive from tests.
pub fn router(state: AppState) -> Router {
    let hub = crate::services::events::Hub::new(state.db.conn.clone());
    let schema = build_schema_with(state.clone(), hub.clone());
    let exports = tokio::sync::Semaphore::new(state.config.limits.concurrent_exports);
    Router::new()
        .route("/", get(crate::graphiql::page))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::scrape))
        .route("/ical/{file}", get(ical_feed))
        .route("/files/{id}", get(files::download))
        .route("/ledger.xlsx", get(downloads::ledger_xlsx))
        .route("/ledger.csv", get(downloads::ledger_csv))
        .route("/notices/{file}", get(downloads::notice_docx))
        // The whole exchange, the body read included, ends at the time limit (plus a margin
        // for the answer): a client trickling its body holds a connection, not a worker.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.limits.request_time + std::time::Duration::from_secs(5),
        ))
        // Outermost, so that what the time limit cuts off is measured too.
        .layer(axum::middleware::from_fn(metrics::observe))
        .with_state(Server {
            state,
            schema,
            large_bodies: std::sync::Arc::new(tokio::sync::Semaphore::new(LARGE_BODY_PERMITS)),
            exports: std::sync::Arc::new(exports),
            parsed: std::sync::Arc::default(),
            persisted: std::sync::Arc::default(),
            hub,
            connections: std::sync::Arc::new(ws::Connections::new()),
        })
}

async fn healthz(State(s): State<Server>) -> Response {
    match s.state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

/// An agency's deadlines as an iCalendar feed, at the secret URL from `agencyCalendarUrl`.
async fn ical_feed(
    State(s): State<Server>,
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match crate::notify::feed::render_for_token(&s.state.db.conn, token, &s.state.config.public_url)
        .await
    {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Err(AppError::NotFound(_)) => (StatusCode::NOT_FOUND, "not found").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "calendar feed failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The viewer behind `Authorization: Bearer …`: `Ok(None)` when there is no valid token or the
/// user is gone or disabled.
///
/// # Errors
/// INTERNAL when the database cannot say who the token belongs to: a database outage must not
/// look like a logout to the client.
async fn authenticate(s: &Server, headers: &HeaderMap) -> Result<Option<Viewer>, AppError> {
    let Some(token) = bearer(headers) else {
        return Ok(None);
    };
    let Ok((user_id, generation)) = s.state.keys.verify_issued(token) else {
        return Ok(None);
    };
    crate::services::users::current_viewer(&s.state.db.conn, &s.state.viewers, user_id, generation)
        .await
}

/// The token of `Authorization: Bearer …`, if there is one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110).
        .and_then(|v| {
            v.get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .map(str::trim)
}

/// A refusal before the GraphQL layer runs, in GraphQL's error shape with a stable code.
fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "errors": [{
        "message": message.into(),
        "extensions": { "code": code }
    }]});
    let mut resp = (status, axum::Json(body)).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
    }
    resp
}

/// A download refused (or failed) as an HTTP status with the error's stable code, in GraphQL's
/// error shape; the one mapping for every non-GraphQL route (files, ledger, notices).
fn refused(e: &AppError) -> Response {
    let status = match e {
        AppError::Unauthenticated | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::InvalidInput(_) | AppError::Document { .. } => StatusCode::BAD_REQUEST,
        AppError::LimitExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Conflict(_) | AppError::InvalidTransition(_) => StatusCode::CONFLICT,
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "download failed");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let mut resp = refusal(status, e.code(), e.to_string());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    resp
}

fn too_large(limit: usize) -> Response {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        LIMIT_EXCEEDED,
        format!("the request is over the limit of {limit} bytes"),
    )
}

/// A body that is not a GraphQL request at all (not JSON, a broken multipart, too large).
fn malformed(e: ParseRequestError) -> Response {
    match e {
        ParseRequestError::PayloadTooLarge => refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            LIMIT_EXCEEDED,
            "the request body is over the size limit",
        ),
        e => refusal(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            format!("malformed GraphQL request: {e}"),
        ),
    }
}

/// Errors that async-graphql raises itself before any resolver runs (syntax, unknown fields,
/// wrong argument types, depth and complexity limits) carry no code; they are all the client's
/// input, so they get INVALID_INPUT, or LIMIT_EXCEEDED for its depth and complexity limits
/// (the same code as ours in `graphql::limits`). Errors from resolvers carry their own code.
fn code_uncoded_errors(resp: &mut BatchResponse) {
    for r in responses_mut(resp) {
        code_response(r);
    }
}

/// [`code_uncoded_errors`] for one response (a subscription's event).
fn code_response(r: &mut async_graphql::Response) {
    {
        for e in &mut r.errors {
            let limit = e.message.contains("too complex") || e.message.contains("nested too deep");
            let ext = e.extensions.get_or_insert_with(Default::default);
            if ext.get("code").is_none() {
                ext.set(
                    "code",
                    if limit {
                        LIMIT_EXCEEDED
                    } else {
                        "INVALID_INPUT"
                    },
                );
            }
        }
    }
}

fn responses_mut(resp: &mut BatchResponse) -> &mut [async_graphql::Response] {
    match resp {
        BatchResponse::Single(r) => std::slice::from_mut(r),
        BatchResponse::Batch(list) => list.as_mut_slice(),
    }
}

/// A request error (GraphQL over HTTP): nothing executed, so there is no `data` entry; the
/// errors have no path (a field error has one).
fn is_request_error(r: &async_graphql::Response) -> bool {
    r.data == async_graphql::Value::Null
        && !r.errors.is_empty()
        && r.errors.iter().all(|e| e.path.is_empty())
}

/// The answer as JSON text. Written straight from the response; only an answer with a
/// request error goes through a `serde_json::Value` first, to drop its `data` entry
/// (request errors carry none), since building the tree for every answer cost more than
/// writing it.
fn serialize(resp: &BatchResponse) -> String {
    let any_request_error = match resp {
        BatchResponse::Single(r) => is_request_error(r),
        BatchResponse::Batch(list) => list.iter().any(is_request_error),
    };
    if !any_request_error {
        return serde_json::to_string(resp).unwrap_or_else(|_| "null".into());
    }
    let mut value = serde_json::to_value(resp).unwrap_or(serde_json::Value::Null);
    let strip = |v: &mut serde_json::Value, r: &async_graphql::Response| {
        if is_request_error(r)
            && let Some(obj) = v.as_object_mut()
        {
            obj.remove("data");
        }
    };
    match (resp, &mut value) {
        (BatchResponse::Single(r), v) => strip(v, r),
        (BatchResponse::Batch(list), serde_json::Value::Array(vs)) => {
            for (r, v) in list.iter().zip(vs.iter_mut()) {
                strip(v, r);
            }
        }
        _ => {}
    }
    value.to_string()
}

/// Serialises the answer in the negotiated type, within the response size limit.
fn answer(resp: BatchResponse, kind: Answer, max_bytes: usize, writes: bool) -> Response {
    let single_request_error = matches!(&resp, BatchResponse::Single(r) if is_request_error(r));
    let body = serialize(&resp);
    let (status, body) = if body.len() > max_bytes {
        let refused = serde_json::json!({ "errors": [{
            "message": format!(
                "the answer is {} bytes, over the limit of {max_bytes}: ask for fewer items or fields{}",
                body.len(),
                if writes { "; the mutation itself was carried out (read its result back)" } else { "" }
            ),
            "extensions": { "code": LIMIT_EXCEEDED }
        }]});
        (
            if kind == Answer::GraphqlResponse {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            refused.to_string(),
        )
    } else if kind == Answer::GraphqlResponse && single_request_error {
        (StatusCode::BAD_REQUEST, body)
    } else {
        (StatusCode::OK, body)
    };
    let media = match kind {
        Answer::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        Answer::Json => "application/json; charset=utf-8",
    };
    let mut out = (status, [(header::CONTENT_TYPE, media)], body).into_response();
    out.headers_mut().extend(resp.http_headers());
    out
}

async fn graphql(State(s): State<Server>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::GET && ws::is_upgrade(&parts) {
        return ws::upgrade(s, parts).await;
    }
    let Some(kind) = negotiate(&parts.headers) else {
        return refusal(
            StatusCode::NOT_ACCEPTABLE,
            "INVALID_INPUT",
            "accept application/graphql-response+json or application/json",
        );
    };
    // The token is read first, from the headers alone, so that a client without one can send
    // only a small body: before signing in there is nothing to send but a login.
    let viewer = match authenticate(&s, &parts.headers).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "viewer lookup failed");
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "internal error",
            );
        }
    };
    let limits = &s.state.config.limits;
    let limit = if viewer.is_some() {
        limits.body_bytes
    } else {
        limits.anonymous_body_bytes
    };
    let batch =
        match read_request(&parts, body, limit, limits.json_body_bytes, &s.large_bodies).await {
            Ok(b) => b,
            Err(resp) => return resp,
        };
    metrics::name_operation(&parts, &batch, viewer.is_some());
    // No `query` is no GraphQL request (a persisted query sends its hash instead).
    if batch
        .iter()
        .any(|r| r.query.trim().is_empty() && !r.extensions.contains_key("persistedQuery"))
    {
        return refusal(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            "the request has no query",
        );
    }
    if let BatchRequest::Batch(list) = &batch
        && list.len() > MAX_BATCH
    {
        return refusal(
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!("at most {MAX_BATCH} operations per batch"),
        );
    }
    let origin = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| RequestOrigin(h.to_owned()));
    let client = ClientAddr(client_address(&parts, &s.state.config.trusted_proxies));
    let credentials = CredentialBudget::default();
    let prepare = |mut r: async_graphql::Request| {
        s.persisted.resolve(&mut r, viewer.is_some())?;
        // Only signed-in clients' documents are kept: an anonymous client must not be able
        // to fill the cache with documents that validation would refuse.
        let r = if viewer.is_some() {
            s.parsed.attach(r)
        } else {
            r
        };
        let mut r = loaders::attach(r, &s.state.db)
            .data(client.clone())
            .data(credentials.clone());
        if let Some(o) = &origin {
            r = r.data(o.clone());
        }
        let mut r = match &viewer {
            Some(v) => r.data(v.clone()),
            // Without a valid token only `login` answers (see graphql::limits): not even the
            // schema is shown.
            None => r.disable_introspection(),
        };
        crate::graphql::limits::admit(&mut r, viewer.is_some()).map(|cost| (r, cost))
    };
    let admitted = match batch {
        BatchRequest::Single(r) => prepare(r).map(|(r, cost)| (BatchRequest::Single(r), cost)),
        BatchRequest::Batch(list) => list
            .into_iter()
            .map(prepare)
            .collect::<Result<Vec<_>, _>>()
            .and_then(|admitted| {
                let total = admitted.iter().fold(Cost::default(), |t, (_, c)| t + *c);
                crate::graphql::limits::check_batch(total)?;
                Ok((
                    BatchRequest::Batch(admitted.into_iter().map(|(r, _)| r).collect()),
                    total,
                ))
            }),
    };
    let (batch, cost) = match admitted {
        Ok(b) => b,
        // Refused before anything ran: a request error (no `data`).
        Err(refused) => {
            let resp = async_graphql::Response::from_errors(vec![refused.into_server_error()]);
            return answer(
                BatchResponse::Single(resp),
                kind,
                limits.response_bytes,
                false,
            );
        }
    };
    // Dropping the execution at the deadline drops its open transaction, which rolls back.
    let Ok(mut resp) =
        tokio::time::timeout(limits.request_time, s.schema.execute_batch(batch)).await
    else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            LIMIT_EXCEEDED,
            format!(
                "the request ran longer than {} s and was abandoned: the write under way was \
                 rolled back; {}",
                limits.request_time.as_secs_f64(),
                if cost.writes {
                    "mutation fields that had already finished are kept (read them back)"
                } else {
                    "it was a read, so nothing changed"
                }
            ),
        );
    };
    code_uncoded_errors(&mut resp);
    answer(resp, kind, limits.response_bytes, cost.writes)
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
pub async fn serve(state: AppState, addr: SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("duban listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}
