//! Slows down password guessing: too many failed sign-ins from one address,
//! for one account or overall, lock that key out for a while (429 + Retry-After).
//! Counts live in this process; each replica limits on its own.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per (address, username) within the window.
const PER_ACCOUNT: u32 = 5;
/// Failed attempts allowed per address within the window, whatever the username.
const PER_ADDRESS: u32 = 30;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Above this many tracked keys, stale ones are dropped so memory stays bounded.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Failures>>,
}

impl LoginLimiter {
    /// `Err(wait)` while either key of this attempt is locked out.
    pub fn check(&self, ip: IpAddr, username: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let map = self.lock();
        let wait = keys(ip, username)
            .iter()
            .filter_map(|(key, _)| map.get(key)?.locked_until)
            .filter_map(|until| until.checked_duration_since(now))
            .max();
        match wait {
            Some(wait) if !wait.is_zero() => Err(wait),
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, ip: IpAddr, username: &str) {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() > PRUNE_ABOVE {
            map.retain(|_, f| now.duration_since(f.since) < WINDOW || f.locked_until.is_some_and(|u| u > now));
        }
        for (key, limit) in keys(ip, username) {
            let entry = map.entry(key).or_insert(Failures {
                count: 0,
                since: now,
                locked_until: None,
            });
            if now.duration_since(entry.since) >= WINDOW {
                *entry = Failures {
                    count: 0,
                    since: now,
                    locked_until: None,
                };
            }
            entry.count += 1;
            if entry.count >= limit {
                entry.locked_until = Some(now + LOCKOUT);
            }
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn record_success(&self, ip: IpAddr, username: &str) {
        self.lock().remove(&account_key(ip, username));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // A panic while holding this lock cannot leave the counts inconsistent
        // in a way that matters, so a poisoned lock is simply reused.
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn account_key(ip: IpAddr, username: &str) -> String {
    format!("{ip}\u{0}{}", username.trim().to_lowercase())
}

fn keys(ip: IpAddr, username: &str) -> [(String, u32); 2] {
    [(account_key(ip, username), PER_ACCOUNT), (ip.to_string(), PER_ADDRESS)]
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn the_fifth_failure_locks_the_account_for_this_address() {
        let limiter = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT {
            assert!(limiter.check(IP, "Alice").is_ok());
            limiter.record_failure(IP, "alice");
        }
        let wait = limiter.check(IP, "ALICE").unwrap_err();
        assert!(wait > Duration::from_secs(60));
        assert!(limiter.check(IP, "bob").is_ok());
    }

    #[test]
    fn success_clears_the_account_count() {
        let limiter = LoginLimiter::default();
        for _ in 0..PER_ACCOUNT - 1 {
            limiter.record_failure(IP, "alice");
        }
        limiter.record_success(IP, "alice");
        limiter.record_failure(IP, "alice");
        assert!(limiter.check(IP, "alice").is_ok());
    }
}
