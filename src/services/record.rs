//! The services' write skeleton, written once: find a row by id (or NOT_FOUND), insert,
//! update or delete it, and append the audit event in the same transaction. Each service
//! keeps only what differs — its validation, its authorisation and the fields it sets.
//!
//! The functions are generic over the sea-orm entity; [`Audited`] says how a table is named
//! in the audit trail and in a NOT_FOUND message.

use chrono::{DateTime, Utc};
use entity::{
    agency, assignment, attachment, contact, evaluation_scheme, extension_request,
    manual_adjustment, plan, progress_report, target, task, user,
};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    IntoActiveModel, PrimaryKeyTrait, QueryFilter,
};
use serde::Serialize;

use super::audit::{self, Change};
use crate::auth::Actor;
use crate::domain::AuditAction;
use crate::error::{AppError, AppResult};

/// A table whose rows the services write and audit, keyed by an `i64` id.
pub trait Audited:
    EntityTrait<Model: Serialize + Sync, PrimaryKey: PrimaryKeyTrait<ValueType = i64>>
{
    /// The `entity` column of its audit events.
    const ENTITY: &'static str;
    /// What a NOT_FOUND message calls it.
    const LABEL: &'static str = Self::ENTITY;
    /// The row's id.
    fn id(model: &Self::Model) -> i64;
}

/// One impl per audited table: the audit name and, where it reads differently, the label.
macro_rules! audited {
    ($($table:ident => $name:literal $(as $label:literal)?),* $(,)?) => {$(
        impl Audited for $table::Entity {
            const ENTITY: &'static str = $name;
            $(const LABEL: &'static str = $label;)?
            fn id(model: &$table::Model) -> i64 {
                model.id
            }
        }
    )*};
}

audited! {
    agency => "agency",
    assignment => "assignment",
    attachment => "attachment",
    contact => "contact",
    evaluation_scheme => "evaluation_scheme",
    extension_request => "extension_request" as "extension request",
    manual_adjustment => "manual_adjustment",
    plan => "plan",
    progress_report => "progress_report",
    target => "target",
    task => "task",
    user => "user",
}

/// The row `id` of table `E`.
///
/// # Errors
/// NOT_FOUND naming the table's label; a database error as INTERNAL.
pub async fn find<E: Audited>(db: &impl ConnectionTrait, id: i64) -> AppResult<E::Model> {
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(E::LABEL, id))
}

/// Inserts `row` and audits its creation under `action`.
///
/// # Errors
/// A constraint violation or database error (classified by [`AppError`]).
pub async fn insert<A>(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: AuditAction,
    row: A,
    now: DateTime<Utc>,
) -> AppResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait<Entity: Audited> + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let model = row.insert(db).await?;
    let change = Change::created(action, A::Entity::ENTITY, A::Entity::id(&model), &model);
    audit::record(db, actor, change, now).await?;
    Ok(model)
}

/// Saves the changed fields of `row` (read as `before`) and audits before and after.
///
/// # Errors
/// A constraint violation or database error (classified by [`AppError`]).
pub async fn update<A>(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: AuditAction,
    before: &<A::Entity as EntityTrait>::Model,
    row: A,
    now: DateTime<Utc>,
) -> AppResult<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait<Entity: Audited> + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let after = row.update(db).await?;
    audited_update::<A::Entity>(db, actor, action, before, &after, now).await?;
    Ok(after)
}

/// Audits a change already written (by an optimistic-lock `UPDATE … WHERE version = ?`).
///
/// # Errors
/// A database error writing the audit event.
pub async fn audited_update<E>(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: AuditAction,
    before: &E::Model,
    after: &E::Model,
    now: DateTime<Utc>,
) -> AppResult<()>
where
    E: Audited,
{
    let change = Change::updated(action, E::ENTITY, E::id(before), before, after);
    audit::record(db, actor, change, now).await
}

/// Deletes the row read as `before` and audits its last state; returns it.
///
/// # Errors
/// CONFLICT when other rows still refer to it (a foreign key); a database error as INTERNAL.
pub async fn delete<E>(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: AuditAction,
    before: E::Model,
    now: DateTime<Utc>,
) -> AppResult<E::Model>
where
    E: Audited,
{
    let id = E::id(&before);
    E::delete_by_id(id).exec(db).await?;
    let change = Change::deleted(action, E::ENTITY, id, &before);
    audit::record(db, actor, change, now).await?;
    Ok(before)
}

/// A table written under an optimistic lock: every write bumps `version`.
pub trait Versioned: Audited {
    const ID: Self::Column;
    const VERSION: Self::Column;
}

impl Versioned for plan::Entity {
    const ID: plan::Column = plan::Column::Id;
    const VERSION: plan::Column = plan::Column::Version;
}

impl Versioned for task::Entity {
    const ID: task::Column = task::Column::Id;
    const VERSION: task::Column = task::Column::Version;
}

/// Applies `changes` to row `id` only while it is still at `version`, bumping the version.
/// The check and the write are one `UPDATE … WHERE id = ? AND version = ?`, so of two
/// concurrent writers exactly one wins, on SQLite and PostgreSQL alike. Returns the row as
/// written, or `None` when another writer got in first (the caller says CONFLICT or retries).
///
/// # Errors
/// A constraint violation or database error (classified by [`AppError`]).
pub async fn update_if_version<E: Versioned>(
    db: &impl ConnectionTrait,
    id: i64,
    version: i32,
    changes: E::ActiveModel,
) -> AppResult<Option<E::Model>> {
    let res = E::update_many()
        .set(changes)
        .col_expr(E::VERSION, Expr::col(E::VERSION).add(1))
        .filter(E::ID.eq(id))
        .filter(E::VERSION.eq(version))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Ok(None);
    }
    find::<E>(db, id).await.map(Some)
}
