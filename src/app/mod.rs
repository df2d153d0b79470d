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

    /// The business day in China ([`Clock::today`]).
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }
}
