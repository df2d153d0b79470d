//! HTTP: axum decodes the bearer token, attaches the viewer and fresh DataLoaders, and hands
//! the request to the schema. Nothing here knows about plans or tasks.

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

#[derive(Clone)]
struct Server {
    state: AppState,
    schema: AppSchema,
    /// Parsed documents of signed-in clients, shared by all requests.
    parsed: std::sync::Arc<ParseCache>,
    /// Permits to read a large body (see `read_request`).
    large_bodies: std::sync::Arc<tokio::sync::Semaphore>,
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
    Router::new()
        .route("/", get(crate::graphiql::page))
        .route("/graphiql/{file}", get(crate::graphiql::asset))
        .route("/graphql", get(graphql).post(graphql))
        .route("/healthz", get(healthz))
        .route("/ical/{file}", get(ical_feed))
        // The whole exchange, the body read included, ends at the time limit (plus a margin
        // for the answer): a client trickling its body holds a connection, not a worker.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.limits.request_time + std::time::Duration::from_secs(5),
        ))
        .with_state(Server {
            state,
            schema,
            large_bodies: std::sync::Arc::new(tokio::sync::Semaphore::new(LARGE_BODY_PERMITS)),
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
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110).
        .and_then(|v| {
            v.get(..7)
                .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])
        })
        .map(str::trim)
    else {
        return Ok(None);
    };
    let Ok((user_id, generation)) = s.state.keys.verify_issued(token) else {
        return Ok(None);
    };
    crate::services::users::current_viewer(&s.state.db.conn, &s.state.viewers, user_id, generation)
        .await
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

/// The media type of the answer, chosen from the request's `Accept` (GraphQL over HTTP).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json` (also for no Accept or `*/*`): always 200 for a GraphQL response.
    Json,
}

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// `None` when the client accepts neither JSON type (406).
fn negotiate(headers: &HeaderMap) -> Option<Answer> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Answer::Json);
    };
    let mut best: Option<(f32, Answer)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let answer = match media.as_str() {
            GRAPHQL_RESPONSE => Answer::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Answer::Json,
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        // Ties go to the watershed type the spec prefers.
        let better = match best {
            None => true,
            Some((bq, b)) => {
                q > bq || (q == bq && answer == Answer::GraphqlResponse && b != answer)
            }
        };
        if better {
            best = Some((q, answer));
        }
    }
    best.map(|(_, a)| a)
}

/// The body's kind, from `Content-Type`: only JSON and multipart are executed.
enum Body {
    Json,
    Multipart,
}

fn body_kind(headers: &HeaderMap) -> Option<Body> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => {
            // A charset other than UTF-8 is not JSON as RFC 8259 defines it.
            let charset_ok = ct.split(';').skip(1).all(|p| {
                p.trim()
                    .strip_prefix("charset=")
                    .is_none_or(|c| c.trim_matches('"').eq_ignore_ascii_case("utf-8"))
            });
            charset_ok.then_some(Body::Json)
        }
        "multipart/form-data" => Some(Body::Multipart),
        _ => None,
    }
}

/// Does the request (a GET query string) name a mutation or subscription as its operation?
fn is_write(req: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(doc) = async_graphql::parser::parse_query(&req.query) else {
        return false; // the syntax error is reported by execution
    };
    let ty = match (&doc.operations, &req.operation_name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    };
    matches!(
        ty,
        Some(OperationType::Mutation | OperationType::Subscription)
    )
}

