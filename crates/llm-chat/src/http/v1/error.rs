//! Errors of `/v1/*` in OpenAI's shape,
//! `{"error":{"message","type","param","code"}}`, so that OpenAI client
//! libraries raise the matching exception (401 → AuthenticationError, …).

use crate::auth::AuthError;
use crate::compat::CompatError;
use crate::http::error::ApiError;
use crate::llm::LlmError;
use crate::store::StoreError;
use crate::usage::LimitKind;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiErrorBody {
    pub error: OpenAiErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiErrorDetail {
    /// What went wrong and what to do, for people.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `rate_limit_error`, `upstream_error` or `server_error`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The request parameter at fault.
    pub param: Option<&'static str>,
    /// Stable code, e.g. `invalid_api_key`, `model_not_found`, `quota_exceeded`.
    pub code: Option<&'static str>,
}

#[derive(Debug)]
pub struct OpenAiError {
    status: StatusCode,
    detail: OpenAiErrorDetail,
    retry_after_secs: Option<u64>,
}

impl OpenAiError {
    fn new(status: StatusCode, kind: &'static str, code: &'static str, message: impl Into<String>) -> OpenAiError {
        OpenAiError {
            status,
            detail: OpenAiErrorDetail {
                message: message.into(),
                kind,
                param: None,
                code: Some(code),
            },
            retry_after_secs: None,
        }
    }

    pub fn invalid(param: Option<&'static str>, message: impl Into<String>) -> OpenAiError {
        let mut err = OpenAiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "invalid_request",
            message,
        );
        err.detail.param = param;
        err
    }

    pub fn missing_key() -> OpenAiError {
        OpenAiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "invalid_api_key",
            "no API key: send `Authorization: Bearer <key>` with a key created under API keys (or an access token)",
        )
    }

    /// The body, for an error that happens inside a stream.
    pub fn body(self) -> OpenAiErrorBody {
        OpenAiErrorBody { error: self.detail }
    }
}

impl IntoResponse for OpenAiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let retry_after = self.retry_after_secs;
        let mut response = (status, axum::Json(OpenAiErrorBody { error: self.detail })).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<AuthError> for OpenAiError {
    fn from(err: AuthError) -> Self {
        let message = err.to_string();
        match err {
            AuthError::AccountDisabled => {
                OpenAiError::new(StatusCode::FORBIDDEN, "permission_error", "account_disabled", message)
            }
            AuthError::Store(store) => store.into(),
            _ => OpenAiError::new(
                StatusCode::UNAUTHORIZED,
                "authentication_error",
                "invalid_api_key",
                message,
            ),
        }
    }
}

impl From<StoreError> for OpenAiError {
    fn from(err: StoreError) -> Self {
        // Shares the logging and wording of the rest of the API.
        let api = ApiError::from(err);
        let status = if api.code() == "database_unavailable" {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        OpenAiError::new(status, "server_error", api.code(), api.message())
    }
}

impl From<CompatError> for OpenAiError {
    fn from(err: CompatError) -> Self {
        let message = err.to_string();
        match err {
            CompatError::Invalid { param, .. } => OpenAiError::invalid(Some(param), message),
            CompatError::UnknownModel(_) | CompatError::DemoOnly => {
                let mut err = OpenAiError::new(
                    StatusCode::NOT_FOUND,
                    "invalid_request_error",
                    "model_not_found",
                    message,
                );
                err.detail.param = Some("model");
                err
            }
            CompatError::Limit(hit) => {
                let code = match hit.kind {
                    LimitKind::Quota => "quota_exceeded",
                    LimitKind::Rate => "rate_limited",
                };
                OpenAiError {
                    retry_after_secs: Some(hit.retry_after.as_secs().max(1)),
                    ..OpenAiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", code, message)
                }
            }
            CompatError::Upstream(upstream) => upstream.into(),
            CompatError::Store(store) => store.into(),
        }
    }
}

impl From<LlmError> for OpenAiError {
    fn from(err: LlmError) -> Self {
        let status = match err {
            LlmError::FirstTokenTimeout(_) | LlmError::IdleTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_GATEWAY,
        };
        OpenAiError::new(status, "upstream_error", err.code(), err.to_string())
    }
}

impl From<JsonRejection> for OpenAiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => OpenAiError::invalid(
                None,
                "send the body as JSON with the header Content-Type: application/json",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => OpenAiError {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                ..OpenAiError::invalid(
                    None,
                    "the request body is larger than this server accepts (MAX_BODY_BYTES)",
                )
            },
            other => OpenAiError::invalid(None, format!("the body is not valid JSON: {}", other.body_text())),
        }
    }
}
