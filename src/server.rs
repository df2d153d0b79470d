//! HTTP: axum decodes the bearer token, attaches the viewer and fresh DataLoaders, and hands
//! the request to the schema. Nothing here knows about plans or tasks.

use std::net::SocketAddr;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, ParseRequestError};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::app::AppState;
use crate::app::request::{ClientAddr, LoginBudget, RequestOrigin};
use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::parse_cache::ParseCache;
use crate::graphql::{AppSchema, MAX_BATCH, build_schema, loaders};
use crate::services;

/// Largest request body: a 10 MB plan document sent as text must fit.
pub const MAX_BODY_BYTES: usize = 24 * 1024 * 1024;

#[derive(Clone)]
struct Server {
    state: AppState,
    schema: AppSchema,
    /// Parsed documents of signed-in clients, shared by all requests.
    parsed: std::sync::Arc<ParseCache>,
}

/// The router, ready to serve or to drive from tests.
pub fn router(state: AppState) -> Router {
    let schema = build_schema(state.clone());
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/ical/{file}", get(ical_feed))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Server {
            state,
            schema,
            parsed: std::sync::Arc::default(),
        })
}

async fn graphiql() -> impl IntoResponse {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
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
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
    else {
        return Ok(None);
    };
    let Ok((user_id, generation)) = s.state.keys.verify_issued(token) else {
        return Ok(None);
    };
    // A token from before the user's last password change no longer counts.
    let current = |v: Viewer| (v.token_generation == generation).then_some(v);
    // A token newer than the cached viewer (a password changed through another replica, or
    // just now) means the cache is behind: read the user again rather than refuse it.
    if let Some(v) = s.state.viewers.get(user_id)
        && v.token_generation >= generation
    {
        return Ok(current(v));
    }
    match services::users::viewer_for(&s.state.db.conn, user_id).await {
        Ok(v) => {
            s.state.viewers.put(v.clone());
            Ok(current(v))
        }
        Err(AppError::Unauthenticated) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A request body that is not a GraphQL request at all (not JSON, wrong content type, too
/// large): answered in GraphQL's error shape with a stable code, like every other refusal.
pub struct MalformedRequest(ParseRequestError);

impl From<ParseRequestError> for MalformedRequest {
    fn from(e: ParseRequestError) -> Self {
        MalformedRequest(e)
    }
}

impl IntoResponse for MalformedRequest {
    fn into_response(self) -> Response {
        let status = match self.0 {
            ParseRequestError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        let body = serde_json::json!({ "errors": [{
            "message": format!("malformed GraphQL request: {}", self.0),
            "extensions": { "code": "INVALID_INPUT" }
        }]});
        (status, axum::Json(body)).into_response()
    }
}

/// Errors that async-graphql raises itself before any resolver runs (syntax, unknown fields,
/// wrong argument types, depth and complexity limits) carry no code; they are all the client's
/// input, so they get INVALID_INPUT. Errors from resolvers already carry their own code.
fn code_uncoded_errors(resp: &mut BatchResponse) {
    let responses = match resp {
        BatchResponse::Single(r) => std::slice::from_mut(r),
        BatchResponse::Batch(list) => list.as_mut_slice(),
    };
    for r in responses {
        for e in &mut r.errors {
            let ext = e.extensions.get_or_insert_with(Default::default);
            if ext.get("code").is_none() {
                ext.set("code", "INVALID_INPUT");
            }
        }
    }
}

async fn graphql(
    State(s): State<Server>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    req: GraphQLBatchRequest<MalformedRequest>,
) -> Response {
    let batch = req.into_inner();
    if let BatchRequest::Batch(list) = &batch
        && list.len() > MAX_BATCH
    {
        let body = serde_json::json!({ "errors": [{
            "message": format!("at most {MAX_BATCH} operations per batch"),
            "extensions": { "code": "INVALID_INPUT" }
        }]});
        return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let viewer = match authenticate(&s, &headers).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "viewer lookup failed");
            let body = serde_json::json!({ "errors": [{
                "message": "internal error",
                "extensions": { "code": "INTERNAL" }
            }]});
            return (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        }
    };
    let origin = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| RequestOrigin(h.to_owned()));
    let client = extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| ClientAddr(c.0.ip().to_string()))
        .unwrap_or_else(|| ClientAddr("unknown".into()));
    let login_budget = LoginBudget::default();
    let prepare = |r: async_graphql::Request| {
        // Only signed-in clients' documents are kept: an anonymous client must not be able
        // to fill the cache with documents that validation would refuse.
        let r = if viewer.is_some() {
            s.parsed.attach(r)
        } else {
            r
        };
        let mut r = loaders::attach(r, &s.state.db.conn)
            .data(client.clone())
            .data(login_budget.clone());
        if let Some(o) = &origin {
            r = r.data(o.clone());
        }
        match &viewer {
            Some(v) => r.data(v.clone()),
            // Without a valid token only `login` answers: not even the schema is shown.
            None => r.disable_introspection(),
        }
    };
    let batch = match batch {
        BatchRequest::Single(r) => BatchRequest::Single(prepare(r)),
        BatchRequest::Batch(list) => BatchRequest::Batch(list.into_iter().map(prepare).collect()),
    };
    let mut resp = s.schema.execute_batch(batch).await;
    code_uncoded_errors(&mut resp);
    GraphQLResponse::from(resp).into_response()
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
