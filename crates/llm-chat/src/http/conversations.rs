//! `/api/conversations…`: the sidebar's list, a conversation with its message
//! tree, its settings, and sending a message (answered as SSE or 202).

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Json, Query};
use super::sse;
use crate::chat::input::{ConversationPatch, NewConversationInput, SendInput};
use crate::chat::views::{ConversationView, MessageView};
use crate::chat::{ListParams, Started};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get_one, update, delete))
        .routes(routes!(send))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Page size, 1–200 (default 30).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only conversations whose title contains this text (any letter case).
    pub q: Option<String>,
    /// List archived conversations instead of the others.
    pub archived: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    pub items: Vec<ConversationView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// The user's conversations: pinned first, then latest activity first.
#[utoipa::path(get, path = "/api/conversations", tag = "chat",
    params(ListQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = ConversationPage),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Bad `limit` or `cursor` (`invalid_field`)", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    let page = state
        .chat
        .list(
            &user.user.id,
            ListParams {
                limit: query.limit.unwrap_or(30),
                cursor: query.cursor,
                q: query.q,
                archived: query.archived.unwrap_or(false),
            },
        )
        .await?;
    Ok(Json(ConversationPage {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}

/// Start a conversation (messages are sent separately).
#[utoipa::path(post, path = "/api/conversations", tag = "chat",
    request_body = NewConversationInput,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, body = ConversationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "A field is out of range or the model is unknown", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Json(input): Json<NewConversationInput>,
) -> Result<(StatusCode, Json<ConversationView>), ApiError> {
    let conversation = state.chat.create(&user.user.id, input).await?;
    Ok((StatusCode::CREATED, Json(conversation)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationWithMessages {
    pub conversation: ConversationView,
    /// Every message of the tree, oldest first; follow `parent_id` for branches.
    pub messages: Vec<MessageView>,
    pub current_leaf_id: Option<String>,
}

/// A conversation with all the messages of its tree and the selected leaf.
#[utoipa::path(get, path = "/api/conversations/{id}", tag = "chat",
    params(("id" = String, Path, description = "Conversation id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = ConversationWithMessages),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or not yours", body = ErrorBody)))]
pub async fn get_one(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ConversationWithMessages>, ApiError> {
    let tree = state.chat.get(&user.user.id, &id).await?;
    Ok(Json(ConversationWithMessages {
        current_leaf_id: tree.conversation.current_leaf_id.clone(),
        conversation: tree.conversation,
        messages: tree.messages,
    }))
}

/// Rename, pin, archive, change model, system prompt or parameters, or select a branch.
#[utoipa::path(patch, path = "/api/conversations/{id}", tag = "chat",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = ConversationPatch,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = ConversationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation (or leaf message), or not yours", body = ErrorBody),
        (status = 422, description = "A field is out of range or the model is unknown", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    Json(patch): Json<ConversationPatch>,
) -> Result<Json<ConversationView>, ApiError> {
    Ok(Json(state.chat.update(&user.user.id, &id, patch).await?))
}

/// Delete a conversation and all its messages (replies being written are stopped).
#[utoipa::path(delete, path = "/api/conversations/{id}", tag = "chat",
    params(("id" = String, Path, description = "Conversation id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or not yours", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.chat.delete(&user.user.id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a started reply answers when the client did not ask for a stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedReply {
    /// The stored user message (absent when regenerating).
    pub user_message: Option<MessageView>,
    /// The reply being written (`status: streaming`).
    pub assistant_message: MessageView,
    /// Follow it with `GET /api/generations/{generation_id}/events`.
    pub generation_id: String,
}

/// The answer to a started reply: its event stream, or 202 with the ids.
pub fn started(headers: &HeaderMap, started: Started) -> Response {
    if sse::wants_stream(headers) {
        return sse::events(started.generation.subscribe(0)).into_response();
    }
    (
        StatusCode::ACCEPTED,
        Json(StartedReply {
            generation_id: started.generation.id.clone(),
            user_message: started.user_message,
            assistant_message: started.assistant_message,
        }),
    )
        .into_response()
}

/// Send a message and start the reply.
///
/// With `Accept: text/event-stream` the answer is the reply's event stream:
/// `message`, `generation`, then `delta` (and `reasoning`, `title`), ending with
/// `done` or `error`. Otherwise 202 with the ids; the reply is written either
/// way, even if the client goes away.
#[utoipa::path(post, path = "/api/conversations/{id}/messages", tag = "chat",
    params(("id" = String, Path, description = "Conversation id")),
    request_body = SendInput,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The event stream (`text/event-stream`)", content_type = "text/event-stream", body = String),
        (status = 202, description = "Started; follow the generation's events", body = StartedReply),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation or parent message, or not yours", body = ErrorBody),
        (status = 409, description = "The parent reply is still being written", body = ErrorBody),
        (status = 422, description = "Empty or too long, or an unknown model", body = ErrorBody),
        (status = 429, description = "Too many replies running or started this minute; see `Retry-After`", body = ErrorBody)))]
pub async fn send(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(input): Json<SendInput>,
) -> Result<Response, ApiError> {
    let reply = state
        .chat
        .send(&user.user.id, &id, input, sse::accept_language(&headers))
        .await?;
    Ok(started(&headers, reply))
}
