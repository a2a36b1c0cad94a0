//! Scenario `start`: how fast llm-chat answers after exec, and how much
//! memory it holds when idle; each run on a fresh database.

use crate::process::{Server, fake_model, memory};
use crate::report::{self, Table, ms};
use crate::stats::summarize;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, clap::Args)]
pub struct StartArgs {
    /// Starts to measure.
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seconds to let the server settle before reading its idle memory.
    #[arg(long, default_value_t = 3)]
    pub settle_s: u64,
}

impl StartArgs {
    pub fn quick() -> StartArgs {
        StartArgs { runs: 1, settle_s: 1 }
    }
}

pub async fn run(binary: &Path, out: &Path, args: &StartArgs) -> Result<(), String> {
    let load = report::load_average();
    let mock = fake_model(mock_llm::Options::default()).await?;
    let mut ready = Vec::new();
    let mut idle = Vec::new();
    for run in 0..args.runs {
        let server = Server::start(binary, &format!("{mock}/v1"), &[]).await?;
        tokio::time::sleep(Duration::from_secs(args.settle_s)).await;
        let rss = memory(server.pid).current_mib;
        eprintln!(
            "start: run {}: health after {:.1} ms, idle RSS {rss:.1} MiB",
            run + 1,
            server.ready_ms
        );
        ready.push(server.ready_ms);
        idle.push(rss);
        server.stop().await;
    }
    let ready = summarize(ready);
    let rss = summarize(idle.clone());
    let mut table = Table::new(
        format!(
            "idle and start: {} fresh starts (SQLite, migrations included)",
            args.runs
        ),
        &["health p50 ms", "health max ms", "idle rss p50 MiB", "idle rss max MiB"],
    );
    table.row(vec![
        ms(ready.p50_ms),
        ms(ready.max_ms),
        format!("{:.1}", rss.p50_ms),
        format!("{:.1}", rss.max_ms),
    ]);
    let data = json!({
        "runs": args.runs,
        "settle_s": args.settle_s,
        "health_after_exec_ms": ready,
        "idle_rss_mib": {"p50": rss.p50_ms, "max": rss.max_ms, "all": idle},
    });
    report::write(out, "start", load, data, &[table])
}
