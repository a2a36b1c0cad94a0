use crate::chat_support::MockLlm;
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(providers_are_listed_with_masked_keys_and_can_be_tested,);

const KEY: &str = "sk-provider-secret-9f3a";

async fn providers_are_listed_with_masked_keys_and_can_be_tested(engine: Engine) {
    let mock = MockLlm::start_with(mock_llm::Options {
        api_key: Some(KEY.into()),
        ..Default::default()
    })
    .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.toml");
    std::fs::write(
        &file,
        format!(
            "[[providers]]\nname = \"mock\"\nbase_url = \"{}/v1\"\napi_key = \"{KEY}\"\n\n\
             [[providers]]\nname = \"gone\"\nbase_url = \"http://127.0.0.1:{closed_port}/v1\"\nmodels = [\"ghost\"]\n",
            mock.base
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let server = TestServer::start_with(engine, &[("LLM_PROVIDERS_FILE", &path)]).await;
    let admin = server.register("root").await;
    let user = server.register("user").await;

    let (status, body) = read(server.get("/api/admin/providers", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(!body.to_string().contains(KEY), "the key leaked: {body}");
    assert_eq!(
        body["items"],
        json!([
            {"name": "mock", "base_url": format!("{}/v1", mock.base), "api_key": "sk-…9f3a",
             "models": ["mock-model"], "discovery": "discovered"},
            {"name": "gone", "base_url": format!("http://127.0.0.1:{closed_port}/v1"), "api_key": null,
             "models": ["ghost"], "discovery": "fixed"}
        ])
    );

    let (status, report) = read(
        server
            .post("/api/admin/providers/mock/test", Some(&admin), &Value::Null)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["model_count"], 1);
    assert!(report["latency_ms"].is_u64());

    let (status, report) = read(
        server
            .post("/api/admin/providers/gone/test", Some(&admin), &Value::Null)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["ok"], false);
    let error = report["error"].as_str().unwrap();
    assert!(error.contains(&format!("127.0.0.1:{closed_port}")), "{error}");

    let (status, body) = read(
        server
            .post("/api/admin/providers/nobody/test", Some(&admin), &Value::Null)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "not_found");
    let (status, _) = read(server.get("/api/admin/providers", Some(&user)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = read(
        server
            .post("/api/admin/providers/mock/test", Some(&user), &Value::Null)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
