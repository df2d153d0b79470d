//! The reminder sweep: decides which rungs are due today for every open task, records each
//! as a supervision record and enqueues one digest mail per recipient, all in one write
//! transaction.
//!
//! Scale: the open tasks are read in keyset batches of [`BATCH`] in id order; per batch a
//! fixed number of set-based queries (the tasks, records already fired, pending extensions,
//! reports, completion requests, then the assignments, contacts and plans of the tasks that
//! have something due, in chunks), the decision in memory through the pure
//! [`super::ladder::due_rungs`]; then bulk inserts of what is due.
//!
//! The steps, one file each: [`load`] (the queries), [`plan`] (the decision, pure and
//! unit-tested), [`recipients`] (who is told, pure) and [`record`] (records, document
//! numbers, the outbox and the audit event, in one write transaction).
//!
//! Exactly once per rung: `supervision_record.dedupe_key` is UNIQUE and inserted with
//! `ON CONFLICT DO NOTHING`; a sweep only mails the records it inserted itself (tagged with
//! its `sweep_id`), in the same transaction. Re-running a sweep, a restart or a concurrent
//! replica therefore never records or mails a rung twice. On PostgreSQL a sweep also holds a
//! transaction-scoped advisory lock, so replicas sweeping at once run one after the other
//! (the second finds the first's records and adds nothing) instead of racing on the unique
//! keys; rows are read and inserted in id order either way.
//!
//! A rung nobody can receive is **held, not recorded**: when none of the agency-side
//! audiences it is addressed to (contacts, head, deputy) has an address on file — or, for a
//! rung addressed only to the office or the leadership, none of them has one — the rung is
//! reported as `unaddressed` (in `runReminders` and the sweep's audit event) and its dedupe
//! key is left unspent. It is recorded and mailed by the first sweep after someone becomes
//! addressable; until then it is not evidence against the agency, which was never told.
//! (A copy to the office alone does not make a rung delivered: the agency must be told.)

mod load;
mod plan;
mod recipients;
mod record;

pub use record::{SWEEP_LOCK, run, run_demo};

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use sha2::{Digest, Sha256};

use super::ladder::{
    Audience, DueRung, FiredKey, Level, Policy, TaskState, Trigger, due_rungs, report_periods,
};
use super::outbox::DeliveryState;
use super::store::{self, Policies};
use super::templates::{DigestItem, Matter, Role, format_doc_number, render_digest};
use crate::db::Db;
use crate::domain::AuditAction;
use crate::domain::calendar::HolidayCalendar;
use crate::domain::time::{china_day, china_local};
use crate::domain::{
    AssignmentRole, ContactRole, ExtensionStatus, ReportCadence, TaskKind, TaskStatus, UserRole,
    traffic_light,
};
use crate::error::AppResult;
use crate::services::audit::{self, Change};
use crate::services::light::open_sql;
use crate::services::{query_all, sql};
use load::{Context, OpenTasks};
use plan::Due;
use recipients::distinct_recipients;

/// Rows per `IN (…)` list or multi-row INSERT (well under SQLite's and PostgreSQL's limits).
const CHUNK: usize = 500;
/// Open tasks read and decided at a time: bounds a sweep's memory (a few MB per batch)
/// while keeping the number of statements per task small.
const BATCH: usize = 5_000;
/// Ongoing tasks: report periods that ended more than this many days ago are no longer
/// chased (a task imported years late is not sent one urging per missed month).
const REPORT_LOOKBACK_DAYS: i64 = 92;
/// Display name of the office in digests.
pub const OFFICE_NAME: &str = "领导小组办公室";

/// One person told about a rung.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    /// The agency (or 领导小组办公室 / 领导) shown in the digest's greeting.
    pub agency_name: String,
    /// The agency whose contact this is; `None` for the office and leadership. Stored
    /// with the record so that agency staff are shown only their own agency's people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<i64>,
    pub audience: Audience,
    pub role: Role,
}

/// A rung due today, with what the digest needs to describe it.
#[derive(Clone, Debug)]
pub struct PlannedRung {
    pub task_id: i64,
    pub plan_id: i64,
    pub rung: DueRung,
    pub rung_key: String,
    pub matter: Matter,
    /// The date the matter is about (deadline, report due date, request date).
    pub date: NaiveDate,
    pub recipients: Vec<Recipient>,
    pub item: DigestItem,
}

