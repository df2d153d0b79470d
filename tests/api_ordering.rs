//! The task list's orders and paging both ways (Relay), cursor misuse, and the bounded lists
//! under a task — against the running router, on SQLite and (when configured) PostgreSQL.

mod common;

use std::cmp::Ordering as Cmp;
use std::sync::atomic::Ordering;

use common::*;
use duban::auth::Actor;
use serde_json::{Value, json};

const LIST: &str = "query($o:[TaskOrder!],$f:Int,$a:String,$l:Int,$b:String){ tasks(orderBy:$o, first:$f, after:$a, last:$l, before:$b){ pageInfo{ hasNextPage hasPreviousPage startCursor endCursor } edges{ cursor node{ id code } } } }";

const ALL: &str = "{ tasks(first: 100){ nodes{ id code deadline originalDeadline status progress updatedAt light plan{ id } } } }";

const STATUSES: [&str; 6] = [
    "NOT_STARTED",
    "IN_PROGRESS",
    "COMPLETION_REQUESTED",
    "COMPLETED",
    "RETURNED",
    "CANCELLED",
];

/// Fourteen tasks with few distinct values per field (so ties, broken by id, are common), some
/// without a deadline, in every light.
async fn varied_tasks(app: &TestApp, w: &World) {
    use duban::domain::{Deadline, Precision, TaskKind};
    use duban::services::tasks;
    use entity::task;
    use sea_orm::{ActiveModelTrait, Set};
    let plan: i64 = row(&w.plan);
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let deadlines = [
        Some("2025-05-01"), // past: red unless resolved
        Some("2025-06-10"), // within the yellow window
        None,
        Some("2025-12-31"),
        Some("2025-06-10"),
        Some("2025-05-01"),
        None,
        Some("2026-03-31"),
    ];
    let tx = app.state.db.write().await.unwrap();
    for i in 0..14usize {
        let deadline = deadlines[i % deadlines.len()];
        let t = tasks::create(
            &*tx,
            Actor::System,
            tasks::TaskInput {
                plan_id: plan,
                parent_id: None,
                code: format!("三{i:02}"),
                kind: TaskKind::Task,
                title: format!("排序任务{i}"),
                body: String::new(),
                deadline: deadline.map(|d| Deadline {
                    date: day(d),
                    precision: Precision::Day,
                }),
                ongoing: deadline.is_none(),
                report_cadence: None,
                groups: vec![],
                lead_undecided: false,
            },
            default_now(),
        )
        .await
        .unwrap();
        let mut m: task::ActiveModel = t.into();
        m.progress = Set([0, 30, 60, 30, 100][i % 5]);
        m.status = Set([
            "not_started",
            "in_progress",
            "completed",
            "in_progress",
            "cancelled",
            "returned",
            "completion_requested",
        ][i % 7]
            .into());
        m.updated_at = Set(default_now() - chrono::Duration::minutes(((i * 7) % 5) as i64 * 90));
        if i % 4 == 1 {
            m.original_deadline = Set(Some(day("2025-03-31")));
        }
        m.update(&*tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}

fn ids(page: &Value) -> Vec<i64> {
    page["tasks"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| row(e["node"]["id"].as_str().unwrap()))
        .collect()
}

/// The sort key of `field` for one task, computed here from the fields the API returns.
fn key(field: &str, n: &Value) -> (i64, String) {
    let s = |k: &str| n[k].as_str().map(str::to_owned);
    match field {
        // Tasks are created one after the other here, so the outline position follows the id.
        "DOCUMENT_ORDER" => (
            row(n["plan"]["id"].as_str().unwrap()),
            format!("{:020}", row(n["id"].as_str().unwrap())),
        ),
        "DEADLINE" => (0, s("deadline").unwrap_or_else(|| "9999-12-31".into())),
        "ORIGINAL_DEADLINE" => (
            0,
            s("originalDeadline")
                .or_else(|| s("deadline"))
                .unwrap_or_else(|| "9999-12-31".into()),
        ),
        "STATUS" => (
            STATUSES.iter().position(|x| n["status"] == *x).unwrap() as i64,
            String::new(),
        ),
        "PROGRESS" => (n["progress"].as_i64().unwrap(), String::new()),
        "UPDATED_AT" => (
            chrono::DateTime::parse_from_rfc3339(n["updatedAt"].as_str().unwrap())
                .unwrap()
                .timestamp_nanos_opt()
                .unwrap(),
            String::new(),
        ),
        "LIGHT" => (
            ["GREEN", "YELLOW", "RED"]
                .iter()
                .position(|x| n["light"] == *x)
                .unwrap() as i64,
            String::new(),
        ),
        f => panic!("unknown field {f}"),
    }
}

/// The order the API should give for `order` ([(field, desc)]), ties broken by id.
fn expected(nodes: &[Value], order: &[(&str, bool)]) -> Vec<i64> {
    let id = |n: &Value| row(n["id"].as_str().unwrap());
    let mut v: Vec<&Value> = nodes.iter().collect();
    v.sort_by(|a, b| {
        for (f, desc) in order {
            let c = key(f, a).cmp(&key(f, b));
            let c = if *desc { c.reverse() } else { c };
            if c != Cmp::Equal {
                return c;
            }
        }
        id(a).cmp(&id(b))
    });
    v.into_iter().map(id).collect()
}

fn order_json(order: &[(&str, bool)]) -> Value {
    order
        .iter()
        .map(|(f, d)| json!({"field": f, "direction": if *d { "DESC" } else { "ASC" }}))
        .collect()
}

/// Pages forwards with `first: size` and backwards with `last: size`, checking the Relay page
/// info on every page; returns both readings.
async fn read_both_ways(
    app: &TestApp,
    token: &str,
    order: &Value,
    size: i64,
) -> (Vec<i64>, Vec<i64>) {
    let mut forward = Vec::new();
    let mut after = Value::Null;
    for n in 0.. {
        let p = app
            .ok(token, LIST, json!({"o": order, "f": size, "a": after}))
            .await;
        let info = &p["tasks"]["pageInfo"];
        assert_eq!(info["hasPreviousPage"], n > 0, "page {n} forwards: {p}");
        let got = ids(&p);
        forward.extend(&got);
        let edges = p["tasks"]["edges"].as_array().unwrap();
        assert_eq!(info["startCursor"], edges[0]["cursor"]);
        assert_eq!(info["endCursor"], edges[edges.len() - 1]["cursor"]);
        if info["hasNextPage"] == false {
            break;
        }
        assert_eq!(got.len() as i64, size);
        after = info["endCursor"].clone();
        assert!(n < 50, "paging does not end");
    }
    let mut backward: Vec<i64> = Vec::new();
    let mut before = Value::Null;
    for n in 0.. {
        let p = app
            .ok(token, LIST, json!({"o": order, "l": size, "b": before}))
            .await;
        let info = &p["tasks"]["pageInfo"];
        assert_eq!(info["hasNextPage"], n > 0, "page {n} backwards: {p}");
        let mut got = ids(&p);
        got.extend(backward);
        backward = got;
        if info["hasPreviousPage"] == false {
            break;
        }
        before = info["startCursor"].clone();
        assert!(n < 50, "paging does not end");
    }
    (forward, backward)
}

#[tokio::test]
async fn every_order_pages_both_ways() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    varied_tasks(&app, &w).await;
    let all = app.ok(&w.leader, ALL, json!({})).await;
    let nodes = all["tasks"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 16);
    let lights: std::collections::HashSet<_> = nodes.iter().map(|n| n["light"].clone()).collect();
    assert_eq!(lights.len(), 3, "the data has every light");
    let mut orders: Vec<Vec<(&str, bool)>> = Vec::new();
    for f in [
        "DOCUMENT_ORDER",
        "DEADLINE",
        "ORIGINAL_DEADLINE",
        "STATUS",
        "PROGRESS",
        "UPDATED_AT",
        "LIGHT",
    ] {
        orders.push(vec![(f, false)]);
        orders.push(vec![(f, true)]);
    }
    orders.push(vec![("LIGHT", true), ("DEADLINE", false)]);
    orders.push(vec![
        ("STATUS", false),
        ("PROGRESS", true),
        ("UPDATED_AT", false),
    ]);
    for order in &orders {
        let want = expected(&nodes, order);
        for size in [3, 5] {
            let (fwd, back) = read_both_ways(&app, &w.leader, &order_json(order), size).await;
            assert_eq!(fwd, want, "forwards by {order:?}, pages of {size}");
            assert_eq!(back, want, "backwards by {order:?}, pages of {size}");
        }
    }
    // No deadline sorts last ascending (and so first descending).
    let by_deadline = expected(&nodes, &[("DEADLINE", false)]);
    let undated: Vec<i64> = nodes
        .iter()
        .filter(|n| n["deadline"].is_null())
        .map(|n| row(n["id"].as_str().unwrap()))
        .collect();
    assert!(!undated.is_empty());
    assert!(by_deadline.ends_with(&{
        let mut u = undated.clone();
        u.sort();
        u
    }));
    // The office's first screen: overdue tasks, most overdue first.
    let r = app
        .ok(
            &w.leader,
            "{ tasks(filter:{overdue:true}, orderBy:[{field:DEADLINE}]){ nodes{ deadline overdue } } }",
            json!({}),
        )
        .await;
    let d: Vec<&str> = r["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert_eq!(n["overdue"], true);
            n["deadline"].as_str().unwrap()
        })
        .collect();
    assert!(d.len() >= 2 && d.windows(2).all(|p| p[0] <= p[1]), "{d:?}");
}

