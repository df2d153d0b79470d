//! Throttling of failed credential checks (sign-in, and the current password of a password
//! change), after the OWASP Authentication Cheat Sheet: slow the guesser down, never lock the
//! owner out for long.
//!
//! Two budgets, both checked before the password is compared:
//!
//! * per account and client address: a few free failures, then each further attempt waits a
//!   delay that doubles with every failure, up to [`MAX_DELAY`]. A guesser elsewhere never
//!   touches the owner's budget; one behind the owner's own address holds the owner up for at
//!   most [`MAX_DELAY`] after its last guess;
//! * per client address across all names (password spraying): a bucket of [`ADDRESS_BURST`]
//!   failures that drains one every [`ADDRESS_REFILL`]; a full bucket makes every attempt from
//!   that address wait for the next drain. The address is the client's (behind trusted proxies,
//!   the forwarded one) with IPv6 taken by its /64, so one host cannot rotate its addresses.
//!
//! An attempt is counted as a failure when it starts, in the same lock as the check, so guesses
//! sent in parallel cannot all pass before any is counted; a success takes its count back.
//! Account counts are forgotten [`FORGET_AFTER`] the last failure. Kept in process memory: with
//! several replicas a guesser gets at most `replicas ×` the budget, which argon2's cost keeps
//! slow.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one account from one address before delays start.
pub const ACCOUNT_FREE_FAILURES: u32 = 3;
/// Failures from one address, across all names, that may come at once.
pub const ADDRESS_BURST: u32 = 30;
/// The address bucket drains one failure this often (180 an hour).
pub const ADDRESS_REFILL: Duration = Duration::from_secs(20);
/// The longest delay between two attempts on one account.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// An account's count is forgotten this long after its last failure.
pub const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
const MAX_TRACKED: usize = 100_000;

/// An account's failures and the last of them, or an address bucket's fill as of `last`.
#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    last: Instant,
}

/// The delay owed after `failures` failures when `free` are allowed: 1 s, 2 s, 4 s … up to
/// [`MAX_DELAY`].
fn delay(failures: u32, free: u32) -> Duration {
    if failures < free {
        return Duration::ZERO;
    }
    let doublings = (failures - free).min(16);
    Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
}

impl Entry {
    /// How long an account entry makes the next attempt wait, at `now`.
    fn account_wait(&self, now: Instant) -> Duration {
        let owed = delay(self.failures, ACCOUNT_FREE_FAILURES);
        if owed.is_zero() || now.saturating_duration_since(self.last) > FORGET_AFTER {
            return Duration::ZERO;
        }
        (self.last + owed).saturating_duration_since(now)
    }

    /// An address bucket's fill at `now`: one failure drains every [`ADDRESS_REFILL`].
    fn bucket_fill(&self, now: Instant) -> u32 {
        let drained =
            now.saturating_duration_since(self.last).as_nanos() / ADDRESS_REFILL.as_nanos();
        self.failures
            .saturating_sub(drained.min(u128::from(u32::MAX)) as u32)
    }

    /// How long an address bucket makes the next attempt wait: until its next drain when full.
    fn bucket_wait(&self, now: Instant) -> Duration {
        if self.bucket_fill(now) < ADDRESS_BURST {
            return Duration::ZERO;
        }
        let since = now.saturating_duration_since(self.last).as_nanos();
        let into_period = Duration::from_nanos((since % ADDRESS_REFILL.as_nanos()) as u64);
        ADDRESS_REFILL - into_period
    }
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<String, Entry>>,
}

fn account_key(account: &str, address: &str) -> String {
    format!("a\u{0}{account}\u{0}{address}")
}

fn address_key(address: &str) -> String {
    format!("i\u{0}{address}")
}

impl LoginThrottle {
    /// Starts a credential check of `account` from `address`: `Err(wait)` while either budget
    /// owes a delay (nothing is counted then), otherwise the attempt is counted at once.
    pub fn begin_attempt(
        &self,
        account: &str,
        address: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        let (account, address) = (account_key(account, address), address_key(address));
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let wait = map
            .get(&account)
            .map(|e| e.account_wait(now))
            .unwrap_or_default()
            .max(
                map.get(&address)
                    .map(|e| e.bucket_wait(now))
                    .unwrap_or_default(),
            );
        if !wait.is_zero() {
            return Err(wait);
        }
        if map.len() + 2 > MAX_TRACKED {
            Self::shrink(&mut map, now);
        }
        let fresh = Entry {
            failures: 0,
            last: now,
        };
        let e = map.entry(account).or_insert(fresh);
        if now.saturating_duration_since(e.last) > FORGET_AFTER {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last = now;
        let e = map.entry(address).or_insert(fresh);
        e.failures = e.bucket_fill(now).saturating_add(1);
        e.last = now;
        Ok(())
    }

    /// The check failed (it was counted when it began): its delay runs from now, when the
    /// guesser learns the answer, not from when the slow password comparison started.
    pub fn record_failure(&self, account: &str, address: &str, now: Instant) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(e) = map.get_mut(&account_key(account, address)) {
            e.last = e.last.max(now);
        }
    }

