//! `llm-chat doctor` against good and broken set-ups: every broken setting it
//! is given shows up as a `fail` line with a fix, and the exit code says so.
//! The model server is a small HTTP server in the test, on 127.0.0.1.

use crate::helpers::{Engine, TestServer, run_command};
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde_json::json;

const STRONG_SECRET: &str = "9f2c4e7a1b3d5f6e8a0c2e4f6a8b0d1c3e5f7a9b";

/// An OpenAI-compatible stub: `GET /v1/models` lists `m1` and `m2` for the key `k`.
async fn model_server() -> String {
    let app = axum::Router::new().route(
        "/v1/models",
        get(|headers: HeaderMap| async move {
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer k") {
                return Err(StatusCode::UNAUTHORIZED);
            }
            Ok(Json(json!({"object": "list", "data": [{"id": "m1"}, {"id": "m2"}]})))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn free_port() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string()
}

struct Doctor {
    code: Option<i32>,
    stdout: String,
}

impl Doctor {
    fn line(&self, level: &str, check: &str) -> Option<&str> {
        self.stdout
            .lines()
            .find(|l| l.starts_with(level) && l[level.len()..].trim_start().starts_with(&format!("{check}:")))
    }
}

/// Runs doctor in a fresh folder with a good setup, changed by `changes`
/// (a pair with an empty value removes that variable).
async fn doctor(upstream: &str, changes: &[(&str, &str)]) -> (Doctor, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("db").display().to_string();
    let database = format!("sqlite://{data}/conversation.db");
    let llm = format!("{upstream}/v1/chat/completions");
    let port = free_port();
    let mut env: Vec<(String, String)> = [
        ("HOST", "127.0.0.1"),
        ("PORT", port.as_str()),
        ("DATABASE_URL", database.as_str()),
        ("SECRET_KEY", STRONG_SECRET),
        ("LLM_API_URL", llm.as_str()),
        ("LLM_MODEL", "m1"),
        ("LLM_API_KEY", "k"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (key, value) in changes {
        env.retain(|(k, _)| k != key);
        if !value.is_empty() {
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let output = run_command(dir.path(), &env, &["doctor"], None).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (
        Doctor {
            code: output.status.code(),
            stdout,
        },
        dir,
    )
}

#[tokio::test]
async fn doctor_passes_a_sound_setup_and_confirms_the_model_upstream() {
    let upstream = model_server().await;
    let (report, _dir) = doctor(&upstream, &[]).await;
    assert_eq!(report.code, Some(0), "{}", report.stdout);
    for check in [
        "configuration",
        "database folder",
        "log folder",
        "disk space",
        "port",
        "database",
        "SECRET_KEY",
        "LLM upstream",
        "LLM_MODEL",
    ] {
        assert!(report.line("ok", check).is_some(), "{check}:\n{}", report.stdout);
    }
    assert!(report.stdout.contains("0 failed"), "{}", report.stdout);
}

#[tokio::test]
async fn doctor_reports_each_broken_setting_with_a_fix() {
    let upstream = model_server().await;
    let closed = format!("http://127.0.0.1:{}", free_port());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let blocked = tempfile::tempdir().unwrap();
    let file_as_folder = blocked.path().join("not-a-folder");
    std::fs::write(&file_as_folder, b"").unwrap();
    let blocked_db = format!("sqlite://{}/conversation.db", file_as_folder.display());
    let blocked_logs = file_as_folder.join("logs").display().to_string();

    // (what is broken, the variables that break it, the check that must fail, a word of its fix)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            "a rejected key",
            vec![("LLM_API_KEY", "wrong")],
            "LLM upstream",
            "LLM_API_KEY",
        ),
        (
            "a missing key",
            vec![("LLM_API_KEY", "")],
            "LLM upstream",
            "LLM_API_KEY",
        ),
        ("an unknown model", vec![("LLM_MODEL", "gpt-9")], "LLM_MODEL", "m1, m2"),
        (
            "an upstream that is down",
            vec![("LLM_API_URL", closed.as_str())],
            "LLM upstream",
            "cannot be reached",
        ),
        (
            "a weak secret",
            vec![("SECRET_KEY", "secret")],
            "SECRET_KEY",
            "openssl rand -hex 32",
        ),
        (
            "a placeholder secret",
            vec![("SECRET_KEY", "<your-secret-key-goes-here-please>")],
            "SECRET_KEY",
            "placeholder",
        ),
        (
            "a taken port",
            vec![("PORT", taken_port.as_str())],
            "port",
            "another program",
        ),
        (
            "an unwritable database folder",
            vec![("DATABASE_URL", blocked_db.as_str())],
            "database folder",
            "uid",
        ),
        (
            "an unwritable log folder",
            vec![("LOG_DIR", blocked_logs.as_str())],
            "log folder",
            "backend-logs:/app/logs",
        ),
        (
            "an invalid value",
            vec![("ACCESS_TOKEN_EXPIRE_MINUTES", "forever")],
            "configuration",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
        ),
    ];
    for (what, changes, check, fix) in cases {
        let (report, _dir) = doctor(&upstream, &changes).await;
        assert_eq!(report.code, Some(1), "{what}:\n{}", report.stdout);
        let line = report
            .line("fail", check)
            .unwrap_or_else(|| panic!("{what}: no `fail {check}` line:\n{}", report.stdout));
        assert!(line.contains(fix), "{what}: {line}");
    }
    drop(taken);
}

#[tokio::test]
async fn doctor_finds_a_wrong_api_path_a_corrupt_database_and_an_ignored_frontend_variable() {
    let upstream = model_server().await;
    // An API root without /v1: the model list is not there.
    let (report, _dir) = doctor(&upstream, &[("LLM_API_URL", upstream.as_str())]).await;
    let line = report.line("fail", "LLM upstream").unwrap_or_default();
    assert!(line.contains("/v1"), "{}", report.stdout);

    let (report, _dir) = doctor(&upstream, &[("NEXT_PUBLIC_API_URL", "http://10.1.2.3:8000")]).await;
    assert_eq!(report.code, Some(0), "{}", report.stdout);
    let line = report.line("warn", "NEXT_PUBLIC_API_URL").unwrap_or_default();
    assert!(line.contains("ignored"), "{}", report.stdout);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("conversation.db");
    std::fs::write(&db, vec![7u8; 8192]).unwrap();
    let url = format!("sqlite://{}", db.display());
    let (report, _other) = doctor(&upstream, &[("DATABASE_URL", url.as_str())]).await;
    assert_eq!(report.code, Some(1), "{}", report.stdout);
    assert!(report.line("fail", "database").is_some(), "{}", report.stdout);
}

#[tokio::test]
async fn doctor_accepts_a_port_held_by_the_running_llm_chat_server() {
    let upstream = model_server().await;
    let server = TestServer::start(Engine::Sqlite).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let database = server.db.url().to_owned();
    let (report, _dir) = doctor(
        &upstream,
        &[("PORT", port.as_str()), ("DATABASE_URL", database.as_str())],
    )
    .await;
    assert_eq!(report.code, Some(0), "{}", report.stdout);
    let line = report.line("ok", "port").unwrap_or_default();
    assert!(line.contains("already serving"), "{}", report.stdout);
    assert!(report.line("ok", "server").is_some(), "{}", report.stdout);
}
