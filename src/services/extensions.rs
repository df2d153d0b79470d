//! Extension requests (延期申请): an assigned lead asks, the office decides.

use chrono::{DateTime, Utc};
use entity::extension_request;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::audit::{self, Change};
use super::record;
use super::tasks;
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::AuditAction;
use crate::domain::{AssignmentRole, Deadline, ExtensionStatus, TaskAction, text};
use crate::error::{AppError, AppResult};

/// # Errors
/// FORBIDDEN when the viewer may not act on it; NOT_FOUND for a missing extension request (or a
/// record it names); INVALID_INPUT for input that breaks a rule (lengths, ranges, references);
/// CONFLICT when someone else changed it first; INVALID_TRANSITION when its state does not
/// allow the change; INTERNAL on database errors.
pub async fn request(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    task_id: i64,
    requested: Deadline,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<extension_request::Model> {
    let task = tasks::get(db, task_id).await?;
    let agency_id =
        tasks::require_assigned_staff(db, viewer, task_id, Some(AssignmentRole::Lead)).await?;
    if tasks::status_of(&task).is_resolved() {
        return Err(AppError::InvalidTransition("the task is closed".into()));
    }
    let Some(current) = task.deadline else {
        return Err(AppError::InvalidTransition(
            "the task has no deadline to extend".into(),
        ));
    };
    if requested.date <= current {
        return Err(AppError::invalid(
            "the requested deadline must be later than the current one",
        ));
    }
    let pending = extension_request::Entity::find()
        .filter(extension_request::Column::TaskId.eq(task_id))
        .filter(extension_request::Column::Status.eq(ExtensionStatus::Pending.as_str()))
        .count(db)
        .await?;
    if pending > 0 {
        return Err(AppError::Conflict(
            "an extension request for this task is already pending".into(),
        ));
    }
    let row = extension_request::ActiveModel {
        task_id: Set(task_id),
        agency_id: Set(agency_id),
        requested_by: Set(viewer.user_id),
        requested_deadline: Set(requested.date),
        requested_precision: Set(requested.precision.as_str().into()),
        reason: Set(text::required("reason", reason, text::LONG)?),
        status: Set(ExtensionStatus::Pending.as_str().into()),
        created_at: Set(now),
        ..Default::default()
    };
    record::insert(
        db,
        Actor::User(viewer),
        AuditAction::ExtensionRequest,
        row,
        now,
    )
    .await
}

/// Approving moves the task's deadline and keeps the original for the evaluation.
///
/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing extension request (or a record
/// it names); INVALID_INPUT for input that breaks a rule (lengths, ranges, references);
/// INVALID_TRANSITION when its state does not allow the change; INTERNAL on database errors.
pub async fn decide(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    approve: bool,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<extension_request::Model> {
    viewer.require_office()?;
    let before = record::find::<extension_request::Entity>(db, id).await?;
    if before.status != ExtensionStatus::Pending.as_str() {
        return Err(AppError::InvalidTransition(format!(
            "the request is already {}",
            before.status
        )));
    }
    let decision = if approve {
        ExtensionStatus::Approved
    } else {
        ExtensionStatus::Rejected
    };
    let note = text::optional("note", note, text::LONG)?;
    // Conditional on still being pending: of two office users deciding at once, one wins.
    let res = extension_request::Entity::update_many()
        .col_expr(
            extension_request::Column::Status,
            Expr::value(decision.as_str()),
        )
        .col_expr(
            extension_request::Column::DecidedBy,
            Expr::value(Some(viewer.user_id)),
        )
        .col_expr(extension_request::Column::DecidedAt, Expr::value(Some(now)))
        .col_expr(extension_request::Column::DecisionNote, Expr::value(note))
        .filter(extension_request::Column::Id.eq(id))
        .filter(extension_request::Column::Status.eq(ExtensionStatus::Pending.as_str()))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::InvalidTransition(
            "the request was decided meanwhile".into(),
        ));
    }
    let after = record::find::<extension_request::Entity>(db, id).await?;
    if approve {
        let precision = crate::domain::Precision::parse(&before.requested_precision)
            .unwrap_or(crate::domain::Precision::Day);
        let requested = Deadline {
            date: before.requested_deadline,
            precision,
        };
        let (task, new_task) = tasks::extend_deadline(db, before.task_id, requested, now).await?;
        audit::record(
            db,
            Actor::User(viewer),
            Change::updated(AuditAction::TaskExtend, "task", task.id, &task, &new_task),
            now,
        )
        .await?;
    }
    record::audited_update::<extension_request::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::ExtensionDecide,
        &before,
        &after,
        now,
    )
    .await?;
    Ok(after)
}

/// Moves the source agency's extension requests to the target (part of an agency merge).
///
/// # Errors
/// INTERNAL on database errors.
pub(super) async fn move_agency(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    extension_request::Entity::update_many()
        .col_expr(extension_request::Column::AgencyId, Expr::value(target_id))
        .filter(extension_request::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}

/// A task that is closed (销号) or cancelled has no deadline left to move: its pending
/// extension request is decided with it — rejected, with a note saying why — rather than left
/// pending forever (and failing whenever the office later tries to approve it).
///
/// # Errors
/// Those of [`decide`].
pub(super) async fn close_pending(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    task_id: i64,
    action: TaskAction,
    now: DateTime<Utc>,
) -> AppResult<()> {
    use crate::domain::ExtensionStatus;
    let pending = extension_request::Entity::find()
        .filter(extension_request::Column::TaskId.eq(task_id))
        .filter(extension_request::Column::Status.eq(ExtensionStatus::Pending.as_str()))
        .all(db)
        .await?;
    let why = match action {
        TaskAction::Cancel => "任务已取消，延期申请随之关闭",
        _ => "任务已办结销号，延期申请随之关闭",
    };
    for request in pending {
        decide(db, viewer, request.id, false, Some(why), now).await?;
    }
    Ok(())
}
