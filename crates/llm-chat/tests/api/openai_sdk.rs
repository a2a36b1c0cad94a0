//! The official OpenAI Python SDK against the real server: a program that
//! works with OpenAI works with llm-chat and a user's key. The test fails
//! (never skips) when `python3` or the `openai` package is missing: install
//! them with `python3 -m pip install openai`.

use crate::api_keys::key_secret;
use crate::chat_support::{MockLlm, server_with};
use crate::helpers::Engine;
use std::time::Duration;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/openai_sdk_check.py");

#[tokio::test]
async fn the_official_python_sdk_works_with_a_key() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[]).await;
    let token = server.register("alice").await;
    let key = key_secret(&server, &token, "python").await;

    let run = tokio::process::Command::new("python3")
        .arg(SCRIPT)
        .env("LLMCHAT_BASE_URL", server.url("/v1"))
        .env("LLMCHAT_API_KEY", &key)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the SDK script did not finish within 120 s")
        .expect("python3 is missing: install Python 3 and `python3 -m pip install openai`");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the SDK script failed ({}); if `openai` is missing, run `python3 -m pip install openai`\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}
