//! Replies being written: regenerate, follow (with resume) and stop.

use super::AppState;
use super::conversations::{StartedReply, started};
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Query};
use super::sse;
use crate::chat::input::RegenerateInput;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(regenerate))
        .routes(routes!(events))
        .routes(routes!(cancel))
}

/// Write another reply to the same question (a sibling: a new branch).
///
/// Answers like sending a message: an event stream or 202.
#[utoipa::path(post, path = "/api/messages/{id}/regenerate", tag = "chat",
    params(("id" = String, Path, description = "Id of an assistant message")),
    request_body(content = Option<RegenerateInput>, description = "Optional: another model"),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The event stream (`text/event-stream`)", content_type = "text/event-stream", body = String),
        (status = 202, description = "Started", body = StartedReply),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such message, or not yours", body = ErrorBody),
        (status = 422, description = "Not a reply of the model, or an unknown model", body = ErrorBody),
        (status = 429, description = "Too many replies; see `Retry-After`", body = ErrorBody)))]
pub async fn regenerate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // The body is optional: an empty one means "same model".
    let input: RegenerateInput = if body.iter().all(u8::is_ascii_whitespace) {
        RegenerateInput::default()
    } else {
        serde_json::from_slice(&body).map_err(|err| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("the JSON body is not valid: {err}"),
            )
        })?
    };
    let reply = state
        .chat
        .regenerate(&user.user.id, &id, input, sse::accept_language(&headers))
        .await?;
    Ok(started(&headers, reply))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this event id (the `Last-Event-ID` header wins).
    pub after: Option<u64>,
}

/// Follow a reply: every event after `Last-Event-ID` (or `after`), then the
/// live ones, ending with `done` or `error`. Works after the reply finished too.
#[utoipa::path(get, path = "/api/generations/{id}/events", tag = "chat",
    params(("id" = String, Path, description = "Generation id"), EventsQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "The last event id received")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such generation, or not yours", body = ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let after = sse::resume_after(&headers, query.after);
    let stream = state.chat.events(&user.user.id, &id, after).await?;
    Ok(sse::events(stream).into_response())
}

/// Stop a reply; the text written so far is kept (`status: cancelled`).
#[utoipa::path(post, path = "/api/generations/{id}/cancel", tag = "chat",
    params(("id" = String, Path, description = "Generation id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 202, description = "Stopping; the stream ends with `done` (finish_reason `cancelled`)"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such generation, or not yours", body = ErrorBody),
        (status = 409, description = "Another replica is writing it", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.chat.cancel(&user.user.id, &id).await?;
    Ok(StatusCode::ACCEPTED)
}
