//! Full-text search of a user's message texts and conversation titles, in any
//! language: SQLite answers from its FTS5 trigram index, PostgreSQL from its
//! pg_trgm GIN indexes (see migration 0005). Terms of one or two characters
//! (common in Chinese: 猫, 天气) are too short for trigrams; they filter the
//! rows the longer terms found, or alone scan the user's own rows.

use super::conversations::like_pattern;
use super::{MessageRole, Pool, Store, StoreError};
use sqlx::AssertSqlSafe;

/// The most documents a search ranks; pages go no further.
pub const MAX_CANDIDATES: usize = 200;
const MAX_QUERY_CHARS: usize = 200;
const MAX_TERMS: usize = 8;
/// The shortest term a trigram index can answer.
const TRIGRAM: usize = 3;

/// The words of a search, each of which a hit must contain (any letter case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// Splits a query at whitespace; the error says what to change.
    pub fn parse(query: &str) -> Result<SearchTerms, String> {
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(format!(
                "the search is longer than {MAX_QUERY_CHARS} characters; use fewer words"
            ));
        }
        let mut terms: Vec<String> = Vec::new();
        for word in query.split_whitespace() {
            let word = lower(word);
            if !terms.contains(&word) {
                terms.push(word);
            }
        }
        match terms.len() {
            0 => Err("the search is empty; type a word or two".to_owned()),
            n if n > MAX_TERMS => Err(format!("the search has more than {MAX_TERMS} words; use fewer")),
            _ => Ok(SearchTerms(terms)),
        }
    }

    pub fn terms(&self) -> &[String] {
        &self.0
    }

    fn long(&self) -> impl Iterator<Item = &String> {
        self.0.iter().filter(|t| t.chars().count() >= TRIGRAM)
    }

    fn short(&self) -> impl Iterator<Item = &String> {
        self.0.iter().filter(|t| t.chars().count() < TRIGRAM)
    }

    /// An FTS5 query asking for every long term as a substring.
    fn fts_query(&self) -> Option<String> {
        let phrases: Vec<String> = self.long().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
        (!phrases.is_empty()).then(|| phrases.join(" "))
    }
}

/// One matching document: a message, or a conversation's title (`message_id` `None`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SearchRow {
    pub conversation_id: String,
    pub message_id: Option<String>,
    pub title: String,
    pub archived: bool,
    /// The text that matched.
    pub body: String,
    role: Option<String>,
    /// When the message was written, or the conversation's latest activity.
    pub at: i64,
}

impl SearchRow {
    pub fn role(&self) -> Result<Option<MessageRole>, StoreError> {
        self.role
            .clone()
            .map(MessageRole::try_from)
            .transpose()
            .map_err(|err| StoreError::Corrupt(err.to_string()))
    }
}

// `+d.user_id` keeps SQLite from driving the join by the user's documents and
// probing the index once per document: the trigram index answers first.
const SQLITE_INDEXED: &str = "SELECT d.conversation_id, d.message_id, c.title, c.archived, \
     COALESCE(m.content, c.title) AS body, m.role, COALESCE(m.created_at, c.updated_at) AS at \
     FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid \
     JOIN conversations c ON c.id = d.conversation_id LEFT JOIN messages m ON m.id = d.message_id \
     WHERE search_fts MATCH $1 AND +d.user_id = $2";
const SQLITE_SCAN: &str = "SELECT d.conversation_id, d.message_id, c.title, c.archived, \
     COALESCE(m.content, c.title) AS body, m.role, COALESCE(m.created_at, c.updated_at) AS at \
     FROM search_docs d JOIN conversations c ON c.id = d.conversation_id LEFT JOIN messages m ON m.id = d.message_id \
     WHERE $1 IS NULL AND d.user_id = $2";
const POSTGRES_MESSAGES: &str = "SELECT c.id AS conversation_id, m.id AS message_id, c.title, c.archived, \
     m.content AS body, m.role, m.created_at AS at \
     FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.user_id = $1";
const POSTGRES_TITLES: &str = "SELECT c.id AS conversation_id, NULL AS message_id, c.title, c.archived, \
     c.title AS body, NULL AS role, c.updated_at AS at FROM conversations c WHERE c.user_id = $1";

