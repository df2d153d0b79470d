//! DataLoaders: every relation a list can ask for is fetched in one statement per request
//! and relation, never one per row (no N+1).

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, ErrorExtensions};
use entity::{
    agency, assignment, audit_event, contact, extension_request, plan, progress_report,
    supervision_record, target, task, user,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QueryResult, QueryTrait,
};

use crate::db::{Db, TableCache};
use crate::error::AppError;
use crate::services::record::Audited;

/// A per-request loader with its cache on (a key loaded once is served from memory after).
pub type Cached<L> = DataLoader<L, HashMapCache>;

type LoadResult<V> = Result<HashMap<i64, V>, Arc<AppError>>;

/// Rows of `E` by a unique integer column (usually the primary key); from the process-wide
/// [`TableCache`] where the table has one (agencies).
pub struct ById<E: EntityTrait> {
    db: DatabaseConnection,
    column: E::Column,
    key: fn(&E::Model) -> i64,
    table_cache: Option<Arc<TableCache<E>>>,
    _e: PhantomData<E>,
}

impl<E: EntityTrait> Loader<i64> for ById<E>
where
    E::Model: Clone + Send + Sync,
{
    /// Shared, not copied: one agency can stand behind hundreds of assignments on a page, and
    /// every cache hit would otherwise clone all its strings.
    type Value = Arc<E::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Arc<E::Model>> {
        if let Some(c) = &self.table_cache {
            return c.get_many(&self.db, keys).await.map_err(Arc::new);
        }
        let rows = E::find()
            .filter(self.column.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(rows
            .into_iter()
            .map(|m| ((self.key)(&m), Arc::new(m)))
            .collect())
    }
}

/// Rows of `E` grouped by a foreign key, in id order, optionally narrowed by `extra`.
pub struct GroupedBy<E: EntityTrait> {
    db: DatabaseConnection,
    column: E::Column,
    order: E::Column,
    extra: Option<Condition>,
    key: fn(&E::Model) -> i64,
    /// How a row becomes a model: by column name (sea-orm's derive), or by position for
    /// the entities on hot lists (`entity::by_position`).
    decode: Decode<E>,
    _e: PhantomData<E>,
}

type Decode<E> = fn(&QueryResult) -> Result<<E as EntityTrait>::Model, DbErr>;

/// sea-orm's own decoder, by column name.
fn by_name<E: EntityTrait>(row: &QueryResult) -> Result<E::Model, DbErr> {
    <E::Model as FromQueryResult>::from_query_result(row, "")
}

impl<E: EntityTrait> Loader<i64> for GroupedBy<E>
where
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[i64]) -> LoadResult<Vec<E::Model>> {
        let mut q = E::find().filter(self.column.is_in(keys.iter().copied()));
        if let Some(c) = &self.extra {
            q = q.filter(c.clone());
        }
        let stmt = q
            .order_by_asc(self.order)
            .build(self.db.get_database_backend());
        let rows = self
            .db
            .query_all_raw(stmt)
            .await
            .map_err(|e| Arc::new(e.into()))?;
        let mut out: HashMap<i64, Vec<E::Model>> = HashMap::new();
        for row in &rows {
            let m = (self.decode)(row).map_err(|e| Arc::new(e.into()))?;
            out.entry((self.key)(&m)).or_default().push(m);
        }
        Ok(out)
    }
}

/// One page of a grouped relation: rows `offset + 1 ..= offset + limit` of `parent`'s list.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Window {
    pub parent: i64,
    pub offset: u32,
    pub limit: u32,
}

/// Like [`GroupedBy`], but a bounded page of each parent's rows: one statement per distinct
/// page (usually one per request and relation), cut per parent by
/// `ROW_NUMBER() OVER (PARTITION BY <parent> ORDER BY <order>, id)`, which SQLite and
/// PostgreSQL both run, so a long history never comes back whole.
pub struct WindowedBy<E: EntityTrait> {
    db: DatabaseConnection,
    column: E::Column,
    order: E::Column,
    extra: Option<Condition>,
    key: fn(&E::Model) -> i64,
    _e: PhantomData<E>,
}