/// Reads the GraphQL request from the HTTP request within `limit` bytes, whatever the way it
/// arrives: a GET query string, a JSON body or a multipart upload. A declared length over the
/// limit is refused before anything is read; a streamed body is cut off at the limit.
async fn read_request(
    parts: &axum::http::request::Parts,
    body: axum::body::Body,
    limit: usize,
    json_limit: usize,
    large_bodies: &tokio::sync::Semaphore,
) -> Result<BatchRequest, Response> {
    if parts.method == Method::GET {
        let query = parts.uri.query().unwrap_or_default();
        if query.len() > limit.min(json_limit) {
            return Err(too_large(limit.min(json_limit)));
        }
        let req = parse_query_string(&parts.uri).map_err(|e| {
            refusal(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT",
                format!("malformed GraphQL request: {e}"),
            )
        })?;
        // GraphQL over HTTP: GET is for reads; a write over GET could be triggered by a link.
        if is_write(&req) {
            return Err(refusal(
                StatusCode::METHOD_NOT_ALLOWED,
                "INVALID_INPUT",
                "mutations are accepted over POST only",
            ));
        }
        return Ok(BatchRequest::Single(req));
    }
    let Some(kind) = body_kind(&parts.headers) else {
        return Err(refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "INVALID_INPUT",
            "send the request as application/json (UTF-8) or multipart/form-data",
        ));
    };
    // JSON is decoded whole into values many times its size (an array of small numbers costs
    // ~50 bytes a byte), so it gets a tighter limit than uploads, which go to temporary files.
    let limit = match kind {
        Body::Json => limit.min(json_limit),
        Body::Multipart => limit,
    };
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(limit));
    }
    // Large bodies are read and decoded a few at a time, so that many of them at once cannot
    // add up to more memory than the machine has.
    let _permit = if declared.is_none_or(|n| n > LARGE_BODY_BYTES as u64) {
        Some(large_bodies.acquire().await.map_err(|_| too_large(limit))?)
    } else {
        None
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        // `to_bytes` reports the limit as a length-limit error in the source chain; anything
        // else is a broken connection or a malformed chunked body.
        if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
        {
            too_large(limit)
        } else {
            refusal(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT",
                format!("the request body could not be read: {e}"),
            )
        }
    })?;
    if matches!(kind, Body::Json) {
        let (batch, values) = json_shape(&bytes);
        if batch > MAX_BATCH {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                LIMIT_EXCEEDED,
                format!("at most {MAX_BATCH} operations per batch"),
            ));
        }
        if values > MAX_JSON_VALUES {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                LIMIT_EXCEEDED,
                format!("the request holds more than {MAX_JSON_VALUES} JSON values"),
            ));
        }
    }
    let content_type = match kind {
        Body::Json => Some("application/json".to_owned()),
        Body::Multipart => parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let options = async_graphql::http::MultipartOptions::default()
        .max_file_size(limit)
        .max_num_files(MAX_UPLOAD_FILES);
    let batch = async_graphql::http::receive_batch_body(content_type, &bytes[..], options)
        .await
        .map_err(malformed)?;
    // async-graphql uses the file count only to bound the total size; count files as the
    // README promises (one file mapped to many variables counts once per variable).
    let files: usize = batch.iter().map(|r| r.uploads.len()).sum();
    if files > MAX_UPLOAD_FILES {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            LIMIT_EXCEEDED,
            format!("at most {MAX_UPLOAD_FILES} files per request"),
        ));
    }
    Ok(batch)
}

