//! The agency registry cached in each replica's memory (`duban::db::TableCache`): a page of
//! tasks reads no agency row while the cache is fresh, a replica reads its own writes at
//! once, and other replicas' (or an operator's) writes as soon as it checks the generation
//! the database keeps — over real HTTP, on SQLite and PostgreSQL.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

const NAMES: &str = "query($t: ID!) { task(id: $t) { assignments { role agency { id name } } } }";

/// The agency names on `t1`, as the replica at `addr` serves them.
async fn names_at(app: &TestApp, addr: std::net::SocketAddr, token: &str, t: &str) -> Vec<String> {
    let d = app.ok_at(addr, token, NAMES, json!({ "t": t })).await;
    let mut v: Vec<String> = d["task"]["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agency"]["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

async fn rename(app: &TestApp, token: &str, agency: &str, name: &str) -> Value {
    app.ok(
        token,
        "mutation($id: ID!, $n: String!) { updateAgency(id: $id, input: { name: $n, level: CITY, kind: DEPARTMENT }) { name } }",
        json!({ "id": agency, "n": name }),
    )
    .await
}

#[tokio::test]
async fn replicas_serve_agencies_from_memory_and_see_every_writer() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let lead_name = app
        .ok(
            &w.office,
            "query($id: ID!) { agency(id: $id) { name } }",
            json!({ "id": w.lead_agency }),
        )
        .await["agency"]["name"]
        .as_str()
        .unwrap()
        .to_owned();

    // B trusts its snapshot for an hour (only its own commits make it check); C checks the
    // generation on every read.
    let (b, agency_reads) = app
        .replica(Duration::from_secs(3600), r#"FROM "agency""#)
        .await;
    let (c, _) = app.replica(Duration::ZERO, r#"FROM "agency""#).await;

    let before = names_at(&app, b, &w.office, &w.t1).await;
    assert!(before.contains(&lead_name), "{before:?}");
    assert_eq!(names_at(&app, c, &w.office, &w.t1).await, before);

    // A fresh snapshot answers from memory: the second page on B reads no agency row.
    let reads = agency_reads.load(Ordering::SeqCst);
    assert!(reads >= 1, "the first read loads the registry");
    assert_eq!(names_at(&app, b, &w.office, &w.t1).await, before);
    assert_eq!(
        agency_reads.load(Ordering::SeqCst),
        reads,
        "no agency statement while fresh"
    );

    // The office renames the lead agency on A: A and C show it at once; B, which has not
    // checked, still shows the snapshot it holds (so this test sees that B caches at all).
    rename(&app, &w.office, &w.lead_agency, "改名后的牵头局").await;
    let renamed: Vec<String> = before
        .iter()
        .map(|n| {
            if *n == lead_name {
                "改名后的牵头局".to_owned()
            } else {
                n.clone()
            }
        })
        .collect();
    let mut renamed = renamed;
    renamed.sort();
    assert_eq!(
        names_at(&app, app.addr, &w.office, &w.t1).await,
        renamed,
        "A reads its own write"
    );
    assert_eq!(
        names_at(&app, c, &w.office, &w.t1).await,
        renamed,
        "C checks the generation"
    );
    assert_eq!(
        names_at(&app, b, &w.office, &w.t1).await,
        before,
        "B has not checked yet"
    );

    // A new agency assigned on A is never missing on B: a row the snapshot lacks is read.
    let created = app
        .ok(
            &w.office,
            "mutation { createAgency(input: { name: \"新设数据局\", level: CITY, kind: DEPARTMENT }) { id } }",
            json!({}),
        )
        .await["createAgency"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(
        &w.office,
        "mutation($t: ID!, $a: ID!) { assignAgency(input: { taskId: $t, agencyId: $a, role: PARTICIPANT }) { id } }",
        json!({ "t": w.t1, "a": created }),
    )
    .await;
    let on_b = names_at(&app, b, &w.office, &w.t1).await;
    assert!(on_b.iter().any(|n| n == "新设数据局"), "{on_b:?}");

    // B's own commit makes it check: after a write on B it shows A's rename.
    app.ok_at(
        b,
        &w.office,
        "mutation($id: ID!) { updateAgency(id: $id, input: { name: \"新设数据局（更名）\", level: CITY, kind: DEPARTMENT }) { name } }",
        json!({ "id": created }),
    )
    .await;
    let on_b = names_at(&app, b, &w.office, &w.t1).await;
    assert!(on_b.iter().any(|n| n == "改名后的牵头局"), "{on_b:?}");
    assert!(on_b.iter().any(|n| n == "新设数据局（更名）"), "{on_b:?}");

    // An operator's UPDATE outside duban moves the generation too (the trigger), and C sees it.
    app.db()
        .execute_unprepared(&format!(
            "UPDATE agency SET name = '运维改名局' WHERE id = {}",
            row(&w.lead_agency)
        ))
        .await
        .unwrap();
    let on_c = names_at(&app, c, &w.office, &w.t1).await;
    assert!(on_c.iter().any(|n| n == "运维改名局"), "{on_c:?}");
    assert!(!on_c.iter().any(|n| n == "改名后的牵头局"), "{on_c:?}");

    // A rolled-back write moves nothing: the generation stays where it was.
    let generation = |db: &sea_orm::DatabaseConnection| {
        let db = db.clone();
        async move {
            use sea_orm::{FromQueryResult, JsonValue, Statement};
            let r = JsonValue::find_by_statement(Statement::from_string(
                db.get_database_backend(),
                "SELECT generation FROM table_generation WHERE name = 'agency'",
            ))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
            r["generation"].as_i64().unwrap()
        }
    };
    let g = generation(app.db()).await;
    {
        let tx = app.state.db.write().await.unwrap();
        tx.execute_unprepared(&format!(
            "UPDATE agency SET name = '回滚的名字' WHERE id = {}",
            row(&w.lead_agency)
        ))
        .await
        .unwrap();
        // dropped without commit: rolled back
    }
    assert_eq!(generation(app.db()).await, g);
    let on_c = names_at(&app, c, &w.office, &w.t1).await;
    assert!(!on_c.iter().any(|n| n == "回滚的名字"), "{on_c:?}");
}
