//! Search on PostgreSQL: the walk over the user's newest conversations, and
//! the owner-keyed pg_trgm GIN indexes (migration 0008) when the walk is not
//! enough. ILIKE folds letter case in every script, as the terms are folded.

use super::{MAX_CANDIDATES, SearchRow, like_filters};
use crate::store::StoreError;
use sqlx::{AssertSqlSafe, PgPool};

// `recent` comes from the sidebar's index (user_id, archived, pinned DESC,
// updated_at DESC, id DESC); a NULL limit is no limit. Each conversation's
// title and messages are read by the conversation's own index (LATERAL), so a
// common term stops after MAX_CANDIDATES hits in the sidebar's order. Joined
// plainly, PostgreSQL may instead answer the filters from the trigram index
// across all users (90,000 rows for "rust" at 1,000,000 messages) and only
// then keep the user's conversations.
const WALK: &str = "WITH recent AS (SELECT id, title, archived, pinned, updated_at FROM conversations \
         WHERE user_id = $1 ORDER BY archived, pinned DESC, updated_at DESC, id DESC LIMIT $2) \
     SELECT r.id AS conversation_id, d.message_id, r.title, r.archived, d.body, d.role, d.at \
     FROM recent r CROSS JOIN LATERAL ( \
         SELECT NULL::text AS message_id, r.title AS body, NULL::text AS role, r.updated_at AS at \
         UNION ALL SELECT m.id, m.content, m.role, m.created_at FROM messages m WHERE m.conversation_id = r.id) d \
     WHERE true";
const ORDER: &str = "ORDER BY archived, pinned DESC, activity DESC, conversation_id DESC, at DESC";
const MESSAGES: &str = "SELECT c.id AS conversation_id, m.id AS message_id, c.title, c.archived, \
     m.content AS body, m.role, m.created_at AS at, c.pinned, c.updated_at AS activity \
     FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id = $1";
const TITLES: &str = "SELECT c.id AS conversation_id, NULL AS message_id, c.title, c.archived, \
     c.title AS body, NULL AS role, c.updated_at AS at, c.pinned, c.updated_at AS activity \
     FROM conversations c WHERE c.user_id = $1";

/// The hits among the documents of the user's newest `limit` conversations (all with `None`).
pub(super) async fn walk(
    pool: &PgPool,
    user_id: &str,
    limit: Option<i64>,
    patterns: &[String],
) -> Result<Vec<SearchRow>, StoreError> {
    let filters = like_filters(3, patterns.len(), "d.body ILIKE", "");
    let sql = format!("{WALK}{filters} LIMIT {MAX_CANDIDATES}");
    let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit);
    for pattern in patterns {
        query = query.bind(pattern);
    }
    Ok(query.fetch_all(pool).await?)
}

/// Every hit of the owner-keyed trigram indexes, messages and titles. A short
/// term has no trigram to look up; PostgreSQL (13 and later) then reads the
/// index for the other terms and checks it on the rows found.
pub(super) async fn indexed(pool: &PgPool, user_id: &str, patterns: &[String]) -> Result<Vec<SearchRow>, StoreError> {
    let messages = like_filters(2, patterns.len(), "m.content ILIKE", "");
    let titles = like_filters(2, patterns.len(), "c.title ILIKE", "");
    let sql = format!(
        "SELECT conversation_id, message_id, title, archived, body, role, at FROM \
         ({MESSAGES}{messages} UNION ALL {TITLES}{titles}) AS hits {ORDER} LIMIT {MAX_CANDIDATES}"
    );
    let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql)).bind(user_id);
    for pattern in patterns {
        query = query.bind(pattern);
    }
    Ok(query.fetch_all(pool).await?)
}
