//! Delivering the outbox: claim a batch with a lease, send, record the outcome.
//!
//! At least once: a message is claimed (`state = 'sending'`, `locked_until = now + lease`)
//! in its own committed transaction before the SMTP conversation, and marked `sent` only
//! after the server accepted it. A process killed in between leaves an expired lease that
//! any worker claims again, so nothing is lost; if the kill came after the server's
//! acceptance but before the mark, that one mail is sent twice. On PostgreSQL several
//! workers claim with `FOR UPDATE SKIP LOCKED`; on SQLite one worker per process claims
//! under the process-wide write lock.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use entity::outbox_message;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::mailer::{Mailer, OutgoingMail, SendError};
use crate::db::Db;
use crate::error::AppResult;
use crate::services::{query_all, sql};

/// How long a claim protects a message from other workers.
pub const LEASE: Duration = Duration::seconds(120);
/// Retry delays double from this …
pub const BACKOFF_BASE_SECS: i64 = 60;
/// … up to this.
pub const BACKOFF_CAP_SECS: i64 = 3600;
/// After this many transient failures the message is given up as failed (about two days).
pub const MAX_ATTEMPTS: i32 = 50;

/// Delivery state of an outbox message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum DeliveryState {
    /// Waiting for its first or next attempt.
    Pending,
    /// Claimed by a worker.
    Sending,
    Sent,
    /// Refused permanently (5xx) or too many failures; the office must act.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> DeliveryState {
        match s {
            "sending" => DeliveryState::Sending,
            "sent" => DeliveryState::Sent,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

/// The delay before attempt `attempts + 1`, after `attempts` failures.
pub fn backoff(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
    Duration::seconds((BACKOFF_BASE_SECS.saturating_mul(1i64 << exp)).min(BACKOFF_CAP_SECS))
}

/// What one delivery pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Claims up to `limit` messages due at `now`.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn claim(
    db: &Db,
    now: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<outbox_message::Model>> {
    let tx = db.write().await?;
    let backend = tx.get_database_backend();
    let lock = if backend == DbBackend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let text = format!(
        "UPDATE outbox_message SET state = 'sending', locked_until = ?, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox_message \
           WHERE (state = 'pending' AND next_attempt_at <= ?) \
              OR (state = 'sending' AND locked_until < ?) \
           ORDER BY id LIMIT ?{lock}) \
         RETURNING id"
    );
    #[derive(sea_orm::FromQueryResult)]
    struct Id {
        id: i64,
    }
    let ids: Vec<Id> = query_all(
        &*tx,
        &text,
        vec![
            (now + LEASE).into(),
            now.into(),
            now.into(),
            i64::try_from(limit).unwrap_or(100).into(),
        ],
    )
    .await?;
    let ids: Vec<i64> = ids.into_iter().map(|r| r.id).collect();
    let rows = if ids.is_empty() {
        Vec::new()
    } else {
        outbox_message::Entity::find()
            .filter(outbox_message::Column::Id.is_in(ids))
            .order_by_asc(outbox_message::Column::Id)
            .all(&*tx)
            .await?
    };
    tx.commit().await?;
    Ok(rows)
}

async fn finish(db: &Db, text: &str, values: Vec<sea_orm::Value>) -> AppResult<()> {
    // Short write transactions: on SQLite they queue behind the process-wide writer lock.
    let tx = db.write().await?;
    tx.execute_raw(sql(tx.get_database_backend(), text, values))
        .await?;
    tx.commit().await
}

/// Sends one claimed message and records the outcome; returns its new state.
///
/// # Errors
/// INTERNAL on database errors (the lease then expires and the message is retried).
pub async fn deliver_one(
    db: &Db,
    mailer: &dyn Mailer,
    m: &outbox_message::Model,
    now: DateTime<Utc>,
) -> AppResult<DeliveryState> {
    let mail = OutgoingMail {
        to: m.recipient.clone(),
        to_name: m.recipient_name.clone(),
        subject: m.subject.clone(),
        text: m.body_text.clone(),
        html: m.body_html.clone(),
        message_id: m.message_id.clone(),
    };
    match mailer.send(&mail).await {
        Ok(()) => {
            finish(
                db,
                "UPDATE outbox_message SET state = 'sent', sent_at = ?, locked_until = NULL, \
                 last_error = NULL WHERE id = ?",
                vec![now.into(), m.id.into()],
            )
            .await?;
            Ok(DeliveryState::Sent)
        }
        Err(SendError::Transient(e)) if m.attempts < MAX_ATTEMPTS => {
            tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "mail deferred");
            finish(
                db,
                "UPDATE outbox_message SET state = 'pending', next_attempt_at = ?, \
                 locked_until = NULL, last_error = ? WHERE id = ?",
                vec![(now + backoff(m.attempts)).into(), e.into(), m.id.into()],
            )
            .await?;
            Ok(DeliveryState::Pending)
        }
        Err(e) => {
            tracing::error!(id = m.id, attempts = m.attempts, error = %e, "mail failed permanently");
            finish(
                db,
                "UPDATE outbox_message SET state = 'failed', locked_until = NULL, last_error = ? \
                 WHERE id = ?",
                vec![e.to_string().into(), m.id.into()],
            )
            .await?;
            Ok(DeliveryState::Failed)
        }
    }
}

