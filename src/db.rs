//! Connecting to SQLite (embedded default) or PostgreSQL, and the write-transaction discipline.

pub mod table_cache;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::MigratorTrait;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{AppError, AppResult};

pub use table_cache::TableCache;

/// The database handle shared by the API, the CLI and workers.
#[derive(Clone)]
pub struct Db {
    pub conn: DatabaseConnection,
    /// SQLite only: one write transaction at a time in this process.
    ///
    /// SQLite's deferred transactions deadlock when two readers both try to upgrade to a
    /// writer (the loser gets SQLITE_BUSY at once, busy_timeout does not help). Write
    /// transactions therefore start with `BEGIN IMMEDIATE` (taking the write lock up front, so
    /// another process — `duban remind`, `duban import` beside `serve` — waits on the busy
    /// timeout instead of failing), and are queued here so this process's own writers never
    /// occupy pool connections while waiting for each other.
    write_lock: Option<Arc<Mutex<()>>>,
    /// Write transactions committed by this process: a cached table rechecks its
    /// generation after each (see [`TableCache`]).
    local_writes: Arc<AtomicU64>,
    /// The agency registry, in memory (see [`TableCache`]).
    pub agencies: Arc<TableCache<entity::agency::Entity>>,
}

/// A write transaction; on SQLite it also holds the process-wide writer lock until it ends.
pub struct WriteTxn {
    pub txn: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
    local_writes: Arc<AtomicU64>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> AppResult<()> {
        let done = self.txn.commit().await;
        // Also after a failed commit: it may have reached the database before the error.
        self.local_writes.fetch_add(1, Ordering::AcqRel);
        done?;
        Ok(())
    }
}

impl Db {
    /// Connects; for SQLite turns on WAL, a busy timeout and foreign keys on every connection.
    ///
    /// # Errors
    /// INTERNAL when the database cannot be reached.
    pub async fn connect(url: &str) -> AppResult<Db> {
        Self::connect_with(url, None).await
    }

    /// Like [`Db::connect`] with an explicit pool size (`DUBAN_DB_MAX_CONNECTIONS`).
    pub async fn connect_with(url: &str, max_connections: Option<u32>) -> AppResult<Db> {
        let is_sqlite = url.starts_with("sqlite:");
        let mut opts = ConnectOptions::new(url.to_owned());
        // sqlx pings a connection when it goes back to the pool, and by default again when it
        // is handed out: two extra round trips per statement. A connection that was in use a
        // moment ago is alive; only one idle long enough for a server, proxy or firewall to
        // have dropped it is checked before use (a dead one is replaced, not handed out).
        opts.sqlx_logging(false)
            .test_before_acquire_if_idle_for(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10));
        if is_sqlite {
            opts.max_connections(max_connections.unwrap_or(8))
                .min_connections(1);
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .create_if_missing(true)
            });
        } else {
            opts.max_connections(max_connections.unwrap_or(10))
                .min_connections(2);
        }
        let mut conn = Database::connect(opts).await?;
        conn.set_metric_callback(|info| crate::metrics::record_statement(info.elapsed));
        let local_writes = Arc::new(AtomicU64::new(0));
        Ok(Db {
            conn,
            write_lock: is_sqlite.then(|| Arc::new(Mutex::new(()))),
            agencies: Arc::new(agency_cache(&local_writes, table_cache::DEFAULT_RECHECK)),
            local_writes,
        })
    }

    /// The same connection with its cached tables trusted for `recheck` between checks of
    /// their generation (tests: zero checks at every read, an hour never by time).
    #[must_use]
    pub fn with_cache_recheck(mut self, recheck: std::time::Duration) -> Db {
        self.agencies = Arc::new(agency_cache(&self.local_writes, recheck));
        self
    }

    /// Calls `observe` after every statement, besides the metrics (tests count statements
    /// with it). The connection has one callback; this keeps the metrics' in it.
    pub fn observe_statements<F>(&mut self, observe: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        self.conn.set_metric_callback(move |info| {
            crate::metrics::record_statement(info.elapsed);
            observe(info);
        });
    }

    /// The pool's connections now: (in use, idle, max).
    pub fn pool_usage(&self) -> (u32, u32, u32) {
        fn usage<D: sea_orm::sqlx::Database>(p: &sea_orm::sqlx::Pool<D>) -> (u32, u32, u32) {
            let idle = u32::try_from(p.num_idle()).unwrap_or(u32::MAX);
            (
                p.size().saturating_sub(idle),
                idle,
                p.options().get_max_connections(),
            )
        }
        match self.backend() {
            DbBackend::Sqlite => usage(self.conn.get_sqlite_connection_pool()),
            DbBackend::Postgres => usage(self.conn.get_postgres_connection_pool()),
            _ => (0, 0, 0),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    pub async fn migrate(&self) -> AppResult<()> {
        migration::Migrator::up(&self.conn, None).await?;
        Ok(())
    }

    /// Begins a write transaction (see `write_lock` for why SQLite writers queue).
    pub async fn write(&self) -> AppResult<WriteTxn> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = if guard.is_some() {
            self.conn
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?
        } else {
            self.conn.begin().await?
        };
        Ok(WriteTxn {
            txn,
            _guard: guard,
            local_writes: self.local_writes.clone(),
        })
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> AppResult<()> {
        self.conn
            .execute_unprepared("SELECT 1")
            .await
            .map_err(AppError::from)?;
        Ok(())
    }
}

fn agency_cache(
    local_writes: &Arc<AtomicU64>,
    recheck: std::time::Duration,
) -> TableCache<entity::agency::Entity> {
    TableCache::new(
        "agency",
        entity::agency::Column::Id,
        |m: &entity::agency::Model| m.id,
        local_writes.clone(),
        recheck,
    )
}
