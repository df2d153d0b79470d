//! The GraphQL API. The schema is built without HTTP (`build_schema`); the server only
//! decodes the bearer token and attaches the viewer to the request.

/// The resolver skeleton (authorise → transaction → service with its audit event → map),
/// written once. A resolver authorises (`viewer(ctx)?`, and `require_*` where the role
/// decides before the input is read), parses its input, then states only its service call:
///
/// `mutate!(ctx, |tx, now| services::plans::delete(tx, v, id, now)).map(Plan)`
///
/// opens a write transaction, runs the call with `tx` bound to it and `now` to the request's
/// business time, commits on success and yields `Result<T>` for the resolver to map. An
/// error drops the uncommitted transaction, which rolls it back. A macro rather than a
/// generic function over an async closure: the call borrows the transaction, and stable Rust
/// cannot promise that such a closure's future is `Send`, which every resolver must be.
/// Defined before the modules that use it.
macro_rules! mutate {
    ($ctx:expr, |$tx:ident, $now:ident| $call:expr) => {
        async {
            let st = $crate::graphql::state($ctx);
            let guard = st.db.write().await?;
            let out = {
                let $tx = &*guard;
                let $now = st.now();
                $call.await?
            };
            guard.commit().await?;
            ::std::result::Result::<_, ::async_graphql::Error>::Ok(out)
        }
        .await
    };
}

pub mod attachments;
pub mod connection;
pub mod evaluation;
pub mod import;
pub mod limits;
pub mod loaders;
pub mod mutation;
pub mod node;
pub mod notify;
pub mod parse_cache;
pub mod persisted;
pub mod query;
pub mod request;
pub mod subscription;
pub mod types;

use async_graphql::{Context, ErrorExtensions, MergedObject, Schema};
use chrono::NaiveDate;

use crate::app::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

pub type AppSchema = Schema<QueryRoot, MutationRoot, subscription::SubscriptionRoot>;

/// All reads. Each subsystem contributes its own object (core, reminders, evaluation).
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::CoreQuery,
    notify::NotifyQuery,
    evaluation::EvaluationQuery,
    node::NodeQuery,
);

/// All writes, merged the same way.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::AccountMutation,
    mutation::AgencyMutation,
    mutation::PlanMutation,
    mutation::TaskMutation,
    mutation::WorkflowMutation,
    notify::NotifyMutation,
    evaluation::EvaluationMutation,
    import::ImportMutation,
    attachments::AttachmentMutation,
);

/// Limits that keep one request from costing the server unbounded work. The document's
/// expanded size and root fields are checked first (see [`limits`]); depth and complexity
/// are then checked again by async-graphql with the costs below.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 20_000;

/// How many items a list under a task that is read whole (targets, extension requests: a few
/// per task) counts as, for the complexity limit.
pub(crate) const NESTED_LIST_COST: usize = 10;
/// The page of a bounded list under a task (`history`, `reports`, `children`,
/// `supervisionRecords`, `assignments`) when `first` is not given, and its largest; the
/// complexity limit counts such a list as the page it asks for.
pub(crate) const SUB_PAGE_DEFAULT: usize = 20;
pub(crate) const SUB_PAGE_MAX: usize = 100;
/// How many rows a list with one row per agency counts as (the registry has hundreds).
pub(crate) const AGENCY_ROWS: usize = 200;
/// How many revisions a list of evaluations counts as (a few a year).
pub(crate) const EVALUATION_ROWS: usize = 5;
/// What a field that aggregates over every task costs before its rows: a dashboard scans the
/// task table, so twenty of them in one request are the most the limit lets through.
pub(crate) const AGGREGATE_COST: usize = 1_000;
/// Most operations accepted in one batched HTTP request.
pub const MAX_BATCH: usize = 10;

/// The schema over `state`, with its own event hub (one per router: one per replica).
pub fn build_schema(state: AppState) -> AppSchema {
    let hub = crate::services::events::Hub::new(state.db.conn.clone());
    build_schema_with(state, hub)
}

/// The schema over `state`, serving subscriptions from `hub`.
pub fn build_schema_with(
    state: AppState,
    hub: std::sync::Arc<crate::services::events::Hub>,
) -> AppSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .data(state)
    .data(hub)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(32)
    .limit_directives(20)
    .finish()
}

/// The SDL the code builds (what `schema.graphql` must equal).
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .finish()
    .sdl()
}

pub(crate) fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<AppState>()
}

/// The authenticated viewer, or UNAUTHENTICATED.
pub(crate) fn viewer<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Viewer> {
    ctx.data_opt::<Viewer>()
        .ok_or_else(|| AppError::Unauthenticated.extend())
}

pub(crate) fn today(ctx: &Context<'_>) -> NaiveDate {
    state(ctx).today()
}
