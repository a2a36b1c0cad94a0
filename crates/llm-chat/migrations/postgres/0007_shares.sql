-- Share links: a read-only copy of a conversation's current branch, opened
-- by anyone who holds the link's token, without signing in.
--
-- The messages are copied (a snapshot) rather than referenced, so editing or
-- continuing the conversation later never changes what a link shows. Only
-- what a reader sees is copied: role, text, model and time of each message;
-- never reasoning, ids of users, or the conversation's settings.
--
-- The token is kept as written (not hashed) because its owner may copy the
-- link again from the list; it is 192 random bits, so it cannot be guessed.

CREATE TABLE shares (
    id              TEXT PRIMARY KEY NOT NULL,
    -- deleting the account or the conversation deletes its links
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- base64url, unique: the link is /s/<token>
    token           TEXT NOT NULL UNIQUE,
    -- the conversation's title when the link was made
    title           TEXT NOT NULL,
    -- JSON array of {role, content, model, created_at}, oldest first
    messages        TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    -- NULL: never expires
    expires_at      BIGINT,
    revoked_at      BIGINT
);
-- The owner's list, newest first.
CREATE INDEX shares_user ON shares (user_id, created_at DESC);
-- The cascade from a deleted conversation.
CREATE INDEX shares_conversation ON shares (conversation_id);