impl<E: EntityTrait> Loader<Window> for WindowedBy<E>
where
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[Window]) -> Result<HashMap<Window, Vec<E::Model>>, Arc<AppError>> {
        use sea_orm::IdenStatic;
        use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
        let mut pages: HashMap<(u32, u32), Vec<i64>> = HashMap::new();
        for k in keys {
            pages.entry((k.offset, k.limit)).or_default().push(k.parent);
        }
        let mut out: HashMap<Window, Vec<E::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for ((offset, limit), parents) in pages {
            let (col, order) = (self.column.as_str(), self.order.as_str());
            let mut inner = Query::select();
            inner
                .column(Asterisk)
                .expr_as(
                    Expr::cust(format!(
                        r#"ROW_NUMBER() OVER (PARTITION BY "{col}" ORDER BY "{order}", "id")"#
                    )),
                    Alias::new("rn"),
                )
                .from(Alias::new(E::default().table_name()))
                .and_where(self.column.is_in(parents));
            if let Some(c) = &self.extra {
                inner.cond_where(c.clone());
            }
            let mut outer = Query::select();
            outer
                .column(Asterisk)
                .from_subquery(inner, Alias::new("w"))
                .and_where(Expr::col(Alias::new("rn")).gt(i64::from(offset)))
                .and_where(Expr::col(Alias::new("rn")).lte(i64::from(offset) + i64::from(limit)))
                .order_by(Alias::new(col), sea_orm::Order::Asc)
                .order_by(Alias::new("rn"), sea_orm::Order::Asc);
            let stmt = self.db.get_database_backend().build(&outer);
            let rows = E::find()
                .from_raw_sql(stmt)
                .all(&self.db)
                .await
                .map_err(|e| Arc::new(e.into()))?;
            for m in rows {
                let w = Window {
                    parent: (self.key)(&m),
                    offset,
                    limit,
                };
                out.entry(w).or_default().push(m);
            }
        }
        Ok(out)
    }
}

fn windowed<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    order: E::Column,
    extra: Option<Condition>,
    key: fn(&E::Model) -> i64,
) -> Cached<WindowedBy<E>>
where
    E::Model: Clone + Send + Sync,
{
    cached(WindowedBy::<E> {
        db: db.clone(),
        column,
        order,
        extra,
        key,
        _e: PhantomData,
    })
}

/// A loader with a per-request cache, its batches run on the runtime (counted in the
/// request's SQL metrics: `metrics::carry`).
pub(crate) fn cached<L: Send + Sync + 'static>(loader: L) -> Cached<L> {
    DataLoader::with_cache(
        loader,
        |batch| tokio::spawn(crate::metrics::carry(batch)),
        HashMapCache::default(),
    )
}

/// One page of the rows related to `parent` through the request's windowed loader.
pub(crate) async fn window<E: EntityTrait>(
    ctx: &Context<'_>,
    parent: i64,
    offset: u32,
    limit: u32,
) -> async_graphql::Result<Vec<E::Model>>
where
    E::Model: Clone + Send + Sync,
{
    Ok(loader::<Cached<WindowedBy<E>>>(ctx)?
        .load_one(Window {
            parent,
            offset,
            limit,
        })
        .await
        .map_err(loader_err)?
        .unwrap_or_default())
}

fn by_id<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    key: fn(&E::Model) -> i64,
) -> Cached<ById<E>>
where
    E::Model: Clone + Send + Sync,
{
    cached(ById::<E> {
        db: db.clone(),
        column,
        key,
        table_cache: None,
        _e: PhantomData,
    })
}

/// Agencies by id, from the process's registry cache.
fn agencies(db: &Db) -> Cached<ById<agency::Entity>> {
    cached(ById {
        db: db.conn.clone(),
        column: agency::Column::Id,
        key: |m| m.id,
        table_cache: Some(db.agencies.clone()),
        _e: PhantomData,
    })
}

fn grouped<E: EntityTrait>(
    db: &DatabaseConnection,
    column: E::Column,
    order: E::Column,
    extra: Option<Condition>,
    key: fn(&E::Model) -> i64,
) -> Cached<GroupedBy<E>>
where
    E::Model: Clone + Send + Sync,
{
    cached(GroupedBy::<E> {
        db: db.clone(),
        column,
        order,
        extra,
        key,
        decode: by_name::<E>,
        _e: PhantomData,
    })
}

