//! Evaluation schemes (考核方案): the shipped ones, saving, lookup.

use super::*;
#[allow(clippy::wildcard_imports)]
use crate::auth::Actor;

/// Stores the shipped schemes (agency-performance, jianwu-jiangtan-index) if absent.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn ensure_seed_schemes(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<()> {
    for json in [
        core::AGENCY_PERFORMANCE_JSON,
        core::JIANWU_JIANGTAN_INDEX_JSON,
    ] {
        let scheme = Scheme::from_json(json)?;
        let exists = evaluation_scheme::Entity::find()
            .filter(evaluation_scheme::Column::Name.eq(&scheme.name))
            .one(db)
            .await?
            .is_some();
        if !exists {
            insert_scheme(db, Actor::System, &scheme, now).await?;
        }
    }
    Ok(())
}

pub(super) async fn insert_scheme(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    scheme: &Scheme,
    now: DateTime<Utc>,
) -> AppResult<evaluation_scheme::Model> {
    let model = evaluation_scheme::ActiveModel {
        name: Set(scheme.name.clone()),
        title: Set(scheme.title.clone()),
        definition: Set(serde_json::to_value(scheme).map_err(AppError::internal)?),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        viewer,
        Change::created(
            AuditAction::EvaluationSchemeCreate,
            "evaluation_scheme",
            model.id,
            &model,
        ),
        now,
    )
    .await?;
    Ok(model)
}

/// Creates or replaces (by name) a scheme from its JSON. Office only.
///
/// # Errors
/// FORBIDDEN for other roles; INVALID_INPUT when the JSON or the scheme is invalid (weights
/// of siblings not summing to 1, cycles, unknown parents …) — nothing is written then.
pub async fn save_scheme(
    db: &impl ConnectionTrait,
    viewer: Actor<'_>,
    json: &str,
    now: DateTime<Utc>,
) -> AppResult<evaluation_scheme::Model> {
    if let Actor::User(v) = viewer {
        v.require_office()?;
    }
    if json.len() > 1_000_000 {
        return Err(AppError::invalid("scheme JSON is too large"));
    }
    let scheme = Scheme::from_json(json)?;
    let existing = evaluation_scheme::Entity::find()
        .filter(evaluation_scheme::Column::Name.eq(&scheme.name))
        .one(db)
        .await?;
    let Some(existing) = existing else {
        return insert_scheme(db, viewer, &scheme, now).await;
    };
    let before = snapshot(&existing);
    let mut am = existing.into_active_model();
    am.title = Set(scheme.title.clone());
    am.definition = Set(serde_json::to_value(&scheme).map_err(AppError::internal)?);
    am.updated_at = Set(now);
    let model = am.update(db).await?;
    audit::record(
        db,
        viewer,
        Change {
            action: AuditAction::EvaluationSchemeUpdate,
            entity: "evaluation_scheme",
            entity_id: model.id,
            before: Some(before),
            after: Some(snapshot(&model)),
        },
        now,
    )
    .await?;
    Ok(model)
}

/// Parses a stored scheme.
///
/// # Errors
/// INTERNAL on database errors.
pub fn parse_scheme(model: &evaluation_scheme::Model) -> AppResult<Scheme> {
    let scheme: Scheme =
        serde_json::from_value(model.definition.clone()).map_err(AppError::internal)?;
    Ok(scheme)
}

/// The scheme with this name.
///
/// # Errors
/// NOT_FOUND when there is none.
pub async fn scheme_by_name(
    db: &impl ConnectionTrait,
    name: &str,
) -> AppResult<(evaluation_scheme::Model, Scheme)> {
    let model = evaluation_scheme::Entity::find()
        .filter(evaluation_scheme::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation scheme", name))?;
    let scheme = parse_scheme(&model)?;
    Ok((model, scheme))
}

/// # Errors
/// NOT_FOUND for a missing evaluation scheme (or a record it names); INTERNAL on database
/// errors.
pub async fn scheme_by_id(
    db: &impl ConnectionTrait,
    id: i64,
) -> AppResult<(evaluation_scheme::Model, Scheme)> {
    let model = evaluation_scheme::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("evaluation scheme", id))?;
    let scheme = parse_scheme(&model)?;
    Ok((model, scheme))
}

/// # Errors
/// INTERNAL on database errors.
pub async fn list_schemes(db: &impl ConnectionTrait) -> AppResult<Vec<evaluation_scheme::Model>> {
    Ok(evaluation_scheme::Entity::find()
        .order_by_asc(evaluation_scheme::Column::Name)
        .all(db)
        .await?)
}
