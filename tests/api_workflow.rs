//! The task status machine, optimistic locking and extensions, driven over HTTP.

mod common;

use common::*;
use serde_json::json;

const TASK: &str = "query($id:ID!){ task(id:$id){ id status version progress deadline originalDeadline overdue light } }";

async fn task(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    app.ok(token, TASK, json!({"id": id})).await["task"].clone()
}

fn version(t: &serde_json::Value) -> i64 {
    t["version"].as_i64().unwrap()
}

#[tokio::test]
async fn full_cycle_with_return_and_verification() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let t = task(&app, &w.office, &w.t1).await;
    assert_eq!(t["status"], "NOT_STARTED");

    // A progress report starts the task.
    app.ok(
        &w.lead_staff,
        "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", text:\"已完成方案编制\", percent:40}){ id percent } }",
        json!({"t": w.t1}),
    )
    .await;
    let t = task(&app, &w.office, &w.t1).await;
    assert_eq!(t["status"], "IN_PROGRESS");
    assert_eq!(t["progress"], 40);

    let req = "mutation($id:ID!,$v:Int!){ requestCompletion(id:$id, version:$v, note:\"材料已上传\"){ status version } }";
    let r = app
        .ok(&w.lead_staff, req, json!({"id": w.t1, "v": version(&t)}))
        .await;
    assert_eq!(r["requestCompletion"]["status"], "COMPLETION_REQUESTED");
    let v = r["requestCompletion"]["version"].as_i64().unwrap();

    let ret = "mutation($id:ID!,$v:Int!){ returnCompletion(id:$id, version:$v, reason:\"佐证材料不全\"){ status version } }";
    let r = app.ok(&w.office, ret, json!({"id": w.t1, "v": v})).await;
    assert_eq!(r["returnCompletion"]["status"], "RETURNED");
    let v = r["returnCompletion"]["version"].as_i64().unwrap();

    let start = "mutation($id:ID!,$v:Int!){ startTask(id:$id, version:$v){ status version } }";
    let r = app
        .ok(&w.lead_staff, start, json!({"id": w.t1, "v": v}))
        .await;
    assert_eq!(r["startTask"]["status"], "IN_PROGRESS");
    let v = r["startTask"]["version"].as_i64().unwrap();
    let r = app
        .ok(&w.lead_staff, req, json!({"id": w.t1, "v": v}))
        .await;
    let v = r["requestCompletion"]["version"].as_i64().unwrap();

    let verify = "mutation($id:ID!,$v:Int!){ verifyCompletion(id:$id, version:$v){ status progress version completedAt } }";
    let r = app.ok(&w.office, verify, json!({"id": w.t1, "v": v})).await;
    assert_eq!(r["verifyCompletion"]["status"], "COMPLETED");
    assert_eq!(r["verifyCompletion"]["progress"], 100);
    assert!(r["verifyCompletion"]["completedAt"].is_string());
    let v = r["verifyCompletion"]["version"].as_i64().unwrap();

    // Completed: no more requests or reports; the office may reopen with a reason.
    let again = app
        .gql(Some(&w.lead_staff), req, json!({"id": w.t1, "v": v}))
        .await;
    assert_eq!(code(&again), "INVALID_TRANSITION");
    let reopen = "mutation($id:ID!,$v:Int!){ reopenTask(id:$id, version:$v, reason:\"复核发现问题\"){ status } }";
    let r = app.ok(&w.office, reopen, json!({"id": w.t1, "v": v})).await;
    assert_eq!(r["reopenTask"]["status"], "IN_PROGRESS");

    // Every step left an audit event on the task, with before and after.
    let h = app
        .ok(
            &w.office,
            "query($id:ID!){ task(id:$id){ history{ action actorName before after } } }",
            json!({"id": w.t1}),
        )
        .await;
    let actions: Vec<&str> = h["task"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "task.create",
        "task.progress",
        "task.request_completion",
        "task.return",
        "task.start",
        "task.verify",
        "task.reopen",
    ] {
        assert!(actions.contains(&a), "missing {a} in {actions:?}");
    }
    let verify_event = h["task"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "task.verify")
        .unwrap();
    assert_eq!(verify_event["actorName"], "office");
    assert!(
        verify_event["before"]
            .as_str()
            .unwrap()
            .contains("completion_requested")
    );
    assert!(
        verify_event["after"]
            .as_str()
            .unwrap()
            .contains("\"completed\"")
    );
}

