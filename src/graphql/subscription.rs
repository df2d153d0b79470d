//! Live updates: GraphQL subscriptions over WebSocket (`graphql-transport-ws`, served by
//! `server::ws`). Each event comes from this replica's [`Hub`], which reads what the services
//! wrote in `change_event`; every event is authorised when it is delivered, against the
//! subscriber's account as it is then, not only when the subscription began.

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, Stream, StreamExt};
use async_graphql::{Context, ErrorExtensions, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use tokio::sync::broadcast::error::RecvError;

use super::limits::LIMIT_EXCEEDED;
use super::notify::SupervisionRecord;
use super::types::Task;
use super::{state, viewer};
use crate::app::AppState;
use crate::auth::Viewer;
use crate::domain::TaskChange;
use crate::error::AppError;
use crate::services::events::{Delivery, EventKind, Hub};
use crate::services::parse_id;

/// What the WebSocket layer attaches to a connection once its `connection_init` carried a
/// valid token: whose it is, until when it counts, and where the connection's events start.
#[derive(Clone, Debug)]
pub struct LiveSession {
    pub user_id: i64,
    pub generation: i32,
    /// The token's `exp` (unix seconds): no event is delivered after it.
    pub expires_at: i64,
    /// The newest event when the connection was acknowledged: a subscription started on it
    /// later still receives every event after this one (nothing falls between the
    /// acknowledgement and the subscription).
    pub start_event: i64,
}

/// Most events a new subscription catches up on from before it began.
const BACKLOG: u64 = 100;

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// A task changed: its status, progress, deadline, assignments or details (and tasks
    /// created), optionally only in one plan or only tasks one agency is assigned to. Agency
    /// staff receive only tasks their agency is assigned to; the office and leaders all.
    async fn task_changed(
        &self,
        ctx: &Context<'_>,
        plan_id: Option<ID>,
        agency_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<TaskChangeEvent>> + use<>> {
        let feed = feed(ctx, EventKind::Task, plan_id, agency_id).await?;
        Ok(feed
            .map(|d| {
                d.map(|d| {
                    // A task deleted since its event was written is skipped, unless the event
                    // is its deletion.
                    let deleted = d.event.changes.contains(&TaskChange::Deleted);
                    (d.task.is_some() || deleted).then(|| TaskChangeEvent(d))
                })
            })
            .filter_map(|r| async move { r.transpose() }))
    }

    /// A supervision record (提醒/催办/督办/通报/约谈) was written, by a reminder sweep,
    /// optionally only in one plan or about tasks one agency is assigned to; agency staff
    /// receive only those about tasks their agency is assigned to.
    async fn supervision_record_created(
        &self,
        ctx: &Context<'_>,
        plan_id: Option<ID>,
        agency_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<SupervisionRecordEvent>> + use<>> {
        let feed = feed(ctx, EventKind::SupervisionRecord, plan_id, agency_id).await?;
        Ok(feed.filter_map(|d| async move {
            match d {
                Ok(d) if d.record.is_some() && d.task.is_some() => {
                    Some(Ok(SupervisionRecordEvent(d)))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        }))
    }
}

/// A change to a task, as `taskChanged` delivers it.
pub struct TaskChangeEvent(Arc<Delivery>);

#[Object]
impl TaskChangeEvent {
    /// The event's position in the stream of changes (increasing, not necessarily dense).
    async fn event_id(&self) -> ID {
        ID(self.0.event.id.to_string())
    }
    /// The task's global id (also when it was deleted).
    async fn task_id(&self) -> ID {
        super::node::gid("Task", self.0.event.task_id)
    }
    /// The task as it is now; null when it was deleted.
    async fn task(&self) -> Option<Task> {
        self.0.task.clone().map(Task)
    }
    /// What changed.
    async fn changes(&self) -> &[TaskChange] {
        &self.0.event.changes
    }
    /// When the change was made (business time).
    async fn at(&self) -> DateTime<Utc> {
        self.0.event.at
    }
}

/// A supervision record just written, as `supervisionRecordCreated` delivers it.
pub struct SupervisionRecordEvent(Arc<Delivery>);

#[Object]
impl SupervisionRecordEvent {
    async fn event_id(&self) -> ID {
        ID(self.0.event.id.to_string())
    }
    /// The record (its recipients filtered for the viewer as everywhere).
    async fn record(&self) -> Option<SupervisionRecord> {
        self.0.record.clone().map(SupervisionRecord)
    }
    /// The task it is about, as it is now.
    async fn task(&self) -> Option<Task> {
        self.0.task.clone().map(Task)
    }
}

/// Whether `v` may receive an event about a task assigned to `agencies`.
pub fn may_receive(v: &Viewer, agencies: &[i64]) -> bool {
    v.can_read_all() || v.agency_id.is_some_and(|a| agencies.contains(&a))
}

struct Feed {
    state: AppState,
    session: LiveSession,
    kind: EventKind,
    plan: Option<i64>,
    agency: Option<i64>,
    backlog: VecDeque<Arc<Delivery>>,
    seen: HashSet<i64>,
    rx: tokio::sync::broadcast::Receiver<Arc<Delivery>>,
    done: bool,
}

/// The events of `kind` the subscriber may receive, as they arrive; ends with an error when
/// the token has expired or no longer counts, or when the subscriber fell too far behind.
async fn feed(
    ctx: &Context<'_>,
    kind: EventKind,
    plan_id: Option<ID>,
    agency_id: Option<ID>,
) -> Result<BoxStream<'static, Result<Arc<Delivery>>>> {
    viewer(ctx)?;
    let plan = plan_id.map(|p| parse_id("plan", &p)).transpose()?;
    let agency = agency_id.map(|a| parse_id("agency", &a)).transpose()?;
    let session = ctx
        .data_opt::<LiveSession>()
        .ok_or_else(|| {
            AppError::invalid("subscriptions are served over WebSocket (graphql-transport-ws)")
        })?
        .clone();
    let hub = ctx
        .data_opt::<Arc<Hub>>()
        .ok_or_else(|| AppError::Internal("schema built without its event hub".into()))?
        .clone();
    let rx = hub.subscribe().await?;
    let backlog: VecDeque<_> = hub.since(session.start_event, BACKLOG).await?.into();
    let seen = backlog.iter().map(|d| d.event.id).collect();
    let feed = Feed {
        state: state(ctx).clone(),
        session,
        kind,
        plan,
        agency,
        backlog,
        seen,
        rx,
        done: false,
    };
    Ok(stream::unfold(feed, |mut f| async move {
        let item = f.next().await?;
        Some((item, f))
    })
    .boxed())
}

impl Feed {
    async fn next(&mut self) -> Option<Result<Arc<Delivery>>> {
        loop {
            if self.done {
                return None;
            }
            let d = match self.backlog.pop_front() {
                Some(d) => d,
                None => match self.rx.recv().await {
                    Ok(d) if self.seen.remove(&d.event.id) => continue,
                    Ok(d) => d,
                    Err(RecvError::Lagged(n)) => {
                        self.done = true;
                        return Some(Err(async_graphql::Error::new(format!(
                            "the subscriber fell {n} events behind and was dropped; subscribe again"
                        ))
                        .extend_with(|_, e| e.set("code", LIMIT_EXCEEDED))));
                    }
                    Err(RecvError::Closed) => return None,
                },
            };
            let e = &d.event;
            if e.kind != self.kind
                || self.plan.is_some_and(|p| p != e.plan_id)
                || self.agency.is_some_and(|a| !d.agencies.contains(&a))
            {
                continue;
            }
            // Authorised now, against the account as it is now.
            let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
            if now > self.session.expires_at {
                self.done = true;
                return Some(Err(AppError::Unauthenticated.extend()));
            }
            match crate::services::users::current_viewer(
                &self.state.db.conn,
                &self.state.viewers,
                self.session.user_id,
                self.session.generation,
            )
            .await
            {
                Ok(Some(v)) if may_receive(&v, &d.agencies) => return Some(Ok(d)),
                Ok(Some(_)) => continue,
                Ok(None) => {
                    self.done = true;
                    return Some(Err(AppError::Unauthenticated.extend()));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e.extend()));
                }
            }
        }
    }
}
