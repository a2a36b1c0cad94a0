//! An import from start to end: the upload is spooled to a file, a blocking
//! thread reads it one conversation at a time and hands each over a small
//! channel to the writer, which writes them all in one transaction. The
//! transaction commits only when the whole file was read without a fault;
//! otherwise nothing of it stays.

use super::reader::{self, ImportFormat, Parsed};
use super::{TransferError, TransferService, spool};
use crate::store::{ImportTx, StoreError};
use bytes::Bytes;
use futures_util::Stream;
use serde::Serialize;
use std::collections::HashSet;
use tokio::sync::mpsc;
use utoipa::ToSchema;

/// What an import did.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// The format found (`null` for an empty list).
    pub format: Option<ImportFormat>,
    pub imported: Vec<ImportedItem>,
    pub skipped: Vec<SkippedItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedItem {
    /// Position in the file, from 0.
    pub index: usize,
    pub title: String,
    pub conversation_id: String,
    /// Messages written.
    pub messages: usize,
    /// Messages of the source left out: system prompts, tool calls and their
    /// output, hidden messages, messages without text (images).
    pub skipped_messages: usize,
    /// Whether the ids of the archive were kept (an llm-chat archive whose ids
    /// are not used on this server yet); otherwise new ids were given.
    pub ids_kept: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedItem {
    /// Position in the file, from 0.
    pub index: usize,
    pub title: String,
    /// Why, e.g. `already imported`.
    #[schema(example = "already imported")]
    pub reason: String,
}

/// Conversations in flight between the reader and the writer: enough to keep
/// both busy, few enough to bound memory.
const IN_FLIGHT: usize = 2;

impl TransferService {
    /// Imports the file in `body` for `user_id`. `declared_len` is the
    /// request's Content-Length, to refuse an oversized file before reading it.
    pub async fn import<E: std::fmt::Display>(
        &self,
        user_id: &str,
        forced: Option<ImportFormat>,
        declared_len: Option<u64>,
        body: impl Stream<Item = Result<Bytes, E>>,
    ) -> Result<ImportReport, TransferError> {
        let limit = self.settings.max_bytes;
        if declared_len.is_some_and(|len| len > limit) {
            return Err(TransferError::TooLarge { limit });
        }
        let spooled = spool::spool(&self.settings.spool_dir, body, limit).await?;
        let (sender, mut receiver) = mpsc::channel::<Parsed>(IN_FLIGHT);
        let path = spooled.path().to_owned();
        let span = tracing::Span::current();
        let reading = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            reader::read(&path, forced, &sender)
        });
        let written = self.write(user_id, &mut receiver).await;
        // A reader still waiting to hand over a conversation stops now.
        drop(receiver);
        let read = reading
            .await
            .unwrap_or_else(|err| Err(TransferError::Spool(std::io::Error::other(err.to_string()))));
        drop(spooled);
        // Returning before the commit drops the transaction: nothing is kept.
        let (format, (tx, mut report)) = match (read, written) {
            (Err(TransferError::WriterStopped), Err(err)) | (Ok(_), Err(err)) | (Err(err), _) => return Err(err),
            (Ok(format), Ok(written)) => (format, written),
        };
        tx.commit().await?;
        report.format = format;
        tracing::info!(
            imported = report.imported.len(),
            skipped = report.skipped.len(),
            format = ?format,
            "import finished"
        );
        Ok(report)
    }

    /// Writes what the reader sends until it stops; the transaction is
    /// returned open, for the caller to commit once reading succeeded.
    async fn write(
        &self,
        user_id: &str,
        receiver: &mut mpsc::Receiver<Parsed>,
    ) -> Result<(ImportTx, ImportReport), TransferError> {
        let mut tx = self.store.begin_import().await?;
        let mut report = ImportReport::default();
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(parsed) = receiver.recv().await {
            let Parsed {
                index,
                title,
                source_key,
                draft,
            } = parsed;
            let skip = |reason: &str| SkippedItem {
                index,
                title: title.clone(),
                reason: reason.to_owned(),
            };
            let draft = match draft {
                Ok(draft) => draft,
                Err(reason) => {
                    report.skipped.push(skip(&reason));
                    continue;
                }
            };
            if !seen.insert(source_key.clone()) {
                report
                    .skipped
                    .push(skip("it appears twice in this file; the first one was imported"));
                continue;
            }
            if tx.already_here(user_id, &source_key, draft.own_id.as_deref()).await? {
                report.skipped.push(skip("already imported"));
                continue;
            }
            let keep_ids = match draft.reusable_ids() {
                Some((id, keys)) => !tx.ids_taken(&id, &keys).await?,
                None => false,
            };
            let skipped_messages = draft.skipped_messages;
            let (conversation, messages) = draft.into_rows(user_id, keep_ids);
            tx.insert(&source_key, &conversation, &messages)
                .await
                .map_err(|err| match err {
                    StoreError::Conflict(_) => TransferError::Concurrent,
                    other => TransferError::Store(other),
                })?;
            report.imported.push(ImportedItem {
                index,
                title: title.clone(),
                conversation_id: conversation.id,
                messages: messages.len(),
                skipped_messages,
                ids_kept: keep_ids,
            });
        }
        Ok((tx, report))
    }
}