/// A task's assignments, decoded by position: every page of tasks reads them.
fn assignments_of_tasks(db: &DatabaseConnection) -> Cached<GroupedBy<assignment::Entity>> {
    use entity::by_position::FromRowByPosition;
    cached(GroupedBy {
        db: db.clone(),
        column: assignment::Column::TaskId,
        order: assignment::Column::Id,
        extra: None,
        key: |m| m.task_id,
        decode: |row| assignment::Model::from_row_at(row, 0),
        _e: PhantomData,
    })
}

/// Fresh loaders for one request (their caches must not outlive it).
pub fn attach(req: async_graphql::Request, db: &Db) -> async_graphql::Request {
    attach_with(req, db, true)
}

/// Loaders that batch but never cache, for a subscription: its one request lives as long as
/// the subscription, and each event must be answered with the rows as they are then.
pub fn attach_uncached(req: async_graphql::Request, db: &Db) -> async_graphql::Request {
    attach_with(req, db, false)
}

fn attach_with(req: async_graphql::Request, handle: &Db, cache: bool) -> async_graphql::Request {
    let db = &handle.conn;
    req.data(on(agencies(handle), cache))
        .data(on(
            by_id::<plan::Entity>(db, plan::Column::Id, |m| m.id),
            cache,
        ))
        .data(on(
            by_id::<task::Entity>(db, task::Column::Id, |m| m.id),
            cache,
        ))
        .data(on(
            by_id::<user::Entity>(db, user::Column::Id, |m| m.id),
            cache,
        ))
        .data(on(assignments_of_tasks(db), cache))
        .data(on(
            grouped::<target::Entity>(db, target::Column::TaskId, target::Column::Id, None, |m| {
                m.task_id.unwrap_or_default()
            }),
            cache,
        ))
        .data(on(
            grouped::<extension_request::Entity>(
                db,
                extension_request::Column::TaskId,
                extension_request::Column::Id,
                None,
                |m| m.task_id,
            ),
            cache,
        ))
        .data(on(
            grouped::<contact::Entity>(
                db,
                contact::Column::AgencyId,
                contact::Column::Id,
                None,
                |m| m.agency_id,
            ),
            cache,
        ))
        .data(on(
            windowed::<task::Entity>(
                db,
                task::Column::ParentId,
                task::Column::Position,
                None,
                |m| m.parent_id.unwrap_or_default(),
            ),
            cache,
        ))
        .data(on(
            windowed::<progress_report::Entity>(
                db,
                progress_report::Column::TaskId,
                progress_report::Column::Id,
                None,
                |m| m.task_id,
            ),
            cache,
        ))
        .data(on(
            windowed::<supervision_record::Entity>(
                db,
                supervision_record::Column::TaskId,
                supervision_record::Column::Id,
                None,
                |m| m.task_id,
            ),
            cache,
        ))
        .data(on(
            windowed::<audit_event::Entity>(
                db,
                audit_event::Column::EntityId,
                audit_event::Column::Id,
                Some(
                    Condition::all()
                        .add(audit_event::Column::Entity.eq(<task::Entity as Audited>::ENTITY)),
                ),
                |m| m.entity_id,
            ),
            cache,
        ))
        // Completion requests (申请办结) are the task's `task.request_completion` audit events:
        // the only grouped read of that table (the paged history is windowed above).
        .data(on(
            grouped::<audit_event::Entity>(
                db,
                audit_event::Column::EntityId,
                audit_event::Column::Id,
                Some(
                    Condition::all()
                        .add(audit_event::Column::Entity.eq(<task::Entity as Audited>::ENTITY))
                        .add(
                            audit_event::Column::Action
                                .eq(crate::domain::AuditAction::TaskRequestCompletion.as_str()),
                        ),
                ),
                |m| m.entity_id,
            ),
            cache,
        ))
        .data(on(super::attachments::loader_for(db), cache))
}

/// `l` with its cache on or off.
fn on<L: Send + Sync + 'static>(l: Cached<L>, cache: bool) -> Cached<L> {
    l.enable_all_cache(cache);
    l
}

