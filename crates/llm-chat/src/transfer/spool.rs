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

/// Spooled files older than this were left by a process that stopped while
/// importing; no import takes this long.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Removes spooled files that a stopped process left in `dir`; returns how many.
pub fn remove_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let stale = |entry: &std::fs::DirEntry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.starts_with("import-")
            && name.ends_with(".part")
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().is_ok_and(|age| age > LEFTOVER_AGE))
    };
    entries
        .filter_map(Result::ok)
        .filter(stale)
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
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
            drain(body.as_mut()).await;
            return Err(TransferError::TooLarge { limit });
        }
        file.write_all(&chunk).await.map_err(TransferError::Spool)?;
    }
    file.flush().await.map_err(TransferError::Spool)?;
    Ok(spooled)
}

/// What is read and dropped of a file above the limit before refusing it.
const DRAIN_BYTES: usize = 8 << 20;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads on what the client is still sending, within bounds: closing a
/// connection while its data waits unread makes the kernel reset it, and the
/// client would see a broken connection instead of the 413 that explains.
async fn drain<E>(mut body: std::pin::Pin<&mut impl Stream<Item = Result<Bytes, E>>>) {
    let mut left = DRAIN_BYTES;
    let reading = async {
        while let Some(Ok(chunk)) = body.next().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
    };
    // Whatever remains after the bounds is left to the connection's close.
    let _ = tokio::time::timeout(DRAIN_TIME, reading).await;
}

#[cfg(test)]
mod tests {
    use super::{LEFTOVER_AGE, remove_leftovers};
    use std::time::{Duration, SystemTime};

    #[test]
    fn only_old_spooled_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, age: Duration| {
            let path = dir.path().join(name);
            let f = std::fs::File::create(&path).unwrap();
            f.set_modified(SystemTime::now() - age).unwrap();
            path
        };
        let old = file("import-a.part", LEFTOVER_AGE * 2);
        let running = file("import-b.part", Duration::from_secs(60));
        let other = file("notes.txt", LEFTOVER_AGE * 2);
        assert_eq!(remove_leftovers(dir.path()), 1);
        assert!(!old.exists() && running.exists() && other.exists());
        assert_eq!(remove_leftovers(&dir.path().join("missing")), 0);
    }
}