    /// The check succeeded: the account's count is cleared and the address gets this attempt
    /// back (not more: one good account must not buy a sprayer a fresh budget).
    pub fn record_success(&self, account: &str, address: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&account_key(account, address));
        if let Some(e) = map.get_mut(&address_key(address)) {
            e.failures = e.failures.saturating_sub(1);
        }
    }

    /// Keeps memory bounded under floods of made-up names, which arrive at network speed since
    /// attempts are counted before the password check: drop what owes nothing, then (a flood
    /// of delayed names) everything. Each pass leaves at most half the cap, so the scan is paid
    /// rarely.
    fn shrink(map: &mut HashMap<String, Entry>, now: Instant) {
        map.retain(|k, e| {
            if k.starts_with('i') {
                e.bucket_fill(now) >= ADDRESS_BURST
            } else {
                !e.account_wait(now).is_zero()
                    || e.failures >= ACCOUNT_FREE_FAILURES
                        && now.saturating_duration_since(e.last) <= FORGET_AFTER
            }
        });
        if map.len() > MAX_TRACKED / 2 {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn delays_grow_and_the_owner_gets_in_after_at_most_the_cap() {
        let t = LoginThrottle::default();
        let t0 = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES {
            assert!(t.begin_attempt("a", "ip", t0).is_ok());
        }
        // Now a delay of 1 s is owed, then 2 s, 4 s …
        assert_eq!(t.begin_attempt("a", "ip", t0), Err(S));
        let mut now = t0 + S;
        let mut expected = 2 * S;
        for _ in 0..10 {
            assert!(t.begin_attempt("a", "ip", now).is_ok());
            assert_eq!(
                t.begin_attempt("a", "ip", now),
                Err(expected.min(MAX_DELAY))
            );
            now += expected.min(MAX_DELAY);
            expected *= 2;
        }
        // However long the guessing went on, the owner waits no more than the cap.
        assert!(t.begin_attempt("a", "ip", now).is_ok());
        assert!(t.begin_attempt("a", "ip", now + MAX_DELAY).is_ok());
        // Another account from the same address, and the same account elsewhere, are free.
        let later = now + MAX_DELAY;
        assert!(t.begin_attempt("b", "ip", later).is_ok());
        assert!(t.begin_attempt("a", "other", later).is_ok());
    }

    #[test]
    fn spraying_many_names_from_one_address_is_slowed() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..ADDRESS_BURST {
            assert!(t.begin_attempt(&format!("user{i}"), "ip", now).is_ok());
        }
        assert_eq!(
            t.begin_attempt("fresh-name", "ip", now),
            Err(ADDRESS_REFILL)
        );
        assert!(t.begin_attempt("fresh-name", "elsewhere", now).is_ok());
        // The bucket drains one attempt every ADDRESS_REFILL, not more.
        let later = now + ADDRESS_REFILL;
        assert!(t.begin_attempt("fresh-name", "ip", later).is_ok());
        assert_eq!(
            t.begin_attempt("other-name", "ip", later),
            Err(ADDRESS_REFILL)
        );
        let much_later = later + ADDRESS_REFILL * 5 + S;
        for i in 0..5 {
            assert!(
                t.begin_attempt(&format!("late{i}"), "ip", much_later)
                    .is_ok(),
                "{i}"
            );
        }
        assert_eq!(
            t.begin_attempt("late5", "ip", much_later),
            Err(ADDRESS_REFILL)
        );
    }

    #[test]
    fn success_clears_the_account_and_returns_one_attempt_to_the_address() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES - 1 {
            assert!(t.begin_attempt("a", "ip", now).is_ok());
        }
        assert!(t.begin_attempt("a", "ip", now).is_ok());
        t.record_success("a", "ip");
        for _ in 0..ACCOUNT_FREE_FAILURES {
            assert!(t.begin_attempt("a", "ip", now).is_ok());
        }
        assert!(t.begin_attempt("a", "ip", now).is_err());
        let address = t.entries.lock().unwrap()[&address_key("ip")].failures;
        assert_eq!(address, 2 * ACCOUNT_FREE_FAILURES - 1);
    }

    #[test]
    fn counts_are_forgotten() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES {
            t.begin_attempt("a", "ip", now).unwrap();
        }
        let later = now + FORGET_AFTER + S;
        for _ in 0..ACCOUNT_FREE_FAILURES {
            assert!(t.begin_attempt("a", "ip", later).is_ok());
        }
    }

    #[test]
    fn memory_stays_bounded_under_made_up_names() {
        let t = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_TRACKED + 10) {
            let _ = t.begin_attempt(&format!("nobody-{i}"), &format!("ip-{i}"), now);
        }
        let len = t.entries.lock().unwrap().len();
        assert!(len <= MAX_TRACKED, "{len} entries");
        // A delayed account stays delayed through the clean-up.
        let t = LoginThrottle::default();
        for _ in 0..ACCOUNT_FREE_FAILURES {
            t.begin_attempt("target", "ip", now).unwrap();
        }
        for i in 0..(MAX_TRACKED + 10) {
            let _ = t.begin_attempt(&format!("nobody-{i}"), &format!("ip-{i}"), now);
        }
        assert!(t.begin_attempt("target", "ip", now).is_err());
    }
}
