//! Another user's conversations, messages and generations do not exist for you.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, error_code, read};
use crate::on_both_engines;
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

on_both_engines!(a_second_user_gets_404_on_every_route_of_the_first);

async fn a_second_user_gets_404_on_every_route_of_the_first(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let owner = server.register("owner").await;
    let intruder = server.register("intruder").await;
    let conversation = server.new_conversation(&owner).await;
    let events = server
        .send_streaming(&owner, &conversation, &json!({"content": "secret [[mock tokens=2]]"}))
        .await
        .rest()
        .await;
    let user_message = events[0].data["id"].as_str().unwrap().to_owned();
    let generation = events[1].data["generation_id"].as_str().unwrap().to_owned();
    let reply = events[1].data["message_id"].as_str().unwrap().to_owned();
    let theirs = server.new_conversation(&intruder).await;

    let routes: Vec<(Method, String, Value)> = vec![
        (Method::GET, format!("/api/conversations/{conversation}"), Value::Null),
        (
            Method::GET,
            format!("/api/conversations/{conversation}/export?format=json"),
            Value::Null,
        ),
        (
            Method::GET,
            format!("/api/conversations/{conversation}/export?format=markdown"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/conversations/{conversation}"),
            json!({"title": "mine now"}),
        ),
        (
            Method::DELETE,
            format!("/api/conversations/{conversation}"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/conversations/{conversation}/messages"),
            json!({"content": "hi"}),
        ),
        (Method::POST, format!("/api/messages/{reply}/regenerate"), json!({})),
        (
            Method::GET,
            format!("/api/generations/{generation}/events"),
            Value::Null,
        ),
        (
            Method::POST,
            format!("/api/generations/{generation}/cancel"),
            Value::Null,
        ),
        (
            Method::PATCH,
            format!("/api/conversations/{theirs}"),
            json!({"current_leaf_id": reply}),
        ),
        (
            Method::POST,
            format!("/api/conversations/{theirs}/messages"),
            json!({"content": "hi", "parent_id": user_message}),
        ),
    ];
    for (method, path, body) in routes {
        let mut request = server
            .client
            .request(method.clone(), server.url(&path))
            .bearer_auth(&intruder);
        if !body.is_null() {
            request = request.json(&body);
        }
        let (status, answer) = read(request.send().await.unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert_eq!(error_code(&answer), "not_found");
    }
    let (_, list) = read(server.get("/api/conversations", Some(&intruder)).await).await;
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [theirs.as_str()]);

    let ws_url = format!("{}/ws/chat?token={intruder}", server.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(&ws_url).await.unwrap();
    for frame in [
        json!({"type": "subscribe", "generation_id": generation, "after": 0}),
        json!({"type": "send", "conversation_id": conversation, "content": "hi"}),
        json!({"type": "cancel", "generation_id": generation}),
    ] {
        socket.send(Message::Text(frame.to_string().into())).await.unwrap();
        let answer = socket.next().await.unwrap().unwrap();
        let answer: Value = serde_json::from_str(answer.to_text().unwrap()).unwrap();
        assert_eq!(answer["type"], "error", "{frame}");
        assert_eq!(answer["data"]["code"], "not_found", "{frame}: {answer}");
    }

    // The owner still sees everything unchanged.
    let body = server.conversation(&owner, &conversation).await;
    assert_eq!(body["messages"].as_array().unwrap().len(), 2);
}
