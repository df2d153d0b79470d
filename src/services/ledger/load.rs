//! One batch of tasks → ledger rows, in four set-based queries whatever the batch size:
//! the assignments with agency names, the latest progress report of each task, the
//! supervision records counted by level, and the latest document number (plus plan titles,
//! read once per plan).

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::task;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, Value};

use crate::domain::light::traffic_light;
use crate::domain::{AssignmentRole, Light, TaskStatus};
use crate::error::AppResult;
use crate::notify::Level;
use crate::services::query_all;

/// One task of the ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerRow {
    pub task_id: i64,
    pub plan_id: i64,
    pub plan_title: String,
    pub code: String,
    pub title: String,
    /// 牵头单位, in assignment order.
    pub lead: Vec<String>,
    /// 参与单位.
    pub participants: Vec<String>,
    /// 落实单位.
    pub implementers: Vec<String>,
    /// The deadline before any approved extension (原定时限); the current one if never extended.
    pub original_deadline: Option<NaiveDate>,
    /// The current deadline (当前时限).
    pub deadline: Option<NaiveDate>,
    pub status: TaskStatus,
    pub progress: i32,
    pub light: Light,
    /// Period and text of the most recently submitted progress report.
    pub report_period: Option<String>,
    pub report_text: Option<String>,
    /// Supervision records per level, in [`Level::ALL`] order (提醒, 催办, 督办, 通报, 约谈).
    pub records: [u32; 5],
    /// The document number of the task's latest numbered record (督办〔2025〕12号 …).
    pub last_doc_number: Option<String>,
}

/// Plan titles already read (a ledger touches few plans, every batch names some).
#[derive(Default)]
pub(super) struct PlanTitles(HashMap<i64, String>);

fn list(ids: &[i64]) -> (String, Vec<Value>) {
    (
        vec!["?"; ids.len()].join(", "),
        ids.iter().map(|&i| i.into()).collect(),
    )
}

#[derive(FromQueryResult)]
struct AssignedRow {
    task_id: i64,
    role: String,
    name: String,
}

#[derive(FromQueryResult)]
struct ReportRow {
    task_id: i64,
    period: String,
    text: String,
}

#[derive(FromQueryResult)]
struct CountRow {
    task_id: i64,
    level: String,
    n: i64,
}

#[derive(FromQueryResult)]
struct NumberRow {
    task_id: i64,
    doc_number: String,
}

/// The rows of `batch` (tasks in list order), judged on `today`.
pub(super) async fn rows(
    db: &impl ConnectionTrait,
    batch: &[task::Model],
    plans: &mut PlanTitles,
    today: NaiveDate,
) -> AppResult<Vec<LedgerRow>> {
    let ids: Vec<i64> = batch.iter().map(|t| t.id).collect();
    let missing: Vec<i64> = {
        let mut m: Vec<i64> = batch
            .iter()
            .map(|t| t.plan_id)
            .filter(|p| !plans.0.contains_key(p))
            .collect();
        m.dedup();
        m
    };
    if !missing.is_empty() {
        for p in entity::plan::Entity::find()
            .filter(entity::plan::Column::Id.is_in(missing))
            .all(db)
            .await?
        {
            plans.0.insert(p.id, p.title);
        }
    }
    let (marks, values) = list(&ids);
    let assigned: Vec<AssignedRow> = query_all(
        db,
        &format!(
            "SELECT a.task_id, a.role, g.name FROM assignment a JOIN agency g ON g.id = a.agency_id \
             WHERE a.task_id IN ({marks}) ORDER BY a.task_id, a.id"
        ),
        values.clone(),
    )
    .await?;
    // The latest report: no later one (by submission time, then id) exists for the task.
    let reports: Vec<ReportRow> = query_all(
        db,
        &format!(
            "SELECT p.task_id, p.period, p.text FROM progress_report p WHERE p.task_id IN ({marks}) \
             AND NOT EXISTS (SELECT 1 FROM progress_report q WHERE q.task_id = p.task_id \
               AND (q.submitted_at > p.submitted_at OR (q.submitted_at = p.submitted_at AND q.id > p.id)))"
        ),
        values.clone(),
    )
    .await?;
    let counts: Vec<CountRow> = query_all(
        db,
        &format!(
            "SELECT task_id, level, COUNT(*) AS n FROM supervision_record \
             WHERE task_id IN ({marks}) GROUP BY task_id, level"
        ),
        values.clone(),
    )
    .await?;
    let numbers: Vec<NumberRow> = query_all(
        db,
        &format!(
            "SELECT s.task_id, s.doc_number FROM supervision_record s \
             WHERE s.task_id IN ({marks}) AND s.doc_number IS NOT NULL AND s.id = \
               (SELECT MAX(r.id) FROM supervision_record r WHERE r.task_id = s.task_id AND r.doc_number IS NOT NULL)"
        ),
        values,
    )
    .await?;

    let mut by_task: HashMap<i64, LedgerRow> = HashMap::with_capacity(batch.len());
    for t in batch {
        let status = TaskStatus::stored(&t.status);
        by_task.insert(
            t.id,
            LedgerRow {
                task_id: t.id,
                plan_id: t.plan_id,
                plan_title: plans.0.get(&t.plan_id).cloned().unwrap_or_default(),
                code: t.code.clone(),
                title: t.title.clone(),
                lead: Vec::new(),
                participants: Vec::new(),
                implementers: Vec::new(),
                original_deadline: t.original_deadline.or(t.deadline),
                deadline: t.deadline,
                status,
                progress: t.progress,
                light: traffic_light(t.deadline, status.is_resolved(), t.progress, today),
                report_period: None,
                report_text: None,
                records: [0; 5],
                last_doc_number: None,
            },
        );
    }
    for a in assigned {
        let Some(r) = by_task.get_mut(&a.task_id) else {
            continue;
        };
        match AssignmentRole::parse(&a.role) {
            Ok(AssignmentRole::Lead) => r.lead.push(a.name),
            Ok(AssignmentRole::Participant) => r.participants.push(a.name),
            Ok(AssignmentRole::Implementer) => r.implementers.push(a.name),
            Err(_) => {}
        }
    }
    for p in reports {
        if let Some(r) = by_task.get_mut(&p.task_id) {
            r.report_period = Some(p.period);
            r.report_text = Some(p.text);
        }
    }
    for c in counts {
        if let (Some(r), Some(level)) = (by_task.get_mut(&c.task_id), Level::parse(&c.level))
            && let Some(i) = Level::ALL.iter().position(|l| *l == level)
        {
            r.records[i] = u32::try_from(c.n).unwrap_or(u32::MAX);
        }
    }
    for n in numbers {
        if let Some(r) = by_task.get_mut(&n.task_id) {
            r.last_doc_number = Some(n.doc_number);
        }
    }
    Ok(batch.iter().filter_map(|t| by_task.remove(&t.id)).collect())
}
