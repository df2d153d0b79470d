//! The database side of the reminder settings: escalation policies, document-number
//! sequences and calendar-feed tokens. (The holiday calendar is `services::calendar`.)

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{calendar_feed_token, escalation_policy};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::ladder::{Level, Policy};
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::{AuditAction, PolicyScope};
use crate::error::{AppError, AppResult};
use crate::services::audit::{self, Change};
use crate::services::{query_all, snapshot, sql};

// ------------------------------------------------------------------ policies

/// All policies in force, loaded once per sweep.
#[derive(Clone, Debug)]
pub struct Policies {
    pub global: Policy,
    pub plans: HashMap<i64, Policy>,
    pub tasks: HashMap<i64, Policy>,
}

impl Policies {
    /// The deadline ladder for a task (task override, else plan override, else global).
    pub fn for_task(&self, task_id: i64, plan_id: i64) -> &Policy {
        super::ladder::effective_policy(
            &self.global,
            self.plans.get(&plan_id),
            self.tasks.get(&task_id),
        )
    }
}

fn parse_stored(row: &escalation_policy::Model) -> AppResult<Policy> {
    Policy::from_json(&row.policy).map_err(AppError::internal)
}

/// Loads every stored policy; the global one defaults to [`Policy::default_ladder`].
///
/// # Errors
/// INTERNAL on database errors or a stored policy that no longer parses.
pub async fn load_policies(db: &impl ConnectionTrait) -> AppResult<Policies> {
    let rows = escalation_policy::Entity::find().all(db).await?;
    let mut out = Policies {
        global: Policy::default_ladder(),
        plans: HashMap::new(),
        tasks: HashMap::new(),
    };
    for row in &rows {
        let p = parse_stored(row)?;
        // A scope this release does not know (written by a newer one) is skipped.
        match PolicyScope::parse(&row.scope) {
            Ok(PolicyScope::Global) => out.global = p,
            Ok(PolicyScope::Plan) => {
                out.plans.insert(row.scope_id, p);
            }
            Ok(PolicyScope::Task) => {
                out.tasks.insert(row.scope_id, p);
            }
            Err(_) => {}
        }
    }
    Ok(out)
}

/// The stored policy of a scope, if any (None = inherits).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn stored_policy(
    db: &impl ConnectionTrait,
    scope: PolicyScope,
    scope_id: i64,
) -> AppResult<Option<Policy>> {
    let row = escalation_policy::Entity::find()
        .filter(escalation_policy::Column::Scope.eq(scope.as_str()))
        .filter(escalation_policy::Column::ScopeId.eq(scope_id))
        .one(db)
        .await?;
    row.as_ref().map(parse_stored).transpose()
}

/// Sets (or with `None` removes) the policy of a scope. Office only; audited.
///
/// # Errors
/// FORBIDDEN for non-office viewers, NOT_FOUND for an unknown plan or task.
pub async fn set_policy(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    scope: PolicyScope,
    scope_id: i64,
    policy: Option<Policy>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    viewer.require_office()?;
    match scope {
        PolicyScope::Global => {}
        PolicyScope::Plan => {
            entity::plan::Entity::find_by_id(scope_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("plan", scope_id))?;
        }
        PolicyScope::Task => {
            crate::services::tasks::get(db, scope_id).await?;
        }
    }
    let existing = escalation_policy::Entity::find()
        .filter(escalation_policy::Column::Scope.eq(scope.as_str()))
        .filter(escalation_policy::Column::ScopeId.eq(scope_id))
        .one(db)
        .await?;
    let before = existing.as_ref().map(snapshot);
    let (entity_id, after) = match (existing, policy) {
        (Some(row), None) => {
            escalation_policy::Entity::delete_by_id(row.id)
                .exec(db)
                .await?;
            (row.id, None)
        }
        (None, None) => return Ok(()),
        (Some(row), Some(p)) => {
            let mut am: escalation_policy::ActiveModel = row.into();
            am.policy = Set(p.to_json());
            am.updated_by = Set(Some(viewer.user_id));
            am.updated_at = Set(now);
            let m = am.update(db).await?;
            (m.id, Some(snapshot(&m)))
        }
        (None, Some(p)) => {
            let m = escalation_policy::ActiveModel {
                scope: Set(scope.as_str().into()),
                scope_id: Set(scope_id),
                policy: Set(p.to_json()),
                updated_by: Set(Some(viewer.user_id)),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            (m.id, Some(snapshot(&m)))
        }
    };
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: AuditAction::EscalationPolicySet,
            entity: "escalation_policy",
            entity_id,
            before,
            after,
        },
        now,
    )
    .await
}

