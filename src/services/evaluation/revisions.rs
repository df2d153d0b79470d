//! Evaluation revisions and the "published never changes" rule.

#[allow(clippy::wildcard_imports)]
use super::*;

/// The latest revision for a year and scheme, if any.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn latest_revision(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
) -> AppResult<Option<evaluation::Model>> {
    Ok(evaluation::Entity::find()
        .filter(evaluation::Column::Year.eq(year))
        .filter(evaluation::Column::SchemeId.eq(scheme_id))
        .order_by_desc(evaluation::Column::Revision)
        .one(db)
        .await?)
}

/// Inputs of a year and scheme can change only while its latest revision is unpublished.
/// A change to an input of a *computed* revision sends it back to `draft`: its stored results
/// no longer follow from its inputs, so it must be recomputed before it can be published.
///
/// The latest revision is read with a row lock (`SELECT … FOR UPDATE` on PostgreSQL; SQLite
/// writers are serialised by `Db::write()`), so a concurrent `publish` (a conditional UPDATE
/// of that row) either commits first and is seen here, or waits until this input write has
/// committed: an input never changes under a published revision.
pub(super) async fn ensure_writable(
    db: &impl ConnectionTrait,
    year: i32,
    scheme_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let latest = evaluation::Entity::find()
        .filter(evaluation::Column::Year.eq(year))
        .filter(evaluation::Column::SchemeId.eq(scheme_id))
        .order_by_desc(evaluation::Column::Revision)
        .lock_exclusive()
        .one(db)
        .await?;
    if let Some(e) = &latest
        && status_of(&e) == EvaluationStatus::Published
    {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) is published and cannot change; correct it first",
            e.revision
        )));
    }
    if let Some(e) = latest
        && status_of(&e) == EvaluationStatus::Computed
    {
        evaluation::Entity::update_many()
            .col_expr(
                evaluation::Column::Status,
                Expr::value(EvaluationStatus::Draft.as_str()),
            )
            .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
            .filter(evaluation::Column::Id.eq(e.id))
            .filter(evaluation::Column::Status.eq(EvaluationStatus::Computed.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// # Errors
/// NOT_FOUND when there is no such evaluation; INTERNAL on database errors.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> AppResult<evaluation::Model> {
    evaluation::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation", id))
}

/// Evaluations, newest year and revision first, optionally of one year and/or scheme.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    year: Option<i32>,
    scheme_id: Option<i64>,
) -> AppResult<Vec<evaluation::Model>> {
    let mut q = evaluation::Entity::find();
    if let Some(y) = year {
        q = q.filter(evaluation::Column::Year.eq(y));
    }
    if let Some(s) = scheme_id {
        q = q.filter(evaluation::Column::SchemeId.eq(s));
    }
    Ok(q.order_by_desc(evaluation::Column::Year)
        .order_by_desc(evaluation::Column::Revision)
        .all(db)
        .await?)
}
