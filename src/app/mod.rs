//! The application: its shared state and its clocks, built once at the top (`cli`, tests)
//! and handed down to the GraphQL schema, the HTTP server and the background worker.
//!
//! `app` sits above `services` and `notify` and below `graphql`, `worker`, `server` and
//! `cli`: it may name the lower layers (it holds a database handle, the configuration and
//! the token keys) but never the higher ones.

pub mod clock;

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

pub use clock::Clock;

use crate::auth::{TokenKeys, ViewerCache, throttle::LoginThrottle};
use crate::config::Config;
use crate::db::Db;

/// Everything requests and background passes share.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keys: TokenKeys,
    pub throttle: Arc<LoginThrottle>,
    pub viewers: Arc<ViewerCache>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(db: Db, config: Config) -> Self {
        let keys = TokenKeys::new(&config.jwt_secret, config.token_ttl_hours);
        AppState {
            db,
            config: Arc::new(config),
            keys,
            throttle: Arc::default(),
            viewers: Arc::default(),
            clock: Clock::system(),
        }
    }

    /// The business instant ([`Clock::now`]).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The user behind a token of credential generation `generation`, if that token still
    /// counts: `Ok(None)` when the user is gone or disabled, or changed their password (or had
    /// their tokens revoked) since. Served from the viewer cache when it is fresh enough.
    ///
    /// # Errors
    /// INTERNAL when the database cannot say: an outage must not look like a logout.
    pub async fn current_viewer(
        &self,
        user_id: i64,
        generation: i32,
    ) -> crate::error::AppResult<Option<crate::auth::Viewer>> {
        let current = |v: crate::auth::Viewer| (v.token_generation == generation).then_some(v);
        // A token newer than the cached viewer (a password changed through another replica,
        // or just now) means the cache is behind: read the user again rather than refuse it.
        if let Some(v) = self.viewers.get(user_id)
            && v.token_generation >= generation
        {
            return Ok(current(v));
        }
        match crate::services::users::viewer_for(&self.db.conn, user_id).await {
            Ok(v) => {
                self.viewers.put(v.clone());
                Ok(current(v))
            }
            Err(crate::error::AppError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The business day in China ([`Clock::today`]).
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }
}
