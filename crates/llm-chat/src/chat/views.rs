//! The shapes of conversations and messages as clients see them (JSON and
//! the OpenAPI schema), shared by the HTTP answers and the stream events.

use crate::llm::{SamplingParams, Usage};
use crate::store::{Conversation, Message, MessageRole, MessageStatus};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    pub title: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub params: SamplingParams,
    pub pinned: bool,
    pub archived: bool,
    /// The selected leaf of the message tree: the reply shown last.
    pub current_leaf_id: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Latest activity, in milliseconds since the Unix epoch.
    pub updated_at: i64,
}

impl From<Conversation> for ConversationView {
    fn from(c: Conversation) -> Self {
        ConversationView {
            params: serde_json::from_str(&c.params).unwrap_or_default(),
            id: c.id,
            title: c.title,
            model: c.model,
            system_prompt: c.system_prompt,
            pinned: c.pinned,
            archived: c.archived,
            current_leaf_id: c.current_leaf_id,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub conversation_id: String,
    /// The message this one answers or follows; siblings share it (branches).
    pub parent_id: Option<String>,
    pub role: MessageRole,
    pub content: String,
    /// A reasoning model's thinking, apart from the answer.
    pub reasoning: Option<String>,
    /// How long the model thought, in milliseconds (from its first thought
    /// to the first word of the answer).
    pub reasoning_ms: Option<i64>,
    pub model: Option<String>,
    pub status: MessageStatus,
    pub error: Option<ErrorView>,
    pub usage: Option<Usage>,
    /// Why the model stopped (`stop`, `length`, `cancelled`, …).
    pub finish_reason: Option<String>,
    /// The generation writing (or that wrote) this reply; attach with
    /// `GET /api/generations/{id}/events` while `status` is `streaming`.
    pub generation_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<Message> for MessageView {
    fn from(m: Message) -> Self {
        let usage = (m.prompt_tokens.is_some() || m.completion_tokens.is_some()).then_some(Usage {
            prompt_tokens: m.prompt_tokens,
            completion_tokens: m.completion_tokens,
            reasoning_tokens: m.reasoning_tokens,
        });
        let error = match (m.error_code, m.error_message) {
            (Some(code), Some(message)) => Some(ErrorView { code, message }),
            _ => None,
        };
        MessageView {
            id: m.id,
            conversation_id: m.conversation_id,
            parent_id: m.parent_id,
            role: m.role,
            content: m.content,
            reasoning: m.reasoning,
            reasoning_ms: m.reasoning_ms,
            model: m.model,
            status: m.status,
            error,
            usage,
            finish_reason: m.finish_reason,
            generation_id: m.generation_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}
