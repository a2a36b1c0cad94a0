-- A streaming reply rewrites its text at every save (twice a second), and
-- re-indexing that text for search each time cost about a sixth of the CPU
-- while thousands of replies streamed. A reply is now indexed once, when it
-- stops streaming (finished, stopped, failed or interrupted), and again
-- whenever the text of a finished message changes. While it streams, search
-- still finds it in the user's recent conversations, which are read directly.
DROP TRIGGER search_message_content;
CREATE TRIGGER search_message_content AFTER UPDATE OF content, status ON messages
    WHEN new.status <> 'streaming' AND (new.content IS NOT old.content OR old.status = 'streaming') BEGIN
    DELETE FROM search_fts WHERE rowid = (SELECT id FROM search_docs WHERE message_id = new.id);
    INSERT INTO search_fts (rowid, body) SELECT id, new.content FROM search_docs WHERE message_id = new.id;
END;
