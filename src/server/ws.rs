//! GraphQL subscriptions over WebSocket, in the `graphql-transport-ws` protocol (what Apollo
//! Client, urql and GraphiQL speak). async-graphql's protocol state machine does the talking;
//! this loop stands between it and the socket and adds what a public endpoint needs: the token
//! from `connection_init`, the protocol's close codes, the same document limits as HTTP, a
//! bounded number of subscriptions per connection and of connections per user, a message size
//! limit, and a client too slow to take its messages is dropped rather than buffered for.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::futures_util::SinkExt;
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::http::{
    ClientMessage, WebSocket as Protocol, WebSocketProtocols as Protocols, WsMessage,
};
use async_graphql::{Data, Executor, Request, Response};
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as HttpResponse};

use super::{MAX_JSON_VALUES, Server, json_shape, refusal};
use crate::app::AppState;
use crate::graphql::limits::{self, LIMIT_EXCEEDED};
use crate::graphql::subscription::LiveSession;
use crate::graphql::{AppSchema, loaders};

/// The one protocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// Largest message a client may send: a document at its limit with variables beside it.
pub const MAX_MESSAGE_BYTES: usize = 2 * limits::MAX_QUERY_BYTES;
/// Most subscriptions open at once on one connection.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// Most connections one user holds at once on one replica.
pub const MAX_CONNECTIONS_PER_USER: usize = 8;
/// Most connections on one replica that have not yet sent a valid `connection_init`.
pub const MAX_PENDING: usize = 256;
/// How long a connection may take to send `connection_init` (then 4408).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one message may take to reach the client before the client is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// The protocol's close codes (graphql-transport-ws, "PROTOCOL.md").
mod close {
    pub const BAD_REQUEST: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    /// WebSocket's own "message too big".
    pub const TOO_BIG: u16 = 1009;
}

/// Per-replica bookkeeping of WebSocket connections.
pub(super) struct Connections {
    per_user: Mutex<HashMap<i64, usize>>,
    pending: Arc<tokio::sync::Semaphore>,
}

impl Connections {
    pub(super) fn new() -> Self {
        Connections {
            per_user: Mutex::default(),
            pending: Arc::new(tokio::sync::Semaphore::new(MAX_PENDING)),
        }
    }

    fn enter(self: &Arc<Self>, user: i64) -> Option<UserSlot> {
        let mut map = self.per_user.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(user).or_default();
        if *n >= MAX_CONNECTIONS_PER_USER {
            return None;
        }
        *n += 1;
        Some(UserSlot {
            connections: self.clone(),
            user,
        })
    }
}

/// One of a user's connections; given back when the connection ends.
struct UserSlot {
    connections: Arc<Connections>,
    user: i64,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut map = self
            .connections
            .per_user
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
}

/// Whether the request asks to become a WebSocket.
pub(super) fn is_upgrade(parts: &axum::http::request::Parts) -> bool {
    parts
        .headers
        .get(axum::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the upgrade to `graphql-transport-ws`.
pub(super) async fn upgrade(s: Server, mut parts: axum::http::request::Parts) -> HttpResponse {
    let ws = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(ws) => ws,
        Err(e) => return e.into_response(),
    };
    let offered = parts
        .headers
        .get_all(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL));
    if !offered {
        return refusal(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            format!("subscriptions speak the {PROTOCOL} WebSocket subprotocol"),
        );
    }
    let Ok(pending) = s.connections.pending.clone().try_acquire_owned() else {
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            LIMIT_EXCEEDED,
            "too many WebSocket connections are starting; retry",
        );
    };
    ws.protocols([PROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            serve(s, socket, pending).await;
        })
}

/// Runs the subscriptions of one schema over one connection: the documents pass
/// [`limits::admit`] as over HTTP, only subscriptions are served, and each gets loaders that
/// do not cache (see [`loaders::attach_uncached`]).
#[derive(Clone)]
struct Subscriptions {
    schema: AppSchema,
    state: AppState,
}

