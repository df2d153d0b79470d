//! Delivering the outbox: claim a batch with a lease, send, record the outcome.
//!
//! At least once: a message is claimed (`state = 'sending'`, `locked_until = now + lease`)
//! in its own committed transaction before the SMTP conversation, and marked `sent` only
//! after the server accepted it. A process killed in between leaves an expired lease that
//! any worker claims again, so nothing is lost; if the kill came after the server's
//! acceptance but before the mark, that one mail is sent twice. On PostgreSQL several
//! workers claim with `FOR UPDATE SKIP LOCKED`; on SQLite one worker per process claims
//! under the process-wide write lock.
//!
//! Leases are short and owned:
//! * a drain claims no more messages than it sends at once ([`drain`]'s `concurrency`), so
//!   every claimed message is attempted right away, and a send is cut off well before its
//!   lease ends ([`SEND_DEADLINE`]): a lease cannot expire while its message waits in a
//!   worker's queue, and another replica does not send it again;
//! * the exact `locked_until` written by a claim is that claim's token (a later claim of
//!   the same message necessarily writes a later instant). Recording the outcome checks it
//!   (`WHERE id = ? AND state = 'sending' AND locked_until = <token>`), so a worker whose
//!   lease was taken over cannot reset or overwrite what the new owner recorded; its late
//!   outcome is logged and dropped.
//!
//! Lease times and retry backoff are measured on the **wall clock** (the `now` the
//! functions here take; [`super::worker`] passes the application's wall clock), never on the injectable
//! business clock: `duban remind --once --now 2025-…` must not write leases that are
//! already expired or retry times years away.

use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
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
/// A send still running after this long is abandoned (and retried later), so that its
/// outcome is recorded while the lease still holds.
pub const SEND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(90);
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
    /// Written by the demo world's simulated sweeps (`duban seed`): kept to be read, never
    /// delivered (no worker claims it, and it cannot be retried).
    Demo,
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DeliveryState {
    /// The stored spelling, the only place it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Demo => "demo",
        }
    }
    /// The state a stored value stands for; anything unknown reads as pending.
    pub fn parse(s: &str) -> DeliveryState {
        [Self::Sending, Self::Sent, Self::Failed, Self::Demo]
            .into_iter()
            .find(|d| d.as_str() == s)
            .unwrap_or(DeliveryState::Pending)
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
    /// Outcomes not recorded because the lease had passed to another worker meanwhile.
    pub superseded: usize,
}

