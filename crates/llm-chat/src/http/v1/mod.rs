//! `/v1/*`: the OpenAI-compatible API for programs (the official SDKs,
//! LangChain, IDE plug-ins), authorised by a user's API key or access token.

mod error;

use super::AppState;
use crate::compat::request;
use crate::store::User;
use axum::extract::{FromRequest, FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
pub use error::{OpenAiError, OpenAiErrorBody};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::convert::Infallible;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_models))
        .routes(routes!(chat_completions))
}

/// The account behind the request's API key or access token.
pub struct Caller(pub User);

impl FromRequestParts<AppState> for Caller {
    type Rejection = OpenAiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let credential = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(OpenAiError::missing_key)?;
        let user = state.auth.authenticate_program(credential).await?;
        tracing::Span::current().record("user_id", user.id.as_str());
        Ok(Caller(user))
    }
}

/// `axum::Json` whose rejections answer in OpenAI's error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(OpenAiError))]
pub struct V1Json<T>(pub T);

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelObject {
    /// What to send as `model`.
    pub id: String,
    #[schema(example = "model")]
    pub object: &'static str,
    pub created: i64,
    /// The provider serving it.
    pub owned_by: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelListObject {
    #[schema(example = "list")]
    pub object: &'static str,
    pub data: Vec<ModelObject>,
}

/// The models a program may use (the same ids as `/api/models`).
#[utoipa::path(get, path = "/v1/models", tag = "openai",
    security(("api_key" = []), ("bearer" = [])),
    responses(
        (status = 200, body = ModelListObject),
        (status = 401, description = "No, unknown or revoked key (`invalid_api_key`)", body = OpenAiErrorBody)))]
pub async fn list_models(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<axum::Json<ModelListObject>, OpenAiError> {
    let data = state
        .compat
        .models()
        .await?
        .into_iter()
        .map(|m| ModelObject {
            id: m.id,
            object: "model",
            created: 0,
            owned_by: m.provider,
        })
        .collect();
    Ok(axum::Json(ModelListObject { object: "list", data }))
}

/// An OpenAI chat-completions request. Passed to the model server: `messages`,
/// `temperature`, `top_p`, `max_tokens`, `max_completion_tokens`, `stop`,
/// `presence_penalty`, `frequency_penalty`, `seed`, `response_format`,
/// `tools`, `tool_choice`, `parallel_tool_calls`, `logit_bias`, `logprobs`,
/// `top_logprobs`, `user`, `reasoning_effort`. Other fields are ignored.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "describes the request for the OpenAPI document only")]
pub struct ChatCompletionRequest {
    /// A model id from `GET /v1/models`.
    #[schema(example = "gpt-4o-mini")]
    pub model: String,
    #[schema(example = json!([{"role": "user", "content": "你好"}]))]
    pub messages: Vec<Value>,
    /// Stream `chat.completion.chunk`s as Server-Sent Events, ending with `data: [DONE]`.
    pub stream: Option<bool>,
    /// `{"include_usage": true}` adds a last chunk with the token usage.
    pub stream_options: Option<Value>,
    /// Only 1 is supported.
    pub n: Option<u32>,
}

/// Create a chat completion, streamed (`"stream": true`) or in one answer.
/// Streamed chunks are the model server's, with `reasoning_content` and tool
/// calls kept as sent. Limits set by an administrator apply (429 with `Retry-After`).
#[utoipa::path(post, path = "/v1/chat/completions", tag = "openai",
    security(("api_key" = []), ("bearer" = [])),
    request_body = ChatCompletionRequest,
    responses(
        (status = 200, description = "A `chat.completion` object, or a `text/event-stream` of `chat.completion.chunk`s"),
        (status = 400, description = "Bad request (`invalid_request`; `param` names the field)", body = OpenAiErrorBody),
        (status = 401, description = "No, unknown or revoked key (`invalid_api_key`)", body = OpenAiErrorBody),
        (status = 404, description = "Unknown model (`model_not_found`)", body = OpenAiErrorBody),
        (status = 429, description = "The caller's daily token quota (`quota_exceeded`) or request rate (`rate_limited`) is spent", body = OpenAiErrorBody),
        (status = 502, description = "The model server failed (`upstream_*`)", body = OpenAiErrorBody),
        (status = 504, description = "The model server did not answer in time (`upstream_timeout`)", body = OpenAiErrorBody)))]
pub async fn chat_completions(
    State(state): State<AppState>,
    Caller(user): Caller,
    V1Json(body): V1Json<Value>,
) -> Result<Response, OpenAiError> {
    let request = request::parse(body)?;
    if !request.stream {
        let answer = state.compat.complete(&user, request).await?;
        return Ok(axum::Json(answer).into_response());
    }
    let chunks = state.compat.stream(&user, request).await?;
    let events = chunks
        .map(|item| {
            let json = match item {
                Ok(chunk) => chunk.to_string(),
                Err(err) => serde_json::to_string(&OpenAiError::from(err).body()).unwrap_or_default(),
            };
            Ok::<_, Infallible>(Event::default().data(json))
        })
        .chain(stream::once(async { Ok(Event::default().data("[DONE]")) }));
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
        .into_response())
}
