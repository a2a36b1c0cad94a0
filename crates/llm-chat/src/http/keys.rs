//! `/api/keys`: a user's keys for the OpenAI-compatible API. The secret is
//! returned once, when the key is created.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Json};
use crate::store::ApiKey;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(revoke_key))
}

/// A key as listed: never the secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    #[schema(example = "sk-llmchat-3f9a1c")]
    pub prefix: String,
    #[schema(example = json!(["chat"]))]
    pub scopes: Vec<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch; updated at most once a minute.
    pub last_used_at: Option<i64>,
}

impl From<ApiKey> for KeyView {
    fn from(key: ApiKey) -> Self {
        KeyView {
            id: key.id,
            name: key.name,
            prefix: key.prefix,
            scopes: key
                .scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    pub items: Vec<KeyView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// What the key is for, 1–100 characters.
    #[schema(example = "my script")]
    pub name: String,
    /// Defaults to `["chat"]`, the only scope: `/v1/models` and `/v1/chat/completions`.
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKeyView {
    #[serde(flatten)]
    pub view: KeyView,
    /// The secret; shown only in this answer. Send it as `Authorization: Bearer <key>` to `/v1/*`.
    #[schema(example = "sk-llmchat-3f9a1c…")]
    pub key: String,
}

/// The caller's API keys (revoked keys are not listed).
#[utoipa::path(get, path = "/api/keys", tag = "keys",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = KeyList),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn list_keys(State(state): State<AppState>, CurrentUser(me): CurrentUser) -> Result<Json<KeyList>, ApiError> {
    let keys = state.auth.keys(&me.user.id).await?;
    Ok(Json(KeyList {
        items: keys.into_iter().map(KeyView::from).collect(),
    }))
}

/// Create an API key for programs. The answer holds the key itself (`key`),
/// shown this once; only a hash is kept.
#[utoipa::path(post, path = "/api/keys", tag = "keys",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = NewKey,
    responses(
        (status = 201, description = "The key, with its secret in `key`", body = CreatedKeyView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Bad name or unknown scope (`invalid_field`)", body = ErrorBody)))]
pub async fn create_key(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Json(new): Json<NewKey>,
) -> Result<(StatusCode, Json<CreatedKeyView>), ApiError> {
    let created = state.auth.create_key(&me.user.id, &new.name, new.scopes).await?;
    tracing::info!(user_id = %me.user.id, key_id = %created.key.id, "API key created");
    Ok((
        StatusCode::CREATED,
        Json(CreatedKeyView {
            view: created.key.into(),
            key: created.secret,
        }),
    ))
}

/// Revoke a key; programs using it are refused from now on.
#[utoipa::path(delete, path = "/api/keys/{id}", tag = "keys",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such key, already revoked, or not yours", body = ErrorBody)))]
pub async fn revoke_key(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.auth.revoke_key(&me.user.id, &id).await?;
    tracing::info!(user_id = %me.user.id, key_id = %id, "API key revoked");
    Ok(StatusCode::NO_CONTENT)
}
