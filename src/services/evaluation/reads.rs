//! Reads: results of a revision and a leader's history.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

/// Results of one revision in rank order; agency staff see only their own agency's, and
/// only in a published revision.
///
/// # Errors
/// NOT_FOUND for a missing record (or a record it names); INTERNAL on database errors.
pub async fn results(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    evaluation_id: i64,
) -> AppResult<Vec<evaluation_result::Model>> {
    let mut q = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(evaluation_id));
    if !viewer.can_read_all() {
        let own = viewer.require_agency_staff()?;
        // Staff read their agency's result once it is published, never a draft's or a
        // computed revision's (those may still change).
        if status_of(&get(db, evaluation_id).await?) != EvaluationStatus::Published {
            return Ok(Vec::new());
        }
        q = q.filter(evaluation_result::Column::AgencyId.eq(own));
    }
    Ok(q.order_by_asc(evaluation_result::Column::Rank)
        .order_by_asc(evaluation_result::Column::AgencyId)
        .all(db)
        .await?)
}

/// One line of a leader's history: the result of their agency in a published evaluation.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderHistoryEntry {
    pub leader: Leader,
    pub evaluation: evaluation::Model,
    pub result: evaluation_result::Model,
}

/// A leader's results across years, by contact email (case-insensitive) or name, from the
/// leader snapshots of published evaluations; per year and scheme only the latest published
/// revision counts. Agency staff see only entries of their own agency.
///
/// # Errors
/// INVALID_INPUT without an email or a name.
pub async fn leader_history(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    email: Option<&str>,
    name: Option<&str>,
) -> AppResult<Vec<LeaderHistoryEntry>> {
    let email = email
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let name = name.map(str::trim).filter(|s| !s.is_empty());
    if email.is_none() && name.is_none() {
        return Err(AppError::invalid("give a leader's email or name"));
    }
    let own = if viewer.can_read_all() {
        None
    } else {
        Some(viewer.require_agency_staff()?)
    };
    let published = evaluation::Entity::find()
        .filter(evaluation::Column::Status.eq(EvaluationStatus::Published.as_str()))
        .order_by_asc(evaluation::Column::Year)
        .order_by_asc(evaluation::Column::Revision)
        .all(db)
        .await?;
    // Latest published revision per (year, scheme).
    let mut latest: BTreeMap<(i32, i64), evaluation::Model> = BTreeMap::new();
    for e in published {
        latest.insert((e.year, e.scheme_id), e);
    }
    let mut out = Vec::new();
    for e in latest.into_values() {
        for r in evaluation_result::Entity::find()
            .filter(evaluation_result::Column::EvaluationId.eq(e.id))
            .order_by_asc(evaluation_result::Column::Rank)
            .all(db)
            .await?
        {
            if own.is_some_and(|a| a != r.agency_id) {
                continue;
            }
            let leaders: Vec<Leader> =
                serde_json::from_value(r.leaders.clone()).unwrap_or_default();
            if let Some(l) = leaders.into_iter().find(|l| {
                email
                    .as_deref()
                    .is_some_and(|m| l.email.to_lowercase() == m)
                    || name.is_some_and(|n| l.name == n)
            }) {
                out.push(LeaderHistoryEntry {
                    leader: l,
                    evaluation: e.clone(),
                    result: r,
                });
            }
        }
    }
    Ok(out)
}

/// Year of a timestamp in China time (for defaults such as "last year").
pub fn local_year(at: DateTime<Utc>) -> i32 {
    china_day(at).year()
}

/// Settles a year for `duban evaluate`: computes it under `scheme` (the default when `None`)
/// unless its latest revision is published, and publishes it with `publish_it`. Returns the
/// scheme, the revision and its results in rank order, as report rows.
///
/// # Errors
/// Those of [`compute`] and [`publish`]; NOT_FOUND for an unknown scheme.
pub async fn settle_year(
    db: &crate::db::Db,
    year: i32,
    scheme: Option<&str>,
    publish_it: bool,
    now: DateTime<Utc>,
) -> AppResult<(
    evaluation_scheme::Model,
    evaluation::Model,
    Vec<crate::evaluation::report::Row>,
)> {
    use crate::evaluation::report::Row;
    let name = scheme.unwrap_or(DEFAULT_SCHEME);
    let tx = db.write().await?;
    ensure_seed_schemes(&*tx, now).await?;
    let (scheme_model, _) = scheme_by_name(&*tx, name).await?;
    let mut eval = match latest_revision(&*tx, year, scheme_model.id).await? {
        Some(e) if status_of(&e) == EvaluationStatus::Published => {
            eprintln!(
                "the {year} evaluation (revision {}) is published: showing it unchanged",
                e.revision
            );
            e
        }
        _ => compute(&*tx, Actor::System, year, Some(name), None, now).await?,
    };
    if publish_it && status_of(&eval) != EvaluationStatus::Published {
        eval = publish(&*tx, Actor::System, eval.id, now).await?;
    }
    let rows: Vec<Row> = evaluation_result::Entity::find()
        .filter(evaluation_result::Column::EvaluationId.eq(eval.id))
        .order_by_asc(evaluation_result::Column::Rank)
        .order_by_asc(evaluation_result::Column::AgencyId)
        .all(&*tx)
        .await?
        .into_iter()
        .map(|r| Row {
            rank: r.rank.max(0) as u32,
            agency_id: r.agency_id,
            subject: r.subject_name,
            score: core::round2(r.score),
            grade: r.grade,
            vetoed: r.vetoed,
            breakdown: r.breakdown,
        })
        .collect();
    tx.commit().await?;
    Ok((scheme_model, eval, rows))
}
