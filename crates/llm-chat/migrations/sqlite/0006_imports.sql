-- Imported conversations remember where they came from, so that importing the
-- same file again skips what is already here instead of copying it twice.
--
-- `source_key` names the conversation in its source: `chatgpt:<id>`,
-- `open-webui:<id>` or `llm-chat:<id>` (a content hash when the source gave
-- no id). It is unique per user: two users may import the same file. Deleting
-- the imported conversation forgets the row (cascade), so it can be imported
-- again.
CREATE TABLE imports (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source_key      TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    imported_at     INTEGER NOT NULL,
    PRIMARY KEY (user_id, source_key)
);
-- The cascade from a deleted conversation looks rows up by conversation.
CREATE INDEX imports_conversation ON imports (conversation_id);
