//! Inputs people supply: indicator values, manual scores, manual adjustments.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

pub(super) async fn agency_exists(db: &impl ConnectionTrait, id: i64) -> AppResult<agency::Model> {
    agency::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("agency", id))
}

/// The registry agency a name in a scheme refers to: by canonical name or alias (as the
/// importer resolves names, [`crate::services::agencies::find_by_name`]), else through the
/// importer's normalised lookup (发展和改革委员会 = 发展改革委 …). `None` if unknown.
pub(super) async fn resolve_agency_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<Option<agency::Model>> {
    let name = name.trim();
    if let Some(a) = crate::services::agencies::find_by_name(db, name).await? {
        return Ok(Some(a));
    }
    let registry = crate::services::import::registry(db).await?;
    match registry.lookup(name) {
        Some(e) => crate::services::agencies::find_by_name(db, &e.name).await,
        None => Ok(None),
    }
}

/// An indicator value supplied by a data-source agency.
pub struct IndicatorInput {
    pub year: i32,
    pub scheme: String,
    pub criterion_key: String,
    /// The subject.
    pub agency_id: i64,
    pub value: f64,
    pub target: Option<f64>,
    pub note: Option<String>,
}

/// Enters (or replaces) an indicator value, in the name of the viewer's agency.
///
/// # Errors
/// FORBIDDEN unless the viewer is staff of an agency the criterion names as its data source
/// (each source name resolved through the agency registry: canonical name or alias); NOT_FOUND for an unknown scheme or subject;
/// INVALID_INPUT for a criterion that is not an indicator or a non-finite value;
/// INVALID_TRANSITION once the year's evaluation is published.
pub async fn set_indicator_value(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    input: IndicatorInput,
    now: DateTime<Utc>,
) -> AppResult<indicator_value::Model> {
    let source_id = viewer.require_agency_staff()?;
    check_year(input.year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, &input.scheme).await?;
    let Some(CriterionKind::Indicator {
        source_agencies, ..
    }) = scheme.criterion(&input.criterion_key).map(|c| &c.kind)
    else {
        return Err(AppError::invalid(format!(
            "criterion {:?} is not an indicator of scheme {}",
            input.criterion_key, scheme.name
        )));
    };
    let source = agency_exists(db, source_id).await?;
    let mut is_source = false;
    for name in source_agencies {
        if resolve_agency_name(db, name)
            .await?
            .is_some_and(|a| a.id == source_id)
        {
            is_source = true;
            break;
        }
    }
    if !is_source {
        return Err(AppError::forbidden(format!(
            "the value of {:?} is supplied by {}, not by {}",
            input.criterion_key,
            source_agencies.join("、"),
            source.name
        )));
    }
    if !input.value.is_finite() || input.target.is_some_and(|t| !t.is_finite()) {
        return Err(AppError::invalid("indicator values must be finite numbers"));
    }
    let note = crate::domain::text::optional("note", input.note.as_deref(), 2000)?;
    let subject = agency_exists(db, input.agency_id).await?;
    if subject.id == source_id {
        return Err(AppError::forbidden(format!(
            "{} cannot enter the value of {:?} about itself: an agency is never the data source of its own evaluation",
            source.name, input.criterion_key
        )));
    }
    ensure_writable(db, input.year, scheme_model.id, now).await?;
    let existing = indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(input.year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_model.id))
        .filter(indicator_value::Column::CriterionKey.eq(&input.criterion_key))
        .filter(indicator_value::Column::AgencyId.eq(input.agency_id))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let model = match existing {
        Some(m) => {
            let mut am = m.into_active_model();
            am.value = Set(input.value);
            am.target = Set(input.target);
            am.note = Set(note);
            am.entered_by = Set(viewer.user_id);
            am.source_agency_id = Set(source_id);
            am.updated_at = Set(now);
            am.update(db).await?
        }
        None => {
            indicator_value::ActiveModel {
                year: Set(input.year),
                scheme_id: Set(scheme_model.id),
                criterion_key: Set(input.criterion_key.clone()),
                agency_id: Set(input.agency_id),
                value: Set(input.value),
                target: Set(input.target),
                note: Set(note),
                entered_by: Set(viewer.user_id),
                source_agency_id: Set(source_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: AuditAction::IndicatorValueSet,
            entity: "indicator_value",
            entity_id: model.id,
            before,
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Enters (or replaces) a manual score (0–100, with a reason). Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT for a criterion that is not manual, a score
/// outside 0–100 or an empty reason; INVALID_TRANSITION once published.
#[allow(clippy::too_many_arguments)]
pub async fn set_manual_score(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_name: &str,
    agency_id: i64,
    criterion_key: &str,
    score: f64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<manual_score::Model> {
    viewer.require_office()?;
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, scheme) = scheme_by_name(db, scheme_name).await?;
    if !matches!(
        scheme.criterion(criterion_key).map(|c| &c.kind),
        Some(CriterionKind::Manual { .. })
    ) {
        return Err(AppError::invalid(format!(
            "criterion {criterion_key:?} is not scored manually in scheme {}",
            scheme.name
        )));
    }
    if !score.is_finite() || !(0.0..=100.0).contains(&score) {
        return Err(AppError::invalid(format!("score {score} must be 0–100")));
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    agency_exists(db, agency_id).await?;
    ensure_writable(db, year, scheme_model.id, now).await?;
    let existing = manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_model.id))
        .filter(manual_score::Column::AgencyId.eq(agency_id))
        .filter(manual_score::Column::CriterionKey.eq(criterion_key))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let model = match existing {
        Some(m) => {
            let mut am = m.into_active_model();
            am.score = Set(score);
            am.reason = Set(reason);
            am.entered_by = Set(viewer.user_id);
            am.updated_at = Set(now);
            am.update(db).await?
        }
        None => {
            manual_score::ActiveModel {
                year: Set(year),
                scheme_id: Set(scheme_model.id),
                agency_id: Set(agency_id),
                criterion_key: Set(criterion_key.to_owned()),
                score: Set(score),
                reason: Set(reason),
                entered_by: Set(viewer.user_id),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: AuditAction::ManualScoreSet,
            entity: "manual_score",
            entity_id: model.id,
            before,
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Adds a manual bonus (positive) or deduction (negative) with a reason. Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT for a zero, non-finite or >100 amount or an
/// empty reason; INVALID_TRANSITION once published.
#[allow(clippy::too_many_arguments)]
pub async fn add_manual_adjustment(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_name: &str,
    agency_id: i64,
    amount: f64,
    reason: &str,
    now: DateTime<Utc>,
) -> AppResult<manual_adjustment::Model> {
    viewer.require_office()?;
    check_year(year)?;
    ensure_seed_schemes(db, now).await?;
    let (scheme_model, _) = scheme_by_name(db, scheme_name).await?;
    if !amount.is_finite() || amount == 0.0 || amount.abs() > 100.0 {
        return Err(AppError::invalid(
            "an adjustment is a non-zero number of points within ±100",
        ));
    }
    let reason = crate::domain::text::required("reason", reason, 2000)?;
    agency_exists(db, agency_id).await?;
    ensure_writable(db, year, scheme_model.id, now).await?;
    let model = manual_adjustment::ActiveModel {
        year: Set(year),
        scheme_id: Set(scheme_model.id),
        agency_id: Set(agency_id),
        amount: Set(amount),
        reason: Set(reason),
        entered_by: Set(viewer.user_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Actor::User(viewer),
        Change::created(
            AuditAction::ManualAdjustmentCreate,
            "manual_adjustment",
            model.id,
            &model,
        ),
        now,
    )
    .await?;
    Ok(model)
}

/// # Errors
/// INTERNAL on database errors.
pub async fn indicator_values(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<indicator_value::Model>> {
    let mut q = indicator_value::Entity::find()
        .filter(indicator_value::Column::Year.eq(year))
        .filter(indicator_value::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        // Staff see what their agency supplied and what was supplied about it.
        use sea_orm::sea_query::ExprTrait as _;
        let own = viewer.require_agency_staff()?;
        q = q.filter(
            indicator_value::Column::AgencyId
                .eq(own)
                .or(indicator_value::Column::SourceAgencyId.eq(own)),
        );
    }
    Ok(q.order_by_asc(indicator_value::Column::Id).all(db).await?)
}

/// # Errors
/// INTERNAL on database errors.
pub async fn manual_scores(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<manual_score::Model>> {
    let mut q = manual_score::Entity::find()
        .filter(manual_score::Column::Year.eq(year))
        .filter(manual_score::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        q = q.filter(manual_score::Column::AgencyId.eq(viewer.require_agency_staff()?));
    }
    Ok(q.order_by_asc(manual_score::Column::Id).all(db).await?)
}

/// # Errors
/// INTERNAL on database errors.
pub async fn manual_adjustments(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    year: i32,
    scheme_id: i64,
) -> AppResult<Vec<manual_adjustment::Model>> {
    let mut q = manual_adjustment::Entity::find()
        .filter(manual_adjustment::Column::Year.eq(year))
        .filter(manual_adjustment::Column::SchemeId.eq(scheme_id));
    if !viewer.can_read_all() {
        q = q.filter(manual_adjustment::Column::AgencyId.eq(viewer.require_agency_staff()?));
    }
    Ok(q.order_by_asc(manual_adjustment::Column::Id)
        .all(db)
        .await?)
}
