//! Scenario `storage`: a database seeded at scale (by the harness, in bulk),
//! then llm-chat's answers to the heavy user timed over HTTP: listing
//! conversations (first page and deep cursor), opening the big conversation,
//! searching titles, full-text search, sending a message; and the sizes of the
//! database and of its search index. Once per engine.

mod database;
mod search;
mod seed;
mod text;

use crate::api;
use crate::process::{Server, fake_model};
use crate::report::{self, Table, ms};
use crate::stats::{Summary, summarize};
use database::{EngineChoice, Fresh};
use seed::Scale;
use serde::Serialize;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, clap::Args)]
pub struct StorageArgs {
    /// Engines to measure.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub engines: Vec<EngineChoice>,
    /// PostgreSQL server where a database is created for the run and dropped after it.
    #[arg(
        long,
        env = "TEST_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/test"
    )]
    pub postgres_url: String,
    #[arg(long, default_value_t = 1_000)]
    pub users: usize,
    #[arg(long, default_value_t = 100_000)]
    pub conversations: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// Messages in the conversation that is opened.
    #[arg(long, default_value_t = 1_000)]
    pub big_conversation: usize,
    /// Timed requests per operation.
    #[arg(long, default_value_t = 200)]
    pub samples: usize,
    /// Leave the seeded databases in place (their URLs are printed), to study queries by hand.
    #[arg(long)]
    pub keep: bool,
}

impl StorageArgs {
    pub fn quick() -> StorageArgs {
        StorageArgs {
            engines: vec![EngineChoice::Sqlite, EngineChoice::Postgres],
            postgres_url: "postgres://postgres@127.0.0.1:5432/test".to_owned(),
            users: 10,
            conversations: 200,
            messages: 2_000,
            big_conversation: 100,
            samples: 10,
            keep: false,
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of llm-chat's time columns.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[derive(Debug, Serialize)]
struct EngineResult {
    engine: EngineChoice,
    seed_seconds: f64,
    messages_seeded: usize,
    database_mib: f64,
    list_first_page: Summary,
    list_deep_cursor: Summary,
    deep_cursor_page: usize,
    open_big_conversation: Summary,
    title_search: Summary,
    search: Vec<search::QueryResult>,
    /// Bytes of each table or index of the search index.
    search_index: Vec<(String, i64)>,
    search_index_mib: f64,
    send_message: Summary,
    errors: usize,
}

pub async fn run(binary: &Path, out: &Path, args: &StorageArgs) -> Result<(), String> {
    let load = report::load_average();
    let mock = fake_model(mock_llm::Options::default()).await?;
    let mut results = Vec::new();
    for &engine in &args.engines {
        let fresh = Fresh::create(engine, &args.postgres_url).await?;
        let measured = measure(binary, &format!("{mock}/v1"), &fresh, engine, args).await;
        if args.keep {
            eprintln!("storage ({engine:?}): the database is kept at {}", fresh.keep());
        } else {
            fresh.drop_database().await;
        }
        results.push(measured?);
    }
    let mut table = Table::new(
        format!(
            "storage at scale: {} users, {} conversations, {} messages; the heavy user holds {} conversations; times in ms over {} requests",
            args.users,
            args.conversations,
            args.messages,
            args.conversations / 10,
            args.samples
        ),
        &[
            "engine",
            "seed s",
            "db MiB",
            "list p50",
            "list p99",
            "deep p50",
            "deep p99",
            "open p50",
            "open p99",
            "search p50",
            "search p99",
            "send p50",
            "send p99",
            "errors",
        ],
    );
    for r in &results {
        table.row(vec![
            engine_name(r.engine),
            format!("{:.1}", r.seed_seconds),
            format!("{:.1}", r.database_mib),
            ms(r.list_first_page.p50_ms),
            ms(r.list_first_page.p99_ms),
            ms(r.list_deep_cursor.p50_ms),
            ms(r.list_deep_cursor.p99_ms),
            ms(r.open_big_conversation.p50_ms),
            ms(r.open_big_conversation.p99_ms),
            ms(r.title_search.p50_ms),
            ms(r.title_search.p99_ms),
            ms(r.send_message.p50_ms),
            ms(r.send_message.p99_ms),
            r.errors.to_string(),
        ]);
    }
    let mut sizes = Table::new(
        "search index size (SQLite: FTS5 tables and search_docs; PostgreSQL: trigram indexes)",
        &["engine", "db MiB", "search index MiB", "share"],
    );
    for r in &results {
        sizes.row(vec![
            engine_name(r.engine),
            format!("{:.1}", r.database_mib),
            format!("{:.1}", r.search_index_mib),
            format!(
                "{:.0} %",
                100.0 * r.search_index_mib / r.database_mib.max(f64::MIN_POSITIVE)
            ),
        ]);
    }
    let searches: Vec<(String, &[search::QueryResult])> = results
        .iter()
        .map(|r| (engine_name(r.engine), r.search.as_slice()))
        .collect();
    let search_table = search::table(
        format!(
            "full-text search (GET /api/search, first page of 20) as the heavy user; ms over {} requests",
            args.samples
        ),
        &searches,
    );
    let data = json!({"scale": {
        "users": args.users, "conversations": args.conversations, "messages": args.messages,
        "big_conversation": args.big_conversation, "heavy_user_conversations": args.conversations / 10,
        "samples": args.samples,
    }, "engines": results});
    report::write(out, "storage", load, data, &[table, search_table, sizes])
}

fn engine_name(engine: EngineChoice) -> String {
    serde_json::to_value(engine)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

async fn measure(
    binary: &Path,
    llm_url: &str,
    fresh: &Fresh,
    engine: EngineChoice,
    args: &StorageArgs,
) -> Result<EngineResult, String> {
    // llm-chat migrates the empty database; the heavy user registers as anyone would.
    let server = Server::start(binary, llm_url, &[("DATABASE_URL", fresh.url.as_str())]).await?;
    let client = api::client()?;
    let account = api::register(&client, &server.base, "heavy").await?;
    let db = fresh.connect().await?;
    eprintln!("storage ({engine:?}): seeding…");
    let seeded = seed::seed(
        &db,
        &account.user_id,
        Scale {
            users: args.users,
            conversations: args.conversations,
            messages: args.messages,
            big_conversation: args.big_conversation,
        },
    )
    .await?;
    eprintln!(
        "storage ({engine:?}): {} messages seeded in {:.1} s; measuring…",
        seeded.messages, seeded.seconds
    );
    let database_mib = fresh.size_bytes(&db).await as f64 / (1024.0 * 1024.0);
    let search_index = search::index_bytes(&db).await?;
    let search_index_mib = search_index.iter().map(|(_, n)| *n as f64).sum::<f64>() / (1024.0 * 1024.0);
    let timer = Timer {
        client: &client,
        base: &server.base,
        token: &account.token,
    };
    let mut errors = 0;
    let list_first_page = timer
        .gets("/api/conversations?limit=20", args.samples, &mut errors)
        .await;
    let (deep_cursor, deep_cursor_page, ids) = timer.deepest_cursor().await?;
    let list_deep_cursor = timer
        .gets(
            &format!("/api/conversations?limit=20&cursor={deep_cursor}"),
            args.samples,
            &mut errors,
        )
        .await;
    let open_big_conversation = timer
        .gets(
            &format!("/api/conversations/{}", seeded.big_conversation_id),
            args.samples,
            &mut errors,
        )
        .await;
    let title_search = timer
        .gets("/api/conversations?limit=20&q=docker", args.samples, &mut errors)
        .await;
    let search = search::measure(&timer, args.samples, &mut errors).await;
    let send_message = timer.sends(&ids, args.samples, &mut errors).await;
    server.stop().await;
    if let database::Db::Postgres(pool) = &db {
        pool.close().await;
    }
    Ok(EngineResult {
        engine,
        seed_seconds: seeded.seconds,
        messages_seeded: seeded.messages,
        database_mib,
        list_first_page,
        list_deep_cursor,
        deep_cursor_page,
        open_big_conversation,
        title_search,
        search,
        search_index,
        search_index_mib,
        send_message,
        errors,
    })
}

/// Times requests of the signed-in heavy user, one at a time.
struct Timer<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    token: &'a str,
}

impl Timer<'_> {
    async fn get(&self, path: &str) -> Result<(f64, Value), String> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            return Err(format!("GET {path}: HTTP {status}: {body}"));
        }
        Ok((elapsed, body))
    }

