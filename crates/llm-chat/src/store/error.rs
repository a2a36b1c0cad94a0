//! Errors of the storage layer, already translated from driver errors into what
//! callers act on: not found, conflict, or the database being unavailable.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write (e.g. a taken username).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The folder of the SQLite file cannot be created or written.
    #[error(
        "cannot write the database folder {folder}: {reason}. The process runs as uid {uid}, gid {gid}. \
         Fix: give that user write access (e.g. `chown -R {uid}:{gid} {folder}`), mount a Docker named volume there \
         (`backend-db:/app/db`), or point DATABASE_URL at a writable path"
    )]
    FolderNotWritable {
        folder: PathBuf,
        reason: String,
        uid: u32,
        gid: u32,
    },
    /// The database refused or dropped the connection.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database holds a schema newer than this build understands.
    #[error(
        "the database is at schema version {found} but this llm-chat only knows up to {known}; \
         it was written by a newer release. Fix: run that release (or newer), or restore a backup made by this one"
    )]
    SchemaTooNew { found: i64, known: i64 },
    /// Stored data that this build cannot read back.
    #[error("unreadable data in the database: {0}")]
    Corrupt(String),
    /// PostgreSQL refused to create an extension a migration needs.
    #[error(
        "the database refused to create a PostgreSQL extension search needs, pg_trgm or btree_gin ({0}). \
         Fix: run once as a superuser in this database `CREATE EXTENSION pg_trgm; CREATE EXTENSION btree_gin;`, \
         then start llm-chat again"
    )]
    ExtensionRefused(String),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(ref db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
            other => StoreError::Database(other),
        }
    }
}
