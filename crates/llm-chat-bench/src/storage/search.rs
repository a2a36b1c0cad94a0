//! Full-text search at scale: `GET /api/search` timed for one query of each
//! class of term (common and rare, English and Chinese, one character, mixed,
//! no match), and the size of the search index on disk.

use super::Timer;
use super::database::Db;
use super::text::queries;
use crate::report::{Table, ms};
use crate::stats::{Summary, summarize};
use serde::Serialize;

/// One class of query: what was asked, how many documents it found, how fast.
#[derive(Debug, Serialize)]
pub struct QueryResult {
    pub class: &'static str,
    pub query: String,
    /// Hits over every page (the API pages through the best 200 at most).
    pub hits: usize,
    pub times: Summary,
}

/// Times every query `samples` times, one request at a time.
pub async fn measure(timer: &Timer<'_>, samples: usize, errors: &mut usize) -> Vec<QueryResult> {
    let mut results = Vec::new();
    for (class, query) in queries() {
        let path = format!("/api/search?limit=20&q={}", encode(&query));
        let hits = match count_hits(timer, &path).await {
            Ok(hits) => hits,
            Err(err) => {
                *errors += 1;
                eprintln!("  {err}");
                0
            }
        };
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            match timer.get(&path).await {
                Ok((elapsed, _)) => times.push(elapsed),
                Err(err) => {
                    *errors += 1;
                    eprintln!("  {err}");
                }
            }
        }
        results.push(QueryResult {
            class,
            query,
            hits,
            times: summarize(times),
        });
    }
    results
}

/// Follows the cursor to the last page, counting the hits.
async fn count_hits(timer: &Timer<'_>, first: &str) -> Result<usize, String> {
    let mut path = first.to_owned();
    let mut hits = 0;
    loop {
        let (_, body) = timer.get(&path).await?;
        hits += body["items"].as_array().map_or(0, Vec::len);
        match body["next_cursor"].as_str() {
            Some(next) if !next.is_empty() => path = format!("{first}&cursor={next}"),
            _ => return Ok(hits),
        }
    }
}

/// Percent-encodes a query for the URL (spaces and non-ASCII included).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Bytes the search index takes: SQLite's FTS5 tables and the documents
/// table that keys them (from `dbstat`), PostgreSQL's trigram indexes.
pub async fn index_bytes(db: &Db) -> Result<Vec<(String, i64)>, String> {
    let rows: Vec<(String, i64)> = match db {
        Db::Sqlite(pool) => sqlx::query_as(
            "SELECT name, sum(pgsize) FROM dbstat \
             WHERE name LIKE 'search\\_%' ESCAPE '\\' GROUP BY name ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .map_err(|e| format!("cannot size the SQLite search index: {e}"))?,
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT c.relname::text, pg_relation_size(c.oid) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'i' \
             AND (c.relname LIKE '%trgm%' OR c.relname LIKE 'search%') ORDER BY c.relname",
        )
        .fetch_all(pool)
        .await
        .map_err(|e| format!("cannot size the PostgreSQL search indexes: {e}"))?,
    };
    Ok(rows)
}

/// The search table: one row per engine and query class.
pub fn table(title: String, rows: &[(String, &[QueryResult])]) -> Table {
    let mut table = Table::new(title, &["engine", "query class", "query", "hits", "p50", "p99", "max"]);
    for (engine, results) in rows {
        for r in *results {
            table.row(vec![
                engine.clone(),
                r.class.to_owned(),
                r.query.clone(),
                r.hits.to_string(),
                ms(r.times.p50_ms),
                ms(r.times.p99_ms),
                ms(r.times.max_ms),
            ]);
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_encoded_for_urls() {
        assert_eq!(encode("rust 异步"), "rust%20%E5%BC%82%E6%AD%A5");
    }
}
