//! Compute, publish, correct: the life of a revision.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

/// Computes (or recomputes) the year under a scheme: creates revision 1 as a draft if there
/// is none, then stores one result per subject and marks it computed. Manual inputs are
/// kept. `subjects` (agency ids) defaults to those of the previous computation, else to the
/// scheme's default subjects. `Actor::System` is the command line.
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND for an unknown scheme or agency; INVALID_INPUT for a
/// bad year, no subjects or invalid inputs; INVALID_TRANSITION when published.
pub async fn compute(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    year: i32,
    scheme_name: Option<&str>,
    subjects: Option<Vec<i64>>,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, scheme_name.unwrap_or(DEFAULT_SCHEME)).await?;
    let existing = latest_revision(db, year, scheme_model.id).await?;
    if let Some(e) = &existing
        && status_of(&e) == EvaluationStatus::Published
    {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) is published; its results never change — correct it to recompute",
            e.revision
        )));
    }
    let stored: Vec<i64> = existing
        .as_ref()
        .and_then(|e| serde_json::from_value(e.subjects.clone()).ok())
        .unwrap_or_default();
    let subject_ids = match subjects {
        Some(ids) => {
            if ids.len() > 1000 {
                return Err(AppError::invalid("too many subjects"));
            }
            let mut seen = HashSet::new();
            ids.into_iter().filter(|i| seen.insert(*i)).collect()
        }
        None => stored,
    };
    let agencies = if subject_ids.is_empty() {
        default_subjects(db, &scheme, year).await?
    } else {
        let mut v = Vec::new();
        for id in &subject_ids {
            v.push(agency_exists(db, *id).await?);
        }
        v
    };
    if agencies.is_empty() {
        return Err(AppError::invalid(format!(
            "no subjects to evaluate: no agency has a task relevant to {year}"
        )));
    }
    let cal = crate::services::calendar::load_calendar(db).await?;
    let mut inputs = Vec::with_capacity(agencies.len());
    for a in &agencies {
        inputs.push(subject_input(db, year, scheme_model.id, a, &cal).await?);
    }
    let results = core::evaluate(&scheme, &inputs)?;

    let eval = match existing {
        Some(e) => e,
        None => {
            evaluation::ActiveModel {
                year: Set(year),
                scheme_id: Set(scheme_model.id),
                status: Set(EvaluationStatus::Draft.as_str().into()),
                revision: Set(1),
                supersedes_id: Set(None),
                subjects: Set(serde_json::json!([])),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let before = snapshot(&eval);
    // The transition first, conditional on the row as it is now: if a publish committed
    // since the check above, nothing is written. On PostgreSQL this also locks the row, so a
    // concurrent publish waits until the new results are committed.
    let moved = evaluation::Entity::update_many()
        .col_expr(
            evaluation::Column::Status,
            Expr::value(EvaluationStatus::Computed.as_str()),
        )
        .col_expr(
            evaluation::Column::Subjects,
            Expr::value(serde_json::json!(subject_ids)),
        )
        .col_expr(evaluation::Column::ComputedAt, Expr::value(Some(now)))
        .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
        .filter(evaluation::Column::Id.eq(eval.id))
        .filter(evaluation::Column::Status.ne(EvaluationStatus::Published.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::InvalidTransition(format!(
            "the {year} evaluation (revision {}) was published meanwhile; its results never change — correct it to recompute",
            eval.revision
        )));
    }
    evaluation_result::Entity::delete_many()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .exec(db)
        .await?;
    // A correction keeps the leaders named by the revision it corrects.
    let mut leaders = HashMap::new();
    if let Some(prev) = eval.supersedes_id {
        for r in evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(prev))
            .all(db)
            .await?
        {
            leaders.insert(r.agency_id, r.leaders);
        }
    }
    store_results(db, eval.id, &results, &leaders).await?;
    let eval = get(db, eval.id).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationCompute,
            entity: "evaluation",
            entity_id: eval.id,
            before: Some(before),
            after: Some(serde_json::json!({
                "evaluation": snapshot(&eval),
                "results": results.iter().map(|r| serde_json::json!({
                    "agency_id": r.subject_id, "score": core::round2(r.score),
                    "grade": r.grade, "rank": r.rank, "vetoed": r.vetoed,
                })).collect::<Vec<_>>(),
            })),
        },
        now,
    )
    .await?;
    Ok(eval)
}

