//! Reads: authentication, the task list's filters and paging, the dashboard, and the cost of
//! a page in SQL statements.

mod common;

use duban::auth::Actor;
use std::sync::atomic::Ordering;

use common::*;
use serde_json::json;

#[tokio::test]
async fn only_login_answers_without_a_valid_token() {
    let app = TestApp::spawn().await;
    let _w = seed_world(&app).await;
    let r = app.gql(None, "{ plans { id } }", json!({})).await;
    assert_eq!(code(&r), "UNAUTHENTICATED");
    let r = app.gql(Some("not.a.jwt"), "{ me { id } }", json!({})).await;
    assert_eq!(code(&r), "UNAUTHENTICATED");
    // Introspection is closed too.
    let r = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        r["data"]["__schema"].is_null(),
        "introspection without a token: {r}"
    );
    // Unknown user and wrong password: the same error.
    let login = "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }";
    let a = app
        .gql(None, login, json!({"u": "office", "p": "wrong-password"}))
        .await;
    let b = app
        .gql(None, login, json!({"u": "nobody", "p": "wrong-password"}))
        .await;
    assert_eq!(code(&a), "UNAUTHENTICATED");
    assert_eq!(a["errors"][0]["message"], b["errors"][0]["message"]);
    // A token signed with another secret is refused.
    let forged = duban::auth::TokenKeys::new(&[1u8; 32], 1)
        .issue(1, 0, chrono::Utc::now().timestamp())
        .unwrap()
        .0;
    assert_eq!(
        code(&app.gql(Some(&forged), "{ me { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn repeated_login_failures_are_throttled() {
    let app = TestApp::spawn().await;
    let _w = seed_world(&app).await;
    let login = "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }";
    for _ in 0..duban::auth::throttle::ACCOUNT_FREE_FAILURES {
        let r = app
            .gql(None, login, json!({"u": "leader", "p": "guess"}))
            .await;
        assert_eq!(code(&r), "UNAUTHENTICATED");
    }
    // Now a short delay is owed: even the right password waits for it, and is told how long.
    let r = app
        .gql(None, login, json!({"u": "leader", "p": PASSWORD}))
        .await;
    assert_eq!(code(&r), "FORBIDDEN", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("try again in 1 s"),
        "{r}"
    );
    // Once it has passed, the owner signs in: no long lock-out.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.login("leader", PASSWORD).await;
    // Other accounts are unaffected.
    app.login("office", PASSWORD).await;
    // Sign-ins are audited.
    let office = app.login("office", PASSWORD).await;
    let me = app.ok(&office, "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let trail = app
        .ok(
            &office,
            "query($id:ID!){ auditEvents(entity:\"user\", entityId:$id){ action actorName } }",
            json!({"id": me}),
        )
        .await;
    let logins = trail["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "user.login")
        .count();
    assert!(logins >= 2, "{trail}");
}

#[tokio::test]
async fn parallel_login_guesses_share_one_budget() {
    let app = TestApp::spawn().await;
    let _w = seed_world(&app).await;
    let login = "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }";
    // Twenty guesses sent at once: the check and the count happen together, so no more than
    // the free failures get as far as a password comparison; the rest are told to wait.
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move {
            app.gql(
                None,
                login,
                json!({"u": "leader", "p": format!("guess-{i}")}),
            )
            .await
        }
    });
    let answers = futures_util::future::join_all(guesses).await;
    let compared = answers
        .iter()
        .filter(|r| code(r) == "UNAUTHENTICATED")
        .count();
    let throttled = answers.iter().filter(|r| code(r) == "FORBIDDEN").count();
    assert_eq!(
        compared,
        duban::auth::throttle::ACCOUNT_FREE_FAILURES as usize,
        "{answers:?}"
    );
    assert_eq!(compared + throttled, 20);
}

#[tokio::test]
async fn one_login_per_request() {
    let app = TestApp::spawn().await;
    let _w = seed_world(&app).await;
    // Aliases would let one request buy thousands of argon2 hashes.
    let q = format!(
        "mutation{{ a: login(username:\"office\", password:\"{PASSWORD}\"){{ token }} b: login(username:\"leader\", password:\"{PASSWORD}\"){{ token }} }}"
    );
    let r = app.gql(None, &q, json!({})).await;
    let errors = r["errors"].as_array().expect("the second login is refused");
    assert_eq!(errors.len(), 1, "{r}");
    assert_eq!(errors[0]["extensions"]["code"], "INVALID_INPUT");
    // A batch counts as one request too.
    let one = json!({"query": format!("mutation{{ login(username:\"office\", password:\"{PASSWORD}\"){{ token }} }}")});
    let r: serde_json::Value = app
        .http
        .post(app.url("/graphql"))
        .json(&vec![one.clone(), one])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refused = r
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x.get("errors").is_some())
        .count();
    assert_eq!(refused, 1, "{r}");
}

#[tokio::test]
async fn disabled_users_lose_access() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let id = app.ok(&w.part_staff, "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &w.office,
        "mutation($id:ID!){ updateUser(id:$id, input:{disabled:true}){ disabled } }",
        json!({"id": id}),
    )
    .await;
    assert_eq!(
        code(
            &app.gql(Some(&w.part_staff), "{ me { id } }", json!({}))
                .await
        ),
        "UNAUTHENTICATED"
    );
}

