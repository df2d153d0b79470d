//! Every mutation, tried by every role: the refused ones get FORBIDDEN (or UNAUTHENTICATED
//! without a token) and write nothing, not even an audit event; the permitted one succeeds
//! and is audited.

mod common;

use common::*;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Office,
    Leader,
    LeadStaff,
    PartStaff,
    OtherStaff,
}
use Role::*;

fn token(w: &World, r: Role) -> &str {
    match r {
        Office => &w.office,
        Leader => &w.leader,
        LeadStaff => &w.lead_staff,
        PartStaff => &w.part_staff,
        OtherStaff => &w.other_staff,
    }
}

async fn id_of(app: &TestApp, w: &World, q: &str, vars: Value, path: &[&str]) -> String {
    let mut v = app.ok(&w.office, q, vars).await;
    for p in path {
        v = v[*p].clone();
    }
    v.as_str()
        .unwrap_or_else(|| panic!("no id at {path:?}"))
        .to_owned()
}

async fn version(app: &TestApp, w: &World, task: &str) -> i64 {
    app.ok(
        &w.office,
        "query($id:ID!){ task(id:$id){ version } }",
        json!({"id": task}),
    )
    .await["task"]["version"]
        .as_i64()
        .unwrap()
}

/// Tries `mutation` as nobody and as every role not in `allowed` (each must be refused and
/// change nothing), then as the first allowed role (must succeed and write an audit event).
async fn check(
    app: &TestApp,
    w: &World,
    name: &str,
    mutation: &str,
    vars: Value,
    allowed: &[Role],
) {
    let before = count_rows(app, "audit_event").await;
    let anon = app.gql(None, mutation, vars.clone()).await;
    assert_eq!(
        code(&anon),
        "UNAUTHENTICATED",
        "{name} without a token: {anon}"
    );
    for role in [Leader, OtherStaff, PartStaff, LeadStaff, Office] {
        if allowed.contains(&role) {
            continue;
        }
        let r = app.gql(Some(token(w, role)), mutation, vars.clone()).await;
        assert_eq!(code(&r), "FORBIDDEN", "{name} as {role:?}: {r}");
    }
    assert_eq!(
        count_rows(app, "audit_event").await,
        before,
        "{name}: a refused attempt wrote an audit event"
    );
    let r = app.gql(Some(token(w, allowed[0])), mutation, vars).await;
    assert!(
        r.get("errors").is_none(),
        "{name} as {:?} should succeed: {r}",
        allowed[0]
    );
    assert!(
        count_rows(app, "audit_event").await > before,
        "{name}: no audit event"
    );
}

