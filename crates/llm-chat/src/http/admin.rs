//! `/api/admin/settings`: server settings only an administrator may change.
//! They live in the database and apply to the next request, on every replica.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, Json};
use crate::chat::input::present;
use crate::chat::model_policy::ModelPolicy;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, update_settings))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    /// Whether anyone may create an account.
    pub registration_open: bool,
    /// The model of conversations that name none; `null`: the first model offered.
    pub default_model: Option<String>,
    /// The models users may pick; empty: every model the providers offer.
    pub allowed_models: Vec<String>,
    /// A notice shown on the sign-in page; `null`: none.
    pub signin_message: Option<String>,
    /// Whether users may create share links; while off, existing links answer 404 (they open again when it is back on).
    pub sharing_enabled: bool,
}

/// Only the fields present are changed; `null` clears `default_model`,
/// `allowed_models` (every model allowed) and `signin_message`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub registration_open: Option<bool>,
    /// One of the models the providers offer (and allowed, when a list is set).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub default_model: Option<Option<String>>,
    /// Model ids the providers offer; `[]` or `null`: every model.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_models: Option<Option<Vec<String>>>,
    /// Up to 2000 characters; blank or `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub signin_message: Option<Option<String>>,
    pub sharing_enabled: Option<bool>,
}

/// The server's settings.
#[utoipa::path(get, path = "/api/admin/settings", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = Settings),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody)))]
pub async fn get_settings(State(state): State<AppState>, _admin: AdminUser) -> Result<Json<Settings>, ApiError> {
    current(&state).await.map(Json)
}

/// Change settings; they apply at once, without a restart.
#[utoipa::path(patch, path = "/api/admin/settings", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = SettingsUpdate,
    responses(
        (status = 200, description = "The settings after the change", body = Settings),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 422, description = "Unknown or mistyped field, a model no provider offers, a default outside the allowed list, or a message too long (`invalid_field`)", body = ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(update): Json<SettingsUpdate>,
) -> Result<Json<Settings>, ApiError> {
    let admin_name = admin.user.username.as_str();
    if update.default_model.is_some() || update.allowed_models.is_some() {
        let stored = state.chat.model_policy().await?;
        let policy = ModelPolicy {
            default_model: update.default_model.unwrap_or(stored.default_model),
            allowed_models: update
                .allowed_models
                .map_or(stored.allowed_models, Option::unwrap_or_default),
        };
        let policy = state.chat.set_model_policy(policy).await?;
        tracing::info!(admin = admin_name, default = ?policy.default_model, allowed = ?policy.allowed_models, "model settings changed");
    }
    if let Some(message) = update.signin_message {
        state.auth.set_signin_message(message).await?;
        tracing::info!(admin = admin_name, "sign-in message changed");
    }
    if let Some(open) = update.registration_open {
        state.auth.set_registration_open(open).await?;
        tracing::info!(admin = admin_name, open, "registration setting changed");
    }
    if let Some(enabled) = update.sharing_enabled {
        state.chat.set_sharing_enabled(enabled).await?;
        tracing::info!(admin = admin_name, enabled, "sharing setting changed");
    }
    current(&state).await.map(Json)
}

async fn current(state: &AppState) -> Result<Settings, ApiError> {
    let policy = state.chat.model_policy().await?;
    Ok(Settings {
        registration_open: state.auth.registration_open().await?,
        default_model: policy.default_model,
        allowed_models: policy.allowed_models,
        signin_message: state.auth.signin_message().await?,
        sharing_enabled: state.chat.sharing_enabled().await?,
    })
}
