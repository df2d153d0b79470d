//! Live updates over a real WebSocket (`graphql-transport-ws`) against the running router:
//! events caused by mutations on other connections and through another replica, authorised
//! per event, the token in `connection_init`, and the same document limits as HTTP.
//! Timeouts here only keep a broken build from hanging; nothing asserts a duration.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TestApp, row, seed_world};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Generous: a failure guard, not a measurement.
const GUARD: Duration = Duration::from_secs(60);

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Ws {
    socket: Socket,
}

/// What the server did next.
#[derive(Debug)]
enum Got {
    Json(Value),
    Closed(Option<u16>, String),
}

impl Ws {
    async fn open(addr: SocketAddr) -> Ws {
        let mut req = format!("ws://{addr}/graphql")
            .into_client_request()
            .unwrap();
        req.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, resp) = tokio_tungstenite::connect_async(req)
            .await
            .expect("upgrade");
        assert_eq!(
            resp.headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Ws { socket }
    }

    /// Opens, initialises with `payload` and waits for the acknowledgement.
    async fn signed_in(addr: SocketAddr, payload: Value) -> Ws {
        let mut ws = Ws::open(addr).await;
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        match ws.next().await {
            Got::Json(v) if v["type"] == "connection_ack" => ws,
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }

    async fn send(&mut self, v: Value) {
        self.socket
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}))
            .await;
    }

    async fn next(&mut self) -> Got {
        loop {
            let msg = tokio::time::timeout(GUARD, self.socket.next())
                .await
                .expect("the server said nothing (failure guard)");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["type"] == "ping" {
                        continue;
                    }
                    return Got::Json(v);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Got::Closed(
                        frame.as_ref().map(|f| u16::from(f.code)),
                        frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    );
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Got::Closed(None, e.to_string()),
                None => return Got::Closed(None, String::new()),
            }
        }
    }

    /// The next `next` payload of subscription `id`.
    async fn event(&mut self, id: &str) -> Value {
        loop {
            match self.next().await {
                Got::Json(v) if v["type"] == "next" && v["id"] == id => {
                    return v["payload"].clone();
                }
                // The end of an earlier, refused subscription.
                Got::Json(v) if v["type"] == "complete" && v["id"] != id => continue,
                other => panic!("expected an event for {id}, got {other:?}"),
            }
        }
    }

    async fn closed(&mut self) -> (Option<u16>, String) {
        loop {
            match self.next().await {
                Got::Closed(code, reason) => return (code, reason),
                Got::Json(_) => continue,
            }
        }
    }
}

fn bearer(token: &str) -> Value {
    json!({"Authorization": format!("Bearer {token}")})
}

const TASK_CHANGED: &str = "subscription($p:ID,$a:ID){ taskChanged(planId:$p, agencyId:$a){ eventId changes task{ id status progress plan{ id } assignments{ role agency{ id } } } } }";

const REPORT: &str = "mutation($t:ID!,$p:Int!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", text:\"已完成方案编制\", percent:$p}){ id } }";

#[tokio::test]
async fn a_mutation_on_another_connection_reaches_the_subscriber() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut ws = Ws::signed_in(app.addr, bearer(&w.office)).await;
    ws.subscribe("1", TASK_CHANGED, json!({"p": w.plan})).await;
    app.ok(&w.lead_staff, REPORT, json!({"t": w.t1, "p": 40}))
        .await;
    let e = ws.event("1").await;
    assert!(e.get("errors").is_none(), "{e}");
    let c = &e["data"]["taskChanged"];
    assert_eq!(c["task"]["id"], w.t1.as_str());
    assert_eq!(c["task"]["progress"], 40);
    assert_eq!(c["task"]["status"], "IN_PROGRESS");
    assert_eq!(c["task"]["plan"]["id"], w.plan.as_str());
    let changes: Vec<&str> = c["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        changes.contains(&"PROGRESS") && changes.contains(&"STATUS"),
        "{changes:?}"
    );

    // An assignment made by the office is a change too, and the nested lists are read fresh.
    let assign = "mutation($t:ID!,$a:ID!){ assignAgency(input:{taskId:$t, agencyId:$a, role:PARTICIPANT}){ id } }";
    app.ok(&w.office, assign, json!({"t": w.t1, "a": w.other_agency}))
        .await;
    let e = ws.event("1").await;
    let c = &e["data"]["taskChanged"];
    assert_eq!(c["changes"], json!(["ASSIGNMENT"]));
    let agencies: Vec<&str> = c["task"]["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agency"]["id"].as_str().unwrap())
        .collect();
    assert!(agencies.contains(&w.other_agency.as_str()), "{agencies:?}");
}

