//! Requests to the chat service, checked once at the edge: lengths, ranges
//! and ids are known to be acceptable after `validate`.

use super::ChatError;
use crate::llm::SamplingParams;
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

pub const MAX_CONTENT_CHARS: usize = 200_000;
const MAX_TITLE_CHARS: usize = 200;
const MAX_SYSTEM_PROMPT_CHARS: usize = 50_000;

fn invalid(field: &'static str, message: impl Into<String>) -> ChatError {
    ChatError::Invalid {
        field,
        message: message.into(),
    }
}

pub fn check_params(params: &SamplingParams) -> Result<(), ChatError> {
    if params.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
        return Err(invalid("params.temperature", "temperature must be between 0 and 2"));
    }
    if params.top_p.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err(invalid("params.top_p", "top_p must be between 0 and 1"));
    }
    if params.max_tokens == Some(0) {
        return Err(invalid("params.max_tokens", "max_tokens must be at least 1"));
    }
    Ok(())
}

pub fn check_title(title: &str) -> Result<String, ChatError> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid(
            "title",
            format!("the title may have at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_owned())
}

pub fn check_system_prompt(prompt: Option<String>) -> Result<Option<String>, ChatError> {
    match prompt {
        Some(p) if p.chars().count() > MAX_SYSTEM_PROMPT_CHARS => Err(invalid(
            "system_prompt",
            format!("the system prompt may have at most {MAX_SYSTEM_PROMPT_CHARS} characters"),
        )),
        Some(p) if p.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

pub fn check_content(content: &str) -> Result<(), ChatError> {
    if content.trim().is_empty() {
        return Err(invalid("content", "the message is empty"));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(invalid(
            "content",
            format!("the message may have at most {MAX_CONTENT_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A field that is present (even as `null`) becomes `Some`, so that
/// "absent" (leave alone) and `null` (clear) differ.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A new conversation; every field is optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationInput {
    #[serde(default)]
    pub title: Option<String>,
    /// One of `/api/models`; the server's default when absent.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub system_prompt: Option<String>,
    #[serde(default)]
    pub params: Option<SamplingParams>,
}

/// Changes to a conversation; absent fields stay as they are, `null` clears
/// `model` and `system_prompt`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub pinned: Option<bool>,
    #[serde(default)]
    pub archived: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub system_prompt: Option<Option<String>>,
    #[serde(default)]
    pub params: Option<SamplingParams>,
    /// Select a branch: a message of this conversation.
    #[serde(default)]
    pub current_leaf_id: Option<String>,
}

/// A user message to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    pub content: String,
    /// The message to answer under; the conversation's current leaf when
    /// absent, the root when `null` (a new first message). Give the parent of an
    /// earlier user message to edit it (a new branch).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Option<String>>,
    /// Use this model for this reply (and remember it for the conversation).
    #[serde(default)]
    pub model: Option<String>,
}

/// Options for writing another reply to the same question.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegenerateInput {
    #[serde(default)]
    pub model: Option<String>,
}
