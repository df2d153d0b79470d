//! Live-update events (the GraphQL subscriptions' source): the services that change a task or
//! record a supervision step call this module, and it writes a `change_event` row in the
//! caller's transaction. So an event exists exactly when its change committed — nothing that
//! rolled back is announced, nothing committed is lost — and every replica sees it, however
//! many there are: each reads the table ([`Hub`]) and serves its own WebSocket subscribers.
//! On PostgreSQL the transaction also sends `NOTIFY duban_events` as a wake-up (delivered at
//! commit, dropped on rollback); the readers poll as well, which is how SQLite works.

mod hub;

pub use hub::{Delivery, Event, Hub};

use chrono::{DateTime, Utc};
use entity::task;
use sea_orm::{ConnectionTrait, DbBackend, Value};

use super::sql;
use crate::domain::TaskChange;
use crate::error::AppResult;

/// The PostgreSQL notification channel the readers LISTEN on.
pub const CHANNEL: &str = "duban_events";

/// How many events are kept: the readers are a poll interval behind at most, so this is
/// hours of ordinary activity and minutes of a large import, at some 60 bytes a row.
pub const KEEP: i64 = 100_000;

/// What an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A task changed (its status, progress, deadline, assignments or details).
    Task,
    /// A supervision record (提醒/催办/督办/通报 …) was written for a task.
    SupervisionRecord,
}

impl EventKind {
    fn as_str(self) -> &'static str {
        match self {
            EventKind::Task => "task",
            EventKind::SupervisionRecord => "supervision_record",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "task" => Some(EventKind::Task),
            "supervision_record" => Some(EventKind::SupervisionRecord),
            _ => None,
        }
    }
}

/// What differs between two versions of a task, as live updates name it.
pub fn diff(before: &task::Model, after: &task::Model) -> Vec<TaskChange> {
    let mut out = Vec::new();
    if before.status != after.status {
        out.push(TaskChange::Status);
    }
    if before.progress != after.progress {
        out.push(TaskChange::Progress);
    }
    if before.deadline != after.deadline
        || before.deadline_precision != after.deadline_precision
        || before.original_deadline != after.original_deadline
    {
        out.push(TaskChange::Deadline);
    }
    if before.code != after.code
        || before.title != after.title
        || before.body != after.body
        || before.kind != after.kind
        || before.parent_id != after.parent_id
        || before.ongoing != after.ongoing
        || before.report_cadence != after.report_cadence
        || before.groups != after.groups
        || before.lead_undecided != after.lead_undecided
    {
        out.push(TaskChange::Details);
    }
    out
}

/// Announces a task's change from `before` (`None`: it was just created) to `after`; nothing
/// when no field a subscriber hears of changed.
///
/// # Errors
/// INTERNAL on database errors (the caller's transaction then rolls back with its change).
pub async fn task_changed(
    db: &impl ConnectionTrait,
    before: Option<&task::Model>,
    after: &task::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let changes = match before {
        None => vec![TaskChange::Created],
        Some(b) => diff(b, after),
    };
    if changes.is_empty() {
        return Ok(());
    }
    insert_task_event(db, after, &join(&changes), now).await
}

/// Announces that a task was deleted. Its assignments are gone with it, so only the office
/// and leaders hear of it (see the subscription's `may_receive`).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn task_deleted(
    db: &impl ConnectionTrait,
    task: &task::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    insert_task_event(db, task, TaskChange::Deleted.as_str(), now).await
}

/// Writes one task event (`changes` as stored: comma-separated) and wakes the readers.
async fn insert_task_event(
    db: &impl ConnectionTrait,
    task: &task::Model,
    changes: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    db.execute_raw(sql(
        db.get_database_backend(),
        "INSERT INTO change_event (kind, task_id, plan_id, record_id, changes, created_at) \
         VALUES (?, ?, ?, NULL, ?, ?)",
        vec![
            EventKind::Task.as_str().into(),
            task.id.into(),
            task.plan_id.into(),
            changes.to_owned().into(),
            now.into(),
        ],
    ))
    .await?;
    wake(db).await
}

/// Announces that task `task_id`'s assignments changed (the task row itself did not).
///
/// # Errors
/// INTERNAL on database errors.
pub async fn assignment_changed(
    db: &impl ConnectionTrait,
    task_id: i64,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(sql(
        backend,
        "INSERT INTO change_event (kind, task_id, plan_id, record_id, changes, created_at) \
         SELECT ?, id, plan_id, NULL, ?, ? FROM task WHERE id = ?",
        vec![
            EventKind::Task.as_str().into(),
            TaskChange::Assignment.as_str().into(),
            now.into(),
            task_id.into(),
        ],
    ))
    .await?;
    wake(db).await
}

/// Announces every supervision record a sweep wrote, in one statement whatever their number.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn supervision_records_created(
    db: &impl ConnectionTrait,
    sweep_id: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    db.execute_raw(sql(
        backend,
        "INSERT INTO change_event (kind, task_id, plan_id, record_id, changes, created_at) \
         SELECT ?, r.task_id, t.plan_id, r.id, '', ? FROM supervision_record r \
         JOIN task t ON t.id = r.task_id WHERE r.sweep_id = ? ORDER BY r.id",
        vec![
            EventKind::SupervisionRecord.as_str().into(),
            now.into(),
            Value::from(sweep_id.to_owned()),
        ],
    ))
    .await?;
    wake(db).await
}

/// Deletes all but the newest [`KEEP`] events.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn prune(db: &impl ConnectionTrait) -> AppResult<u64> {
    let backend = db.get_database_backend();
    let res = db
        .execute_raw(sql(
            backend,
            "DELETE FROM change_event WHERE id < (SELECT COALESCE(MAX(id), 0) FROM change_event) - ?",
            vec![KEEP.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// On PostgreSQL, wakes every replica's reader when the transaction commits. Identical
/// notifications of one transaction are folded into one, so a large import sends one.
async fn wake(db: &impl ConnectionTrait) -> AppResult<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(sql(
            DbBackend::Postgres,
            "SELECT pg_notify(?, '')",
            vec![CHANNEL.into()],
        ))
        .await?;
    }
    Ok(())
}

fn join(changes: &[TaskChange]) -> String {
    changes
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn split(s: &str) -> Vec<TaskChange> {
    s.split(',')
        .filter_map(|c| TaskChange::parse(c).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_round_trip_through_their_column() {
        let all = TaskChange::ALL.to_vec();
        assert_eq!(split(&join(&all)), all);
        assert!(split("").is_empty());
        assert_eq!(split("status,bogus"), vec![TaskChange::Status]);
    }
}
