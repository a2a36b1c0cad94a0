//! API keys: shown once, listed by prefix, usable only on `/v1/*`, revocable,
//! and invisible to other users.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(
    a_key_is_shown_once_works_on_v1_only_and_stops_when_revoked,
    keys_belong_to_their_owner
);

async fn v1_models(server: &TestServer, credential: &str) -> (StatusCode, Value) {
    read(server.get("/v1/models", Some(credential)).await).await
}

/// Asserts OpenAI's error shape and returns the code.
pub fn openai_code(body: &Value) -> &str {
    let error = &body["error"];
    assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(error["type"].is_string(), "{body}");
    assert!(error.get("param").is_some(), "{body}");
    error["code"].as_str().unwrap_or_else(|| panic!("no code: {body}"))
}

/// Creates a key for the holder of `token`; returns the whole 201 body.
pub async fn create_key(server: &TestServer, token: &str, name: &str) -> Value {
    let (status, body) = read(server.post("/api/keys", Some(token), &json!({"name": name})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// A new key's secret, for a test that only uses the key.
pub async fn key_secret(server: &TestServer, token: &str, name: &str) -> String {
    create_key(server, token, name).await["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn a_key_is_shown_once_works_on_v1_only_and_stops_when_revoked(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("alice").await;

    let created = create_key(&server, &token, "my script").await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("sk-llmchat-") && key.len() > 40, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!(created["scopes"], json!(["chat"]));
    assert_eq!(created["last_used_at"], Value::Null);

    let (status, models) = v1_models(&server, &key).await;
    assert_eq!(status, StatusCode::OK, "{models}");
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], "mock-model");

    let (status, list) = read(server.get("/api/keys", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "my script");
    assert!(items[0].get("key").is_none(), "the secret is listed: {list}");
    assert!(items[0]["last_used_at"].is_i64(), "use was not recorded: {list}");

    let (status, body) = read(server.get("/api/auth/me", Some(&key)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "api_key_not_allowed");
    let (status, body) = read(server.get("/api/conversations", Some(&key)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "api_key_not_allowed");

    let (status, _) = v1_models(&server, &token).await;
    assert_eq!(status, StatusCode::OK, "an access token works on /v1 too");

    let id = created["id"].as_str().unwrap();
    let response = server
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/keys/{id}"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = v1_models(&server, &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(openai_code(&body), "invalid_api_key");
    let (_, list) = read(server.get("/api/keys", Some(&token)).await).await;
    assert_eq!(list["items"], json!([]));

    for bad in ["sk-llmchat-0000", "nonsense"] {
        let (status, body) = v1_models(&server, bad).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(openai_code(&body), "invalid_api_key");
    }
    let (status, body) = read(server.get("/v1/models", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(openai_code(&body), "invalid_api_key");

    for bad in [
        json!({"name": ""}),
        json!({"name": "x", "scopes": ["admin"]}),
        json!({"name": "x", "scopes": []}),
    ] {
        let (status, body) = read(server.post("/api/keys", Some(&token), &bad).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(error_code(&body), "invalid_field");
    }
}

async fn keys_belong_to_their_owner(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let created = create_key(&server, &alice, "alice's").await;
    let id = created["id"].as_str().unwrap();

    let (_, list) = read(server.get("/api/keys", Some(&bob)).await).await;
    assert_eq!(list["items"], json!([]));
    let (status, body) = read(
        server
            .send_json(
                reqwest::Method::DELETE,
                &format!("/api/keys/{id}"),
                Some(&bob),
                &json!({}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let (status, _) = v1_models(&server, created["key"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "bob revoked alice's key");
}
