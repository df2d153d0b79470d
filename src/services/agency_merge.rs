//! Merging a duplicate agency into another (合并单位). One use case that asks each area to
//! move its own rows, in one transaction (the caller's), so that no area has to know the
//! others: agencies, assignments (tasks), users, progress reports, extension requests and
//! the evaluation each provide a step.

use chrono::{DateTime, Utc};
use entity::agency;
use sea_orm::ConnectionTrait;

use super::audit::{self, Change};
use super::{agencies, evaluation, extensions, progress, snapshot, tasks, users};
use crate::auth::Actor;
use crate::auth::Viewer;
use crate::domain::AuditAction;
use crate::error::AppResult;

/// Merges `source` into `target`: every assignment, contact, user, report and extension
/// request moves over, the source's names become aliases of the target, and the source is
/// deleted. Assignments the target already holds in the same role are not duplicated.
/// Returns the target as it is afterwards.
///
/// # Errors
/// FORBIDDEN for non-office viewers; NOT_FOUND for a missing agency; INVALID_INPUT for a
/// merge into itself or into the source's subtree; CONFLICT when the source has published
/// evaluation results ([`evaluation::reassign_agency`]).
pub async fn merge(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    source_id: i64,
    target_id: i64,
    now: DateTime<Utc>,
) -> AppResult<agency::Model> {
    viewer.require_office()?;
    let (source, target) = agencies::check_merge(db, source_id, target_id).await?;
    let dropped = tasks::move_assignments(db, source_id, target_id).await?;
    agencies::move_contacts(db, source_id, target_id).await?;
    users::move_agency(db, source_id, target_id).await?;
    progress::move_agency(db, source_id, target_id).await?;
    extensions::move_agency(db, source_id, target_id).await?;
    agencies::move_children(db, source_id, target_id).await?;
    // Evaluation rows follow the agency (refused if it has published results).
    evaluation::reassign_agency(db, source_id, target_id).await?;
    let after = agencies::absorb(db, &source, &target, now).await?;
    audit::record(
        db,
        Actor::User(viewer),
        Change {
            action: AuditAction::AgencyMerge,
            entity: "agency",
            entity_id: target_id,
            before: Some(serde_json::json!({
                "source": snapshot(&source),
                "target": snapshot(&target),
                "dropped_duplicate_assignments": dropped,
            })),
            after: Some(snapshot(&after)),
        },
        now,
    )
    .await?;
    Ok(after)
}
