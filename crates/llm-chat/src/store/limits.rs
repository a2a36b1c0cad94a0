//! Limits an administrator set for a user: tokens per day and requests per minute.

use super::{Store, StoreError, now_ms, on_pool, on_writer};

/// `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UserLimits {
    pub daily_token_quota: Option<i64>,
    pub requests_per_minute: Option<i64>,
}

impl Store {
    /// The user's limits (all `None` when none were set).
    pub async fn user_limits(&self, user_id: &str) -> Result<UserLimits, StoreError> {
        const SQL: &str = "SELECT daily_token_quota, requests_per_minute FROM user_limits WHERE user_id = $1";
        let found =
            on_pool!(self, pool => sqlx::query_as::<_, UserLimits>(SQL).bind(user_id).fetch_optional(pool).await)?;
        Ok(found.unwrap_or_default())
    }

    /// Replaces the user's limits; `NotFound` when the user does not exist.
    pub async fn set_user_limits(&self, user_id: &str, limits: UserLimits) -> Result<UserLimits, StoreError> {
        const SQL: &str = "INSERT INTO user_limits (user_id, daily_token_quota, requests_per_minute, updated_at) \
             SELECT id, $2, $3, $4 FROM users WHERE id = $1 \
             ON CONFLICT (user_id) DO UPDATE SET daily_token_quota = excluded.daily_token_quota, \
             requests_per_minute = excluded.requests_per_minute, updated_at = excluded.updated_at \
             RETURNING daily_token_quota, requests_per_minute";
        let stored = on_writer!(self, pool => sqlx::query_as::<_, UserLimits>(SQL)
            .bind(user_id)
            .bind(limits.daily_token_quota)
            .bind(limits.requests_per_minute)
            .bind(now_ms())
            .fetch_one(pool)
            .await)?;
        Ok(stored)
    }
}
