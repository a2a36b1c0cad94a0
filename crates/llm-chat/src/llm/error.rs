//! Upstream failures, each with a code for programs and a sentence that tells
//! a person what happened and what to check.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error(
        "could not connect to the model server at {host}: {reason}. Check LLM_API_URL (or the provider's base_url) and that the server is running"
    )]
    Unreachable { host: String, reason: String },
    #[error("the model server accepted the request but sent nothing for {} s; it may be overloaded", .0.as_secs())]
    FirstTokenTimeout(Duration),
    #[error("the model server stopped sending for {} s in the middle of the answer", .0.as_secs())]
    IdleTimeout(Duration),
    #[error("the model server refused the API key (HTTP {status}); check LLM_API_KEY (or the provider's api_key)")]
    Unauthorized { status: u16 },
    #[error("the model server does not know the model {model:?} (HTTP 404); pick another model or check LLM_MODEL")]
    UnknownModel { model: String },
    #[error("the model server is rate-limiting requests (HTTP 429); try again in a moment")]
    RateLimited,
    #[error("the model server failed (HTTP {status}): {detail}")]
    Status { status: u16, detail: String },
    #[error("the connection to the model server closed before the answer finished: {0}")]
    Closed(String),
    #[error("the model server sent a chunk that is not valid: {0}")]
    Malformed(String),
    #[error("the model {0:?} is not offered on this server; pick one from /api/models")]
    NoSuchModel(String),
}

impl LlmError {
    /// Stable code for the `error` event and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Unreachable { .. } => "upstream_unreachable",
            LlmError::FirstTokenTimeout(_) | LlmError::IdleTimeout(_) => "upstream_timeout",
            LlmError::Unauthorized { .. } => "upstream_auth",
            LlmError::UnknownModel { .. } | LlmError::NoSuchModel(_) => "upstream_model_not_found",
            LlmError::RateLimited => "upstream_rate_limited",
            LlmError::Status { .. } => "upstream_error",
            LlmError::Closed(_) => "upstream_closed",
            LlmError::Malformed(_) => "upstream_malformed",
        }
    }
}