#[tokio::test]
async fn accounts_and_agencies() {
    let app = TestApp::spawn().await;
    let mut w = seed_world(&app).await;
    check(&app, &w, "createUser",
        "mutation($a:ID){ createUser(input:{username:\"new\", displayName:\"新用户\", role:AGENCY, agencyId:$a, password:\"long-enough-1\"}){ id } }",
        json!({"a": w.lead_agency}), &[Office]).await;
    let part_user = app.ok(&w.part_staff, "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &app,
        &w,
        "updateUser",
        "mutation($id:ID!){ updateUser(id:$id, input:{displayName:\"改名\"}){ id } }",
        json!({"id": part_user}),
        &[Office],
    )
    .await;
    check(
        &app,
        &w,
        "setPassword (someone else's)",
        "mutation($id:ID!){ setPassword(userId:$id, newPassword:\"another-pass-2\") }",
        json!({"id": part_user}),
        &[Office],
    )
    .await;
    // The reset ended that user's sessions; sign in again with the new password.
    w.part_staff = app.login("part", "another-pass-2").await;
    check(&app, &w, "createAgency", "mutation{ createAgency(input:{name:\"测试市水务局\", level:CITY, kind:DEPARTMENT}){ id } }", json!({}), &[Office]).await;
    check(&app, &w, "updateAgency",
        "mutation($id:ID!){ updateAgency(id:$id, input:{name:\"测试市交通运输局\", aliases:[\"市交通局\"], level:CITY, kind:DEPARTMENT}){ id } }",
        json!({"id": w.other_agency}), &[Office]).await;
    let dup = id_of(&app, &w, "mutation{ createAgency(input:{name:\"测试市发改委\", level:CITY, kind:DEPARTMENT}){ id } }", json!({}), &["createAgency", "id"]).await;
    check(
        &app,
        &w,
        "mergeAgencies",
        "mutation($s:ID!,$t:ID!){ mergeAgencies(sourceId:$s, targetId:$t){ id aliases } }",
        json!({"s": dup, "t": w.part_agency}),
        &[Office],
    )
    .await;
    check(&app, &w, "addContact",
        "mutation($a:ID!){ addContact(agencyId:$a, input:{name:\"张三\", email:\"zhang@example.gov.cn\", role:LIAISON}){ id } }",
        json!({"a": w.lead_agency}), &[Office, LeadStaff]).await;
    // Agency staff manage their own agency's contacts.
    app.ok(&w.lead_staff, "mutation($a:ID!){ addContact(agencyId:$a, input:{name:\"李四\", email:\"li@example.gov.cn\", role:HEAD}){ id } }", json!({"a": w.lead_agency})).await;
    let contact = id_of(&app, &w, "mutation($a:ID!){ addContact(agencyId:$a, input:{name:\"王五\", email:\"wang@example.gov.cn\", role:DEPUTY}){ id } }", json!({"a": w.lead_agency}), &["addContact", "id"]).await;
    check(&app, &w, "updateContact",
        "mutation($id:ID!){ updateContact(id:$id, input:{name:\"王五\", email:\"wang5@example.gov.cn\", role:DEPUTY}){ id } }",
        json!({"id": contact}), &[Office, LeadStaff]).await;
    check(
        &app,
        &w,
        "removeContact",
        "mutation($id:ID!){ removeContact(id:$id){ id } }",
        json!({"id": contact}),
        &[LeadStaff, Office],
    )
    .await;
}

#[tokio::test]
async fn plans_tasks_assignments_targets() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    check(
        &app,
        &w,
        "createPlan",
        "mutation{ createPlan(input:{title:\"新方案\", defaultDeadline:\"2025\"}){ id } }",
        json!({}),
        &[Office],
    )
    .await;
    check(&app, &w, "updatePlan", "mutation($id:ID!){ updatePlan(id:$id, version:1, input:{title:\"改过的方案\", status:ACTIVE}){ id } }", json!({"id": w.plan}), &[Office]).await;
    check(&app, &w, "createTask", "mutation($p:ID!){ createTask(input:{planId:$p, code:\"二\", title:\"新任务\", deadline:\"2026-06\"}){ id } }", json!({"p": w.plan}), &[Office]).await;
    let v = version(&app, &w, &w.t2).await;
    check(&app, &w, "updateTask",
        "mutation($id:ID!,$v:Int!,$p:ID!){ updateTask(id:$id, version:$v, input:{planId:$p, code:\"一(二)\", title:\"改名\", deadline:\"2025-03-31\"}){ id } }",
        json!({"id": w.t2, "v": v, "p": w.plan}), &[Office]).await;
    check(&app, &w, "assignAgency",
        "mutation($t:ID!,$a:ID!){ assignAgency(input:{taskId:$t, agencyId:$a, role:IMPLEMENTER, subDeadline:\"2025-10-31\"}){ id } }",
        json!({"t": w.t1, "a": w.other_agency}), &[Office]).await;
    let asg = id_of(&app, &w, "mutation($t:ID!,$a:ID!){ assignAgency(input:{taskId:$t, agencyId:$a, role:PARTICIPANT}){ id } }", json!({"t": w.t2, "a": w.part_agency}), &["assignAgency", "id"]).await;
    check(
        &app,
        &w,
        "updateAssignment",
        "mutation($id:ID!){ updateAssignment(id:$id, role:PARTICIPANT, note:\"负责资金\"){ id } }",
        json!({"id": asg}),
        &[Office],
    )
    .await;
    check(
        &app,
        &w,
        "removeAssignment",
        "mutation($id:ID!){ removeAssignment(id:$id){ id } }",
        json!({"id": asg}),
        &[Office],
    )
    .await;
    check(&app, &w, "createTarget",
        "mutation($p:ID!,$t:ID){ createTarget(input:{planId:$p, taskId:$t, indicator:\"非化石能源消费比重\", value:13, unit:\"%\", direction:AT_LEAST, targetYear:2025}){ id } }",
        json!({"p": w.plan, "t": w.t1}), &[Office]).await;
    let target = id_of(&app, &w, "mutation($p:ID!){ createTarget(input:{planId:$p, indicator:\"单位GDP二氧化碳排放下降\", value:18, unit:\"%\", direction:AT_LEAST}){ id } }", json!({"p": w.plan}), &["createTarget", "id"]).await;
    check(&app, &w, "updateTarget",
        "mutation($id:ID!,$p:ID!){ updateTarget(id:$id, input:{planId:$p, indicator:\"单位GDP二氧化碳排放下降\", value:19, unit:\"%\", direction:AT_LEAST}){ id } }",
        json!({"id": target, "p": w.plan}), &[Office]).await;
    check(
        &app,
        &w,
        "deleteTarget",
        "mutation($id:ID!){ deleteTarget(id:$id){ id } }",
        json!({"id": target}),
        &[Office],
    )
    .await;
    check(
        &app,
        &w,
        "deleteTask",
        "mutation($id:ID!){ deleteTask(id:$id){ id } }",
        json!({"id": w.t2}),
        &[Office],
    )
    .await;
    let extra = id_of(
        &app,
        &w,
        "mutation{ createPlan(input:{title:\"待删方案\"}){ id } }",
        json!({}),
        &["createPlan", "id"],
    )
    .await;
    check(
        &app,
        &w,
        "deletePlan",
        "mutation($id:ID!){ deletePlan(id:$id){ id } }",
        json!({"id": extra}),
        &[Office],
    )
    .await;
}

