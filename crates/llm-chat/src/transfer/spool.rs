//! The uploaded file, written to a temporary file under the data folder as it
//! arrives, never whole in memory. Reading it only once it is complete keeps a
//! slow upload from holding the import's database transaction open.

use super::TransferError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// A temporary file, removed when dropped.
pub struct Spooled {
    path: PathBuf,
}

impl Spooled {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Spooled {
    fn drop(&mut self) {
        // Best effort: a leftover file is harmless and named as such.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Copies `body` into a new file in `dir`, refusing more than `limit` bytes.
pub async fn spool<E: std::fmt::Display>(
    dir: &Path,
    body: impl Stream<Item = Result<Bytes, E>>,
    limit: u64,
) -> Result<Spooled, TransferError> {
    tokio::fs::create_dir_all(dir).await.map_err(TransferError::Spool)?;
    let spooled = Spooled {
        path: dir.join(format!("import-{}.part", uuid::Uuid::now_v7())),
    };
    let mut file = tokio::fs::File::create(&spooled.path)
        .await
        .map_err(TransferError::Spool)?;
    let mut written: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|err| TransferError::Body(err.to_string()))?;
        written += chunk.len() as u64;
        if written > limit {
            return Err(TransferError::TooLarge { limit });
        }
        file.write_all(&chunk).await.map_err(TransferError::Spool)?;
    }
    file.flush().await.map_err(TransferError::Spool)?;
    Ok(spooled)
}
