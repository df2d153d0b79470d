//! One replica's reader of `change_event`: reads new rows by id (woken by PostgreSQL's NOTIFY,
//! and by a short poll, the only way on SQLite), loads what a subscriber needs to judge and
//! show them (the task, its agencies now, the record) in three statements per batch, and
//! fans them out over a bounded broadcast channel. It runs only while someone listens.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use entity::{assignment, supervision_record, task};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, FromQueryResult, QueryFilter,
    QuerySelect,
};
use tokio::sync::{Notify, broadcast};

use super::{CHANNEL, EventKind, split};
use crate::domain::TaskChange;
use crate::error::AppResult;
use crate::services::query_all;

/// One stored event.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub kind: EventKind,
    pub task_id: i64,
    pub plan_id: i64,
    pub record_id: Option<i64>,
    pub changes: Vec<TaskChange>,
    pub at: DateTime<Utc>,
}

/// An event with what its subscribers need, read once per replica, not once per subscriber.
#[derive(Debug)]
pub struct Delivery {
    pub event: Event,
    /// The task as it is now (`None` if it has been deleted since).
    pub task: Option<task::Model>,
    /// The agencies assigned to the task now, in any role: who among agency staff may read it.
    pub agencies: Vec<i64>,
    /// The supervision record of a [`EventKind::SupervisionRecord`] event.
    pub record: Option<supervision_record::Model>,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    kind: String,
    task_id: i64,
    plan_id: i64,
    record_id: Option<i64>,
    changes: String,
    created_at: DateTime<Utc>,
}

/// This replica's fan-out of events to its subscribers.
pub struct Hub {
    db: DatabaseConnection,
    sender: broadcast::Sender<Arc<Delivery>>,
    /// Whether the reader task runs; taken by a subscriber starting it and by the reader
    /// stopping, so that neither can miss the other.
    running: tokio::sync::Mutex<bool>,
}

impl Hub {
    /// Events a subscriber may fall behind by before it is dropped: the channel is a ring of
    /// this many shared entries, so a slow client costs no memory of its own.
    pub const CAPACITY: usize = 256;
    /// How often the reader looks for new events without a wake-up.
    pub const POLL: Duration = Duration::from_millis(500);
    /// Most events read (and loaded) per statement.
    const BATCH: u64 = 200;
    /// How long an id skipped on PostgreSQL is looked for again: a sequence hands out ids
    /// before commit, so a transaction that commits after a later one shows up behind it.
    const GAP_WAIT: Duration = Duration::from_secs(60);
    const MAX_GAPS: usize = 1_000;

    pub fn new(db: DatabaseConnection) -> Arc<Hub> {
        let (sender, _) = broadcast::channel(Self::CAPACITY);
        Arc::new(Hub {
            db,
            sender,
            running: tokio::sync::Mutex::new(false),
        })
    }

    /// The newest event's id (0 when there is none).
    ///
    /// # Errors
    /// INTERNAL on database errors.
    pub async fn last_id(&self) -> AppResult<i64> {
        #[derive(FromQueryResult)]
        struct Max {
            id: i64,
        }
        Ok(query_all::<Max>(
            &self.db,
            "SELECT COALESCE(MAX(id), 0) AS id FROM change_event",
            vec![],
        )
        .await?
        .first()
        .map_or(0, |m| m.id))
    }

    /// A receiver of every event read from now on, starting the reader if it is not running.
    ///
    /// # Errors
    /// INTERNAL when the reader cannot learn where to start.
    pub async fn subscribe(self: &Arc<Self>) -> AppResult<broadcast::Receiver<Arc<Delivery>>> {
        let mut running = self.running.lock().await;
        let rx = self.sender.subscribe();
        if !*running {
            let start = self.last_id().await?;
            *running = true;
            tokio::spawn(self.clone().read_loop(start));
        }
        Ok(rx)
    }

    /// Up to `limit` events after `after`, oldest first, loaded for delivery: what a new
    /// subscription missed between its connection's start and its own.
    ///
    /// # Errors
    /// INTERNAL on database errors.
    pub async fn since(&self, after: i64, limit: u64) -> AppResult<Vec<Arc<Delivery>>> {
        let rows = query_all::<Row>(
            &self.db,
            &format!(
                "{SELECT} WHERE id > ? ORDER BY id LIMIT {}",
                limit.min(Self::BATCH)
            ),
            vec![after.into()],
        )
        .await?;
        self.load(rows).await
    }