impl Store {
    /// The user's documents containing every term, best first, at most
    /// [`MAX_CANDIDATES`]. The one query path of search, for the API and benchmarks.
    pub async fn search(&self, user_id: &str, terms: &SearchTerms) -> Result<Vec<SearchRow>, StoreError> {
        let patterns: Vec<String> = match self.pool {
            Pool::Sqlite { .. } => terms.short().map(|t| like_pattern(t)).collect(),
            Pool::Postgres(_) => terms.terms().iter().map(|t| like_pattern(t)).collect(),
        };
        let mut rows = match &self.pool {
            Pool::Sqlite { read, .. } => {
                let fts = terms.fts_query();
                let (base, order) = match fts {
                    Some(_) => (SQLITE_INDEXED, "bm25(search_fts)"),
                    None => (SQLITE_SCAN, "at DESC"),
                };
                let filters = like_filters(3, patterns.len(), "COALESCE(m.content, c.title) LIKE", " ESCAPE '\\'");
                let sql = format!("{base}{filters} ORDER BY {order} LIMIT {MAX_CANDIDATES}");
                let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql))
                    .bind(fts)
                    .bind(user_id);
                for pattern in &patterns {
                    query = query.bind(pattern);
                }
                query.fetch_all(read).await?
            }
            Pool::Postgres(pool) => {
                let messages = like_filters(2, patterns.len(), "m.content ILIKE", "");
                let titles = like_filters(2, patterns.len(), "c.title ILIKE", "");
                let sql = format!(
                    "{POSTGRES_MESSAGES}{messages} UNION ALL {POSTGRES_TITLES}{titles} ORDER BY at DESC LIMIT {MAX_CANDIDATES}"
                );
                let mut query = sqlx::query_as::<_, SearchRow>(AssertSqlSafe(sql)).bind(user_id);
                for pattern in &patterns {
                    query = query.bind(pattern);
                }
                query.fetch_all(pool).await?
            }
        };
        rank(&mut rows, terms);
        Ok(rows)
    }
}

/// ` AND <lhs> $first… <suffix>` for `count` bound patterns.
fn like_filters(first: usize, count: usize, lhs: &str, suffix: &str) -> String {
    (first..first + count)
        .map(|n| format!(" AND {lhs} ${n}{suffix}"))
        .collect()
}

/// Orders hits the same way on both engines: more occurrences of more terms
/// in a shorter text first, titles above messages, then newest first.
fn rank(rows: &mut [SearchRow], terms: &SearchTerms) {
    let score = |row: &SearchRow| -> f64 {
        let text = lower(&row.body);
        let length = text.chars().count() as f64;
        let hits: f64 = terms
            .terms()
            .iter()
            .map(|t| (1.0 + text.matches(t.as_str()).count() as f64).ln())
            .sum();
        let title = if row.message_id.is_none() { 2.0 } else { 1.0 };
        title * hits / (1.0 + length / 400.0).sqrt()
    };
    let mut scored: Vec<(f64, SearchRow)> = rows.iter().map(|r| (score(r), r.clone())).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.at.cmp(&a.1.at)));
    for (slot, (_, row)) in rows.iter_mut().zip(scored) {
        *slot = row;
    }
}

/// Case folding that keeps every character's position, so that a match in
/// the folded text is a match at the same characters of the original.
pub fn lower(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut folded = c.to_lowercase();
            match (folded.next(), folded.next()) {
                (Some(one), None) => one,
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_split_into_distinct_lowercase_terms() {
        let terms = SearchTerms::parse("  Rust 异步 rust\t猫 ").unwrap();
        assert_eq!(terms.terms(), ["rust", "异步", "猫"]);
        assert_eq!(terms.fts_query().as_deref(), Some("\"rust\""));
        assert_eq!(terms.short().count(), 2);
    }

    #[test]
    fn quotes_in_terms_stay_literal_for_fts() {
        let terms = SearchTerms::parse("say\"hi\"").unwrap();
        assert_eq!(terms.fts_query().as_deref(), Some("\"say\"\"hi\"\"\""));
    }

    #[test]
    fn empty_long_and_wordy_queries_are_refused() {
        assert!(SearchTerms::parse("   ").is_err());
        assert!(SearchTerms::parse(&"x".repeat(201)).is_err());
        assert!(SearchTerms::parse("a b c d e f g h i").is_err());
    }

    #[test]
    fn folding_keeps_character_positions() {
        assert_eq!(lower("İSTANBUL Straße"), "İstanbul straße");
        assert_eq!(lower("ÄÖ猫").chars().count(), 3);
    }

    fn row(message: Option<&str>, body: &str, at: i64) -> SearchRow {
        SearchRow {
            conversation_id: "c".into(),
            message_id: message.map(str::to_owned),
            title: String::new(),
            archived: false,
            body: body.into(),
            role: None,
            at,
        }
    }

    #[test]
    fn ranking_prefers_more_matches_titles_and_then_newer() {
        let terms = SearchTerms::parse("rust").unwrap();
        let mut rows = vec![
            row(
                Some("a"),
                "rust once, and a lot of other words that dilute the match in a long text",
                3,
            ),
            row(Some("b"), "rust rust rust", 1),
            row(None, "rust", 0),
            row(Some("c"), "rust rust rust", 2),
        ];
        rank(&mut rows, &terms);
        let order: Vec<_> = rows
            .iter()
            .map(|r| r.message_id.as_deref().unwrap_or("title"))
            .collect();
        assert_eq!(order, ["title", "c", "b", "a"]);
    }
}
