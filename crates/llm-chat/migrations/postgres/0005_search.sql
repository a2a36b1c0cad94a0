-- Full-text search over message texts and conversation titles.
--
-- Word-based text search does not segment Chinese, which has no spaces;
-- pg_trgm indexes every three-character window, so a GIN trigram index
-- answers `ILIKE '%…%'` for any substring of three or more characters in any
-- language (shorter queries are answered by a scan of the user's own rows).
-- PostgreSQL keeps these indexes in step with every write of its transaction.
--
-- Creating the extension needs a superuser or a role allowed to create it; if
-- this migration fails for that reason, run once as a superuser in this
-- database: CREATE EXTENSION pg_trgm;

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX messages_content_trgm ON messages USING gin (content gin_trgm_ops);
CREATE INDEX conversations_title_trgm ON conversations USING gin (title gin_trgm_ops);
