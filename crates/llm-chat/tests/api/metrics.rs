//! `/metrics`: off unless configured, guarded by its token or served on its
//! own address, and scrapable in the Prometheus text format.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, http_client, read};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;

const TOKEN: &str = "metrics-token-for-the-tests";

/// Samples of a text exposition: `name{labels}` → value. Panics on a line
/// that is not a comment or a sample, so a broken format fails the test.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("not a number in {line:?}"));
        samples.insert(series.to_owned(), value);
    }
    assert!(text.trim_end().ends_with("# EOF"), "the exposition is not terminated");
    samples
}

async fn scrape(url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = http_client().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn metrics_are_off_unless_configured() {
    let server = TestServer::start(Engine::Sqlite).await;
    let (status, body) = read(server.get("/metrics", None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("METRICS_TOKEN") && message.contains("METRICS_ADDR"),
        "{message}"
    );
}

#[tokio::test]
async fn metrics_need_the_token_and_count_requests_generations_and_faults() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[("METRICS_TOKEN", TOKEN)]).await;
    let url = server.url("/metrics");
    for wrong in [None, Some("wrong-token")] {
        let (status, body) = read(scrape(&url, wrong).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert_eq!(error_code(&body), "invalid_metrics_token");
    }

    let token = server.register("alice").await;
    let conversation = server.new_conversation(&token).await;
    let events = server
        .send_streaming(&token, &conversation, &json!({"content": "[[mock tokens=6]] hi"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().event, "done");
    let events = server
        .send_streaming(&token, &conversation, &json!({"content": "[[mock fault=500]] hi"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().event, "error");
    server
        .get(&format!("/api/conversations/{conversation}"), Some(&token))
        .await;

    let response = scrape(&url, Some(TOKEN)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let samples = parse(&response.text().await.unwrap());
    let get = |series: &str| {
        *samples
            .get(series)
            .unwrap_or_else(|| panic!("no {series} in {:?}", samples.keys().collect::<Vec<_>>()))
    };
    assert_eq!(
        get(r#"llmchat_http_requests_total{method="GET",route="/api/conversations/{id}",status="200"}"#),
        1.0
    );
    assert_eq!(
        get(r#"llmchat_http_requests_total{method="GET",route="/metrics",status="401"}"#),
        2.0
    );
    assert!(get(r#"llmchat_http_request_duration_seconds_count{method="POST",route="/api/auth/register"}"#) >= 1.0);
    assert_eq!(get(r#"llmchat_tokens_streamed_total{source="chat"}"#), 6.0);
    assert_eq!(get(r#"llmchat_upstream_errors_total{kind="upstream_error"}"#), 1.0);
    assert_eq!(get(r#"llmchat_generations_active{source="chat"}"#), 0.0);
    assert!(get(r#"llmchat_db_pool_connections{state="idle"}"#) >= 1.0);
}

#[tokio::test]
async fn metrics_can_live_on_their_own_address() {
    let server = TestServer::start_with(Engine::Sqlite, &[("METRICS_ADDR", "127.0.0.1:0")]).await;
    let (status, body) = read(server.get("/metrics", None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("METRICS_ADDR"),
        "{body}"
    );

    let log = server.output.text();
    let start = log
        .find("metrics on http://")
        .expect("the metrics address is not logged")
        + "metrics on ".len();
    let url = log[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let response = scrape(&url, None).await;
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let samples = parse(&response.text().await.unwrap());
    assert!(
        samples.keys().any(|k| k.starts_with("llmchat_http_requests_total")),
        "{samples:?}"
    );
}
