//! Logs: readable lines on stdout (what `docker compose logs` shows) and JSON
//! lines in daily files under `LOG_DIR`, of which `LOG_KEEP_DAYS` are kept.

use crate::config::Config;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Log lines queued for the file writer before a logging thread waits for it.
const LOG_QUEUE_LINES: usize = 4096;

/// Keeps the file writer flushing; drop it last, when the process ends.
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// Logging for `serve`: stdout and rotated JSON files. A log folder that can't
/// be written is reported and the server runs on with stdout only.
pub fn init_server(config: &Config) -> LogGuard {
    let filter = || EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let stdout = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_filter(filter());
    let appender = std::fs::create_dir_all(&config.log_dir)
        .map_err(|err| err.to_string())
        .and_then(|()| {
            Builder::new()
                .rotation(Rotation::DAILY)
                .filename_prefix("llm-chat")
                .filename_suffix("log")
                .max_log_files(config.log_keep_days)
                .build(&config.log_dir)
                .map_err(|err| err.to_string())
        });
    match appender {
        Ok(appender) => {
            // The default queue holds 128,000 lines and is allocated and
            // touched up front: 4 MB of an idle server's memory. When the queue
            // is full the thread logging waits for the file instead of dropping
            // the line; only a flood of log lines would notice.
            let (writer, guard) = NonBlockingBuilder::default()
                .buffered_lines_limit(LOG_QUEUE_LINES)
                .lossy(false)
                .finish(appender);
            let file = tracing_subscriber::fmt::layer()
                .json()
                .with_current_span(true)
                .with_span_list(false)
                .with_writer(writer)
                .with_filter(filter());
            tracing_subscriber::registry().with(stdout).with(file).init();
            LogGuard { _file: Some(guard) }
        }
        Err(reason) => {
            tracing_subscriber::registry().with(stdout).init();
            tracing::warn!(
                log_dir = %config.log_dir.display(),
                %reason,
                "cannot write log files; logging to stdout only. Fix: make LOG_DIR writable for this user or point it elsewhere"
            );
            LogGuard { _file: None }
        }
    }
}

/// Logging for one-shot commands: warnings and errors on stderr.
pub fn init_command() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::new("warn"))
        .init();
}

use tracing_subscriber::Layer as _;
