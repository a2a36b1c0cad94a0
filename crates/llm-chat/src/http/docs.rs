//! The OpenAPI description and the interactive docs at `/docs`, served from
//! files inside the binary: the page loads nothing from any other host.

use utoipa::openapi::security::{Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "llm-chat API",
        description = "Self-hosted multi-user chat for OpenAI-compatible model servers.\n\n\
            Every error answers `{\"error\":{\"code\":\"snake_case\",\"message\":\"human sentence\"}}`. \
            Sign in with `POST /api/auth/login` (or the Authorize button) and send the token as `Authorization: Bearer <token>`."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "auth", description = "Accounts and sign-in"),
        (name = "chat", description = "Models, conversations, messages and the replies being written. \
            Replies stream as Server-Sent Events (`message`, `generation`, `reasoning`, `delta`, `title`, `done`, `error`, each with an `id:` for `Last-Event-ID`), \
            or over the WebSocket `GET /ws/chat` (token as `?token=`; client frames `send`, `subscribe`, `cancel`)."),
        (name = "shares", description = "Read-only share links to a snapshot of a conversation; `GET /api/shared/{token}` needs no sign-in"),
        (name = "keys", description = "API keys for programs using the OpenAI-compatible API"),
        (name = "openai", description = "OpenAI-compatible API for programs: `GET /v1/models`, `POST /v1/chat/completions`. \
            Authorise with an API key (`Authorization: Bearer sk-llmchat-…`) or an access token. \
            Errors here use OpenAI's shape, `{\"error\":{\"message\",\"type\",\"param\",\"code\"}}`."),
        (name = "export", description = "Export conversations (Markdown, JSON, the whole archive) and import them \
            (llm-chat archives, ChatGPT's conversations.json, Open WebUI's chat export)"),
        (name = "usage", description = "Token usage and per-user limits"),
        (name = "admin", description = "Server settings (administrators)")
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("sk-llmchat-…")
                    .description(Some("An API key from POST /api/keys; accepted only on /v1/*"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("METRICS_TOKEN, for GET /metrics"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "oauth2",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/auth/login",
                Scopes::new(),
            ))])),
        );
    }
}

/// `/docs` (Swagger UI) reading the spec from `/openapi.json`. The validator
/// badge is off because it would call an outside service.
pub fn swagger_ui(spec: utoipa::openapi::OpenApi) -> SwaggerUi {
    SwaggerUi::new("/docs").url("/openapi.json", spec).config(
        Config::from("/openapi.json")
            .validator_url("none")
            .persist_authorization(true),
    )
}
