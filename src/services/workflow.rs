//! Moving a task through its status machine (办理 → 申请办结 → 销号 …) together with what
//! goes with a move: closing a task or cancelling it decides its pending extension request.
//! Composes the tasks and extensions areas, so that neither has to call the other back.

use chrono::{DateTime, Utc};
use entity::task;
use sea_orm::ConnectionTrait;

use super::{extensions, tasks};
use crate::auth::Viewer;
use crate::domain::TaskAction;
use crate::error::AppResult;

/// Moves task `id` (at `version`) by `action`, decides its pending extension requests when
/// the move closes or cancels it, and records the move. Returns the task after it.
///
/// # Errors
/// Those of [`tasks::write_transition`] and [`extensions::close_pending`].
pub async fn transition(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
    version: i32,
    action: TaskAction,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<task::Model> {
    let t = tasks::write_transition(db, viewer, id, version, action, note, now).await?;
    if matches!(action, TaskAction::Verify | TaskAction::Cancel) {
        extensions::close_pending(db, viewer, id, action, now).await?;
    }
    tasks::record_transition(db, viewer, t, now).await
}
