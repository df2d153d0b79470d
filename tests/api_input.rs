//! Bad input: a clear error with a stable code, and nothing written.

mod common;

use common::*;
use serde_json::json;

/// Runs `m` as the office and checks the code and that no table listed grew.
async fn refused(app: &TestApp, w: &World, m: &str, vars: serde_json::Value, want: &str) {
    let tables = [
        "audit_event",
        "task",
        "plan",
        "agency",
        "assignment",
        "target",
        "contact",
        "user",
    ];
    let mut before = Vec::new();
    for t in tables {
        before.push(count_rows(app, t).await);
    }
    let r = app.gql(Some(&w.office), m, vars).await;
    assert_eq!(code(&r), want, "{m}: {r}");
    assert!(
        r["errors"][0]["message"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    for (t, n) in tables.iter().zip(before) {
        assert_eq!(count_rows(app, t).await, n, "{m} changed table {t}");
    }
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    refused(
        &app,
        &w,
        "{ task(id:\"999999\"){ id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        &w,
        "{ task(id:\"abc\"){ id } }",
        json!({}),
        "INVALID_INPUT",
    )
    .await;
    refused(
        &app,
        &w,
        "{ plan(id:\"-1\"){ id } }",
        json!({}),
        "INVALID_INPUT",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation{ assignAgency(input:{taskId:\"999999\", agencyId:\"1\", role:LEAD}){ id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation($t:ID!){ assignAgency(input:{taskId:$t, agencyId:\"999999\", role:LEAD}){ id } }",
        json!({"t": w.t1}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation{ decideExtension(id:\"424242\", approve:true){ id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation{ mergeAgencies(sourceId:\"424242\", targetId:\"1\"){ id } }",
        json!({}),
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation($a:ID!){ mergeAgencies(sourceId:$a, targetId:$a){ id } }",
        json!({"a": w.lead_agency}),
        "INVALID_INPUT",
    )
    .await;
    // Assigning the same agency twice in the same role.
    refused(
        &app,
        &w,
        "mutation($t:ID!,$a:ID!){ assignAgency(input:{taskId:$t, agencyId:$a, role:LEAD}){ id } }",
        json!({"t": w.t1, "a": w.lead_agency}),
        "CONFLICT",
    )
    .await;
}

#[tokio::test]
async fn malformed_dates() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    for d in ["2025-02-30", "2025-13", "25", "2025/12/31", "next year", ""] {
        refused(&app, &w, "mutation($p:ID!,$d:String!){ createTask(input:{planId:$p, code:\"x\", title:\"x\", deadline:$d}){ id } }", json!({"p": w.plan, "d": d}), "INVALID_INPUT").await;
    }
    refused(
        &app,
        &w,
        "mutation{ createPlan(input:{title:\"x\", issueDate:\"2025-06\"}){ id } }",
        json!({}),
        "INVALID_INPUT",
    )
    .await;
    refused(
        &app,
        &w,
        "{ tasks(filter:{deadlineFrom:\"yesterday\"}){ nodes{ id } } }",
        json!({}),
        "INVALID_INPUT",
    )
    .await;
    refused(&app, &w, "mutation($t:ID!){ assignAgency(input:{taskId:$t, agencyId:\"1\", role:LEAD, subDeadline:\"2025-00-01\"}){ id } }", json!({"t": w.t1}), "INVALID_INPUT").await;
    let r = app.gql(Some(&w.lead_staff), "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q5\", text:\"x\", percent:10}){ id } }", json!({"t": w.t1})).await;
    assert_eq!(code(&r), "INVALID_INPUT");
    assert_eq!(count_rows(&app, "progress_report").await, 0);
}

#[tokio::test]
async fn oversized_and_empty_strings() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let long = "督".repeat(2_001);
    refused(
        &app,
        &w,
        "mutation($p:ID!,$t:String!){ createTask(input:{planId:$p, code:\"x\", title:$t}){ id } }",
        json!({"p": w.plan, "t": long}),
        "INVALID_INPUT",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation($p:ID!){ createTask(input:{planId:$p, code:\"x\", title:\"   \"}){ id } }",
        json!({"p": w.plan}),
        "INVALID_INPUT",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation($n:String!){ createAgency(input:{name:$n, level:CITY, kind:DEPARTMENT}){ id } }",
        json!({"n": "局".repeat(201)}),
        "INVALID_INPUT",
    )
    .await;
    refused(&app, &w, "mutation($a:ID!){ addContact(agencyId:$a, input:{name:\"张三\", email:\"not-an-email\", role:LIAISON}){ id } }", json!({"a": w.lead_agency}), "INVALID_INPUT").await;
    refused(&app, &w, "mutation{ createUser(input:{username:\"x\", displayName:\"x\", role:OFFICE, password:\"short\"}){ id } }", json!({}), "INVALID_INPUT").await;
    refused(&app, &w, "mutation{ createUser(input:{username:\"y\", displayName:\"y\", role:AGENCY, password:\"long-enough-pw\"}){ id } }", json!({}), "INVALID_INPUT").await;
    refused(&app, &w, "mutation{ createUser(input:{username:\"office\", displayName:\"dup\", role:OFFICE, password:\"long-enough-pw\"}){ id } }", json!({}), "CONFLICT").await;
    let r = app.gql(Some(&w.lead_staff), "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", text:\"x\", percent:101}){ id } }", json!({"t": w.t1})).await;
    assert_eq!(code(&r), "INVALID_INPUT");
    refused(&app, &w, "mutation($p:ID!){ createTarget(input:{planId:$p, indicator:\"x\", value:1, direction:AT_LEAST, targetYear:99999}){ id } }", json!({"p": w.plan}), "INVALID_INPUT").await;
    // A task cannot become its own ancestor.
    let v = app
        .ok(
            &w.office,
            "query($id:ID!){ task(id:$id){ version } }",
            json!({"id": w.t1}),
        )
        .await["task"]["version"]
        .as_i64()
        .unwrap();
    refused(&app, &w, "mutation($id:ID!,$v:Int!,$p:ID!){ updateTask(id:$id, version:$v, input:{planId:$p, parentId:$id, code:\"x\", title:\"x\"}){ id } }", json!({"id": w.t1, "v": v, "p": w.plan}), "INVALID_INPUT").await;
}

#[tokio::test]
async fn wrong_types_are_rejected_by_the_schema() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let r = app
        .gql(
            Some(&w.office),
            "mutation($id:ID!,$v:Int!){ startTask(id:$id, version:$v){ id } }",
            json!({"id": w.t1, "v": "one"}),
        )
        .await;
    assert!(
        r["errors"][0]["message"].as_str().unwrap().contains("Int"),
        "{r}"
    );
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    // Errors raised before any resolver runs carry a code too.
    for q in [
        "{ tasks(filter:{light:PURPLE}){ nodes{ id } } }", // unknown enum value
        "{ tasks { nodes { noSuchField } } }",             // unknown field
        "{ tasks(first: ",                                 // syntax
    ] {
        let r = app.gql(Some(&w.office), q, json!({})).await;
        assert_eq!(code(&r), "INVALID_INPUT", "{q}: {r}");
    }
    // A body that is not JSON at all.
    let resp = app
        .http
        .post(app.url("/graphql"))
        .bearer_auth(&w.office)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    let body: serde_json::Value = resp.json().await.expect("a GraphQL-shaped error body");
    assert_eq!(code(&body), "INVALID_INPUT", "{body}");
}

#[tokio::test]
async fn evidence_blocks_deletion() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    app.ok(&w.lead_staff, "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", text:\"进展\", percent:20}){ id } }", json!({"t": w.t1})).await;
    // The report is evidence for the evaluation: the task (and its plan) cannot be deleted.
    refused(
        &app,
        &w,
        "mutation($id:ID!){ deleteTask(id:$id){ id } }",
        json!({"id": w.t1}),
        "CONFLICT",
    )
    .await;
    refused(
        &app,
        &w,
        "mutation($id:ID!){ deletePlan(id:$id){ id } }",
        json!({"id": w.plan}),
        "CONFLICT",
    )
    .await;
    assert_eq!(count_rows(&app, "progress_report").await, 1);
    // A task without evidence can still go.
    app.ok(
        &w.office,
        "mutation($id:ID!){ deleteTask(id:$id){ id } }",
        json!({"id": w.t2}),
    )
    .await;
}

/// Merging an agency into one of its own sub-agencies: a direct child takes the source's place;
/// one further down is refused (its ancestor would move under it), and nothing changes.
#[tokio::test]
async fn merging_into_a_sub_agency() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let create = "mutation($n:String!,$p:ID){ createAgency(input:{name:$n, level:CITY, kind:DEPARTMENT, parentId:$p}){ id } }";
    let mk = |name: &'static str, parent: Option<String>| {
        let app = &app;
        let office = w.office.clone();
        async move {
            app.ok(&office, create, json!({"n": name, "p": parent}))
                .await["createAgency"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let s = mk("测试市甲局", None).await;
    let x = mk("测试市甲局一处", Some(s.clone())).await;
    let t = mk("测试市甲局一处一科", Some(x.clone())).await;
    let merge =
        "mutation($s:ID!,$t:ID!){ mergeAgencies(sourceId:$s, targetId:$t){ id parent{ id } } }";
    let agencies = count_rows(&app, "agency").await;
    let r = app
        .gql(Some(&w.office), merge, json!({"s": s, "t": t}))
        .await;
    assert_eq!(code(&r), "INVALID_INPUT", "{r}");
    assert_eq!(count_rows(&app, "agency").await, agencies);
    // The direct child takes the source's place (no parent), never itself as parent.
    let r = app.ok(&w.office, merge, json!({"s": s, "t": x})).await;
    assert!(r["mergeAgencies"]["parent"].is_null(), "{r}");
    let r = app
        .ok(
            &w.office,
            "query($id:ID!){ agency(id:$id){ parent{ id } } }",
            json!({"id": t}),
        )
        .await;
    assert_eq!(r["agency"]["parent"]["id"], x.as_str());
}
