-- Full-text search over message texts and conversation titles.
--
-- FTS5's default tokenizer splits on spaces, which Chinese does not have; the
-- trigram tokenizer indexes every three-character window instead, so any
-- substring of three or more characters is found in any language (shorter
-- queries are answered by a scan of the user's own rows).
--
-- The index is contentless (the texts already live in messages and
-- conversations) and keyed by `search_docs.id`, an INTEGER PRIMARY KEY: unlike
-- the implicit rowid of messages it survives VACUUM INTO and the row copy of a
-- restore, so the index and its documents never drift apart. Triggers keep
-- both in step inside the writing transaction.

CREATE TABLE search_docs (
    id              INTEGER PRIMARY KEY,
    -- the owner, so a search never reaches another user's documents
    user_id         TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    -- NULL: the document is the conversation's title
    message_id      TEXT
);
CREATE UNIQUE INDEX search_docs_message ON search_docs (message_id) WHERE message_id IS NOT NULL;
CREATE UNIQUE INDEX search_docs_title ON search_docs (conversation_id) WHERE message_id IS NULL;
CREATE INDEX search_docs_user ON search_docs (user_id, conversation_id);

CREATE VIRTUAL TABLE search_fts USING fts5(body, content='', contentless_delete=1, tokenize='trigram');

CREATE TRIGGER search_conversation_insert AFTER INSERT ON conversations BEGIN
    INSERT INTO search_docs (user_id, conversation_id, message_id) VALUES (new.user_id, new.id, NULL);
    INSERT INTO search_fts (rowid, body)
        SELECT id, new.title FROM search_docs WHERE conversation_id = new.id AND message_id IS NULL;
END;

CREATE TRIGGER search_conversation_title AFTER UPDATE OF title ON conversations WHEN new.title IS NOT old.title BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = new.id AND message_id IS NULL);
    INSERT INTO search_fts (rowid, body)
        SELECT id, new.title FROM search_docs WHERE conversation_id = new.id AND message_id IS NULL;
END;

-- The title only: the cascade to the conversation's messages fires their own trigger.
CREATE TRIGGER search_conversation_delete AFTER DELETE ON conversations BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE conversation_id = old.id AND message_id IS NULL);
    DELETE FROM search_docs WHERE conversation_id = old.id AND message_id IS NULL;
END;

CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_docs (user_id, conversation_id, message_id)
        SELECT user_id, id, new.id FROM conversations WHERE id = new.conversation_id;
    INSERT INTO search_fts (rowid, body) SELECT id, new.content FROM search_docs WHERE message_id = new.id;
END;

-- Streaming replies rewrite their text every half second; each save replaces its index entry.
CREATE TRIGGER search_message_content AFTER UPDATE OF content ON messages WHEN new.content IS NOT old.content BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE message_id = new.id);
    INSERT INTO search_fts (rowid, body) SELECT id, new.content FROM search_docs WHERE message_id = new.id;
END;

CREATE TRIGGER search_message_delete AFTER DELETE ON messages BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE message_id = old.id);
    DELETE FROM search_docs WHERE message_id = old.id;
END;

-- What existed before this migration.
INSERT INTO search_docs (user_id, conversation_id, message_id) SELECT user_id, id, NULL FROM conversations;
INSERT INTO search_docs (user_id, conversation_id, message_id)
    SELECT c.user_id, c.id, m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id;
INSERT INTO search_fts (rowid, body)
    SELECT d.id, COALESCE(m.content, c.title)
    FROM search_docs d JOIN conversations c ON c.id = d.conversation_id LEFT JOIN messages m ON m.id = d.message_id;