/// Drains everything due at `now`, `batch` messages per claim, `concurrency` sends at a
/// time. `now` is a function so a long drain keeps using a fresh clock.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn drain(
    db: &Db,
    mailer: Arc<dyn Mailer>,
    now: &(dyn Fn() -> DateTime<Utc> + Send + Sync),
    batch: u64,
    concurrency: usize,
) -> AppResult<DeliveryReport> {
    let mut report = DeliveryReport::default();
    loop {
        let claimed = claim(db, now(), batch).await?;
        if claimed.is_empty() {
            return Ok(report);
        }
        report.claimed += claimed.len();
        let mut set = tokio::task::JoinSet::new();
        let mut iter = claimed.into_iter();
        let mut spawn_next = |set: &mut tokio::task::JoinSet<AppResult<DeliveryState>>| {
            if let Some(m) = iter.next() {
                let (db, mailer, at) = (db.clone(), mailer.clone(), now());
                set.spawn(async move { deliver_one(&db, &*mailer, &m, at).await });
                true
            } else {
                false
            }
        };
        for _ in 0..concurrency.max(1) {
            if !spawn_next(&mut set) {
                break;
            }
        }
        while let Some(res) = set.join_next().await {
            match res.map_err(crate::error::AppError::internal)?? {
                DeliveryState::Sent => report.sent += 1,
                DeliveryState::Failed => report.failed += 1,
                _ => report.retrying += 1,
            }
            spawn_next(&mut set);
        }
    }
}

/// Outbox messages, newest first, optionally in one state.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn list(
    db: &impl ConnectionTrait,
    state: Option<DeliveryState>,
    limit: u64,
    offset: u64,
) -> AppResult<(Vec<outbox_message::Model>, u64)> {
    let mut q = outbox_message::Entity::find();
    if let Some(s) = state {
        q = q.filter(outbox_message::Column::State.eq(s.as_str()));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(outbox_message::Column::Id)
        .limit(limit)
        .offset(offset)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// Puts a failed message back in the queue (after the office fixed the address, say).
///
/// # Errors
/// NOT_FOUND for an unknown id; INVALID_TRANSITION unless the message failed.
pub async fn retry(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> AppResult<outbox_message::Model> {
    let m = outbox_message::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| crate::error::AppError::not_found("outbox message", id))?;
    if m.state != "failed" {
        return Err(crate::error::AppError::InvalidTransition(
            "only a failed message can be retried".into(),
        ));
    }
    db.execute_raw(sql(
        db.get_database_backend(),
        "UPDATE outbox_message SET state = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?",
        vec![now.into(), id.into()],
    ))
    .await?;
    Ok(outbox_message::Entity::find_by_id(id)
        .one(db)
        .await?
        .unwrap_or(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(2), Duration::seconds(120));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(10), Duration::seconds(3600));
        assert_eq!(backoff(1000), Duration::seconds(3600));
    }
}
