//! Usage accounting and per-user limits: the tokens-per-day quota and the
//! requests-per-minute rate an administrator set, checked before every
//! generation (chat and `/v1`), and the usage reports.

mod window;

use crate::store::{DAY_MS, Store, StoreError, UsageRow, UserLimits, now_ms};
use std::time::Duration;
pub use window::RateWindows;

/// Reports cover at most this many days.
pub const MAX_DAYS: u32 = 366;

/// Which limit was hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// Tokens per day.
    Quota,
    /// Requests per minute.
    Rate,
}

/// A generation refused because of a limit, with when to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LimitExceeded {
    pub kind: LimitKind,
    pub message: String,
    pub retry_after: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Limit(#[from] LimitExceeded),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Usage over a period: totals and one row per user, day and model.
pub struct Report {
    pub days: u32,
    pub rows: Vec<UsageRow>,
}

pub struct UsageService {
    store: Store,
    windows: RateWindows,
}

impl UsageService {
    pub fn new(store: Store) -> UsageService {
        UsageService {
            store,
            windows: RateWindows::default(),
        }
    }

    /// Admits one more generation for `user_id`, or says which limit stops it.
    /// The request counts against the per-minute rate once admitted.
    pub async fn admit(&self, user_id: &str) -> Result<(), UsageError> {
        let limits = self.store.user_limits(user_id).await?;
        if let Some(quota) = limits.daily_token_quota {
            let now = now_ms();
            let today = now - now.rem_euclid(DAY_MS);
            let used = self.store.tokens_used_since(user_id, today).await?;
            if used >= quota {
                let resets_in = Duration::from_millis(u64::try_from(today + DAY_MS - now).unwrap_or(0));
                return Err(LimitExceeded {
                    kind: LimitKind::Quota,
                    message: format!(
                        "you have used your daily quota of {quota} tokens ({used} used today); it resets at midnight UTC, in {}. Ask your administrator for a higher quota",
                        human(resets_in)
                    ),
                    retry_after: resets_in.max(Duration::from_secs(1)),
                }
                .into());
            }
        }
        if let Some(per_minute) = limits.requests_per_minute {
            let per_minute = usize::try_from(per_minute).unwrap_or(0);
            if let Err(retry_after) = self.windows.try_start(user_id, per_minute) {
                return Err(LimitExceeded {
                    kind: LimitKind::Rate,
                    message: format!(
                        "you may start {per_minute} requests per minute; try again in {} s. Ask your administrator for a higher limit",
                        retry_after.as_secs().max(1)
                    ),
                    retry_after,
                }
                .into());
            }
        }
        Ok(())
    }

    /// Usage of the last `days` days (today included); everyone's, or `user_id`'s.
    pub async fn report(&self, days: Option<u32>, user_id: Option<&str>) -> Result<Report, UsageError> {
        let days = days.unwrap_or(30);
        if days == 0 || days > MAX_DAYS {
            return Err(UsageError::Invalid(format!("days must be between 1 and {MAX_DAYS}")));
        }
        let now = now_ms();
        let since = now - now.rem_euclid(DAY_MS) - i64::from(days - 1) * DAY_MS;
        let rows = self.store.usage_by_day(since, user_id).await?;
        Ok(Report { days, rows })
    }

    pub async fn limits(&self, user_id: &str) -> Result<UserLimits, UsageError> {
        self.store.user_by_id(user_id).await?;
        Ok(self.store.user_limits(user_id).await?)
    }

    pub async fn set_limits(&self, user_id: &str, limits: UserLimits) -> Result<UserLimits, UsageError> {
        let positive = |value: Option<i64>| value.is_none_or(|v| v > 0);
        if !positive(limits.daily_token_quota) || !positive(limits.requests_per_minute) {
            return Err(UsageError::Invalid(
                "limits must be positive whole numbers, or null for unlimited".to_owned(),
            ));
        }
        Ok(self.store.set_user_limits(user_id, limits).await?)
    }
}

fn human(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60);
    if minutes >= 60 {
        format!("{} h {} min", minutes / 60, minutes % 60)
    } else {
        format!("{minutes} min")
    }
}