const PAGE: &str = "query($f:TaskFilterInput,$n:Int,$a:String){ tasks(filter:$f, first:$n, after:$a){ totalCount pageInfo{ hasNextPage endCursor } nodes{ code title status light overdue deadline assignments{ role agency{ name } } } } }";

/// The light and overdue filters partition the task list exactly as the per-task `light` and
/// `overdue` fields do, including tasks without a deadline (ongoing work, headings), which SQL's
/// three-valued logic would drop from a negated condition.
#[tokio::test]
async fn light_and_overdue_filters_agree_with_the_fields() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let today = duban::domain::time::china_day(default_now());
    let create = "mutation($i:TaskInput!){ createTask(input:$i){ id } }";
    let soon = (today + chrono::Duration::days(10)).to_string();
    let far = (today + chrono::Duration::days(300)).to_string();
    for (code, deadline, ongoing) in [
        ("二(一)", None, true),                 // ongoing: no deadline, green
        ("二(二)", Some(soon.as_str()), false), // due in 10 days, no progress: yellow
        ("二(三)", Some(far.as_str()), false),  // due far away: green
    ] {
        app.ok(
            &w.office,
            create,
            json!({"i": {"planId": w.plan, "code": code, "title": format!("任务{code}"),
                         "deadline": deadline, "ongoing": ongoing}}),
        )
        .await;
    }
    let all = app.ok(&w.leader, PAGE, json!({"n": 100})).await;
    let nodes = all["tasks"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 5);
    let codes_where = |pred: &dyn Fn(&serde_json::Value) -> bool| -> Vec<String> {
        nodes
            .iter()
            .filter(|n| pred(n))
            .map(|n| n["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let listed = |r: &serde_json::Value| -> Vec<String> {
        r["tasks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut seen_lights = Vec::new();
    for light in ["RED", "YELLOW", "GREEN"] {
        let r = app
            .ok(&w.leader, PAGE, json!({"n": 100, "f": {"light": light}}))
            .await;
        let expected = codes_where(&|n| n["light"] == light);
        assert_eq!(listed(&r), expected, "light {light}");
        assert_eq!(r["tasks"]["totalCount"], expected.len());
        seen_lights.extend(expected);
    }
    assert_eq!(seen_lights.len(), 5, "every task has exactly one light");
    for overdue in [true, false] {
        let r = app
            .ok(
                &w.leader,
                PAGE,
                json!({"n": 100, "f": {"overdue": overdue}}),
            )
            .await;
        assert_eq!(
            listed(&r),
            codes_where(&|n| n["overdue"] == overdue),
            "overdue {overdue}"
        );
    }
    // The ongoing task is neither overdue nor red, and is listed as not overdue.
    let r = app
        .ok(&w.leader, PAGE, json!({"n": 100, "f": {"overdue": false}}))
        .await;
    assert!(listed(&r).contains(&"二(一)".to_owned()));
}

/// The text filter matches its words literally: `%` and `_` are not wildcards.
#[tokio::test]
async fn text_filter_is_literal() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    for q in ["%", "_", "%交通%"] {
        let r = app.ok(&w.leader, PAGE, json!({"f": {"text": q}})).await;
        assert_eq!(r["tasks"]["totalCount"], 0, "text {q:?}: {r}");
    }
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"text": "交通"}}))
        .await;
    assert_eq!(r["tasks"]["totalCount"], 1);
    // Latin letters match whatever their case; `%` in the text is matched as written.
    app.ok(
        &w.office,
        "mutation($i:TaskInput!){ createTask(input:$i){ id } }",
        json!({"i": {"planId": w.plan, "code": "九", "title": "PM2.5浓度下降10%", "deadline": "2026"}}),
    )
    .await;
    for (q, n) in [("pm2.5", 1), ("PM2.5", 1), ("下降10%", 1), ("下降1_%", 0)] {
        let r = app.ok(&w.leader, PAGE, json!({"f": {"text": q}})).await;
        assert_eq!(r["tasks"]["totalCount"], n, "text {q:?}");
    }
}

