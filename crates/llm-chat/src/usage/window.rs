//! Requests per minute per user, counted in this process over a sliding minute.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MINUTE: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct RateWindows {
    started: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateWindows {
    /// Records a request of `user_id` unless `per_minute` were made in the
    /// last minute; then says how long until one may start.
    pub fn try_start(&self, user_id: &str, per_minute: usize) -> Result<(), Duration> {
        let now = Instant::now();
        let mut started = self.started.lock().unwrap_or_else(|p| p.into_inner());
        if started.len() > 10_000 {
            started.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < MINUTE));
        }
        let times = started.entry(user_id.to_owned()).or_default();
        while times.front().is_some_and(|t| now.duration_since(*t) >= MINUTE) {
            times.pop_front();
        }
        if times.len() >= per_minute {
            let oldest = times.front().copied().unwrap_or(now);
            return Err(MINUTE
                .saturating_sub(now.duration_since(oldest))
                .max(Duration::from_secs(1)));
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_user_has_their_own_minute() {
        let windows = RateWindows::default();
        assert!(windows.try_start("a", 1).is_ok());
        assert!(windows.try_start("a", 1).is_err());
        assert!(windows.try_start("b", 1).is_ok());
    }
}