#[tokio::test]
async fn refused_transitions_change_nothing() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let t = task(&app, &w.office, &w.t1).await;
    let v = version(&t);
    let audits = count_rows(&app, "audit_event").await;
    for (token, m) in [
        (&w.office, "verifyCompletion(id:$id, version:$v){ id }"),
        (
            &w.office,
            "returnCompletion(id:$id, version:$v, reason:\"x\"){ id }",
        ),
        (
            &w.office,
            "reopenTask(id:$id, version:$v, reason:\"x\"){ id }",
        ),
    ] {
        let r = app
            .gql(
                Some(token),
                &format!("mutation($id:ID!,$v:Int!){{ {m} }}"),
                json!({"id": w.t1, "v": v}),
            )
            .await;
        assert_eq!(code(&r), "INVALID_TRANSITION", "{m}: {r}");
    }
    // Cancel, then every agency action is refused.
    let r = app.ok(&w.office, "mutation($id:ID!,$v:Int!){ cancelTask(id:$id, version:$v, reason:\"并入其他任务\"){ status version } }", json!({"id": w.t1, "v": v})).await;
    assert_eq!(r["cancelTask"]["status"], "CANCELLED");
    let v = r["cancelTask"]["version"].as_i64().unwrap();
    let audits_after_cancel = count_rows(&app, "audit_event").await;
    assert_eq!(audits_after_cancel, audits + 1);
    for m in [
        "requestCompletion(id:$id, version:$v){ id }",
        "startTask(id:$id, version:$v){ id }",
    ] {
        let r = app
            .gql(
                Some(&w.lead_staff),
                &format!("mutation($id:ID!,$v:Int!){{ {m} }}"),
                json!({"id": w.t1, "v": v}),
            )
            .await;
        assert_eq!(code(&r), "INVALID_TRANSITION", "{m}: {r}");
    }
    let r = app
        .gql(
            Some(&w.office),
            "mutation($id:ID!,$v:Int!){ cancelTask(id:$id, version:$v, reason:\"x\"){ id } }",
            json!({"id": w.t1, "v": v}),
        )
        .await;
    assert_eq!(code(&r), "INVALID_TRANSITION");
    let r = app
        .gql(Some(&w.lead_staff), "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-Q2\", text:\"x\", percent:50}){ id } }", json!({"t": w.t1}))
        .await;
    assert_eq!(code(&r), "INVALID_TRANSITION");
    assert_eq!(count_rows(&app, "audit_event").await, audits_after_cancel);
    assert_eq!(count_rows(&app, "progress_report").await, 0);
    assert_eq!(task(&app, &w.office, &w.t1).await["status"], "CANCELLED");
}

