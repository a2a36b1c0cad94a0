-- Search restricted to one user by the index itself.
--
-- The trigram indexes of 0005 hold every user's texts: a term in 2 % of
-- 1,000,000 messages meant 20,000 rows fetched from the table and rechecked
-- before the owner was even looked at (275 ms). With the owner as the first
-- column of a GIN index (btree_gin lets a GIN index hold a plain column; it
-- ships with PostgreSQL's contrib, as pg_trgm does) the index intersects the
-- owner's rows with the term's before any row is read, so a search costs in
-- proportion to the user's own hits.
--
-- messages had no owner column (it is the conversation's); a trigger copies
-- it on insert, so no writer changes. Conversations never change owner.
--
-- Creating the extension needs a superuser or a role allowed to create it; if
-- this migration fails for that reason, run once as a superuser in this
-- database: CREATE EXTENSION btree_gin;

CREATE EXTENSION IF NOT EXISTS btree_gin;

ALTER TABLE messages ADD COLUMN user_id TEXT;
UPDATE messages m SET user_id = c.user_id FROM conversations c WHERE c.id = m.conversation_id;
ALTER TABLE messages ALTER COLUMN user_id SET NOT NULL;

CREATE FUNCTION messages_set_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.user_id := (SELECT user_id FROM conversations WHERE id = NEW.conversation_id);
    RETURN NEW;
END
$$;
CREATE TRIGGER messages_owner BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION messages_set_owner();

DROP INDEX messages_content_trgm;
CREATE INDEX messages_search_trgm ON messages USING gin (user_id, content gin_trgm_ops);
DROP INDEX conversations_title_trgm;
CREATE INDEX conversations_search_trgm ON conversations USING gin (user_id, title gin_trgm_ops);
