//! Tasks: the outline of a plan, their assignments, the status machine and the task list.

mod assignments;
mod list;
mod order;

pub use assignments::*;
pub use list::*;
pub use order::*;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{assignment, task};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, Set,
};

use super::audit::{self, Change};
use super::light::{green_cond, not_overdue_cond, overdue_cond, yellow_cond};
use super::record;
use super::{agencies, plans, snapshot};
use crate::auth::{Actor, Viewer};
use crate::domain::AuditAction;
use crate::domain::{
    AssignmentRole, Deadline, Light, ReportCadence, TaskAction, TaskKind, TaskStatus, text,
};
use crate::error::{AppError, AppResult};

/// Largest page the task list serves.
pub const MAX_PAGE: u64 = 100;

/// # Errors
/// NOT_FOUND when there is no such task; INTERNAL on database errors.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<task::Model> {
    record::find::<task::Entity>(db, id).await
}

/// A task with its plan, in one statement.
///
/// # Errors
/// NOT_FOUND for a missing task (or a record it names); INTERNAL on database errors.
pub async fn get_with_plan(
    db: &impl ConnectionTrait,
    id: i64,
) -> AppResult<(task::Model, Option<entity::plan::Model>)> {
    use entity::by_position::FromRowByPosition;
    use entity::plan;
    use sea_orm::{FromQueryResult, QueryResult, QueryTrait};

    /// The task's columns, then its plan's (the joined select lists them in that order),
    /// read by position (see `entity::by_position`).
    struct TaskAndPlan(task::Model, Option<plan::Model>);
    impl FromQueryResult for TaskAndPlan {
        fn from_query_result(row: &QueryResult, _pre: &str) -> Result<Self, sea_orm::DbErr> {
            let at = task::Model::FIELDS.len();
            let plan = match row.try_get_by_index::<Option<i64>>(at)? {
                Some(_) => Some(plan::Model::from_row_at(row, at)?),
                None => None,
            };
            Ok(TaskAndPlan(task::Model::from_row_at(row, 0)?, plan))
        }
    }
    let stmt = task::Entity::find_by_id(id)
        .find_also_related(plan::Entity)
        .build(db.get_database_backend());
    let TaskAndPlan(t, p) = TaskAndPlan::find_by_statement(stmt)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("task", id))?;
    Ok((t, p))
}

/// The status of a stored task ([`TaskStatus::stored`]).
pub fn status_of(t: &task::Model) -> TaskStatus {
    TaskStatus::stored(&t.status)
}

// ---------------------------------------------------------------- authoring (office)

pub struct TaskInput {
    pub plan_id: i64,
    pub parent_id: Option<i64>,
    pub code: String,
    pub kind: TaskKind,
    pub title: String,
    pub body: String,
    pub deadline: Option<Deadline>,
    pub ongoing: bool,
    pub report_cadence: Option<ReportCadence>,
    pub groups: Vec<String>,
    pub lead_undecided: bool,
}

async fn check_parent(
    db: &impl ConnectionTrait,
    plan_id: i64,
    task_id: Option<i64>,
    parent_id: Option<i64>,
) -> AppResult<()> {
    let Some(mut p) = parent_id else {
        return Ok(());
    };
    for _ in 0..32 {
        if Some(p) == task_id {
            return Err(AppError::invalid("a task cannot be its own ancestor"));
        }
        let parent = get(db, p)
            .await
            .map_err(|_| AppError::invalid(format!("parent task {p} does not exist")))?;
        if parent.plan_id != plan_id {
            return Err(AppError::invalid("the parent task belongs to another plan"));
        }
        match parent.parent_id {
            Some(next) => p = next,
            None => return Ok(()),
        }
    }
    Err(AppError::invalid("the outline is too deep"))
}

fn groups_json(groups: &[String]) -> AppResult<serde_json::Value> {
    if groups.len() > 20 {
        return Err(AppError::invalid("at most 20 groups"));
    }
    Ok(serde_json::json!(
        groups
            .iter()
            .map(|g| text::required("group", g, text::SHORT))
            .collect::<AppResult<Vec<_>>>()?
    ))
}