    async fn read_loop(self: Arc<Self>, start: i64) {
        let wake = Arc::new(Notify::new());
        let _listener = self.listen(wake.clone());
        let mut last = start;
        let mut gaps: BTreeMap<i64, Instant> = BTreeMap::new();
        let mut passes: u64 = 0;
        loop {
            let full = match self.pass(&mut last, &mut gaps).await {
                Ok(n) => n >= Self::BATCH as usize,
                Err(e) => {
                    tracing::warn!(error = %e, "reading live-update events failed; retrying");
                    false
                }
            };
            passes += 1;
            if passes.is_multiple_of(600) {
                if let Err(e) = super::prune(&self.db).await {
                    tracing::warn!(error = %e, "pruning live-update events failed");
                }
            }
            if !full {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(Self::POLL) => {}
                }
            }
            if self.sender.receiver_count() == 0 {
                let mut running = self.running.lock().await;
                if self.sender.receiver_count() == 0 {
                    *running = false;
                    return;
                }
            }
        }
    }

    /// Reads and sends what is new; returns how many rows the id-ordered read found.
    async fn pass(&self, last: &mut i64, gaps: &mut BTreeMap<i64, Instant>) -> AppResult<usize> {
        let mut rows = query_all::<Row>(
            &self.db,
            &format!("{SELECT} WHERE id > ? ORDER BY id LIMIT {}", Self::BATCH),
            vec![(*last).into()],
        )
        .await?;
        let found = rows.len();
        let postgres = self.db.get_database_backend() == DbBackend::Postgres;
        gaps.retain(|_, since| since.elapsed() < Self::GAP_WAIT);
        if postgres && !gaps.is_empty() {
            let ids: Vec<String> = gaps.keys().map(i64::to_string).collect();
            let late = query_all::<Row>(
                &self.db,
                &format!("{SELECT} WHERE id IN ({}) ORDER BY id", ids.join(",")),
                vec![],
            )
            .await?;
            for r in &late {
                gaps.remove(&r.id);
            }
            rows.splice(0..0, late);
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for id in ids {
            if id <= *last {
                continue;
            }
            // SQLite hands out ids in commit order (one writer at a time); PostgreSQL does not.
            if postgres {
                for missing in (*last + 1)..id {
                    if gaps.len() >= Self::MAX_GAPS {
                        break;
                    }
                    gaps.insert(missing, Instant::now());
                }
            }
            *last = id;
        }
        if rows.is_empty() {
            return Ok(found);
        }
        for d in self.load(rows).await? {
            // No receiver is not an error: the loop stops when it sees that.
            let _ = self.sender.send(d);
        }
        Ok(found)
    }

    /// On PostgreSQL, a task on its own connection that LISTENs and turns each notification
    /// into a wake-up (aborted when the returned guard drops). Without it the poll still
    /// delivers, only later.
    fn listen(&self, wake: Arc<Notify>) -> Option<AbortOnDrop> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let pool = self.db.get_postgres_connection_pool().clone();
        Some(AbortOnDrop(tokio::spawn(async move {
            loop {
                let listener = async {
                    let mut l = sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await?;
                    l.listen(CHANNEL).await?;
                    Ok::<_, sea_orm::sqlx::Error>(l)
                };
                match listener.await {
                    Ok(mut l) => loop {
                        match l.recv().await {
                            Ok(_) => wake.notify_one(),
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN connection lost");
                                break;
                            }
                        }
                    },
                    Err(e) => tracing::warn!(error = %e, "cannot LISTEN; polling only"),
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        })))
    }

    /// Loads the tasks, their agencies and the records of `rows`, in three statements.
    async fn load(&self, rows: Vec<Row>) -> AppResult<Vec<Arc<Delivery>>> {
        if rows.is_empty() {
            return Ok(vec![]);
        }
        let task_ids: HashSet<i64> = rows.iter().map(|r| r.task_id).collect();
        let record_ids: Vec<i64> = rows.iter().filter_map(|r| r.record_id).collect();
        let tasks: HashMap<i64, task::Model> = task::Entity::find()
            .filter(task::Column::Id.is_in(task_ids.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut agencies: HashMap<i64, Vec<i64>> = HashMap::new();
        let pairs: Vec<(i64, i64)> = assignment::Entity::find()
            .select_only()
            .column(assignment::Column::TaskId)
            .column(assignment::Column::AgencyId)
            .filter(assignment::Column::TaskId.is_in(task_ids.iter().copied()))
            .into_tuple()
            .all(&self.db)
            .await?;
        for (t, a) in pairs {
            agencies.entry(t).or_default().push(a);
        }
        let mut records: HashMap<i64, supervision_record::Model> = if record_ids.is_empty() {
            HashMap::new()
        } else {
            supervision_record::Entity::find()
                .filter(supervision_record::Column::Id.is_in(record_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect()
        };
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                let kind = EventKind::parse(&r.kind)?;
                Some(Arc::new(Delivery {
                    task: tasks.get(&r.task_id).cloned(),
                    agencies: agencies.get(&r.task_id).cloned().unwrap_or_default(),
                    record: r.record_id.and_then(|id| records.remove(&id)),
                    event: Event {
                        id: r.id,
                        kind,
                        task_id: r.task_id,
                        plan_id: r.plan_id,
                        record_id: r.record_id,
                        changes: split(&r.changes),
                        at: r.created_at,
                    },
                }))
            })
            .collect())
    }
}

const SELECT: &str =
    "SELECT id, kind, task_id, plan_id, record_id, changes, created_at FROM change_event";

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