impl Executor for Subscriptions {
    async fn execute(&self, _request: Request) -> Response {
        refused("INVALID_INPUT", "send queries and mutations over HTTP")
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Err(r) = limits::admit(&mut request, true) {
            return stream::once(async move { Response::from_errors(vec![r.into_server_error()]) })
                .boxed();
        }
        if !is_subscription(&mut request) {
            return stream::once(async {
                refused(
                    "INVALID_INPUT",
                    "only subscriptions are served over WebSocket; send queries and mutations over HTTP",
                )
            })
            .boxed();
        }
        let request = loaders::attach_uncached(request, &self.state.db);
        self.schema
            .execute_stream_with_session_data(request, session.unwrap_or_default())
            .map(|mut r| {
                super::code_response(&mut r);
                r
            })
            .boxed()
    }
}

fn refused(code: &'static str, message: &str) -> Response {
    Response::from_errors(vec![
        limits::Refusal {
            code,
            message: message.to_owned(),
        }
        .into_server_error(),
    ])
}

/// Whether the operation the request runs is a subscription (a document that does not parse
/// is let through: execution reports the syntax error).
fn is_subscription(r: &mut Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let name = r.operation_name.clone();
    let Some(doc) = r.parsed_query().ok() else {
        return true;
    };
    let ty = match (&doc.operations, &name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => return true,
    };
    ty.is_none_or(|t| t == OperationType::Subscription)
}

/// The token of a `connection_init` payload: `{"Authorization": "Bearer …"}` (any case of the
/// key and of the scheme) or `{"token": "…"}`.
fn token_of(payload: &serde_json::Value) -> Option<String> {
    let obj = payload.as_object()?;
    for (k, v) in obj {
        let Some(v) = v.as_str() else { continue };
        if k.eq_ignore_ascii_case("authorization") {
            let t = v
                .get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| &v[7..])?;
            return Some(t.trim().to_owned());
        }
        if k == "token" {
            return Some(v.trim().to_owned());
        }
    }
    None
}

/// What `connection_init` established.
struct Session {
    live: LiveSession,
    role: crate::domain::UserRole,
    agency: Option<i64>,
    _slot: UserSlot,
}

/// Why the socket is closed.
struct Close(u16, String);

async fn serve(s: Server, socket: WebSocket, pending: tokio::sync::OwnedSemaphorePermit) {
    let (mut sink, mut source) = socket.split();
    let outcome = run(&s, &mut sink, &mut source, pending).await;
    if let Some(Close(code, reason)) = outcome {
        // The client may be gone already; nothing more to do then.
        let _ = tokio::time::timeout(
            SEND_TIMEOUT,
            sink.send(Message::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            }))),
        )
        .await;
    }
}

type Sink = async_graphql::futures_util::stream::SplitSink<WebSocket, Message>;
type Source = async_graphql::futures_util::stream::SplitStream<WebSocket>;

async fn send(sink: &mut Sink, text: String) -> Result<(), Close> {
    match tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Close(1011, String::new())),
        // A client that does not read is dropped: its messages are not kept for it.
        Err(_) => Err(Close(1008, "too slow to receive; dropped".into())),
    }
}

