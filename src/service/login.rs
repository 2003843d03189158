//! The in-memory guards of logging in: the limiter of failed logins and the
//! cache of recently resolved sessions. Both live in the running server's
//! state and are lost on restart by design (a restart neither locks anyone
//! out nor keeps a revoked session alive).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{Error, Msg, Result};
use crate::service::accounts::Actor;

/// Failed logins allowed per username, and per client address, within [`WINDOW_S`].
pub const MAX_FAILURES_PER_USER: usize = 5;
/// Failed logins allowed per client address within [`WINDOW_S`].
pub const MAX_FAILURES_PER_ADDRESS: usize = 20;
/// The rate-limit window.
pub const WINDOW_S: i64 = 15 * 60;

/// Counts recent failed logins per username and per client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl LoginLimiter {
    /// Seconds until `key` drops below `max` recent failures, if it is at or over it now.
    fn locked_for(&self, key: &str, max: usize, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().expect("limiter lock poisoned");
        let entry = map.entry(key.to_owned()).or_default();
        entry.retain(|t| now - t < WINDOW_S);
        if entry.len() < max {
            return None;
        }
        // A sliding window: the lock lifts when the failure that brought the
        // count to `max` ages out, `len - max` places from the oldest.
        entry.sort_unstable();
        Some(entry[entry.len() - max] + WINDOW_S - now)
    }

    /// Refuses when either key has too many recent failures, saying how long
    /// the lock has left (the same figure in the message and in `Retry-After`).
    pub fn check(&self, user: &str, address: &str, now: i64) -> Result<()> {
        let by_user = self.locked_for(&format!("u:{user}"), MAX_FAILURES_PER_USER, now);
        let by_address = self.locked_for(&format!("a:{address}"), MAX_FAILURES_PER_ADDRESS, now);
        let Some(wait_s) = by_user.max(by_address) else {
            return Ok(());
        };
        let wait_s = wait_s.max(1);
        let minutes = (wait_s + 59) / 60;
        Err(Error::RateLimited {
            reason: Msg::new(
                format!("登录失败次数过多，请 {minutes} 分钟后再试"),
                format!("too many failed logins; try again in {minutes} minute{}", if minutes == 1 { "" } else { "s" }),
            ),
            retry_after_s: wait_s.unsigned_abs(),
        })
    }

    /// Records a failure against both keys.
    pub fn fail(&self, user: &str, address: &str, now: i64) {
        let mut map = self.failures.lock().expect("limiter lock poisoned");
        for key in [format!("u:{user}"), format!("a:{address}")] {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets a username's failures after a successful login.
    pub fn succeed(&self, user: &str) {
        self.failures.lock().expect("limiter lock poisoned").remove(&format!("u:{user}"));
    }
}

/// How long a resolved session is reused before the database is asked again.
/// Logout and assignment changes made through the server take effect at once;
/// changes made by the CLI behind its back within this window.
pub const SESSION_CACHE_S: i64 = 5;

/// Recently resolved sessions, so a busy phone does not cost a database
/// round trip per request.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, (Actor, i64, i64)>>,
}

impl SessionCache {
    /// The cached actor of `token`, if resolved within [`SESSION_CACHE_S`] and not expired.
    pub fn get(&self, token: &str, now: i64) -> Option<Actor> {
        let map = self.entries.lock().expect("session cache lock poisoned");
        map.get(token)
            .filter(|(_, cached_at, expires_at)| now - cached_at < SESSION_CACHE_S && now < *expires_at)
            .map(|(actor, _, _)| actor.clone())
    }

    /// Remembers a resolved session until `expires_at`.
    pub fn put(&self, token: &str, actor: &Actor, now: i64, expires_at: i64) {
        let mut map = self.entries.lock().expect("session cache lock poisoned");
        if map.len() > 10_000 {
            map.retain(|_, (_, cached_at, _)| now - *cached_at < SESSION_CACHE_S);
        }
        map.insert(token.to_owned(), (actor.clone(), now, expires_at));
    }

    /// Forgets one session (logout).
    pub fn forget(&self, token: &str) {
        self.entries.lock().expect("session cache lock poisoned").remove(token);
    }

    /// Forgets every session (assignments changed, so scopes may have).
    pub fn clear(&self) {
        self.entries.lock().expect("session cache lock poisoned").clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(limiter: &LoginLimiter, user: &str, address: &str, now: i64) -> (String, u64) {
        match limiter.check(user, address, now) {
            Err(Error::RateLimited { reason, retry_after_s }) => (reason.zh, retry_after_s),
            other => panic!("not refused at {now}: {other:?}"),
        }
    }

    #[test]
    fn the_lock_lasts_until_the_failures_age_out_and_says_so() {
        let limiter = LoginLimiter::default();
        let t0 = 1_800_000_000;
        for n in 0..MAX_FAILURES_PER_USER as i64 {
            limiter.fail("li.hua", "10.0.0.1", t0 + n * 60);
        }
        // Right after the fifth failure: locked until the first one is 15 minutes old.
        let (message, retry) = refusal(&limiter, "li.hua", "10.0.0.2", t0 + 4 * 60);
        assert_eq!(retry, 11 * 60);
        assert!(message.contains("11 分钟"), "{message}");
        // 10 s before the lock lifts: 10 s, and "1 minute", not 15.
        let (message, retry) = refusal(&limiter, "li.hua", "10.0.0.2", t0 + WINDOW_S - 10);
        assert_eq!(retry, 10);
        assert!(message.contains("1 分钟"), "{message}");
        assert!(limiter.check("li.hua", "10.0.0.2", t0 + WINDOW_S).is_ok());
    }

    #[test]
    fn an_address_lock_reports_its_own_remaining_time() {
        let limiter = LoginLimiter::default();
        let t0 = 1_800_000_000;
        for n in 0..MAX_FAILURES_PER_ADDRESS as i64 {
            limiter.fail(&format!("guess{n}"), "10.0.0.7", t0 + n);
        }
        let (_, retry) = refusal(&limiter, "admin", "10.0.0.7", t0 + 100);
        assert_eq!(retry, (WINDOW_S - 100) as u64);
    }
}
