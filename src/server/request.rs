//! Reading a GraphQL request off HTTP: content negotiation, the body's kind and size limits,
//! GET query strings, JSON shape checks before decoding, multipart uploads, and who is asking
//! (the client address behind trusted proxies). The routing and answering are `super`.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The media type of the answer, chosen from the request's `Accept` (GraphQL over HTTP).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json` (also for no Accept or `*/*`): always 200 for a GraphQL response.
    Json,
}

pub(super) const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// `None` when the client accepts neither JSON type (406).
pub(super) fn negotiate(headers: &HeaderMap) -> Option<Answer> {
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
pub(super) enum Body {
    Json,
    Multipart,
}

pub(super) fn body_kind(headers: &HeaderMap) -> Option<Body> {
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
pub(super) fn is_write(req: &async_graphql::Request) -> bool {
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
pub(super) async fn read_request(
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
pub(super) fn client_address(
    parts: &axum::http::request::Parts,
    trusted: &[std::net::IpAddr],
) -> String {
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
pub(super) const LARGE_BODY_BYTES: usize = 1024 * 1024;
pub(super) const LARGE_BODY_PERMITS: usize = 2;

/// Most values (numbers, strings, items, members) in one JSON body. Decoded, each costs about
/// a hundred bytes whatever its size in the text, so four megabytes of `0,` would take 400 MB;
/// no real request holds more than a few thousand (a plan's text is one value).
pub(super) const MAX_JSON_VALUES: usize = 50_000;

/// What a JSON body holds, counted in one pass over its bytes without decoding it: the items of
/// a top-level array (a batch; 0 for an object) and how many values it has in all. A batch of
/// millions of `{}` would cost gigabytes to decode before its length could be checked.
pub(super) fn json_shape(body: &[u8]) -> (usize, usize) {
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
pub(super) fn parse_query_string(uri: &axum::http::Uri) -> Result<async_graphql::Request, String> {
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
pub(super) const MAX_UPLOAD_FILES: usize = 20;

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