fn check_schedule(input: &TaskInput) -> AppResult<()> {
    if input.ongoing && input.deadline.is_some() {
        return Err(AppError::invalid(
            "an ongoing task has a report cadence, not a deadline",
        ));
    }
    if !input.ongoing && input.report_cadence.is_some() && input.deadline.is_some() {
        return Err(AppError::invalid(
            "a report cadence applies to ongoing tasks only",
        ));
    }
    Ok(())
}

/// Creates a task at the end of its plan (document order).
///
/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing task (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: TaskInput,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    plans::get(db, input.plan_id).await?;
    check_parent(db, input.plan_id, None, input.parent_id).await?;
    check_schedule(&input)?;
    let last: Option<i32> = task::Entity::find()
        .select_only()
        .column_as(task::Column::Position.max(), "max")
        .filter(task::Column::PlanId.eq(input.plan_id))
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    let row = task::ActiveModel {
        plan_id: Set(input.plan_id),
        parent_id: Set(input.parent_id),
        position: Set(last.map_or(0, |p| p + 1)),
        code: Set(text::required("code", &input.code, text::SHORT)?),
        kind: Set(input.kind.as_str().into()),
        title: Set(text::required("title", &input.title, text::MEDIUM)?),
        body: Set(text::optional("body", Some(&input.body), text::LONG)?.unwrap_or_default()),
        deadline: Set(input.deadline.map(|d| d.date)),
        deadline_precision: Set(input.deadline.map(|d| d.precision.as_str().to_owned())),
        original_deadline: Set(None),
        ongoing: Set(input.ongoing),
        report_cadence: Set(input.report_cadence.map(|c| c.as_str().to_owned())),
        groups: Set(groups_json(&input.groups)?),
        lead_undecided: Set(input.lead_undecided),
        status: Set(TaskStatus::NotStarted.as_str().into()),
        progress: Set(0),
        version: Set(1),
        completed_at: Set(None),
        reopened_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let model = record::insert(db, viewer, AuditAction::TaskCreate, row, now).await?;
    super::events::task_changed(db, None, &model, now).await?;
    Ok(model)
}

/// Applies `changes` only if the task is still at `version`, bumping the version.
///
/// The check and the write are one UPDATE … WHERE version = ?, so of two concurrent writers
/// exactly one wins and the other gets CONFLICT, on SQLite and PostgreSQL alike.
async fn write_versioned(
    db: &impl ConnectionTrait,
    before: &task::Model,
    version: i32,
    changes: task::ActiveModel,
) -> AppResult<task::Model> {
    if before.version != version {
        return Err(stale(before, version));
    }
    record::update_if_version::<task::Entity>(db, before.id, version, changes)
        .await?
        .ok_or_else(|| stale(before, version))
}

fn stale(t: &task::Model, version: i32) -> AppError {
    AppError::Conflict(format!(
        "task {} was changed by someone else (your version {version}, current {}); reload and retry",
        t.code, t.version
    ))
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing task (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); CONFLICT when
/// someone else changed it first; INTERNAL on database errors.
pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    version: i32,
    input: TaskInput,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    if input.plan_id != before.plan_id {
        return Err(AppError::invalid("a task cannot move to another plan"));
    }
    check_parent(db, before.plan_id, Some(id), input.parent_id).await?;
    check_schedule(&input)?;
    let changes = task::ActiveModel {
        parent_id: Set(input.parent_id),
        code: Set(text::required("code", &input.code, text::SHORT)?),
        kind: Set(input.kind.as_str().into()),
        title: Set(text::required("title", &input.title, text::MEDIUM)?),
        body: Set(text::optional("body", Some(&input.body), text::LONG)?.unwrap_or_default()),
        deadline: Set(input.deadline.map(|d| d.date)),
        deadline_precision: Set(input.deadline.map(|d| d.precision.as_str().to_owned())),
        ongoing: Set(input.ongoing),
        report_cadence: Set(input.report_cadence.map(|c| c.as_str().to_owned())),
        groups: Set(groups_json(&input.groups)?),
        lead_undecided: Set(input.lead_undecided),
        updated_at: Set(now),
        ..Default::default()
    };
    let after = write_versioned(db, &before, version, changes).await?;
    record::audited_update::<task::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::TaskUpdate,
        &before,
        &after,
        now,
    )
    .await?;
    super::events::task_changed(db, Some(&before), &after, now).await?;
    Ok(after)
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing task (or a record it names);
/// CONFLICT while other records still refer to it; INTERNAL on database errors.
pub async fn delete(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    let deleted = record::delete::<task::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::TaskDelete,
        before,
        now,
    )
    .await?;
    super::events::task_deleted(db, &deleted, now).await?;
    Ok(deleted)
}

