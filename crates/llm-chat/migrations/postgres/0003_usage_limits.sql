-- Usage accounting and per-user limits.
--
-- One row per generation, from the chat UI (`chat`) or the OpenAI-compatible
-- API (`api`). Token counts are what the upstream reported (NULL when it did
-- not); latencies are measured by this server.
CREATE TABLE usage_events (
    id                TEXT PRIMARY KEY NOT NULL,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    model             TEXT NOT NULL,
    provider          TEXT NOT NULL,
    source            TEXT NOT NULL CHECK (source IN ('chat', 'api')),
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    -- filled from the upstream's completion_tokens_details.reasoning_tokens
    reasoning_tokens  BIGINT,
    first_token_ms    BIGINT,
    total_ms          BIGINT NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('done', 'cancelled', 'error')),
    error_code        TEXT,
    created_at        BIGINT NOT NULL
);
-- Quotas sum one user's tokens since midnight; reports group a period by day.
CREATE INDEX usage_events_user_time ON usage_events (user_id, created_at);
CREATE INDEX usage_events_time ON usage_events (created_at);

-- Limits an administrator set for a user; no row, or NULL, means unlimited.
CREATE TABLE user_limits (
    user_id             TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    daily_token_quota   BIGINT,
    requests_per_minute BIGINT,
    updated_at          BIGINT NOT NULL
);