/// The connection's loop; returns how to close the socket (`None`: it is closed already).
async fn run(
    s: &Server,
    sink: &mut Sink,
    source: &mut Source,
    pending: tokio::sync::OwnedSemaphorePermit,
) -> Option<Close> {
    let session: Arc<Mutex<Option<Session>>> = Arc::default();
    let init_refusal: Arc<Mutex<Option<Close>>> = Arc::default();
    let (to_protocol, from_client) =
        tokio::sync::mpsc::channel::<serde_json::Result<ClientMessage>>(1);
    let input = stream::unfold(from_client, |mut rx| async move {
        rx.recv().await.map(|m| (m, rx))
    });
    let executor = Subscriptions {
        schema: s.schema.clone(),
        state: s.state.clone(),
    };
    let on_init = {
        let (s, session, init_refusal) = (s.clone(), session.clone(), init_refusal.clone());
        move |payload: serde_json::Value| async move {
            match init(&s, &payload).await {
                Ok((data, established)) => {
                    *session.lock().unwrap_or_else(|p| p.into_inner()) = Some(established);
                    Ok(data)
                }
                Err(close) => {
                    let message = close.1.clone();
                    *init_refusal.lock().unwrap_or_else(|p| p.into_inner()) = Some(close);
                    Err(async_graphql::Error::new(message))
                }
            }
        }
    };
    let mut protocol = Box::pin(
        Protocol::from_message_stream(executor, Box::pin(input), Protocols::GraphQLWS)
            .on_connection_init(on_init),
    );
    let mut pending = Some(pending);
    let mut acked = false;
    let mut initialising = false;
    let mut active: HashSet<String> = HashSet::new();
    // A client message read but not yet taken by the protocol (the socket is not read
    // meanwhile: a client cannot queue more than one).
    let mut held: Option<ClientMessage> = None;
    let init_deadline = tokio::time::sleep(INIT_TIMEOUT);
    tokio::pin!(init_deadline);
    let mut recheck = tokio::time::interval(crate::auth::ViewerCache::TTL);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = source.next(), if held.is_none() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Binary(_))) => {
                        return Some(Close(close::BAD_REQUEST, "messages are JSON text".into()));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | None => return None,
                    Some(Err(e)) => {
                        let too_big = e.to_string().contains("Space limit exceeded");
                        return too_big.then(|| Close(
                            close::TOO_BIG,
                            format!("messages are limited to {MAX_MESSAGE_BYTES} bytes"),
                        ));
                    }
                };
                if json_shape(text.as_bytes()).1 > MAX_JSON_VALUES {
                    return Some(Close(
                        close::BAD_REQUEST,
                        format!("a message holds more than {MAX_JSON_VALUES} JSON values"),
                    ));
                }
                let message = match ClientMessage::from_bytes(text.as_bytes()) {
                    Ok(m) => m,
                    Err(e) => return Some(Close(close::BAD_REQUEST, format!("invalid message: {e}"))),
                };
                match &message {
                    ClientMessage::ConnectionInit { .. } => {
                        if initialising || acked {
                            return Some(Close(close::TOO_MANY_INITS, "Too many initialisation requests".into()));
                        }
                        initialising = true;
                    }
                    ClientMessage::Start { id, .. } => {
                        if !acked {
                            return Some(Close(close::UNAUTHORIZED, "Unauthorized".into()));
                        }
                        if active.contains(id) {
                            return Some(Close(close::DUPLICATE_ID, format!("Subscriber for {id} already exists")));
                        }
                        if active.len() >= MAX_SUBSCRIPTIONS {
                            let error = serde_json::json!({
                                "id": id,
                                "type": "error",
                                "payload": [{
                                    "message": format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                                    "extensions": { "code": LIMIT_EXCEEDED }
                                }]
                            });
                            if let Err(c) = send(sink, error.to_string()).await {
                                return Some(c);
                            }
                            continue;
                        }
                        active.insert(id.clone());
                    }
                    ClientMessage::Stop { id } => {
                        active.remove(id);
                    }
                    _ => {}
                }
                // Handed over in the branch below, which runs while the protocol is polled:
                // waiting for room here would wait for the protocol this loop drives.
                held = Some(message);
            }
            permit = to_protocol.reserve(), if held.is_some() => {
                let Ok(permit) = permit else { return None };
                if let Some(m) = held.take() {
                    permit.send(Ok(m));
                }
            }
            out = protocol.next() => match out {
                Some(WsMessage::Text(text)) => {
                    if text.starts_with(r#"{"type":"connection_ack""#) {
                        acked = true;
                        // The permit is held only until the connection is acknowledged.
                        pending.take();
                    } else if text.starts_with(r#"{"type":"complete""#)
                        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
                        && let Some(id) = v["id"].as_str()
                    {
                        active.remove(id);
                    }
                    if let Err(c) = send(sink, text).await {
                        return Some(c);
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    if let Some(c) = init_refusal.lock().unwrap_or_else(|p| p.into_inner()).take() {
                        return Some(c);
                    }
                    return Some(Close(code, reason));
                }
                None => return None,
            },
            () = &mut init_deadline, if !acked => {
                return Some(Close(close::INIT_TIMEOUT, "Connection initialisation timeout".into()));
            }
            _ = recheck.tick(), if acked => {
                if let Some(c) = still_valid(s, &session).await {
                    return Some(c);
                }
            }
        }
    }
}

