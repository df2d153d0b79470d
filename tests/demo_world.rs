//! The demo world (`duban seed`): a simulated 2025 on the five plans, read back through
//! GraphQL, the same on every run, and the README's example queries answering on it.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};
use common::*;
use duban::services::seed::DEMO_PASSWORD_OFFICE;
use serde_json::{Value, json};

/// After the simulated year (it ends in January 2026).
async fn spawn_after_the_year() -> TestApp {
    TestApp::spawn_at(Utc.with_ymd_and_hms(2026, 2, 2, 2, 0, 0).unwrap()).await
}

async fn seed(app: &TestApp) -> duban::demo::Summary {
    let (_, activity) = duban::cli::seed_demo_world(&app.state.db, "http://127.0.0.1:8080")
        .await
        .unwrap();
    activity.unwrap();
    // The summary line is for people; the counts come from the simulation's own record.
    summary_of(app).await
}

/// What the database holds, counted with SQL (independently of the GraphQL reads below).
async fn summary_of(app: &TestApp) -> duban::demo::Summary {
    async fn n(app: &TestApp, filter: &str, table: &str) -> usize {
        use sea_orm::{ConnectionTrait, Statement};
        let db = app.db();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap() as usize
    }
    duban::demo::Summary {
        reports: n(app, "1 = 1", "progress_report").await,
        returned: n(app, "action = 'task.return'", "audit_event").await,
        extensions_approved: n(app, "status = 'approved'", "extension_request").await,
        extensions_rejected: n(app, "status = 'rejected'", "extension_request").await,
        supervision_records: n(app, "1 = 1", "supervision_record").await,
        ..Default::default()
    }
}

const TASKS_PAGE: &str = "query($after: String) { tasks(first: 10, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { status originalDeadline
            reports(first: 100) { period percent }
            extensionRequests { status }
            supervisionRecords(first: 100) { level docNumber }
            history(first: 100) { action } } } }";

