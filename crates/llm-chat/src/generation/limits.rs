//! Per-user limits on new replies: how many may run at once and how many may
//! start per minute. Counted in this process.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MINUTE: Duration = Duration::from_secs(60);

pub struct StartLimits {
    per_minute: usize,
    started: Mutex<HashMap<String, VecDeque<Instant>>>,
}

/// Why a reply may not start now, and when to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitHit {
    TooManyRunning { limit: usize },
    TooManyPerMinute { limit: usize, retry_after: Duration },
}

impl StartLimits {
    pub fn new(per_minute: usize) -> StartLimits {
        StartLimits {
            per_minute,
            started: Mutex::new(HashMap::new()),
        }
    }

    /// Records a start for `user_id` unless the per-minute budget is spent.
    pub fn try_start(&self, user_id: &str) -> Result<(), LimitHit> {
        let now = Instant::now();
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if started.len() > 10_000 {
            started.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < MINUTE));
        }
        let times = started.entry(user_id.to_owned()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
            times.pop_front();
        }
        if times.len() >= self.per_minute {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(LimitHit::TooManyPerMinute {
                limit: self.per_minute,
                retry_after: MINUTE
                    .saturating_sub(now.duration_since(oldest))
                    .max(Duration::from_secs(1)),
            });
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_per_user() {
        let limits = StartLimits::new(2);
        assert!(limits.try_start("a").is_ok());
        assert!(limits.try_start("a").is_ok());
        assert!(matches!(
            limits.try_start("a"),
            Err(LimitHit::TooManyPerMinute { limit: 2, .. })
        ));
        assert!(limits.try_start("b").is_ok());
    }
}