// ---------------------------------------------------------------- workflow

/// Whether `agency_id` is assigned to the task, in `role` if given.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn is_assigned(
    db: &impl ConnectionTrait,
    task_id: i64,
    agency_id: i64,
    role: Option<AssignmentRole>,
) -> AppResult<bool> {
    let mut q = assignment::Entity::find()
        .filter(assignment::Column::TaskId.eq(task_id))
        .filter(assignment::Column::AgencyId.eq(agency_id));
    if let Some(r) = role {
        q = q.filter(assignment::Column::Role.eq(r.as_str()));
    }
    Ok(q.count(db).await? > 0)
}

/// The agency in whose name an AGENCY user writes on this task; FORBIDDEN unless assigned.
///
/// # Errors
/// FORBIDDEN when the viewer may not act on it; INTERNAL on database errors.
pub async fn require_assigned_staff(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    task_id: i64,
    role: Option<AssignmentRole>,
) -> AppResult<i64> {
    let agency = viewer.require_agency_staff()?;
    if !is_assigned(db, task_id, agency, role).await? {
        let what = match role {
            Some(AssignmentRole::Lead) => "a lead agency",
            _ => "assigned",
        };
        return Err(AppError::forbidden(format!(
            "your agency is not {what} on this task"
        )));
    }
    Ok(agency)
}

/// A status change written but not yet recorded in the audit trail
/// (see [`super::workflow::transition`], which records it with [`record_transition`]).
pub(super) struct Transition {
    pub before: task::Model,
    pub after: task::Model,
    pub action: TaskAction,
    pub note: Option<String>,
}

/// Moves a task through the status machine and writes it; the caller records it with
/// [`record_transition`] once the steps that go with it are done.
///
/// Who may: a completion request (申请办结) comes from staff of a lead agency; verifying
/// (销号), returning (退回), cancelling and reopening are the office's.
///
/// # Errors
/// NOT_FOUND for a missing task; FORBIDDEN for a viewer who may not; INVALID_INPUT for a
/// missing reason; INVALID_TRANSITION for a move the status machine refuses; CONFLICT for a
/// stale `version`.
pub(super) async fn write_transition(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    version: i32,
    action: TaskAction,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Transition> {
    let before = get(db, id).await?;
    match action {
        TaskAction::RequestCompletion => {
            require_assigned_staff(db, viewer, id, Some(AssignmentRole::Lead)).await?;
        }
        TaskAction::Start => {
            if viewer.require_office().is_err() {
                require_assigned_staff(db, viewer, id, None).await?;
            }
        }
        TaskAction::Verify | TaskAction::Return | TaskAction::Cancel | TaskAction::Reopen => {
            viewer.require_office()?
        }
    }
    let note = text::optional("note", note, text::LONG)?;
    if matches!(
        action,
        TaskAction::Return | TaskAction::Cancel | TaskAction::Reopen
    ) && note.is_none()
    {
        return Err(AppError::invalid("a reason is required"));
    }
    let next = status_of(&before).apply(action)?;
    let mut changes = task::ActiveModel {
        status: Set(next.as_str().into()),
        updated_at: Set(now),
        ..Default::default()
    };
    match action {
        TaskAction::Verify => {
            changes.completed_at = Set(Some(now));
            changes.progress = Set(100);
        }
        TaskAction::Reopen => {
            changes.completed_at = Set(None);
            changes.reopened_at = Set(Some(now));
        }
        _ => {}
    }
    let after = write_versioned(db, &before, version, changes).await?;
    Ok(Transition {
        before,
        after,
        action,
        note,
    })
}

/// Records a written [`Transition`] in the audit trail; returns the task after it.
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn record_transition(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    t: Transition,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    let Transition {
        before,
        after,
        action,
        note,
    } = t;
    let action_name = match action {
        TaskAction::Start => AuditAction::TaskStart,
        TaskAction::RequestCompletion => AuditAction::TaskRequestCompletion,
        TaskAction::Verify => AuditAction::TaskVerify,
        TaskAction::Return => AuditAction::TaskReturn,
        TaskAction::Cancel => AuditAction::TaskCancel,
        TaskAction::Reopen => AuditAction::TaskReopen,
    };
    super::events::task_changed(db, Some(&before), &after, now).await?;
    let mut after_json = snapshot(&after);
    if let (Some(n), Some(obj)) = (&note, after_json.as_object_mut()) {
        obj.insert("note".into(), serde_json::Value::String(n.clone()));
    }
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: action_name,
            entity: "task",
            entity_id: before.id,
            before: Some(snapshot(&before)),
            after: Some(after_json),
        },
        now,
    )
    .await?;
    Ok(after)
}

