//! Reminders and escalations end to end: sweep over GraphQL, supervision records, the
//! outbox, delivery to a real SMTP server running in this process.

mod common;
#[path = "common/smtp.rs"]
mod smtp;

use duban::auth::Actor;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::*;
use duban::domain::{AssignmentRole, ContactRole, Deadline, TaskKind};
use duban::notify::mailer::{Mailer, SmtpMailer};
use duban::notify::outbox::{self, DeliveryReport};
use duban::services::{agencies, tasks};
use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use serde_json::{Value, json};
use smtp::{Mode, SmtpServer};

/// 09:00 China time on `day`.
fn at(day: &str) -> DateTime<Utc> {
    let d: chrono::NaiveDate = day.parse().unwrap();
    Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap())
}

struct Fixture {
    w: World,
    /// Lead agency (测试市生态环境局): deadline 2025-04-09 (a reminder on 4/2).
    t3: String,
    /// Lead agency: deadline 2025-03-20 (urging by 4/2).
    t4: String,
}

async fn exec(app: &TestApp, sql: &str) {
    let backend = app.db().get_database_backend();
    app.db()
        .execute_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .unwrap();
}

/// The small world plus contacts for every agency, an office address, a leader address
/// and two more tasks led by the lead agency.
async fn fixture(app: &TestApp) -> Fixture {
    let w = seed_world(app).await;
    let now = default_now();
    let tx = app.state.db.write().await.unwrap();
    for (agency, tag) in [
        (&w.lead_agency, "lead"),
        (&w.part_agency, "part"),
        (&w.other_agency, "other"),
    ] {
        let id: i64 = row(agency);
        for (role, label) in [
            (ContactRole::Liaison, "联络员"),
            (ContactRole::Head, "局长"),
            (ContactRole::Deputy, "副局长"),
        ] {
            agencies::add_contact(
                &*tx,
                Actor::System,
                id,
                agencies::ContactInput {
                    name: format!("{tag}{label}"),
                    email: format!("{}.{tag}@example.gov.cn", role.as_str()),
                    role,
                    phone: None,
                },
                now,
            )
            .await
            .unwrap();
        }
    }
    let plan_id: i64 = row(&w.plan);
    let lead: i64 = row(&w.lead_agency);
    let mut ids = Vec::new();
    for (code, title, deadline) in [
        ("二(一)", "加快推进光伏发电规模化开发", "2025-04-09"),
        ("二(二)", "淘汰落后燃煤锅炉", "2025-03-20"),
    ] {
        let t = tasks::create(
            &*tx,
            Actor::System,
            tasks::TaskInput {
                plan_id,
                parent_id: None,
                code: code.into(),
                kind: TaskKind::Task,
                title: title.into(),
                body: String::new(),
                deadline: Some(Deadline::parse(deadline).unwrap()),
                ongoing: false,
                report_cadence: None,
                groups: vec![],
                lead_undecided: false,
            },
            now,
        )
        .await
        .unwrap();
        tasks::assign(
            &*tx,
            Actor::System,
            tasks::AssignmentInput {
                task_id: t.id,
                agency_id: lead,
                role: AssignmentRole::Lead,
                note: None,
                sub_deadline: None,
            },
            now,
        )
        .await
        .unwrap();
        ids.push(gid("Task", t.id));
    }
    tx.commit().await.unwrap();
    exec(
        app,
        "UPDATE \"user\" SET email = 'office@example.gov.cn' WHERE username = 'office'",
    )
    .await;
    exec(
        app,
        "UPDATE \"user\" SET email = 'leader@example.gov.cn' WHERE username = 'leader'",
    )
    .await;
    Fixture {
        w,
        t3: ids[0].clone(),
        t4: ids[1].clone(),
    }
}

const RUN: &str = "mutation($now:String,$dry:Boolean){ runReminders(now:$now, dryRun:$dry){ today dryRun recorded mails tasksConsidered items { taskId level rung trigger dueOn dedupeKey docNumber recipients } unaddressed { taskId level dedupeKey } } }";

/// A sweep as of `day`. Over GraphQL when allowed (a dry run, or a real run at about the
/// app's clock); otherwise directly, as the worker or `duban remind --once --now` would,
/// with the answer in the same shape.
async fn run(app: &TestApp, token: &str, day: &str, dry: bool) -> Value {
    if dry || (at(day) - app.state.now()).abs() <= Duration::days(1) {
        return app.ok(token, RUN, json!({"now": day, "dry": dry})).await["runReminders"].clone();
    }
    sweep_at(app, at(day)).await
}