/// What a sweep found and did.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    pub today: Option<NaiveDate>,
    pub sweep_id: String,
    /// Open tasks looked at.
    pub tasks_considered: usize,
    /// Rungs due (in a dry run: that would be recorded).
    pub due: Vec<PlannedRung>,
    /// Rungs due that nobody can receive: held, not recorded (see the module docs).
    pub unaddressed: Vec<PlannedRung>,
    /// Supervision records inserted (0 in a dry run).
    pub recorded: usize,
    /// Digest mails enqueued (in a dry run: that would be).
    pub mails: usize,
}

#[derive(FromQueryResult)]
struct TaskRow {
    id: i64,
    plan_id: i64,
    code: String,
    title: String,
    deadline: Option<NaiveDate>,
    ongoing: bool,
    report_cadence: Option<String>,
    status: String,
    progress: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    reopened_at: Option<DateTime<Utc>>,
}

#[derive(FromQueryResult)]
struct FiredRow {
    task_id: i64,
    dedupe_key: String,
    fired_at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct TaskIdRow {
    task_id: i64,
}

#[derive(FromQueryResult)]
struct PeriodRow {
    task_id: i64,
    period: String,
}

#[derive(FromQueryResult)]
struct RequestRow {
    task_id: i64,
    at: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct AssignmentRow {
    task_id: i64,
    agency_id: i64,
    role: String,
}

#[derive(FromQueryResult)]
struct ContactRow {
    agency_id: i64,
    name: String,
    email: String,
    role: String,
}

#[derive(FromQueryResult)]
struct NameRow {
    id: i64,
    name: String,
}

#[derive(FromQueryResult)]
struct UserRow {
    display_name: String,
    email: Option<String>,
    role: String,
}

#[derive(FromQueryResult)]
struct IdKeyRow {
    id: i64,
    dedupe_key: String,
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The furthest a rung of `policy` can lie before its anchor, in calendar days.
fn lead_days(policy: &Policy) -> i64 {
    policy
        .rungs()
        .iter()
        .map(|r| match r.day_count {
            crate::domain::calendar::DayCount::Calendar => -i64::from(r.offset_days),
            // Generous: holidays can stretch n working days to about 2n + 10 calendar days.
            crate::domain::calendar::DayCount::Working => -i64::from(r.offset_days) * 2 + 10,
        })
        .max()
        .unwrap_or(0)
        .max(0)
}

/// Decides what is due at `now` (see the module documentation). Read-only: for each keyset
/// batch of [`BATCH`] open tasks in id order, loads them and their history ([`load`]),
/// decides ([`plan`], pure), loads the context of what is due and addresses it
/// ([`recipients`], pure). Only the rungs due are kept from one batch to the next, so a
/// sweep that finds nothing new holds one batch at a time whatever the number of tasks; the
/// report (and `runReminders`) lists every rung due, so what a first sweep holds grows with
/// what it finds due.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn plan(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<SweepReport> {
    plan_in_batches(db, now, BATCH).await
}

/// [`plan`] with batches of `batch` tasks: for tests, which show that the batch size
/// changes nothing of the answer.
///
/// # Errors
/// INTERNAL on database errors.
#[doc(hidden)]
pub async fn plan_in_batches(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    batch: usize,
) -> AppResult<SweepReport> {
    let batch = batch.max(1);
    let today = china_day(now);
    let base = load::base(db, today).await?;
    let mut report = SweepReport {
        today: Some(today),
        ..SweepReport::default()
    };
    let mut after = 0;
    loop {
        let open = load::open_tasks(db, &base, after, batch).await?;
        let Some(last) = open.tasks.last().map(|t| t.id) else {
            break;
        };
        after = last;
        report.tasks_considered += open.tasks.len();
        let due = plan::due(&open, today);
        if !due.is_empty() {
            let ctx = load::context(db, &open.tasks, &due).await?;
            let (planned, unaddressed) = recipients::address(&open.tasks, due, &ctx, today);
            report.due.extend(planned);
            report.unaddressed.extend(unaddressed);
        }
        if open.tasks.len() < batch {
            break;
        }
    }
    report.mails = distinct_recipients(&report.due).len();
    Ok(report)
}
