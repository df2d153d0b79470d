//! The background worker: sweeps on an interval and drains the outbox, beside the server
//! (`duban serve`) or once (`duban remind --once`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::mailer::Mailer;
use super::outbox::{self, DeliveryReport};
use super::sweep::{self, SweepReport};
use crate::error::AppResult;
use crate::graphql::AppState;

/// Messages claimed per batch.
pub const BATCH: u64 = 50;
/// Concurrent SMTP conversations per worker (the pool keeps the connections).
pub const CONCURRENCY: usize = 4;

/// `YYYY-MM-DD` (09:00 China time that day) or an RFC 3339 instant.
///
/// # Errors
/// INVALID_INPUT for anything else.
pub fn parse_now(s: &str) -> AppResult<DateTime<Utc>> {
    use chrono::TimeZone;
    if let Ok(d) = crate::domain::deadline::parse_day(s)
        && let Some(at) = d.and_hms_opt(1, 0, 0)
    {
        return Ok(Utc.from_utc_datetime(&at));
    }
    DateTime::parse_from_rfc3339(s.trim())
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            crate::error::AppError::invalid(format!(
                "now must be YYYY-MM-DD or RFC 3339, got {s:?}"
            ))
        })
}

/// One sweep at `now`, then deliver everything due.
///
/// # Errors
/// INTERNAL on database errors.
pub async fn remind_once(
    state: &AppState,
    mailer: Arc<dyn Mailer>,
    now: DateTime<Utc>,
) -> AppResult<(SweepReport, DeliveryReport)> {
    let swept = sweep::run(&state.db, now, false, None, &state.config.public_url).await?;
    let delivered = outbox::drain(&state.db, mailer, &move || now, BATCH, CONCURRENCY).await?;
    Ok((swept, delivered))
}

/// Sweeps every `sweep_every` and drains the outbox every `deliver_every` until `shutdown`
/// completes. Errors are logged and retried on the next tick; an interrupted pass loses
/// nothing (see [`super::outbox`]).
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
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = sweep_tick.tick() => {
                match sweep::run(&state.db, state.now(), false, None, &state.config.public_url).await {
                    Ok(r) if r.recorded > 0 => tracing::info!(records = r.recorded, mails = r.mails, "reminder sweep"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reminder sweep failed"),
                }
            }
            _ = deliver_tick.tick() => {
                let clock = state.clock.clone();
                // Not raced against shutdown mid-send: a pass is short, and the lease
                // covers a kill anyway.
                match outbox::drain(&state.db, mailer.clone(), &move || clock(), BATCH, CONCURRENCY).await {
                    Ok(r) if r.claimed > 0 => tracing::info!(sent = r.sent, retrying = r.retrying, failed = r.failed, "outbox delivered"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "outbox delivery failed"),
                }
            }
        }
    }
    tracing::info!("reminder worker stopped");
}
