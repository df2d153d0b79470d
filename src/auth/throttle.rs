//! Throttling of repeated login failures, per login name.
//!
//! Kept in process memory: with several replicas an attacker gets at most `replicas ×` the
//! budget, which argon2's cost already makes slow. After `FREE_FAILURES` failures inside the
//! window every further attempt for that name is refused until the window ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const FREE_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_TRACKED: usize = 100_000;

#[derive(Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Whether `login` may try now.
    pub fn allowed(&self, login: &str, now: Instant) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(login) {
            Some((count, since)) => *count < FREE_FAILURES || now.duration_since(*since) > WINDOW,
            None => true,
        }
    }

    pub fn record_failure(&self, login: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| now.duration_since(*since) <= WINDOW);
        }
        let entry = map.entry(login.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) > WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, login: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(login);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_budget_and_recovers() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES {
            assert!(t.allowed("a", now));
            t.record_failure("a", now);
        }
        assert!(!t.allowed("a", now));
        assert!(t.allowed("b", now));
        assert!(t.allowed("a", now + WINDOW + Duration::from_secs(1)));
    }
}
