//! `llm-chat-bench`: measures llm-chat against its fake model server. It
//! starts both itself (127.0.0.1 only), drives a bounded load, prints a table
//! and writes a JSON report.
//!
//! Scenario `proxy`: the same streamed request straight to the fake model
//! server and through llm-chat's whole chat path (auth, storing the user
//! message, the generation, persistence, SSE), at each concurrency level; it
//! reports time to first token, gaps between tokens, throughput, errors, and
//! llm-chat's CPU and peak memory.

mod process;
mod stats;
mod streams;

use clap::Parser;
use serde::Serialize;
use serde_json::{Value, json};
use stats::{Summary, summarize};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "llm-chat-bench",
    version,
    about = "Benchmarks llm-chat against its fake model server (127.0.0.1 only)"
)]
struct Args {
    /// The llm-chat binary to measure (build it with `cargo build --release`).
    #[arg(long, default_value = "target/release/llm-chat")]
    binary: PathBuf,
    /// Concurrent streams, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1,100")]
    concurrency: Vec<usize>,
    /// Tokens per reply.
    #[arg(long, default_value_t = 50)]
    tokens: usize,
    /// Milliseconds the fake model waits between tokens.
    #[arg(long, default_value_t = 10)]
    token_delay_ms: u64,
    /// Where to write the JSON report.
    #[arg(long, default_value = "bench-report.json")]
    report: PathBuf,
}

#[derive(Debug, Serialize)]
struct Side {
    first_token: Summary,
    gap: Summary,
    tokens_per_second: f64,
    errors: usize,
}

#[derive(Debug, Serialize)]
struct Level {
    concurrency: usize,
    direct: Side,
    through_chat: Side,
    added_first_token_p50_ms: f64,
    added_first_token_p99_ms: f64,
    added_gap_p99_ms: f64,
    llm_chat_cpu_percent: f64,
    llm_chat_peak_rss_mib: f64,
}

fn side(results: Vec<streams::Measured>, wall_s: f64) -> Side {
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    if let Some(first) = results.iter().find_map(|r| r.error.clone()) {
        eprintln!("  first error: {first}");
    }
    let tokens: usize = results.iter().map(|r| r.tokens).sum();
    let ok: Vec<&streams::Measured> = results.iter().filter(|r| r.error.is_none()).collect();
    Side {
        first_token: summarize(ok.iter().map(|r| r.first_token_ms).collect()),
        gap: summarize(ok.iter().flat_map(|r| r.gaps_ms.iter().copied()).collect()),
        tokens_per_second: tokens as f64 / wall_s.max(1e-9),
        errors,
    }
}

/// POSTs JSON (with a token when given) and reads the JSON answer.
async fn post_json(client: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Result<Value, String> {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    response.json().await.map_err(|e| e.to_string())
}

async fn setup_user(client: &reqwest::Client, base: &str) -> Result<String, String> {
    let body = post_json(
        client,
        format!("{base}/api/auth/register"),
        None,
        json!({"username": "bench", "password": "bench-password"}),
    )
    .await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("cannot register: {body}"))
}

async fn conversations(client: &reqwest::Client, base: &str, token: &str, count: usize) -> Result<Vec<String>, String> {
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let body = post_json(
            client,
            format!("{base}/api/conversations"),
            Some(token),
            json!({"title": "bench"}),
        )
        .await?;
        ids.push(body["id"].as_str().ok_or("no conversation id")?.to_owned());
    }
    Ok(ids)
}

async fn run(args: Args) -> Result<(), String> {
    let mock = mock_llm::spawn(mock_llm::Options {
        token_delay_ms: args.token_delay_ms,
        ..Default::default()
    })
    .await
    .map_err(|e| format!("cannot start the fake model server: {e}"))?;
    let mock = format!("http://{mock}");
    let server = process::Server::start(&args.binary, &format!("{mock}/v1"), &[]).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(2000)
        .build()
        .map_err(|e| e.to_string())?;
    let token = setup_user(&client, &server.base).await?;
    let mut levels = Vec::new();
    for &concurrency in &args.concurrency {
        eprintln!("concurrency {concurrency}: direct…");
        let started = Instant::now();
        let direct =
            futures_util::future::join_all((0..concurrency).map(|_| streams::direct(&client, &mock, args.tokens)))
                .await;
        let direct = side(direct, started.elapsed().as_secs_f64());

        eprintln!("concurrency {concurrency}: through llm-chat…");
        let ids = conversations(&client, &server.base, &token, concurrency).await?;
        let cpu_before = process::cpu_seconds(server.pid);
        let started = Instant::now();
        let through = futures_util::future::join_all(
            ids.iter()
                .map(|id| streams::through_chat(&client, &server.base, &token, id, args.tokens)),
        )
        .await;
        let wall = started.elapsed().as_secs_f64();
        let cpu = (process::cpu_seconds(server.pid) - cpu_before) / wall * 100.0;
        let through = side(through, wall);
        levels.push(Level {
            concurrency,
            added_first_token_p50_ms: through.first_token.p50_ms - direct.first_token.p50_ms,
            added_first_token_p99_ms: through.first_token.p99_ms - direct.first_token.p99_ms,
            added_gap_p99_ms: through.gap.p99_ms - direct.gap.p99_ms,
            llm_chat_cpu_percent: cpu,
            llm_chat_peak_rss_mib: process::memory_mib(server.pid).0,
            direct,
            through_chat: through,
        });
    }
    server.stop().await;
    print_table(&args, &levels);
    let report =
        json!({"scenario": "proxy", "tokens": args.tokens, "token_delay_ms": args.token_delay_ms, "levels": levels});
    std::fs::write(&args.report, serde_json::to_string_pretty(&report).unwrap_or_default())
        .map_err(|e| format!("cannot write {}: {e}", args.report.display()))?;
    eprintln!("report written to {}", args.report.display());
    Ok(())
}

#[expect(clippy::print_stdout, reason = "the table is this program's output")]
fn print_table(args: &Args, levels: &[Level]) {
    println!(
        "proxy overhead: {} tokens per reply, {} ms between tokens",
        args.tokens, args.token_delay_ms
    );
    println!(
        "{:>6} | {:>9} {:>9} | {:>9} {:>9} | {:>8} {:>8} | {:>9} {:>9} | {:>6} | {:>5} | {:>7}",
        "conc",
        "ttft p50",
        "ttft p99",
        "chat p50",
        "chat p99",
        "+p50",
        "+p99",
        "gap p99",
        "chat gap",
        "errors",
        "cpu%",
        "rss MiB"
    );
    for l in levels {
        println!(
            "{:>6} | {:>9.2} {:>9.2} | {:>9.2} {:>9.2} | {:>8.2} {:>8.2} | {:>9.2} {:>9.2} | {:>6} | {:>5.0} | {:>7.1}",
            l.concurrency,
            l.direct.first_token.p50_ms,
            l.direct.first_token.p99_ms,
            l.through_chat.first_token.p50_ms,
            l.through_chat.first_token.p99_ms,
            l.added_first_token_p50_ms,
            l.added_first_token_p99_ms,
            l.direct.gap.p99_ms,
            l.through_chat.gap.p99_ms,
            l.direct.errors + l.through_chat.errors,
            l.llm_chat_cpu_percent,
            l.llm_chat_peak_rss_mib,
        );
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("llm-chat-bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
