//! The append-only audit trail, written in the same transaction as the change it records.

use chrono::{DateTime, Utc};
use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::auth::Actor;
use crate::domain::AuditAction;
use crate::error::AppResult;

/// What happened, to which record.
pub struct Change<'a> {
    pub action: AuditAction,
    pub entity: &'a str,
    pub entity_id: i64,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    /// A record came into being.
    pub fn created<T: serde::Serialize>(
        action: AuditAction,
        entity: &'a str,
        entity_id: i64,
        after: &T,
    ) -> Self {
        Change {
            action,
            entity,
            entity_id,
            before: None,
            after: Some(super::snapshot(after)),
        }
    }

    /// A record changed from `before` to `after`.
    pub fn updated<T: serde::Serialize>(
        action: AuditAction,
        entity: &'a str,
        entity_id: i64,
        before: &T,
        after: &T,
    ) -> Self {
        Change {
            action,
            entity,
            entity_id,
            before: Some(super::snapshot(before)),
            after: Some(super::snapshot(after)),
        }
    }

    /// A record was deleted; its last state is kept.
    pub fn deleted<T: serde::Serialize>(
        action: AuditAction,
        entity: &'a str,
        entity_id: i64,
        before: &T,
    ) -> Self {
        Change {
            action,
            entity,
            entity_id,
            before: Some(super::snapshot(before)),
            after: None,
        }
    }
}

/// Records `change` by `actor` (`Actor::System` for the seeder, the command line or the worker).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> AppResult<()> {
    audit_event::ActiveModel {
        actor_id: Set(actor.user().map(|v| v.user_id)),
        actor_name: Set(actor
            .user()
            .map(|v| v.actor_name())
            .unwrap_or_else(|| "system".into())),
        action: Set(change.action.as_str().to_owned()),
        entity: Set(change.entity.to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before.map(redact)),
        after: Set(change.after.map(redact)),
        at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Password hashes never enter the audit trail.
fn redact(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(obj) = v.as_object_mut()
        && obj.contains_key("password_hash")
    {
        obj.insert(
            "password_hash".into(),
            serde_json::Value::String("[redacted]".into()),
        );
    }
    v
}

/// The history of one record, newest first, at most `limit` events.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn history(
    db: &impl ConnectionTrait,
    entity: &str,
    entity_id: i64,
    limit: u64,
) -> AppResult<Vec<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Entity.eq(entity))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}
