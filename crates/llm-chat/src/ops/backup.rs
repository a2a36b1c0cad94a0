//! Backups of a SQLite database while the server runs: `llm-chat backup` and
//! the schedule that `serve` keeps (`BACKUP_INTERVAL`, `BACKUP_KEEP`). Each
//! backup is a consistent snapshot, checked, then renamed into place, so a
//! file named like a backup is always a complete one.

use super::{OpsError, clock};
use crate::config::Config;
use crate::store::{DatabaseLocation, SnapshotInfo, Store};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Scheduled backups are named `conversation-auto-<stamp>.db`; only these are pruned.
const SCHEDULED_PREFIX: &str = "conversation-auto-";
/// After a failed scheduled backup, wait this long before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(300);

/// What a finished backup wrote.
#[derive(Debug, Clone)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    pub info: SnapshotInfo,
}

/// `DATA_DIR/backups/conversation-<stamp>.db` (or `conversation-auto-…` when scheduled).
pub fn default_path(config: &Config, scheduled: bool) -> PathBuf {
    let prefix = if scheduled { SCHEDULED_PREFIX } else { "conversation-" };
    config
        .backup_dir()
        .join(format!("{prefix}{}.db", clock::file_stamp(SystemTime::now())))
}

/// The command that backs up a PostgreSQL database instead.
pub fn pg_dump_command() -> String {
    format!(
        "pg_dump --format=custom --file=llm-chat-{}.dump \"$DATABASE_URL\"",
        clock::file_stamp(SystemTime::now())
    )
}

/// Writes a checked snapshot of the database to `dest`, which must not exist.
pub async fn backup(store: &Store, config: &Config, dest: &Path) -> Result<BackupReport, OpsError> {
    if matches!(config.database, DatabaseLocation::Postgres { .. }) {
        return Err(OpsError::UsePgDump {
            command: pg_dump_command(),
        });
    }
    if dest.exists() {
        return Err(OpsError::Refused(format!(
            "{} already exists; choose another --output (backups never overwrite a file)",
            dest.display()
        )));
    }
    let folder = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder).map_err(OpsError::file("create", &folder))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "backup.db".to_owned());
    let partial = folder.join(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let written = write_checked(store, &partial).await;
    let info = match written {
        Ok(info) => info,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    // The file holds password hashes: readable by its owner only.
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o600))
        .map_err(OpsError::file("protect", &partial))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .map_err(OpsError::file("flush", &partial))?;
    std::fs::rename(&partial, dest).map_err(OpsError::file("rename into place", dest))?;
    let _ = std::fs::File::open(&folder).and_then(|dir| dir.sync_all());
    let bytes = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport {
        path: dest.to_path_buf(),
        bytes,
        info,
    })
}

async fn write_checked(store: &Store, partial: &Path) -> Result<SnapshotInfo, OpsError> {
    store.backup_to(partial).await?;
    let snapshot = Store::open_snapshot(partial).await?;
    let info = snapshot.snapshot_info().await;
    snapshot.close().await;
    Ok(info?)
}

/// Deletes the oldest scheduled backups beyond `keep`; manual ones are never touched.
pub fn prune(dir: &Path, keep: usize) -> Result<Vec<PathBuf>, OpsError> {
    let mut scheduled = scheduled_backups(dir)?;
    scheduled.sort();
    let excess = scheduled.len().saturating_sub(keep);
    let mut removed = Vec::new();
    for path in scheduled.into_iter().take(excess) {
        std::fs::remove_file(&path).map_err(OpsError::file("delete", &path))?;
        removed.push(path);
    }
    Ok(removed)
}

fn scheduled_backups(dir: &Path) -> Result<Vec<PathBuf>, OpsError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(OpsError::file("list", dir)(err)),
    };
    Ok(entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(SCHEDULED_PREFIX) && n.ends_with(".db"))
        })
        .collect())
}

/// Deletes `.…partial` files that a backup cut short (by a stop or a crash) left behind.
fn remove_partial_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(Result::ok).map(|entry| entry.path()) {
        let partial = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.') && n.ends_with(".partial"));
        if partial && std::fs::remove_file(&path).is_ok() {
            tracing::info!(path = %path.display(), "deleted an unfinished backup");
        }
    }
}

/// When the newest scheduled backup was written, if there is one.
pub fn newest_scheduled(dir: &Path) -> Option<SystemTime> {
    scheduled_backups(dir)
        .ok()?
        .iter()
        .filter_map(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok())
        .max()
}

/// Runs inside `serve`: a backup every `BACKUP_INTERVAL`, counted from the
/// newest one on disk so that restarts do not postpone it forever.
pub async fn keep_schedule(store: Store, config: Config) {
    let Some(every) = config.backup_interval else {
        tracing::info!("scheduled backups are off (BACKUP_INTERVAL=0)");
        return;
    };
    if store.engine() != crate::store::Engine::Sqlite {
        tracing::info!("scheduled backups cover SQLite only; back up PostgreSQL with pg_dump (see docs/deployment.md)");
        return;
    }
    let dir = config.backup_dir();
    remove_partial_files(&dir);
    tracing::info!(
        dir = %dir.display(),
        every_secs = every.as_secs(),
        keep = config.backup_keep,
        "scheduled backups on"
    );
    loop {
        let wait = match newest_scheduled(&dir) {
            // A fresh installation has nothing worth saving yet.
            None => every,
            Some(newest) => (newest + every)
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        };
        tokio::time::sleep(wait).await;
        let dest = default_path(&config, true);
        match backup(&store, &config, &dest).await {
            Ok(report) => {
                tracing::info!(
                    path = %report.path.display(),
                    bytes = report.bytes,
                    schema = report.info.schema_version,
                    "scheduled backup written"
                );
                match prune(&dir, config.backup_keep) {
                    Ok(removed) => {
                        for path in removed {
                            tracing::info!(path = %path.display(), "old scheduled backup deleted (BACKUP_KEEP)");
                        }
                    }
                    Err(err) => tracing::warn!(error = %err, "cannot delete old backups"),
                }
            }
            Err(err) => {
                tracing::warn!(
                    error = %err,
                    "scheduled backup failed; retrying in 5 minutes. Fix: make DATA_DIR/backups writable and check free disk space (`llm-chat doctor`)"
                );
                tokio::time::sleep(RETRY_AFTER.min(every)).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_keeps_the_newest_scheduled_backups_and_every_manual_one() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "conversation-auto-20240101-000000.db",
            "conversation-auto-20240102-000000.db",
            "conversation-auto-20240103-000000.db",
            "conversation-20240101-000000.db",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(removed, vec![dir.path().join("conversation-auto-20240101-000000.db")]);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "conversation-20240101-000000.db",
                "conversation-auto-20240102-000000.db",
                "conversation-auto-20240103-000000.db",
                "notes.txt"
            ]
        );
    }
}
