//! Full-text search of a user's message texts and conversation titles, in any
//! language: SQLite answers from its FTS5 trigram index, PostgreSQL from its
//! pg_trgm GIN index keyed by owner (migrations 0005 and 0008). Terms of one
//! or two characters (common in Chinese: 猫, 天气) are too short for trigrams.
//!
//! Which documents: the [`MAX_CANDIDATES`] first matching documents of the
//! user's conversations in the sidebar's order (pinned first, then by latest
//! activity, archived last). A common term has that many in the first few
//! hundred conversations, so ranking every hit of it across all
//! users would be wasted work; a rare term has few hits anywhere, which the
//! index finds at once. [`Store::search`] therefore plans per query:
//!
//! 1. walk the documents of the user's first [`WALK_CONVERSATIONS`]
//!    conversations in that order, filtering by substring; enough hits there,
//!    or no older conversation, and the answer is complete;
//! 2. otherwise ask the trigram index (restricted to the user) for every hit,
//!    ordered the same way; a query of short terms only, which the index
//!    cannot answer, walks all of the user's conversations instead.
//!
//! The candidates are then ranked in [`rank`].

mod postgres;
mod sqlite;

use super::conversations::like_pattern;
use super::{MessageRole, Pool, Store, StoreError, on_pool};

/// The most documents a search ranks; pages go no further.
pub const MAX_CANDIDATES: usize = 200;
/// Conversations walked before the index is asked: each walked document
/// costs a few microseconds, so this bounds the walk to ~10 ms for users
/// whose conversations are short. Measured with the benchmark harness.
pub const WALK_CONVERSATIONS: i64 = 400;
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

impl Store {
    /// The user's documents containing every term, best first, at most
    /// [`MAX_CANDIDATES`]. The one query path of search, for the API and benchmarks.
    pub async fn search(&self, user_id: &str, terms: &SearchTerms) -> Result<Vec<SearchRow>, StoreError> {
        const COUNT: &str = "SELECT count(*) FROM (SELECT 1 FROM conversations WHERE user_id = $1 LIMIT $2) AS c";
        let patterns: Vec<String> = terms.terms().iter().map(|t| like_pattern(t)).collect();
        let conversations: i64 = on_pool!(self, pool => sqlx::query_scalar(COUNT)
            .bind(user_id)
            .bind(WALK_CONVERSATIONS + 1)
            .fetch_one(pool)
            .await)?;
        let walked = self.walk(user_id, Some(WALK_CONVERSATIONS), &patterns).await?;
        let mut rows = match after_walk(walked.len(), conversations > WALK_CONVERSATIONS, terms) {
            None => walked,
            Some(Plan::Walk(limit)) => self.walk(user_id, limit, &patterns).await?,
            Some(Plan::Index) => match &self.pool {
                Pool::Sqlite { read, .. } => sqlite::indexed(read, user_id, terms).await?,
                Pool::Postgres(pool) => postgres::indexed(pool, user_id, &patterns).await?,
            },
        };
        rank(&mut rows, terms);
        Ok(rows)
    }

    /// The hits among the documents of the user's newest `limit` conversations (all with `None`).
    async fn walk(&self, user_id: &str, limit: Option<i64>, patterns: &[String]) -> Result<Vec<SearchRow>, StoreError> {
        match &self.pool {
            Pool::Sqlite { read, .. } => sqlite::walk(read, user_id, limit, patterns).await,
            Pool::Postgres(pool) => postgres::walk(pool, user_id, limit, patterns).await,
        }
    }
}

/// Which way a query reaches the documents (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The newest conversations first, at most this many (all with `None`).
    Walk(Option<i64>),
    /// Every hit of the trigram index, restricted to the user.
    Index,
}

/// The plan after a bounded walk found `found` hits: done, or what next.
fn after_walk(found: usize, more_conversations: bool, terms: &SearchTerms) -> Option<Plan> {
    if found >= MAX_CANDIDATES || !more_conversations {
        None
    } else if terms.long().next().is_some() {
        Some(Plan::Index)
    } else {
        Some(Plan::Walk(None))
    }
}

/// ` AND <lhs> $first… <suffix>` for `count` bound patterns.
fn like_filters(first: usize, count: usize, lhs: &str, suffix: &str) -> String {
    (first..first + count)
        .map(|n| format!(" AND {lhs} ${n}{suffix}"))
        .collect()
}

/// Orders the candidates the same way on both engines: more occurrences of
/// more terms in a shorter text first, titles above messages (a title that
/// names the subject beats a passing mention), then newest first.
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
    fn a_short_walk_is_enough_for_common_terms_and_small_users() {
        let long = SearchTerms::parse("rust 猫").unwrap();
        let short = SearchTerms::parse("猫").unwrap();
        assert_eq!(after_walk(MAX_CANDIDATES, true, &long), None);
        assert_eq!(after_walk(3, false, &long), None);
        assert_eq!(after_walk(3, true, &long), Some(Plan::Index));
        assert_eq!(after_walk(3, true, &short), Some(Plan::Walk(None)));
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