#[tokio::test]
async fn another_replica_delivers_what_this_one_committed() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let replica = app.second_router(duban::config::Limits::default()).await;
    let mut ws = Ws::signed_in(replica, json!({"token": w.leader})).await;
    ws.subscribe("r", TASK_CHANGED, json!({"a": w.lead_agency}))
        .await;
    // Through the first router: the second hears of it only through the database.
    app.ok(&w.lead_staff, REPORT, json!({"t": w.t1, "p": 55}))
        .await;
    let e = ws.event("r").await;
    assert_eq!(e["data"]["taskChanged"]["task"]["id"], w.t1.as_str());
    assert_eq!(e["data"]["taskChanged"]["task"]["progress"], 55);
}

#[tokio::test]
async fn an_agency_hears_only_of_tasks_it_is_assigned_to() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    // `other` leads t2 and has no role on t1.
    let mut ws = Ws::signed_in(app.addr, bearer(&w.other_staff)).await;
    ws.subscribe("o", TASK_CHANGED, json!({})).await;
    // Asking by another agency does not widen what it may read.
    ws.subscribe("x", TASK_CHANGED, json!({"a": w.lead_agency}))
        .await;
    app.ok(&w.lead_staff, REPORT, json!({"t": w.t1, "p": 30}))
        .await;
    app.ok(&w.other_staff, REPORT, json!({"t": w.t2, "p": 20}))
        .await;
    // Events arrive in order: had the t1 event been delivered, it would come first.
    let e = ws.event("o").await;
    assert_eq!(e["data"]["taskChanged"]["task"]["id"], w.t2.as_str(), "{e}");
    // The office hears of both (a control: the t1 event exists).
    let mut office = Ws::signed_in(app.addr, bearer(&w.office)).await;
    office.subscribe("all", TASK_CHANGED, json!({})).await;
    app.ok(&w.lead_staff, REPORT, json!({"t": w.t1, "p": 35}))
        .await;
    let e = office.event("all").await;
    assert_eq!(e["data"]["taskChanged"]["task"]["id"], w.t1.as_str());
    // Once assigned to t1, the same agency hears of it, on the subscription it already had:
    // the rule is applied when each event is delivered.
    let assign = "mutation($t:ID!,$a:ID!){ assignAgency(input:{taskId:$t, agencyId:$a, role:PARTICIPANT}){ id } }";
    app.ok(&w.office, assign, json!({"t": w.t1, "a": w.other_agency}))
        .await;
    // Both its subscriptions hear of it now (in either order).
    let mut heard = Vec::new();
    for _ in 0..2 {
        match ws.next().await {
            Got::Json(v) if v["type"] == "next" => {
                let c = &v["payload"]["data"]["taskChanged"];
                assert_eq!(c["task"]["id"], w.t1.as_str(), "{v}");
                assert_eq!(c["changes"], json!(["ASSIGNMENT"]));
                heard.push(v["id"].as_str().unwrap().to_owned());
            }
            other => panic!("{other:?}"),
        }
    }
    heard.sort();
    assert_eq!(heard, ["o", "x"]);
}

#[tokio::test]
async fn connections_without_a_valid_token_are_closed() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    for payload in [
        json!({}),
        json!({"token": "garbage"}),
        json!({"Authorization": "Bearer not.a.jwt"}),
        json!({"Authorization": format!("Basic {}", w.office)}),
    ] {
        let mut ws = Ws::open(app.addr).await;
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        let (code, reason) = ws.closed().await;
        assert_eq!(code, Some(4403), "{payload}: {reason}");
    }
    // Subscribing before the acknowledgement: 4401.
    let mut ws = Ws::open(app.addr).await;
    ws.subscribe("1", TASK_CHANGED, json!({})).await;
    assert_eq!(ws.closed().await.0, Some(4401));
    // Without the subprotocol the upgrade itself is refused.
    let req = format!("ws://{}/graphql", app.addr)
        .into_client_request()
        .unwrap();
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
    // Over HTTP a subscription is not served.
    let v = app
        .gql(
            Some(&w.office),
            "subscription { taskChanged { eventId } }",
            json!({}),
        )
        .await;
    assert!(v.get("errors").is_some(), "{v}");
}