#[tokio::test]
async fn cursors_are_bound_to_their_order() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    varied_tasks(&app, &w).await;
    let by_deadline = order_json(&[("DEADLINE", false)]);
    let p = app
        .ok(&w.leader, LIST, json!({"o": by_deadline, "f": 2}))
        .await;
    let cursor = p["tasks"]["pageInfo"]["endCursor"].clone();
    // The same order takes it.
    app.ok(
        &w.leader,
        LIST,
        json!({"o": by_deadline, "f": 2, "a": cursor}),
    )
    .await;
    // Another order, another direction, or the default order refuse it, with a reason.
    for other in [
        order_json(&[("PROGRESS", false)]),
        order_json(&[("DEADLINE", true)]),
        order_json(&[("DEADLINE", false), ("STATUS", false)]),
        Value::Null,
    ] {
        for vars in [
            json!({"o": other, "f": 2, "a": cursor}),
            json!({"o": other, "l": 2, "b": cursor}),
        ] {
            let r = app.gql(Some(&w.leader), LIST, vars).await;
            assert_eq!(code(&r), "INVALID_INPUT", "{r}");
            assert!(
                r["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("another order"),
                "{r}"
            );
        }
    }
    // Malformed and forged cursors, and impossible pages, are refused without effect.
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    for bad in [
        "not base64!".to_owned(),
        b64("t:1:0:1"),
        b64(r#"{"o":"dl.a","k":["x",1]}"#),
        b64(r#"{"o":"dl.a","k":[1]}"#),
        b64(r#"{"o":"li.a","k":[0,1]}"#),
    ] {
        let o = if bad.contains("li") {
            order_json(&[("LIGHT", false)])
        } else {
            by_deadline.clone()
        };
        let r = app
            .gql(Some(&w.leader), LIST, json!({"o": o, "f": 2, "a": bad}))
            .await;
        assert_eq!(code(&r), "INVALID_INPUT", "{bad}: {r}");
    }
    // A light cursor is for the day it was made on (the lights change at midnight).
    let light_cursor = b64(r#"{"o":"li.a","d":"2025-05-31","k":[0,1]}"#);
    let r = app
        .gql(
            Some(&w.leader),
            LIST,
            json!({"o": order_json(&[("LIGHT", false)]), "f": 2, "a": light_cursor}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    for vars in [
        json!({"f": 2, "l": 2}),
        json!({"l": 0}),
        json!({"l": 101}),
        json!({"o": [{"field": "DEADLINE"}, {"field": "DEADLINE", "direction": "DESC"}]}),
    ] {
        let r = app.gql(Some(&w.leader), LIST, vars.clone()).await;
        assert_eq!(code(&r), "INVALID_INPUT", "{vars}: {r}");
    }
}

/// `after` and `before` together bound a slice; `first`/`last` count from its ends.
#[tokio::test]
async fn after_and_before_bound_a_slice() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    varied_tasks(&app, &w).await;
    let o = order_json(&[("PROGRESS", true)]);
    let all = app.ok(&w.leader, LIST, json!({"o": o, "f": 100})).await;
    let edges = all["tasks"]["edges"].as_array().unwrap().clone();
    let want = ids(&all);
    let (a, b) = (&edges[2]["cursor"], &edges[9]["cursor"]);
    let r = app
        .ok(&w.leader, LIST, json!({"o": o, "a": a, "b": b, "f": 3}))
        .await;
    assert_eq!(ids(&r), want[3..6]);
    assert_eq!(r["tasks"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(r["tasks"]["pageInfo"]["hasPreviousPage"], true);
    let r = app
        .ok(&w.leader, LIST, json!({"o": o, "a": a, "b": b, "l": 3}))
        .await;
    assert_eq!(ids(&r), want[6..9]);
    assert_eq!(r["tasks"]["pageInfo"]["hasPreviousPage"], true);
    assert_eq!(r["tasks"]["pageInfo"]["hasNextPage"], true);
    let r = app
        .ok(&w.leader, LIST, json!({"o": o, "a": a, "b": b, "f": 100}))
        .await;
    assert_eq!(ids(&r), want[3..9]);
    assert_eq!(r["tasks"]["pageInfo"]["hasNextPage"], false);
}

/// The lists under a task come in bounded pages, the same rows as the whole list would give,
/// and a page of tasks with them still costs one statement per list.
#[tokio::test]
async fn lists_under_a_task_are_bounded() {
    use duban::services::audit::{self, Change};
    use sea_orm::{ActiveModelTrait, Set};
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let author: i64 = row(&app.my_id(&w.lead_staff).await);
    let lead: i64 = row(&w.lead_agency);
    let (t1, t2): (i64, i64) = (row(&w.t1), row(&w.t2));
    {
        let tx = app.state.db.write().await.unwrap();
        for (task, n) in [(t1, 130), (t2, 7)] {
            for i in 0..n {
                audit::record(
                    &*tx,
                    Actor::System,
                    Change {
                        action: duban::domain::AuditAction::TaskUpdate,
                        entity: "task",
                        entity_id: task,
                        before: None,
                        after: Some(json!({"i": i})),
                    },
                    default_now(),
                )
                .await
                .unwrap();
                entity::progress_report::ActiveModel {
                    task_id: Set(task),
                    agency_id: Set(lead),
                    author_id: Set(author),
                    period: Set(format!("2025-{i:03}")),
                    text: Set(format!("进展{i}")),
                    percent: Set(10),
                    submitted_at: Set(default_now()),
                    ..Default::default()
                }
                .insert(&*tx)
                .await
                .unwrap();
            }
        }
        tx.commit().await.unwrap();
    }
    let q = "query($f:Int,$o:Int){ tasks(first: 10){ nodes{ id history(first:$f, offset:$o){ id } reports(first:$f, offset:$o){ period } } } }";
    let page = |r: &Value, task: &str, list: &str, field: &str| -> Vec<String> {
        r["tasks"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["id"] == task)
            .unwrap()[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[field].as_str().unwrap().to_owned())
            .collect()
    };
    // Read whole, page by page, and compare with pages of another size.
    let mut whole: Vec<String> = Vec::new();
    let mut whole_reports: Vec<String> = Vec::new();
    for o in (0..).step_by(100) {
        let r = app.ok(&w.leader, q, json!({"f": 100, "o": o})).await;
        let h = page(&r, &w.t1, "history", "id");
        whole_reports.extend(page(&r, &w.t1, "reports", "period"));
        let done = h.len() < 100;
        whole.extend(h);
        if done {
            break;
        }
    }
    assert_eq!(whole.len(), 131, "130 recorded and the creation");
    assert_eq!(whole_reports.len(), 130);
    let mut sorted = whole.clone();
    sorted.sort_by_key(|x| row(x));
    assert_eq!(whole, sorted, "oldest first");
    let r = app.ok(&w.leader, q, json!({"f": 7, "o": 14})).await;
    assert_eq!(page(&r, &w.t1, "history", "id"), whole[14..21]);
    assert_eq!(page(&r, &w.t1, "reports", "period"), whole_reports[14..21]);
    // The other task's page is its own.
    assert_eq!(
        page(&r, &w.t2, "reports", "period").len(),
        0,
        "t2 has 7 reports, offset 14"
    );
    let r = app.ok(&w.leader, q, json!({})).await;
    assert_eq!(
        page(&r, &w.t1, "history", "id"),
        whole[..20],
        "default page of 20"
    );
    assert_eq!(page(&r, &w.t2, "reports", "period").len(), 7);
    for vars in [
        json!({"f": 101}),
        json!({"f": 0}),
        json!({"o": -1}),
        json!({"o": 10_001}),
    ] {
        assert_eq!(
            code(&app.gql(Some(&w.leader), q, vars).await),
            "INVALID_INPUT"
        );
    }
    // One statement per list, whatever the page: tasks, history, reports.
    let cost = |vars: Value| {
        let app = &app;
        let token = w.leader.clone();
        async move {
            let before =
                app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
            app.ok(&token, q, vars).await;
            app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst) - before
        }
    };
    assert_eq!(cost(json!({"f": 1})).await, 3);
    assert_eq!(cost(json!({"f": 100, "o": 30})).await, 3);
    // Children, supervision records and assignments take the same bounds.
    let r = app
        .ok(
            &w.leader,
            "query($id:ID!){ task(id:$id){ children(first:1){ id } supervisionRecords(first:1){ id } assignments(first:1){ role } all: assignments{ role } } }",
            json!({"id": w.t1}),
        )
        .await;
    assert_eq!(r["task"]["assignments"].as_array().unwrap().len(), 1);
    assert!(r["task"]["all"].as_array().unwrap().len() >= 2, "{r}");
}

/// The indexed orders are read from their index, not sorted: the expression indexes of the
/// migration are spelled exactly as the list's SQL keys (a database uses an expression index
/// only for the same expression). Checked on SQLite, whose plans are stable on a small table;
/// PostgreSQL's planner rightly prefers a scan there, so its plans would prove nothing.
#[tokio::test]
async fn indexed_orders_do_not_sort() {
    use duban::services::tasks::{deadline_sql, original_deadline_sql, status_rank_sql};
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = TestApp::spawn().await;
    if app.db().get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let _w = seed_world(&app).await;
    for (key, index) in [
        (deadline_sql(), "idx_task_order_deadline"),
        (original_deadline_sql(), "idx_task_order_original_deadline"),
        (status_rank_sql(), "idx_task_order_status"),
        ("progress".to_owned(), "idx_task_order_progress"),
        ("updated_at".to_owned(), "idx_task_order_updated_at"),
    ] {
        for dir in ["ASC", "DESC"] {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT id FROM task ORDER BY {key} {dir}, id {dir} LIMIT 21"
            );
            let plan: Vec<String> = app
                .db()
                .query_all_raw(Statement::from_string(DbBackend::Sqlite, sql.clone()))
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get::<String>("", "detail").unwrap())
                .collect();
            let plan = plan.join(" | ");
            assert!(plan.contains(index), "{sql}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql} sorts: {plan}");
        }
    }
}
