//! `/api/admin/*`: server settings only an administrator may change.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, Json};
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
}

/// Only the fields present are changed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    pub registration_open: Option<bool>,
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
        (status = 422, description = "Unknown or mistyped field (`invalid_field`)", body = ErrorBody)))]
pub async fn update_settings(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(update): Json<SettingsUpdate>,
) -> Result<Json<Settings>, ApiError> {
    if let Some(open) = update.registration_open {
        state.auth.set_registration_open(open).await?;
        tracing::info!(admin = %admin.user.username, open, "registration setting changed");
    }
    current(&state).await.map(Json)
}

async fn current(state: &AppState) -> Result<Settings, ApiError> {
    Ok(Settings {
        registration_open: state.auth.registration_open().await?,
    })
}
