//! Scenario `proxy`: the same streamed request (a) straight to the fake model
//! server, (b) through llm-chat's whole chat path (auth, storing the user
//! message, the generation, persistence, SSE) and (c) through its
//! OpenAI-compatible `/v1/chat/completions`, at each concurrency level: time
//! to first token and what llm-chat adds to it, gaps between tokens,
//! throughput, errors, and llm-chat's CPU and peak memory.

use crate::api;
use crate::process::{CpuMeter, Server, fake_model, memory};
use crate::report::{self, Table, ms};
use crate::stats::{Summary, summarize};
use crate::streams::{self, Measured};
use serde::Serialize;
use serde_json::json;
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Clone, clap::Args)]
pub struct ProxyArgs {
    /// Concurrent streams, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    pub concurrency: Vec<usize>,
    /// Tokens per reply.
    #[arg(long, default_value_t = 50)]
    pub tokens: usize,
    /// Milliseconds the fake model waits between tokens.
    #[arg(long, default_value_t = 10)]
    pub token_delay_ms: u64,
    /// Rounds per concurrency level; percentiles are over all of them.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
}

impl ProxyArgs {
    pub fn quick() -> ProxyArgs {
        ProxyArgs {
            concurrency: vec![1, 10],
            tokens: 5,
            token_delay_ms: 1,
            rounds: 1,
        }
    }
}

#[derive(Debug, Serialize)]
struct Side {
    first_token: Summary,
    gap: Summary,
    tokens_per_second: f64,
    errors: usize,
    first_error: Option<String>,
}

#[derive(Debug, Serialize)]
struct Overhead {
    side: Side,
    added_first_token_p50_ms: f64,
    added_first_token_p99_ms: f64,
    added_gap_p99_ms: f64,
    llm_chat_cpu_percent: f64,
    /// llm-chat's CPU time per streamed reply, 10 ms resolution over all of them.
    llm_chat_cpu_ms_per_reply: f64,
}

#[derive(Debug, Serialize)]
struct Level {
    concurrency: usize,
    direct: Side,
    chat: Overhead,
    /// `None` when this build has no `/v1/chat/completions`.
    openai: Option<Overhead>,
    llm_chat_peak_rss_mib: f64,
}

fn side(results: Vec<Measured>, wall_s: f64) -> Side {
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let first_error = results.iter().find_map(|r| r.error.clone());
    let tokens: usize = results.iter().map(|r| r.tokens).sum();
    let ok: Vec<&Measured> = results.iter().filter(|r| r.error.is_none()).collect();
    Side {
        first_token: summarize(ok.iter().map(|r| r.first_token_ms).collect()),
        gap: summarize(ok.iter().flat_map(|r| r.gaps_ms.iter().copied()).collect()),
        tokens_per_second: tokens as f64 / wall_s.max(1e-9),
        errors,
        first_error,
    }
}

fn overhead(side: Side, direct: &Side, cpu: &CpuMeter, replies: usize) -> Overhead {
    Overhead {
        llm_chat_cpu_ms_per_reply: cpu.seconds() * 1000.0 / replies.max(1) as f64,
        llm_chat_cpu_percent: cpu.percent(),
        added_first_token_p50_ms: side.first_token.p50_ms - direct.first_token.p50_ms,
        added_first_token_p99_ms: side.first_token.p99_ms - direct.first_token.p99_ms,
        added_gap_p99_ms: side.gap.p99_ms - direct.gap.p99_ms,
        side,
    }
}

/// Runs `rounds` waves of `concurrency` requests made by `one(i)`; returns
/// all results and the wall time spent.
async fn waves<F, Fut>(concurrency: usize, rounds: usize, one: F) -> (Vec<Measured>, f64)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Measured>,
{
    let mut all = Vec::with_capacity(concurrency * rounds);
    let mut wall = 0.0;
    for round in 0..rounds {
        let started = Instant::now();
        all.extend(futures_util::future::join_all((0..concurrency).map(|i| one(round * concurrency + i))).await);
        wall += started.elapsed().as_secs_f64();
    }
    (all, wall)
}