#[tokio::test]
async fn workflow_mutations() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    check(&app, &w, "submitProgressReport",
        "mutation($t:ID!){ submitProgressReport(input:{taskId:$t, period:\"2025-05\", text:\"进展顺利\", percent:30}){ id } }",
        json!({"t": w.t1}), &[PartStaff, LeadStaff]).await;
    let v = version(&app, &w, &w.t2).await;
    check(
        &app,
        &w,
        "startTask",
        "mutation($id:ID!,$v:Int!){ startTask(id:$id, version:$v){ id } }",
        json!({"id": w.t2, "v": v}),
        &[OtherStaff, Office],
    )
    .await;
    let v = version(&app, &w, &w.t1).await;
    check(
        &app,
        &w,
        "requestCompletion",
        "mutation($id:ID!,$v:Int!){ requestCompletion(id:$id, version:$v){ id } }",
        json!({"id": w.t1, "v": v}),
        &[LeadStaff],
    )
    .await;
    let v = version(&app, &w, &w.t1).await;
    check(&app, &w, "returnCompletion", "mutation($id:ID!,$v:Int!){ returnCompletion(id:$id, version:$v, reason:\"不完整\"){ id } }", json!({"id": w.t1, "v": v}), &[Office]).await;
    // Returned → in progress → completion requested again.
    let v = version(&app, &w, &w.t1).await;
    app.ok(
        &w.lead_staff,
        "mutation($id:ID!,$v:Int!){ startTask(id:$id, version:$v){ id } }",
        json!({"id": w.t1, "v": v}),
    )
    .await;
    let v = version(&app, &w, &w.t1).await;
    app.ok(
        &w.lead_staff,
        "mutation($id:ID!,$v:Int!){ requestCompletion(id:$id, version:$v){ id } }",
        json!({"id": w.t1, "v": v}),
    )
    .await;
    let v = version(&app, &w, &w.t1).await;
    check(
        &app,
        &w,
        "verifyCompletion",
        "mutation($id:ID!,$v:Int!){ verifyCompletion(id:$id, version:$v){ id } }",
        json!({"id": w.t1, "v": v}),
        &[Office],
    )
    .await;
    let v = version(&app, &w, &w.t1).await;
    check(
        &app,
        &w,
        "reopenTask",
        "mutation($id:ID!,$v:Int!){ reopenTask(id:$id, version:$v, reason:\"复查\"){ id } }",
        json!({"id": w.t1, "v": v}),
        &[Office],
    )
    .await;
    let ext = "mutation($t:ID!){ requestExtension(taskId:$t, deadline:\"2025-09-30\", reason:\"资金未到位\"){ id } }";
    check(
        &app,
        &w,
        "requestExtension",
        ext,
        json!({"t": w.t2}),
        &[OtherStaff],
    )
    .await;
    let pending = app
        .ok(
            &w.office,
            "query($id:ID!){ task(id:$id){ extensionRequests{ id } } }",
            json!({"id": w.t2}),
        )
        .await;
    let req = pending["task"]["extensionRequests"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    check(
        &app,
        &w,
        "decideExtension",
        "mutation($id:ID!){ decideExtension(id:$id, approve:false, note:\"理由不充分\"){ id } }",
        json!({"id": req}),
        &[Office],
    )
    .await;
    let v = version(&app, &w, &w.t2).await;
    check(
        &app,
        &w,
        "cancelTask",
        "mutation($id:ID!,$v:Int!){ cancelTask(id:$id, version:$v, reason:\"任务调整\"){ id } }",
        json!({"id": w.t2, "v": v}),
        &[Office],
    )
    .await;
}

