//! `mock-llm`: a fake OpenAI-compatible model server for tests and benchmarks.
//!
//! It answers `GET /v1/models` and `POST /v1/chat/completions` (streamed and
//! not, with a usage chunk when asked), records what it received at
//! `GET /_mock/requests`, and obeys directives written into the last user
//! message, e.g. `[[mock tokens=50 first=200 delay=10 fault=close after=5]]`
//! or `[[mock reasoning=tags thoughts=8]]`
//! (see `directives`). It only ever listens where it is told (127.0.0.1 by
//! default). Tests start it in-process with [`spawn`]; benchmarks run the binary.

mod chat;
pub mod directives;
mod recorder;
mod reply;

use clap::Parser;
use std::net::SocketAddr;
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
    pub host: String,
    /// Port to listen on (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Models listed by /v1/models (comma-separated).
    #[arg(long, default_value = "mock-model", value_delimiter = ',')]
    pub models: Vec<String>,
    /// Reply length in tokens when the message gives none.
    #[arg(long, default_value_t = 20)]
    pub tokens: usize,
    /// Milliseconds before the first token.
    #[arg(long, default_value_t = 0)]
    pub first_token_ms: u64,
    /// Milliseconds between tokens.
    #[arg(long, default_value_t = 0)]
    pub token_delay_ms: u64,
    /// Require `Authorization: Bearer <key>`.
    #[arg(long)]
    pub api_key: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            host: "127.0.0.1".to_owned(),
            port: 0,
            models: vec!["mock-model".to_owned()],
            tokens: 20,
            first_token_ms: 0,
            token_delay_ms: 0,
            api_key: None,
        }
    }
}

/// A listener whose connections send each chunk at once (no Nagle delay), as real model servers do.
pub type NoDelayListener = axum::serve::TapIo<tokio::net::TcpListener, fn(&mut tokio::net::TcpStream)>;

pub fn nodelay(listener: tokio::net::TcpListener) -> NoDelayListener {
    use axum::serve::ListenerExt;
    fn set(tcp: &mut tokio::net::TcpStream) {
        let _ = tcp.set_nodelay(true);
    }
    listener.tap_io(set as fn(&mut tokio::net::TcpStream))
}

/// The mock's routes, for serving on a listener of the caller's choice.
pub fn app(options: Options) -> axum::Router {
    chat::router(Arc::new(chat::MockState::new(options)))
}

/// Starts the mock on `options.host:options.port` in the current runtime and
/// returns the address it listens on; it runs until the runtime ends.
pub async fn spawn(options: Options) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port)).await?;
    let addr = listener.local_addr()?;
    let listener = nodelay(listener);
    let app = app(options);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(addr)
}
