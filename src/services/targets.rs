//! Quantified targets (目标/指标).

use chrono::{DateTime, Utc};
use entity::target;
use sea_orm::{ConnectionTrait, Set};

use super::record;
use super::{plans, tasks};
use crate::auth::{Actor, Viewer};
use crate::domain::AuditAction;
use crate::domain::{TargetDirection, text};
use crate::error::{AppError, AppResult};

pub struct TargetInput {
    pub plan_id: i64,
    pub task_id: Option<i64>,
    pub indicator: String,
    pub value: f64,
    pub unit: Option<String>,
    pub direction: TargetDirection,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
}

async fn validated(
    db: &impl ConnectionTrait,
    input: &TargetInput,
) -> AppResult<target::ActiveModel> {
    plans::get(db, input.plan_id).await?;
    if let Some(t) = input.task_id
        && tasks::get(db, t).await?.plan_id != input.plan_id
    {
        return Err(AppError::invalid("the task belongs to another plan"));
    }
    if !input.value.is_finite() {
        return Err(AppError::invalid("value must be a finite number"));
    }
    if let Some(y) = input.target_year
        && !(1990..=2100).contains(&y)
    {
        return Err(AppError::invalid(
            "targetYear must be between 1990 and 2100",
        ));
    }
    Ok(target::ActiveModel {
        plan_id: Set(input.plan_id),
        task_id: Set(input.task_id),
        indicator: Set(text::required("indicator", &input.indicator, text::MEDIUM)?),
        value: Set(input.value),
        unit: Set(text::optional("unit", input.unit.as_deref(), 50)?),
        direction: Set(input.direction.as_str().into()),
        target_year: Set(input.target_year),
        baseline: Set(text::optional(
            "baseline",
            input.baseline.as_deref(),
            text::SHORT,
        )?),
        ..Default::default()
    })
}

/// # Errors
/// FORBIDDEN for anyone but the office; INVALID_INPUT for input that breaks a rule (lengths,
/// ranges, references); INTERNAL on database errors.
pub async fn create(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    input: TargetInput,
    now: DateTime<Utc>,
) -> AppResult<target::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let mut am = validated(db, &input).await?;
    am.created_at = Set(now);
    record::insert(db, viewer, AuditAction::TargetCreate, am, now).await
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing target (or a record it names);
/// INVALID_INPUT for input that breaks a rule (lengths, ranges, references); INTERNAL on
/// database errors.
pub async fn update(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    input: TargetInput,
    now: DateTime<Utc>,
) -> AppResult<target::Model> {
    viewer.require_office()?;
    let before = record::find::<target::Entity>(db, id).await?;
    let mut am = validated(db, &input).await?;
    am.id = sea_orm::Unchanged(id);
    am.created_at = sea_orm::Unchanged(before.created_at);
    record::update(
        db,
        Actor::User(viewer),
        AuditAction::TargetUpdate,
        &before,
        am,
        now,
    )
    .await
}

/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND for a missing target (or a record it names);
/// CONFLICT while other records still refer to it; INTERNAL on database errors.
pub async fn delete(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<target::Model> {
    viewer.require_office()?;
    let before = record::find::<target::Entity>(db, id).await?;
    record::delete::<target::Entity>(
        db,
        Actor::User(viewer),
        AuditAction::TargetDelete,
        before,
        now,
    )
    .await
}