/// Checks `connection_init`'s token and the user's connection budget.
async fn init(s: &Server, payload: &serde_json::Value) -> Result<(Data, Session), Close> {
    let forbidden = |m: &str| Close(close::FORBIDDEN, m.to_owned());
    let token = token_of(payload).ok_or_else(|| {
        forbidden(r#"Forbidden: send the token in connection_init: {"Authorization": "Bearer …"}"#)
    })?;
    let claims = s
        .state
        .keys
        .verify_claims(&token)
        .map_err(|_| forbidden("Forbidden: invalid or expired token"))?;
    let db = s.state.db.conn.clone();
    let viewer = crate::services::users::current_viewer(
        &db,
        &s.state.viewers,
        claims.user_id,
        claims.generation,
    )
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "viewer lookup failed");
        Close(1011, "internal error".into())
    })?
    .ok_or_else(|| forbidden("Forbidden: the token no longer counts"))?;
    let slot = s.connections.enter(viewer.user_id).ok_or_else(|| {
        forbidden(&format!(
            "Forbidden: at most {MAX_CONNECTIONS_PER_USER} connections per user"
        ))
    })?;
    let start_event = s.hub.last_id().await.map_err(|e| {
        tracing::error!(error = %e, "reading the newest event failed");
        Close(1011, "internal error".into())
    })?;
    let live = LiveSession {
        user_id: viewer.user_id,
        generation: claims.generation,
        expires_at: claims.expires_at,
        start_event,
    };
    let established = Session {
        live: live.clone(),
        role: viewer.role,
        agency: viewer.agency_id,
        _slot: slot,
    };
    let mut data = Data::default();
    data.insert(viewer);
    data.insert(live);
    Ok((data, established))
}

/// `Some(close)` when the connection's token has expired or no longer counts (a password
/// change, a revocation, a disabled account), or its user's role or agency changed.
async fn still_valid(s: &Server, session: &Mutex<Option<Session>>) -> Option<Close> {
    let (live, role, agency) = {
        let g = session.lock().unwrap_or_else(|p| p.into_inner());
        let sess = g.as_ref()?;
        (sess.live.clone(), sess.role, sess.agency)
    };
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
    if now > live.expires_at {
        return Some(Close(
            close::FORBIDDEN,
            "Forbidden: the token has expired".into(),
        ));
    }
    match crate::services::users::current_viewer(
        &s.state.db.conn,
        &s.state.viewers,
        live.user_id,
        live.generation,
    )
    .await
    {
        Ok(Some(v)) if v.role == role && v.agency_id == agency => None,
        Ok(_) => Some(Close(
            close::FORBIDDEN,
            "Forbidden: the token no longer counts".into(),
        )),
        // An outage is not a logout: the next check decides.
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_either_payload_shape() {
        let t = |v: serde_json::Value| token_of(&v);
        assert_eq!(
            t(serde_json::json!({"Authorization": "Bearer abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(
            t(serde_json::json!({"authorization": "bearer  abc "})).as_deref(),
            Some("abc")
        );
        assert_eq!(
            t(serde_json::json!({"token": "abc"})).as_deref(),
            Some("abc")
        );
        assert_eq!(t(serde_json::json!({"Authorization": "Basic abc"})), None);
        assert_eq!(t(serde_json::json!({})), None);
        assert_eq!(t(serde_json::json!("Bearer abc")), None);
    }
}
