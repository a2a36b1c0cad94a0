//! Talking to model servers: the OpenAI-compatible client, the registry of
//! providers and their models, and the built-in demo model.

mod client;
mod demo;
mod error;
mod inspect;
mod providers;
mod reasoning;
mod tls;

pub use client::{ClientTimeouts, RawChunk, UpstreamClient};
pub use demo::{DEMO_MODEL, demo_reply};
pub use error::LlmError;
pub use inspect::{ProbeReport, ProviderView, probe};
pub use providers::{
    ModelInfo, ProviderConfig, ProviderError, ProviderRegistry, Route, load_providers, normalize_base_url,
};
pub use reasoning::{ReasoningMode, ThinkTags};
pub use tls::http_client_builder;

use serde::Serialize;

/// One message of the context sent upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatTurn {
    pub role: &'static str,
    pub content: String,
}

/// Sampling parameters chosen per conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SamplingParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// Token counts reported by the upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    /// The part of `completion_tokens` spent thinking, when the upstream says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_tokens: Option<i64>,
}

/// What a streamed reply delivers, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Reasoning(String),
    Usage(Usage),
    Finish(String),
}
