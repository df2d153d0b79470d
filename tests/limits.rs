//! The limits suite: requests an attacker can send, each refused with a clear code before it
//! costs the server more than a small bounded amount, and changing nothing. Every test ends by
//! checking that the server still answers. (Time and memory are measured in
//! `bench/limits.sh`, not asserted here.)

mod common;

use common::*;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

/// `{ ...F<n> }` where each fragment spreads the previous one twice: 2^n fields once expanded,
/// in about 45 bytes a level.
fn fan_out(levels: usize) -> String {
    let mut q = format!("{{ ...F{levels} }} fragment F0 on QueryRoot {{ __typename }}");
    for i in 1..=levels {
        q.push_str(&format!(
            " fragment F{i} on QueryRoot {{ ...F{} ...F{} }}",
            i - 1,
            i - 1
        ));
    }
    q
}

async fn healthy(app: &TestApp, token: &str) {
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    app.ok(token, "{ me { username } }", json!({})).await;
}

async fn plan_count(app: &TestApp) -> u64 {
    entity::plan::Entity::find().count(app.db()).await.unwrap()
}

async fn post_raw(
    app: &TestApp,
    token: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut req = app
        .http
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn fragment_fan_out_is_refused_before_it_runs() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let q = fan_out(25);
    assert!(
        q.len() < 1_200,
        "the attack is about a kilobyte: {}",
        q.len()
    );
    for token in [None, Some(w.office.as_str())] {
        let r = app.gql(token, &q, json!({})).await;
        assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
        assert!(r.get("data").is_none_or(Value::is_null), "{r}");
    }
    // A small fan-out is an ordinary document.
    let r = app.gql(None, &fan_out(4), json!({})).await;
    assert_eq!(r["data"]["__typename"], "QueryRoot", "{r}");
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn without_a_token_only_login_runs() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    for q in [
        "{ plans { totalCount } }",
        "{ ...F } fragment F on QueryRoot { plans { totalCount } }",
        "{ ... on QueryRoot { dashboard { led } } }",
        "{ login: me { id } }",
        "mutation { createPlan(input: {title: \"x\"}) { id } }",
    ] {
        let r = app.gql(None, q, json!({})).await;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{q}: {r}");
    }
    assert_eq!(plan_count(&app).await, 1);
    app.login("office", PASSWORD).await;
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn aliases_of_expensive_fields_are_refused() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let aliases = |n: usize, field: &str| {
        let mut q = String::from("{");
        for i in 0..n {
            q.push_str(&format!(" a{i}: {field}"));
        }
        q.push('}');
        q
    };
    // 5,000 dashboards: over the root-field limit.
    let r = app
        .gql(
            Some(&w.lead_staff),
            &aliases(5_000, "dashboard { led }"),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    // 25 fit under the root-field limit but each scans the task table: over complexity.
    let r = app
        .gql(
            Some(&w.lead_staff),
            &aliases(25, "dashboard { led }"),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    // Evaluation results with their breakdowns, ten times over.
    let r = app
        .gql(
            Some(&w.leader),
            &aliases(10, "evaluations { results { breakdown } }"),
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    // One of each is an ordinary screen.
    app.ok(&w.lead_staff, "{ dashboard { led } }", json!({}))
        .await;
    app.ok(
        &w.leader,
        "{ evaluations { results { breakdown } } }",
        json!({}),
    )
    .await;
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_whatever_the_transport() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let padded = |bytes: usize| {
        json!({"query": "{ __typename }", "variables": {"pad": "x".repeat(bytes)}}).to_string()
    };
    // Without a token: a small body only.
    let (status, r) = post_raw(&app, None, "application/json", padded(100_000)).await;
    assert_eq!(status, 413, "{r}");
    assert_eq!(code(&r), "LIMIT_EXCEEDED");
    // Signed in: the configured limit (24 MiB by default).
    let (status, r) = post_raw(
        &app,
        Some(&w.office),
        "application/json",
        padded(25 * 1024 * 1024),
    )
    .await;
    assert_eq!(status, 413, "{r}");
    let (status, _) = post_raw(&app, Some(&w.office), "application/json", padded(100_000)).await;
    assert_eq!(status, 200);
    // Under the size limit but costly to decode: many small values, or a batch of millions.
    let numbers = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"p":[{}0]}}}}"#,
        "0,".repeat(1_000_000)
    );
    let (status, r) = post_raw(&app, Some(&w.office), "application/json", numbers).await;
    assert_eq!((status, code(&r)), (400, "LIMIT_EXCEEDED"), "{r}");
    let batch = format!("[{}{{}}]", "{},".repeat(1_000_000));
    let (status, r) = post_raw(&app, Some(&w.office), "application/json", batch).await;
    assert_eq!((status, code(&r)), (400, "LIMIT_EXCEEDED"), "{r}");
    // A multipart upload over the limit.
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n\
         {{\"query\":\"mutation($f:Upload!){{ importPlan(file:$f, dryRun:true){{ tasks {{ code }} }} }}\",\"variables\":{{\"f\":null}}}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.f\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"plan.txt\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend(std::iter::repeat_n(b'a', 25 * 1024 * 1024));
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let (status, _) = post_raw(
        &app,
        Some(&w.office),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!(status, 413);
    // A GET query string over the anonymous limit.
    let resp = app
        .http
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            format!("{{ __typename }} # {}", "x".repeat(20_000)),
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn writes_over_get_and_other_content_types_are_refused() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let create = "mutation { createPlan(input: {title: \"经 GET 创建\"}) { id } }";
    let resp = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&w.office)
        .query(&[("query", create)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    // Named among several operations.
    let doc = format!(
        "query Q {{ __typename }} {}",
        create.replacen("mutation", "mutation M", 1)
    );
    let resp = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&w.office)
        .query(&[("query", doc.as_str()), ("operationName", "M")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    // A read over GET is fine.
    let resp = app
        .http
        .get(app.url("/graphql"))
        .bearer_auth(&w.office)
        .query(&[("query", "{ me { username } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // text/plain (a form a page can send cross-origin without preflight) is not executed.
    let body = json!({ "query": create }).to_string();
    let (status, r) = post_raw(&app, Some(&w.office), "text/plain", body.clone()).await;
    assert_eq!(status, 415, "{r}");
    let (status, _) = post_raw(
        &app,
        Some(&w.office),
        "application/x-www-form-urlencoded",
        body,
    )
    .await;
    assert_eq!(status, 415);
    assert_eq!(plan_count(&app).await, 1, "nothing was created");
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn answers_follow_the_accept_header() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let send = |accept: Option<&'static str>, query: &'static str| {
        let mut req = app
            .http
            .post(app.url("/graphql"))
            .bearer_auth(&w.office)
            .json(&json!({ "query": query }));
        if let Some(a) = accept {
            req = req.header("accept", a);
        }
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
            let body: Value = resp.json().await.unwrap();
            (status, ct, body)
        }
    };
    let (status, ct, _) = send(Some("application/json"), "{ me { id } }").await;
    assert_eq!(
        (status, ct.starts_with("application/json")),
        (200, true),
        "{ct}"
    );
    let (status, ct, _) = send(None, "{ me { id } }").await;
    assert_eq!(
        (status, ct.starts_with("application/json")),
        (200, true),
        "{ct}"
    );
    let (status, ct, _) = send(Some("application/graphql-response+json"), "{ me { id } }").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/graphql-response+json"), "{ct}");
    // A request error: 400 and no data entry under the new type, 200 under the legacy one.
    let (status, _, body) = send(Some("application/graphql-response+json"), "{ me { id ").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    let (status, _, body) = send(Some("application/json"), "{ me { id ").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(code(&body), "INVALID_INPUT");
    let (status, _, _) = send(
        Some("application/json;q=0.5, application/graphql-response+json"),
        "{ nope }",
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = send(Some("text/html"), "{ me { id } }").await;
    assert_eq!(status, 406);
}

#[tokio::test]
async fn answers_over_the_size_limit_are_refused() {
    let app = TestApp::spawn_with_limits(duban::config::Limits {
        response_bytes: 300,
        ..Default::default()
    })
    .await;
    let w = seed_world(&app).await;
    app.ok(&w.office, "{ me { username } }", json!({})).await;
    let r = app
        .gql(
            Some(&w.office),
            "{ tasks { nodes { code title } } agencies { name } auditEvents { action } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    assert!(r.get("data").is_none(), "{r}");
}

#[tokio::test]
async fn requests_over_the_time_limit_are_abandoned_and_roll_back() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let impatient = app
        .second_router(duban::config::Limits {
            request_time: std::time::Duration::from_millis(1),
            ..Default::default()
        })
        .await;
    // An import of a long plan: its parse runs off the async workers for far longer than the
    // limit, so the deadline passes before it can write anything.
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/plans/000_66268d242e88ba29.txt"
    ))
    .unwrap();
    let resp = app
        .http
        .post(format!("http://{impatient}/graphql"))
        .bearer_auth(&w.office)
        .json(&json!({
            "query": "mutation($t:String!){ importPlan(input:{text:$t}){ plan { id } } }",
            "variables": {"t": seed.repeat(20)}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let r: Value = resp.json().await.unwrap();
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    assert_eq!(
        plan_count(&app).await,
        1,
        "the abandoned write was rolled back"
    );
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn set_password_is_no_password_oracle() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let me = app.my_id(&w.lead_staff).await;
    // A wrong guess, then the right one, in one request: only the first is checked (without
    // the one-check budget the second would change the password).
    let pair = format!(
        "mutation($id:ID!) {{ a: setPassword(userId:$id, currentPassword:\"wrong\", newPassword:\"new-pass-a\") \
         b: setPassword(userId:$id, currentPassword:\"{PASSWORD}\", newPassword:\"owned-by-attacker\") }}"
    );
    let r = app.gql(Some(&w.lead_staff), &pair, json!({"id": me})).await;
    assert!(r["data"].is_null() || r["data"]["b"].is_null(), "{r}");
    let msgs: Vec<_> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].to_string())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("one credential check")),
        "{r}"
    );
    // Forty guesses in one request: one is checked, the others refused unchecked.
    let mut q = String::from("mutation($id:ID!) {");
    for i in 0..40 {
        q.push_str(&format!(
            " g{i}: setPassword(userId:$id, currentPassword:\"guess{i}\", newPassword:\"new-pass-{i}\")"
        ));
    }
    q.push_str(&format!(
        " last: setPassword(userId:$id, currentPassword:\"{PASSWORD}\", newPassword:\"owned-by-attacker\") }}"
    ));
    let r = app.gql(Some(&w.lead_staff), &q, json!({"id": me})).await;
    assert!(r.get("errors").is_some(), "{r}");
    let data = &r["data"];
    assert!(
        data.is_null() || data["last"].is_null(),
        "the last guess must not run: {r}"
    );
    // The real password still works: nothing changed.
    app.login("lead", PASSWORD).await;
    // Wrong guesses one request at a time are throttled like sign-ins.
    let m = "mutation($id:ID!,$c:String){ setPassword(userId:$id, currentPassword:$c, newPassword:\"brand-new-pass\") }";
    for i in 0..duban::auth::throttle::ACCOUNT_FREE_FAILURES {
        let r = app
            .gql(
                Some(&w.lead_staff),
                m,
                json!({"id": me, "c": format!("wrong{i}")}),
            )
            .await;
        assert_eq!(code(&r), "FORBIDDEN", "{r}");
    }
    let r = app
        .gql(Some(&w.lead_staff), m, json!({"id": me, "c": PASSWORD}))
        .await;
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("try again in"),
        "the right password waits out the delay too: {r}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.ok(&w.lead_staff, m, json!({"id": me, "c": PASSWORD}))
        .await;
    app.login("lead", "brand-new-pass").await;
}

#[tokio::test]
async fn tokens_from_the_future_are_refused() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let me: i64 = row(&app.my_id(&w.office).await);
    let now = chrono::Utc::now().timestamp();
    let forge = |iat: i64, nbf: Option<i64>| {
        let mut claims = json!({
            "sub": me.to_string(), "iss": "duban", "aud": "duban-api",
            "iat": iat, "exp": now + 3600, "gen": 0,
        });
        if let Some(n) = nbf {
            claims["nbf"] = n.into();
        }
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"test-secret-test-secret-test-secret-0123"),
        )
        .unwrap()
    };
    app.ok(&forge(now, None), "{ me { id } }", json!({})).await;
    for t in [forge(now + 86_400, None), forge(now, Some(now + 86_400))] {
        let r = app.gql(Some(&t), "{ me { id } }", json!({})).await;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
    }
}

#[tokio::test]
async fn malformed_periods_are_refused_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let m = "mutation($t:ID!,$p:String!){ submitProgressReport(input:{taskId:$t, period:$p, text:\"进展\", percent:10}){ id } }";
    for p in ["2025-+1", "2025-1", "2025-Q+", "+2025"] {
        let r = app
            .gql(Some(&w.lead_staff), m, json!({"t": w.t1, "p": p}))
            .await;
        assert_eq!(code(&r), "INVALID_INPUT", "{p}: {r}");
    }
    let stored = entity::progress_report::Entity::find()
        .count(app.db())
        .await
        .unwrap();
    assert_eq!(stored, 0);
    app.ok(&w.lead_staff, m, json!({"t": w.t1, "p": "2025-05"}))
        .await;
}

