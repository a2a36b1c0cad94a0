//! The WebSocket carries the same events as SSE.

use crate::chat_support::{Ev, MockLlm, server_with, text_of};
use crate::helpers::{Engine, TestServer};
use crate::on_both_engines;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

on_both_engines!(a_full_exchange_over_websocket_matches_the_sse_events);

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(server: &TestServer, token: &str) -> Socket {
    let url = format!("{}/ws/chat?token={token}", server.base.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(&url).await.unwrap().0
}

/// Frames until `done` or `error`, as events.
pub async fn frames(socket: &mut Socket) -> Vec<Ev> {
    let mut events = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let value: Value = serde_json::from_str(text.as_str()).unwrap();
        let event = value["type"].as_str().unwrap().to_owned();
        let id = value["id"].as_u64().unwrap_or(0);
        let last = event == "done" || event == "error";
        events.push(Ev {
            id,
            event,
            data: value["data"].clone(),
        });
        if last {
            return events;
        }
    }
}

async fn a_full_exchange_over_websocket_matches_the_sse_events(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("socket").await;
    let conversation = server.new_conversation(&token).await;
    let mut socket = connect(&server, &token).await;
    socket
        .send(Message::Text(
            json!({"type": "send", "conversation_id": conversation, "content": "ws [[mock tokens=12 delay=5]]"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let over_ws = frames(&mut socket).await;
    assert_eq!(over_ws[0].event, "message");
    assert_eq!(over_ws[1].event, "generation");
    assert_eq!(over_ws.last().unwrap().event, "done");
    assert_eq!(text_of(&over_ws), crate::chat_support::mock_reply(12));
    let generation = over_ws[1].data["generation_id"].as_str().unwrap().to_owned();

    let over_sse = server.follow(&token, &generation, None).await.rest().await;
    assert_eq!(
        over_ws, over_sse,
        "the same events, numbered the same, on both transports"
    );

    // Subscribe with `after` resumes; cancel works from the socket.
    socket
        .send(Message::Text(
            json!({"type": "subscribe", "generation_id": generation, "after": 5})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let tail = frames(&mut socket).await;
    assert_eq!(tail, over_sse[5..].to_vec());

    socket
        .send(Message::Text(
            json!({"type": "send", "conversation_id": conversation, "content": "long [[mock tokens=400 delay=20]]"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let mut started = None;
    while started.is_none() {
        let frame = socket.next().await.unwrap().unwrap();
        let value: Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        if value["type"] == "delta" {
            started = value["generation_id"].as_str().map(str::to_owned);
        }
    }
    let generation = started.unwrap();
    socket
        .send(Message::Text(
            json!({"type": "cancel", "generation_id": generation})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let rest = frames(&mut socket).await;
    assert_eq!(rest.last().unwrap().data["finish_reason"], "cancelled");

    socket.send(Message::Text("not json".into())).await.unwrap();
    let answer: Value = serde_json::from_str(socket.next().await.unwrap().unwrap().to_text().unwrap()).unwrap();
    assert_eq!(answer["data"]["code"], "invalid_frame");

    let unauthorized = server
        .client
        .get(format!("{}/ws/chat", server.base))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
}
