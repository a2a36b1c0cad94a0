use crate::helpers::{Engine, TestServer, error_code, read};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_answer_carries_a_request_id_and_security_headers() {
    let server = TestServer::start(Engine::Sqlite).await;
    let response = server.get("/api/health", None).await;
    let headers = response.headers();
    assert_eq!(headers["x-request-id"].to_str().unwrap().len(), 36);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let given = server
        .client
        .get(server.url("/api/health"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-me-123");
}

#[tokio::test]
async fn large_answers_are_compressed_for_clients_that_accept_it() {
    let server = TestServer::start(Engine::Sqlite).await;
    for encoding in ["gzip", "br"] {
        let response = server
            .client
            .get(server.url("/openapi.json"))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], encoding);
    }
}

#[tokio::test]
async fn unknown_routes_methods_and_oversized_bodies_answer_in_the_error_shape() {
    let server = TestServer::start_with(Engine::Sqlite, &[("MAX_BODY_BYTES", "1024")]).await;
    let (status, body) = read(server.get("/api/nothing-here", None).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");

    let (status, body) = read(server.client.delete(server.url("/api/health")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(&body), "method_not_allowed");

    let huge = "x".repeat(4096);
    let (status, body) = read(
        server
            .post("/api/auth/register", None, &json!({"username": huge, "password": huge}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(&body), "payload_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("MAX_BODY_BYTES"));
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly_and_the_log_file_holds_json_lines() {
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().display().to_string();
    let mut server = TestServer::start_with(Engine::Sqlite, &[("LOG_DIR", &log_path)]).await;
    server.get("/api/health", None).await;
    let status = server.terminate().await;
    assert!(status.success(), "exit status {status}:\n{}", server.output.text());
    assert!(server.output.text().contains("shutting down"));

    let files: Vec<_> = std::fs::read_dir(log_dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("llm-chat.") && name.ends_with(".log"), "{name}");
    let content = std::fs::read_to_string(&files[0]).unwrap();
    let lines: Vec<serde_json::Value> = content.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "served" && l["span"]["path"] == "/api/health"),
        "{content}"
    );
    assert!(!content.contains(crate::helpers::TEST_SECRET));
}
