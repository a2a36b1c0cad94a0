//! The `llm-chat` command: `serve` (the default) and the operations that a
//! deployment needs without extra tools: health check, migrations, accounts,
//! backup and restore, and `doctor`.

mod backup;
mod doctor;
mod healthcheck;
mod output;
mod user;

use crate::auth::{AuthError, SecretKeyError};
use crate::config::{Config, ConfigError};
use crate::store::StoreError;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "llm-chat",
    version,
    about = "Self-hosted multi-user chat for OpenAI-compatible model servers",
    long_about = "Self-hosted multi-user chat for OpenAI-compatible model servers.\n\n\
        Without a command, runs the server (`serve`). Configuration comes from the environment \
        and a .env file in the working directory; see docs/configuration.md."
)]
pub struct Cli {
    /// Read variables from this file instead of ./.env (non-empty environment variables win).
    #[arg(long, global = true, value_name = "FILE")]
    env_file: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (the default): the API and its docs on HOST:PORT.
    Serve,
    /// Exit 0 when the local server answers /api/health (for Docker HEALTHCHECK).
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Apply database migrations and print the schema version, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Write a consistent snapshot of the SQLite database while the server runs.
    Backup(backup::BackupArgs),
    /// Check a backup and put it in place of the SQLite database, keeping the old one.
    Restore(backup::RestoreArgs),
    /// Check the configuration, folders, disk, port, database and LLM upstream; exit 1 if any check fails.
    Doctor,
}

/// Why a command failed; printed as one line on stderr.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Secret(#[from] SecretKeyError),
    #[error("configuration error: {0}")]
    Providers(crate::llm::ProviderError),
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error(
        "cannot listen on {host}:{port}: {source}. {}",
        bind_advice(source.kind(), *port)
    )]
    Bind {
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Unhealthy(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Ops(#[from] crate::ops::OpsError),
}

fn bind_advice(kind: std::io::ErrorKind, port: u16) -> String {
    match kind {
        std::io::ErrorKind::AddrInUse => format!(
            "Another program already uses port {port}: stop it (find it with `ss -ltnp 'sport = :{port}'`) \
             or set PORT to a free port"
        ),
        std::io::ErrorKind::PermissionDenied => {
            "Ports below 1024 need privileges: set PORT to 1024 or above (8000 is the default)".to_owned()
        }
        std::io::ErrorKind::AddrNotAvailable => {
            "HOST is not an address of this machine: use 0.0.0.0 (all) or 127.0.0.1".to_owned()
        }
        _ => "Check HOST and PORT".to_owned(),
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // One TLS implementation for every HTTPS client in the process (ring, as
    // the database driver uses); failing means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            match err {
                CliError::Config(_) | CliError::Providers(_) => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let loaded = Config::load(cli.env_file.as_deref());
    let command = cli.command.unwrap_or(Command::Serve);
    // doctor reports a bad configuration as one of its findings instead of stopping at it.
    let config = match command {
        Command::Doctor => return doctor::run(loaded, cli.env_file.as_deref()).await,
        _ => loaded?,
    };
    match command {
        Command::Serve => {
            let _logs = crate::logging::init_server(&config);
            let served = crate::server::serve(config).await;
            if let Err(err) = &served {
                // Also into the log files, where an operator looks first.
                tracing::error!("{err}");
            }
            served
        }
        Command::Healthcheck(args) => healthcheck::run(&config, args).await,
        Command::Migrate => {
            crate::logging::init_command();
            let store = crate::store::Store::connect(&config.database).await?;
            let version = store.migrate().await?;
            store.close().await;
            output::say(&format!("{}: schema version {version}", config.database));
            Ok(())
        }
        Command::User(command) => {
            crate::logging::init_command();
            user::run(&config, command).await
        }
        Command::Backup(args) => {
            crate::logging::init_command();
            backup::backup(&config, args).await
        }
        Command::Restore(args) => {
            crate::logging::init_command();
            backup::restore(&config, args).await
        }
        Command::Doctor => Ok(()), // answered above, before the configuration could stop it
    }
}