/// Who is asking, for the sign-in throttle and the audit: the peer's address or, when the peer
/// is a trusted proxy, the nearest untrusted address it forwards. IPv6 addresses count by their
/// /64 (one host is given a whole /64 and could rotate through it).
fn client_address(parts: &axum::http::request::Parts, trusted: &[std::net::IpAddr]) -> String {
    use std::net::IpAddr;
    let Some(peer) = parts
        .extensions
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    let canonical = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let mut client = canonical(peer);
    if trusted.contains(&client) {
        // X-Forwarded-For lists the client first and each proxy appends the address it saw:
        // read from the right, past our own proxies.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.into_iter().rev() {
            match hop.parse::<IpAddr>().map(canonical) {
                Ok(ip) if trusted.contains(&ip) => continue,
                Ok(ip) => {
                    client = ip;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Bodies above this size wait for one of [`LARGE_BODY_PERMITS`] to be read.
const LARGE_BODY_BYTES: usize = 1024 * 1024;
const LARGE_BODY_PERMITS: usize = 2;

/// Most values (numbers, strings, items, members) in one JSON body. Decoded, each costs about
/// a hundred bytes whatever its size in the text, so four megabytes of `0,` would take 400 MB;
/// no real request holds more than a few thousand (a plan's text is one value).
const MAX_JSON_VALUES: usize = 50_000;

/// What a JSON body holds, counted in one pass over its bytes without decoding it: the items of
/// a top-level array (a batch; 0 for an object) and how many values it has in all. A batch of
/// millions of `{}` would cost gigabytes to decode before its length could be checked.
fn json_shape(body: &[u8]) -> (usize, usize) {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let is_batch = start.is_some_and(|i| body[i] == b'[');
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let (mut items, mut values, mut any) = (0usize, 1usize, false);
    for &b in &body[start.unwrap_or(body.len())..] {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' | b':' => {
                values += 1;
                if b == b',' && depth == 1 {
                    items += 1;
                }
            }
            _ => {}
        }
        if depth >= 1 && !matches!(b, b'[' | b' ' | b'\n' | b'\r' | b'\t') {
            any = true;
        }
    }
    let batch = if !is_batch {
        0
    } else if any {
        items + 1
    } else {
        0
    };
    (batch, values)
}

/// A GraphQL request from a GET query string, as GraphQL over HTTP names its parameters
/// (`operationName`; async-graphql's own parser reads only `operation_name`).
fn parse_query_string(uri: &axum::http::Uri) -> Result<async_graphql::Request, String> {
    #[derive(serde::Deserialize)]
    struct Params {
        #[serde(default)]
        query: String,
        #[serde(rename = "operationName", alias = "operation_name")]
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let p: Params = axum::extract::Query::<Params>::try_from_uri(uri)
        .map_err(|e| e.body_text())?
        .0;
    fn json<T: serde::de::DeserializeOwned>(
        what: &str,
        v: Option<String>,
    ) -> Result<Option<T>, String> {
        v.filter(|s| !s.is_empty())
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| format!("invalid {what}: {e}"))
    }
    let mut req = async_graphql::Request::new(p.query);
    if let Some(name) = p.operation_name.filter(|n| !n.is_empty()) {
        req = req.operation_name(name);
    }
    if let Some(v) = json("variables", p.variables)? {
        req = req.variables(v);
    }
    if let Some(e) = json("extensions", p.extensions)? {
        req.extensions = e;
    }
    Ok(req)
}

/// Most files in one multipart request.
const MAX_UPLOAD_FILES: usize = 20;

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

/// Serialises the answer in the negotiated type, within the response size limit.
fn answer(resp: BatchResponse, kind: Answer, max_bytes: usize, writes: bool) -> Response {
    let mut value = serde_json::to_value(&resp).unwrap_or(serde_json::Value::Null);
    let single_request_error = matches!(&resp, BatchResponse::Single(r) if is_request_error(r));
    // Request errors carry no `data` entry at all.
    let strip = |v: &mut serde_json::Value, r: &async_graphql::Response| {
        if is_request_error(r)
            && let Some(obj) = v.as_object_mut()
        {
            obj.remove("data");
        }
    };
    match (&resp, &mut value) {
        (BatchResponse::Single(r), v) => strip(v, r),
        (BatchResponse::Batch(list), serde_json::Value::Array(vs)) => {
            for (r, v) in list.iter().zip(vs.iter_mut()) {
                strip(v, r);
            }
        }
        _ => {}
    }
    let body = value.to_string();
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
        let mut r = loaders::attach(r, &s.state.db.conn)
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

#[cfg(test)]
mod tests {
    use super::json_shape;

    #[test]
    fn json_shape_counts_batches_and_values_without_decoding() {
        assert_eq!(json_shape(br#"{"query":"{ a }"}"#).0, 0);
        assert_eq!(json_shape(br#" [ {"query":"a"}, {"query":"b,c"} ] "#).0, 2);
        assert_eq!(json_shape(b"[{}]").0, 1);
        assert_eq!(json_shape(b"[]").0, 0);
        assert_eq!(
            json_shape(br#"[{"q":"\"]"}, {}]"#).0,
            2,
            "brackets in strings do not count"
        );
        let numbers = format!(r#"{{"variables":{{"p":[{}0]}}}}"#, "0,".repeat(1000));
        assert!(json_shape(numbers.as_bytes()).1 > 1000);
        assert!(
            json_shape(br#"{"query":"a, b: c"}"#).1 < 3,
            "commas in strings do not count"
        );
    }
}
