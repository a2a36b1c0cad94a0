//! `llm-chat restore FILE`: puts a backup back in place of a SQLite database.
//!
//! The file is copied next to the database and checked there (SQLite's
//! integrity check, an llm-chat schema no newer than this build) before
//! anything is touched, and the data it replaces is always kept:
//!
//! * with no server running, the files are swapped: the old database (with
//!   its `-wal`/`-shm`) is renamed to `conversation.db.before-restore-<stamp>`
//!   and the checked copy is renamed in;
//! * with a server running, nothing happens unless `--force`: then the old
//!   data is first snapshotted to `…before-restore-<stamp>`, and the backup's
//!   rows replace the live rows in one transaction, so the running server
//!   sees either the old data or the restored data, never a mix.

use super::lock::DatabaseLock;
use super::{OpsError, clock};
use crate::config::Config;
use crate::store::{DatabaseLocation, SnapshotInfo, Store, StoreError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What a restore did.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub database: PathBuf,
    pub info: SnapshotInfo,
    /// Where the replaced data was kept (none when there was no database yet).
    pub previous: Option<PathBuf>,
    /// Whether a running server's data was replaced in place (`--force`).
    pub live: bool,
}

/// Removes the temporary copy however the restore ends.
struct TempCopy(PathBuf);

impl Drop for TempCopy {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut name = self.0.as_os_str().to_owned();
            name.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
    }
}

/// The command that restores a PostgreSQL dump instead.
pub fn pg_restore_command(file: &Path) -> String {
    format!(
        "pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" {}",
        file.display()
    )
}

pub async fn restore(config: &Config, file: &Path, force: bool) -> Result<RestoreReport, OpsError> {
    let database = match &config.database {
        DatabaseLocation::Sqlite { path } => path.clone(),
        DatabaseLocation::Postgres { .. } => {
            return Err(OpsError::UsePgRestore {
                command: pg_restore_command(file),
            });
        }
    };
    check_header(file)?;
    let folder = match database.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(OpsError::file("create", &folder))?;
    let lock = DatabaseLock::for_restore(&database)?;
    if lock.is_none() && !force {
        return Err(OpsError::Refused(format!(
            "a running llm-chat server holds {}. Stop it first (e.g. `docker compose stop backend`, then \
             `docker compose run --rm backend restore {}`), or add --force to replace its data in one \
             transaction while it runs (the current data is kept as a file beside it)",
            database.display(),
            file.display()
        )));
    }
    let name = database
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "conversation.db".to_owned());
    let copy = TempCopy(folder.join(format!(".{name}.restore-{}.tmp", std::process::id())));
    std::fs::copy(file, &copy.0).map_err(OpsError::file("copy", file))?;
    let info = check_copy(&copy.0, lock.is_none()).await?;
    let stamp = clock::file_stamp(SystemTime::now());
    let previous = folder.join(format!("{name}.before-restore-{stamp}"));
    match lock {
        Some(_held) => {
            let previous = swap_files(&database, &copy.0, &previous)?;
            // Bring the restored file to this release's schema (and WAL mode)
            // while the lock still keeps servers out.
            let store = Store::connect(&config.database).await?;
            let migrated = store.migrate().await;
            store.close().await;
            migrated?;
            Ok(RestoreReport {
                database,
                info,
                previous,
                live: false,
            })
        }
        None => {
            let live = Store::connect(&config.database).await?;
            let replaced = replace_live(&live, &copy.0, &previous, info.schema_version).await;
            live.close().await;
            replaced?;
            Ok(RestoreReport {
                database,
                info,
                previous: Some(previous),
                live: true,
            })
        }
    }
}

fn check_header(file: &Path) -> Result<(), OpsError> {
    let mut header = [0u8; 16];
    let read = std::fs::File::open(file).and_then(|mut f| f.read_exact(&mut header));
    match read {
        // Shorter than a SQLite header: not a database, said below.
        Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => {}
        other => other.map_err(OpsError::file("read", file))?,
    }
    if &header != b"SQLite format 3\0" {
        return Err(OpsError::Refused(format!(
            "{} is not a SQLite database; give a file written by `llm-chat backup`",
            file.display()
        )));
    }
    Ok(())
}

/// Checks the copy; for a live restore, also migrates it to this build's schema.
async fn check_copy(copy: &Path, migrate: bool) -> Result<SnapshotInfo, OpsError> {
    let snapshot = Store::open_snapshot(copy).await?;
    let checked = async {
        let info = snapshot.snapshot_info().await?;
        let known = snapshot.latest_known_version();
        if info.schema_version > known {
            return Err(StoreError::SchemaTooNew {
                found: info.schema_version,
                known,
            });
        }
        if migrate {
            snapshot.migrate().await?;
        }
        Ok(info)
    }
    .await;
    snapshot.close().await;
    Ok(checked?)
}

/// Renames the old database and its WAL files aside, keeping their names
/// paired so that SQLite still finds the WAL when the kept file is opened.
fn swap_files(database: &Path, copy: &Path, previous: &Path) -> Result<Option<PathBuf>, OpsError> {
    let kept = if database.exists() {
        for suffix in ["-wal", "-shm", ""] {
            let from = with_suffix(database, suffix);
            if from.exists() {
                let to = with_suffix(previous, suffix);
                std::fs::rename(&from, &to).map_err(OpsError::file("move aside", &from))?;
            }
        }
        Some(previous.to_path_buf())
    } else {
        None
    };
    let _ = std::fs::remove_file(with_suffix(database, "-journal"));
    std::fs::rename(copy, database).map_err(OpsError::file("rename into place", database))?;
    if let Some(folder) = database.parent() {
        let _ = std::fs::File::open(folder).and_then(|dir| dir.sync_all());
    }
    Ok(kept)
}

async fn replace_live(live: &Store, copy: &Path, previous: &Path, restored_version: i64) -> Result<(), OpsError> {
    let live_version = live.schema_version().await?;
    let known = live.latest_known_version();
    if live_version != known {
        return Err(OpsError::Refused(format!(
            "the running server's database is at schema version {live_version} but this llm-chat knows {known} \
             (restored backup: {restored_version}); run the restore with the same release as the server"
        )));
    }
    live.backup_to(previous).await?;
    live.replace_contents_from(copy).await?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
