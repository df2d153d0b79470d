//! Benchmark of the reminder sweep and of SMTP delivery (not a test).
//!
//! ```text
//! cargo run --release --example bench_reminders                      # SQLite in a temp dir
//! BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo run --release --example bench_reminders                    # a fresh PostgreSQL db
//! BENCH_TASKS=100000 BENCH_AGENCIES=10000 BENCH_SEND=5000 …           # sizes (defaults shown)
//! BENCH_DB=duban_sweep BENCH_TASKS=1000000 BENCH_SEND=0 /usr/bin/time -v \
//!   target/release/examples/bench_reminders                          # the 1M run (bench/README.md)
//! ```
//!
//! On PostgreSQL the rows are generated in SQL (`generate_series`), in a database of its own
//! that is dropped at the end (`BENCH_KEEP_DB=1` keeps it; `BENCH_REUSE_DB=1` sweeps a kept
//! one again, without building it, and `BENCH_SWEEPS=again` picks the sweeps: one sweep
//! alone in a fresh process). Each sweep prints its own peak resident memory (the peak is
//! reset before it).
//!
//! Builds `BENCH_AGENCIES` agencies (liaison, head and deputy contacts each) and
//! `BENCH_TASKS` tasks (a lead and a participant each, deadlines spread over 2024–2026, one
//! in ten ongoing with quarterly reports), then times: the first sweep (everything overdue
//! is urged at once, the import-day worst case), a second sweep the same day (nothing new:
//! the steady-state cost of an hourly sweep), a sweep a week later, and delivering
//! `BENCH_SEND` digests to an SMTP server on localhost.

#[path = "../tests/common/smtp.rs"]
mod smtp;

/// The allocator of the `duban` binary (see `src/main.rs`): the sweep measured as the server
/// and `duban remind` run it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // BENCH_REUSE_DB=1: sweep a database kept by an earlier run (BENCH_KEEP_DB=1) instead of
    // building one, so that a sweep can be measured alone in a fresh process.
    let reuse = std::env::var_os("BENCH_REUSE_DB").is_some();
    // BENCH_SWEEPS: which of the sweeps to run, e.g. `again` (default `first,again,week`).
    let sweeps = std::env::var("BENCH_SWEEPS").unwrap_or_else(|_| "first,again,week".into());
    let dir = tempfile::tempdir().unwrap();
    // A PostgreSQL database of its own (BENCH_DB, default duban_bench_<pid>), created fresh
    // and dropped at the end unless BENCH_KEEP_DB is set: a million tasks take a few GB.
    let mut drop_after: Option<(Db, String)> = None;
    let (url, label) = match std::env::var("BENCH_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            let admin = Db::connect(&base).await.unwrap();
            let name = std::env::var("BENCH_DB")
                .unwrap_or_else(|_| format!("duban_bench_{}", std::process::id()));
            if !reuse {
                exec(&admin.conn, format!("DROP DATABASE IF EXISTS {name}")).await;
                exec(&admin.conn, format!("CREATE DATABASE {name}")).await;
            }
            let (prefix, _) = base.rsplit_once('/').unwrap();
            if std::env::var_os("BENCH_KEEP_DB").is_none() {
                drop_after = Some((admin, name.clone()));
            }
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
    if reuse {
        println!("  reusing the kept database; {}", memory());
    } else if label == "PostgreSQL" {
        build_in_sql(&db, n_tasks, n_agencies).await;
        println!("  built in {:.1?}; {}", t0.elapsed(), memory());
    } else {
        build_by_rows(&db, n_tasks, n_agencies).await;
        println!("  built in {:.1?}; {}", t0.elapsed(), memory());
    }

    let day = |d: &str| {
        let d: NaiveDate = d.parse().unwrap();
        Utc.from_utc_datetime(&d.and_hms_opt(1, 0, 0).unwrap())
    };
    for (_, what, now) in [
        (
            "first",
            "first sweep (import day: every overdue task urged)",
            day("2025-06-02"),
        ),
        (
            "again",
            "second sweep, same day (nothing new)",
            day("2025-06-02"),
        ),
        ("week", "sweep a week later", day("2025-06-09")),
    ]
    .into_iter()
    .filter(|(key, ..)| sweeps.split(',').any(|s| s.trim() == *key))
    {
        reset_peak_memory();
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
        let took = t.elapsed();
        println!(
            "  {what}: {took:.2?} — {} open tasks considered, {} records, {} digests, {} held; {}",
            r.tasks_considered,
            r.recorded,
            r.mails,
            r.unaddressed_total,
            memory()
        );
        if std::env::var_os("BENCH_DEBUG").is_some() {
            for p in r.due.iter().take(5) {
                println!("    {} {:?}", p.rung.dedupe_key, p.rung.due_on);
            }
        }
    }

    if n_send > 0 {
        deliver(&db, n_send).await;
    }
    drop(db);
    if let Some((admin, name)) = drop_after {
        exec(&admin.conn, format!("DROP DATABASE {name} WITH (FORCE)")).await;
    }
}