#[tokio::test]
async fn stale_version_is_a_conflict_and_concurrent_updates_have_one_winner() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let v = version(&task(&app, &w.office, &w.t1).await);
    let m = "mutation($id:ID!,$v:Int!,$p:ID!,$title:String!){ updateTask(id:$id, version:$v, input:{planId:$p, code:\"一(一)\", title:$title, deadline:\"2025-12\"}){ title version } }";
    // Ten concurrent writers with the same version: exactly one wins.
    let mut handles = Vec::new();
    for i in 0..10 {
        let (url, token, id, plan) = (
            app.url("/graphql"),
            w.office.clone(),
            w.t1.clone(),
            w.plan.clone(),
        );
        let http = app.http.clone();
        handles.push(tokio::spawn(async move {
            let body = json!({"query": m, "variables": {"id": id, "v": v, "p": plan, "title": format!("标题{i}")}});
            http.post(url).bearer_auth(token).json(&body).send().await.unwrap().json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut wins = 0;
    let mut conflicts = 0;
    for h in handles {
        let r = h.await.unwrap();
        if r.get("errors").is_none() {
            wins += 1;
        } else {
            assert_eq!(code(&r), "CONFLICT", "{r}");
            conflicts += 1;
        }
    }
    assert_eq!((wins, conflicts), (1, 9));
    let t = task(&app, &w.office, &w.t1).await;
    assert_eq!(version(&t), v + 1);
    // The stale version is refused afterwards too, and changes nothing.
    let r = app
        .gql(
            Some(&w.office),
            m,
            json!({"id": w.t1, "v": v, "p": w.plan, "title": "迟到的修改"}),
        )
        .await;
    assert_eq!(code(&r), "CONFLICT");
    assert_eq!(version(&task(&app, &w.office, &w.t1).await), v + 1);
}

#[tokio::test]
async fn approved_extension_moves_deadline_and_keeps_original() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    // t2 is due 2025-03-31, "today" is 2025-06-01: overdue, red.
    let t = task(&app, &w.office, &w.t2).await;
    assert_eq!(t["overdue"], true);
    assert_eq!(t["light"], "RED");
    let ask = "mutation($t:ID!,$d:String!){ requestExtension(taskId:$t, deadline:$d, reason:\"资金未到位\"){ id status } }";
    // Only a lead may ask; a malformed date is INVALID_INPUT.
    assert_eq!(
        code(
            &app.gql(
                Some(&w.lead_staff),
                ask,
                json!({"t": w.t2, "d": "2025-09-30"})
            )
            .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        code(
            &app.gql(
                Some(&w.other_staff),
                ask,
                json!({"t": w.t2, "d": "2025-09-31"})
            )
            .await
        ),
        "INVALID_INPUT"
    );
    let r = app
        .ok(&w.other_staff, ask, json!({"t": w.t2, "d": "2025-09-30"}))
        .await;
    let id = r["requestExtension"]["id"].as_str().unwrap().to_owned();
    // A second pending request is a conflict.
    assert_eq!(
        code(
            &app.gql(
                Some(&w.other_staff),
                ask,
                json!({"t": w.t2, "d": "2025-10-31"})
            )
            .await
        ),
        "CONFLICT"
    );
    let decide = "mutation($id:ID!,$a:Boolean!){ decideExtension(id:$id, approve:$a){ status } }";
    assert_eq!(
        code(
            &app.gql(Some(&w.other_staff), decide, json!({"id": id, "a": true}))
                .await
        ),
        "FORBIDDEN"
    );
    let r = app
        .ok(&w.office, decide, json!({"id": id, "a": true}))
        .await;
    assert_eq!(r["decideExtension"]["status"], "APPROVED");
    let t = task(&app, &w.office, &w.t2).await;
    assert_eq!(t["deadline"], "2025-09-30");
    assert_eq!(t["originalDeadline"], "2025-03-31");
    assert_eq!(t["overdue"], false);
    // Deciding twice is refused.
    assert_eq!(
        code(
            &app.gql(Some(&w.office), decide, json!({"id": id, "a": false}))
                .await
        ),
        "INVALID_TRANSITION"
    );
    // A second extension keeps the first original.
    let r = app
        .ok(&w.other_staff, ask, json!({"t": w.t2, "d": "2025-12"}))
        .await;
    let id2 = r["requestExtension"]["id"].as_str().unwrap().to_owned();
    app.ok(&w.office, decide, json!({"id": id2, "a": true}))
        .await;
    let t = task(&app, &w.office, &w.t2).await;
    assert_eq!(t["deadline"], "2025-12-31");
    assert_eq!(t["originalDeadline"], "2025-03-31");
}

/// Cancelling a task decides its pending extension request too: nothing is left pending on a
/// closed task, and the trail says why.
#[tokio::test]
async fn cancelling_a_task_closes_its_pending_extension() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let ask = "mutation($t:ID!,$d:String!){ requestExtension(taskId:$t, deadline:$d, reason:\"资金未到位\"){ id status } }";
    let r = app
        .ok(&w.other_staff, ask, json!({"t": w.t2, "d": "2025-09-30"}))
        .await;
    assert_eq!(r["requestExtension"]["status"], "PENDING");
    let t = task(&app, &w.office, &w.t2).await;
    app.ok(
        &w.office,
        "mutation($id:ID!,$v:Int!){ cancelTask(id:$id, version:$v, reason:\"并入其他任务\"){ status } }",
        json!({"id": w.t2, "v": version(&t)}),
    )
    .await;
    let r = app
        .ok(
            &w.office,
            "query($id:ID!){ task(id:$id){ extensionRequests{ status decisionNote decidedAt requestedBy decidedBy requestedPrecision } } }",
            json!({"id": w.t2}),
        )
        .await;
    let reqs = r["task"]["extensionRequests"].as_array().unwrap();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0]["status"], "REJECTED", "{r}");
    assert!(reqs[0]["decisionNote"].as_str().unwrap().contains("取消"));
    assert!(reqs[0]["decidedAt"].is_string());
    assert!(reqs[0]["requestedBy"].is_string(), "{r}");
    assert!(reqs[0]["decidedBy"].is_string(), "{r}");
    assert_eq!(reqs[0]["requestedPrecision"], "DAY");
}
