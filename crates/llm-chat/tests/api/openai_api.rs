//! `/v1/chat/completions` for programs: whole and streamed answers, the
//! parameters passed to the model server, OpenAI-shaped errors, and a usage
//! row for every completion.

use crate::api_keys::{key_secret, openai_code};
use crate::chat_support::{MockLlm, mock_reply, server_with};
use crate::helpers::{Engine, TestServer, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(completions_are_answered_whole_and_streamed_and_counted);

async fn complete(server: &TestServer, credential: &str, body: &Value) -> (StatusCode, Value) {
    read(server.post("/v1/chat/completions", Some(credential), body).await).await
}

/// The `data:` payloads of a streamed completion, `[DONE]` included.
pub async fn stream(server: &TestServer, credential: &str, body: &Value) -> Vec<String> {
    let response = server.post("/v1/chat/completions", Some(credential), body).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"),
        "{:?}",
        response.headers()
    );
    let text = response.text().await.unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix("data: ").or_else(|| line.strip_prefix("data:")))
        .map(|data| data.trim().to_owned())
        .collect()
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

async fn completions_are_answered_whole_and_streamed_and_counted(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("alice").await;
    let key = key_secret(&server, &token, "sdk").await;

    let (status, whole) = complete(
        &server,
        &key,
        &json!({"model": "mock-model", "messages": user("[[mock tokens=5]] hi"),
                "temperature": 0.3, "seed": 42, "stop": ["zz"], "max_tokens": 50, "api_base": "http://elsewhere"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{whole}");
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["model"], "mock-model");
    assert!(whole["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(whole["choices"][0]["message"]["content"], mock_reply(5));
    assert_eq!(whole["usage"]["completion_tokens"], 5);
    let recorded = mock.requests().await;
    let sent = recorded.last().unwrap();
    assert_eq!(sent["temperature"], 0.3);
    assert_eq!(sent["seed"], 42);
    assert_eq!(sent["stop"], json!(["zz"]));
    assert_eq!(sent["max_tokens"], 50);
    assert!(sent.get("api_base").is_none(), "an unknown field was passed on: {sent}");

    // Streamed with an access token, asking for the usage chunk.
    let data = stream(
        &server,
        &token,
        &json!({"model": "mock-model", "messages": user("[[mock tokens=4]] hi"), "stream": true,
                "stream_options": {"include_usage": true}}),
    )
    .await;
    assert_eq!(data.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).unwrap())
        .collect();
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, mock_reply(4));
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk" && c["model"] == "mock-model")
    );
    let id = &chunks[0]["id"];
    assert!(chunks.iter().all(|c| &c["id"] == id), "one id per completion");
    assert_eq!(chunks.last().unwrap()["usage"]["completion_tokens"], 4);

    // Without include_usage, no usage chunk.
    let data = stream(
        &server,
        &key,
        &json!({"model": "mock-model", "messages": user("[[mock tokens=3]] hi"), "stream": true}),
    )
    .await;
    assert!(data.iter().all(|d| !d.contains("\"usage\"")), "{data:?}");

    let (status, body) = complete(&server, &key, &json!({"model": "gpt-nope", "messages": user("hi")})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(openai_code(&body), "model_not_found");
    let (status, body) = complete(
        &server,
        &key,
        &json!({"model": "mock-model", "messages": user("hi"), "n": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "n");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, body) = complete(&server, &key, &json!({"model": "mock-model"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["param"], "messages");

    let (status, body) = complete(
        &server,
        &key,
        &json!({"model": "mock-model", "messages": user("[[mock fault=500]] hi")}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(openai_code(&body), "upstream_error");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("HTTP 500"),
        "{body}"
    );

    // A fault after the stream started ends it with an error item.
    let data = stream(
        &server,
        &key,
        &json!({"model": "mock-model", "messages": user("[[mock tokens=6 fault=malformed after=2]] hi"), "stream": true}),
    )
    .await;
    let error: Value = serde_json::from_str(&data[data.len() - 2]).unwrap();
    assert_eq!(openai_code(&error), "upstream_malformed");

    // Five completions reached the model server; two of them failed.
    let (status, usage) = read(server.get("/api/usage", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK, "{usage}");
    assert_eq!(usage["days"], 30);
    assert_eq!(usage["totals"]["requests"], 5, "{usage}");
    assert_eq!(usage["totals"]["errors"], 2, "{usage}");
    assert_eq!(usage["totals"]["completion_tokens"], 5 + 4 + 3, "{usage}");
    let row = &usage["by_day"][0];
    assert_eq!(row["model"], "mock-model");
    assert!(row["day"].as_str().unwrap().len() == 10, "{row}");
    assert!(row.get("username").is_none());
}

/// A reasoning model's thinking reaches programs in the field the model
/// server used, and stays out of the answer.
#[tokio::test]
async fn reasoning_passes_through_in_the_upstream_field() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[]).await;
    let token = server.register("alice").await;
    for field in ["reasoning_content", "reasoning"] {
        let prompt = format!("[[mock reasoning={field} thoughts=3 tokens=2]] hi");
        let data = stream(
            &server,
            &token,
            &json!({"model": "mock-model", "messages": user(&prompt), "stream": true}),
        )
        .await;
        let chunks: Vec<Value> = data[..data.len() - 1]
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let delta_text = |name: &str| -> String {
            chunks
                .iter()
                .filter_map(|c| c["choices"][0]["delta"][name].as_str())
                .collect()
        };
        assert!(!delta_text(field).is_empty(), "no {field} in {data:?}");
        assert_eq!(delta_text("content"), mock_reply(2), "{field}");

        let (status, whole) = complete(
            &server,
            &token,
            &json!({"model": "mock-model", "messages": user(&prompt)}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{whole}");
        assert_eq!(whole["choices"][0]["message"]["content"], mock_reply(2), "{field}");
        assert!(whole["choices"][0]["message"][field].is_string(), "{whole}");
    }
}
