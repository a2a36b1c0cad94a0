//! Exports: one conversation as Markdown or JSON, and a user's whole archive
//! as a stream that reads and writes one conversation at a time.

use super::archive::{Archive, ArchiveHeader, ArchiveUser, ArchivedConversation, FORMAT, VERSION};
use super::{TransferError, TransferService, markdown, not_found};
use crate::store::{Store, StoreError, now_ms};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use serde::Deserialize;
use utoipa::ToSchema;

/// How to export one conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// The whole tree, as an llm-chat archive holding this one conversation.
    #[default]
    Json,
    /// The branch shown, for reading.
    Markdown,
}

/// A file to download.
pub struct FileDownload {
    /// A suggested file name, possibly with non-ASCII letters.
    pub filename: String,
    pub content_type: &'static str,
    pub body: String,
}

/// An archive to download, produced while it is sent.
pub struct ArchiveDownload {
    pub filename: String,
    pub body: BoxStream<'static, Result<Bytes, TransferError>>,
}

impl TransferService {
    /// One conversation of `user_id`.
    pub async fn export_conversation(
        &self,
        user_id: &str,
        id: &str,
        format: ExportFormat,
    ) -> Result<FileDownload, TransferError> {
        let conversation = self
            .store
            .conversation(id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        let messages = self.store.messages_of(id).await?;
        let stem = file_stem(&conversation.title);
        let exported_at = now_ms();
        match format {
            ExportFormat::Markdown => Ok(FileDownload {
                filename: format!("{stem}.md"),
                content_type: "text/markdown; charset=utf-8",
                body: markdown::render(&conversation, &messages, exported_at),
            }),
            ExportFormat::Json => {
                let user = self.store.user_by_id(user_id).await.map_err(not_found("user"))?;
                let archive = Archive {
                    header: header(user.username, exported_at),
                    conversations: vec![ArchivedConversation::of(conversation, messages)],
                };
                let body = serde_json::to_string_pretty(&archive)
                    .map_err(|err| TransferError::Store(StoreError::Corrupt(err.to_string())))?;
                Ok(FileDownload {
                    filename: format!("{stem}.json"),
                    content_type: "application/json",
                    body,
                })
            }
        }
    }

    /// Every conversation of `user_id` as one archive, oldest first.
    pub async fn export_archive(&self, user_id: &str) -> Result<ArchiveDownload, TransferError> {
        let user = self.store.user_by_id(user_id).await.map_err(not_found("user"))?;
        let ids = self.store.conversation_ids(user_id).await?;
        let filename = format!(
            "llm-chat-{}-{}.json",
            file_stem(&user.username),
            crate::ops::clock::file_stamp(std::time::SystemTime::now())
        );
        let head = serde_json::to_string(&header(user.username, now_ms()))
            .map_err(|err| TransferError::Store(StoreError::Corrupt(err.to_string())))?;
        // The header object, opened again to add the conversations after it.
        let head = format!("{},\"conversations\":[", head.strip_suffix('}').unwrap_or(&head));
        let cursor = Cursor {
            store: self.store.clone(),
            user_id: user_id.to_owned(),
            ids: ids.into_iter(),
            wrote_any: false,
            stage: Stage::Head(head),
        };
        let body = stream::unfold(cursor, Cursor::next).boxed();
        Ok(ArchiveDownload { filename, body })
    }
}

fn header(username: String, exported_at: i64) -> ArchiveHeader {
    ArchiveHeader {
        format: FORMAT,
        version: VERSION,
        exported_at,
        user: ArchiveUser { username },
    }
}

enum Stage {
    Head(String),
    Conversations,
    Done,
}

/// Where the archive stream stands: only the ids are held, each
/// conversation is read when its turn comes.
struct Cursor {
    store: Store,
    user_id: String,
    ids: std::vec::IntoIter<String>,
    wrote_any: bool,
    stage: Stage,
}

impl Cursor {
    async fn next(mut self) -> Option<(Result<Bytes, TransferError>, Cursor)> {
        match std::mem::replace(&mut self.stage, Stage::Conversations) {
            Stage::Head(head) => Some((Ok(Bytes::from(head)), self)),
            Stage::Done => {
                self.stage = Stage::Done;
                None
            }
            Stage::Conversations => loop {
                let Some(id) = self.ids.next() else {
                    self.stage = Stage::Done;
                    return Some((Ok(Bytes::from_static(b"\n]}\n")), self));
                };
                match self.read(&id).await {
                    Ok(Some(json)) => {
                        let separator = if self.wrote_any { ",\n" } else { "\n" };
                        self.wrote_any = true;
                        return Some((Ok(Bytes::from(format!("{separator}{json}"))), self));
                    }
                    // Deleted since the list was read: not part of the archive.
                    Ok(None) => {}
                    Err(err) => {
                        // The status line is long gone: cutting the body off
                        // is how the client learns the archive is incomplete.
                        tracing::error!(error = %err, "an archive export failed midway");
                        self.stage = Stage::Done;
                        return Some((Err(err), self));
                    }
                }
            },
        }
    }

    async fn read(&self, id: &str) -> Result<Option<String>, TransferError> {
        let conversation = match self.store.conversation(id, &self.user_id).await {
            Ok(conversation) => conversation,
            Err(StoreError::NotFound) => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let messages = self.store.messages_of(id).await?;
        let json = serde_json::to_string(&ArchivedConversation::of(conversation, messages))
            .map_err(|err| TransferError::Store(StoreError::Corrupt(err.to_string())))?;
        Ok(Some(json))
    }
}

/// A file name from a title: letters and digits of any script, other
/// characters as `-`, at most 60 characters.
fn file_stem(title: &str) -> String {
    let mut stem = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            stem.push(c);
        } else if !stem.ends_with('-') && !stem.is_empty() {
            stem.push('-');
        }
        if stem.chars().count() >= 60 {
            break;
        }
    }
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        "conversation".to_owned()
    } else {
        stem.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn file_names_keep_letters_of_any_script() {
        assert_eq!(file_stem("Rust: async / await?"), "Rust-async-await");
        assert_eq!(file_stem("天气 预报"), "天气-预报");
        assert_eq!(file_stem("../.."), "conversation");
    }
}