/// Stores the results of a revision; `leaders` (by agency) are those carried over from
/// the revision a correction supersedes.
pub(super) async fn store_results(
    db: &impl ConnectionTrait,
    evaluation_id: i64,
    results: &[SubjectResult],
    leaders: &HashMap<i64, serde_json::Value>,
) -> AppResult<()> {
    for r in results {
        evaluation_result::ActiveModel {
            evaluation_id: Set(evaluation_id),
            agency_id: Set(r.subject_id),
            subject_name: Set(r.subject_name.clone()),
            score: Set(r.score),
            grade: Set(r.grade.clone()),
            rank: Set(r.rank as i32),
            vetoed: Set(r.vetoed),
            breakdown: Set(serde_json::to_value(r).map_err(AppError::internal)?),
            leaders: Set(leaders
                .get(&r.subject_id)
                .cloned()
                .unwrap_or_else(|| serde_json::json!([]))),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A leader of an agency at publication (领导班子).
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Leader {
    pub name: String,
    pub email: String,
    /// head (主要负责人) / deputy (分管负责人)
    pub role: String,
}

/// Publishes a computed revision: results are frozen and the agencies' leaders (contacts
/// with role head or deputy) are recorded with each result — except in a correction, whose
/// results keep the leaders of the revision it corrects (new subjects get today's).
///
/// A revision whose inputs changed after it was computed is back in `draft` (see
/// [`ensure_writable`]) and is refused: recompute it first.
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND; INVALID_TRANSITION unless the revision is computed.
pub async fn publish(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let eval = get(db, id).await?;
    if status_of(&eval) != EvaluationStatus::Computed {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} is {}; only a computed evaluation can be published{}",
            eval.status,
            if status_of(&eval) == EvaluationStatus::Draft && eval.computed_at.is_some() {
                " (its inputs changed after it was computed: recompute it first)"
            } else {
                ""
            }
        )));
    }
    // The transition first, conditional on the status still being computed (a concurrent
    // publish or correction loses here); on PostgreSQL the row stays locked until commit, so
    // a concurrent compute or input write waits and then sees it published.
    let moved = evaluation::Entity::update_many()
        .col_expr(
            evaluation::Column::Status,
            Expr::value(EvaluationStatus::Published.as_str()),
        )
        .col_expr(evaluation::Column::PublishedAt, Expr::value(Some(now)))
        .col_expr(
            evaluation::Column::PublishedBy,
            Expr::value(viewer.user().map(|v| v.user_id)),
        )
        .col_expr(
            evaluation::Column::PublishedByName,
            Expr::value(Some(
                viewer
                    .user()
                    .map_or_else(|| "system".to_string(), |v| v.actor_name()),
            )),
        )
        .col_expr(evaluation::Column::UpdatedAt, Expr::value(now))
        .filter(evaluation::Column::Id.eq(id))
        .filter(evaluation::Column::Status.eq(EvaluationStatus::Computed.as_str()))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} changed meanwhile; only a computed evaluation can be published"
        )));
    }
    let results = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(id))
        .all(db)
        .await?;
    for r in results {
        // A correction carries the leaders of the revision it corrects: they are the ones
        // the year's result is about, whoever holds the post now.
        if r.leaders.as_array().is_some_and(|l| !l.is_empty()) {
            continue;
        }
        let leaders: Vec<Leader> = contact::Entity::find()
            .filter(contact::Column::AgencyId.eq(r.agency_id))
            .filter(contact::Column::Role.is_in(["head", "deputy"]))
            .order_by_asc(contact::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .map(|c| Leader {
                name: c.name,
                email: c.email,
                role: c.role,
            })
            .collect();
        let mut am = r.into_active_model();
        am.leaders = Set(serde_json::to_value(leaders).map_err(AppError::internal)?);
        am.update(db).await?;
    }
    let before = snapshot(&eval);
    let eval = get(db, id).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationPublish,
            entity: "evaluation",
            entity_id: eval.id,
            before: Some(before),
            after: Some(snapshot(&eval)),
        },
        now,
    )
    .await?;
    Ok(eval)
}

/// Corrects a published revision: creates the next revision (computed, with a copy of the
/// results and of the leaders they name) recording who, when and why; the published one
/// stays readable and unchanged.
/// Change inputs and recompute the new revision, then publish it.
///
/// # Errors
/// FORBIDDEN unless office; NOT_FOUND; INVALID_INPUT for an empty reason;
/// INVALID_TRANSITION unless it is the latest revision and published.
pub async fn correct(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<evaluation::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    let eval = get(db, id).await?;
    if status_of(&eval) != EvaluationStatus::Published {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} is {}; only a published evaluation is corrected (recompute a draft instead)",
            eval.status
        )));
    }
    let latest = latest_revision(db, eval.year, eval.scheme_id)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation", id))?;
    if latest.id != eval.id {
        return Err(AppError::InvalidTransition(format!(
            "evaluation {id} was already corrected by revision {}",
            latest.revision
        )));
    }
    let next = evaluation::ActiveModel {
        year: Set(eval.year),
        scheme_id: Set(eval.scheme_id),
        status: Set(EvaluationStatus::Computed.as_str().into()),
        revision: Set(eval.revision + 1),
        supersedes_id: Set(Some(eval.id)),
        subjects: Set(eval.subjects.clone()),
        computed_at: Set(eval.computed_at),
        correction_reason: Set(Some(reason)),
        corrected_by: Set(viewer.user().map(|v| v.user_id)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    for r in evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .order_by_asc(evaluation_result::Column::Id)
        .all(db)
        .await?
    {
        evaluation_result::ActiveModel {
            evaluation_id: Set(next.id),
            agency_id: Set(r.agency_id),
            subject_name: Set(r.subject_name),
            score: Set(r.score),
            grade: Set(r.grade),
            rank: Set(r.rank),
            vetoed: Set(r.vetoed),
            breakdown: Set(r.breakdown),
            leaders: Set(r.leaders),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    audit::record(
        db,
        viewer,
        Change::updated(
            AuditAction::EvaluationCorrect,
            "evaluation",
            next.id,
            &eval,
            &next,
        ),
        now,
    )
    .await?;
    Ok(next)
}
