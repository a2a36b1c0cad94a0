//! Export and import of conversations: one conversation as Markdown or JSON,
//! a user's whole history as one JSON archive (streamed out conversation by
//! conversation), and imports of that archive, ChatGPT's `conversations.json`
//! and Open WebUI's chat export (streamed in, written in one transaction,
//! idempotent).

pub mod archive;
mod chatgpt;
pub mod draft;
mod export;
mod import;
mod markdown;
mod open_webui;
pub mod reader;
mod spool;

pub use export::{ArchiveDownload, ExportFormat, FileDownload};
pub use import::{ImportReport, ImportedItem, SkippedItem};
pub use reader::ImportFormat;

use crate::store::{Store, StoreError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0} not found, or not yours")]
    NotFound(&'static str),
    #[error(
        "the file is larger than this server imports ({limit} bytes, IMPORT_MAX_BYTES); \
         split it, or ask an administrator to raise IMPORT_MAX_BYTES"
    )]
    TooLarge { limit: u64 },
    /// Not JSON at all, or cut off.
    #[error("the file is not valid JSON: {0}")]
    Syntax(String),
    /// JSON of the wrong shape, a wrong type, or a value that cannot be stored;
    /// `at` names the conversation and field.
    #[error("{at}: {message}")]
    Invalid { at: String, message: String },
    /// Not a file of a format this server imports.
    #[error("{0}")]
    UnknownFormat(String),
    /// The upload broke off.
    #[error("the upload could not be read to the end: {0}")]
    Body(String),
    /// The temporary copy of the upload could not be written or read.
    #[error("the uploaded file could not be stored for reading: {0}")]
    Spool(std::io::Error),
    /// Another import wrote the same conversation first (PostgreSQL, two
    /// imports of one file at once); this one is rolled back.
    #[error(
        "another import of the same conversations finished first; nothing of this one was kept. Import the file again to add what is still missing"
    )]
    Concurrent,
    /// The reading thread stopped because the writer had already failed.
    #[error("the import stopped")]
    WriterStopped,
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> TransferError {
    move |err| match err {
        StoreError::NotFound => TransferError::NotFound(what),
        other => TransferError::Store(other),
    }
}

/// Where imports are spooled and how large they may be.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// `DATA_DIR/imports`: uploads are written here while they arrive.
    pub spool_dir: PathBuf,
    /// `IMPORT_MAX_BYTES`
    pub max_bytes: u64,
}

pub struct TransferService {
    store: Store,
    settings: ImportSettings,
}

impl TransferService {
    pub fn new(store: Store, settings: ImportSettings) -> TransferService {
        TransferService { store, settings }
    }

    /// Removes uploads a stopped process left half-read (older than a day,
    /// so that a replica sharing the folder keeps its running imports).
    pub async fn remove_leftovers(&self) {
        let dir = self.settings.spool_dir.clone();
        match tokio::task::spawn_blocking(move || spool::remove_leftovers(&dir)).await {
            Ok(0) | Err(_) => {}
            Ok(removed) => tracing::info!(removed, "removed uploads left by an import that never finished"),
        }
    }
}
