//! Per-user limits on new replies: how many may run at once and how many may
//! start per minute. Counted in this process.

use crate::usage::RateWindows;
use std::time::Duration;

pub struct StartLimits {
    per_minute: usize,
    started: RateWindows,
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
            started: RateWindows::default(),
        }
    }

    /// Records a start for `user_id` unless the per-minute budget is spent.
    pub fn try_start(&self, user_id: &str) -> Result<(), LimitHit> {
        self.started
            .try_start(user_id, self.per_minute)
            .map_err(|retry_after| LimitHit::TooManyPerMinute {
                limit: self.per_minute,
                retry_after,
            })
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
