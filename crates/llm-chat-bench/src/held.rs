//! Scenario `held`: thousands of slow streams (one token every 100 ms) opened
//! over a ramp, all held at once for a while, each followed to its end:
//! errors, llm-chat's memory per stream and its CPU while holding them.

use crate::api;
use crate::limits;
use crate::process::{CpuMeter, Server, fake_model, memory};
use crate::report::{self, Table};
use futures_util::StreamExt;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct HeldArgs {
    /// Streams held at once.
    #[arg(long, default_value_t = 10_000)]
    pub streams: usize,
    /// Seconds over which the streams are opened.
    #[arg(long, default_value_t = 20)]
    pub ramp_s: u64,
    /// Seconds all of them are held open together.
    #[arg(long, default_value_t = 60)]
    pub hold_s: u64,
    /// Milliseconds between tokens.
    #[arg(long, default_value_t = 100)]
    pub token_delay_ms: u64,
}

impl HeldArgs {
    pub fn quick() -> HeldArgs {
        HeldArgs {
            streams: 50,
            ramp_s: 1,
            hold_s: 2,
            token_delay_ms: 100,
        }
    }
}

/// How late a stream may end before it counts as an error.
const GRACE: Duration = Duration::from_secs(30);

pub async fn run(binary: &Path, out: &Path, args: &HeldArgs) -> Result<(), String> {
    let load = report::load_average();
    let open_files = limits::raise_open_files(1 << 20);
    // llm-chat holds two sockets per stream (client and model server); a
    // machine whose hard limit is too low holds fewer streams, and says so.
    let fits = usize::try_from(open_files.saturating_sub(1000) / 2).unwrap_or(usize::MAX);
    let streams = args.streams.min(fits);
    if streams == 0 {
        return Err(format!(
            "the open-file limit is {open_files}, too low to hold any stream; raise it (ulimit -n)"
        ));
    }
    if streams < args.streams {
        eprintln!(
            "held: the open-file limit is {open_files} and cannot be raised here: holding {streams} streams instead of {}",
            args.streams
        );
    }
    let mock = fake_model(mock_llm::Options::default()).await?;
    let server = Server::start(binary, &format!("{mock}/v1"), &[]).await?;
    let client = api::client()?;
    let account = api::register(&client, &server.base, "bench").await?;
    eprintln!("held: creating {} conversations…", streams);
    let ids = api::conversations(&client, &server.base, &account.token, streams).await?;
    let idle = memory(server.pid);
    // Every stream lasts until the last one has been held for `hold_s`.
    let lasting = Duration::from_secs(args.ramp_s + args.hold_s);
    let tokens = usize::try_from(lasting.as_millis() / u128::from(args.token_delay_ms.max(1))).unwrap_or(usize::MAX);
    let spacing = Duration::from_secs(args.ramp_s).as_secs_f64() / streams.max(1) as f64;
    eprintln!(
        "held: opening {} streams over {} s, {} tokens each, held together for {} s…",
        streams, args.ramp_s, tokens, args.hold_s
    );
    let started = Instant::now();
    // Bounded in time: a machine too busy to keep up fails streams rather than running on.
    let deadline = started + lasting + GRACE;
    let tasks = ids.iter().enumerate().map(|(i, id)| {
        let client = &client;
        let base = &server.base;
        let token = &account.token;
        async move {
            tokio::time::sleep_until((started + Duration::from_secs_f64(spacing * i as f64)).into()).await;
            let stream = crate::streams::held(client, base, token, id, tokens, args.token_delay_ms);
            tokio::time::timeout_at(deadline.into(), stream)
                .await
                .unwrap_or_else(|_| Err(format!("not finished {} s after its planned end", GRACE.as_secs())))
        }
    });
    let all = futures_util::stream::iter(tasks)
        .buffer_unordered(streams.max(1))
        .collect::<Vec<_>>();
    let sampler = async {
        // Sample while every stream is open: after the ramp, until the hold ends.
        tokio::time::sleep_until((started + Duration::from_secs(args.ramp_s)).into()).await;
        let cpu = CpuMeter::start(server.pid);
        let mut rss = Vec::new();
        let end = started + lasting;
        while Instant::now() + Duration::from_millis(500) < end {
            rss.push(memory(server.pid).current_mib);
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        (cpu.percent(), rss)
    };
    let (results, (cpu_percent, rss)) = tokio::join!(all, sampler);
    let wall = started.elapsed().as_secs_f64();
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let peak = memory(server.pid);
    server.stop().await;
    let held_rss = rss.iter().copied().fold(0.0, f64::max);
    let per_stream_kib = (held_rss - idle.current_mib) * 1024.0 / streams.max(1) as f64;
    let completed = results.len() - errors.len();
    let mut table = Table::new(
        format!(
            "held streams: {} streams, one token every {} ms, opened over {} s, held together {} s",
            streams, args.token_delay_ms, args.ramp_s, args.hold_s
        ),
        &[
            "streams",
            "completed",
            "errors",
            "rss idle MiB",
            "rss held MiB",
            "peak MiB",
            "KiB/stream",
            "cpu% held",
            "wall s",
        ],
    );
    table.row(vec![
        streams.to_string(),
        completed.to_string(),
        errors.len().to_string(),
        format!("{:.1}", idle.current_mib),
        format!("{held_rss:.1}"),
        format!("{:.1}", peak.peak_mib),
        format!("{per_stream_kib:.1}"),
        format!("{cpu_percent:.0}"),
        format!("{wall:.1}"),
    ]);
    let data = json!({
        "streams": streams,
        "streams_asked": args.streams,
        "ramp_s": args.ramp_s,
        "hold_s": args.hold_s,
        "token_delay_ms": args.token_delay_ms,
        "tokens_per_stream": tokens,
        "completed": completed,
        "errors": errors.len(),
        "errors_by_kind": errors_by_kind(&errors),
        "rss_idle_mib": idle.current_mib,
        "rss_held_max_mib": held_rss,
        "peak_rss_mib": peak.peak_mib,
        "rss_per_stream_kib": per_stream_kib,
        "cpu_percent_while_held": cpu_percent,
        "open_file_limit": open_files,
        "wall_s": wall,
    });
    report::write(out, "held", load, data, &[table])
}

/// How many streams failed for each reason (the message's first 120 characters).
fn errors_by_kind(errors: &[&String]) -> std::collections::BTreeMap<String, usize> {
    let mut kinds = std::collections::BTreeMap::new();
    for error in errors {
        *kinds.entry(error.chars().take(120).collect()).or_insert(0) += 1;
    }
    kinds
}
