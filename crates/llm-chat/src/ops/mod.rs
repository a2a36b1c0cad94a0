//! Operations that a deployment needs from the binary itself, so that the
//! container image needs no other tools: backups (on demand and scheduled),
//! restores, the lock that keeps a restore and a server apart, and `doctor`.

pub mod backup;
pub mod clock;
pub mod doctor;
pub mod lock;
pub mod metrics;
pub mod restore;

use crate::store::StoreError;
use std::path::PathBuf;

/// Why an operation failed, as a sentence that ends with the fix.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot {action} {path}: {source}")]
    File {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("PostgreSQL is backed up with its own tool, pg_dump, not by llm-chat. Run: {command}")]
    UsePgDump { command: String },
    #[error("PostgreSQL is restored with its own tool, pg_restore, not by llm-chat. Run: {command}")]
    UsePgRestore { command: String },
    #[error("{0}")]
    Refused(String),
}

impl OpsError {
    fn file(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> OpsError {
        let path = path.into();
        move |source| OpsError::File { action, path, source }
    }
}
