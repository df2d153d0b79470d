//! The reminder sweep: decides which rungs are due today for every open task, records each
//! as a supervision record and enqueues one digest mail per recipient, all in one write
//! transaction.
//!
//! Scale: a fixed number of set-based queries whatever the number of tasks (open tasks,
//! records already fired, pending extensions, reports, completion requests, then the
//! assignments, contacts and plans of the tasks that have something due, in chunks), the
//! decision in memory through the pure [`super::ladder::due_rungs`], and bulk inserts.
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

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};
use sha2::{Digest, Sha256};

use super::ladder::{
    Audience, DueRung, FiredKey, Level, Policy, TaskState, Trigger, due_rungs, report_periods,
};
use super::outbox::DeliveryState;
use super::store;
use super::templates::{DigestItem, Matter, Role, format_doc_number, render_digest};
use crate::db::Db;
use crate::domain::AuditAction;
use crate::domain::time::{china_day, china_local};
use crate::domain::{
    AssignmentRole, ContactRole, ExtensionStatus, ReportCadence, TaskKind, TaskStatus, UserRole,
    traffic_light,
};
use crate::error::AppResult;
use crate::services::audit::{self, Change};
use crate::services::light::open_sql;
use crate::services::{query_all, sql};

/// Rows per `IN (…)` list or multi-row INSERT (well under SQLite's and PostgreSQL's limits).
const CHUNK: usize = 500;
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