// ------------------------------------------------------------------ document numbers

#[derive(sea_orm::FromQueryResult)]
struct N {
    n: i32,
}

/// Reserves `count` consecutive document numbers of `level` in `year`; returns the first.
///
/// Inside the caller's transaction: the row is created if missing and bumped with
/// `UPDATE … SET n = n + k … RETURNING n`, which takes the row lock on PostgreSQL, so
/// concurrent replicas get disjoint ranges (and a rolled-back sweep gives its numbers back).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn reserve_doc_numbers(
    db: &impl ConnectionTrait,
    level: Level,
    year: i32,
    count: u32,
) -> AppResult<u32> {
    let backend = db.get_database_backend();
    db.execute_raw(sql(
        backend,
        "INSERT INTO doc_sequence (kind, year, n) VALUES (?, ?, 0) ON CONFLICT (kind, year) DO NOTHING",
        vec![level.as_str().into(), year.into()],
    ))
    .await?;
    let rows: Vec<N> = query_all(
        db,
        "UPDATE doc_sequence SET n = n + ? WHERE kind = ? AND year = ? RETURNING n",
        vec![
            i32::try_from(count).unwrap_or(i32::MAX).into(),
            level.as_str().into(),
            year.into(),
        ],
    )
    .await?;
    let last = rows
        .first()
        .map(|r| r.n)
        .ok_or_else(|| AppError::internal(std::io::Error::other("doc_sequence row missing")))?;
    Ok(u32::try_from(last).unwrap_or(0) + 1 - count)
}

// ------------------------------------------------------------------ calendar feed tokens

/// The agency's feed token, created on first use.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn feed_token(
    db: &impl ConnectionTrait,
    agency_id: i64,
    now: DateTime<Utc>,
) -> AppResult<(String, bool)> {
    if let Some(row) = calendar_feed_token::Entity::find_by_id(agency_id)
        .one(db)
        .await?
    {
        return Ok((row.token, false));
    }
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    calendar_feed_token::ActiveModel {
        agency_id: Set(agency_id),
        token: Set(token.clone()),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((token, true))
}

/// [`feed_token`] for a viewer allowed to see it: the agency must exist, and creating the
/// token is audited (the URL is a credential).
///
/// # Errors
/// NOT_FOUND for an unknown agency; INTERNAL on database errors.
pub async fn agency_feed_token(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    agency_id: i64,
    now: DateTime<Utc>,
) -> AppResult<String> {
    crate::services::agencies::get(db, agency_id).await?;
    let (token, created) = feed_token(db, agency_id, now).await?;
    if created {
        audit::record(
            db,
            Actor::User(viewer),
            Change {
                action: AuditAction::CalendarFeedCreate,
                entity: "agency",
                entity_id: agency_id,
                before: None,
                after: Some(serde_json::json!({ "calendar_feed": "created" })),
            },
            now,
        )
        .await?;
    }
    Ok(token)
}

/// The agency a feed token belongs to.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn agency_for_token(db: &impl ConnectionTrait, token: &str) -> AppResult<Option<i64>> {
    Ok(calendar_feed_token::Entity::find()
        .filter(calendar_feed_token::Column::Token.eq(token))
        .order_by_asc(calendar_feed_token::Column::AgencyId)
        .one(db)
        .await?
        .map(|r| r.agency_id))
}