/// A sweep at an exact instant, as the worker would run it, in `run`'s answer shape.
async fn sweep_at(app: &TestApp, now: DateTime<Utc>) -> Value {
    let r = duban::notify::sweep::run(
        &app.state.db,
        now,
        chrono::Utc::now(),
        false,
        Actor::System,
        "http://duban.test",
    )
    .await
    .unwrap();
    let items: Vec<Value> = r
        .due
        .iter()
        .map(|p| {
            json!({
                "taskId": gid("Task", p.task_id),
                "level": format!("{:?}", p.rung.level).to_uppercase(),
                "rung": p.rung_key,
                "trigger": p.rung.trigger_key,
                "dueOn": p.rung.due_on.to_string(),
                "dedupeKey": p.rung.dedupe_key,
                "docNumber": p.item.doc_number,
                "recipients": p.recipients.iter().map(|r| r.email.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let unaddressed: Vec<Value> = r
        .unaddressed
        .iter()
        .map(|p| json!({"taskId": gid("Task", p.task_id), "dedupeKey": p.rung.dedupe_key}))
        .collect();
    json!({
        "today": r.today.unwrap().to_string(), "dryRun": false, "recorded": r.recorded,
        "mails": r.mails, "tasksConsidered": r.tasks_considered, "items": items,
        "unaddressed": unaddressed,
    })
}

fn mailer(server: &SmtpServer) -> Arc<dyn Mailer> {
    Arc::new(
        SmtpMailer::new(
            &server.url(),
            "督办系统 <duban@test.local>",
            StdDuration::from_secs(5),
        )
        .unwrap(),
    )
}

async fn deliver(app: &TestApp, server: &SmtpServer, now: DateTime<Utc>) -> DeliveryReport {
    outbox::drain(&app.state.db, mailer(server), &move || now, 50, 4)
        .await
        .unwrap()
}

fn items_for<'a>(run: &'a Value, task: &str) -> Vec<&'a Value> {
    run["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["taskId"] == task)
        .collect()
}

#[tokio::test]
async fn digest_per_recipient_grouped_by_level_with_chinese_text_over_smtp() {
    let app = TestApp::spawn_at(at("2025-04-02")).await;
    let f = fixture(&app).await;
    let server = SmtpServer::start().await;

    // Agency staff and leaders may not run sweeps.
    let v = app
        .gql(Some(&f.w.lead_staff), RUN, json!({"now": "2025-04-02"}))
        .await;
    assert_eq!(code(&v), "FORBIDDEN");

    // Wed 2025-04-02: t2 (other agency, due Mon 3/31) is urged (+1 working day = 4/1);
    // t3 (due 4/9) gets its 7-day reminder; t4 (due 3/20) is urged.
    let r = run(&app, &f.w.office, "2025-04-02", false).await;
    assert_eq!(r["today"], "2025-04-02");
    let t2 = items_for(&r, &f.w.t2);
    assert_eq!(t2.len(), 1, "{r}");
    assert_eq!(t2[0]["level"], "URGING");
    assert_eq!(t2[0]["rung"], "urging+1w");
    let mut rec: Vec<&str> = t2[0]["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    rec.sort();
    // Urging: the lead's liaison and head (no participants or implementers on t2).
    assert_eq!(
        rec,
        ["head.other@example.gov.cn", "liaison.other@example.gov.cn"]
    );
    let t3 = items_for(&r, &f.t3);
    assert_eq!(
        (t3[0]["level"].as_str(), t3[0]["rung"].as_str()),
        (Some("REMINDER"), Some("reminder-7"))
    );
    assert_eq!(items_for(&r, &f.t4)[0]["level"], "URGING");
    assert!(items_for(&r, &f.w.t1).is_empty(), "t1 is due in December");
    assert_eq!(r["recorded"], 3);
    // Digests: liaison.lead (t3 + t4), head.lead (t4), liaison.other, head.other.
    assert_eq!(r["mails"], 4);
    assert_eq!(count_rows(&app, "outbox_message").await, 4);

    // A second sweep the same day (a restart, a second replica) adds nothing.
    let again = run(&app, &f.w.office, "2025-04-02", false).await;
    assert_eq!(
        (again["recorded"].as_i64(), again["mails"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(count_rows(&app, "outbox_message").await, 4);

    let d = deliver(&app, &server, Utc::now()).await;
    assert_eq!((d.sent, d.retrying, d.failed), (4, 0, 0));
    let got = server.messages();
    assert_eq!(got.len(), 4);
    let lead_liaison = got
        .iter()
        .find(|m| m.rcpt == ["<liaison.lead@example.gov.cn>"])
        .expect("digest to the lead liaison");
    let mail = smtp::decode(&lead_liaison.data);
    assert_eq!(
        mail.subject,
        "【督办提醒】测试市生态环境局：2项任务待办（催办1项、提醒1项）"
    );
    assert!(mail.to.contains("lead联络员"), "{}", mail.to);
    // Grouped by level, the most serious first; Chinese survives base64/QP.
    let urging = mail.text.find("淘汰落后燃煤锅炉").expect("t4 in text");
    let reminder = mail
        .text
        .find("加快推进光伏发电规模化开发")
        .expect("t3 in text");
    assert!(urging < reminder, "催办 before 提醒:\n{}", mail.text);
    assert!(mail.text.contains("已逾期"), "{}", mail.text);
    assert!(mail.html.contains("淘汰落后燃煤锅炉"));
    assert!(
        mail.text.contains("http://duban.test/tasks/"),
        "{}",
        mail.text
    );

    // Nothing left to send.
    assert_eq!(deliver(&app, &server, Utc::now()).await.claimed, 0);

    // The records are visible on the task, with the message ids of their digests.
    let q = "query($t:ID!){ supervisionRecords(taskId:$t){ level rung occurrence trigger dueOn docNumber recipients { email name } messageIds } }";
    // (Seen by the lead agency's staff: t4 is theirs.)
    let recs = app.ok(&f.w.lead_staff, q, json!({"t": f.t4})).await["supervisionRecords"].clone();
    assert_eq!(recs.as_array().unwrap().len(), 1);
    assert_eq!(recs[0]["trigger"], "deadline:2025-03-20");
    // The same records hang off the task itself (batched through a loader in lists).
    let on_task = app
        .ok(
            &f.w.leader,
            "query($t:ID!){ task(id:$t){ supervisionRecords { level trigger } } }",
            json!({"t": f.t4}),
        )
        .await;
    assert_eq!(
        on_task["task"]["supervisionRecords"][0]["trigger"],
        "deadline:2025-03-20"
    );
    let mid = recs[0]["messageIds"][0].as_str().unwrap().to_owned();
    assert!(
        got.iter()
            .any(|m| smtp::decode(&m.data).message_id == format!("<{mid}>")),
        "message id {mid} sent"
    );

    // Six days after the urging (the policy's spacing) t4 climbs to 督办, numbered, and
    // copied to the office and the deputy.
    let r = run(&app, &f.w.office, "2025-04-08", false).await;
    let t4 = items_for(&r, &f.t4);
    assert_eq!(t4[0]["level"], "SUPERVISION", "{r}");
    // t2 (urged the same day) climbs too; numbers follow task order within the sweep.
    assert_eq!(items_for(&r, &f.w.t2)[0]["docNumber"], "督办〔2025〕1号");
    assert_eq!(t4[0]["docNumber"], "督办〔2025〕2号");
    let recips = t4[0]["recipients"].to_string();
    assert!(
        recips.contains("office@example.gov.cn") && recips.contains("deputy.lead@example.gov.cn"),
        "{recips}"
    );
    server.clear();
    deliver(&app, &server, Utc::now()).await;
    let office_mail = server
        .messages()
        .into_iter()
        .find(|m| m.rcpt == ["<office@example.gov.cn>"])
        .expect("office copy");
    let mail = smtp::decode(&office_mail.data);
    assert!(mail.subject.contains("督办"), "{}", mail.subject);
    assert!(
        mail.text.contains("督办〔2025〕2号") && mail.text.contains("督办〔2025〕1号"),
        "{}",
        mail.text
    );
    let recs = app.ok(&f.w.office, q, json!({"t": f.t4})).await["supervisionRecords"].clone();
    assert_eq!(recs.as_array().unwrap().len(), 2);
    assert_eq!(recs[1]["docNumber"], "督办〔2025〕2号");

    // The office's 督办 copy asks the office to follow up, not to report progress.
    assert!(!mail.text.contains("报送进展"), "{}", mail.text);
    assert!(mail.text.contains("跟踪督促责任单位办理"), "{}", mail.text);
    assert!(mail.text.contains("（抄送）"), "{}", mail.text);

    // Every sweep is audited, the office's run that found nothing included: two runs
    // over GraphQL (one empty) and the 4/8 sweep.
    assert_eq!(
        count_where(&app, "audit_event", "action = 'reminders.sweep'").await,
        3
    );
}

/// Rows of `table` matching `cond`.
async fn count_where(app: &TestApp, table: &str, cond: &str) -> i64 {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    let backend = app.db().get_database_backend();
    N::find_by_statement(Statement::from_string(
        backend,
        format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE {cond}"),
    ))
    .one(app.db())
    .await
    .unwrap()
    .unwrap()
    .n
}

#[tokio::test]
async fn pending_extension_pauses_urging_and_dry_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other_user: i64 = {
        #[derive(sea_orm::FromQueryResult)]
        struct Id {
            id: i64,
        }
        let backend = app.db().get_database_backend();
        Id::find_by_statement(Statement::from_string(
            backend,
            "SELECT id FROM \"user\" WHERE username = 'other'",
        ))
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
        .id
    };
    exec(
        &app,
        &format!(
            "INSERT INTO extension_request (task_id, agency_id, requested_by, requested_deadline, requested_precision, reason, status, created_at) \
             VALUES ({}, {}, {other_user}, '2025-06-30', 'day', '需要更多时间', 'pending', '2025-03-28 01:00:00+00:00')",
            row(&f.w.t2), row(&f.w.other_agency)
        ),
    )
    .await;
    let r = run(&app, &f.w.office, "2025-04-02", true).await;
    assert_eq!(r["dryRun"], true);
    assert!(
        items_for(&r, &f.w.t2).is_empty(),
        "no urging while an extension is pending: {r}"
    );
    assert_eq!(items_for(&r, &f.t4)[0]["level"], "URGING");
    assert_eq!(
        count_rows(&app, "supervision_record").await,
        0,
        "dry run writes nothing"
    );
    assert_eq!(count_rows(&app, "outbox_message").await, 0);

    // Rejected: urging resumes.
    exec(&app, "UPDATE extension_request SET status = 'rejected'").await;
    let r = run(&app, &f.w.office, "2025-04-02", true).await;
    assert_eq!(items_for(&r, &f.w.t2)[0]["level"], "URGING");
}

#[tokio::test]
async fn working_day_offsets_follow_holidays_makeup_saturdays_and_office_edits() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // t3: due Thu 2025-10-09, right after 国庆 (10/1–10/8 off); t4: due Fri 2025-10-10.
    exec(
        &app,
        &format!(
            "UPDATE task SET deadline = '2025-10-09' WHERE id = {}",
            row(&f.t3)
        ),
    )
    .await;
    exec(
        &app,
        &format!(
            "UPDATE task SET deadline = '2025-10-10' WHERE id = {}",
            row(&f.t4)
        ),
    )
    .await;

    let rung = |r: &Value, t: &str| {
        items_for(r, t).first().map(|i| {
            (
                i["rung"].as_str().unwrap().to_owned(),
                i["dueOn"].as_str().unwrap().to_owned(),
            )
        })
    };
    // One working day before 10/9 is Tue 9/30, not 10/8 (a holiday).
    let r = run(&app, &f.w.office, "2025-09-29", true).await;
    assert_ne!(rung(&r, &f.t3).unwrap().0, "reminder-1w");
    let r = run(&app, &f.w.office, "2025-09-30", true).await;
    assert_eq!(
        rung(&r, &f.t3),
        Some(("reminder-1w".into(), "2025-09-30".into()))
    );
    // One working day after Fri 10/10 is Sat 10/11, a make-up working day (调休上班).
    let r = run(&app, &f.w.office, "2025-10-11", true).await;
    assert_eq!(
        rung(&r, &f.t4),
        Some(("urging+1w".into(), "2025-10-11".into()))
    );

    // The office withdraws the make-up day: urging moves to Mon 10/13.
    let set = "mutation($d:String!,$k:CalendarDayKind!){ setCalendarDay(date:$d, kind:$k, name:\"测试\"){ date kind edited } }";
    let v = app
        .gql(
            Some(&f.w.lead_staff),
            set,
            json!({"d": "2025-10-11", "k": "NORMAL"}),
        )
        .await;
    assert_eq!(code(&v), "FORBIDDEN");
    let v = app
        .ok(&f.w.office, set, json!({"d": "2025-10-11", "k": "NORMAL"}))
        .await;
    assert_eq!(v["setCalendarDay"]["edited"], true);
    let r = run(&app, &f.w.office, "2025-10-11", true).await;
    assert_ne!(rung(&r, &f.t4).map(|x| x.0), Some("urging+1w".into()));
    let r = run(&app, &f.w.office, "2025-10-13", true).await;
    assert_eq!(
        rung(&r, &f.t4),
        Some(("urging+1w".into(), "2025-10-13".into()))
    );
    // A make-up day must be a weekend day.
    let v = app
        .gql(
            Some(&f.w.office),
            set,
            json!({"d": "2025-10-14", "k": "MAKEUP_WORKDAY"}),
        )
        .await;
    assert_eq!(code(&v), "INVALID_INPUT");
    let days = app
        .ok(
            &f.w.office,
            "{ calendarDays(year:2025){ date kind edited } }",
            json!({}),
        )
        .await;
    let oct11 = days["calendarDays"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["date"] == "2025-10-11")
        .unwrap()
        .clone();
    assert_eq!(
        (oct11["kind"].as_str(), oct11["edited"].as_bool()),
        (Some("NORMAL"), Some(true))
    );
}

#[tokio::test]
async fn smtp_refusals_and_dropped_connections_are_retried_and_nothing_is_lost() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let server = SmtpServer::start().await;
    run(&app, &f.w.office, "2025-04-02", false).await;
    // Delivery runs on the wall clock, whatever the business date of the sweep.
    let now = Utc::now();

    server.set_mode(Mode::Refuse4xx);
    let d = deliver(&app, &server, now).await;
    assert_eq!((d.claimed, d.sent, d.retrying), (4, 0, 4));
    // Backing off: nothing due again yet.
    assert_eq!(
        deliver(&app, &server, now + Duration::seconds(30))
            .await
            .claimed,
        0
    );

    server.set_mode(Mode::Drop);
    let d = deliver(&app, &server, now + Duration::seconds(61)).await;
    assert_eq!((d.claimed, d.retrying), (4, 4));
    // Second failure: the delay doubled (120 s).
    assert_eq!(
        deliver(&app, &server, now + Duration::seconds(61 + 100))
            .await
            .claimed,
        0
    );

    // A worker killed mid-send: claimed (lease taken) but never finished.
    let claimed = outbox::claim(&app.state.db, now + Duration::seconds(200), 2)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);
    server.set_mode(Mode::Accept);
    // The other two go out; the two leased ones wait for their lease to expire …
    let d = deliver(&app, &server, now + Duration::seconds(201)).await;
    assert_eq!(d.sent, 2);
    // … and are then taken over.
    let d = deliver(
        &app,
        &server,
        now + Duration::seconds(200) + outbox::LEASE + Duration::seconds(1),
    )
    .await;
    assert_eq!(d.sent, 2);
    let got = server.messages();
    assert_eq!(got.len(), 4, "every digest delivered exactly once");
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| smtp::decode(&m.data).message_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);

    // A permanent refusal is surfaced to the office.
    run(&app, &f.w.office, "2025-04-08", false).await;
    server.set_mode(Mode::Refuse5xx);
    let d = deliver(&app, &server, Utc::now()).await;
    assert!(d.failed > 0 && d.sent == 0, "{d:?}");
    let q =
        "query{ outbox(state: FAILED){ total items { id recipient state attempts lastError } } }";
    let v = app.ok(&f.w.office, q, json!({})).await;
    assert_eq!(v["outbox"]["total"].as_i64().unwrap() as usize, d.failed);
    assert!(
        v["outbox"]["items"][0]["lastError"]
            .as_str()
            .unwrap()
            .contains("550"),
        "{v}"
    );
    assert_eq!(
        code(&app.gql(Some(&f.w.leader), q, json!({})).await),
        "FORBIDDEN"
    );
    // The office retries once the problem is fixed.
    server.set_mode(Mode::Accept);
    let id = v["outbox"]["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .ok(
            &f.w.office,
            "mutation($id:ID!){ retryOutboxMessage(id:$id){ state } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(r["retryOutboxMessage"]["state"], "PENDING");
    // The audit trail keeps the failed state the office acted on.
    let audit = app
        .ok(
            &f.w.office,
            "query($id:ID!){ auditEvents(entity:\"outbox_message\", entityId:$id){ action before after } }",
            json!({"id": id}),
        )
        .await;
    let retry = audit["auditEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "outbox.retry")
        .unwrap_or_else(|| panic!("{audit}"))
        .clone();
    let before = retry["before"].to_string();
    assert!(
        before.contains("failed") && before.contains("550"),
        "{retry}"
    );
    // (retried as of the wall clock)
    assert_eq!(deliver(&app, &server, Utc::now()).await.sent, 1);
}

#[tokio::test]
async fn policies_are_office_only_and_overrides_apply() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let get = "query($s:PolicyScope!,$id:ID){ escalationPolicy(scope:$s, id:$id){ own rungs { level offsetDays dayCount audiences key } } }";
    let g = app.ok(&f.w.office, get, json!({"s": "GLOBAL"})).await;
    assert_eq!(g["escalationPolicy"]["own"], false);
    assert_eq!(g["escalationPolicy"]["rungs"].as_array().unwrap().len(), 6);
    assert_eq!(
        code(
            &app.gql(Some(&f.w.lead_staff), get, json!({"s": "GLOBAL"}))
                .await
        ),
        "FORBIDDEN"
    );

    let set = "mutation($s:PolicyScope!,$id:ID,$r:[RungInput!]){ setEscalationPolicy(scope:$s, id:$id, rungs:$r){ own rungs { key } } }";
    // Invalid: offsets must increase.
    let bad = json!([{"level": "REMINDER", "offsetDays": -1, "audiences": ["LEAD_CONTACTS"]}, {"level": "REMINDER", "offsetDays": -5, "audiences": ["LEAD_CONTACTS"]}]);
    assert_eq!(
        code(
            &app.gql(
                Some(&f.w.office),
                set,
                json!({"s": "TASK", "id": f.t3, "r": bad})
            )
            .await
        ),
        "INVALID_INPUT"
    );
    // t3 (due 4/9): a task-level ladder with a single 督办 three days before.
    let rungs = json!([{"level": "SUPERVISION", "offsetDays": -3, "audiences": ["LEAD_CONTACTS", "LEADERSHIP"]}]);
    let v = app
        .ok(
            &f.w.office,
            set,
            json!({"s": "TASK", "id": f.t3, "r": rungs}),
        )
        .await;
    assert_eq!(v["setEscalationPolicy"]["rungs"][0]["key"], "supervision-3");
    let r = run(&app, &f.w.office, "2025-04-02", true).await;
    assert!(
        items_for(&r, &f.t3).is_empty(),
        "the default -7 reminder no longer applies"
    );
    let r = run(&app, &f.w.office, "2025-04-06", true).await;
    let t3 = items_for(&r, &f.t3);
    assert_eq!(t3[0]["level"], "SUPERVISION");
    assert!(
        t3[0]["recipients"]
            .to_string()
            .contains("leader@example.gov.cn")
    );
    // The task inherits again once its policy is removed.
    app.ok(
        &f.w.office,
        set,
        json!({"s": "TASK", "id": f.t3, "r": null}),
    )
    .await;
    let v = app
        .ok(&f.w.office, get, json!({"s": "TASK", "id": f.t3}))
        .await;
    assert_eq!(v["escalationPolicy"]["own"], false);
}

#[tokio::test]
async fn agency_calendar_feed_at_a_tokenised_url() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // The lead agency also participates in t4: still one event for t4.
    exec(
        &app,
        &format!(
            "INSERT INTO assignment (task_id, agency_id, role, created_at) \
             VALUES ({}, {}, 'participant', '2025-03-28 01:00:00+00:00')",
            row(&f.t4),
            row(&f.w.lead_agency)
        ),
    )
    .await;
    let q = "mutation($a:ID!){ agencyCalendarUrl(agencyId:$a) }";
    assert_eq!(
        code(
            &app.gql(Some(&f.w.other_staff), q, json!({"a": f.w.lead_agency}))
                .await
        ),
        "FORBIDDEN"
    );
    let url = app
        .ok(&f.w.lead_staff, q, json!({"a": f.w.lead_agency}))
        .await["agencyCalendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    // Stable: the office gets the same URL.
    let again = app.ok(&f.w.office, q, json!({"a": f.w.lead_agency})).await["agencyCalendarUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, again);
    assert!(
        url.starts_with(&format!("http://{}/ical/", app.addr)) && url.ends_with(".ics"),
        "{url}"
    );
    let resp = app.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(body.contains("DTSTART;VALUE=DATE:20250320"), "{body}");
    assert!(body.contains("淘汰落后燃煤锅炉"));
    assert!(!body.contains("推动交通绿色低碳"), "another agency's task");
    // One VEVENT per task, with unique UIDs, whatever the roles.
    let uids: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("UID:"))
        .collect();
    let mut unique = uids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(uids.len(), unique.len(), "{body}");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), uids.len());
    assert_eq!(body.matches("淘汰落后燃煤锅炉").count(), 1, "{body}");
    assert!(body.contains("【牵头/参与】"), "{body}");
    // DTSTAMP / LAST-MODIFIED: when the task last changed (created at the fixture's clock),
    // not the deadline; SEQUENCE: the task's version.
    assert!(!body.contains("DTSTAMP:20250320"), "{body}");
    assert!(body.contains("DTSTAMP:20250601T020000Z"), "{body}");
    assert!(body.contains("LAST-MODIFIED:20250601T020000Z"), "{body}");
    assert!(body.contains("SEQUENCE:"), "{body}");
    let wrong = app
        .http
        .get(app.url("/ical/not-a-token.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
}

/// PostgreSQL only: three workers drain the same 1,000 messages concurrently; each is sent
/// exactly once (`FOR UPDATE SKIP LOCKED`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_workers_send_each_of_1000_messages_exactly_once_on_postgres() {
    if postgres_base().is_none() {
        eprintln!("skipped: set DUBAN_TEST_POSTGRES_URL to run the concurrent-worker test");
        return;
    }
    let app = TestApp::spawn().await;
    let server = SmtpServer::start().await;
    let now = default_now();
    for chunk in 0..10 {
        let rows: Vec<String> = (0..100)
            .map(|i| {
                let n = chunk * 100 + i;
                format!(
                    "('k{n}', 'r{n}@example.gov.cn', '收件人{n}', '【督办提醒】测试{n}', '正文{n}', '<p>正文{n}</p>', 'm{n}@duban', 'pending', 0, '2025-06-01 00:00:00+00', '2025-06-01 00:00:00+00')"
                )
            })
            .collect();
        exec(
            &app,
            &format!(
                "INSERT INTO outbox_message (dedupe_key, recipient, recipient_name, subject, body_text, body_html, message_id, state, attempts, next_attempt_at, created_at) VALUES {}",
                rows.join(", ")
            ),
        )
        .await;
    }
    let mut handles = Vec::new();
    for _ in 0..3 {
        let db = duban::db::Db::connect(&app.state.config.database_url)
            .await
            .unwrap();
        let m = mailer(&server);
        handles.push(tokio::spawn(async move {
            outbox::drain(&db, m, &move || now, 20, 4).await.unwrap()
        }));
    }
    let mut total = 0;
    let mut per_worker = Vec::new();
    for h in handles {
        let r = h.await.unwrap();
        total += r.sent;
        per_worker.push(r.sent);
    }
    assert_eq!(total, 1000, "{per_worker:?}");
    assert!(
        per_worker.iter().filter(|&&n| n > 0).count() >= 2,
        "work was shared: {per_worker:?}"
    );
    let got = server.messages();
    assert_eq!(got.len(), 1000);
    let mut ids: Vec<String> = got
        .iter()
        .map(|m| smtp::decode(&m.data).message_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 1000, "no message sent twice");
}

async fn gql_code(app: &TestApp, token: &str, q: &str, vars: Value) -> String {
    code(&app.gql(Some(token), q, vars).await).to_owned()
}

#[derive(FromQueryResult)]
struct OutboxRow {
    id: i64,
    state: String,
    next_attempt_at: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

async fn outbox_rows(app: &TestApp) -> Vec<OutboxRow> {
    let backend = app.db().get_database_backend();
    OutboxRow::find_by_statement(Statement::from_string(
        backend,
        "SELECT id, state, next_attempt_at, locked_until FROM outbox_message ORDER BY id",
    ))
    .all(app.db())
    .await
    .unwrap()
}

/// Out-of-range offsets and repeats are refused; a policy that got into the database
/// anyway (written before validation, by hand) neither panics a sweep nor stops the worker.
#[tokio::test]
async fn policy_offsets_are_bounded_and_the_worker_survives_bad_policies() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let set = "mutation($s:PolicyScope!,$id:ID,$r:[RungInput!]){ setEscalationPolicy(scope:$s, id:$id, rungs:$r){ own rungs { key } } }";
    for rung in [
        json!({"level": "REMINDER", "offsetDays": -2_000_000_000, "audiences": ["LEAD_CONTACTS"]}),
        json!({"level": "REMINDER", "offsetDays": 2_000_000_000, "dayCount": "WORKING", "audiences": ["LEAD_CONTACTS"]}),
        json!({"level": "REMINDER", "offsetDays": -367, "audiences": ["LEAD_CONTACTS"]}),
        json!({"level": "NOTICE", "offsetDays": 30, "audiences": ["LEADERSHIP"], "repeatEveryDays": 1_000_000}),
        json!({"level": "NOTICE", "offsetDays": 30, "audiences": ["LEADERSHIP"], "repeatEveryDays": 0}),
    ] {
        assert_eq!(
            gql_code(
                &app,
                &f.w.office,
                set,
                json!({"s": "TASK", "id": f.t3, "r": [rung.clone()]})
            )
            .await,
            "INVALID_INPUT",
            "{rung}"
        );
    }
    // The extremes allowed sweep fine, even at the end of the representable calendar.
    let ok = json!([
        {"level": "REMINDER", "offsetDays": -366, "dayCount": "WORKING", "audiences": ["LEAD_CONTACTS"]},
        {"level": "NOTICE", "offsetDays": 366, "audiences": ["LEADERSHIP"], "repeatEveryDays": 366}
    ]);
    app.ok(&f.w.office, set, json!({"s": "GLOBAL", "r": ok}))
        .await;
    for day in ["2025-04-02", "9999-12-31", "0001-01-01"] {
        run(&app, &f.w.office, day, true).await;
    }

    // A policy stored behind validation's back: the worker logs the failed sweep and
    // goes on delivering.
    exec(
        &app,
        r#"UPDATE escalation_policy SET policy = '{"rungs":[{"level":"reminder","offset_days":-2000000000,"day_count":"working","audiences":["lead_contacts"]}]}'"#,
    )
    .await;
    exec(
        &app,
        "INSERT INTO outbox_message (dedupe_key, recipient, recipient_name, subject, body_text, body_html, message_id, state, attempts, next_attempt_at, created_at) \
         VALUES ('k1', 'r1@example.gov.cn', '收件人', '【督办提醒】测试', '正文', '<p>正文</p>', 'm1@duban', 'pending', 0, '2025-06-01T00:00:00+00:00', '2025-06-01T00:00:00+00:00')",
    )
    .await;
    let server = SmtpServer::start().await;
    let worker = duban::notify::worker::run(
        app.state.clone(),
        mailer(&server),
        StdDuration::from_millis(50),
        StdDuration::from_millis(300),
        tokio::time::sleep(StdDuration::from_millis(1500)),
    );
    tokio::time::timeout(StdDuration::from_secs(20), worker)
        .await
        .expect("the worker stops when told");
    assert_eq!(server.messages().len(), 1, "delivery went on");
    assert_eq!(outbox_rows(&app).await[0].state, "sent");
}

/// A mailer that notes how many messages are leased (`sending`) while it sends.
struct LeaseWatcher {
    db: duban::db::Db,
    max_leased: std::sync::atomic::AtomicI64,
}

#[async_trait::async_trait]
impl Mailer for LeaseWatcher {
    async fn send(
        &self,
        _mail: &duban::notify::mailer::OutgoingMail,
    ) -> Result<(), duban::notify::mailer::SendError> {
        #[derive(FromQueryResult)]
        struct N {
            n: i64,
        }
        let backend = self.db.conn.get_database_backend();
        let n = N::find_by_statement(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM outbox_message WHERE state = 'sending'",
        ))
        .one(&self.db.conn)
        .await
        .unwrap()
        .unwrap()
        .n;
        self.max_leased
            .fetch_max(n, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(StdDuration::from_millis(20)).await;
        Ok(())
    }
    fn describe(&self) -> String {
        "lease watcher".into()
    }
}

/// Leases are wall-clock times, claims no larger than what is sent at once, and a worker
/// whose lease was taken over cannot overwrite the new owner's outcome.
#[tokio::test]
async fn leases_are_short_owned_and_on_the_wall_clock() {
    let app = TestApp::spawn().await;
    let _f = fixture(&app).await;
    let server = SmtpServer::start().await;

    // `duban remind --once --now 2025-04-02`: the sweep is dated, delivery is not.
    server.set_mode(Mode::Refuse4xx);
    let before = Utc::now();
    let (swept, delivered) =
        duban::notify::worker::remind_once(&app.state, mailer(&server), at("2025-04-02"))
            .await
            .unwrap();
    assert_eq!((swept.mails, delivered.retrying), (4, 4));
    for row in outbox_rows(&app).await {
        assert_eq!(row.state, "pending");
        assert!(
            row.next_attempt_at >= before + Duration::seconds(59),
            "retry backoff measured from the wall clock, got {}",
            row.next_attempt_at
        );
    }
    server.set_mode(Mode::Accept);

    // Two sends at a time: never more than two messages leased.
    exec(
        &app,
        "UPDATE outbox_message SET next_attempt_at = '2025-01-01T00:00:00+00:00'",
    )
    .await;
    let watcher = Arc::new(LeaseWatcher {
        db: app.state.db.clone(),
        max_leased: 0.into(),
    });
    let d = outbox::drain(&app.state.db, watcher.clone(), &Utc::now, 50, 2)
        .await
        .unwrap();
    assert_eq!(d.sent, 4);
    let max = watcher.max_leased.load(std::sync::atomic::Ordering::SeqCst);
    assert!(max <= 2, "{max} messages leased for 2 concurrent sends");

    // A stale worker: A claims, its lease expires, B claims the same message and sends it;
    // A's late failure must not put the message back in the queue.
    exec(
        &app,
        "UPDATE outbox_message SET state = 'pending', sent_at = NULL, next_attempt_at = '2025-01-01T00:00:00+00:00'",
    )
    .await;
    let t0 = Utc::now();
    let a = outbox::claim(&app.state.db, t0, 1).await.unwrap();
    let b = outbox::claim(&app.state.db, t0 + outbox::LEASE + Duration::seconds(1), 1)
        .await
        .unwrap();
    assert_eq!(a[0].id, b[0].id, "the expired lease is taken over");
    assert!(a[0].locked_until.unwrap() >= t0 + outbox::LEASE - Duration::seconds(1));
    let ok = outbox::deliver_one(&app.state.db, &*mailer(&server), &b[0], Utc::now())
        .await
        .unwrap();
    assert_eq!(ok, outbox::Outcome::Recorded(outbox::DeliveryState::Sent));
    server.set_mode(Mode::Refuse4xx);
    let late = outbox::deliver_one(&app.state.db, &*mailer(&server), &a[0], Utc::now())
        .await
        .unwrap();
    assert_eq!(late, outbox::Outcome::Superseded);
    let row = outbox_rows(&app)
        .await
        .into_iter()
        .find(|r| r.id == a[0].id)
        .unwrap();
    assert_eq!(row.state, "sent", "the new owner's outcome stands");
    assert!(row.locked_until.is_none());
}

/// A real sweep records evidence: only as of the server's clock. Dry runs may look
/// anywhere.
#[tokio::test]
async fn real_runs_cannot_be_back_dated() {
    let app = TestApp::spawn_at(at("2025-04-02")).await;
    let f = fixture(&app).await;
    for day in ["2025-03-01", "2025-04-04", "2024-04-02T01:00:00Z"] {
        assert_eq!(
            gql_code(&app, &f.w.office, RUN, json!({"now": day, "dry": false})).await,
            "INVALID_INPUT",
            "{day}"
        );
    }
    assert_eq!(count_rows(&app, "supervision_record").await, 0);
    assert_eq!(count_rows(&app, "outbox_message").await, 0);
    let dry = app
        .ok(&f.w.office, RUN, json!({"now": "2025-03-01", "dry": true}))
        .await;
    assert_eq!(dry["runReminders"]["today"], "2025-03-01");
    // Within a day of the clock, or without `now`: recorded.
    let r = app
        .ok(
            &f.w.office,
            RUN,
            json!({"now": "2025-04-02T12:00:00+08:00"}),
        )
        .await;
    assert_eq!(r["runReminders"]["recorded"], 3);
    let r = app.ok(&f.w.office, RUN, json!({})).await;
    assert_eq!(r["runReminders"]["today"], "2025-04-02");
}

/// Agency staff see who of their own agency was told, not other agencies' (or the
/// office's and leaders') addresses; the office and leaders see everyone.
#[tokio::test]
async fn agency_staff_see_only_their_own_agencys_recipients() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    run(&app, &f.w.office, "2025-04-02", false).await;
    run(&app, &f.w.office, "2025-04-08", false).await;
    let q = "query($t:ID!){ supervisionRecords(taskId:$t){ level recipients { email agencyName } messageIds } }";
    let emails = |v: &Value| -> Vec<String> {
        v["supervisionRecords"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["recipients"].as_array().unwrap().clone())
            .map(|r| r["email"].as_str().unwrap().to_owned())
            .collect()
    };
    let ids = |v: &Value| -> usize {
        v["supervisionRecords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["messageIds"].as_array().unwrap().len())
            .sum()
    };
    // t4 is led by the lead agency; its 督办 went to the office and the deputy too.
    let office = app.ok(&f.w.office, q, json!({"t": f.t4})).await;
    let all = emails(&office);
    assert!(all.contains(&"office@example.gov.cn".to_owned()), "{all:?}");
    assert!(all.contains(&"liaison.lead@example.gov.cn".to_owned()));
    assert_eq!(ids(&office), all.len());
    let leader = app.ok(&f.w.leader, q, json!({"t": f.t4})).await;
    assert_eq!(emails(&leader), all);

    // Another agency's staff: nobody's address, no message ids.
    for staff in [&f.w.part_staff, &f.w.other_staff] {
        let v = app.ok(staff, q, json!({"t": f.t4})).await;
        assert_eq!(v["supervisionRecords"].as_array().unwrap().len(), 2);
        assert!(emails(&v).is_empty(), "{v}");
        assert_eq!(ids(&v), 0, "{v}");
    }
    // The lead agency's staff: only its own people, with their digests' ids.
    let v = app.ok(&f.w.lead_staff, q, json!({"t": f.t4})).await;
    let own = emails(&v);
    assert!(
        own.contains(&"liaison.lead@example.gov.cn".to_owned()),
        "{own:?}"
    );
    assert!(
        own.contains(&"deputy.lead@example.gov.cn".to_owned()),
        "{own:?}"
    );
    assert!(
        own.iter().all(|e| e.ends_with(".lead@example.gov.cn")),
        "{own:?}"
    );
    assert_eq!(ids(&v), own.len());
    // The same through the task.
    let on_task = app
        .ok(
            &f.w.lead_staff,
            "query($t:ID!){ task(id:$t){ supervisionRecords { recipients { email } messageIds } } }",
            json!({"t": f.t4}),
        )
        .await;
    let text = on_task.to_string();
    assert!(!text.contains("office@example.gov.cn"), "{text}");
    assert!(!text.contains("leader@example.gov.cn"), "{text}");
    assert!(text.contains("liaison.lead@example.gov.cn"), "{text}");

    // Records written before the agency was stored are hidden from agency staff.
    exec(
        &app,
        r#"UPDATE supervision_record SET recipients = '[{"email":"liaison.lead@example.gov.cn","name":"x","agency_name":"y"}]'"#,
    )
    .await;
    let v = app.ok(&f.w.lead_staff, q, json!({"t": f.t4})).await;
    assert!(emails(&v).is_empty(), "{v}");
}

/// Items of task `t` in a run, as (level, trigger).
fn levels(run: &Value, t: &str) -> Vec<(String, String)> {
    items_for(run, t)
        .iter()
        .map(|i| {
            (
                i["level"].as_str().unwrap().to_owned(),
                i["trigger"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Spacing between rungs is counted in China calendar days: an urging recorded at 00:30
/// China time (16:30 UTC the day before) counts from its China date.
#[tokio::test]
async fn a_rung_fired_after_midnight_china_time_counts_from_the_china_date() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // Wed 2025-04-02 00:30 China time = Tue 04-01 16:30 UTC.
    let r = sweep_at(&app, Utc.with_ymd_and_hms(2025, 4, 1, 16, 30, 0).unwrap()).await;
    assert_eq!(r["today"], "2025-04-02");
    assert_eq!(items_for(&r, &f.t4)[0]["level"], "URGING", "{r}");
    // 督办 comes six China days after the urging (4/8), not six UTC days (4/7).
    let r = run(&app, &f.w.office, "2025-04-07", false).await;
    assert!(items_for(&r, &f.t4).is_empty(), "督办 a day early: {r}");
    let r = run(&app, &f.w.office, "2025-04-08", false).await;
    assert_eq!(items_for(&r, &f.t4)[0]["level"], "SUPERVISION", "{r}");
}

/// A reopened task climbs its ladder again from 催办, even when the sweep that sent the
/// re-armed urging was dated a little before the reopen instant.
#[tokio::test]
async fn a_reopened_task_re_arms_and_climbs_again() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    run(&app, &f.w.office, "2025-04-02", false).await;
    let r = run(&app, &f.w.office, "2025-04-08", false).await;
    assert_eq!(items_for(&r, &f.t4)[0]["level"], "SUPERVISION");
    // Completed, then reopened on 4/15 at 10:00 China time.
    exec(
        &app,
        &format!(
            "UPDATE task SET reopened_at = '2025-04-15 02:00:00+00:00' WHERE id = {}",
            row(&f.t4)
        ),
    )
    .await;
    // A sweep dated 09:00 that day (its clock behind the reopen): urging, new generation.
    let r = run(&app, &f.w.office, "2025-04-15", false).await;
    let t4 = items_for(&r, &f.t4);
    assert_eq!(t4[0]["level"], "URGING", "{r}");
    assert_eq!(t4[0]["trigger"], "deadline:2025-03-20@r20250415T020000");
    // Nothing twice, and six days later it climbs to 督办 again.
    let r = run(&app, &f.w.office, "2025-04-16", false).await;
    assert!(items_for(&r, &f.t4).is_empty(), "{r}");
    let r = run(&app, &f.w.office, "2025-04-21", false).await;
    assert_eq!(
        levels(&r, &f.t4),
        [(
            "SUPERVISION".to_owned(),
            "deadline:2025-03-20@r20250415T020000".to_owned()
        )],
        "{r}"
    );
}

/// A rung nobody can receive is not recorded: it waits until the agency has a contact.
#[tokio::test]
async fn a_rung_without_recipients_waits_for_an_address_instead_of_spending_its_key() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    exec(
        &app,
        &format!(
            "DELETE FROM contact WHERE agency_id = {}",
            row(&f.w.other_agency)
        ),
    )
    .await;
    // The office sees it in a dry run.
    let dry = run(&app, &f.w.office, "2025-04-02", true).await;
    assert!(items_for(&dry, &f.w.t2).is_empty(), "{dry}");
    let held: Vec<&Value> = dry["unaddressed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["taskId"] == f.w.t2)
        .collect();
    assert_eq!(held.len(), 1, "{dry}");
    assert_eq!(held[0]["level"], "URGING");
    let r = run(&app, &f.w.office, "2025-04-02", false).await;
    assert_eq!(r["unaddressed"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(
        count_where(
            &app,
            "supervision_record",
            &format!("task_id = {}", row(&f.w.t2))
        )
        .await,
        0,
        "no record of a rung nobody was told of"
    );
    // A 督办 copy to the office alone does not count as telling the agency either.
    let r = run(&app, &f.w.office, "2025-04-08", false).await;
    assert!(items_for(&r, &f.w.t2).is_empty(), "{r}");
    // A liaison is added: the next sweep records the urging and mails it.
    exec(
        &app,
        &format!(
            "INSERT INTO contact (agency_id, name, email, role, created_at) \
             VALUES ({}, '新联络员', 'new.liaison@example.gov.cn', 'liaison', '2025-04-08 01:00:00+00:00')",
            row(&f.w.other_agency)
        ),
    )
    .await;
    let r = run(&app, &f.w.office, "2025-04-09", false).await;
    let t2 = items_for(&r, &f.w.t2);
    assert_eq!(t2.len(), 1, "{r}");
    assert_eq!(t2[0]["level"], "URGING");
    assert_eq!(t2[0]["recipients"], json!(["new.liaison@example.gov.cn"]));
    assert!(r["unaddressed"].as_array().unwrap().is_empty());
    let server = SmtpServer::start().await;
    deliver(&app, &server, Utc::now()).await;
    assert!(
        server
            .messages()
            .iter()
            .any(|m| m.rcpt == ["<new.liaison@example.gov.cn>"])
    );
}

/// Nothing listening on the SMTP port: the message stays pending and goes out later.
#[tokio::test]
async fn connection_refused_keeps_the_message_pending_until_delivered() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    run(&app, &f.w.office, "2025-04-02", false).await;
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let nobody: Arc<dyn Mailer> = Arc::new(
        SmtpMailer::new(
            &format!("smtp://127.0.0.1:{port}"),
            "督办系统 <duban@test.local>",
            StdDuration::from_secs(2),
        )
        .unwrap(),
    );
    let now = Utc::now();
    let d = outbox::drain(&app.state.db, nobody, &move || now, 50, 4)
        .await
        .unwrap();
    assert_eq!((d.claimed, d.sent, d.retrying, d.failed), (4, 0, 4, 0));
    for row in outbox_rows(&app).await {
        assert_eq!(row.state, "pending");
        assert!(row.locked_until.is_none());
    }
    assert_eq!(
        count_where(&app, "outbox_message", "last_error IS NOT NULL").await,
        4
    );
    let server = SmtpServer::start().await;
    let d = deliver(&app, &server, now + Duration::seconds(61)).await;
    assert_eq!(d.sent, 4);
    assert_eq!(server.messages().len(), 4);
}

/// An ongoing task that misses its monthly report is urged about the report.
#[tokio::test]
async fn a_missing_report_of_an_ongoing_task_is_a_breach_of_its_own() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    exec(
        &app,
        &format!(
            "UPDATE task SET ongoing = TRUE, report_cadence = 'monthly', deadline = NULL WHERE id = {}",
            row(&f.w.t1)
        ),
    )
    .await;
    // June's report is due 5 working days after 6/30 (Mon 7/7); urged on Tue 7/8.
    let r = run(&app, &f.w.office, "2025-07-08", false).await;
    assert_eq!(
        levels(&r, &f.w.t1),
        [("URGING".to_owned(), "report:2025-06".to_owned())],
        "{r}"
    );
    let rec = items_for(&r, &f.w.t1)[0]["recipients"].to_string();
    assert!(
        rec.contains("liaison.lead@") && rec.contains("head.lead@"),
        "{rec}"
    );
    // The report arrives: nothing more about June.
    app.ok(
        &f.w.lead_staff,
        "mutation($t:ID!){ submitProgressReport(input:{ taskId:$t, period:\"2025-06\", text:\"已报送\", percent: 40 }){ id } }",
        json!({"t": f.w.t1}),
    )
    .await;
    let r = run(&app, &f.w.office, "2025-07-25", true).await;
    assert!(
        levels(&r, &f.w.t1)
            .iter()
            .all(|(_, trigger)| trigger != "report:2025-06"),
        "{r}"
    );
}

/// A completion request the office leaves unverified: the office is reminded, nobody else.
#[tokio::test]
async fn the_office_is_reminded_of_an_unverified_completion_request() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let task = app
        .ok(
            &f.w.office,
            "query($t:ID!){ task(id:$t){ version } }",
            json!({"t": f.t3}),
        )
        .await;
    let version = task["task"]["version"].as_i64().unwrap();
    exec(
        &app,
        &format!(
            "UPDATE task SET status = 'in_progress' WHERE id = {}",
            row(&f.t3)
        ),
    )
    .await;
    app.ok(
        &f.w.lead_staff,
        "mutation($t:ID!,$v:Int!){ requestCompletion(id:$t, version:$v, note:\"佐证材料见附件\"){ status } }",
        json!({"t": f.t3, "v": version}),
    )
    .await;
    // Requested on Sun 6/1 (the app's clock); ten days later the office has been
    // reminded and is being urged.
    let r = run(&app, &f.w.office, "2025-06-16", false).await;
    let t3 = items_for(&r, &f.t3);
    assert_eq!(t3.len(), 1, "{r}");
    assert!(
        t3[0]["trigger"].as_str().unwrap().starts_with("verify:"),
        "{r}"
    );
    assert_eq!(t3[0]["recipients"], json!(["office@example.gov.cn"]));
    let server = SmtpServer::start().await;
    deliver(&app, &server, Utc::now()).await;
    let office = server
        .messages()
        .into_iter()
        .find(|m| m.rcpt == ["<office@example.gov.cn>"])
        .expect("office mail");
    let mail = smtp::decode(&office.data);
    assert!(mail.text.contains("待核验"), "{}", mail.text);
    assert!(mail.text.contains("核验办结申请"), "{}", mail.text);
    assert!(!mail.text.contains("报送进展"), "{}", mail.text);
}

/// Document numbers come from a per-year sequence: the first 督办 of 2026 is number 1.
#[tokio::test]
async fn document_numbers_restart_in_a_new_year() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    run(&app, &f.w.office, "2025-04-02", false).await;
    let r = run(&app, &f.w.office, "2025-04-08", false).await;
    assert_eq!(items_for(&r, &f.t4)[0]["docNumber"], "督办〔2025〕2号");
    // t3 due Fri 2025-12-26: urged Mon 12/29, 督办 from 2026-01-02.
    exec(
        &app,
        &format!(
            "UPDATE task SET deadline = '2025-12-26' WHERE id = {}",
            row(&f.t3)
        ),
    )
    .await;
    let r = run(&app, &f.w.office, "2025-12-29", false).await;
    assert_eq!(items_for(&r, &f.t3)[0]["level"], "URGING", "{r}");
    let r = run(&app, &f.w.office, "2026-01-05", false).await;
    let t3 = items_for(&r, &f.t3);
    assert_eq!(t3[0]["level"], "SUPERVISION", "{r}");
    assert_eq!(t3[0]["docNumber"], "督办〔2026〕1号", "{r}");
}

/// PostgreSQL only: sweeps of several replicas run one after the other (an advisory
/// lock), so they cannot deadlock on the unique keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sweeps_are_serialised_on_postgres() {
    if postgres_base().is_none() {
        eprintln!("skipped: set DUBAN_TEST_POSTGRES_URL to run the concurrent-sweep test");
        return;
    }
    let app = TestApp::spawn().await;
    let _f = fixture(&app).await;
    // Another replica's sweep holds the lock.
    let other = duban::db::Db::connect(&app.state.config.database_url)
        .await
        .unwrap();
    let tx = other.write().await.unwrap();
    tx.execute_raw(Statement::from_string(
        sea_orm::DatabaseBackend::Postgres,
        format!(
            "SELECT pg_advisory_xact_lock({})",
            duban::notify::sweep::SWEEP_LOCK
        ),
    ))
    .await
    .unwrap();
    let db = app.state.db.clone();
    let sweep = tokio::spawn(async move {
        duban::notify::sweep::run(
            &db,
            at("2025-04-02"),
            chrono::Utc::now(),
            false,
            Actor::System,
            "http://duban.test",
        )
        .await
        .unwrap()
    });
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert!(
        !sweep.is_finished(),
        "the sweep waits for the other replica"
    );
    tx.commit().await.unwrap();
    let r = tokio::time::timeout(StdDuration::from_secs(20), sweep)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.recorded, 3);
    // Several replicas at once: every rung recorded once, no deadlock.
    let mut handles = Vec::new();
    for _ in 0..4 {
        let db = duban::db::Db::connect(&app.state.config.database_url)
            .await
            .unwrap();
        handles.push(tokio::spawn(async move {
            duban::notify::sweep::run(
                &db,
                at("2025-04-08"),
                chrono::Utc::now(),
                false,
                Actor::System,
                "http://duban.test",
            )
            .await
            .unwrap()
            .recorded
        }));
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap();
    }
    assert_eq!(total, 3, "each rung recorded by exactly one replica");
}

/// What a sweep decides, in a comparable form.
fn decided(r: &duban::notify::sweep::SweepReport) -> Value {
    let rung = |p: &duban::notify::sweep::PlannedRung| {
        json!([
            p.task_id,
            p.rung.dedupe_key,
            p.rung.due_on.to_string(),
            p.item.plan_title,
            p.recipients
                .iter()
                .map(|r| (r.email.clone(), r.agency_name.clone()))
                .collect::<Vec<_>>()
        ])
    };
    json!({
        "considered": r.tasks_considered, "mails": r.mails,
        "due_total": r.due_total, "unaddressed_total": r.unaddressed_total,
        "due": r.due.iter().map(rung).collect::<Vec<_>>(),
        "unaddressed": r.unaddressed.iter().map(rung).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn a_sweep_decides_the_same_whatever_its_batch_size() {
    // The sweep reads open tasks in keyset batches: batches of one task (every boundary) and
    // of two must decide exactly what one batch of all tasks decides, before and after a
    // sweep has recorded rungs (records already fired are read per batch too).
    let app = TestApp::spawn_at(at("2025-04-02")).await;
    let _f = fixture(&app).await;
    for (day, record_first) in [("2025-04-02", false), ("2025-04-20", true)] {
        if record_first {
            sweep_at(&app, at("2025-04-02")).await;
        }
        let all = duban::notify::sweep::plan_in_batches(&app.state.db.conn, at(day), 1_000_000)
            .await
            .unwrap();
        assert!(
            !all.due.is_empty(),
            "nothing due on {day}: the comparison would be empty"
        );
        for batch in [1, 2] {
            let batched = duban::notify::sweep::plan_in_batches(&app.state.db.conn, at(day), batch)
                .await
                .unwrap();
            assert_eq!(decided(&batched), decided(&all), "batch {batch} on {day}");
        }
    }
}

/// What the sweeps wrote, in a comparable form: the records (without their sweep ids and
/// Message-IDs), the digests in the outbox (without their Message-IDs) and the number of
/// notices attached to each.
async fn written(app: &TestApp) -> Value {
    #[derive(FromQueryResult)]
    struct Rec {
        task_id: i64,
        dedupe_key: String,
        level: String,
        doc_number: Option<String>,
        recipients: String,
    }
    #[derive(FromQueryResult)]
    struct Mail {
        recipient: String,
        dedupe_key: String,
        subject: String,
        body_text: String,
        body_html: String,
        attached: i64,
    }
    let backend = app.db().get_database_backend();
    let records = Rec::find_by_statement(Statement::from_string(
        backend,
        "SELECT task_id, dedupe_key, level, doc_number, CAST(recipients AS TEXT) AS recipients \
         FROM supervision_record ORDER BY id",
    ))
    .all(app.db())
    .await
    .unwrap();
    let mails = Mail::find_by_statement(Statement::from_string(
        backend,
        "SELECT m.recipient, m.dedupe_key, m.subject, m.body_text, m.body_html, \
         (SELECT COUNT(*) FROM outbox_attachment a WHERE a.message_id = m.message_id) AS attached \
         FROM outbox_message m ORDER BY m.id",
    ))
    .all(app.db())
    .await
    .unwrap();
    json!({
        "records": records.iter().map(|r| json!([r.task_id, r.dedupe_key, r.level, r.doc_number, r.recipients])).collect::<Vec<_>>(),
        "mails": mails.iter().map(|m| json!([m.recipient, m.dedupe_key, m.subject, m.body_text, m.body_html, m.attached])).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn a_sweep_records_and_mails_the_same_whatever_its_batch_size() {
    // A sweep records its rungs and stages their digest lines one batch of tasks at a time,
    // and assembles each recipient's digest once every batch is recorded: batches of one
    // task must write exactly what one batch of everything writes (records, document
    // numbers, digests and their attached notices), on the first day and after the ladder
    // has climbed to a numbered 督办.
    let mut seen = Vec::new();
    for batch in [1, 1_000_000] {
        let app = TestApp::spawn_at(at("2025-04-02")).await;
        let _f = fixture(&app).await;
        for day in ["2025-04-02", "2025-04-20"] {
            let r = duban::notify::sweep::run_in_batches(
                &app.state.db,
                at(day),
                Actor::System,
                "http://duban.test",
                batch,
            )
            .await
            .unwrap();
            assert!(r.recorded > 0 && r.mails > 0, "nothing recorded on {day}");
        }
        seen.push(written(&app).await);
    }
    let records = seen[0]["records"].as_array().unwrap();
    assert!(
        records.iter().any(|r| r[3].is_string()),
        "no numbered notice: the comparison would not cover documents"
    );
    assert!(
        seen[0]["mails"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m[5].as_i64() > Some(0)),
        "no digest carries a notice"
    );
    assert_eq!(seen[0], seen[1]);
}

#[tokio::test]
async fn a_large_sweep_answers_with_a_sample_and_mails_every_rung() {
    // A first sweep can find hundreds of thousands of rungs: `runReminders` lists the first
    // SAMPLE and counts all, while every rung is still recorded and mailed.
    let app = TestApp::spawn_at(at("2025-04-02")).await;
    let f = fixture(&app).await;
    let extra = duban::notify::sweep::SAMPLE + 20;
    let now = default_now();
    let tx = app.state.db.write().await.unwrap();
    let (plan_id, lead): (i64, i64) = (row(&f.w.plan), row(&f.w.lead_agency));
    for n in 0..extra {
        let t = tasks::create(
            &*tx,
            Actor::System,
            tasks::TaskInput {
                plan_id,
                parent_id: None,
                code: format!("九({n})"),
                kind: TaskKind::Task,
                title: format!("批量任务{n}号"),
                body: String::new(),
                deadline: Some(Deadline::parse("2025-03-20").unwrap()),
                ongoing: false,
                report_cadence: None,
                groups: vec![],
                lead_undecided: false,
            },
            now,
        )
        .await
        .unwrap();
        tasks::assign(
            &*tx,
            Actor::System,
            tasks::AssignmentInput {
                task_id: t.id,
                agency_id: lead,
                role: AssignmentRole::Lead,
                note: None,
                sub_deadline: None,
            },
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let q = "mutation($now:String,$dry:Boolean){ runReminders(now:$now, dryRun:$dry){ recorded mails itemsTotal truncated unaddressedTotal items { dedupeKey } } }";
    for dry in [true, false] {
        let r = app
            .ok(
                &f.w.office,
                q,
                json!({"now": "2025-04-02T01:00:00Z", "dry": dry}),
            )
            .await["runReminders"]
            .clone();
        let total = r["itemsTotal"].as_u64().unwrap() as usize;
        assert!(total > extra, "{r}");
        assert_eq!(
            r["items"].as_array().unwrap().len(),
            duban::notify::sweep::SAMPLE,
            "{r}"
        );
        assert_eq!(r["truncated"], true, "{r}");
        assert_eq!(r["unaddressedTotal"], 0, "{r}");
        if dry {
            assert_eq!(r["recorded"], 0, "{r}");
        } else {
            assert_eq!(r["recorded"].as_u64().unwrap() as usize, total, "{r}");
            assert_eq!(
                count_where(&app, "supervision_record", "1 = 1").await as usize,
                total
            );
        }
    }
    // The lead agency's liaison gets one digest that counts every rung it has, lists the
    // MAX_LISTED most urgent and says how many it leaves to the system.
    #[derive(FromQueryResult)]
    struct Body {
        subject: String,
        body_text: String,
    }
    let backend = app.db().get_database_backend();
    let bodies = Body::find_by_statement(Statement::from_string(
        backend,
        "SELECT subject, body_text FROM outbox_message WHERE recipient = 'liaison.lead@example.gov.cn'",
    ))
    .all(app.db())
    .await
    .unwrap();
    assert_eq!(bodies.len(), 1);
    let max = duban::notify::templates::MAX_LISTED;
    let total: usize = bodies[0]
        .subject
        .split('：')
        .nth(1)
        .and_then(|rest| rest.split("项任务待办").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no total in {}", bodies[0].subject));
    assert!(total >= extra, "{}", bodies[0].subject);
    let text = &bodies[0].body_text;
    assert!(
        text.contains(&format!(
            "本邮件列出最紧迫的{max}项，全部{total}项请登录督办系统查看"
        )),
        "{text}"
    );
    let listed = text.lines().filter(|l| l.contains("批量任务")).count();
    assert!(listed > 0 && listed <= max, "{listed} of the batch listed");
}
