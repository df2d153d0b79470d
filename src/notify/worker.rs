//! The background worker: sweeps on an interval and drains the outbox, beside the server
//! (`duban serve`) or once (`duban remind --once`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::mailer::Mailer;
use super::outbox::{self, DeliveryReport};
use super::sweep::{self, SweepReport};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::AppResult;

/// Upper bound on messages claimed per batch; [`outbox::drain`] claims no more than it
/// sends at once ([`CONCURRENCY`]).
pub const BATCH: u64 = 50;
/// Concurrent SMTP conversations per worker (the pool keeps the connections).
pub const CONCURRENCY: usize = 4;

/// One sweep at `now`, then deliver everything due.
///
/// `now` is the business date of the sweep and may be anything (`duban remind --once
/// --now 2025-…`, an operator tool for demos and catching up): the supervision records it
/// writes carry that date as their `fired_at`, i.e. **evidence for the evaluation is
/// recorded as of that date**, and their dedupe keys are used up. Delivery (leases, retry
/// backoff, `sent_at`) always runs on the wall clock.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn remind_once(
    state: &AppState,
    mailer: Arc<dyn Mailer>,
    now: DateTime<Utc>,
) -> AppResult<(SweepReport, DeliveryReport)> {
    let wall = state.clock.clone();
    let swept = sweep::run(
        &state.db,
        now,
        wall.wall(),
        false,
        Actor::System,
        &state.config.public_url,
    )
    .await?;
    let delivered =
        outbox::drain(&state.db, mailer, &move || wall.wall(), BATCH, CONCURRENCY).await?;
    Ok((swept, delivered))
}

/// Runs one pass of the worker in its own task, so that a panic in it (a bug, bad data) is
/// logged like an error instead of unwinding through, and ending, the worker loop.
/// Returns `None` when the pass panicked or was cancelled.
pub async fn guarded<T: Send + 'static>(
    what: &'static str,
    pass: impl std::future::Future<Output = AppResult<T>> + Send + 'static,
) -> Option<T> {
    match tokio::spawn(pass).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "{what} failed");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "{what} panicked; the worker carries on");
            None
        }
    }
}

/// Sweeps every `sweep_every` and drains the outbox every `deliver_every` until `shutdown`
/// completes. Errors and panics of a pass are logged and the pass is retried on the next
/// tick ([`guarded`]); an interrupted pass loses nothing (see [`super::outbox`]). Sweeps
/// use the business clock (`state.now()`), delivery the wall clock.
pub async fn run(
    state: AppState,
    mailer: Arc<dyn Mailer>,
    sweep_every: Duration,
    deliver_every: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tracing::info!(mailer = %mailer.describe(), ?sweep_every, "reminder worker started");
    let mut sweep_tick = tokio::time::interval(sweep_every);
    let mut deliver_tick = tokio::time::interval(deliver_every);
    sweep_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    deliver_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Evidence objects no attachment references (an upload whose transaction failed, a
    // deleted attachment) are deleted hourly, once they are an hour old.
    let mut orphan_tick = tokio::time::interval(Duration::from_secs(3600));
    orphan_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = sweep_tick.tick() => {
                let (db, now, url) = (state.db.clone(), state.now(), state.config.public_url.clone());
                let deliver_from = state.clock.wall();
                let pass = async move { sweep::run(&db, now, deliver_from, false, Actor::System, &url).await };
                if let Some(r) = guarded("reminder sweep", pass).await
                    && r.recorded > 0
                {
                    tracing::info!(records = r.recorded, mails = r.mails, "reminder sweep");
                }
                // Old live-update events go with the sweep's rhythm: a replica nobody
                // subscribes to does not read them, so its reader does not prune them either.
                let db = state.db.clone();
                let _ = guarded("live-update pruning", async move {
                    crate::services::events::prune(&db.conn).await
                })
                .await;
            }
            _ = orphan_tick.tick() => {
                let (db, storage, wall) = (state.db.clone(), state.config.storage.clone(), state.clock.wall());
                let pass = async move {
                    crate::services::attachments::sweep_orphans(&db.conn, &storage, wall).await
                };
                if let Some(r) = guarded("orphan sweep", pass).await
                    && r.deleted > 0
                {
                    tracing::info!(objects = r.objects, deleted = r.deleted, "unreferenced evidence objects deleted");
                }
            }
            _ = deliver_tick.tick() => {
                let (db, mailer, clock) = (state.db.clone(), mailer.clone(), state.clock.clone());
                // Not raced against shutdown mid-send: a pass is short, and the lease
                // covers a kill anyway.
                let pass = async move {
                    outbox::drain(&db, mailer, &move || clock.wall(), BATCH, CONCURRENCY).await
                };
                if let Some(r) = guarded("outbox delivery", pass).await
                    && r.claimed > 0
                {
                    tracing::info!(sent = r.sent, retrying = r.retrying, failed = r.failed, superseded = r.superseded, "outbox delivered");
                }
            }
        }
    }
    tracing::info!("reminder worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_pass_is_contained() {
        let boom = async {
            if std::hint::black_box(true) {
                panic!("bug in a pass");
            }
            Ok(1)
        };
        assert_eq!(guarded("test pass", boom).await, None);
        assert_eq!(
            guarded("test pass", async {
                Err::<i32, _>(crate::error::AppError::invalid("x"))
            })
            .await,
            None
        );
        assert_eq!(guarded("test pass", async { Ok(2) }).await, Some(2));
    }
}
