//! Test harness: a fresh database per test (a real SQLite file, or a fresh PostgreSQL database
//! when `DUBAN_TEST_POSTGRES_URL` is set), the real router on a real port, real HTTP.
#![allow(dead_code)]

use duban::auth::Actor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use duban::app::{AppState, Clock};
use duban::config::Config;
use duban::db::Db;
use serde_json::{Value, json};

pub const PASSWORD: &str = "test-password-1";
/// The scraper's bearer token for `/metrics` in tests.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A running duban with its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub http: reqwest::Client,
    /// SQL statements executed through the app's connection (see `statements_during`).
    pub statements: Arc<AtomicU64>,
    /// Of those, the ones that read the `user` table (the token's user, when the 5-second
    /// viewer cache has expired) or check a cached table's generation (at most once a
    /// second): a cost per request, not per page, so the statement-count tests leave them
    /// out rather than depend on how fast the machine is.
    pub user_reads: Arc<AtomicU64>,
    _dir: tempfile::TempDir,
    pg_drop: Option<(String, String)>,
}

/// Which database the suite runs on (`DUBAN_TEST_POSTGRES_URL` switches to PostgreSQL).
pub fn postgres_base() -> Option<String> {
    std::env::var("DUBAN_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Fixed "now" for tests: 2025-06-01 10:00 China time.
pub fn default_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 2, 0, 0).unwrap()
}

async fn fresh_database_url(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match postgres_base() {
        None => (
            format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
            None,
        ),
        Some(base) => {
            let name = format!(
                "duban_t_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                rand_suffix()
            );
            let admin = Db::connect(&base)
                .await
                .expect("connect to the PostgreSQL base URL");
            use sea_orm::ConnectionTrait;
            admin
                .conn
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("base URL ends in /dbname");
            (format!("{prefix}/{name}"), Some((base.clone(), name)))
        }
    }
}

