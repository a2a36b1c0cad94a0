//! `llm-chat-bench`: measures llm-chat against its fake model server, the
//! same way every time. It starts both itself (127.0.0.1 only), drives a
//! load bounded in count and time, prints tables and writes a JSON report and
//! a text table per scenario into the output folder (see docs/benchmarks.md).
//!
//! Scenarios: `proxy` (what llm-chat adds to a streamed reply), `held`
//! (thousands of slow streams at once), `start` (idle memory, time to the
//! first health answer), `storage` (a database at scale, on both engines),
//! `ui` (page weight, rendering a long reply); `all` runs each in turn.

mod api;
mod held;
mod limits;
mod process;
mod proxy;
mod report;
mod start;
mod stats;
mod storage;
mod streams;
mod ui;

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Debug, Parser)]
#[command(
    name = "llm-chat-bench",
    version,
    about = "Benchmarks llm-chat against its fake model server (127.0.0.1 only)"
)]
struct Cli {
    /// The llm-chat binary to measure (build it with `cargo build --release`).
    #[arg(long, global = true, default_value = "target/release/llm-chat")]
    binary: PathBuf,
    /// Folder for the JSON reports and text tables.
    #[arg(long, global = true, default_value = "bench-results")]
    out: PathBuf,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// What llm-chat adds to a streamed reply, at several concurrency levels.
    Proxy(proxy::ProxyArgs),
    /// Thousands of slow streams held open at once.
    Held(held::HeldArgs),
    /// Time from exec to the first health answer; memory when idle.
    Start(start::StartArgs),
    /// A database at scale: listing, opening, searching, sending; on both engines.
    Storage(storage::StorageArgs),
    /// The chat page's weight and the rendering of a long streamed reply.
    Ui(ui::UiArgs),
    /// Every scenario in turn, at its full documented size (or tiny with --quick).
    All {
        /// Seconds-long runs with small counts, to check that the harness works.
        #[arg(long)]
        quick: bool,
    },
}

/// A scenario's arguments as its flags' defaults give them.
fn defaults<T: clap::Args + clap::FromArgMatches>() -> Result<T, String> {
    let matches = T::augment_args(clap::Command::new("defaults"))
        .try_get_matches_from(["defaults"])
        .map_err(|e| e.to_string())?;
    T::from_arg_matches(&matches).map_err(|e| e.to_string())
}

/// The tiny sizes with `--quick`, else the documented full ones.
fn sized<T: clap::Args + clap::FromArgMatches>(quick: bool, tiny: T) -> Result<T, String> {
    if quick { Ok(tiny) } else { defaults() }
}

async fn all(binary: &Path, out: &Path, quick: bool) -> Result<(), String> {
    start::run(binary, out, &sized(quick, start::StartArgs::quick())?).await?;
    proxy::run(binary, out, &sized(quick, proxy::ProxyArgs::quick())?).await?;
    held::run(binary, out, &sized(quick, held::HeldArgs::quick())?).await?;
    storage::run(binary, out, &sized(quick, storage::StorageArgs::quick())?).await?;
    ui::run(binary, out, &sized(quick, ui::UiArgs::quick())?).await
}

async fn run(cli: Cli) -> Result<(), String> {
    let (binary, out) = (cli.binary.as_path(), cli.out.as_path());
    match &cli.scenario {
        Scenario::Proxy(args) => proxy::run(binary, out, args).await,
        Scenario::Held(args) => held::run(binary, out, args).await,
        Scenario::Start(args) => start::run(binary, out, args).await,
        Scenario::Storage(args) => storage::run(binary, out, args).await,
        Scenario::Ui(args) => ui::run(binary, out, args).await,
        Scenario::All { quick } => all(binary, out, *quick).await,
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    // Dropping the run on Ctrl-C kills the processes it started.
    let outcome = tokio::select! {
        outcome = run(cli) => outcome,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("llm-chat-bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
