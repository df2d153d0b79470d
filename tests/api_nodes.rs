//! Global object identification (the Relay spec) against the running router: every type's
//! `id` fetched back through `node` and `nodes`, ids handed out by the ordinary fields
//! accepted everywhere an id is, ids of the wrong type refused, and `node` answering null
//! for what a viewer may not read.

mod common;

use std::sync::atomic::Ordering;

use base64::Engine as _;
use chrono::{TimeZone, Utc};
use common::*;
use duban::services::seed::DEMO_PASSWORD_OFFICE;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, Statement};
use serde_json::{Value, json};

/// Every type that implements `Node`, with the SQL that finds one of its rows.
const TYPES: [(&str, &str); 20] = [
    ("Agency", "agency"),
    ("Assignment", "assignment"),
    ("Attachment", "attachment"),
    ("AuditEvent", "audit_event"),
    (
        "CompletionRequest",
        "audit_event WHERE action = 'task.request_completion'",
    ),
    ("Contact", "contact"),
    ("Evaluation", "evaluation"),
    ("EvaluationResult", "evaluation_result"),
    ("EvaluationScheme", "evaluation_scheme"),
    ("ExtensionRequest", "extension_request"),
    ("IndicatorValue", "indicator_value"),
    ("ManualAdjustment", "manual_adjustment"),
    ("ManualScore", "manual_score"),
    ("OutboxMessage", "outbox_message"),
    ("Plan", "plan"),
    ("ProgressReport", "progress_report"),
    ("SupervisionRecord", "supervision_record"),
    ("Target", "target"),
    ("Task", "task"),
    ("User", "\"user\""),
];

/// A selection that reads `__typename`, `id` and `rowId` of any node.
fn node_fields() -> String {
    let mut s = String::from("__typename id");
    for (t, _) in TYPES {
        s.push_str(&format!(" ... on {t} {{ rowId }}"));
    }
    s
}

/// The documented encoding (README): base64url of `Type:row`, unpadded.
fn global(kind: &str, row: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{row}"))
}

async fn first_row(app: &TestApp, from: &str) -> Option<i64> {
    let db = app.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT MIN(id) AS id FROM {from}"),
        ))
        .await
        .unwrap()?;
    row.try_get::<Option<i64>>("", "id").unwrap()
}