/// What became of one claimed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The outcome was recorded; the message is now in this state.
    Recorded(DeliveryState),
    /// The lease was lost (expired and claimed by another worker) before the outcome could
    /// be recorded; nothing was written.
    Superseded,
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
    let (pending, sending) = (DeliveryState::Pending, DeliveryState::Sending);
    let text = format!(
        "UPDATE outbox_message SET state = '{sending}', locked_until = ?, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox_message \
           WHERE (state = '{pending}' AND next_attempt_at <= ?) \
              OR (state = '{sending}' AND locked_until < ?) \
           ORDER BY id LIMIT ?{lock}) \
         RETURNING id"
    );
    #[derive(sea_orm::FromQueryResult)]
    struct Id {
        id: i64,
    }
    // The claim's token: truncated to microseconds so that it survives a round trip
    // through PostgreSQL's timestamptz unchanged.
    let until = (now + LEASE).trunc_subsecs(6);
    let ids: Vec<Id> = query_all(
        &*tx,
        &text,
        vec![
            until.into(),
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

/// Records an outcome if `m`'s claim still owns the message; false when it does not.
async fn finish(
    db: &Db,
    m: &outbox_message::Model,
    set: &str,
    mut values: Vec<sea_orm::Value>,
) -> AppResult<bool> {
    let Some(token) = m.locked_until else {
        tracing::warn!(id = m.id, "outcome of an unclaimed message not recorded");
        return Ok(false);
    };
    values.extend([m.id.into(), token.into()]);
    // Short write transactions: on SQLite they queue behind the process-wide writer lock.
    let tx = db.write().await?;
    let done = tx
        .execute_raw(sql(
            tx.get_database_backend(),
            &format!(
                "UPDATE outbox_message SET {set} \
                 WHERE id = ? AND state = '{}' AND locked_until = ?",
                DeliveryState::Sending
            ),
            values,
        ))
        .await?;
    tx.commit().await?;
    if done.rows_affected() == 0 {
        tracing::warn!(
            id = m.id,
            "lease lost to another worker before the outcome was recorded; left to its owner"
        );
        return Ok(false);
    }
    Ok(true)
}

fn outgoing(m: &outbox_message::Model) -> OutgoingMail {
    OutgoingMail {
        to: m.recipient.clone(),
        to_name: m.recipient_name.clone(),
        subject: m.subject.clone(),
        text: m.body_text.clone(),
        html: m.body_html.clone(),
        message_id: m.message_id.clone(),
        attachments: Vec::new(),
    }
}

/// The mail of `m` with the notice documents that go with it (see `super::documents`).
async fn with_attachments(db: &Db, m: &outbox_message::Model) -> AppResult<OutgoingMail> {
    let mut mail = outgoing(m);
    mail.attachments = super::documents::attachments_for(&db.conn, &m.message_id).await?;
    Ok(mail)
}

/// One SMTP conversation, cut off after [`SEND_DEADLINE`].
async fn send(mailer: &dyn Mailer, mail: &OutgoingMail) -> Result<(), SendError> {
    match tokio::time::timeout(SEND_DEADLINE, mailer.send(mail)).await {
        Ok(r) => r,
        Err(_) => Err(SendError::Transient(format!(
            "no answer within {} s",
            SEND_DEADLINE.as_secs()
        ))),
    }
}

/// Records the outcome of sending `m` at `now` (wall clock), if `m`'s claim still owns it.
async fn record(
    db: &Db,
    m: &outbox_message::Model,
    sent: Result<(), SendError>,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let (recorded, state) = match sent {
        Ok(()) => (
            finish(
                db,
                m,
                &format!(
                    "state = '{}', sent_at = ?, locked_until = NULL, last_error = NULL",
                    DeliveryState::Sent
                ),
                vec![now.into()],
            )
            .await?,
            DeliveryState::Sent,
        ),
        Err(SendError::Transient(e)) if m.attempts < MAX_ATTEMPTS => {
            tracing::warn!(id = m.id, attempts = m.attempts, error = %e, "mail deferred");
            (
                finish(
                    db,
                    m,
                    &format!(
                        "state = '{}', next_attempt_at = ?, locked_until = NULL, last_error = ?",
                        DeliveryState::Pending
                    ),
                    vec![(now + backoff(m.attempts)).into(), e.into()],
                )
                .await?,
                DeliveryState::Pending,
            )
        }
        Err(e) => {
            tracing::error!(id = m.id, attempts = m.attempts, error = %e, "mail failed permanently");
            (
                finish(
                    db,
                    m,
                    &format!(
                        "state = '{}', locked_until = NULL, last_error = ?",
                        DeliveryState::Failed
                    ),
                    vec![e.to_string().into()],
                )
                .await?,
                DeliveryState::Failed,
            )
        }
    };
    Ok(if recorded {
        Outcome::Recorded(state)
    } else {
        Outcome::Superseded
    })
}

/// Sends one claimed message and records the outcome at `now` (wall clock), as long as
/// `m`'s claim (its `locked_until`) still owns the message.
///
/// # Errors
/// INTERNAL on database errors (the lease then expires and the message is retried).
pub async fn deliver_one(
    db: &Db,
    mailer: &dyn Mailer,
    m: &outbox_message::Model,
    now: DateTime<Utc>,
) -> AppResult<Outcome> {
    let sent = send(mailer, &with_attachments(db, m).await?).await;
    record(db, m, sent, now).await
}

/// Drains everything due, `concurrency` sends at a time. Each claim takes at most
/// `min(batch, concurrency)` messages, so nothing claimed waits for a free slot while its
/// lease runs (see the module documentation). `now` is the wall clock (a function so a
/// long drain keeps using a fresh time; tests inject a fixed one).
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
    let per_claim = batch
        .min(u64::try_from(concurrency).unwrap_or(u64::MAX))
        .max(1);
    let mut report = DeliveryReport::default();
    loop {
        let claimed = claim(db, now(), per_claim).await?;
        if claimed.is_empty() {
            for (outcome, n) in [
                ("sent", report.sent),
                ("retrying", report.retrying),
                ("failed", report.failed),
                ("superseded", report.superseded),
            ] {
                crate::metrics::count_deliveries(outcome, n);
            }
            return Ok(report);
        }
        report.claimed += claimed.len();
        // Every claimed message is sent at once (there are at most `concurrency`); each
        // outcome is recorded as soon as its conversation ends.
        let mut set = tokio::task::JoinSet::new();
        let mut index = std::collections::HashMap::new();
        for (i, m) in claimed.iter().enumerate() {
            let (mailer, mail) = (mailer.clone(), with_attachments(db, m).await?);
            let handle = set.spawn(async move { send(&*mailer, &mail).await });
            index.insert(handle.id(), i);
        }
        while let Some(res) = set.join_next_with_id().await {
            let (id, sent) = match res {
                Ok((id, sent)) => (id, sent),
                // A panicking mailer: treat as a transient failure of that message.
                Err(e) => (
                    e.id(),
                    Err(SendError::Transient(format!("mailer panicked: {e}"))),
                ),
            };
            let m = &claimed[index[&id]];
            match record(db, m, sent, now()).await? {
                Outcome::Recorded(DeliveryState::Sent) => report.sent += 1,
                Outcome::Recorded(DeliveryState::Failed) => report.failed += 1,
                Outcome::Recorded(_) => report.retrying += 1,
                Outcome::Superseded => report.superseded += 1,
            }
        }
    }
}

/// How many messages wait in each undelivered state (pending, sending, failed), for the
/// metrics: one grouped count over the `(state, next_attempt_at)` index; delivered and demo
/// messages, which only grow, are not counted.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn backlog(db: &impl ConnectionTrait) -> AppResult<Vec<(DeliveryState, i64)>> {
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        state: String,
        n: i64,
    }
    let rows = query_all::<Row>(
        db,
        "SELECT state, COUNT(*) AS n FROM outbox_message \
         WHERE state IN ('pending', 'sending', 'failed') GROUP BY state",
        vec![],
    )
    .await?;
    Ok([
        DeliveryState::Pending,
        DeliveryState::Sending,
        DeliveryState::Failed,
    ]
    .into_iter()
    .map(|s| {
        let n = rows
            .iter()
            .find(|r| r.state == s.as_str())
            .map_or(0, |r| r.n);
        (s, n)
    })
    .collect())
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
    if DeliveryState::parse(&m.state) != DeliveryState::Failed {
        return Err(crate::error::AppError::InvalidTransition(
            "only a failed message can be retried".into(),
        ));
    }
    db.execute_raw(sql(
        db.get_database_backend(),
        &format!(
            "UPDATE outbox_message SET state = '{}', attempts = 0, next_attempt_at = ? WHERE id = ?",
            DeliveryState::Pending
        ),
        vec![now.into(), id.into()],
    ))
    .await?;
    Ok(outbox_message::Entity::find_by_id(id)
        .one(db)
        .await?
        .unwrap_or(m))
}

/// [`retry`] for the office, audited: the message's delivery state before and after.
///
/// # Errors
/// FORBIDDEN for anyone but the office; NOT_FOUND; INVALID_TRANSITION unless the message
/// failed.
pub async fn retry_audited(
    db: &impl ConnectionTrait,
    viewer: &crate::auth::Viewer,
    id: i64,
    wall: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<outbox_message::Model> {
    viewer.require_office()?;
    let before = outbox_message::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|m| {
            serde_json::json!({
                "state": m.state, "attempts": m.attempts, "last_error": m.last_error,
                "recipient": m.recipient,
            })
        });
    // Delivery runs on the wall clock; the audit trail on the business clock.
    let m = retry(db, id, wall).await?;
    crate::services::audit::record(
        db,
        crate::auth::Actor::User(viewer),
        crate::services::audit::Change {
            action: crate::domain::AuditAction::OutboxRetry,
            entity: "outbox_message",
            entity_id: id,
            before,
            after: Some(serde_json::json!({ "state": m.state, "attempts": m.attempts })),
        },
        now,
    )
    .await?;
    Ok(m)
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