    async fn gets(&self, path: &str, samples: usize, errors: &mut usize) -> Summary {
        let mut times = Vec::with_capacity(samples);
        for _ in 0..samples {
            match self.get(path).await {
                Ok((elapsed, _)) => times.push(elapsed),
                Err(err) => {
                    *errors += 1;
                    eprintln!("  {err}");
                }
            }
        }
        summarize(times)
    }

    /// Follows the list to its last page; returns the cursor of that page,
    /// its number (pages of 20), and the ids seen (for sending).
    async fn deepest_cursor(&self) -> Result<(String, usize, Vec<String>), String> {
        let mut cursor = String::new();
        let mut deepest = String::new();
        let mut ids = Vec::new();
        loop {
            let path = if cursor.is_empty() {
                "/api/conversations?limit=200".to_owned()
            } else {
                format!("/api/conversations?limit=200&cursor={cursor}")
            };
            let (_, body) = self.get(&path).await?;
            let items = body["items"].as_array().cloned().unwrap_or_default();
            ids.extend(items.iter().filter_map(|c| c["id"].as_str().map(str::to_owned)));
            match body["next_cursor"].as_str() {
                Some(next) if !next.is_empty() => {
                    deepest = next.to_owned();
                    cursor = next.to_owned();
                }
                _ => break,
            }
        }
        Ok((deepest, ids.len() / 20, ids))
    }

    /// Sends one message to each of `samples` conversations (never the big one,
    /// first in the list), timing the `202` that says the reply started.
    async fn sends(&self, ids: &[String], samples: usize, errors: &mut usize) -> Summary {
        let mut times = Vec::with_capacity(samples);
        for id in ids.iter().skip(1).take(samples) {
            let started = Instant::now();
            let sent = self
                .client
                .post(format!("{}/api/conversations/{id}/messages", self.base))
                .bearer_auth(self.token)
                .json(&json!({"content": "bench [[mock tokens=1]]"}))
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    let _ = response.bytes().await;
                    times.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(response) => {
                    *errors += 1;
                    eprintln!("  send: HTTP {}", response.status());
                }
                Err(err) => {
                    *errors += 1;
                    eprintln!("  send: {err}");
                }
            }
        }
        summarize(times)
    }
}
