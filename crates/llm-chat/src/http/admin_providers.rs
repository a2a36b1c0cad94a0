//! `/api/admin/providers…`: the model servers from the configuration, keys
//! masked, and a live check of one.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, Json};
use crate::llm::{ProbeReport, ProviderView};
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(test))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    pub items: Vec<ProviderView>,
}

/// The providers configured by `LLM_API_URL` and `LLM_PROVIDERS_FILE`, with
/// their keys masked and the models currently known.
#[utoipa::path(get, path = "/api/admin/providers", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = ProviderList),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, _admin: AdminUser) -> Json<ProviderList> {
    Json(ProviderList {
        items: state.chat.providers(),
    })
}

/// Ask a provider for its models now: answers whether it worked, how long it
/// took and, if not, why in words. A failing provider still answers 200.
#[utoipa::path(post, path = "/api/admin/providers/{name}/test", tag = "admin",
    params(("name" = String, Path, description = "The provider's name (`default` for LLM_API_URL)")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The outcome of the check", body = ProbeReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No provider has this name", body = ErrorBody)))]
pub async fn test(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(name): Path<String>,
) -> Result<Json<ProbeReport>, ApiError> {
    state
        .chat
        .test_provider(&name)
        .await
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no provider is named {name:?}; see GET /api/admin/providers")))
}
