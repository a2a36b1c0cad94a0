//! The HTTP layer: the axum router, its extractors and middleware, and the
//! OpenAPI docs. Handlers parse, call one service method and map the result.

mod admin;
mod admin_providers;
mod admin_users;
mod auth;
mod conversations;
mod docs;
pub mod error;
mod extract;
mod generations;
mod health;
mod keys;
pub mod metrics;
mod middleware;
mod models;
mod search;
mod shares;
mod sse;
mod transfer;
mod ui;
mod usage;
mod v1;
mod ws;

use crate::auth::AuthService;
use crate::chat::ChatService;
use crate::compat::CompatService;
use crate::store::Store;
use crate::transfer::TransferService;
use crate::usage::UsageService;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Arc<AuthService>,
    pub chat: Arc<ChatService>,
    pub compat: Arc<CompatService>,
    pub usage: Arc<UsageService>,
    pub transfer: Arc<TransferService>,
    pub metrics: metrics::MetricsAccess,
}

/// The routes and their OpenAPI description, before state is attached.
fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .merge(health::router())
        .merge(auth::router())
        .merge(admin::router())
        .merge(admin_users::router())
        .merge(admin_providers::router())
        .merge(models::router())
        .merge(conversations::router())
        .merge(generations::router())
        .merge(keys::router())
        .merge(usage::router())
        .merge(v1::router())
        .merge(metrics::router())
        .merge(search::router())
        .merge(shares::router())
        .merge(transfer::router())
        .split_for_parts()
}

/// The OpenAPI document served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

/// The whole application, ready to serve.
pub fn build_app(state: AppState, max_body_bytes: usize) -> Router {
    let (routes, spec) = api();
    let app = routes
        .route("/", get(ui::index))
        .merge(ws::router())
        .fallback(ui::fallback)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(axum::middleware::from_fn(metrics::record))
        .with_state(state)
        .merge(docs::swagger_ui(spec));
    middleware::apply(app)
}
