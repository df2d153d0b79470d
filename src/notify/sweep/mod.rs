//! The reminder sweep: decides which rungs are due today for every open task, records each
//! as a supervision record and enqueues one digest mail per recipient, all in one write
//! transaction.
//!
//! Scale: the open tasks are read in keyset batches of [`BATCH`] in id order; per batch a
//! fixed number of set-based queries (the tasks, records already fired, pending extensions,
//! reports, completion requests, then the assignments, contacts and plans of the tasks that
//! have something due, in chunks), the decision in memory through the pure
//! [`super::ladder::due_rungs`]; then, still per batch, bulk inserts of what is due and its
//! digest lines. The digests are assembled from those lines at the end ([`digest`]), and
//! the report keeps counts and the first [`SAMPLE`] rungs: a sweep holds one batch at a
//! time, whatever the number of tasks and whatever it finds due (plus one entry per
//! distinct recipient, and one group of recipients' digests while they are rendered).
//!
//! The steps, one file each: [`load`] (the queries), [`plan`] (the decision, pure and
//! unit-tested), [`recipients`] (who is told, pure), [`record`] (records, document
//! numbers, the audit event, in one write transaction) and [`digest`] (one mail per
//! recipient, assembled in that transaction).
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

mod digest;
mod load;
mod plan;
mod recipients;
mod record;

pub use record::{SWEEP_LOCK, run, run_demo, run_in_batches};

use std::collections::{HashMap, HashSet};

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

/// Rows per `IN (…)` list or multi-row INSERT (well under SQLite's and PostgreSQL's limits).
const CHUNK: usize = 500;
/// Supervision records per multi-row INSERT (13 values each: well under both limits).
const RECORDS_PER_INSERT: usize = 400;
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

/// Rungs a report keeps as examples, the first in task order; the others are only counted,
/// so that what a sweep holds does not grow with what it finds due.
pub const SAMPLE: usize = 200;

/// What a sweep found and did.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    pub today: Option<NaiveDate>,
    pub sweep_id: String,
    /// Open tasks looked at.
    pub tasks_considered: usize,
    /// The first [`SAMPLE`] rungs due, in task order (in a real run: recorded by this
    /// sweep, with their document numbers; in a dry run: that would be recorded).
    pub due: Vec<PlannedRung>,
    /// All rungs due (in a real run: recorded by this sweep, as `recorded`).
    pub due_total: usize,
    /// The first [`SAMPLE`] rungs due that nobody can receive: held, not recorded (see the
    /// module docs).
    pub unaddressed: Vec<PlannedRung>,
    /// All rungs held.
    pub unaddressed_total: usize,
    /// Supervision records inserted (0 in a dry run).
    pub recorded: usize,
    /// Digest mails enqueued (in a dry run: that would be).
    pub mails: usize,
}

impl SweepReport {
    /// Counts a rung due, keeping it while the sample has room.
    fn keep_due(&mut self, p: PlannedRung) {
        self.due_total += 1;
        if self.due.len() < SAMPLE {
            self.due.push(p);
        }
    }

    /// Counts a held rung, keeping it while the sample has room.
    fn keep_unaddressed(&mut self, p: PlannedRung) {
        self.unaddressed_total += 1;
        if self.unaddressed.len() < SAMPLE {
            self.unaddressed.push(p);
        }
    }
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
/// ([`recipients`], pure). What is due is counted and sampled ([`SAMPLE`]), so that a sweep
/// holds one batch at a time whatever the number of tasks and whatever is due (plus the
/// set of distinct recipients, which grows with the contacts on file, not with the tasks).
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
    let today = china_day(now);
    let mut batches = Batches::start(db, today, batch).await?;
    let mut report = SweepReport {
        today: Some(today),
        ..SweepReport::default()
    };
    let mut recipients: HashSet<String> = HashSet::new();
    while let Some(decided) = batches.next(db).await? {
        report.tasks_considered += decided.considered;
        for p in decided.planned {
            recipients.extend(p.recipients.iter().map(|r| r.email.to_lowercase()));
            report.keep_due(p);
        }
        for p in decided.unaddressed {
            report.keep_unaddressed(p);
        }
    }
    report.mails = recipients.len();
    Ok(report)
}

/// What one batch of open tasks has due.
struct Decided {
    /// Open tasks in the batch.
    considered: usize,
    /// Rungs due that someone can receive, in task order.
    planned: Vec<PlannedRung>,
    /// Rungs due that nobody can receive (held).
    unaddressed: Vec<PlannedRung>,
}

/// Task ids per window, per task of a batch: a batch of open tasks spans at most
/// `WINDOW × batch` ids, so that reading the records of its id range stays bounded where
/// most tasks are closed (see [`load::open_tasks`]).
const WINDOW: i64 = 10;

/// The open tasks of a sweep, read and decided one keyset batch at a time (in id order).
struct Batches {
    base: load::Base,
    today: NaiveDate,
    batch: usize,
    /// The last task id read past.
    after: i64,
    /// The highest task id when the sweep started.
    last: i64,
    /// Who and what the rungs due involve, kept from one batch to the next.
    ctx: Context,
}

impl Batches {
    async fn start(db: &impl ConnectionTrait, today: NaiveDate, batch: usize) -> AppResult<Self> {
        Ok(Batches {
            base: load::base(db, today).await?,
            today,
            batch: batch.max(1),
            after: 0,
            last: load::last_task_id(db).await?,
            ctx: Context::default(),
        })
    }

    /// Reads and decides the next batch; `None` when there is none left.
    async fn next(&mut self, db: &impl ConnectionTrait) -> AppResult<Option<Decided>> {
        let window = i64::try_from(self.batch)
            .unwrap_or(i64::MAX)
            .saturating_mul(WINDOW);
        let open = loop {
            if self.after >= self.last {
                return Ok(None);
            }
            let until = self.after.saturating_add(window).min(self.last);
            let open = load::open_tasks(db, &self.base, self.after, until, self.batch).await?;
            // A full batch ends at its last task; a short one exhausted its window.
            self.after = match open.tasks.last() {
                Some(t) if open.tasks.len() >= self.batch => t.id,
                _ => until,
            };
            if !open.tasks.is_empty() {
                break open;
            }
        };
        let due = plan::due(&open, self.today);
        let (planned, unaddressed) = if due.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            load::context(db, &open.tasks, &due, &mut self.ctx).await?;
            recipients::address(&open.tasks, due, &self.ctx, self.today)
        };
        Ok(Some(Decided {
            considered: open.tasks.len(),
            planned,
            unaddressed,
        }))
    }
}
