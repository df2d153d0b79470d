//! Prometheus metrics of this process: what requests cost (latency, SQL statements and SQL
//! time per request), the database pool, the outbox and the reminder sweep. Recording is
//! here; `server` serves the text exposition at `/metrics`, and the services know nothing of
//! it. One registry per process, as Prometheus expects of a target.
//!
//! SQL is attributed to the request that ran it through a task-local ([`in_request`]): the
//! database handle's statement callback ([`record_statement`]) adds to the current request's
//! tally, and the DataLoaders, which run their batches in tasks of their own, carry the tally
//! there ([`carry`]).
//!
//! Label values are bounded: operation names come only from signed-in clients, at most
//! [`MAX_OPERATIONS`] distinct names of at most [`MAX_OPERATION_LEN`] bytes; anything else is
//! [`OTHER_OPERATION`]. No label names a user or an agency.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Distinct operation names kept as label values; later ones count as [`OTHER_OPERATION`].
pub const MAX_OPERATIONS: usize = 100;
/// Longer operation names count as [`OTHER_OPERATION`].
pub const MAX_OPERATION_LEN: usize = 64;
/// The one label value for anonymous, unknown, over-the-cap and unauthenticated operations.
pub const OTHER_OPERATION: &str = "_other";
/// The label value of a batch of several operations.
pub const BATCH_OPERATION: &str = "_batch";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The route's pattern (`/graphql`, `/files/{id}`), never the raw path.
    route: String,
    operation: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    operation: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// Every metric of the process.
pub struct Metrics {
    registry: Registry,
    request_seconds: Family<RequestLabels, Histogram>,
    request_statements: Family<RouteLabels, Histogram>,
    request_sql_seconds: Family<RouteLabels, Histogram>,
    pool: Family<StateLabels, Gauge>,
    outbox: Family<StateLabels, Gauge>,
    deliveries: Family<OutcomeLabels, Counter>,
    sweep_seconds: Histogram,
    operations: Mutex<HashSet<String>>,
}

fn latency_buckets() -> Histogram {
    // 0.25 ms … ~8 s
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

fn statement_buckets() -> Histogram {
    Histogram::new([
        0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0, 128.0,
    ])
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::default();
        let request_seconds = Family::<RequestLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        let request_statements = Family::<RouteLabels, Histogram>::new_with_constructor(
            statement_buckets as fn() -> Histogram,
        );
        let request_sql_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        let pool = Family::<StateLabels, Gauge>::default();
        let outbox = Family::<StateLabels, Gauge>::default();
        let deliveries = Family::<OutcomeLabels, Counter>::default();
        let sweep_seconds = Histogram::new(exponential_buckets(0.01, 2.0, 14));
        registry.register(
            "duban_http_request_duration_seconds",
            "Time from the request's arrival to its answer's headers",
            request_seconds.clone(),
        );
        registry.register(
            "duban_http_request_sql_statements",
            "SQL statements one request executed",
            request_statements.clone(),
        );
        registry.register(
            "duban_http_request_sql_duration_seconds",
            "Time one request spent in SQL statements (summed; loaders may overlap)",
            request_sql_seconds.clone(),
        );
        registry.register(
            "duban_db_pool_connections",
            "Database pool connections: in_use, idle, max",
            pool.clone(),
        );
        registry.register(
            "duban_outbox_messages",
            "Outbox messages not delivered yet, by state (pending, sending, failed)",
            outbox.clone(),
        );
        registry.register(
            "duban_outbox_deliveries",
            "Delivery attempts by outcome (sent, retrying, failed, superseded)",
            deliveries.clone(),
        );
        registry.register(
            "duban_reminder_sweep_duration_seconds",
            "Duration of a reminder sweep (finding due tasks, writing records and mails)",
            sweep_seconds.clone(),
        );
        Metrics {
            registry,
            request_seconds,
            request_statements,
            request_sql_seconds,
            pool,
            outbox,
            deliveries,
            sweep_seconds,
            operations: Mutex::default(),
        }
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The label value for an operation name sent by a client: the name itself if it is a plain
/// GraphQL name within the caps, else [`OTHER_OPERATION`]. Only signed-in clients' names are
/// admitted (`signed_in`): anyone else could fill the table with names.
pub fn operation_label(name: Option<&str>, signed_in: bool) -> String {
    let Some(name) = name.filter(|n| {
        signed_in
            && !n.is_empty()
            && n.len() <= MAX_OPERATION_LEN
            && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    }) else {
        return OTHER_OPERATION.into();
    };
    let mut known = METRICS
        .operations
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if known.contains(name) {
        return name.to_owned();
    }
    if known.len() < MAX_OPERATIONS {
        known.insert(name.to_owned());
        return name.to_owned();
    }
    OTHER_OPERATION.into()
}

/// The SQL a request ran so far.
#[derive(Default, Debug)]
pub struct RequestSql {
    statements: AtomicU64,
    nanos: AtomicU64,
}

impl RequestSql {
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
    pub fn time(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Relaxed))
    }
}