#[tokio::test]
async fn a_password_change_ends_the_connection() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut ws = Ws::signed_in(app.addr, bearer(&w.other_staff)).await;
    ws.subscribe("o", TASK_CHANGED, json!({})).await;
    let other_id = app.my_id(&w.other_staff).await;
    app.ok(
        &w.office,
        "mutation($u:ID!){ setPassword(userId:$u, newPassword:\"another-password-2\") }",
        json!({"u": other_id}),
    )
    .await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, Some(4403), "{reason}");
}

#[tokio::test]
async fn documents_over_a_limit_are_refused_over_the_socket() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut ws = Ws::signed_in(app.addr, bearer(&w.office)).await;

    // 2^10 fields once the fragments are expanded: over the limit of 1,000.
    let mut q =
        String::from("subscription { taskChanged { task { ...F10 } } } fragment F0 on Task { id }");
    for i in 1..=10 {
        q.push_str(&format!(
            " fragment F{i} on Task {{ ...F{} ...F{} }}",
            i - 1,
            i - 1
        ));
    }
    ws.subscribe("big", &q, json!({})).await;
    let e = ws.event("big").await;
    assert_eq!(common::code(&e), "LIMIT_EXCEEDED", "{e}");

    // Too deep.
    let deep = format!(
        "subscription {{ taskChanged {{ task {{ {}id{} }} }} }}",
        "parent { ".repeat(20),
        " }".repeat(20)
    );
    ws.subscribe("deep", &deep, json!({})).await;
    let e = ws.event("deep").await;
    assert_eq!(common::code(&e), "LIMIT_EXCEEDED", "{e}");

    // Queries and mutations belong to HTTP.
    ws.subscribe("q", "{ me { id } }", json!({})).await;
    let e = ws.event("q").await;
    assert_eq!(common::code(&e), "INVALID_INPUT", "{e}");

    // A bounded number of subscriptions per connection.
    for i in 0..20 {
        ws.subscribe(&format!("s{i}"), TASK_CHANGED, json!({}))
            .await;
    }
    ws.subscribe("s20", TASK_CHANGED, json!({})).await;
    loop {
        match ws.next().await {
            Got::Json(v) if v["type"] == "complete" => continue,
            Got::Json(v) => {
                assert_eq!(v["type"], "error", "{v}");
                assert_eq!(v["id"], "s20");
                assert_eq!(v["payload"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
                break;
            }
            other => panic!("{other:?}"),
        }
    }

    // A message over the size limit closes the socket.
    let huge = "x".repeat(duban_ws_limit() + 1);
    ws.subscribe(
        "huge",
        &format!("subscription {{ taskChanged {{ eventId }} }} #{huge}"),
        json!({}),
    )
    .await;
    let (code, _) = ws.closed().await;
    assert!(code.is_none() || code == Some(1009), "{code:?}");
}

fn duban_ws_limit() -> usize {
    2 * duban::graphql::limits::MAX_QUERY_BYTES
}

#[tokio::test]
async fn connections_per_user_are_bounded() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut open = Vec::new();
    for _ in 0..8 {
        open.push(Ws::signed_in(app.addr, bearer(&w.leader)).await);
    }
    let mut ws = Ws::open(app.addr).await;
    ws.send(json!({"type": "connection_init", "payload": bearer(&w.leader)}))
        .await;
    let (code, reason) = ws.closed().await;
    assert_eq!(code, Some(4403), "{reason}");
    assert!(reason.contains("connections"), "{reason}");
    // Another user is not affected, and a closed connection gives its place back.
    Ws::signed_in(app.addr, bearer(&w.office)).await;
    drop(open.pop());
    let mut again = None;
    for _ in 0..50 {
        let mut ws = Ws::open(app.addr).await;
        ws.send(json!({"type": "connection_init", "payload": bearer(&w.leader)}))
            .await;
        match ws.next().await {
            Got::Json(v) if v["type"] == "connection_ack" => {
                again = Some(ws);
                break;
            }
            // The server may not have seen the close yet.
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    assert!(again.is_some(), "a freed place was not given back");
}

#[tokio::test]
async fn a_reminder_sweep_announces_its_supervision_records() {
    use chrono::TimeZone;
    use duban::auth::Actor;
    use duban::domain::ContactRole;
    // 2025-04-02 10:00 China time: t2 (due 2025-03-31, led by `other`) is overdue.
    let now = chrono::Utc.with_ymd_and_hms(2025, 4, 2, 2, 0, 0).unwrap();
    let app = TestApp::spawn_at(now).await;
    let w = seed_world(&app).await;
    let tx = app.state.db.write().await.unwrap();
    for (role, label) in [
        (ContactRole::Liaison, "联络员"),
        (ContactRole::Head, "局长"),
        (ContactRole::Deputy, "副局长"),
    ] {
        duban::services::agencies::add_contact(
            &*tx,
            Actor::System,
            row(&w.other_agency),
            duban::services::agencies::ContactInput {
                name: format!("other{label}"),
                email: format!("{}.other@example.gov.cn", role.as_str()),
                role,
                phone: None,
            },
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let q = "subscription($a:ID){ supervisionRecordCreated(agencyId:$a){ eventId record{ taskId level docNumber recipients{ agencyName } } task{ id code } } }";
    let mut office = Ws::signed_in(app.addr, bearer(&w.office)).await;
    office.subscribe("s", q, json!({})).await;
    let mut staff = Ws::signed_in(app.addr, json!({"token": w.other_staff})).await;
    staff.subscribe("s", q, json!({"a": w.other_agency})).await;
    let r = app
        .ok(&w.office, "mutation{ runReminders{ recorded } }", json!({}))
        .await;
    assert!(r["runReminders"]["recorded"].as_i64().unwrap() >= 1, "{r}");
    for ws in [&mut office, &mut staff] {
        let e = ws.event("s").await;
        let c = &e["data"]["supervisionRecordCreated"];
        assert_eq!(c["task"]["id"], w.t2.as_str(), "{e}");
        assert_eq!(c["record"]["taskId"], w.t2.as_str());
    }
}

#[tokio::test]
async fn a_deleted_task_is_announced_to_the_office_only() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let mut office = Ws::signed_in(app.addr, bearer(&w.office)).await;
    let mut staff = Ws::signed_in(app.addr, bearer(&w.lead_staff)).await;
    let q = "subscription($p:ID){ taskChanged(planId:$p){ taskId changes task{ id } } }";
    office.subscribe("1", q, json!({"p": w.plan})).await;
    staff.subscribe("1", q, json!({"p": w.plan})).await;
    let created = app
        .ok(
            &w.office,
            "mutation($p:ID!){ createTask(input:{planId:$p, code:\"九\", title:\"临时任务\"}){ id } }",
            json!({"p": w.plan}),
        )
        .await["createTask"]["id"]
        .clone();
    let e = office.event("1").await;
    assert_eq!(
        e["data"]["taskChanged"]["changes"],
        json!(["CREATED"]),
        "{e}"
    );
    app.ok(
        &w.office,
        "mutation($id:ID!){ deleteTask(id:$id){ id } }",
        json!({"id": created}),
    )
    .await;
    let e = office.event("1").await;
    let c = &e["data"]["taskChanged"];
    assert_eq!(c["changes"], json!(["DELETED"]), "{e}");
    assert_eq!(c["taskId"], created);
    assert!(c["task"].is_null(), "{e}");
    // Staff of the lead agency heard of neither (the task was never theirs); a report on
    // their own task afterwards is the next thing they receive.
    app.ok(&w.lead_staff, REPORT, json!({"t": w.t1, "p": 10}))
        .await;
    let e = staff.event("1").await;
    assert_eq!(e["data"]["taskChanged"]["taskId"], w.t1.as_str(), "{e}");
}
