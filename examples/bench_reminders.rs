//! Benchmark of the reminder sweep and of SMTP delivery (not a test).
//!
//! ```text
//! cargo run --release --example bench_reminders                      # SQLite in a temp dir
//! BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo run --release --example bench_reminders                    # a fresh PostgreSQL db
//! BENCH_TASKS=100000 BENCH_AGENCIES=10000 BENCH_SEND=5000 …           # sizes (defaults shown)
//! ```
//!
//! Builds `BENCH_AGENCIES` agencies (liaison, head and deputy contacts each) and
//! `BENCH_TASKS` tasks (a lead and a participant each, deadlines spread over 2024–2026, one
//! in ten ongoing with quarterly reports), then times: the first sweep (everything overdue
//! is urged at once, the import-day worst case), a second sweep the same day (nothing new:
//! the steady-state cost of an hourly sweep), a sweep a week later, and delivering
//! `BENCH_SEND` digests to an SMTP server on localhost.

#[path = "../tests/common/smtp.rs"]
mod smtp;

use duban::auth::Actor;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use duban::db::Db;
use duban::notify::mailer::{Mailer, SmtpMailer};
use duban::notify::{outbox, sweep};
use sea_orm::{ConnectionTrait, Statement};

fn env(k: &str, default: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn exec(db: &impl ConnectionTrait, sql: String) {
    let backend = db.get_database_backend();
    db.execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
}

async fn insert_rows(db: &impl ConnectionTrait, head: &str, rows: impl Iterator<Item = String>) {
    let rows: Vec<String> = rows.collect();
    for chunk in rows.chunks(1000) {
        exec(db, format!("{head} VALUES {}", chunk.join(","))).await;
    }
}

#[tokio::main]
async fn main() {
    let n_tasks = env("BENCH_TASKS", 100_000);
    let n_agencies = env("BENCH_AGENCIES", 10_000);
    let n_send = env("BENCH_SEND", 5_000);
    let dir = tempfile::tempdir().unwrap();
    let (url, label) = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let admin = Db::connect(&base).await.unwrap();
            let name = format!("duban_bench_{}", std::process::id());
            exec(&admin.conn, format!("CREATE DATABASE {name}")).await;
            let (prefix, _) = base.rsplit_once('/').unwrap();
            (format!("{prefix}/{name}"), "PostgreSQL")
        }
        _ => (
            format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("bench.db").display()
            ),
            "SQLite",
        ),
    };
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    println!("{label}: {n_agencies} agencies, {n_tasks} tasks");

    let t0 = Instant::now();
    let ts = "'2024-01-01 00:00:00+00:00'";
    let tx = db.write().await.unwrap();
    insert_rows(
        &*tx,
        "INSERT INTO agency (id, name, aliases, level, kind, confirmed, created_at, updated_at)",
        (1..=n_agencies)
            .map(|i| format!("({i}, '测试单位{i}', '[]', 'city', 'department', true, {ts}, {ts})")),
    )
    .await;
    insert_rows(
        &*tx,
        "INSERT INTO contact (agency_id, name, email, role, created_at)",
        (1..=n_agencies).flat_map(|i| {
            ["liaison", "head", "deputy"]
                .into_iter()
                .map(move |r| format!("({i}, '{r}{i}', '{r}.{i}@bench.example', '{r}', {ts})"))
        }),
    )
    .await;
    exec(&*tx, format!("INSERT INTO \"user\" (username, display_name, email, password_hash, role, disabled, created_at) VALUES ('office', '办公室', 'office@bench.example', 'x', 'office', false, {ts})")).await;
    let n_plans = (n_tasks / 1000).max(1);
    insert_rows(
        &*tx,
        "INSERT INTO plan (id, title, issuers, status, created_at, updated_at, version)",
        (1..=n_plans).map(|i| format!("({i}, '测试实施方案{i}', '[]', 'active', {ts}, {ts}, 1)")),
    )
    .await;
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    insert_rows(
        &*tx,
        "INSERT INTO task (id, plan_id, position, code, kind, title, body, deadline, deadline_precision, ongoing, report_cadence, groups, lead_undecided, status, progress, version, created_at, updated_at)",
        (1..=n_tasks).map(|i| {
            let plan = (i - 1) / 1000 + 1;
            if i % 10 == 0 {
                format!("({i}, {plan}, {i}, '{i}', 'task', '持续推进任务{i}', '', NULL, NULL, true, 'quarterly', '[]', false, 'in_progress', 10, 1, {ts}, {ts})")
            } else {
                let deadline = start + Duration::days(((i * 7) % 1095) as i64);
                format!("({i}, {plan}, {i}, '{i}', 'task', '任务{i}', '', '{deadline}', 'day', false, NULL, '[]', false, 'in_progress', 20, 1, {ts}, {ts})")
            }
        }),
    )
    .await;
    insert_rows(
        &*tx,
        "INSERT INTO assignment (task_id, agency_id, role, created_at)",
        (1..=n_tasks).flat_map(|i| {
            let lead = (i % n_agencies) + 1;
            let part = ((i * 31) % n_agencies) + 1;
            [
                format!("({i}, {lead}, 'lead', {ts})"),
                format!("({i}, {part}, 'participant', {ts})"),
            ]
        }),
    )
    .await;
    tx.commit().await.unwrap();
    if label == "PostgreSQL" {
        exec(&db.conn, "ANALYZE".into()).await;
    }
    println!("  built in {:.1?}", t0.elapsed());

    let day = |d: &str| {
        let d: NaiveDate = d.parse().unwrap();
        Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap())
    };
    for (what, now) in [
        (
            "first sweep (import day: every overdue task urged)",
            day("2025-06-02"),
        ),
        ("second sweep, same day (nothing new)", day("2025-06-02")),
        ("sweep a week later", day("2025-06-09")),
    ] {
        let t = Instant::now();
        let r = sweep::run(
            &db,
            now,
            chrono::Utc::now(),
            false,
            Actor::System,
            "http://duban.example",
        )
        .await
        .unwrap();
        println!(
            "  {what}: {:.2?} — {} open tasks considered, {} records, {} digests",
            t.elapsed(),
            r.tasks_considered,
            r.recorded,
            r.mails
        );
        if std::env::var_os("BENCH_DEBUG").is_some() {
            for p in r.due.iter().take(5) {
                println!("    {} {:?}", p.rung.dedupe_key, p.rung.due_on);
            }
        }
    }

    // Delivery: BENCH_SEND of the enqueued digests, to a local SMTP server.
    let server = smtp::SmtpServer::start().await;
    for concurrency in [1usize, 4, 16] {
        exec(&db.conn, "UPDATE outbox_message SET state = 'sent'".into()).await;
        // Due now on the wall clock: delivery (claims, leases, backoff) runs on it, whatever
        // the business date of the sweeps above.
        let due = Utc::now() - Duration::hours(1);
        exec(&db.conn, format!("UPDATE outbox_message SET state = 'pending', attempts = 0, locked_until = NULL, sent_at = NULL, next_attempt_at = '{}' WHERE id < (SELECT MIN(id) FROM outbox_message) + {n_send}", due.format("%Y-%m-%d %H:%M:%S%.6f+00:00"))).await;
        server.clear();
        let mailer: Arc<dyn Mailer> = Arc::new(
            SmtpMailer::new(
                &server.url(),
                "duban@bench.example",
                StdDuration::from_secs(10),
            )
            .unwrap(),
        );
        let t = Instant::now();
        let r = outbox::drain(&db, mailer, &Utc::now, 50, concurrency)
            .await
            .unwrap();
        assert!(r.sent > 0, "nothing delivered: {r:?}");
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  delivery, {concurrency} concurrent: {} mails in {secs:.2}s = {:.0} mails/s (server got {})",
            r.sent,
            r.sent as f64 / secs,
            server.messages().len()
        );
    }
}