/// Records progress from a report: a not-started or returned task starts, progress follows
/// the latest report. Returns the task before and after.
///
/// Reports from several agencies must not conflict with each other, so the caller names no
/// version; but a status change by someone else (the office verifying, a lead requesting
/// completion) must not be overwritten either. So the write is conditional on the version just
/// read, and re-read and retried when another writer got in between.
///
/// # Errors
/// INVALID_TRANSITION when the task is (or has just become) completed or cancelled.
pub async fn note_progress(
    db: &impl ConnectionTrait,
    task_id: i64,
    percent: i32,
    now: DateTime<Utc>,
) -> AppResult<(task::Model, task::Model)> {
    for _ in 0..5 {
        let before = get(db, task_id).await?;
        let status = status_of(&before);
        if status.is_resolved() {
            return Err(AppError::InvalidTransition(
                "the task is closed; reports are no longer accepted".into(),
            ));
        }
        let next = match status {
            TaskStatus::NotStarted | TaskStatus::Returned => TaskStatus::InProgress,
            s => s,
        };
        let changes = task::ActiveModel {
            progress: Set(percent),
            status: Set(next.as_str().into()),
            updated_at: Set(now),
            ..Default::default()
        };
        let version = before.version;
        if let Some(after) =
            record::update_if_version::<task::Entity>(db, task_id, version, changes).await?
        {
            super::events::task_changed(db, Some(&before), &after, now).await?;
            return Ok((before, after));
        }
    }
    Err(AppError::Conflict(
        "the task is being changed by others; retry".into(),
    ))
}

/// Sets a new deadline after an approved extension, keeping the first original (按原定时间考核).
/// Returns the task before and after.
///
/// Conditional on the version it reads (retried if someone else wrote in between), so a
/// concurrent edit of the deadline is never silently overwritten with a stale original.
///
/// # Errors
/// INVALID_TRANSITION when the task has closed or its deadline is already at or past `new`.
pub async fn extend_deadline(
    db: &impl ConnectionTrait,
    task_id: i64,
    new: Deadline,
    now: DateTime<Utc>,
) -> AppResult<(task::Model, task::Model)> {
    for _ in 0..5 {
        let before = get(db, task_id).await?;
        if status_of(&before).is_resolved() {
            return Err(AppError::InvalidTransition(
                "the task has been closed meanwhile".into(),
            ));
        }
        if before.deadline.is_none_or(|d| d >= new.date) {
            return Err(AppError::InvalidTransition(
                "the task's deadline is no longer earlier than the requested one".into(),
            ));
        }
        let original = before.original_deadline.or(before.deadline);
        let changes = task::ActiveModel {
            deadline: Set(Some(new.date)),
            deadline_precision: Set(Some(new.precision.as_str().into())),
            original_deadline: Set(original),
            updated_at: Set(now),
            ..Default::default()
        };
        let version = before.version;
        if let Some(after) =
            record::update_if_version::<task::Entity>(db, task_id, version, changes).await?
        {
            super::events::task_changed(db, Some(&before), &after, now).await?;
            return Ok((before, after));
        }
    }
    Err(AppError::Conflict(
        "the task is being changed by others; retry".into(),
    ))
}
