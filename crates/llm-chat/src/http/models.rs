//! `GET /api/models` (what users may pick) and `GET /api/config` (what the
//! sign-in page needs before anyone signs in).

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Json};
use crate::llm::ModelInfo;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(models))
        .routes(routes!(public_config))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    pub models: Vec<ModelInfo>,
    /// Used when a conversation names no model.
    pub default_model: Option<String>,
}

/// The models users may pick, with their provider: those the providers
/// offer, narrowed to the admin's allowed list when one is set. With no model
/// server configured, only the built-in `demo` model (labelled as such) is listed.
#[utoipa::path(get, path = "/api/models", tag = "chat",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = ModelList),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn models(State(state): State<AppState>, _user: CurrentUser) -> Result<Json<ModelList>, ApiError> {
    let offered = state.chat.offered_models().await?;
    Ok(Json(ModelList {
        models: offered.models,
        default_model: offered.default_model,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicConfig {
    /// Whether the sign-in page should offer registration.
    pub registration_open: bool,
    /// The administrator's notice for the sign-in page, if any.
    pub signin_message: Option<String>,
    /// Whether users may create share links (the UI hides "Share" when not).
    pub sharing_enabled: bool,
    pub version: &'static str,
}

/// Server facts for the sign-in page (no sign-in needed).
#[utoipa::path(get, path = "/api/config", tag = "health",
    responses((status = 200, body = PublicConfig), (status = 503, description = "The database does not answer", body = ErrorBody)))]
pub async fn public_config(State(state): State<AppState>) -> Result<Json<PublicConfig>, ApiError> {
    Ok(Json(PublicConfig {
        registration_open: state.auth.registration_open().await?,
        signin_message: state.auth.signin_message().await?,
        sharing_enabled: state.chat.sharing_enabled().await?,
        version: env!("CARGO_PKG_VERSION"),
    }))
}
