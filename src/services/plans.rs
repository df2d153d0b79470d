//! Plans (实施方案).

use chrono::{DateTime, NaiveDate, Utc};
use entity::plan;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::record;
use crate::auth::{Actor, Viewer};
use crate::domain::AuditAction;
use crate::domain::{Deadline, PlanStatus, text};
use crate::error::{AppError, AppResult};

pub struct PlanInput {
    pub title: String,
    pub document_number: Option<String>,
    pub issuers: Vec<String>,
    pub issue_date: Option<NaiveDate>,
    pub region: Option<String>,
    pub status: PlanStatus,
    pub default_deadline: Option<Deadline>,
}

/// # Errors
/// NOT_FOUND when there is no such plan; INTERNAL on database errors.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<plan::Model> {
    record::find::<plan::Entity>(db, id).await
}

/// # Errors
/// INTERNAL on database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    status: Option<PlanStatus>,
    limit: u64,
    offset: u64,
) -> AppResult<Vec<plan::Model>> {
    let mut q = plan::Entity::find();
    if let Some(s) = status {
        q = q.filter(plan::Column::Status.eq(s.as_str()));
    }
    Ok(q.order_by_desc(plan::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?)
}

fn issuers(list: &[String]) -> AppResult<serde_json::Value> {
    if list.len() > 50 {
        return Err(AppError::invalid("at most 50 issuers"));
    }
    let cleaned = list
        .iter()
        .map(|i| text::required("issuer", i, text::SHORT))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(serde_json::json!(cleaned))
}

/// Creates a plan. `fingerprint` identifies an imported source document (None when typed in).
///
/// # Errors
/// FORBIDDEN for anyone but the office; INVALID_INPUT for input that breaks a rule (lengths,
/// ranges, references); INTERNAL on database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: PlanInput,
    fingerprint: Option<String>,
    now: DateTime<Utc>,
) -> AppResult<plan::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let row = plan::ActiveModel {
        title: Set(text::required("title", &input.title, text::MEDIUM)?),
        document_number: Set(text::optional(
            "documentNumber",
            input.document_number.as_deref(),
            text::SHORT,
        )?),
        issuers: Set(issuers(&input.issuers)?),
        issue_date: Set(input.issue_date),
        region: Set(text::optional(
            "region",
            input.region.as_deref(),
            text::SHORT,
        )?),
        status: Set(input.status.as_str().into()),
        default_deadline: Set(input.default_deadline.map(|d| d.date)),
        default_deadline_precision: Set(input
            .default_deadline
            .map(|d| d.precision.as_str().to_owned())),
        fingerprint: Set(fingerprint),
        created_by: Set(viewer.user().map(|v| v.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        version: Set(1),
        ..Default::default()
    };
    record::insert(db, viewer, AuditAction::PlanCreate, row, now).await
}

/// Replaces a plan's fields if `version` is still current (optimistic lock).
///
/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing plan (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); CONFLICT when
/// someone else changed it first; INTERNAL on database errors.
pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    version: i32,
    input: PlanInput,
    now: DateTime<Utc>,
) -> AppResult<plan::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    let am = plan::ActiveModel {
        title: Set(text::required("title", &input.title, text::MEDIUM)?),
        document_number: Set(text::optional(
            "documentNumber",
            input.document_number.as_deref(),
            text::SHORT,
        )?),
        issuers: Set(issuers(&input.issuers)?),
        issue_date: Set(input.issue_date),
        region: Set(text::optional(
            "region",
            input.region.as_deref(),
            text::SHORT,
        )?),
        status: Set(input.status.as_str().into()),
        default_deadline: Set(input.default_deadline.map(|d| d.date)),
        default_deadline_precision: Set(input
            .default_deadline
            .map(|d| d.precision.as_str().to_owned())),
        updated_at: Set(now),
        ..Default::default()
    };
    let Some(after) = record::update_if_version::<plan::Entity>(db, id, version, am).await? else {
        return Err(AppError::Conflict(format!(
            "plan {id} was changed by someone else (your version {version}, current {})",
            before.version
        )));
    };
    record::audited_update::<plan::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::PlanUpdate,
        &before,
        &after,
        now,
    )
    .await?;
    Ok(after)
}

/// Marks a plan as demo data (the demo world of `duban seed`). System only; audited.
///
/// # Errors
/// NOT_FOUND for a missing plan.
pub async fn mark_demo(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<plan::Model> {
    let before = get(db, id).await?;
    plan::Entity::update_many()
        .col_expr(plan::Column::Demo, sea_orm::sea_query::Expr::value(true))
        .filter(plan::Column::Id.eq(id))
        .exec(db)
        .await?;
    let after = get(db, id).await?;
    record::audited_update::<plan::Entity>(
        db,
        Actor::System,
        AuditAction::PlanUpdate,
        &before,
        &after,
        now,
    )
    .await?;
    Ok(after)
}

/// Deletes a plan with its tasks (the audit trail keeps the plan's last state).
///
/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing plan (or a record it names);
/// CONFLICT while other records still refer to it; INTERNAL on database errors.
pub async fn delete(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<plan::Model> {
    viewer.require_office()?;
    let before = get(db, id).await?;
    record::delete::<plan::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::PlanDelete,
        before,
        now,
    )
    .await
}
