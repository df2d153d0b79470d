//! The HTTP side of `crate::metrics`: every request is timed and its SQL tallied
//! ([`observe`]), the GraphQL handler names its operation ([`name_operation`]), and
//! `/metrics` serves the exposition to a scraper holding `DUBAN_METRICS_TOKEN` ([`scrape`]).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use async_graphql::BatchRequest;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Server, bearer};
use crate::metrics::{self as m, RequestSql};

/// The operation label of the request, set by the GraphQL handler once it has read the body.
#[derive(Default)]
struct Operation(OnceLock<String>);

/// Times the request and tallies its SQL, labelled by route pattern, operation and status.
pub(super) async fn observe(mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let operation = Arc::new(Operation::default());
    req.extensions_mut().insert(operation.clone());
    let sql = Arc::new(RequestSql::default());
    let started = Instant::now();
    let resp = m::in_request(sql.clone(), next.run(req)).await;
    let op = operation.0.get().map_or(
        if route == "/graphql" {
            m::OTHER_OPERATION
        } else {
            ""
        },
        String::as_str,
    );
    m::observe_request(&route, op, resp.status().as_u16(), started.elapsed(), &sql);
    resp
}

/// Names the request's operation for [`observe`]: `operationName`, or the name in the
/// document of a single named operation; a batch is [`m::BATCH_OPERATION`]. Names of
/// clients that are not signed in are not kept (see [`m::operation_label`]).
pub(super) fn name_operation(
    parts: &axum::http::request::Parts,
    batch: &BatchRequest,
    signed_in: bool,
) {
    let Some(slot) = parts.extensions.get::<Arc<Operation>>() else {
        return;
    };
    let label = match batch {
        BatchRequest::Single(r) => {
            let name = r
                .operation_name
                .clone()
                .or_else(|| first_operation_name(&r.query).map(str::to_owned));
            m::operation_label(name.as_deref(), signed_in)
        }
        BatchRequest::Batch(_) => m::BATCH_OPERATION.to_owned(),
    };
    let _ = slot.0.set(label);
}

/// The name of the document's first operation if the document starts with one (`query
/// Name …`), read without parsing the document: the label must cost next to nothing, and a
/// document it cannot name this way is labelled as anonymous.
fn first_operation_name(query: &str) -> Option<&str> {
    let mut rest = query;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, r)| r),
            None => break,
        }
    }
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let keyword_end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    if !matches!(&rest[..keyword_end], "query" | "mutation" | "subscription") {
        return None;
    }
    let rest = rest[keyword_end..].trim_start();
    let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// `/metrics`: 404 unless `DUBAN_METRICS_TOKEN` is set, 401 without that bearer token. The
/// pool and the outbox backlog are read at scrape time (one grouped count).
pub(super) async fn scrape(State(s): State<Server>, headers: HeaderMap) -> Response {
    let Some(expected) = s.state.config.metrics_token.as_deref() else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if !bearer(&headers).is_some_and(|t| same(t.as_bytes(), expected.as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "the metrics token is missing or wrong",
        )
            .into_response();
    }
    let (in_use, idle, max) = s.state.db.pool_usage();
    m::set_pool(in_use, idle, max);
    match crate::notify::outbox::backlog(&s.state.db.conn).await {
        Ok(rows) => {
            for (state, n) in rows {
                m::set_outbox(state.as_str(), n);
            }
        }
        // The other metrics are still worth serving; the backlog keeps its last values.
        Err(e) => tracing::warn!(error = %e, "outbox backlog for the metrics failed"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m::render(),
    )
        .into_response()
}

/// Compares in time independent of where the inputs differ (the token is a secret).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::first_operation_name;

    #[test]
    fn names_the_first_operation_without_parsing() {
        assert_eq!(first_operation_name("query Tasks { a }"), Some("Tasks"));
        assert_eq!(
            first_operation_name("# c\n , mutation Login($u: String) { a }"),
            Some("Login")
        );
        assert_eq!(first_operation_name("{ a }"), None);
        assert_eq!(first_operation_name("query { a }"), None);
        assert_eq!(first_operation_name("queryX { a }"), None);
        assert_eq!(
            first_operation_name("fragment F on T { a } query Q { a }"),
            None
        );
    }
}
