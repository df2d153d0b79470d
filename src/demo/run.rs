//! Carrying out the demo world's [script](super::script) through the same services as real
//! use: each action authorised as the demo account that would take it (agency staff, the
//! office) and audited like a real one, on the simulated day; the reminder sweep run on every
//! simulated Monday with a fixed clock; the 2025 evaluation computed and published by the
//! office.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use entity::{assignment, evaluation_result, plan, task, user};
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::script::{self, Action, Schedule, TaskSeed};
use crate::app::Clock;
use crate::auth::{Actor, Viewer};
use crate::db::Db;
use crate::domain::{
    AssignmentRole, Deadline, Precision, ReportCadence, TaskAction, TaskKind, UserRole,
};
use crate::error::{AppError, AppResult};
use crate::evaluation::scheme::CriterionKind;
use crate::notify::sweep;
use crate::services::{self, evaluation, extensions, progress, tasks, workflow};

/// What the simulation did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub plans: usize,
    pub scheduled: usize,
    pub reports: usize,
    pub completion_requests: usize,
    pub returned: usize,
    pub verified: usize,
    pub extensions_approved: usize,
    pub extensions_rejected: usize,
    pub sweeps: usize,
    pub supervision_records: usize,
    /// Grade → number of agencies in the published 2025 evaluation.
    pub grades: BTreeMap<String, usize>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let grades: Vec<String> = self
            .grades
            .iter()
            .map(|(g, n)| format!("{g} {n}"))
            .collect();
        write!(
            f,
            "demo activity 2025 on {} plans: {} undated tasks scheduled, {} progress reports, \
             {} completion requests ({} returned, {} verified), extensions {} approved / {} \
             rejected, {} reminder sweeps with {} supervision records; 2025 evaluation \
             published: {}",
            self.plans,
            self.scheduled,
            self.reports,
            self.completion_requests,
            self.returned,
            self.verified,
            self.extensions_approved,
            self.extensions_rejected,
            self.sweeps,
            self.supervision_records,
            grades.join(", ")
        )
    }
}

/// `day` at `hour:minute` China Standard Time (UTC+8).
pub fn china_instant(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(hour, minute, 0).unwrap_or_default();
    Utc.from_utc_datetime(&(local - Duration::hours(8)))
}

fn missing(what: &str) -> AppError {
    AppError::invalid(format!(
        "the demo world needs {what}: run it on a freshly seeded database"
    ))
}

