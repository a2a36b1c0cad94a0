//! `mock-llm`: a fake OpenAI-compatible model server for tests and benchmarks.
//!
//! It answers `GET /v1/models` and `POST /v1/chat/completions` (streamed and
//! not, with a usage chunk when asked), records what it received at
//! `GET /_mock/requests`, and obeys directives written into the last user
//! message, e.g. `[[mock tokens=50 first=200 delay=10 fault=close after=5]]`
//! (see `directives.rs`). It only ever listens where it is told (127.0.0.1 by
//! default).

mod chat;
mod directives;
mod recorder;

use clap::Parser;
use std::sync::Arc;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "mock-llm",
    version,
    about = "A fake OpenAI-compatible model server for tests and benchmarks"
)]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Models listed by /v1/models (comma-separated).
    #[arg(long, default_value = "mock-model", value_delimiter = ',')]
    models: Vec<String>,
    /// Reply length in tokens when the message gives none.
    #[arg(long, default_value_t = 20)]
    tokens: usize,
    /// Milliseconds before the first token.
    #[arg(long, default_value_t = 0)]
    first_token_ms: u64,
    /// Milliseconds between tokens.
    #[arg(long, default_value_t = 0)]
    token_delay_ms: u64,
    /// Require `Authorization: Bearer <key>`.
    #[arg(long)]
    api_key: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = Options::parse();
    let listener = match tokio::net::TcpListener::bind((options.host.as_str(), options.port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("mock-llm: cannot listen on {}:{}: {err}", options.host, options.port);
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("mock-llm: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    announce(&format!("mock-llm listening on http://{addr}"));
    let app = chat::router(Arc::new(chat::MockState::new(options)));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-llm: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The one line a test harness waits for.
#[expect(clippy::print_stdout, reason = "the listening address is this program's output")]
fn announce(line: &str) {
    println!("{line}");
}