#[tokio::test]
async fn own_password_needs_the_current_one() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    let me = app.ok(&w.lead_staff, "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = "mutation($id:ID!,$c:String){ setPassword(userId:$id, currentPassword:$c, newPassword:\"brand-new-pass\") }";
    assert_eq!(
        code(
            &app.gql(Some(&w.lead_staff), m, json!({"id": me, "c": "wrong"}))
                .await
        ),
        "FORBIDDEN"
    );
    app.ok(&w.lead_staff, m, json!({"id": me, "c": PASSWORD}))
        .await;
    // The sessions signed in with the old password end; a new login works.
    assert_eq!(
        code(
            &app.gql(Some(&w.lead_staff), "{ me { id } }", json!({}))
                .await
        ),
        "UNAUTHENTICATED"
    );
    let fresh = app.login("lead", "brand-new-pass").await;
    app.ok(&fresh, "{ me { id } }", json!({})).await;
    // An office reset ends them too.
    app.ok(
        &w.office,
        "mutation($id:ID!){ setPassword(userId:$id, newPassword:\"reset-by-office\") }",
        json!({"id": me}),
    )
    .await;
    assert_eq!(
        code(&app.gql(Some(&fresh), "{ me { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
    app.login("lead", "reset-by-office").await;
}

#[tokio::test]
async fn reminder_and_import_mutations() {
    let app = TestApp::spawn().await;
    let w = seed_world(&app).await;
    check(&app, &w, "setEscalationPolicy",
        "mutation{ setEscalationPolicy(scope:GLOBAL, rungs:[{level:REMINDER, offsetDays:-10, audiences:[LEAD_CONTACTS]}, {level:URGING, offsetDays:2, audiences:[LEAD_CONTACTS, AGENCY_HEAD]}]){ rungs{ offsetDays } } }",
        json!({}), &[Office]).await;
    check(
        &app,
        &w,
        "setCalendarDay",
        "mutation{ setCalendarDay(date:\"2025-06-03\", kind:HOLIDAY, name:\"测试假日\"){ date } }",
        json!({}),
        &[Office],
    )
    .await;
    check(
        &app,
        &w,
        "runReminders",
        "mutation{ runReminders{ today } }",
        json!({}),
        &[Office],
    )
    .await;
    check(
        &app,
        &w,
        "agencyCalendarUrl",
        "mutation($a:ID!){ agencyCalendarUrl(agencyId:$a) }",
        json!({"a": w.other_agency}),
        &[OtherStaff, Office],
    )
    .await;
    check(&app, &w, "importPlan",
        "mutation($t:String!){ importPlan(input:{text:$t}){ plan{ id } } }",
        json!({"t": "测试市节水行动方案\n一、重点任务\n（一）推进节水改造。到2025年完成改造。（测试市生态环境局牵头）\n"}), &[Office]).await;
    // Retrying an outbox message is the office's: others are refused before the id is looked up.
    let retry = "mutation{ retryOutboxMessage(id:\"424242\"){ id } }";
    assert_eq!(
        code(&app.gql(None, retry, json!({})).await),
        "UNAUTHENTICATED"
    );
    for role in [Leader, LeadStaff, PartStaff, OtherStaff] {
        assert_eq!(
            code(&app.gql(Some(token(&w, role)), retry, json!({})).await),
            "FORBIDDEN",
            "{role:?}"
        );
    }
    assert_eq!(
        code(&app.gql(Some(&w.office), retry, json!({})).await),
        "NOT_FOUND"
    );
}