tokio::task_local! {
    static REQUEST: Arc<RequestSql>;
}

/// Runs `f` as one request: the SQL it runs (and its loaders run) is tallied in `sql`.
pub async fn in_request<F: Future>(sql: Arc<RequestSql>, f: F) -> F::Output {
    REQUEST.scope(sql, f).await
}

/// `f` with the current request's tally, for a task spawned on its behalf (a DataLoader
/// batch); `f` as it is outside a request.
pub fn carry<F>(f: F) -> Pin<Box<dyn Future<Output = F::Output> + Send>>
where
    F: Future + Send + 'static,
{
    match REQUEST.try_with(Arc::clone) {
        Ok(sql) => Box::pin(REQUEST.scope(sql, f)),
        Err(_) => Box::pin(f),
    }
}

/// Called by the database handle after every statement.
pub fn record_statement(elapsed: Duration) {
    let _ = REQUEST.try_with(|r| {
        r.statements.fetch_add(1, Ordering::Relaxed);
        r.nanos.fetch_add(
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    });
}

/// Records one answered request.
pub fn observe_request(
    route: &str,
    operation: &str,
    status: u16,
    elapsed: Duration,
    sql: &RequestSql,
) {
    METRICS
        .request_seconds
        .get_or_create(&RequestLabels {
            route: route.to_owned(),
            operation: operation.to_owned(),
            status,
        })
        .observe(elapsed.as_secs_f64());
    let labels = RouteLabels {
        route: route.to_owned(),
        operation: operation.to_owned(),
    };
    #[allow(clippy::cast_precision_loss)]
    METRICS
        .request_statements
        .get_or_create(&labels)
        .observe(sql.statements() as f64);
    METRICS
        .request_sql_seconds
        .get_or_create(&labels)
        .observe(sql.time().as_secs_f64());
}

/// The pool's connections now.
pub fn set_pool(in_use: u32, idle: u32, max: u32) {
    for (state, v) in [("in_use", in_use), ("idle", idle), ("max", max)] {
        METRICS
            .pool
            .get_or_create(&StateLabels { state })
            .set(i64::from(v));
    }
}

/// The outbox's undelivered messages now, by state.
pub fn set_outbox(state: &'static str, count: i64) {
    METRICS
        .outbox
        .get_or_create(&StateLabels { state })
        .set(count);
}

/// Counts delivery outcomes (`sent`, `retrying`, `failed`, `superseded`).
pub fn count_deliveries(outcome: &'static str, n: usize) {
    METRICS
        .deliveries
        .get_or_create(&OutcomeLabels { outcome })
        .inc_by(u64::try_from(n).unwrap_or(u64::MAX));
}

/// Records one reminder sweep's duration.
pub fn observe_sweep(elapsed: Duration) {
    METRICS.sweep_seconds.observe(elapsed.as_secs_f64());
}

/// The text exposition of every metric.
pub fn render() -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, &METRICS.registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded() {
        assert_eq!(operation_label(None, true), OTHER_OPERATION);
        assert_eq!(operation_label(Some("Tasks"), false), OTHER_OPERATION);
        assert_eq!(operation_label(Some("Tasks"), true), "Tasks");
        assert_eq!(operation_label(Some("a-b"), true), OTHER_OPERATION);
        let long = "x".repeat(MAX_OPERATION_LEN + 1);
        assert_eq!(operation_label(Some(&long), true), OTHER_OPERATION);
        for i in 0..MAX_OPERATIONS {
            let _ = operation_label(Some(&format!("Op{i}")), true);
        }
        assert_eq!(operation_label(Some("OneTooMany"), true), OTHER_OPERATION);
        assert_eq!(operation_label(Some("Tasks"), true), "Tasks");
    }
}
