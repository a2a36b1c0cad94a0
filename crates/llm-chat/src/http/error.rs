//! The one place where failures become HTTP answers:
//! `{"error":{"code":"snake_case","message":"human sentence"}}` with the right status.

use crate::auth::{AuthError, TokenError};
use crate::chat::ChatError;
use crate::llm::LlmError;
use crate::store::StoreError;
use crate::transfer::TransferError;
use crate::usage::{LimitExceeded, LimitKind, UsageError};
use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, machine-readable reason, e.g. `invalid_credentials`.
    #[schema(example = "invalid_credentials")]
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    #[schema(example = "wrong username or password")]
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// A 5xx whose cause is logged here and never shown to the client.
    fn internal(status: StatusCode, code: &'static str, cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "request failed");
        let message = if status == StatusCode::SERVICE_UNAVAILABLE {
            "the database is not reachable right now; try again shortly, and if it persists an administrator should check /api/ready and the server log"
        } else {
            "the server failed to handle this request; an administrator can find the cause in the server log"
        };
        ApiError::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found("not found, or not yours"),
            StoreError::Conflict(_) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "this conflicts with existing data")
            }
            StoreError::Unavailable(_) | StoreError::FolderNotWritable { .. } => {
                ApiError::internal(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", &err)
            }
            other => ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        let message = err.to_string();
        match err {
            AuthError::InvalidCredentials => ApiError::unauthorized("invalid_credentials", message),
            AuthError::AccountDisabled => ApiError::forbidden("account_disabled", message),
            AuthError::RegistrationClosed => ApiError::forbidden("registration_closed", message),
            AuthError::UsernameTaken(_) => ApiError::new(StatusCode::CONFLICT, "username_taken", message),
            AuthError::WrongCurrentPassword => ApiError::forbidden("wrong_password", message),
            AuthError::UserNotFound => ApiError::not_found(message),
            AuthError::LastAdmin => ApiError::new(StatusCode::CONFLICT, "last_admin", message),
            AuthError::ConfirmationMismatch(_) => ApiError {
                field: Some("confirm"),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "confirmation_required", message)
            },
            AuthError::Invalid(invalid) => ApiError {
                field: Some(invalid.field),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            },
            AuthError::Token(TokenError::Expired) => ApiError::unauthorized("token_expired", message),
            AuthError::Token(TokenError::Invalid) => ApiError::unauthorized("invalid_token", message),
            AuthError::Token(TokenError::Signing) => {
                ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &message)
            }
            AuthError::SessionEnded => ApiError::unauthorized("session_ended", message),
            AuthError::TooManyAttempts(wait) => ApiError {
                retry_after_secs: Some(wait.as_secs().max(1)),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message)
            },
            AuthError::UnknownKey => ApiError::unauthorized("invalid_api_key", message),
            AuthError::KeyNotAllowedHere => ApiError::unauthorized("api_key_not_allowed", message),
            AuthError::InvalidKey { field, .. } => ApiError {
                field: Some(field),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            },
            AuthError::Hash(_) => ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &err),
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<ChatError> for ApiError {
    fn from(err: ChatError) -> Self {
        let message = err.to_string();
        match err {
            ChatError::NotFound(_) => ApiError::not_found(message),
            ChatError::Invalid { field, .. } => ApiError {
                field: Some(field),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            },
            ChatError::Conflict(_) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            ChatError::SharingDisabled => ApiError::forbidden("sharing_disabled", message),
            ChatError::ShareGone => ApiError::not_found(message),
            ChatError::Limited(limit) => ApiError {
                retry_after_secs: Some(limit.retry_after.as_secs().max(1)),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            ChatError::ModelNotAllowed(_) => ApiError {
                field: Some("model"),
                ..ApiError::new(StatusCode::FORBIDDEN, "model_not_allowed", message)
            },
            ChatError::UserLimit(hit) => hit.into(),
            ChatError::Model(LlmError::NoSuchModel(_)) => ApiError {
                field: Some("model"),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_model", message)
            },
            ChatError::Model(other) => ApiError::new(StatusCode::BAD_GATEWAY, other.code(), message),
            ChatError::Store(store) => store.into(),
        }
    }
}

impl From<TransferError> for ApiError {
    fn from(err: TransferError) -> Self {
        let message = err.to_string();
        match err {
            TransferError::NotFound(_) => ApiError::not_found(message),
            TransferError::TooLarge { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            }
            TransferError::Syntax(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message),
            TransferError::Body(_) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", message),
            TransferError::Invalid { .. } => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_import", message),
            TransferError::UnknownFormat(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unknown_format", message)
            }
            TransferError::Concurrent => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            TransferError::Spool(_) | TransferError::WriterStopped => {
                ApiError::internal(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", &err)
            }
            TransferError::Store(store) => store.into(),
        }
    }
}

impl From<LimitExceeded> for ApiError {
    fn from(hit: LimitExceeded) -> Self {
        let code = match hit.kind {
            LimitKind::Quota => "quota_exceeded",
            LimitKind::Rate => "rate_limited",
        };
        ApiError {
            retry_after_secs: Some(hit.retry_after.as_secs().max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, hit.message)
        }
    }
}

impl From<UsageError> for ApiError {
    fn from(err: UsageError) -> Self {
        match err {
            UsageError::Limit(hit) => hit.into(),
            UsageError::Invalid(message) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message),
            UsageError::Store(store) => store.into(),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let detail = rejection.body_text();
        match rejection {
            JsonRejection::JsonDataError(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("the JSON body has a missing or wrong field: {detail}"),
            ),
            JsonRejection::JsonSyntaxError(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not valid JSON: {detail}"),
            ),
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with the header Content-Type: application/json",
            ),
            other => body_error(other.status(), other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!(
                "a query parameter is missing or of the wrong type: {}",
                rejection.body_text()
            ),
        )
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        match rejection {
            FormRejection::FailedToDeserializeFormBody(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("the form has a missing or wrong field: {}", rejection.body_text()),
            ),
            other => body_error(other.status(), other.body_text()),
        }
    }
}

/// Reading the body failed: too large, or cut off.
fn body_error(status: StatusCode, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            status,
            "payload_too_large",
            "the request body is larger than this server accepts (MAX_BODY_BYTES)",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the request body could not be read: {detail}"),
        )
    }
}
