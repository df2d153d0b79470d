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
    /// Starts an attempt for `login`: false when its budget is spent. The attempt is counted
    /// as a failure at once, in the same lock as the check, so requests sent in parallel cannot
    /// all pass the check before any of them is counted; a successful login clears the count.
    pub fn begin_attempt(&self, login: &str, now: Instant) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(login) {
            // Attempts are counted before the password check, so made-up names can arrive at
            // network speed. Keep memory bounded: drop expired entries, then those not locked,
            // then (a flood of locked names) everything; each pass leaves at most half the cap,
            // so the scan is paid rarely.
            map.retain(|_, (_, since)| now.duration_since(*since) <= WINDOW);
            if map.len() > MAX_TRACKED / 2 {
                map.retain(|_, (count, _)| *count >= FREE_FAILURES);
            }
            if map.len() > MAX_TRACKED / 2 {
                map.clear();
            }
        }
        let entry = map.entry(login.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) > WINDOW {
            *entry = (0, now);
        }
        if entry.0 >= FREE_FAILURES {
            return false;
        }
        entry.0 += 1;
        true
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
            assert!(t.begin_attempt("a", now));
        }
        assert!(!t.begin_attempt("a", now));
        assert!(t.begin_attempt("b", now));
        assert!(t.begin_attempt("a", now + WINDOW + Duration::from_secs(1)));
    }

    #[test]
    fn memory_stays_bounded_under_made_up_names() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            t.begin_attempt(&format!("nobody-{i}"), now);
        }
        let len = t.failures.lock().unwrap().len();
        assert!(len <= MAX_TRACKED, "{len} entries");
        // A locked name stays locked through the clean-up.
        let t = LoginThrottle::default();
        for _ in 0..FREE_FAILURES {
            t.begin_attempt("target", now);
        }
        for i in 0..(MAX_TRACKED + 10) {
            t.begin_attempt(&format!("nobody-{i}"), now);
        }
        assert!(!t.begin_attempt("target", now));
    }

    #[test]
    fn success_clears_the_count() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..FREE_FAILURES - 1 {
            assert!(t.begin_attempt("a", now));
        }
        t.record_success("a");
        for _ in 0..FREE_FAILURES {
            assert!(t.begin_attempt("a", now));
        }
        assert!(!t.begin_attempt("a", now));
    }
}
