use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::json;

on_both_engines!(
    health_answers_exactly_as_the_deployment_guide_shows,
    ready_names_the_engine_and_schema
);

async fn health_answers_exactly_as_the_deployment_guide_shows(engine: Engine) {
    let server = TestServer::start(engine).await;
    let (status, body) = read(server.get("/api/health", None).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"status": "ok", "message": "大模型对话后端服务运行中", "version": env!("CARGO_PKG_VERSION")})
    );
}

async fn ready_names_the_engine_and_schema(engine: Engine) {
    let server = TestServer::start(engine).await;
    let (status, body) = read(server.get("/api/ready", None).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);
    assert_eq!(body["status"], "ready");
    assert!(body["schema_version"].as_i64().unwrap() >= 1);
}

#[tokio::test]
async fn ready_is_503_while_the_database_is_gone_and_health_stays_ok() {
    let server = TestServer::start(Engine::Postgres).await;
    server.db.drop_now().await;
    let (status, body) = read(server.get("/api/ready", None).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(error_code(&body), "database_unavailable");
    let (status, _) = read(server.get("/api/health", None).await).await;
    assert_eq!(status, StatusCode::OK);
}