#[tokio::test]
async fn filters_and_paging() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["tasks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = app.ok(&w.leader, PAGE, json!({})).await;
    assert_eq!(codes(&all), ["一(一)", "一(二)"]);
    assert_eq!(all["tasks"]["totalCount"], 2);
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"overdue": true}}))
        .await;
    assert_eq!(codes(&r), ["一(二)"]);
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"light": "RED"}}))
        .await;
    assert_eq!(codes(&r), ["一(二)"]);
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"light": "GREEN"}}))
        .await;
    assert_eq!(codes(&r), ["一(一)"]);
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"agencyId": w.part_agency}}))
        .await;
    assert_eq!(codes(&r), ["一(一)"]);
    let r = app
        .ok(
            &w.leader,
            PAGE,
            json!({"f": {"agencyId": w.part_agency, "role": "LEAD"}}),
        )
        .await;
    assert_eq!(codes(&r), Vec::<String>::new());
    let r = app
        .ok(
            &w.leader,
            PAGE,
            json!({"f": {"deadlineFrom": "2025-04-01", "deadlineTo": "2025-12-31"}}),
        )
        .await;
    assert_eq!(codes(&r), ["一(一)"]);
    let r = app
        .ok(&w.leader, PAGE, json!({"f": {"text": "交通"}}))
        .await;
    assert_eq!(codes(&r), ["一(二)"]);
    let r = app
        .ok(
            &w.leader,
            PAGE,
            json!({"f": {"status": ["NOT_STARTED"], "planId": w.plan}}),
        )
        .await;
    assert_eq!(codes(&r).len(), 2);
    // Paging by cursor.
    let p1 = app.ok(&w.leader, PAGE, json!({"n": 1})).await;
    assert_eq!(codes(&p1), ["一(一)"]);
    assert_eq!(p1["tasks"]["pageInfo"]["hasNextPage"], true);
    let p2 = app
        .ok(
            &w.leader,
            PAGE,
            json!({"n": 1, "a": p1["tasks"]["pageInfo"]["endCursor"]}),
        )
        .await;
    assert_eq!(codes(&p2), ["一(二)"]);
    assert_eq!(p2["tasks"]["pageInfo"]["hasNextPage"], false);
    // Page size is capped.
    assert_eq!(
        code(&app.gql(Some(&w.leader), PAGE, json!({"n": 101})).await),
        "INVALID_INPUT"
    );
    assert_eq!(
        code(&app.gql(Some(&w.leader), PAGE, json!({"a": "bm9wZQ"})).await),
        "INVALID_INPUT"
    );
    // Dashboard.
    let d = app
        .ok(
            &w.leader,
            "{ dashboard { agency{ name } led completed overdue red yellow green } }",
            json!({}),
        )
        .await;
    let rows = d["dashboard"].as_array().unwrap();
    let traffic = rows
        .iter()
        .find(|r| r["agency"]["name"] == "测试市交通运输局")
        .unwrap();
    assert_eq!(
        (
            traffic["led"].as_i64(),
            traffic["overdue"].as_i64(),
            traffic["red"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    let env = rows
        .iter()
        .find(|r| r["agency"]["name"] == "测试市生态环境局")
        .unwrap();
    assert_eq!(
        (
            env["led"].as_i64(),
            env["green"].as_i64(),
            env["overdue"].as_i64()
        ),
        (Some(1), Some(1), Some(0))
    );
}

/// A page of tasks with their agencies costs a constant number of statements, whatever the
/// page size: one for the page, one for the assignments, one for their agencies.
#[tokio::test]
async fn task_page_costs_constant_statements() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    // 120 more tasks, each with a lead and a participant.
    {
        use duban::domain::{AssignmentRole, TaskKind};
        use duban::services::tasks;
        let tx = app.state.db.write().await.unwrap();
        let plan: i64 = row(&w.plan);
        for i in 0..120 {
            let t = tasks::create(
                &*tx,
                Actor::System,
                tasks::TaskInput {
                    plan_id: plan,
                    parent_id: None,
                    code: format!("二{i}"),
                    kind: TaskKind::Task,
                    title: format!("任务{i}"),
                    body: String::new(),
                    deadline: None,
                    ongoing: true,
                    report_cadence: None,
                    groups: vec![],
                    lead_undecided: false,
                },
                default_now(),
            )
            .await
            .unwrap();
            for (a, r) in [
                (&w.lead_agency, AssignmentRole::Lead),
                (&w.part_agency, AssignmentRole::Participant),
            ] {
                tasks::assign(
                    &*tx,
                    Actor::System,
                    tasks::AssignmentInput {
                        task_id: t.id,
                        agency_id: row(a),
                        role: r,
                        note: None,
                        sub_deadline: None,
                    },
                    default_now(),
                )
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    let q = "query($n:Int,$o:[TaskOrder!]){ tasks(first:$n, orderBy:$o){ nodes{ code light assignments{ role agency{ name shortName } } } } }";
    // Reads of the token's user are left out: they happen at most once per request, and
    // only when the viewer cache has expired. Every order costs the same.
    let orders = [
        json!(null),
        json!([{"field": "DEADLINE"}]),
        json!([{"field": "ORIGINAL_DEADLINE", "direction": "DESC"}]),
        json!([{"field": "STATUS"}, {"field": "PROGRESS", "direction": "DESC"}]),
        json!([{"field": "UPDATED_AT", "direction": "DESC"}]),
        json!([{"field": "LIGHT", "direction": "DESC"}, {"field": "DEADLINE"}]),
        json!([{"field": "DOCUMENT_ORDER", "direction": "DESC"}]),
    ];
    // The agency registry is loaded once per process (and again after an agency changes),
    // not per page: load it before counting.
    app.ok(&w.leader, q, json!({"n": 1, "o": null})).await;
    for o in &orders {
        let mut costs = Vec::new();
        for n in [5, 50, 100] {
            let before =
                app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
            let r = app.ok(&w.leader, q, json!({"n": n, "o": o})).await;
            let after =
                app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
            assert_eq!(r["tasks"]["nodes"].as_array().unwrap().len(), n as usize);
            assert!(
                r["tasks"]["nodes"][n as usize - 1]["assignments"][0]["agency"]["name"].is_string()
            );
            costs.push(after - before);
        }
        eprintln!("statements per page of 5/50/100 tasks by {o}: {costs:?}");
        assert_eq!(costs[0], costs[1], "{o}");
        assert_eq!(costs[1], costs[2], "{o}");
        // One for the page, one for the assignments; their agencies are in memory.
        assert!(costs[2] <= 2, "a page by {o} costs {} statements", costs[2]);
    }
    // Paging backwards with the page info asked for costs one statement more, once.
    let q2 = "query($o:[TaskOrder!],$b:String){ tasks(last:50, before:$b, orderBy:$o){ pageInfo{ hasNextPage hasPreviousPage startCursor } nodes{ code } } }";
    for o in &orders {
        let p = app.ok(&w.leader, q2, json!({"o": o})).await;
        let cursor = p["tasks"]["pageInfo"]["startCursor"].clone();
        let before = app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
        let r = app.ok(&w.leader, q2, json!({"o": o, "b": cursor})).await;
        let after = app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
        assert_eq!(r["tasks"]["pageInfo"]["hasNextPage"], true, "{o}: {r}");
        assert_eq!(after - before, 2, "page and probe by {o}");
    }

    // One task with its plan and agencies: the plan joins the task's own statement.
    let t = r_first_id(&app, &w.leader).await;
    let before = app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
    let r = app
        .ok(
            &w.leader,
            "query($id:ID!){ task(id:$id){ code plan{ title } assignments{ role agency{ name } } } }",
            json!({"id": t}),
        )
        .await;
    let after = app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
    assert!(r["task"]["plan"]["title"].is_string(), "{r}");
    assert!(
        r["task"]["assignments"][0]["agency"]["name"].is_string(),
        "{r}"
    );
    assert_eq!(
        after - before,
        2,
        "task + plan, assignments (agencies in memory)"
    );
}

async fn r_first_id(app: &TestApp, token: &str) -> String {
    app.ok(token, "{ tasks(first: 1){ nodes{ id } } }", json!({}))
        .await["tasks"]["nodes"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn oversized_batches_and_deep_queries_are_refused() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let batch: Vec<_> = (0..11).map(|_| json!({"query": "{ me { id } }"})).collect();
    let r: serde_json::Value = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&w.office)
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["errors"][0]["extensions"]["code"], "LIMIT_EXCEEDED");
    let ok: Vec<_> = (0..3)
        .map(|_| json!({"query": "{ me { username } }"}))
        .collect();
    let r: serde_json::Value = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&w.office)
        .json(&ok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r.as_array().unwrap().len(), 3);
    let deep = "{ tasks { nodes { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } }";
    let r = app.gql(Some(&w.office), deep, json!({})).await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("levels deep"),
        "{r}"
    );
    // Lists under lists under a full page cost too much to run, though shallow.
    let wide =
        "{ tasks(first: 100) { nodes { children { history { action at } reports { text } } } } }";
    let r = app.gql(Some(&w.office), wide, json!({})).await;
    assert_eq!(code(&r), "LIMIT_EXCEEDED", "{r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{r}"
    );
    // One level of lists under a page is fine.
    app.ok(
        &w.office,
        "{ tasks(first: 100) { nodes { code history { action } assignments { role agency { name } } } } }",
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn healthz_and_graphiql() {
    let app = TestApp::spawn().await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.get(app.url("/")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("graphiql"));
}

/// A list that does not ask for bodies skips reading them; one that does gets them in full,
/// through `nodes` and through `edges` alike.
#[tokio::test]
async fn task_bodies_are_served_when_asked_for() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(
        &w.office,
        "mutation($i:TaskInput!){ createTask(input:$i){ id } }",
        json!({"i": {"planId": w.plan, "code": "三", "title": "有正文的任务",
                     "body": "推动重点行业节能降碳改造。", "deadline": "2026"}}),
    )
    .await;
    let r = app
        .ok(
            &w.leader,
            "{ tasks(first: 50, filter: { text: \"有正文\" }) { nodes { body } edges { node { title body } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["tasks"]["nodes"][0]["body"], "推动重点行业节能降碳改造。",
        "{r}"
    );
    assert_eq!(
        r["tasks"]["edges"][0]["node"]["body"],
        "推动重点行业节能降碳改造。"
    );
    let r = app
        .ok(
            &w.leader,
            "{ tasks(first: 50, filter: { text: \"有正文\" }) { edges { node { body } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        r["tasks"]["edges"][0]["node"]["body"],
        "推动重点行业节能降碳改造。"
    );
}