/// True when this build answers `/v1/chat/completions` (not 404).
async fn has_openai_api(client: &reqwest::Client, base: &str, key: &str) -> bool {
    let probe = client
        .post(format!("{base}/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({"model": "mock-model", "messages": [{"role": "user", "content": "probe [[mock tokens=1]]"}]}))
        .send()
        .await;
    !matches!(probe, Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND)
}

pub async fn run(binary: &Path, out: &Path, args: &ProxyArgs) -> Result<(), String> {
    let load = report::load_average();
    let mock = fake_model(mock_llm::Options {
        token_delay_ms: args.token_delay_ms,
        ..Default::default()
    })
    .await?;
    let server = Server::start(binary, &format!("{mock}/v1"), &[]).await?;
    let client = api::client()?;
    let account = api::register(&client, &server.base, "bench").await?;
    let key = api::api_key(&client, &server.base, &account.token).await?;
    let openai_available = has_openai_api(&client, &server.base, &key).await;
    if !openai_available {
        eprintln!("/v1/chat/completions: not available in this build (404); scenario (c) skipped");
    }
    let direct_url = format!("{mock}/v1/chat/completions");
    let openai_url = format!("{}/v1/chat/completions", server.base);
    let tokens = args.tokens;
    let mut levels = Vec::new();
    for &concurrency in &args.concurrency {
        eprintln!("proxy: concurrency {concurrency}, direct…");
        let (results, wall) = waves(concurrency, args.rounds, |_| {
            streams::openai(&client, &direct_url, None, tokens)
        })
        .await;
        let direct = side(results, wall);

        eprintln!("proxy: concurrency {concurrency}, through the chat path…");
        let ids = api::conversations(&client, &server.base, &account.token, concurrency * args.rounds).await?;
        let cpu = CpuMeter::start(server.pid);
        let (results, wall) = waves(concurrency, args.rounds, |i| {
            streams::through_chat(&client, &server.base, &account.token, &ids[i], tokens)
        })
        .await;
        let chat = overhead(side(results, wall), &direct, &cpu, concurrency * args.rounds);

        let openai = if openai_available {
            eprintln!("proxy: concurrency {concurrency}, through /v1/chat/completions…");
            let cpu = CpuMeter::start(server.pid);
            let (results, wall) = waves(concurrency, args.rounds, |_| {
                streams::openai(&client, &openai_url, Some(&key), tokens)
            })
            .await;
            Some(overhead(side(results, wall), &direct, &cpu, concurrency * args.rounds))
        } else {
            None
        };
        levels.push(Level {
            concurrency,
            direct,
            chat,
            openai,
            llm_chat_peak_rss_mib: memory(server.pid).peak_mib,
        });
    }
    server.stop().await;
    let table = table(args, &levels, openai_available);
    let data = json!({
        "tokens": args.tokens,
        "token_delay_ms": args.token_delay_ms,
        "rounds": args.rounds,
        "openai_api": if openai_available { "measured" } else { "not available in this build" },
        "levels": levels,
    });
    report::write(out, "proxy", load, data, &[table])
}

fn table(args: &ProxyArgs, levels: &[Level], openai_available: bool) -> Table {
    let mut table = Table::new(
        format!(
            "proxy overhead: {} tokens per reply, {} ms between tokens, {} round(s) per level; times in ms{}",
            args.tokens,
            args.token_delay_ms,
            args.rounds,
            if openai_available {
                ""
            } else {
                "; /v1/chat/completions: not available in this build"
            }
        ),
        &[
            "conc",
            "path",
            "ttft p50",
            "ttft p99",
            "+ttft p50",
            "+ttft p99",
            "gap p99",
            "+gap p99",
            "tok/s",
            "errors",
            "cpu%",
            "cpu ms/reply",
            "rss MiB",
        ],
    );
    for level in levels {
        let d = &level.direct;
        table.row(vec![
            level.concurrency.to_string(),
            "direct".to_owned(),
            ms(d.first_token.p50_ms),
            ms(d.first_token.p99_ms),
            "-".to_owned(),
            "-".to_owned(),
            ms(d.gap.p99_ms),
            "-".to_owned(),
            format!("{:.0}", d.tokens_per_second),
            d.errors.to_string(),
            "-".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
        ]);
        let mut paths = vec![("chat", &level.chat)];
        if let Some(openai) = &level.openai {
            paths.push(("/v1", openai));
        }
        for (name, o) in paths {
            table.row(vec![
                level.concurrency.to_string(),
                name.to_owned(),
                ms(o.side.first_token.p50_ms),
                ms(o.side.first_token.p99_ms),
                ms(o.added_first_token_p50_ms),
                ms(o.added_first_token_p99_ms),
                ms(o.side.gap.p99_ms),
                ms(o.added_gap_p99_ms),
                format!("{:.0}", o.side.tokens_per_second),
                o.side.errors.to_string(),
                format!("{:.0}", o.llm_chat_cpu_percent),
                format!("{:.2}", o.llm_chat_cpu_ms_per_reply),
                format!("{:.1}", level.llm_chat_peak_rss_mib),
            ]);
        }
    }
    table
}