/// The S3 bucket of the storage tests (`DUBAN_TEST_S3_URL=s3://bucket`, with `AWS_ENDPOINT_URL`
/// and the other `AWS_*` variables for a real S3-protocol server such as moto); without it,
/// files go to the local filesystem.
pub fn s3_base() -> Option<String> {
    std::env::var("DUBAN_TEST_S3_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Local storage in the test's directory, or a fresh prefix of the test bucket per test (so
/// that counting a test's objects counts only its own).
fn test_storage(dir: &std::path::Path) -> duban::storage::Storage {
    let url = s3_base().map(|base| {
        format!(
            "{}/t-{}-{}-{}",
            base.trim_end_matches('/'),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            rand_suffix()
        )
    });
    let location = duban::storage::Location::parse(url.as_deref(), dir).expect("storage URL");
    duban::storage::Storage::open(location).expect("open storage")
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0)
}

impl TestApp {
    /// Migrated empty database, router listening on 127.0.0.1:<random>.
    pub async fn spawn() -> TestApp {
        Self::spawn_at(default_now()).await
    }

    pub async fn spawn_at(now: DateTime<Utc>) -> TestApp {
        Self::spawn_configured(now, duban::config::Limits::default()).await
    }

    /// With other request limits (to reach a time or size limit with a small request).
    pub async fn spawn_with_limits(limits: duban::config::Limits) -> TestApp {
        Self::spawn_configured(default_now(), limits).await
    }

    async fn spawn_configured(now: DateTime<Utc>, limits: duban::config::Limits) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg_drop) = fresh_database_url(dir.path()).await;
        let mut db = Db::connect(&url).await.expect("connect");
        db.migrate().await.expect("migrate");
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        let user_reads = Arc::new(AtomicU64::new(0));
        let user_counter = user_reads.clone();
        let log_sql = std::env::var_os("DUBAN_TEST_LOG_SQL").is_some();
        db.observe_statements(move |info| {
            if log_sql {
                eprintln!("SQL: {}", info.statement.sql);
            }
            counter.fetch_add(1, Ordering::SeqCst);
            // Also a cached table's generation check (at most one a second, not per page).
            if info.statement.sql.contains(r#"FROM "user""#)
                || info.statement.sql.contains(r#"FROM "table_generation""#)
            {
                user_counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: url,
            jwt_secret: b"test-secret-test-secret-test-secret-0123".to_vec(),
            smtp_url: None,
            mail_from: "duban@test.local".into(),
            public_url: "http://duban.test".into(),
            api_url: None,
            db_max_connections: None,
            token_ttl_hours: 1,
            limits,
            trusted_proxies: vec!["127.0.0.2".parse().unwrap()],
            storage: test_storage(dir.path()),
            metrics_token: Some(METRICS_TOKEN.into()),
        };
        let mut state = AppState::new(db, config);
        state.clock = Clock::fixed(now);
        let addr = serve(state.clone()).await;
        TestApp {
            addr,
            state,
            http: reqwest::Client::new(),
            statements,
            user_reads,
            _dir: dir,
            pg_drop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POSTs a GraphQL operation; returns the whole JSON response.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("request");
        resp.json().await.expect("json response")
    }

    /// Like [`gql`] but panics on errors and returns `data`.
    pub async fn ok(&self, token: &str, query: &str, variables: Value) -> Value {
        let v = self.gql(Some(token), query, variables).await;
        assert!(v.get("errors").is_none(), "unexpected errors: {v}");
        v["data"].clone()
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let v = self
            .gql(
                None,
                "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }",
                json!({"u": username, "p": password}),
            )
            .await;
        v["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {v}"))
            .to_owned()
    }

    /// A second router over the same database and state but other limits, as another
    /// replica configured differently would be; returns its address.
    pub async fn second_router(&self, limits: duban::config::Limits) -> SocketAddr {
        let mut state = self.state.clone();
        let mut config = (*state.config).clone();
        config.limits = limits;
        state.config = Arc::new(config);
        serve(state).await
    }

    /// Another replica: its own connection pool and caches over the same database, the same
    /// configuration, its own router; `recheck` is how long its cached tables go unchecked.
    /// Returns its address and how many of its statements contained `counted` so far.
    pub async fn replica(
        &self,
        recheck: std::time::Duration,
        counted: &'static str,
    ) -> (SocketAddr, Arc<AtomicU64>) {
        let mut db = Db::connect(&self.state.config.database_url)
            .await
            .expect("connect replica")
            .with_cache_recheck(recheck);
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        db.observe_statements(move |info| {
            if info.statement.sql.contains(counted) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let mut state = self.state.clone();
        state.db = db;
        state.viewers = Arc::default();
        (serve(state).await, count)
    }

    /// A GraphQL request to the router at `addr` (another replica), failing on errors.
    pub async fn ok_at(
        &self,
        addr: SocketAddr,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Value {
        let v: Value = self
            .http
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert!(v.get("errors").is_none(), "errors: {v}");
        v["data"].clone()
    }

    /// The id of the token's user.
    pub async fn my_id(&self, token: &str) -> String {
        self.ok(token, "{ me { id } }", json!({})).await["me"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db.conn
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, name)) = self.pg_drop.take() {
            // Best effort: a separate runtime on a separate thread, since Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(admin) = Db::connect(&base).await {
                        use sea_orm::ConnectionTrait;
                        let _ = admin
                            .conn
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The real router over `state` on 127.0.0.1:<random>, in the background.
async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = duban::server::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// The global id (what the API hands out) of row `row` of GraphQL type `kind`.
pub fn gid(kind: &str, row: i64) -> String {
    duban::domain::global_id::encode(kind, row)
}

/// The row id inside an id the API handed out (a global id), or of a bare row id.
pub fn row(id: &str) -> i64 {
    id.parse::<i64>().ok().unwrap_or_else(|| {
        duban::domain::global_id::decode(id)
            .unwrap_or_else(|| panic!("not an id: {id:?}"))
            .1
    })
}

/// The error code of the first error in a response.
pub fn code(v: &Value) -> &str {
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("expected an error, got {v}"))
}

/// A small world: two agencies, a plan with two tasks, one user per role (and one of
/// another agency), all with [`PASSWORD`].
pub struct World {
    pub office: String,
    pub leader: String,
    /// Staff of the lead agency of task `t1`.
    pub lead_staff: String,
    /// Staff of an agency that participates in `t1`.
    pub part_staff: String,
    /// Staff of an agency with no role on `t1`.
    pub other_staff: String,
    pub lead_agency: String,
    pub part_agency: String,
    pub other_agency: String,
    pub plan: String,
    pub t1: String,
    pub t2: String,
}

pub async fn seed_world(app: &TestApp) -> World {
    use duban::domain::{AgencyKind, AgencyLevel, AssignmentRole, PlanStatus, TaskKind, UserRole};
    use duban::services::*;
    let now = default_now();
    let db = &app.state.db;
    let tx = db.write().await.unwrap();
    let mk_agency = |name: &str| agencies::AgencyInput {
        name: name.into(),
        short_name: None,
        aliases: vec![],
        level: AgencyLevel::City,
        kind: AgencyKind::Department,
        parent_id: None,
    };
    let lead = agencies::create(
        &*tx,
        Actor::System,
        mk_agency("测试市生态环境局"),
        true,
        now,
    )
    .await
    .unwrap();
    let part = agencies::create(
        &*tx,
        Actor::System,
        mk_agency("测试市发展和改革委员会"),
        true,
        now,
    )
    .await
    .unwrap();
    let other = agencies::create(
        &*tx,
        Actor::System,
        mk_agency("测试市交通运输局"),
        true,
        now,
    )
    .await
    .unwrap();
    let hash = duban::auth::password::hash(PASSWORD).unwrap();
    for (u, role, a) in [
        ("office", UserRole::Office, None),
        ("leader", UserRole::Leader, None),
        ("lead", UserRole::Agency, Some(lead.id)),
        ("part", UserRole::Agency, Some(part.id)),
        ("other", UserRole::Agency, Some(other.id)),
    ] {
        users::create_hashed(
            &*tx,
            Actor::System,
            users::UserInput {
                username: u.into(),
                display_name: u.into(),
                email: None,
                role,
                agency_id: a,
            },
            hash.clone(),
            now,
        )
        .await
        .unwrap();
    }
    let plan = plans::create(
        &*tx,
        Actor::System,
        plans::PlanInput {
            title: "测试市碳达峰实施方案".into(),
            document_number: Some("测政字〔2025〕1号".into()),
            issuers: vec!["测试市人民政府".into()],
            issue_date: None,
            region: Some("测试市".into()),
            status: PlanStatus::Active,
            default_deadline: None,
        },
        None,
        now,
    )
    .await
    .unwrap();
    let mk_task = |code: &str, title: &str, deadline: &str| tasks::TaskInput {
        plan_id: plan.id,
        parent_id: None,
        code: code.into(),
        kind: TaskKind::Task,
        title: title.into(),
        body: String::new(),
        deadline: Some(duban::domain::Deadline::parse(deadline).unwrap()),
        ongoing: false,
        report_cadence: None,
        groups: vec![],
        lead_undecided: false,
    };
    let t1 = tasks::create(
        &*tx,
        Actor::System,
        mk_task("一(一)", "推进煤炭消费替代", "2025-12"),
        now,
    )
    .await
    .unwrap();
    let t2 = tasks::create(
        &*tx,
        Actor::System,
        mk_task("一(二)", "推动交通绿色低碳", "2025-03-31"),
        now,
    )
    .await
    .unwrap();
    for (t, a, r) in [
        (t1.id, lead.id, AssignmentRole::Lead),
        (t1.id, part.id, AssignmentRole::Participant),
        (t2.id, other.id, AssignmentRole::Lead),
    ] {
        tasks::assign(
            &*tx,
            Actor::System,
            tasks::AssignmentInput {
                task_id: t,
                agency_id: a,
                role: r,
                note: None,
                sub_deadline: None,
            },
            now,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    World {
        office: app.login("office", PASSWORD).await,
        leader: app.login("leader", PASSWORD).await,
        lead_staff: app.login("lead", PASSWORD).await,
        part_staff: app.login("part", PASSWORD).await,
        other_staff: app.login("other", PASSWORD).await,
        lead_agency: gid("Agency", lead.id),
        part_agency: gid("Agency", part.id),
        other_agency: gid("Agency", other.id),
        plan: gid("Plan", plan.id),
        t1: gid("Task", t1.id),
        t2: gid("Task", t2.id),
    }
}

/// Number of rows in a table (to prove that a refused write changed nothing).
pub async fn count_rows(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db().get_database_backend();
    let row = app
        .db()
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM \"{table}\""),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}
