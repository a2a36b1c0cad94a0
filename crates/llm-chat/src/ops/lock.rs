//! The lock file beside a SQLite database (`conversation.db.lock`). Every
//! running server holds a shared lock on it; a restore takes it exclusively,
//! so a restore never swaps files under a server and a server never starts
//! in the middle of a restore. The kernel drops the lock when a process
//! dies, so a crash never leaves a stale lock behind.

use super::OpsError;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// `conversation.db` → `conversation.db.lock`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn open(database: &Path) -> Result<File, OpsError> {
    let path = lock_path(database);
    // A lock file left by another user may be read-only for us; a read-only
    // descriptor can be locked all the same.
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .or_else(|_| File::open(&path))
        .map_err(OpsError::file("open the lock file", path))
}

impl DatabaseLock {
    /// The lock a server holds while it runs. Several servers may share it.
    pub fn for_server(database: &Path) -> Result<DatabaseLock, OpsError> {
        let file = open(database)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(OpsError::Refused(format!(
                "a restore is replacing {} right now; start the server again when it has finished",
                database.display()
            ))),
            Err(TryLockError::Error(err)) => Err(OpsError::File {
                action: "lock",
                path: lock_path(database),
                source: err,
            }),
        }
    }

    /// The lock a restore needs; `None` while a server holds the database.
    pub fn for_restore(database: &Path) -> Result<Option<DatabaseLock>, OpsError> {
        let file = open(database)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(DatabaseLock { _file: file })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(err)) => Err(OpsError::File {
                action: "lock",
                path: lock_path(database),
                source: err,
            }),
        }
    }
}

/// Whether a server runs on this database now (for `doctor`).
pub fn server_is_running(database: &Path) -> bool {
    if !lock_path(database).exists() {
        return false;
    }
    matches!(DatabaseLock::for_restore(database), Ok(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_share_the_lock_and_a_restore_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("conversation.db");
        let first = DatabaseLock::for_server(&db).unwrap();
        let second = DatabaseLock::for_server(&db).unwrap();
        assert!(DatabaseLock::for_restore(&db).unwrap().is_none());
        assert!(server_is_running(&db));
        drop((first, second));
        let restore = DatabaseLock::for_restore(&db).unwrap().unwrap();
        assert!(DatabaseLock::for_server(&db).is_err());
        drop(restore);
        assert!(!server_is_running(&db));
    }
}
