//! `/metrics` over real HTTP against the running router: refused without the scraper's
//! token, and after a few requests its counters have moved under the right labels.

mod common;

use common::{METRICS_TOKEN, TestApp, seed_world};
use serde_json::json;

/// The value of the sample `name{labels}` (labels exactly as exposed), if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let resp = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    resp.text().await.unwrap()
}

#[tokio::test]
async fn metrics_are_refused_without_the_token() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let none = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("test-metrics-token-0124")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // A user's token is no scraper's token, not even the office's.
    let office = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth(&w.office)
        .send()
        .await
        .unwrap();
    assert_eq!(office.status(), 401);
    assert!(!office.text().await.unwrap().contains("duban_"));
}

#[tokio::test]
async fn requests_sql_pool_outbox_and_sweeps_are_counted() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let series = |op: &str, status: u16| {
        format!(
            "duban_http_request_duration_seconds_count{{route=\"/graphql\",operation=\"{op}\",status=\"{status}\"}}"
        )
    };
    let statements = |op: &str| {
        format!("duban_http_request_sql_statements_sum{{route=\"/graphql\",operation=\"{op}\"}}")
    };
    let before = scrape(&app).await;
    let count = |text: &str, s: &str| sample(text, s).unwrap_or(0.0);

    for _ in 0..3 {
        app.ok(
            &w.office,
            "query MetricsTestTasks { tasks(first: 50) { nodes { code assignments { role agency { name } } } } }",
            json!({}),
        )
        .await;
    }
    // The name may also come as `operationName`; an anonymous one is folded into `_other`.
    let v = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&w.office)
        .json(
            &json!({ "query": "query A { me { id } } query MetricsTestMe { me { id } }",
                       "operationName": "MetricsTestMe" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(v.status(), 200);
    app.ok(&w.office, "{ me { id } }", json!({})).await;
    // Not signed in: the client's name is not kept.
    let _ = app
        .gql(None, "query MetricsTestIntruder { me { id } }", json!({}))
        .await;

    let (sweep_before, _) = (
        count(&before, "duban_reminder_sweep_duration_seconds_count"),
        (),
    );
    duban::notify::worker::remind_once(
        &app.state,
        std::sync::Arc::new(duban::notify::mailer::FileMailer::new(
            app.state.config.data_dir.join("mail"),
            "duban@test.local",
        )),
        common::default_now(),
    )
    .await
    .unwrap();

    let after = scrape(&app).await;
    assert_eq!(
        count(&after, &series("MetricsTestTasks", 200))
            - count(&before, &series("MetricsTestTasks", 200)),
        3.0,
        "{after}"
    );
    assert!(
        count(&after, &series("MetricsTestMe", 200)) >= 1.0,
        "{after}"
    );
    assert!(count(&after, &series("_other", 200)) >= 2.0, "{after}");
    assert!(!after.contains("MetricsTestIntruder"));
    // Three pages of tasks with assignments and agencies: two statements each at least
    // (tasks, assignments; agencies come from the registry in memory), counted through the
    // loaders' own tasks too.
    let sql = count(&after, &statements("MetricsTestTasks"))
        - count(&before, &statements("MetricsTestTasks"));
    assert!(sql >= 6.0, "three pages ran {sql} statements: {after}");
    assert!(
        count(
            &after,
            "duban_http_request_sql_duration_seconds_count{route=\"/graphql\",operation=\"MetricsTestTasks\"}"
        ) >= 3.0
    );
    let max = sample(&after, "duban_db_pool_connections{state=\"max\"}").unwrap();
    assert!(max >= 1.0, "{after}");
    assert!(sample(&after, "duban_db_pool_connections{state=\"in_use\"}").is_some());
    for state in ["pending", "sending", "failed"] {
        assert!(
            sample(
                &after,
                &format!("duban_outbox_messages{{state=\"{state}\"}}")
            )
            .is_some(),
            "{after}"
        );
    }
    assert!(sample(&after, "duban_outbox_deliveries_total{outcome=\"sent\"}").is_some());
    assert!(
        count(&after, "duban_reminder_sweep_duration_seconds_count") >= sweep_before + 1.0,
        "{after}"
    );
    // The scrape itself is a request like any other.
    assert!(
        count(
            &after,
            "duban_http_request_duration_seconds_count{route=\"/metrics\",operation=\"\",status=\"200\"}"
        ) >= 1.0
    );
    // No label names a user.
    assert!(!after.contains("office"));
}