/// Rows of the types the demo year does not produce: an indicator value, a manual
/// adjustment and an attachment (metadata only: `node` never reads the bytes).
async fn add_missing_rows(app: &TestApp) {
    let db = app.db();
    let now = Utc::now();
    let scheme = first_row(app, "evaluation_scheme").await.unwrap();
    let agency = first_row(app, "agency").await.unwrap();
    let user = first_row(app, "\"user\"").await.unwrap();
    let report = first_row(app, "progress_report").await.unwrap();
    let task = entity::progress_report::Entity::find_by_id(report)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .task_id;
    use sea_orm::EntityTrait;
    entity::indicator_value::ActiveModel {
        year: Set(2025),
        scheme_id: Set(scheme),
        criterion_key: Set("k".into()),
        agency_id: Set(agency),
        value: Set(1.0),
        target: Set(None),
        note: Set(None),
        entered_by: Set(user),
        source_agency_id: Set(agency),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    entity::manual_adjustment::ActiveModel {
        year: Set(2025),
        scheme_id: Set(scheme),
        agency_id: Set(agency),
        amount: Set(1.0),
        reason: Set("测试".into()),
        entered_by: Set(user),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
    entity::attachment::ActiveModel {
        task_id: Set(task),
        owner_kind: Set("progress_report".into()),
        owner_id: Set(report),
        file_name: Set("a.pdf".into()),
        media_type: Set("application/pdf".into()),
        size: Set(1),
        sha256: Set("0".repeat(64)),
        storage_key: Set("evidence/00/0".into()),
        uploaded_by: Set(user),
        uploaded_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .unwrap();
}

#[tokio::test]
async fn every_type_round_trips_through_node_and_nodes() {
    let app = TestApp::spawn_at(Utc.with_ymd_and_hms(2026, 2, 2, 2, 0, 0).unwrap()).await;
    let (_, activity) = duban::cli::seed_demo_world(&app.state.db, "http://127.0.0.1:8080")
        .await
        .unwrap();
    activity.unwrap();
    add_missing_rows(&app).await;
    let office = app.login("office", DEMO_PASSWORD_OFFICE).await;

    let mut ids = Vec::new();
    let mut rows = Vec::new();
    for (t, from) in TYPES {
        let row = first_row(&app, from)
            .await
            .unwrap_or_else(|| panic!("the test world has no {t}"));
        ids.push(global(t, row));
        rows.push(row);
    }
    let q = format!(
        "query($ids:[ID!]!){{ nodes(ids:$ids){{ {} }} }}",
        node_fields()
    );
    let before = app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst);
    let d = app.ok(&office, &q, json!({ "ids": ids })).await;
    let cost =
        app.statements.load(Ordering::SeqCst) - app.user_reads.load(Ordering::SeqCst) - before;
    let got = d["nodes"].as_array().unwrap();
    assert_eq!(got.len(), TYPES.len());
    for (i, (t, _)) in TYPES.iter().enumerate() {
        assert_eq!(got[i]["__typename"], *t, "{got:?}");
        assert_eq!(got[i]["id"], ids[i], "{t}");
        assert_eq!(got[i]["rowId"], rows[i], "{t}");
    }
    // One statement per type (two types share the audit table), nothing per row.
    assert!(
        cost <= TYPES.len() as u64,
        "nodes of 20 types cost {cost} statements"
    );

    // `node` does the same one at a time.
    let q = format!("query($id:ID!){{ node(id:$id){{ {} }} }}", node_fields());
    for (i, (t, _)) in TYPES.iter().enumerate() {
        let d = app.ok(&office, &q, json!({ "id": ids[i] })).await;
        assert_eq!(d["node"]["__typename"], *t);
        assert_eq!(d["node"]["rowId"], rows[i]);
    }

    // The ids the ordinary fields hand out are the same global ids, and refetch.
    let d = app
        .ok(
            &office,
            "{ tasks(first: 30) { nodes { id rowId plan { id rowId }
                 assignments { id agency { id } } reports(first: 1) { id }
                 supervisionRecords(first: 1) { id taskId } history(first: 1) { id entityId } } }
               agencies(first: 2) { id rowId } me { id rowId } }",
            json!({}),
        )
        .await;
    let task = d["tasks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["assignments"].get(0).is_some())
        .expect("a task with assignments");
    assert_eq!(task["id"], global("Task", task["rowId"].as_i64().unwrap()));
    assert_eq!(
        task["plan"]["id"],
        global("Plan", task["plan"]["rowId"].as_i64().unwrap())
    );
    assert_eq!(
        d["me"]["id"],
        global("User", d["me"]["rowId"].as_i64().unwrap())
    );
    let mut handed_out = vec![
        task["id"].clone(),
        task["plan"]["id"].clone(),
        task["assignments"][0]["id"].clone(),
        task["assignments"][0]["agency"]["id"].clone(),
        d["agencies"][0]["id"].clone(),
        d["me"]["id"].clone(),
    ];
    for t in d["tasks"]["nodes"].as_array().unwrap() {
        for f in ["reports", "supervisionRecords", "history"] {
            if let Some(x) = t[f].get(0) {
                handed_out.push(x["id"].clone());
            }
        }
        // A foreign key is the global id of the object it names.
        if let Some(r) = t["supervisionRecords"].get(0) {
            assert_eq!(r["taskId"], t["id"]);
        }
        if let Some(e) = t["history"].get(0) {
            assert_eq!(e["entityId"], t["id"]);
        }
    }
    let q = "query($ids:[ID!]!){ nodes(ids:$ids){ id } }";
    let d = app.ok(&office, q, json!({ "ids": handed_out })).await;
    let back: Vec<Value> = d["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].clone())
        .collect();
    assert_eq!(back, handed_out);
}

#[tokio::test]
async fn ids_are_accepted_where_ids_are_and_refused_for_the_wrong_type() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let t1: i64 = row(&w.t1);

    // The global id and the bare row id name the same task.
    let q = "query($id:ID!){ task(id:$id){ id rowId title } }";
    let by_global = app
        .ok(&w.office, q, json!({ "id": global("Task", t1) }))
        .await;
    let by_row = app.ok(&w.office, q, json!({ "id": t1.to_string() })).await;
    assert_eq!(by_global, by_row);
    assert_eq!(by_global["task"]["rowId"], t1);

    // A plan's id where a task's is expected is refused, and says what it is.
    let wrong = app
        .gql(Some(&w.office), q, json!({ "id": global("Plan", 1) }))
        .await;
    assert_eq!(code(&wrong), "INVALID_INPUT");
    assert!(
        wrong["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Plan")
    );

    // Filters take global ids too.
    let d = app
        .ok(
            &w.office,
            "query($a:ID!){ tasks(filter:{agencyId:$a}){ nodes{ rowId } } }",
            json!({ "a": w.other_agency }),
        )
        .await;
    assert_eq!(d["tasks"]["nodes"], json!([{ "rowId": row(&w.t2) }]));

    // Not a global id at all; too many ids.
    let q = "query($id:ID!){ node(id:$id){ id } }";
    for bad in ["12", "", "!!!", &"A".repeat(5000)] {
        let r = app.gql(Some(&w.office), q, json!({ "id": bad })).await;
        assert_eq!(code(&r), "INVALID_INPUT", "{bad:?}");
    }
    let many: Vec<String> = (1..=101).map(|i| global("Task", i)).collect();
    let r = app
        .gql(
            Some(&w.office),
            "query($ids:[ID!]!){ nodes(ids:$ids){ id } }",
            json!({ "ids": many }),
        )
        .await;
    assert!(r["errors"].is_array(), "{r}");
    assert!(r["data"].is_null() || r["data"]["nodes"].is_null(), "{r}");

    // A well-formed id of nothing, or of an unknown type, is null.
    let d = app
        .ok(
            &w.office,
            "query($a:ID!,$b:ID!){ a: node(id:$a){ id } b: node(id:$b){ id } }",
            json!({ "a": global("Task", 999_999), "b": global("Secret", 1) }),
        )
        .await;
    assert_eq!(d, json!({ "a": null, "b": null }));

    // Without a token, nothing.
    let r = app.gql(None, q, json!({ "id": global("Task", t1) })).await;
    assert!(r["data"].is_null() || r["data"]["node"].is_null(), "{r}");
    assert!(r["errors"].is_array());
}

