//! Usage accounting: one row per generation, and the reports built from them.

use super::{Store, StoreError, new_id, now_ms, on_pool, on_writer};

/// Days are UTC; a day number is `epoch_ms / DAY_MS`.
pub const DAY_MS: i64 = 86_400_000;

/// Where a generation was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSource {
    Chat,
    Api,
}

/// How a generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageOutcome {
    Done,
    Cancelled,
    Error,
}

pub struct NewUsage<'a> {
    pub user_id: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub source: UsageSource,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub first_token_ms: Option<i64>,
    pub total_ms: i64,
    pub outcome: UsageOutcome,
    pub error_code: Option<&'a str>,
}

/// One user's use of one model on one day.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageRow {
    pub user_id: String,
    pub username: String,
    pub day: i64,
    pub model: String,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub errors: i64,
}

impl Store {
    pub async fn insert_usage(&self, new: NewUsage<'_>) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO usage_events (id, user_id, model, provider, source, prompt_tokens, \
             completion_tokens, reasoning_tokens, first_token_ms, total_ms, outcome, error_code, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
        let source = match new.source {
            UsageSource::Chat => "chat",
            UsageSource::Api => "api",
        };
        let outcome = match new.outcome {
            UsageOutcome::Done => "done",
            UsageOutcome::Cancelled => "cancelled",
            UsageOutcome::Error => "error",
        };
        on_writer!(self, pool => sqlx::query(SQL)
            .bind(new_id())
            .bind(new.user_id)
            .bind(new.model)
            .bind(new.provider)
            .bind(source)
            .bind(new.prompt_tokens)
            .bind(new.completion_tokens)
            .bind(new.reasoning_tokens)
            .bind(new.first_token_ms)
            .bind(new.total_ms)
            .bind(outcome)
            .bind(new.error_code)
            .bind(now_ms())
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Usage since `since_ms`, per user, day and model (newest day first);
    /// everyone's, or only `user_id`'s.
    pub async fn usage_by_day(&self, since_ms: i64, user_id: Option<&str>) -> Result<Vec<UsageRow>, StoreError> {
        const SQL: &str = "SELECT e.user_id, u.username, CAST(e.created_at / 86400000 AS BIGINT) AS day, e.model, \
             CAST(COUNT(*) AS BIGINT) AS requests, \
             CAST(COALESCE(SUM(e.prompt_tokens), 0) AS BIGINT) AS prompt_tokens, \
             CAST(COALESCE(SUM(e.completion_tokens), 0) AS BIGINT) AS completion_tokens, \
             CAST(SUM(CASE WHEN e.outcome = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS errors \
             FROM usage_events e JOIN users u ON u.id = e.user_id \
             WHERE e.created_at >= $1 AND ($2 IS NULL OR e.user_id = $2) \
             GROUP BY e.user_id, u.username, CAST(e.created_at / 86400000 AS BIGINT), e.model \
             ORDER BY day DESC, u.username, e.model";
        let rows = on_pool!(self, pool => sqlx::query_as::<_, UsageRow>(SQL)
            .bind(since_ms)
            .bind(user_id)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Prompt plus completion tokens the user spent since `since_ms`.
    pub async fn tokens_used_since(&self, user_id: &str, since_ms: i64) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT CAST(COALESCE(SUM(COALESCE(prompt_tokens, 0) + COALESCE(completion_tokens, 0)), 0) AS BIGINT) \
             FROM usage_events WHERE user_id = $1 AND created_at >= $2";
        let used: i64 =
            on_pool!(self, pool => sqlx::query_scalar(SQL).bind(user_id).bind(since_ms).fetch_one(pool).await)?;
        Ok(used)
    }
}
