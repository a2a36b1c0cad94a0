use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    allowed_models_narrow_the_list_and_refuse_other_models,
    the_default_model_is_used_when_a_conversation_names_none,
    the_sign_in_message_is_shown_to_visitors,
);

async fn two_model_server(engine: Engine) -> (MockLlm, TestServer) {
    let mock = MockLlm::start_with(mock_llm::Options {
        models: vec!["alpha".into(), "beta".into()],
        ..Default::default()
    })
    .await;
    let url = format!("{}/v1", mock.base);
    let server = TestServer::start_with(engine, &[("LLM_API_URL", url.as_str())]).await;
    (mock, server)
}

impl TestServer {
    async fn patch_settings(&self, token: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.send_json(Method::PATCH, "/api/admin/settings", Some(token), body)
                .await,
        )
        .await
    }
}

fn model_ids(list: &Value) -> Vec<&str> {
    list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect()
}

async fn allowed_models_narrow_the_list_and_refuse_other_models(engine: Engine) {
    let (_mock, server) = two_model_server(engine).await;
    let admin = server.register("root").await;
    let user = server.register("user").await;
    let (_, list) = read(server.get("/api/models", Some(&user)).await).await;
    assert_eq!(model_ids(&list), ["alpha", "beta"]);

    let (status, body) = server
        .patch_settings(&admin, &json!({"allowed_models": ["beta"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["allowed_models"], json!(["beta"]));
    let (_, list) = read(server.get("/api/models", Some(&user)).await).await;
    assert_eq!(model_ids(&list), ["beta"]);
    assert_eq!(list["default_model"], "beta");

    let conversation = server.new_conversation(&user).await;
    let path = format!("/api/conversations/{conversation}/messages");
    let (status, body) = read(
        server
            .post(&path, Some(&user), &json!({"content": "hi", "model": "alpha"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "model_not_allowed");
    assert!(body["error"]["message"].as_str().unwrap().contains("alpha"));
    let (status, body) = read(
        server
            .post("/api/conversations", Some(&user), &json!({"model": "alpha"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    let (status, body) = server
        .patch_settings(&admin, &json!({"allowed_models": ["gamma"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "allowed_models");
    let (status, body) = server.patch_settings(&admin, &json!({"default_model": "alpha"})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a default outside the allowed list: {body}"
    );
    assert_eq!(body["error"]["field"], "default_model");

    let (_, body) = server.patch_settings(&admin, &json!({"allowed_models": null})).await;
    assert_eq!(body["allowed_models"], json!([]));
    let (_, list) = read(server.get("/api/models", Some(&user)).await).await;
    assert_eq!(model_ids(&list), ["alpha", "beta"]);
}

async fn the_default_model_is_used_when_a_conversation_names_none(engine: Engine) {
    let (mock, server) = two_model_server(engine).await;
    let admin = server.register("root").await;
    let (status, body) = server.patch_settings(&admin, &json!({"default_model": "beta"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["default_model"], "beta");
    let (_, list) = read(server.get("/api/models", Some(&admin)).await).await;
    assert_eq!(list["default_model"], "beta");

    let conversation = server.new_conversation(&admin).await;
    let events = server
        .send_streaming(&admin, &conversation, &json!({"content": "hi [[mock tokens=2]]"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().event, "done");
    assert_eq!(mock.streamed_requests().await.pop().unwrap()["model"], "beta");

    // A conversation that remembers a model no longer allowed falls back to the default.
    server
        .send_streaming(
            &admin,
            &conversation,
            &json!({"content": "again [[mock tokens=2]]", "model": "alpha"}),
        )
        .await
        .rest()
        .await;
    server
        .patch_settings(&admin, &json!({"allowed_models": ["beta"]}))
        .await;
    let events = server
        .send_streaming(&admin, &conversation, &json!({"content": "third [[mock tokens=2]]"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().event, "done");
    assert_eq!(mock.streamed_requests().await.pop().unwrap()["model"], "beta");
}

async fn the_sign_in_message_is_shown_to_visitors(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("root").await;
    let (_, config) = read(server.get("/api/config", None).await).await;
    assert_eq!(config["signin_message"], Value::Null);

    let notice = "  系统将于周六 22:00 维护 / Maintenance on Saturday at 22:00  ";
    let (status, body) = server.patch_settings(&admin, &json!({"signin_message": notice})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, config) = read(server.get("/api/config", None).await).await;
    assert_eq!(config["signin_message"], notice.trim());

    let (status, body) = server
        .patch_settings(&admin, &json!({"signin_message": "x".repeat(2001)}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "signin_message");

    let (_, body) = server.patch_settings(&admin, &json!({"signin_message": ""})).await;
    assert_eq!(body["signin_message"], Value::Null);
    let (_, config) = read(server.get("/api/config", None).await).await;
    assert_eq!(config["signin_message"], Value::Null);
}
