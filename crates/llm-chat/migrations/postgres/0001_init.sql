-- The first schema of llm-chat on PostgreSQL.
--
-- Conventions shared with the PostgreSQL schema, so that one set of queries
-- serves both engines:
--   * ids are UUIDv7 strings (time-ordered, safe to show in URLs);
--   * times are Unix epoch milliseconds in BIGINT columns;
--   * booleans are BOOLEAN (0/1 integers on SQLite).

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- 'admin' or 'user'
    role          TEXT NOT NULL CHECK (role IN ('admin', 'user')),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- Usernames are unique regardless of case: "Alice" and "alice" are one account.
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- One row per login. A JWT names its session (`sid`); logging out, changing the
-- password or disabling the user revokes sessions, which ends their tokens
-- before they expire.
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE conversations (
    id             TEXT PRIMARY KEY NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title          TEXT NOT NULL DEFAULT '',
    model          TEXT,
    system_prompt  TEXT,
    -- generation parameters (temperature, top_p, max_tokens) as a JSON object
    params         TEXT NOT NULL DEFAULT '{}',
    pinned         BOOLEAN NOT NULL DEFAULT FALSE,
    archived       BOOLEAN NOT NULL DEFAULT FALSE,
    -- the selected leaf of the message tree; no foreign key because the leaf
    -- and its conversation are written in either order within a transaction
    current_leaf_id TEXT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
-- The sidebar lists a user's conversations by latest activity.
CREATE INDEX conversations_user_activity ON conversations (user_id, updated_at DESC, id DESC);

-- Messages form a tree: regenerating or editing adds a sibling under the same parent.
CREATE TABLE messages (
    id                TEXT PRIMARY KEY NOT NULL,
    conversation_id   TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id         TEXT REFERENCES messages (id) ON DELETE CASCADE,
    role              TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT NOT NULL DEFAULT '',
    -- a reasoning model's thinking, kept apart from the answer
    reasoning         TEXT,
    model             TEXT,
    -- 'done', 'streaming', 'cancelled', 'error', 'interrupted'
    status            TEXT NOT NULL DEFAULT 'done',
    error_code        TEXT,
    error_message     TEXT,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_parent ON messages (parent_id);

-- Keys for programs using the OpenAI-compatible API. Only a hash is stored;
-- the prefix lets a user recognise a key in the list.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_user ON api_keys (user_id);

-- Settings an admin changes at run time; values are JSON.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
