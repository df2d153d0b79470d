//! A small table held in memory by each process, fresh across replicas.
//!
//! The agency registry is a few hundred rows that nearly every read names (each assignment on
//! a page of tasks shows its agency) and that change a few times a month. Reading them on
//! every request was a third of a page's statements; this keeps them in memory instead.
//!
//! Freshness, without a statement per request:
//! - the database bumps `table_generation(<table>)` on every write to the table (triggers,
//!   migration `m20261202_000601`), whoever writes: this process, another replica, `duban
//!   import`, an operator at `psql`;
//! - a snapshot is used as it is for at most [`TableCache::recheck`] (1 s by default) and only
//!   while this process has committed no write transaction since it was checked (the
//!   `local_writes` epoch that [`super::WriteTxn::commit`] advances); after either, the next
//!   read compares the stored generation (one single-row statement) and reloads the table
//!   only when it moved. So this process reads its own writes at once, and other writers'
//!   changes are seen within the recheck interval;
//! - a row asked for that the snapshot lacks (created since, possibly by another replica) is
//!   read from the table in the same call, so a new row is never missing, only a changed one
//!   briefly old on a replica that did not make the change.
//!
//! A table that has grown past [`MAX_ROWS`] is not cached: every read goes to the table, as
//! before, rather than holding and reloading an unbounded copy.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use crate::error::AppResult;

/// Above this many rows a table is read through, not cached.
pub const MAX_ROWS: usize = 20_000;

/// How long a checked snapshot is trusted without asking the database.
pub const DEFAULT_RECHECK: Duration = Duration::from_secs(1);

/// The rows of table `E` by id, shared by every request of the process.
pub struct TableCache<E: EntityTrait> {
    table: &'static str,
    id_column: E::Column,
    id_of: fn(&E::Model) -> i64,
    recheck: Duration,
    /// Write transactions this process has committed (shared with [`super::Db`]).
    local_writes: Arc<AtomicU64>,
    current: RwLock<Option<Arc<Snapshot<E::Model>>>>,
    /// One reload at a time; the others wait for it and use its result.
    reloading: tokio::sync::Mutex<()>,
}

struct Snapshot<M> {
    generation: i64,
    /// `None` when the table had more than [`MAX_ROWS`] rows.
    rows: Option<HashMap<i64, Arc<M>>>,
    checked_at: Instant,
    local_writes: u64,
}

impl<E: EntityTrait> TableCache<E>
where
    E::Model: Send + Sync,
{
    pub fn new(
        table: &'static str,
        id_column: E::Column,
        id_of: fn(&E::Model) -> i64,
        local_writes: Arc<AtomicU64>,
        recheck: Duration,
    ) -> Self {
        TableCache {
            table,
            id_column,
            id_of,
            recheck,
            local_writes,
            current: RwLock::new(None),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    /// How long a checked snapshot is trusted.
    pub fn recheck(&self) -> Duration {
        self.recheck
    }

    /// The rows with these ids that exist (a missing id is simply absent).
    ///
    /// # Errors
    /// A database error reading the generation or the rows.
    pub async fn get_many(
        &self,
        db: &DatabaseConnection,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, Arc<E::Model>>> {
        let snapshot = self.snapshot(db).await?;
        let mut out = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        match &snapshot.rows {
            Some(rows) => {
                for id in ids {
                    match rows.get(id) {
                        Some(m) => {
                            out.insert(*id, m.clone());
                        }
                        None => missing.push(*id),
                    }
                }
            }
            None => missing.extend_from_slice(ids),
        }
        if !missing.is_empty() {
            for m in E::find()
                .filter(self.id_column.is_in(missing))
                .all(db)
                .await?
            {
                out.insert((self.id_of)(&m), Arc::new(m));
            }
        }
        Ok(out)
    }

    /// The row `id` if a fresh snapshot holds it, without waiting or asking the database:
    /// the hot path of a field that names one row (an assignment's agency).
    pub fn fresh_row(&self, id: i64) -> Option<Arc<E::Model>> {
        self.fresh()?.rows.as_ref()?.get(&id).cloned()
    }

    /// A snapshot that is fresh by the rules in the module docs.
    async fn snapshot(&self, db: &DatabaseConnection) -> AppResult<Arc<Snapshot<E::Model>>> {
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        let _one_at_a_time = self.reloading.lock().await;
        if let Some(s) = self.fresh() {
            return Ok(s);
        }
        // The epoch before the generation: a commit after this read makes the next call
        // check again, so no write of this process can hide behind the snapshot built here.
        let local_writes = self.local_writes.load(Ordering::Acquire);
        let generation = self.generation(db).await?;
        let previous = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let rows = match previous {
            Some(p) if generation == Some(p.generation) => p.rows.clone(),
            // Rows read after the generation: they are at least that new, and if a write
            // slipped in between, the stored generation has moved past ours and the next
            // check reloads.
            _ => self.load_all(db).await?,
        };
        let s = Arc::new(Snapshot {
            generation: generation.unwrap_or(i64::MIN),
            rows,
            checked_at: Instant::now(),
            local_writes,
        });
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(s.clone());
        Ok(s)
    }

    fn fresh(&self) -> Option<Arc<Snapshot<E::Model>>> {
        let s = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        (s.checked_at.elapsed() < self.recheck
            && s.local_writes == self.local_writes.load(Ordering::Acquire))
        .then_some(s)
    }

    /// The stored generation; `None` if its row is missing (deleted by hand): then every
    /// check reloads, which is slow but never stale.
    async fn generation(&self, db: &DatabaseConnection) -> AppResult<Option<i64>> {
        use sea_orm::sea_query::{Expr, ExprTrait, Query};
        let row = db
            .query_one(
                Query::select()
                    .column("generation")
                    .from("table_generation")
                    .and_where(Expr::col("name").eq(self.table)),
            )
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get_by_index::<i64>(0)?),
            None => None,
        })
    }

    async fn load_all(
        &self,
        db: &DatabaseConnection,
    ) -> AppResult<Option<HashMap<i64, Arc<E::Model>>>> {
        let rows = E::find()
            .limit(u64::try_from(MAX_ROWS).unwrap_or(u64::MAX) + 1)
            .all(db)
            .await?;
        if rows.len() > MAX_ROWS {
            return Ok(None);
        }
        Ok(Some(
            rows.into_iter()
                .map(|m| ((self.id_of)(&m), Arc::new(m)))
                .collect(),
        ))
    }
}
