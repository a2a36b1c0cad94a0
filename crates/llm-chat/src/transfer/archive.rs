//! llm-chat's own archive format (`llm-chat-archive`, version 1): one JSON
//! document with the account's name and its conversations, each with its whole
//! message tree. The same shapes are written by the exports and read back by
//! the import, so that export → import → export gives the same document.

use super::TransferError;
use super::draft::{Draft, DraftMessage};
use crate::llm::SamplingParams;
use crate::store::{Conversation, Message, MessageRole, MessageStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The `format` of an archive.
pub const FORMAT: &str = "llm-chat-archive";
/// The newest archive version this server writes and reads.
pub const VERSION: u64 = 1;

/// Who the archive belongs to.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveUser {
    pub username: String,
}

/// What comes before the conversations; written first so that a reader can
/// check the format before it reads on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchiveHeader {
    /// Always `llm-chat-archive`.
    #[schema(example = "llm-chat-archive")]
    pub format: &'static str,
    /// Always 1 for this release.
    pub version: u64,
    /// Milliseconds since the Unix epoch.
    pub exported_at: i64,
    pub user: ArchiveUser,
}

/// The whole archive as the OpenAPI spec describes it (the server writes it
/// piece by piece, never as one value).
#[derive(Debug, Serialize, ToSchema)]
pub struct Archive {
    #[serde(flatten)]
    pub header: ArchiveHeader,
    /// Oldest first.
    pub conversations: Vec<ArchivedConversation>,
}

/// A conversation with all the messages of its tree.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArchivedConversation {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub params: SamplingParams,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub archived: bool,
    /// The selected leaf: the message the conversation shows last.
    #[serde(default)]
    pub current_leaf_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Latest activity, in milliseconds since the Unix epoch.
    pub updated_at: i64,
    /// Every message of the tree, oldest first; follow `parent_id` for branches.
    #[serde(default)]
    pub messages: Vec<ArchivedMessage>,
}

/// One message of a conversation's tree.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArchivedMessage {
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[schema(value_type = String, example = "assistant")]
    pub role: ArchivedRole,
    pub content: String,
    /// A reasoning model's thinking, apart from the answer.
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub reasoning_ms: Option<i64>,
    #[serde(default)]
    pub model: Option<String>,
    /// `done`, `cancelled`, `error` or `interrupted` (`streaming` is read as `interrupted`).
    #[serde(default)]
    #[schema(value_type = String, example = "done")]
    pub status: ArchivedStatus,
    #[serde(default)]
    pub error: Option<ArchivedError>,
    #[serde(default)]
    pub usage: Option<ArchivedUsage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ArchivedError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ArchivedUsage {
    #[serde(default)]
    pub prompt_tokens: Option<i64>,
    #[serde(default)]
    pub completion_tokens: Option<i64>,
    #[serde(default)]
    pub reasoning_tokens: Option<i64>,
}

/// A role as written in an archive; parsed strictly, so a typo is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchivedRole {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArchivedStatus {
    #[default]
    Done,
    Streaming,
    Cancelled,
    Error,
    Interrupted,
}

impl From<MessageRole> for ArchivedRole {
    fn from(role: MessageRole) -> Self {
        match role {
            MessageRole::System => ArchivedRole::System,
            MessageRole::User => ArchivedRole::User,
            MessageRole::Assistant => ArchivedRole::Assistant,
        }
    }
}

impl From<ArchivedRole> for MessageRole {
    fn from(role: ArchivedRole) -> Self {
        match role {
            ArchivedRole::System => MessageRole::System,
            ArchivedRole::User => MessageRole::User,
            ArchivedRole::Assistant => MessageRole::Assistant,
        }
    }
}

impl From<MessageStatus> for ArchivedStatus {
    fn from(status: MessageStatus) -> Self {
        match status {
            MessageStatus::Done => ArchivedStatus::Done,
            MessageStatus::Streaming => ArchivedStatus::Streaming,
            MessageStatus::Cancelled => ArchivedStatus::Cancelled,
            MessageStatus::Error => ArchivedStatus::Error,
            MessageStatus::Interrupted => ArchivedStatus::Interrupted,
        }
    }
}