/// Decides what is due at `now` (see the module documentation). Read-only.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn plan(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<SweepReport> {
    let today = china_day(now);
    let cal = crate::services::calendar::load_calendar(db).await?;
    let policies = store::load_policies(db).await?;
    let lead = std::iter::once(&policies.global)
        .chain(policies.plans.values())
        .chain(policies.tasks.values())
        .map(lead_days)
        .max()
        .unwrap_or(30);
    let horizon = Duration::try_days(lead)
        .and_then(|l| today.checked_add_signed(l))
        .unwrap_or(NaiveDate::MAX);

    let open = open_sql("status");
    let open_t = open_sql("t.status");
    let (heading, requested_status) = (
        TaskKind::Heading.as_str(),
        TaskStatus::CompletionRequested.as_str(),
    );
    let tasks: Vec<TaskRow> = query_all(
        db,
        &format!(
            "SELECT id, plan_id, code, title, deadline, ongoing, report_cadence, status, progress, \
             created_at, updated_at, reopened_at FROM task WHERE {open} AND kind <> '{heading}' \
             AND ((deadline IS NOT NULL AND deadline <= ?) \
                  OR (ongoing = ? AND report_cadence IS NOT NULL) \
                  OR status = '{requested_status}') ORDER BY id"
        ),
        vec![horizon.into(), true.into()],
    )
    .await?;

    let fired_rows: Vec<FiredRow> = query_all(
        db,
        &format!(
            "SELECT r.task_id, r.dedupe_key, r.fired_at FROM supervision_record r \
             JOIN task t ON t.id = r.task_id WHERE {open_t}"
        ),
        vec![],
    )
    .await?;
    let mut fired: HashMap<i64, Vec<FiredKey>> = HashMap::new();
    for r in fired_rows {
        fired.entry(r.task_id).or_default().push(FiredKey {
            key: r.dedupe_key,
            // Local time: the ladder counts spacing in China calendar days, like `today`.
            fired_at: china_local(r.fired_at),
        });
    }
    let extension_pending: HashSet<i64> = query_all::<TaskIdRow>(
        db,
        "SELECT DISTINCT task_id FROM extension_request WHERE status = ?",
        vec![ExtensionStatus::Pending.as_str().into()],
    )
    .await?
    .into_iter()
    .map(|r| r.task_id)
    .collect();
    let reported: HashSet<(i64, String)> = query_all::<PeriodRow>(
        db,
        &format!(
            "SELECT DISTINCT p.task_id, p.period FROM progress_report p \
             JOIN task t ON t.id = p.task_id WHERE t.ongoing = ? AND {open_t}"
        ),
        vec![true.into()],
    )
    .await?
    .into_iter()
    .map(|r| (r.task_id, r.period))
    .collect();
    let mut requested: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for r in query_all::<RequestRow>(
        db,
        "SELECT a.entity_id AS task_id, a.at FROM audit_event a JOIN task t ON t.id = a.entity_id \
         WHERE a.entity = 'task' AND a.action = ? AND t.status = ?",
        vec![
            AuditAction::TaskRequestCompletion.as_str().into(),
            TaskStatus::CompletionRequested.as_str().into(),
        ],
    )
    .await?
    {
        let e = requested.entry(r.task_id).or_insert(r.at);
        if r.at > *e {
            *e = r.at;
        }
    }

    let report_policy = Policy::default_report_ladder();
    let verify_policy = Policy::default_verification_ladder();
    let mut due: Vec<(usize, Trigger, DueRung, String)> = Vec::new();
    let no_fired: Vec<FiredKey> = Vec::new();
    for (i, t) in tasks.iter().enumerate() {
        let completion_pending = t.status == "completion_requested";
        let state = TaskState {
            task_id: t.id,
            resolved: false,
            extension_pending: extension_pending.contains(&t.id),
            completion_pending,
            reopened_at: t.reopened_at.map(|r| r.naive_utc()),
        };
        let already = fired.get(&t.id).unwrap_or(&no_fired);
        let mut decide = |policy: &Policy, trigger: Trigger| {
            for r in due_rungs(policy, &trigger, &state, today, &cal, already) {
                let rung_key = policy.rungs()[r.rung_index].key();
                due.push((i, trigger.clone(), r, rung_key));
            }
        };
        if let Some(deadline) = t.deadline {
            decide(
                policies.for_task(t.id, t.plan_id),
                Trigger::Deadline { due: deadline },
            );
        }
        if t.ongoing
            && let Some(cadence) = t
                .report_cadence
                .as_deref()
                .and_then(|c| ReportCadence::parse(c).ok())
        {
            let lookback = today
                .checked_sub_signed(Duration::days(REPORT_LOOKBACK_DAYS))
                .unwrap_or(NaiveDate::MIN);
            let from = china_day(t.created_at).max(lookback);
            let to = today
                .checked_add_signed(Duration::days(40))
                .unwrap_or(NaiveDate::MAX);
            for p in report_periods(cadence, from, to, &cal) {
                if !reported.contains(&(t.id, p.label.clone())) {
                    decide(
                        &report_policy,
                        Trigger::ReportDue {
                            period: p.label,
                            due: p.due,
                        },
                    );
                }
            }
        }
        if completion_pending {
            let at = requested.get(&t.id).copied().unwrap_or(t.updated_at);
            decide(
                &verify_policy,
                Trigger::VerificationPending {
                    requested_at: china_local(at),
                },
            );
        }
    }

    // Context of the tasks with something due: plans, assignments, contacts, users.
    let due_tasks: Vec<i64> = {
        let mut v: Vec<i64> = due.iter().map(|(i, ..)| tasks[*i].id).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let plan_ids: Vec<i64> = {
        let mut v: Vec<i64> = due.iter().map(|(i, ..)| tasks[*i].plan_id).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let plan_titles = names(db, "plan", "title", &plan_ids).await?;
    let mut assignments: HashMap<i64, Vec<(i64, AssignmentRole)>> = HashMap::new();
    for chunk in due_tasks.chunks(CHUNK) {
        let rows: Vec<AssignmentRow> = query_all(
            db,
            &format!(
                "SELECT task_id, agency_id, role FROM assignment WHERE task_id IN ({}) ORDER BY id",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        for r in rows {
            if let Ok(role) = AssignmentRole::parse(&r.role) {
                assignments
                    .entry(r.task_id)
                    .or_default()
                    .push((r.agency_id, role));
            }
        }
    }
    let agency_ids: Vec<i64> = {
        let mut v: Vec<i64> = assignments.values().flatten().map(|(a, _)| *a).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let agency_names = names(db, "agency", "name", &agency_ids).await?;
    let mut contacts: HashMap<i64, Vec<ContactRow>> = HashMap::new();
    for chunk in agency_ids.chunks(CHUNK) {
        let rows: Vec<ContactRow> = query_all(
            db,
            &format!(
                "SELECT agency_id, name, email, role FROM contact WHERE agency_id IN ({}) ORDER BY id",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        for r in rows {
            contacts.entry(r.agency_id).or_default().push(r);
        }
    }
    let users: Vec<UserRow> = query_all(
        db,
        "SELECT display_name, email, role FROM \"user\" WHERE disabled = ? AND email IS NOT NULL \
         AND role IN (?, ?) ORDER BY id",
        vec![
            false.into(),
            UserRole::Office.as_str().into(),
            UserRole::Leader.as_str().into(),
        ],
    )
    .await?;
    let people = |role: UserRole, agency_name: &str, audience: Audience, as_role: Role| {
        users
            .iter()
            .filter(|u| u.role == role.as_str())
            .filter_map(|u| {
                let email = u.email.as_deref()?.trim();
                (!email.is_empty()).then(|| Recipient {
                    email: email.to_owned(),
                    name: u.display_name.clone(),
                    agency_name: agency_name.to_owned(),
                    agency_id: None,
                    audience,
                    role: as_role,
                })
            })
            .collect::<Vec<_>>()
    };
    let office = people(
        UserRole::Office,
        OFFICE_NAME,
        Audience::Office,
        Role::Office,
    );
    let leadership = people(
        UserRole::Leader,
        "领导",
        Audience::Leadership,
        Role::Leadership,
    );

    let mut planned = Vec::with_capacity(due.len());
    let mut unaddressed = Vec::new();
    for (i, trigger, rung, rung_key) in due {
        let t = &tasks[i];
        let empty = Vec::new();
        let assigned = assignments.get(&t.id).unwrap_or(&empty);
        let mut recipients: Vec<Recipient> = Vec::new();
        let mut add = |r: Recipient| {
            if !recipients
                .iter()
                .any(|x| x.email.eq_ignore_ascii_case(&r.email))
            {
                recipients.push(r);
            }
        };
        for &audience in &rung.audiences {
            let (agency_role, contact_role) = match audience {
                Audience::LeadContacts => (AssignmentRole::Lead, ContactRole::Liaison),
                Audience::ParticipantContacts => {
                    (AssignmentRole::Participant, ContactRole::Liaison)
                }
                Audience::Implementers => (AssignmentRole::Implementer, ContactRole::Liaison),
                Audience::AgencyHead => (AssignmentRole::Lead, ContactRole::Head),
                Audience::DeputyInCharge => (AssignmentRole::Lead, ContactRole::Deputy),
                Audience::Office => {
                    office.iter().cloned().for_each(&mut add);
                    continue;
                }
                Audience::Leadership => {
                    leadership.iter().cloned().for_each(&mut add);
                    continue;
                }
            };
            let role = match agency_role {
                AssignmentRole::Lead => Role::Lead,
                AssignmentRole::Participant => Role::Participant,
                _ => Role::Implementer,
            };
            for (agency_id, _) in assigned.iter().filter(|(_, r)| *r == agency_role) {
                let agency_name = agency_names.get(agency_id).cloned().unwrap_or_default();
                for c in contacts.get(agency_id).into_iter().flatten() {
                    if c.role == contact_role.as_str() && !c.email.trim().is_empty() {
                        add(Recipient {
                            email: c.email.trim().to_owned(),
                            name: c.name.clone(),
                            agency_name: agency_name.clone(),
                            agency_id: Some(*agency_id),
                            audience,
                            role,
                        });
                    }
                }
            }
        }
        let (matter, date) = match &trigger {
            Trigger::Deadline { due } => (Matter::Deadline, *due),
            Trigger::ReportDue { period, due } => (
                Matter::Report {
                    period: period.clone(),
                },
                *due,
            ),
            Trigger::VerificationPending { requested_at } => {
                (Matter::Verification, requested_at.date())
            }
        };
        let item = DigestItem {
            level: rung.level,
            matter: matter.clone(),
            plan_title: plan_titles.get(&t.plan_id).cloned().unwrap_or_default(),
            task_code: t.code.clone(),
            task_title: t.title.clone(),
            role: Role::Lead,
            deadline: Some(date),
            days: (today - date).num_days(),
            light: traffic_light(t.deadline, false, t.progress, today),
            link: format!("/tasks/{}", t.id),
            doc_number: None,
        };
        let agency_side = rung
            .audiences
            .iter()
            .any(|a| !matches!(a, Audience::Office | Audience::Leadership));
        let addressable = if agency_side {
            recipients.iter().any(|r| r.agency_id.is_some())
        } else {
            !recipients.is_empty()
        };
        let p = PlannedRung {
            task_id: t.id,
            plan_id: t.plan_id,
            rung,
            rung_key,
            matter,
            date,
            recipients,
            item,
        };
        if addressable {
            planned.push(p);
        } else {
            unaddressed.push(p);
        }
    }
    Ok(SweepReport {
        today: Some(today),
        sweep_id: String::new(),
        tasks_considered: tasks.len(),
        mails: distinct_recipients(&planned).len(),
        due: planned,
        unaddressed,
        recorded: 0,
    })
}

async fn names(
    db: &impl ConnectionTrait,
    table: &str,
    column: &str,
    ids: &[i64],
) -> AppResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<NameRow> = query_all(
            db,
            &format!(
                "SELECT id, {column} AS name FROM {table} WHERE id IN ({})",
                placeholders(chunk.len())
            ),
            chunk.iter().map(|&id| id.into()).collect(),
        )
        .await?;
        out.extend(rows.into_iter().map(|r| (r.id, r.name)));
    }
    Ok(out)
}

/// Recipients in a stable order (lower-cased address), each with its first description.
fn distinct_recipients(planned: &[PlannedRung]) -> BTreeMap<String, Recipient> {
    let mut out = BTreeMap::new();
    for p in planned {
        for r in &p.recipients {
            out.entry(r.email.to_lowercase())
                .or_insert_with(|| r.clone());
        }
    }
    out
}

fn matter_str(m: &Matter) -> &'static str {
    match m {
        Matter::Deadline => "deadline",
        Matter::Report { .. } => "report",
        Matter::Verification => "verification",
    }
}

/// Runs a sweep at `now`: decides, records and enqueues in one write transaction.
/// `dry_run` only decides. The mails are due from `deliver_from`, a wall-clock instant (see
/// [`super::outbox`]): a sweep at a business date in the future (`duban remind --once --now`)
/// must not hold its mails back until then.
///
/// # Errors
/// INTERNAL on database errors; nothing is written then.
pub async fn run(
    db: &Db,
    now: DateTime<Utc>,
    deliver_from: DateTime<Utc>,
    dry_run: bool,
    actor: Option<&crate::auth::Viewer>,
    public_url: &str,
) -> AppResult<SweepReport> {
    if dry_run {
        return plan(&db.conn, now).await;
    }
    let tx = db.write().await?;
    if tx.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // One sweep at a time across replicas (released at commit or rollback).
        tx.execute_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            vec![SWEEP_LOCK.into()],
        ))
        .await?;
    }
    let mut report = plan(&*tx, now).await?;
    if !report.unaddressed.is_empty() {
        tracing::warn!(
            count = report.unaddressed.len(),
            "reminder rungs held: nobody addressable (add contacts with email addresses)"
        );
    }
    let today = report.today.unwrap_or_else(|| china_day(now));
    let sweep_id = {
        use rand::RngCore;
        let mut b = [0u8; 8];
        rand::rng().fill_bytes(&mut b);
        format!("{}-{}", today.format("%Y%m%d"), hex::encode(b))
    };
    report.sweep_id = sweep_id.clone();
    if report.due.is_empty() {
        report.mails = 0;
        // The worker's idle sweeps are not worth an audit row each; the office's
        // `runReminders` is a mutation and is audited whatever it found.
        if actor.is_some() {
            audit_sweep(&*tx, actor, &report, today, now).await?;
        }
        tx.commit().await?;
        return Ok(report);
    }
    let backend = tx.get_database_backend();
    let recipients = distinct_recipients(&report.due);
    let message_ids: HashMap<String, String> = recipients
        .keys()
        .enumerate()
        .map(|(n, email)| (email.clone(), format!("{sweep_id}.{n}@duban")))
        .collect();

    // 1. Records, skipping any another sweep inserted meanwhile.
    let fired_at = now;
    for chunk in report.due.chunks(CHUNK / 4) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 13);
        for p in chunk {
            let recips: Vec<&Recipient> = p.recipients.iter().collect();
            let mids: Vec<&String> = p
                .recipients
                .iter()
                .filter_map(|r| message_ids.get(&r.email.to_lowercase()))
                .collect();
            values.extend([
                p.task_id.into(),
                p.rung.level.as_str().into(),
                p.rung_key.clone().into(),
                i32::try_from(p.rung.rung_index).unwrap_or(0).into(),
                i32::try_from(p.rung.occurrence).unwrap_or(0).into(),
                p.rung.trigger_key.clone().into(),
                matter_str(&p.matter).into(),
                p.rung.due_on.into(),
                p.rung.dedupe_key.clone().into(),
                serde_json::to_value(&recips).unwrap_or_default().into(),
                serde_json::to_value(&mids).unwrap_or_default().into(),
                sweep_id.clone().into(),
                fired_at.into(),
            ]);
        }
        let rows = vec![format!("({})", placeholders(13)); chunk.len()].join(", ");
        tx.execute_raw(sql(
            backend,
            &format!(
                "INSERT INTO supervision_record (task_id, level, rung_key, rung_index, occurrence, \
                 trigger_key, matter, due_on, dedupe_key, recipients, message_ids, sweep_id, fired_at) \
                 VALUES {rows} ON CONFLICT (dedupe_key) DO NOTHING"
            ),
            values,
        ))
        .await?;
    }
    let ours: HashMap<String, i64> = query_all::<IdKeyRow>(
        &*tx,
        "SELECT id, dedupe_key FROM supervision_record WHERE sweep_id = ?",
        vec![sweep_id.clone().into()],
    )
    .await?
    .into_iter()
    .map(|r| (r.dedupe_key, r.id))
    .collect();
    report.due.retain(|p| ours.contains_key(&p.rung.dedupe_key));
    report.recorded = report.due.len();

    // 2. Document numbers for 督办/通报/约谈, from the per-year sequence, in task order.
    report
        .due
        .sort_by(|a, b| (a.task_id, &a.rung.dedupe_key).cmp(&(b.task_id, &b.rung.dedupe_key)));
    for level in Level::ALL.into_iter().filter(|l| l.is_numbered_document()) {
        let idx: Vec<usize> = (0..report.due.len())
            .filter(|&i| report.due[i].rung.level == level)
            .collect();
        if idx.is_empty() {
            continue;
        }
        let count = u32::try_from(idx.len()).unwrap_or(u32::MAX);
        let first = store::reserve_doc_numbers(&*tx, level, today.year(), count).await?;
        for (n, &i) in idx.iter().enumerate() {
            let number = format_doc_number(level, today.year(), first + n as u32);
            report.due[i].item.doc_number = Some(number);
        }
        for chunk in idx.chunks(CHUNK / 2) {
            let mut values: Vec<Value> = Vec::new();
            let mut cases = String::new();
            for &i in chunk {
                cases.push_str(" WHEN ? THEN ?");
                values.push(ours[&report.due[i].rung.dedupe_key].into());
                values.push(report.due[i].item.doc_number.clone().into());
            }
            for &i in chunk {
                values.push(ours[&report.due[i].rung.dedupe_key].into());
            }
            tx.execute_raw(sql(
                backend,
                &format!(
                    "UPDATE supervision_record SET doc_number = CASE id{cases} END WHERE id IN ({})",
                    placeholders(chunk.len())
                ),
                values,
            ))
            .await?;
        }
    }

    // 3. One digest per recipient.
    let mut digests: BTreeMap<String, (Recipient, Vec<DigestItem>, Vec<String>)> = BTreeMap::new();
    for p in &report.due {
        for r in &p.recipients {
            let e = digests
                .entry(r.email.to_lowercase())
                .or_insert_with(|| (r.clone(), Vec::new(), Vec::new()));
            let mut item = p.item.clone();
            item.role = r.role;
            e.1.push(item);
            e.2.push(p.rung.dedupe_key.clone());
        }
    }
    report.mails = digests.len();
    let entries: Vec<_> = digests.into_iter().collect();
    for chunk in entries.chunks(CHUNK / 4) {
        let mut values: Vec<Value> = Vec::new();
        for (email, (r, items, keys)) in chunk {
            let mail = render_digest(&r.name, &r.agency_name, items, public_url);
            let mut keys = keys.clone();
            keys.sort();
            let mut h = Sha256::new();
            h.update(email.as_bytes());
            for k in &keys {
                h.update(b"\n");
                h.update(k.as_bytes());
            }
            values.extend([
                format!("digest:{}", hex::encode(h.finalize())).into(),
                r.email.clone().into(),
                r.name.clone().into(),
                mail.subject.into(),
                mail.text.into(),
                mail.html.into(),
                message_ids[email].clone().into(),
                DeliveryState::Pending.as_str().into(),
                0i32.into(),
                deliver_from.into(),
                now.into(),
            ]);
        }
        let rows = vec![format!("({})", placeholders(11)); chunk.len()].join(", ");
        tx.execute_raw(sql(
            backend,
            &format!(
                "INSERT INTO outbox_message (dedupe_key, recipient, recipient_name, subject, \
                 body_text, body_html, message_id, state, attempts, next_attempt_at, created_at) \
                 VALUES {rows} ON CONFLICT (dedupe_key) DO NOTHING"
            ),
            values,
        ))
        .await?;
    }
    audit_sweep(&*tx, actor, &report, today, now).await?;
    tx.commit().await?;
    Ok(report)
}

/// Key of the PostgreSQL advisory lock a sweep holds (any constant unlikely to collide).
pub const SWEEP_LOCK: i64 = 0x6475_6261_6e5f_7377; // "duban_sw"

async fn audit_sweep(
    db: &impl ConnectionTrait,
    actor: Option<&crate::auth::Viewer>,
    report: &SweepReport,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let unaddressed: Vec<&str> = report
        .unaddressed
        .iter()
        .map(|p| p.rung.dedupe_key.as_str())
        .collect();
    audit::record(
        db,
        actor,
        Change {
            action: AuditAction::RemindersSweep,
            entity: "supervision_sweep",
            entity_id: 0,
            before: None,
            after: Some(serde_json::json!({
                "sweep_id": report.sweep_id, "today": today, "records": report.recorded,
                "mails": report.mails, "unaddressed": unaddressed,
            })),
        },
        now,
    )
    .await?;
    Ok(())
}
