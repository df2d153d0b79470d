//! The evaluation's step of an agency merge (see `services::agency_merge`).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Moves the evaluation rows of agency `source_id` to `target_id`, for a merge of the two
/// agencies (call it inside the merge's write transaction, before the source is deleted).
///
/// - Published results never change: if the source has a result in any published revision
///   the merge is refused with CONFLICT, and nothing is written.
/// - Results in unpublished (draft / computed) revisions move to the target, except where
///   the target already has a result in that revision (the source's is then dropped); those
///   revisions, and any whose subject list names the source, go back to `draft` with the
///   source replaced by the target in their subjects, so they must be recomputed (from the
///   merged record) before they can be published.
/// - Indicator values (as subject and as data source), manual scores and manual adjustments
///   move to the target; where the target already has a value or score for the same year,
///   scheme and criterion, the target's is kept and the source's is dropped.
///
/// On PostgreSQL the revisions holding the source's results are locked (`FOR UPDATE`), so a
/// concurrent publish either commits first (and the merge is refused) or waits for the merge.
///
/// # Errors
/// CONFLICT if the source has published results; INVALID_INPUT if source == target.
pub async fn reassign_agency(
    db: &impl ConnectionTrait,
    source_id: i64,
    target_id: i64,
) -> AppResult<()> {
    if source_id == target_id {
        return Err(AppError::invalid("cannot merge an agency into itself"));
    }
    // Revisions holding a result of the source, locked against a concurrent publish.
    let eval_ids: Vec<i64> = evaluation_result::Entity::find()
        .select_only()
        .column(evaluation_result::Column::EvaluationId)
        .filter(evaluation_result::Column::AgencyId.eq(source_id))
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let with_results = if eval_ids.is_empty() {
        Vec::new()
    } else {
        evaluation::Entity::find()
            .filter(evaluation::Column::Id.is_in(eval_ids))
            .order_by_asc(evaluation::Column::Id)
            .lock_exclusive()
            .all(db)
            .await?
    };
    if let Some(p) = with_results
        .iter()
        .find(|e| status_of(&e) == EvaluationStatus::Published)
    {
        return Err(AppError::Conflict(format!(
            "agency {source_id} has published evaluation results ({} revision {}); merge refused",
            p.year, p.revision
        )));
    }

    // Results in unpublished revisions: move, or drop where the target already has one.
    for e in &with_results {
        let target_has = evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(e.id))
            .filter(evaluation_result::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if target_has {
            evaluation_result::Entity::delete_many()
                .filter(evaluation_result::Column::EvaluationId.eq(e.id))
                .filter(evaluation_result::Column::AgencyId.eq(source_id))
                .exec(db)
                .await?;
        } else {
            evaluation_result::Entity::update_many()
                .col_expr(evaluation_result::Column::AgencyId, Expr::value(target_id))
                .filter(evaluation_result::Column::EvaluationId.eq(e.id))
                .filter(evaluation_result::Column::AgencyId.eq(source_id))
                .exec(db)
                .await?;
        }
    }
    // Unpublished revisions touched by the merge go back to draft, with the source replaced
    // by the target in their subjects.
    let touched: HashSet<i64> = with_results.iter().map(|e| e.id).collect();
    for e in evaluation::Entity::find()
        .filter(evaluation::Column::Status.ne(EvaluationStatus::Published.as_str()))
        .all(db)
        .await?
    {
        let subjects: Vec<i64> = serde_json::from_value(e.subjects.clone()).unwrap_or_default();
        let names_source = subjects.contains(&source_id);
        if !names_source && !touched.contains(&e.id) {
            continue;
        }
        let mut seen = HashSet::new();
        let subjects: Vec<i64> = subjects
            .into_iter()
            .map(|a| if a == source_id { target_id } else { a })
            .filter(|a| seen.insert(*a))
            .collect();
        evaluation::Entity::update_many()
            .col_expr(
                evaluation::Column::Status,
                Expr::value(EvaluationStatus::Draft.as_str()),
            )
            .col_expr(
                evaluation::Column::Subjects,
                Expr::value(serde_json::json!(subjects)),
            )
            .filter(evaluation::Column::Id.eq(e.id))
            .filter(evaluation::Column::Status.ne(EvaluationStatus::Published.as_str()))
            .exec(db)
            .await?;
    }

    // Indicator values about the source: the target's own value for the same key wins.
    for v in indicator_value::Entity::find()
        .filter(indicator_value::Column::AgencyId.eq(source_id))
        .all(db)
        .await?
    {
        let clash = indicator_value::Entity::find()
            .filter(indicator_value::Column::Year.eq(v.year))
            .filter(indicator_value::Column::SchemeId.eq(v.scheme_id))
            .filter(indicator_value::Column::CriterionKey.eq(&v.criterion_key))
            .filter(indicator_value::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if clash {
            indicator_value::Entity::delete_by_id(v.id).exec(db).await?;
        } else {
            indicator_value::Entity::update_many()
                .col_expr(indicator_value::Column::AgencyId, Expr::value(target_id))
                .filter(indicator_value::Column::Id.eq(v.id))
                .exec(db)
                .await?;
        }
    }
    // Values the source supplied as data source.
    indicator_value::Entity::update_many()
        .col_expr(
            indicator_value::Column::SourceAgencyId,
            Expr::value(target_id),
        )
        .filter(indicator_value::Column::SourceAgencyId.eq(source_id))
        .exec(db)
        .await?;

    // Manual scores: the target's own score for the same key wins.
    for m in manual_score::Entity::find()
        .filter(manual_score::Column::AgencyId.eq(source_id))
        .all(db)
        .await?
    {
        let clash = manual_score::Entity::find()
            .filter(manual_score::Column::Year.eq(m.year))
            .filter(manual_score::Column::SchemeId.eq(m.scheme_id))
            .filter(manual_score::Column::CriterionKey.eq(&m.criterion_key))
            .filter(manual_score::Column::AgencyId.eq(target_id))
            .one(db)
            .await?
            .is_some();
        if clash {
            manual_score::Entity::delete_by_id(m.id).exec(db).await?;
        } else {
            manual_score::Entity::update_many()
                .col_expr(manual_score::Column::AgencyId, Expr::value(target_id))
                .filter(manual_score::Column::Id.eq(m.id))
                .exec(db)
                .await?;
        }
    }

    // Manual adjustments have no unique key: all move.
    manual_adjustment::Entity::update_many()
        .col_expr(manual_adjustment::Column::AgencyId, Expr::value(target_id))
        .filter(manual_adjustment::Column::AgencyId.eq(source_id))
        .exec(db)
        .await?;
    Ok(())
}