#[tokio::test]
async fn the_demo_world_shows_a_year_of_work_through_graphql() {
    let app = spawn_after_the_year().await;
    let counted = seed(&app).await;
    let office = app.login("office", DEMO_PASSWORD_OFFICE).await;

    // Every task, page by page.
    let mut tasks: Vec<Value> = Vec::new();
    let mut after = Value::Null;
    loop {
        let d = app.ok(&office, TASKS_PAGE, json!({ "after": after })).await;
        tasks.extend(d["tasks"]["nodes"].as_array().unwrap().iter().cloned());
        if d["tasks"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = d["tasks"]["pageInfo"]["endCursor"].clone();
    }
    let list = |t: &Value, k: &str| t[k].as_array().cloned().unwrap_or_default();
    let reports: usize = tasks.iter().map(|t| list(t, "reports").len()).sum();
    let periods: BTreeSet<String> = tasks
        .iter()
        .flat_map(|t| list(t, "reports"))
        .map(|r| r["period"].as_str().unwrap().to_owned())
        .collect();
    let returned: usize = tasks
        .iter()
        .flat_map(|t| list(t, "history"))
        .filter(|h| h["action"] == "task.return")
        .count();
    let returned_then_closed = tasks.iter().any(|t| {
        t["status"] == "COMPLETED"
            && list(t, "history")
                .iter()
                .any(|h| h["action"] == "task.return")
    });
    let extensions: Vec<Value> = tasks
        .iter()
        .flat_map(|t| list(t, "extensionRequests"))
        .collect();
    let approved = extensions
        .iter()
        .filter(|e| e["status"] == "APPROVED")
        .count();
    let rejected = extensions
        .iter()
        .filter(|e| e["status"] == "REJECTED")
        .count();
    let records: Vec<Value> = tasks
        .iter()
        .flat_map(|t| list(t, "supervisionRecords"))
        .collect();
    let numbered: Vec<&str> = records
        .iter()
        .filter_map(|r| r["docNumber"].as_str())
        .collect();

    assert!(
        reports > 0 && reports == counted.reports,
        "{reports} reports"
    );
    assert!(
        periods.iter().any(|p| p.contains("-Q")) && periods.iter().any(|p| p.contains("-H")),
        "reports by quarter and by half year: {periods:?}"
    );
    assert!(
        returned > 0 && returned == counted.returned,
        "{returned} returns"
    );
    assert!(
        returned_then_closed,
        "a returned task resubmitted and closed"
    );
    assert!(approved > 0 && approved == counted.extensions_approved);
    assert!(rejected > 0 && rejected == counted.extensions_rejected);
    // An approved extension keeps the original deadline (按原定时间考核).
    assert!(tasks.iter().any(|t| !t["originalDeadline"].is_null()));
    assert_eq!(records.len(), counted.supervision_records);
    assert!(records.iter().any(|r| r["level"] == "URGING"));
    assert!(!numbered.is_empty(), "numbered supervision notices");
    assert!(numbered.iter().any(|n| n.starts_with("督办〔2025〕")));
    assert!(numbered.iter().all(|n| n.ends_with('号')));
    let distinct: BTreeSet<&&str> = numbered.iter().collect();
    assert_eq!(distinct.len(), numbered.len(), "every number once");

    // The published 2025 evaluation has a spread of grades, each consistent with its score
    // and the scheme's bands (a 优秀 may be held back to 良好 by the quota, nothing else moves).
    let ev = app
        .ok(
            &office,
            "{ evaluations(year: 2025) { status results { score grade vetoed } } }",
            json!({}),
        )
        .await;
    let ev = &ev["evaluations"][0];
    assert_eq!(ev["status"], "published");
    let mut grades: BTreeMap<String, usize> = BTreeMap::new();
    for r in ev["results"].as_array().unwrap() {
        let score = r["score"].as_f64().unwrap();
        let grade = r["grade"].as_str().unwrap();
        let band = match score {
            s if s >= 90.0 => "优秀",
            s if s >= 80.0 => "良好",
            s if s >= 60.0 => "合格",
            _ => "不合格",
        };
        assert!(
            grade == band || (band == "优秀" && grade == "良好") || r["vetoed"] == true,
            "{r}"
        );
        *grades.entry(grade.to_owned()).or_default() += 1;
    }
    assert!(grades.len() >= 3, "grades: {grades:?}");

    // The simulation's mail is kept, never sent.
    let outbox = app
        .ok(
            &office,
            "{ demo: outbox(state: DEMO, first: 1) { total } pending: outbox(state: PENDING, first: 1) { total } sent: outbox(state: SENT, first: 1) { total } }",
            json!({}),
        )
        .await;
    assert!(outbox["demo"]["total"].as_i64().unwrap() > 0, "{outbox}");
    assert_eq!(outbox["pending"]["total"], 0);
    assert_eq!(outbox["sent"]["total"], 0);
    assert!(!app.state.config.data_dir.join("outbox-mail").exists());
    let plans = app.ok(&office, "{ plans { demo } }", json!({})).await;
    assert!(
        plans["plans"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["demo"] == true)
    );

    // The README's example queries answer with data.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let queries = readme_queries(&readme);
    assert!(queries.len() >= 4, "{} example queries", queries.len());
    for q in &queries {
        let d = app.ok(&office, q, json!({})).await;
        for (field, value) in d.as_object().unwrap() {
            assert!(
                has_data(value),
                "README query answers nothing for {field}: {q}\n{d}"
            );
        }
    }
}

/// The ```graphql blocks of the README's "The demo world" section.
fn readme_queries(readme: &str) -> Vec<String> {
    let start = readme.find("### The demo world").expect("README section");
    let rest = &readme[start + 1..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    section
        .split("```graphql\n")
        .skip(1)
        .map(|b| b[..b.find("```").unwrap()].to_owned())
        .collect()
}

/// Non-empty: a list with an element, or an object in which some list is non-empty, or a
/// non-zero number.
fn has_data(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => o.values().any(|x| {
            matches!(x, Value::Array(a) if !a.is_empty()) || x.as_i64().is_some_and(|n| n > 0)
        }),
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

#[tokio::test]
async fn two_demo_worlds_are_the_same() {
    let (a, b) = (spawn_after_the_year().await, spawn_after_the_year().await);
    let (sa, sb) = (seed(&a).await, seed(&b).await);
    assert_eq!(sa, sb);
    assert!(sa.reports > 0);
    let (da, db) = (
        duban::demo::digest(&a.state.db).await.unwrap(),
        duban::demo::digest(&b.state.db).await.unwrap(),
    );
    assert_eq!(da, db);
    // The digest does see the world: one more report changes it.
    {
        use sea_orm::ConnectionTrait;
        b.db()
            .execute_unprepared("UPDATE progress_report SET percent = percent + 1 WHERE id = 1")
            .await
            .unwrap();
    }
    assert_ne!(duban::demo::digest(&b.state.db).await.unwrap(), da);
}
