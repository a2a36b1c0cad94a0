//! Opening the database named by `DATABASE_URL`: the SQLite file (with its
//! folder created and checked first) or a PostgreSQL server.

use super::{Pool, Store, StoreError};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite { path: PathBuf },
    Postgres { url: String },
}

impl fmt::Debug for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Shows the location with any password in a PostgreSQL URL masked, so it can be logged.
impl fmt::Display for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseLocation::Sqlite { path } => write!(f, "sqlite {}", path.display()),
            DatabaseLocation::Postgres { url } => write!(f, "postgres {}", mask_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Writers queue for the one write connection; a burst of thousands of
/// replies starting at once may wait longer than a read would.
const WRITE_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

impl Store {
    /// Opens the database. Nothing is migrated here; call [`Store::migrate`].
    pub async fn connect(location: &DatabaseLocation) -> Result<Store, StoreError> {
        match location {
            DatabaseLocation::Sqlite { path } => connect_sqlite(path).await,
            DatabaseLocation::Postgres { url } => connect_postgres(url).await,
        }
    }
}

async fn connect_sqlite(path: &Path) -> Result<Store, StoreError> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    ensure_writable_folder(&folder)?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL makes NORMAL durable against application crashes; only a power
        // loss can drop the last transactions.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    // The writer opens (and creates) the file first, so readers find it. A
    // connection to a local file cannot go stale, so neither pool sends the
    // ping sqlx makes before lending one: a round trip to the connection's
    // thread on every query.
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(WRITE_ACQUIRE_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|err| explain_sqlite_open_error(err, &folder))?;
    let read = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|err| explain_sqlite_open_error(err, &folder))?;
    Ok(Store::with_pool(Pool::sqlite(read, write)))
}

/// Creates the folder of the database file and proves it is writable: SQLite
/// needs to create its `-wal` and `-shm` files there, not only the database.
fn ensure_writable_folder(folder: &Path) -> Result<(), StoreError> {
    let not_writable = |err: std::io::Error| StoreError::FolderNotWritable {
        folder: folder.to_path_buf(),
        reason: err.to_string(),
        uid: rustix::process::getuid().as_raw(),
        gid: rustix::process::getgid().as_raw(),
    };
    std::fs::create_dir_all(folder).map_err(not_writable)?;
    let probe = folder.join(format!(".llm-chat-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(not_writable)?;
    // The probe proved what it had to; failing to delete it changes nothing.
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn explain_sqlite_open_error(err: sqlx::Error, folder: &Path) -> StoreError {
    // SQLITE_CANTOPEN (14): the seed's "unable to open database file".
    let cant_open = matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("14"));
    if cant_open {
        return StoreError::FolderNotWritable {
            folder: folder.to_path_buf(),
            reason: "unable to open database file".to_owned(),
            uid: rustix::process::getuid().as_raw(),
            gid: rustix::process::getgid().as_raw(),
        };
    }
    err.into()
}

async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|err| StoreError::Unavailable(format!("invalid PostgreSQL URL: {err}")))?;
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
        .map_err(|err| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {err}")))?;
    Ok(Store::with_pool(Pool::Postgres(pool)))
}

#[cfg(test)]
mod tests {
    use super::mask_password;

    #[test]
    fn passwords_in_postgres_urls_are_masked() {
        assert_eq!(
            mask_password("postgres://chat:s3cret@db:5432/chat"),
            "postgres://chat:***@db:5432/chat"
        );
        assert_eq!(mask_password("postgres://db/chat"), "postgres://db/chat");
    }
}
