//! The OpenAI-compatible routes: `/v1/models` and `/v1/chat/completions`.

use crate::Options;
use crate::directives::{self, Fault};
use crate::recorder::Recorder;
use crate::reply::{Piece, reply_pieces};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use bytes::Bytes;
use futures_util::stream::{self, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct MockState {
    options: Options,
    recorder: Recorder,
    /// Attempts seen per message text, for `fail_times`.
    attempts: Mutex<HashMap<String, usize>>,
}

impl MockState {
    pub fn new(options: Options) -> MockState {
        MockState {
            options,
            recorder: Recorder::default(),
            attempts: Mutex::new(HashMap::new()),
        }
    }
}

type Shared = Arc<MockState>;

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", axum::routing::post(completions))
        .route("/_mock/requests", get(recorded).delete(clear))
        .with_state(state)
}

fn authorized(state: &MockState, headers: &HeaderMap) -> bool {
    let Some(key) = &state.options.api_key else {
        return true;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.strip_prefix("Bearer ") == Some(key.as_str()))
}

fn openai_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": "mock_error", "code": status.as_u16()}})),
    )
        .into_response()
}

async fn models(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if !authorized(&state, &headers) {
        return openai_error(StatusCode::UNAUTHORIZED, "invalid api key");
    }
    let data: Vec<Value> = state
        .options
        .models
        .iter()
        .map(|id| json!({"id": id, "object": "model", "created": 0, "owned_by": "mock-llm"}))
        .collect();
    Json(json!({"object": "list", "data": data})).into_response()
}

async fn recorded(State(state): State<Shared>) -> Json<Vec<Value>> {
    Json(state.recorder.all())
}

async fn clear(State(state): State<Shared>) -> StatusCode {
    state.recorder.clear();
    StatusCode::NO_CONTENT
}

fn last_user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|messages| messages.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

async fn completions(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&state, &headers) {
        return openai_error(StatusCode::UNAUTHORIZED, "invalid api key");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return openai_error(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    state.recorder.record(body.clone());
    let model = body["model"].as_str().unwrap_or_default().to_owned();
    if !state.options.models.contains(&model) {
        return openai_error(StatusCode::NOT_FOUND, &format!("model {model:?} does not exist"));
    }
    let text = last_user_text(&body);
    let directives = directives::parse(&text);

    if let Some(Fault::Status(code)) = directives.fault {
        let attempt = {
            let mut attempts = state.attempts.lock().unwrap_or_else(|p| p.into_inner());
            let n = attempts.entry(text.clone()).or_insert(0);
            *n += 1;
            *n
        };
        if directives.fail_times.is_none_or(|times| attempt <= times) {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = openai_error(status, "mock fault");
            if code == 429 {
                let secs = directives.retry_after.unwrap_or(1);
                if let Ok(value) = header::HeaderValue::from_str(&secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
            }
            return response;
        }
    }
    if directives.fault == Some(Fault::Hang) {
        std::future::pending::<()>().await;
    }
    let first = Duration::from_millis(directives.first_ms.unwrap_or(state.options.first_token_ms));
    if !first.is_zero() {
        tokio::time::sleep(first).await;
    }
    let (pieces, counts) = reply_pieces(&directives, state.options.tokens);
    let reasoning = directives.thinking.is_some();
    let prompt_tokens = body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["content"].as_str().unwrap_or_default().split_whitespace().count())
                .sum::<usize>()
        })
        .unwrap_or(0);

    if body["stream"] != true {
        let mut message = json!({"role": "assistant", "content": ""});
        for piece in &pieces {
            let text = format!("{}{}", message[piece.field].as_str().unwrap_or_default(), piece.text);
            message[piece.field] = json!(text);
        }
        return Json(json!({
            "id": "chatcmpl-mock", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": counts.usage(prompt_tokens, reasoning)
        }))
        .into_response();
    }
    let include_usage = body["stream_options"]["include_usage"] == true;
    let delay = match directives.fault {
        Some(Fault::Trickle) => Duration::from_millis(1500),
        _ => Duration::from_millis(directives.delay_ms.unwrap_or(state.options.token_delay_ms)),
    };
    stream_reply(StreamPlan {
        model,
        pieces,
        delay,
        fault: directives.fault,
        fault_after: directives.after,
        usage: include_usage.then(|| counts.usage(prompt_tokens, reasoning)),
        bytewise: directives.bytewise,
    })
}

struct StreamPlan {
    model: String,
    pieces: Vec<Piece>,
    delay: Duration,
    fault: Option<Fault>,
    fault_after: Option<usize>,
    /// The final usage chunk's `usage`, when asked for.
    usage: Option<Value>,
    /// Write every chunk one byte at a time.
    bytewise: bool,
}

enum Step {
    Token(usize),
    Usage,
    Done,
    End,
}

fn chunk(model: &str, delta: Value, finish: Option<&str>) -> Bytes {
    let data = json!({
        "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
    });
    Bytes::from(format!("data: {data}\n\n"))
}

fn stream_reply(plan: StreamPlan) -> Response {
    let bytewise = plan.bytewise;
    let plan = Arc::new(plan);
    let fault_at = plan.fault_after.unwrap_or(plan.pieces.len() / 2);
    let events = stream::unfold(Step::Token(0), move |step| {
        let plan = plan.clone();
        async move {
            match step {
                Step::Token(i) if i < plan.pieces.len() => {
                    if i == fault_at {
                        match plan.fault {
                            Some(Fault::Close) => {
                                // Let the tokens before the cut reach the wire first.
                                tokio::time::sleep(Duration::from_millis(50)).await;
                                return Some((Err(std::io::Error::other("mock closes the connection")), Step::End));
                            }
                            Some(Fault::Malformed) => {
                                return Some((
                                    Ok(Bytes::from_static(b"data: {this is not json\n\n")),
                                    Step::Token(i + 1),
                                ));
                            }
                            Some(Fault::Stall) => {
                                std::future::pending::<()>().await;
                            }
                            _ => {}
                        }
                    }
                    if i > 0 && !plan.delay.is_zero() {
                        tokio::time::sleep(plan.delay).await;
                    }
                    let piece = &plan.pieces[i];
                    let mut delta = json!({ piece.field: piece.text });
                    if i == 0 {
                        delta["role"] = json!("assistant");
                    }
                    Some((Ok(chunk(&plan.model, delta, None)), Step::Token(i + 1)))
                }
                Step::Token(_) => Some((Ok(chunk(&plan.model, json!({}), Some("stop"))), Step::Usage)),
                Step::Usage => match &plan.usage {
                    Some(usage) => {
                        let data = json!({
                            "id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 0, "model": plan.model,
                            "choices": [],
                            "usage": usage
                        });
                        Some((Ok(Bytes::from(format!("data: {data}\n\n"))), Step::Done))
                    }
                    None => Some((Ok(Bytes::from_static(b"data: [DONE]\n\n")), Step::End)),
                },
                Step::Done => Some((Ok(Bytes::from_static(b"data: [DONE]\n\n")), Step::End)),
                Step::End => None,
            }
        }
    });
    let body = if bytewise {
        Body::from_stream(
            events
                .flat_map(|chunk| {
                    let bytes: Vec<Result<Bytes, std::io::Error>> = match chunk {
                        Ok(bytes) => (0..bytes.len()).map(|i| Ok(bytes.slice(i..=i))).collect(),
                        Err(err) => vec![Err(err)],
                    };
                    stream::iter(bytes)
                })
                .boxed(),
        )
    } else {
        Body::from_stream(events.boxed())
    };
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