/// Simulates 2025 on the plans `plan_ids` (marking them as demo data), as the seeded demo
/// accounts. The mails of the simulated sweeps are stored, never sent
/// ([`crate::notify::outbox::DeliveryState::Demo`]).
///
/// # Errors
/// INVALID_INPUT when the demo accounts are missing; those of the services it calls (none
/// on a freshly seeded database: the script only does what the status machine allows).
pub async fn simulate(db: &Db, plan_ids: &[i64], public_url: &str) -> AppResult<Summary> {
    let mut summary = Summary {
        plans: plan_ids.len(),
        ..Summary::default()
    };
    let cal = services::calendar::load_calendar(&db.conn).await?;
    let users = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(&db.conn)
        .await?;
    let office = users
        .iter()
        .find(|u| u.username == "office")
        .map(services::users::viewer_of)
        .transpose()?
        .ok_or_else(|| missing("the demo account `office`"))?;
    let mut staff: HashMap<i64, Viewer> = HashMap::new();
    for u in users.iter().filter(|u| u.role == UserRole::Agency.as_str()) {
        if let Some(a) = u.agency_id {
            staff.entry(a).or_insert(services::users::viewer_of(u)?);
        }
    }
    let all_tasks = task::Entity::find()
        .filter(task::Column::PlanId.is_in(plan_ids.to_vec()))
        .filter(task::Column::Kind.ne(TaskKind::Heading.as_str()))
        .order_by_asc(task::Column::Id)
        .all(&db.conn)
        .await?;
    let ids: Vec<i64> = all_tasks.iter().map(|t| t.id).collect();
    let mut leads: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        for a in assignment::Entity::find()
            .filter(assignment::Column::TaskId.is_in(chunk.to_vec()))
            .filter(assignment::Column::Role.eq(AssignmentRole::Lead.as_str()))
            .all(&db.conn)
            .await?
        {
            if staff.contains_key(&a.agency_id) {
                leads.entry(a.task_id).or_default().push(a.agency_id);
            }
        }
    }
    let seeds: Vec<TaskSeed> = all_tasks
        .iter()
        .map(|t| {
            let mut l = leads.get(&t.id).cloned().unwrap_or_default();
            l.sort_unstable();
            l.dedup();
            TaskSeed {
                id: t.id,
                deadline: t.deadline,
                ongoing: t.ongoing,
                leads: l,
            }
        })
        .collect();
    let acting: HashMap<i64, i64> = seeds
        .iter()
        .filter_map(|t| t.leads.first().map(|&a| (t.id, a)))
        .collect();
    let s = script::write(&seeds, &cal, script::SEED);

    // The plans are demo data from the first simulated day on.
    {
        let tx = db.write().await?;
        for &id in plan_ids {
            services::plans::mark_demo(&*tx, id, china_instant(script::start_day(), 9, 0)).await?;
        }
        tx.commit().await?;
    }

    let mut days: BTreeSet<NaiveDate> = s.events.iter().map(|e| e.on).collect();
    days.extend(s.sweeps.iter().copied());
    days.insert(script::schedule_day());
    let sweeps: BTreeSet<NaiveDate> = s.sweeps.iter().copied().collect();
    let mut events = s.events.iter().peekable();
    let mut pending_extension: HashMap<i64, i64> = HashMap::new();
    for day in days {
        if sweeps.contains(&day) {
            // The sweep of that morning, as the worker would have run it: a fixed clock.
            let clock = Clock::fixed(china_instant(day, 8, 30));
            let r = sweep::run_demo(
                db,
                clock.now(),
                public_url,
                &format!("demo-{}", day.format("%Y%m%d")),
            )
            .await?;
            summary.sweeps += 1;
            summary.supervision_records += r.recorded;
        }
        let tx = db.write().await?;
        if day == script::schedule_day() {
            let now = china_instant(day, 9, 30);
            for (&id, sched) in &s.schedules {
                let t = tasks::get(&*tx, id).await?;
                let (deadline, ongoing, cadence) = match sched {
                    Schedule::HalfYearly => (None, true, Some(ReportCadence::HalfYearly)),
                    Schedule::Due(d) => (
                        Some(Deadline {
                            date: *d,
                            precision: Precision::Day,
                        }),
                        false,
                        None,
                    ),
                };
                let input = tasks::TaskInput {
                    plan_id: t.plan_id,
                    parent_id: t.parent_id,
                    code: t.code.clone(),
                    kind: TaskKind::parse(&t.kind)?,
                    title: t.title.clone(),
                    body: t.body.clone(),
                    deadline,
                    ongoing,
                    report_cadence: cadence,
                    groups: serde_json::from_value(t.groups.clone()).unwrap_or_default(),
                    lead_undecided: t.lead_undecided,
                };
                tasks::update(&*tx, &office, id, t.version, input, now).await?;
                summary.scheduled += 1;
            }
        }
        let mut minute = 0u32;
        while let Some(e) = events.next_if(|e| e.on == day) {
            // 09:00 onwards, a minute apart, so that the audit trail keeps the day's order.
            let now = china_instant(day, 9, 0) + Duration::minutes(i64::from(minute));
            minute += 1;
            let lead = acting.get(&e.task_id).and_then(|a| staff.get(a));
            let as_lead = || lead.ok_or_else(|| missing("a lead agency's staff account"));
            match &e.action {
                Action::Report {
                    agency,
                    period,
                    percent,
                    text,
                } => {
                    let viewer = staff
                        .get(agency)
                        .ok_or_else(|| missing("a staff account"))?;
                    let input = progress::ReportInput {
                        task_id: e.task_id,
                        period: period.clone(),
                        text: text.clone(),
                        percent: *percent,
                    };
                    progress::submit(&*tx, viewer, input, now).await?;
                    summary.reports += 1;
                }
                Action::RequestCompletion { note } => {
                    let v = tasks::get(&*tx, e.task_id).await?.version;
                    workflow::transition(
                        &*tx,
                        as_lead()?,
                        e.task_id,
                        v,
                        TaskAction::RequestCompletion,
                        Some(note),
                        now,
                    )
                    .await?;
                    summary.completion_requests += 1;
                }
                Action::Verify | Action::Return { .. } => {
                    let v = tasks::get(&*tx, e.task_id).await?.version;
                    let (action, note) = match &e.action {
                        Action::Return { reason } => (TaskAction::Return, Some(reason.as_str())),
                        _ => (TaskAction::Verify, None),
                    };
                    workflow::transition(&*tx, &office, e.task_id, v, action, note, now).await?;
                    if action == TaskAction::Verify {
                        summary.verified += 1;
                    } else {
                        summary.returned += 1;
                    }
                }
                Action::RequestExtension { to, reason } => {
                    let deadline = Deadline {
                        date: *to,
                        precision: Precision::Day,
                    };
                    let r = extensions::request(&*tx, as_lead()?, e.task_id, deadline, reason, now)
                        .await?;
                    pending_extension.insert(e.task_id, r.id);
                }
                Action::DecideExtension { approve, note } => {
                    let id = pending_extension
                        .remove(&e.task_id)
                        .ok_or_else(|| missing("a pending extension request"))?;
                    extensions::decide(&*tx, &office, id, *approve, Some(note), now).await?;
                    if *approve {
                        summary.extensions_approved += 1;
                    } else {
                        summary.extensions_rejected += 1;
                    }
                }
            }
        }
        tx.commit().await?;
    }
    summary.grades = evaluate(db, &office, &s.diligence).await?;
    Ok(summary)
}