/// The process's resident memory now and its peak since the last [`reset_peak_memory`]
/// (Linux; "?" elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .map_or_else(|| "?".to_owned(), |kb| format!("{} MiB", kb / 1024))
    };
    format!("RSS {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak resident set size (VmHWM) to the current one, so that each sweep's
/// peak is its own (Linux ≥ 4.0: writing 5 to clear_refs).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Delivery: `n_send` of the enqueued digests, to a local SMTP server (BENCH_SEND=0 skips it).
async fn deliver(db: &Db, n_send: usize) {
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
        let r = outbox::drain(db, mailer, &Utc::now, 50, concurrency)
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

/// The data, as rows built here and sent 1,000 per INSERT (SQLite).
async fn build_by_rows(db: &Db, n_tasks: usize, n_agencies: usize) {
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
}

/// The same data as [`build_by_rows`], generated inside PostgreSQL with `generate_series`
/// (a million tasks in seconds instead of minutes of statements), then analysed.
async fn build_in_sql(db: &Db, n_tasks: usize, n_agencies: usize) {
    let ts = "TIMESTAMPTZ '2024-01-01 00:00:00+00:00'";
    let n_plans = (n_tasks / 1000).max(1);
    let tx = db.write().await.unwrap();
    for sql in [
        format!(
            "INSERT INTO agency (id, name, aliases, level, kind, confirmed, created_at, updated_at) \
                 SELECT i, '测试单位' || i, '[]'::jsonb, 'city', 'department', true, {ts}, {ts} \
                 FROM generate_series(1, {n_agencies}) i"
        ),
        format!(
            "INSERT INTO contact (agency_id, name, email, role, created_at) \
                 SELECT i, r || i, r || '.' || i || '@bench.example', r, {ts} \
                 FROM generate_series(1, {n_agencies}) i, \
                 unnest(ARRAY['liaison', 'head', 'deputy']) WITH ORDINALITY AS x(r, k) ORDER BY i, k"
        ),
        format!(
            "INSERT INTO \"user\" (username, display_name, email, password_hash, role, disabled, created_at) \
                 VALUES ('office', '办公室', 'office@bench.example', 'x', 'office', false, {ts})"
        ),
        format!(
            "INSERT INTO plan (id, title, issuers, status, created_at, updated_at, version) \
                 SELECT i, '测试实施方案' || i, '[]'::jsonb, 'active', {ts}, {ts}, 1 \
                 FROM generate_series(1, {n_plans}) i"
        ),
        // Every tenth task ongoing with quarterly reports, the others due on a day of 2024–2026.
        format!(
            "INSERT INTO task (id, plan_id, position, code, kind, title, body, deadline, \
                 deadline_precision, ongoing, report_cadence, groups, lead_undecided, status, progress, \
                 version, created_at, updated_at) \
                 SELECT i, (i - 1) / 1000 + 1, i, i::text, 'task', \
                   CASE WHEN i % 10 = 0 THEN '持续推进任务' ELSE '任务' END || i, '', \
                   CASE WHEN i % 10 = 0 THEN NULL ELSE DATE '2024-01-01' + ((i * 7) % 1095)::int END, \
                   CASE WHEN i % 10 = 0 THEN NULL ELSE 'day' END, i % 10 = 0, \
                   CASE WHEN i % 10 = 0 THEN 'quarterly' END, '[]'::jsonb, false, 'in_progress', \
                   CASE WHEN i % 10 = 0 THEN 10 ELSE 20 END, 1, {ts}, {ts} \
                 FROM generate_series(1, {n_tasks}::bigint) i"
        ),
        format!(
            "INSERT INTO assignment (task_id, agency_id, role, created_at) \
                 SELECT i, CASE WHEN k = 1 THEN (i % {n_agencies}) + 1 ELSE ((i * 31) % {n_agencies}) + 1 END, \
                   CASE WHEN k = 1 THEN 'lead' ELSE 'participant' END, {ts} \
                 FROM generate_series(1, {n_tasks}::bigint) i, generate_series(1, 2) k ORDER BY i, k"
        ),
    ] {
        exec(&*tx, sql).await;
    }
    tx.commit().await.unwrap();
    exec(&db.conn, "ANALYZE".into()).await;
}
