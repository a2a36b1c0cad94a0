//! `GET /ws/chat`: the same events as SSE over one WebSocket. Client frames:
//! `{"type":"send","conversation_id",…}`, `{"type":"subscribe","generation_id","after"}`,
//! `{"type":"cancel","generation_id"}`. Server frames are the events:
//! `{"type":<event name>,"id":<number>,"generation_id",…,"data":<the SSE data>}`;
//! a frame the server cannot act on is answered `{"type":"error","data":{"code","message"}}`.
//! Browsers can't send headers here, so the token may come as `?token=`.

use super::AppState;
use super::error::ApiError;
use super::extract::Query;
use super::sse::accept_language;
use crate::auth::Principal;
use crate::chat::ChatError;
use crate::chat::input::SendInput;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;
use futures_util::stream::{BoxStream, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub fn router() -> axum::Router<AppState> {
    axum::Router::new().route("/ws/chat", get(upgrade))
}

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    token: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(query): Query<WsQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let Some(token) = header_token.or(query.token) else {
        return Err(ApiError::unauthorized(
            "missing_token",
            "sign in first: pass the access token as ?token= or an Authorization header",
        ));
    };
    let principal = state.auth.authenticate(&token).await?;
    let language = accept_language(&headers);
    Ok(ws.on_upgrade(move |socket| session(socket, state, principal, language)))
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Send {
        conversation_id: String,
        #[serde(flatten)]
        input: SendInput,
    },
    Subscribe {
        generation_id: String,
        #[serde(default)]
        after: u64,
    },
    Cancel {
        generation_id: String,
    },
}

fn error_frame(code: &str, message: &str) -> String {
    json!({"type": "error", "data": {"code": code, "message": message}}).to_string()
}

fn chat_error_frame(err: ChatError) -> String {
    let response = ApiError::from(err);
    error_frame(response.code(), response.message())
}

async fn session(socket: WebSocket, state: AppState, principal: Principal, language: Option<String>) {
    let (mut sink, mut incoming) = socket.split();
    let (frames, mut outgoing) = mpsc::channel::<String>(256);
    let (closing, closed) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        use futures_util::SinkExt;
        while let Some(frame) = outgoing.recv().await {
            if sink.send(Message::Text(Utf8Bytes::from(frame))).await.is_err() {
                return;
            }
        }
        // The client asked to close: complete the handshake.
        if closed.await.is_ok() {
            let _ = sink.send(Message::Close(None)).await;
        }
    });
    // Forwarders end with the socket; the generations they follow do not.
    let mut forwarders = JoinSet::new();
    let user_id = principal.user.id.clone();
    while let Some(Ok(message)) = incoming.next().await {
        let text = match message {
            Message::Text(text) => text,
            Message::Close(_) => {
                let _ = closing.send(());
                break;
            }
            _ => continue,
        };
        let frame = match serde_json::from_str::<ClientFrame>(&text) {
            Ok(frame) => frame,
            Err(err) => {
                let _ = frames
                    .send(error_frame("invalid_frame", &format!("cannot read this frame: {err}")))
                    .await;
                continue;
            }
        };
        match frame {
            ClientFrame::Send { conversation_id, input } => {
                match state
                    .chat
                    .send(&user_id, &conversation_id, input, language.clone())
                    .await
                {
                    Ok(started) => {
                        let generation = started.generation;
                        forwarders.spawn(forward(generation.id.clone(), generation.subscribe(0), frames.clone()));
                    }
                    Err(err) => {
                        let _ = frames.send(chat_error_frame(err)).await;
                    }
                }
            }
            ClientFrame::Subscribe { generation_id, after } => {
                match state.chat.events(&user_id, &generation_id, after).await {
                    Ok(stream) => {
                        forwarders.spawn(forward(generation_id, stream, frames.clone()));
                    }
                    Err(err) => {
                        let _ = frames.send(chat_error_frame(err)).await;
                    }
                }
            }
            ClientFrame::Cancel { generation_id } => {
                if let Err(err) = state.chat.cancel(&user_id, &generation_id).await {
                    let _ = frames.send(chat_error_frame(err)).await;
                }
            }
        }
    }
    forwarders.abort_all();
    drop(frames);
    let _ = writer.await;
}

async fn forward(
    generation_id: String,
    mut events: BoxStream<'static, Arc<crate::generation::GenEvent>>,
    frames: mpsc::Sender<String>,
) {
    while let Some(event) = events.next().await {
        if frames.send(event.ws_frame(&generation_id)).await.is_err() {
            return;
        }
    }
}
