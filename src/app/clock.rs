//! The clocks, injected from the top so that tests and `--now` can travel in time.
//!
//! Two readings with different jobs:
//! - the **business clock** ([`Clock::now`], [`Clock::today`]): the instant rules are decided
//!   at — deadlines, lights, reminder sweeps, audit times. Tests fix it; `duban remind --now`
//!   moves it.
//! - the **wall clock** ([`Clock::wall`]): delivery leases, retry backoff and token expiry,
//!   which must follow real time whatever date the business clock says.
//!
//! This module is the only caller of `Utc::now()`; everything below takes instants or days
//! as arguments.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::time::china_day;

type Source = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The application's clocks (see the module docs).
#[derive(Clone)]
pub struct Clock {
    business: Source,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock").field("now", &self.now()).finish()
    }
}

impl Clock {
    /// Both readings follow the system clock.
    pub fn system() -> Self {
        Clock {
            business: Arc::new(Utc::now),
        }
    }

    /// The business clock stands still at `at`; the wall clock still runs.
    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock {
            business: Arc::new(move || at),
        }
    }

    /// The business instant.
    pub fn now(&self) -> DateTime<Utc> {
        (self.business)()
    }

    /// The business day: the calendar day in China at [`Clock::now`].
    pub fn today(&self) -> NaiveDate {
        china_day(self.now())
    }

    /// The wall clock, for delivery and token expiry.
    pub fn wall(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
