-- Search restricted to one user by the index itself.
--
-- The trigram index of 0005 holds every user's texts under one sequence of
-- ids: a term found in 2 % of 1,000,000 messages meant reading and joining
-- 20,000 entries to keep the user's 2,000. FTS5 seeks by id inside its
-- index, so this migration gives each user a range of ids of their own,
-- `slot << 32` up to `slot << 32 | 0xFFFFFFFF`, and a search asks only for
-- the user's range: it reads in proportion to the user's own hits. Within a
-- range the ids grow with every write, so the newest document is the largest.
--
-- The ids are renumbered once here (the index is rebuilt: about a minute per
-- million messages); afterwards the two insert triggers take the next id of
-- the owner's range.

CREATE TABLE search_owners (
    -- the user's range of search_docs ids starts at slot << 32
    slot    INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE
);

DROP TRIGGER search_conversation_insert;
CREATE TRIGGER search_conversation_insert AFTER INSERT ON conversations BEGIN
    INSERT OR IGNORE INTO search_owners (user_id) VALUES (new.user_id);
    INSERT INTO search_docs (id, user_id, conversation_id, message_id)
        SELECT (SELECT coalesce(max(d.id) + 1, o.slot << 32) FROM search_docs d
                WHERE d.id BETWEEN o.slot << 32 AND (o.slot << 32) + 4294967295),
               new.user_id, new.id, NULL
        FROM search_owners o WHERE o.user_id = new.user_id;
    INSERT INTO search_fts (rowid, body)
        SELECT id, new.title FROM search_docs WHERE conversation_id = new.id AND message_id IS NULL;
END;

DROP TRIGGER search_message_insert;
CREATE TRIGGER search_message_insert AFTER INSERT ON messages BEGIN
    INSERT INTO search_docs (id, user_id, conversation_id, message_id)
        SELECT (SELECT coalesce(max(d.id) + 1, o.slot << 32) FROM search_docs d
                WHERE d.id BETWEEN o.slot << 32 AND (o.slot << 32) + 4294967295),
               c.user_id, c.id, new.id
        FROM conversations c JOIN search_owners o ON o.user_id = c.user_id WHERE c.id = new.conversation_id;
    INSERT INTO search_fts (rowid, body) SELECT id, new.content FROM search_docs WHERE message_id = new.id;
END;

-- Renumber what exists, keeping each user's documents in their old order.
INSERT INTO search_owners (user_id) SELECT DISTINCT user_id FROM conversations ORDER BY user_id;
CREATE TABLE search_docs_renumbered AS
    SELECT (o.slot << 32) + row_number() OVER (PARTITION BY d.user_id ORDER BY d.id) - 1 AS id,
           d.user_id, d.conversation_id, d.message_id
    FROM search_docs d JOIN search_owners o ON o.user_id = d.user_id;
DELETE FROM search_docs;
INSERT INTO search_docs (id, user_id, conversation_id, message_id)
    SELECT id, user_id, conversation_id, message_id FROM search_docs_renumbered;
DROP TABLE search_docs_renumbered;
INSERT INTO search_fts (search_fts) VALUES ('delete-all');
INSERT INTO search_fts (rowid, body)
    SELECT d.id, COALESCE(m.content, c.title)
    FROM search_docs d JOIN conversations c ON c.id = d.conversation_id LEFT JOIN messages m ON m.id = d.message_id;
