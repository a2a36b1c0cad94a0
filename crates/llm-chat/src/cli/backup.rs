//! `llm-chat backup` and `llm-chat restore`: the guide's hand-made `tar` of the
//! volume, replaced by a consistent snapshot taken while the server runs and
//! a restore that checks the file and keeps the data it replaces.

use super::CliError;
use super::output::say;
use crate::config::Config;
use crate::ops::OpsError;
use crate::ops::backup::{backup as write_backup, default_path, pg_dump_command};
use crate::ops::restore::restore as put_back;
use crate::store::{DatabaseLocation, Store};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where to write the backup (default: DATA_DIR/backups/conversation-<UTC time>.db).
    /// The file must not exist.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A SQLite file written by `llm-chat backup` (or a scheduled backup).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Replace the data of a running server too, in one transaction (the current data is kept beside it).
    #[arg(long)]
    force: bool,
}

pub async fn backup(config: &Config, args: BackupArgs) -> Result<(), CliError> {
    let DatabaseLocation::Sqlite { path } = &config.database else {
        return Err(OpsError::UsePgDump {
            command: pg_dump_command(),
        }
        .into());
    };
    if !path.exists() {
        return Err(OpsError::Refused(format!(
            "there is no database at {} yet, so there is nothing to back up. Fix: check DATABASE_URL (or DATA_DIR)",
            path.display()
        ))
        .into());
    }
    let dest = args.output.unwrap_or_else(|| default_path(config, false));
    let store = Store::connect(&config.database).await?;
    let written = write_backup(&store, config, &dest).await;
    store.close().await;
    let report = written?;
    say(&format!(
        "backup written: {} ({}, schema version {}, {} user(s), integrity ok)",
        report.path.display(),
        human_bytes(report.bytes),
        report.info.schema_version,
        report.info.users
    ));
    if config.secret_key.is_none() {
        say(&format!(
            "note: keep {} with it: sign-in tokens are signed with that key, which is not inside the backup",
            config.data_dir.join("secret_key").display()
        ));
    }
    Ok(())
}

pub async fn restore(config: &Config, args: RestoreArgs) -> Result<(), CliError> {
    let report = put_back(config, &args.file, args.force).await?;
    say(&format!(
        "restored {} into {} (schema version {}, {} user(s), integrity ok)",
        args.file.display(),
        report.database.display(),
        report.info.schema_version,
        report.info.users
    ));
    match &report.previous {
        Some(previous) => say(&format!("the data it replaced is kept in {}", previous.display())),
        None => say("there was no database before"),
    }
    if report.live {
        say(
            "the running server now serves the restored data; everyone signed in after the backup was taken signs in again",
        );
    } else {
        say("start the server now (e.g. `docker compose start backend`)");
    }
    Ok(())
}

fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    match bytes {
        b if b >= KIB * KIB => format!("{:.1} MiB", b as f64 / (KIB * KIB) as f64),
        b if b >= KIB => format!("{:.1} KiB", b as f64 / KIB as f64),
        b => format!("{b} bytes"),
    }
}