impl From<ArchivedStatus> for MessageStatus {
    fn from(status: ArchivedStatus) -> Self {
        match status {
            ArchivedStatus::Done => MessageStatus::Done,
            // Nothing on this server is writing it: it stopped where the export caught it.
            ArchivedStatus::Streaming | ArchivedStatus::Interrupted => MessageStatus::Interrupted,
            ArchivedStatus::Cancelled => MessageStatus::Cancelled,
            ArchivedStatus::Error => MessageStatus::Error,
        }
    }
}

impl ArchivedConversation {
    /// A stored conversation and its messages (oldest first) as archived.
    pub fn of(conversation: Conversation, messages: Vec<Message>) -> ArchivedConversation {
        ArchivedConversation {
            params: serde_json::from_str(&conversation.params).unwrap_or_default(),
            id: conversation.id,
            title: conversation.title,
            model: conversation.model,
            system_prompt: conversation.system_prompt,
            pinned: conversation.pinned,
            archived: conversation.archived,
            current_leaf_id: conversation.current_leaf_id,
            created_at: conversation.created_at,
            updated_at: conversation.updated_at,
            messages: messages.into_iter().map(ArchivedMessage::of).collect(),
        }
    }
}

impl ArchivedMessage {
    fn of(m: Message) -> ArchivedMessage {
        let usage = (m.prompt_tokens.is_some() || m.completion_tokens.is_some() || m.reasoning_tokens.is_some())
            .then_some(ArchivedUsage {
                prompt_tokens: m.prompt_tokens,
                completion_tokens: m.completion_tokens,
                reasoning_tokens: m.reasoning_tokens,
            });
        let error = match (m.error_code, m.error_message) {
            (Some(code), Some(message)) => Some(ArchivedError { code, message }),
            _ => None,
        };
        ArchivedMessage {
            id: m.id,
            parent_id: m.parent_id,
            role: m.role.into(),
            content: m.content,
            reasoning: m.reasoning,
            reasoning_ms: m.reasoning_ms,
            model: m.model,
            status: m.status.into(),
            error,
            usage,
            finish_reason: m.finish_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl ArchivedConversation {
    /// The conversation as an import draft; `at` names it in errors.
    pub fn into_draft(self, at: &str) -> Result<Draft, TransferError> {
        crate::chat::input::check_params(&self.params).map_err(|err| TransferError::Invalid {
            at: at.to_owned(),
            message: err.to_string(),
        })?;
        let messages = self
            .messages
            .into_iter()
            .map(|m| DraftMessage {
                key: m.id,
                parent: m.parent_id,
                role: m.role.into(),
                content: m.content,
                reasoning: m.reasoning,
                reasoning_ms: m.reasoning_ms,
                model: m.model,
                status: m.status.into(),
                error: m.error.map(|e| (e.code, e.message)),
                prompt_tokens: m.usage.as_ref().and_then(|u| u.prompt_tokens),
                completion_tokens: m.usage.as_ref().and_then(|u| u.completion_tokens),
                reasoning_tokens: m.usage.as_ref().and_then(|u| u.reasoning_tokens),
                finish_reason: m.finish_reason,
                created_at: Some(m.created_at),
                updated_at: Some(m.updated_at),
            })
            .collect();
        Ok(Draft {
            params: serde_json::to_string(&self.params).unwrap_or_else(|_| "{}".to_owned()),
            own_id: Some(self.id),
            title: self.title,
            model: self.model,
            system_prompt: self.system_prompt,
            pinned: self.pinned,
            archived: self.archived,
            current: self.current_leaf_id,
            created_at: Some(self.created_at),
            updated_at: Some(self.updated_at),
            messages,
            skipped_messages: 0,
        })
    }
}