#[tokio::test]
async fn node_answers_null_for_what_the_viewer_may_not_read() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let t1: i64 = row(&w.t1);
    // An audit event of task t1 (its creation) and the office's own user row.
    let event = first_row(
        &app,
        &format!("audit_event WHERE entity = 'task' AND entity_id = {t1}"),
    )
    .await
    .unwrap();
    let office_user: i64 = app.ok(&w.office, "{ me { rowId } }", json!({})).await["me"]["rowId"]
        .as_i64()
        .unwrap();
    let q = "query($e:ID!,$u:ID!,$t:ID!){ e: node(id:$e){ id } u: node(id:$u){ id } t: node(id:$t){ id } }";
    let vars = json!({
        "e": global("AuditEvent", event),
        "u": global("User", office_user),
        "t": global("Task", t1),
    });
    // The office reads all three.
    let d = app.ok(&w.office, q, vars.clone()).await;
    assert!(
        !d["e"].is_null() && !d["u"].is_null() && !d["t"].is_null(),
        "{d}"
    );
    // The lead agency's staff read the task and its history, not another user.
    let d = app.ok(&w.lead_staff, q, vars.clone()).await;
    assert!(
        !d["e"].is_null() && d["u"].is_null() && !d["t"].is_null(),
        "{d}"
    );
    // Staff of an agency with no role on t1 read the task (every task is open) but not its
    // history.
    let d = app.ok(&w.other_staff, q, vars).await;
    assert!(
        d["e"].is_null() && d["u"].is_null() && !d["t"].is_null(),
        "{d}"
    );
    // Staff read their own user row.
    let me = app.ok(&w.other_staff, "{ me { id } }", json!({})).await["me"]["id"].clone();
    let d = app
        .ok(
            &w.other_staff,
            "query($id:ID!){ node(id:$id){ id } }",
            json!({ "id": me }),
        )
        .await;
    assert_eq!(d["node"]["id"], me);
}
