//! Share links: the owner's `/api/conversations/{id}/shares` and
//! `/api/shares`, and the public `GET /api/shared/{token}` that anyone holding
//! a link may read without signing in.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Json, Query};
use crate::chat::shares::ShareView;
use crate::store::SharedMessage;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_share))
        .routes(routes!(list_shares))
        .routes(routes!(revoke_share))
        .routes(routes!(shared))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShare {
    /// Days until the link stops opening, 1–365; absent or `null`: never (send `{}`).
    #[schema(example = 7)]
    pub expires_in_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShareList {
    /// Newest first, revoked and expired links included (see `state`).
    pub items: Vec<ShareView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShareQuery {
    /// Only the links of this conversation.
    pub conversation_id: Option<String>,
}

/// What a share link shows: nothing of its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct SharedConversation {
    /// The conversation's title when the link was made (may be empty).
    pub title: String,
    /// When the link was made, in milliseconds since the Unix epoch.
    pub created_at: i64,
    /// The branch that was shown when the link was made, oldest first.
    pub messages: Vec<SharedMessage>,
}

/// Share the conversation's current branch as it is now: a read-only copy
/// that later edits and replies do not change. Anyone with the link can read it.
#[utoipa::path(post, path = "/api/conversations/{id}/shares", tag = "shares",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "Conversation id")),
    request_body = NewShare,
    responses(
        (status = 201, description = "The link; open `url` on this server", body = ShareView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "An administrator turned sharing off (`sharing_disabled`)", body = ErrorBody),
        (status = 404, description = "No such conversation, or not yours", body = ErrorBody),
        (status = 409, description = "A reply is still being written (wait for it or stop it), or there are no messages yet (`conflict`)", body = ErrorBody),
        (status = 422, description = "`expires_in_days` outside 1–365 (`invalid_field`)", body = ErrorBody)))]
pub async fn create_share(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
    Json(new): Json<NewShare>,
) -> Result<(StatusCode, Json<ShareView>), ApiError> {
    let share = state.chat.create_share(&me.user.id, &id, new.expires_in_days).await?;
    tracing::info!(user_id = %me.user.id, conversation_id = %id, share_id = %share.id, "share link created");
    Ok((StatusCode::CREATED, Json(share)))
}

/// The caller's share links, newest first, with their state.
#[utoipa::path(get, path = "/api/shares", tag = "shares",
    security(("bearer" = []), ("oauth2" = [])),
    params(ShareQuery),
    responses(
        (status = 200, body = ShareList),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list_shares(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(query): Query<ShareQuery>,
) -> Result<Json<ShareList>, ApiError> {
    let items = state.chat.shares(&me.user.id, query.conversation_id.as_deref()).await?;
    Ok(Json(ShareList { items }))
}

/// Revoke a link: it stops opening at once, for good.
#[utoipa::path(delete, path = "/api/shares/{id}", tag = "shares",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "Share link id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such link, already revoked, or not yours", body = ErrorBody)))]
pub async fn revoke_share(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.chat.revoke_share(&me.user.id, &id).await?;
    tracing::info!(user_id = %me.user.id, share_id = %id, "share link revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// A shared conversation, for anyone holding the link (no sign-in). Answers
/// are marked not to be indexed, cached or leaked through the Referer header.
#[utoipa::path(get, path = "/api/shared/{token}", tag = "shares",
    params(("token" = String, Path, description = "The token of the link (`/s/<token>`)")),
    responses(
        (status = 200, body = SharedConversation),
        (status = 404, description = "The link does not exist, was revoked or has expired, or sharing is off; one answer for all (`not_found`)", body = ErrorBody)))]
pub async fn shared(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let answer = state.chat.shared(&token).await.map(|snapshot| {
        Json(SharedConversation {
            title: snapshot.title,
            created_at: snapshot.created_at,
            messages: snapshot.messages,
        })
    });
    let mut response = match answer {
        Ok(body) => body.into_response(),
        Err(err) => ApiError::from(err).into_response(),
    };
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