/// The request's loader of type `L`; INTERNAL (never a panic) if the request was built
/// without loaders.
pub(crate) fn loader<'a, L: Send + Sync + 'static>(
    ctx: &Context<'a>,
) -> async_graphql::Result<&'a L> {
    ctx.data_opt::<L>()
        .ok_or_else(|| AppError::Internal("request built without DataLoaders".into()).extend())
}

pub(crate) fn loader_err(e: Arc<AppError>) -> async_graphql::Error {
    e.as_ref().extend()
}

/// An agency by id: from the process's registry when a fresh snapshot holds it (no
/// DataLoader round: a page names an agency for every assignment), else through the
/// request's loader.
pub(crate) async fn agency_by_id(
    ctx: &Context<'_>,
    id: i64,
) -> async_graphql::Result<Option<Arc<agency::Model>>> {
    if let Some(a) = super::state(ctx).db.agencies.fresh_row(id) {
        return Ok(Some(a));
    }
    one::<agency::Entity>(ctx, id).await
}

/// One row by id through the request's loader (shared with every other use in the request).
pub(crate) async fn one<E: EntityTrait>(
    ctx: &Context<'_>,
    id: i64,
) -> async_graphql::Result<Option<Arc<E::Model>>>
where
    E::Model: Clone + Send + Sync,
{
    loader::<Cached<ById<E>>>(ctx)?
        .load_one(id)
        .await
        .map_err(loader_err)
}

/// Loads the rows for `keys` at once, in one statement, and stores them in the request's loader
/// cache, so the resolvers below find them in memory.
///
/// For lists and for fields known to be selected (look-ahead). A DataLoader batch waits out a
/// timer window (1 ms, rounded up to the timer's tick) before it runs, once per level of the
/// query; priming skips that wait and does not depend on every sibling registering its key
/// before the window closes.
pub(crate) async fn prime_by_id<E: EntityTrait>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = i64>,
) -> async_graphql::Result<()>
where
    E::Model: Clone + Send + Sync,
{
    let dl = loader::<Cached<ById<E>>>(ctx)?;
    let keys = distinct(keys);
    if keys.is_empty() {
        return Ok(());
    }
    let rows = dl.loader().load(&keys).await.map_err(loader_err)?;
    dl.feed_many(rows).await;
    Ok(())
}

/// Like `prime_by_id` for a grouped relation; keys without rows are cached as empty. Returns
/// the rows, for priming the next level.
pub(crate) async fn prime_grouped<E: EntityTrait>(
    ctx: &Context<'_>,
    keys: impl IntoIterator<Item = i64>,
) -> async_graphql::Result<HashMap<i64, Vec<E::Model>>>
where
    E::Model: Clone + Send + Sync,
{
    let dl = loader::<Cached<GroupedBy<E>>>(ctx)?;
    let keys = distinct(keys);
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut rows = dl.loader().load(&keys).await.map_err(loader_err)?;
    for k in keys {
        rows.entry(k).or_default();
    }
    dl.feed_many(rows.clone()).await;
    Ok(rows)
}

/// Stores rows read by another statement (a join) in the request's cache, as `prime_by_id`
/// would have loaded them.
pub(crate) async fn feed_by_id<E: EntityTrait>(
    ctx: &Context<'_>,
    rows: impl IntoIterator<Item = (i64, Arc<E::Model>)>,
) -> async_graphql::Result<()>
where
    E::Model: Clone + Send + Sync,
{
    loader::<Cached<ById<E>>>(ctx)?.feed_many(rows).await;
    Ok(())
}

fn distinct(keys: impl IntoIterator<Item = i64>) -> Vec<i64> {
    let mut keys: Vec<i64> = keys.into_iter().collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The rows related to `key` through the request's grouped loader.
pub(crate) async fn many<E: EntityTrait>(
    ctx: &Context<'_>,
    key: i64,
) -> async_graphql::Result<Vec<E::Model>>
where
    E::Model: Clone + Send + Sync,
{
    Ok(loader::<Cached<GroupedBy<E>>>(ctx)?
        .load_one(key)
        .await
        .map_err(loader_err)?
        .unwrap_or_default())
}
