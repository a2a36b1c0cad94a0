//! Search on SQLite: the walk over the user's first conversations, and the
//! FTS5 trigram index (migrations 0005 and 0008) when the walk is not enough.

use super::{MAX_CANDIDATES, SearchRow, SearchTerms, like_filters};
use crate::store::StoreError;
use sqlx::{AssertSqlSafe, SqlitePool};

// The conversations in the sidebar's order (its index), then each one's documents.
// LIKE folds ASCII letters only; the terms are folded already, so only an
// upper-case non-ASCII letter in a text can hide a hit from the walk.
const WALK: &str = "SELECT c.id AS conversation_id, d.message_id, c.title, c.archived, \
     COALESCE(m.content, c.title) AS body, m.role, COALESCE(m.created_at, c.updated_at) AS at \
     FROM (SELECT id, title, archived, pinned, updated_at FROM conversations INDEXED BY conversations_user_list \
           WHERE user_id = $1 ORDER BY archived, pinned DESC, updated_at DESC, id DESC LIMIT $2) c \
     CROSS JOIN search_docs d ON d.user_id = $1 AND d.conversation_id = c.id \
     LEFT JOIN messages m ON m.id = d.message_id WHERE 1";
// The user's documents are the ids of their range (migration 0008), which
// FTS5 seeks to in its index. `+d.user_id` (a check that never fails) keeps
// SQLite from driving the join by the user's documents instead. CROSS JOIN
// fixes the order of the loops (SQLite keeps it as written), so that a short
// term can drop a message before its conversation is looked up.
const INDEXED: &str = "SELECT d.conversation_id, d.message_id, c.title, c.archived, \
     COALESCE(m.content, c.title) AS body, m.role, COALESCE(m.created_at, c.updated_at) AS at \
     FROM search_fts CROSS JOIN search_docs d ON d.id = search_fts.rowid \
     LEFT JOIN messages m ON m.id = d.message_id CROSS JOIN conversations c ON c.id = d.conversation_id \
     WHERE search_fts MATCH $1 AND +d.user_id = $2 \
     AND search_fts.rowid BETWEEN (SELECT slot << 32 FROM search_owners WHERE user_id = $2) \
     AND (SELECT (slot << 32) + 4294967295 FROM search_owners WHERE user_id = $2)";
const ORDER: &str = "ORDER BY c.archived, c.pinned DESC, c.updated_at DESC, c.id DESC, at DESC";

/// The hits among the documents of the user's newest `limit` conversations (all with `None`).
pub(super) async fn walk(
    pool: &SqlitePool,
    user_id: &str,
    limit: Option<i64>,
    patterns: &[String],
) -> Result<Vec<SearchRow>, StoreError> {
    let filters = like_filters(3, patterns.len(), "COALESCE(m.content, c.title) LIKE", " ESCAPE '\\'");
    let sql = format!("{WALK}{filters} {ORDER} LIMIT {MAX_CANDIDATES}");
    let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql))
        .bind(user_id)
        .bind(limit.unwrap_or(-1));
    for pattern in patterns {
        query = query.bind(pattern);
    }
    Ok(query.fetch_all(pool).await?)
}

/// The user's newest hits of the trigram index, the short terms filtered after it.
pub(super) async fn indexed(
    pool: &SqlitePool,
    user_id: &str,
    terms: &SearchTerms,
) -> Result<Vec<SearchRow>, StoreError> {
    let short: Vec<String> = terms.short().map(|t| super::like_pattern(t)).collect();
    // Each short term twice: on a message's text as soon as it is read (titles
    // pass), then on the document's text, titles included.
    let early: String = (3..3 + short.len())
        .map(|n| format!(" AND (d.message_id IS NULL OR m.content LIKE ${n} ESCAPE '\\')"))
        .collect();
    let filters = early + &like_filters(3, short.len(), "COALESCE(m.content, c.title) LIKE", " ESCAPE '\\'");
    // Newest documents first (ids grow with every write), which FTS5 reads
    // straight from its index: a common term stops after the user's first
    // MAX_CANDIDATES hits instead of sorting every hit.
    let sql = format!("{INDEXED}{filters} ORDER BY search_fts.rowid DESC LIMIT {MAX_CANDIDATES}");
    let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql))
        .bind(terms.fts_query())
        .bind(user_id);
    for pattern in &short {
        query = query.bind(pattern);
    }
    Ok(query.fetch_all(pool).await?)
}
