//! Liveness and readiness, for Docker health checks and load balancers.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::Json;
use crate::store::Engine;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(health)).routes(routes!(ready))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "大模型对话后端服务运行中")]
    pub message: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// The process is up (it does not touch the database; see `/api/ready`).
#[utoipa::path(get, path = "/api/health", tag = "health",
    responses((status = 200, description = "The server is running", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        message: "大模型对话后端服务运行中",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    #[schema(example = "ready")]
    pub status: &'static str,
    pub database: Engine,
    /// The newest schema migration applied to the database.
    pub schema_version: i64,
}

const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// The server can serve requests: its database answers.
#[utoipa::path(get, path = "/api/ready", tag = "health",
    responses(
        (status = 200, description = "The database answers", body = Ready),
        (status = 503, description = "The database does not answer", body = ErrorBody)))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let check = async {
        state.store.ping().await?;
        state.store.schema_version().await
    };
    match tokio::time::timeout(READY_TIMEOUT, check).await {
        Ok(Ok(schema_version)) => Ok(Json(Ready {
            status: "ready",
            database: state.store.engine(),
            schema_version,
        })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness check failed");
            Err(not_ready(format!(
                "the {} database does not answer: {err}",
                state.store.engine().name()
            )))
        }
        Err(_) => Err(not_ready(format!(
            "the {} database did not answer within {} seconds",
            state.store.engine().name(),
            READY_TIMEOUT.as_secs()
        ))),
    }
}

fn not_ready(message: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", message)
}