#[tokio::test]
async fn a_sheet_spanning_the_whole_grid_is_refused() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/attack/sparse_grid.xlsx"
    ))
    .unwrap();
    assert!(bytes.len() < 2_000);
    let r = app
        .gql(
            Some(&w.office),
            "mutation($b:String!){ importPlan(input:{contentBase64:$b, dryRun:true}){ title } }",
            json!({"b": base64::engine::general_purpose::STANDARD.encode(&bytes)}),
        )
        .await;
    // the importer's reason is the code; the message says why in words
    assert_eq!(code(&r), "TOO_LARGE", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("the document is too large"),
        "{r}"
    );
    healthy(&app, &w.office).await;
}

/// A 9 MB CSV of 1.5 M one-cell rows, well under the byte limit, once cost the importer minutes and
/// gigabytes before the task cap refused it; its lines are now counted before it is read. Posted
/// as a real upload, not a dry run, it is refused with TOO_LARGE and nothing is stored.
#[tokio::test]
async fn a_csv_of_millions_of_rows_is_refused_before_it_is_read() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let plans_before = plan_count(&app).await;
    let tasks_before = entity::task::Entity::find().count(app.db()).await.unwrap();
    let mut csv = "序号,工作任务,牵头单位\n".as_bytes().to_vec();
    csv.extend("1,a,b\n".repeat(1_500_000).into_bytes());
    assert!(csv.len() > 9_000_000 && csv.len() < duban_import::MAX_INPUT_BYTES);
    let boundary = "XyZ";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n\
         {{\"query\":\"mutation($f:Upload!){{ importPlan(input:{{file:$f}}){{ plan {{ id }} }} }}\",\"variables\":{{\"f\":null}}}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{\"0\":[\"variables.f\"]}}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"plan.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend(csv);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    let (status, r) = post_raw(
        &app,
        Some(&w.office),
        &format!("multipart/form-data; boundary={boundary}"),
        body,
    )
    .await;
    assert_eq!((status, code(&r)), (200, "TOO_LARGE"), "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("lines"),
        "{r}"
    );
    assert_eq!(plan_count(&app).await, plans_before);
    let tasks_after = entity::task::Entity::find().count(app.db()).await.unwrap();
    assert_eq!(tasks_after, tasks_before);
    healthy(&app, &w.office).await;
}

#[tokio::test]
async fn the_throttle_sees_the_client_behind_a_trusted_proxy_only() {
    let app = TestApp::spawn().await;
    let _w = seed_world(&app).await;
    // The harness trusts 127.0.0.2 as a reverse proxy; requests from 127.0.0.1 are direct.
    let via_proxy = reqwest::Client::builder()
        .local_address(Some("127.0.0.2".parse().unwrap()))
        .build()
        .unwrap();
    let login = |client: &reqwest::Client, forwarded: &str, password: &str| {
        let req = client
            .post(app.url("/graphql"))
            .header("x-forwarded-for", forwarded)
            .json(&json!({
                "query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }",
                "variables": {"u": "leader", "p": password}
            }));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Documentation addresses (TEST-NET-3): only ever written into a header.
    for _ in 0..duban::auth::throttle::ACCOUNT_FREE_FAILURES {
        let r = login(&via_proxy, "203.0.113.7", "wrong").await;
        assert_eq!(code(&r), "UNAUTHENTICATED", "{r}");
    }
    let r = login(&via_proxy, "203.0.113.7", PASSWORD).await;
    assert_eq!(code(&r), "FORBIDDEN", "the guessing client waits: {r}");
    // Another client behind the same proxy is not held up by it.
    let r = login(&via_proxy, "203.0.113.8", PASSWORD).await;
    assert!(r["data"]["login"]["token"].is_string(), "{r}");
    // A direct client cannot choose its address by writing the header.
    let r = login(&app.http, "203.0.113.7", PASSWORD).await;
    assert!(r["data"]["login"]["token"].is_string(), "{r}");
}