/// The office's part of the 2025 evaluation: compute, enter its review score (评议) for
/// every subject, recompute, publish. Returns the grade distribution.
async fn evaluate(
    db: &Db,
    office: &Viewer,
    diligence: &BTreeMap<i64, f64>,
) -> AppResult<BTreeMap<String, usize>> {
    let scheme_name = evaluation::DEFAULT_SCHEME;
    let now = china_instant(script::evaluation_day(), 10, 0);
    let tx = db.write().await?;
    let (_, scheme) = evaluation::scheme_by_name(&*tx, scheme_name).await?;
    let manual: Vec<String> = scheme
        .criteria
        .iter()
        .filter(|c| matches!(c.kind, CriterionKind::Manual { .. }))
        .map(|c| c.key.clone())
        .collect();
    let mut subjects: Vec<i64> = evaluation::default_subjects(&*tx, &scheme, 2025)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    subjects.sort_unstable();
    // Its own generator, so that the review scores do not shift when the script changes.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(script::SEED ^ 0x5245_5649_4557);
    for agency in subjects {
        // Agencies that only take part (no demo account) are judged middling.
        let d = diligence.get(&agency).copied().unwrap_or(0.6);
        for key in &manual {
            let score = script::review_score(d, rng.random_range(-4.0..4.0));
            evaluation::set_manual_score(
                &*tx,
                office,
                2025,
                scheme_name,
                agency,
                key,
                score,
                "领导小组办公室年度评议（演示数据）",
                now,
            )
            .await?;
        }
    }
    let eval = evaluation::compute(&*tx, Actor::User(office), 2025, None, None, now).await?;
    tx.commit().await?;
    let tx = db.write().await?;
    let published = evaluation::publish(
        &*tx,
        Actor::User(office),
        eval.id,
        china_instant(script::publication_day(), 10, 0),
    )
    .await?;
    let mut grades = BTreeMap::new();
    for r in evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(published.id))
        .all(&*tx)
        .await?
    {
        *grades.entry(r.grade).or_insert(0) += 1;
    }
    tx.commit().await?;
    Ok(grades)
}

/// The plans that are demo data.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn demo_plans(db: &Db) -> AppResult<Vec<i64>> {
    Ok(plan::Entity::find()
        .filter(plan::Column::Demo.eq(true))
        .order_by_asc(plan::Column::Id)
        .all(&db.conn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}
