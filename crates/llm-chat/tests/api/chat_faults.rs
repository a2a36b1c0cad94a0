//! Every upstream fault ends the reply with a clear error, keeps what
//! arrived, and leaves the server healthy for the next request.

use crate::chat_support::{MockLlm, server_with, text_of};
use crate::helpers::{Engine, TestServer, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::json;

on_both_engines!(upstream_faults_end_with_a_clear_error_and_keep_the_partial_text);

struct Case {
    directive: &'static str,
    code: &'static str,
    says: &'static str,
    partial: &'static str,
}

async fn expect_fault(server: &TestServer, token: &str, case: &Case) {
    let conversation = server.new_conversation(token).await;
    let content = format!("fault {}", case.directive);
    let events = server
        .send_streaming(token, &conversation, &json!({"content": content}))
        .await
        .rest()
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "error", "{}: {events:?}", case.directive);
    assert_eq!(last.data["code"], case.code, "{}: {}", case.directive, last.data);
    let message = last.data["message"].as_str().unwrap();
    assert!(message.contains(case.says), "{}: {message}", case.directive);
    assert_eq!(text_of(&events), case.partial, "{}", case.directive);
    let reply = &last.data["reply"];
    assert_eq!(reply["status"], "error");
    assert_eq!(reply["content"], case.partial);
    assert_eq!(reply["error"]["code"], case.code);
    let id = reply["id"].as_str().unwrap();
    let stored = server.settled_message(token, &conversation, id).await;
    assert_eq!(stored["content"], case.partial);
    assert_eq!(stored["error"]["message"], message);

    // The server stays healthy and the next request works.
    assert_eq!(server.get("/api/health", None).await.status(), StatusCode::OK);
    let next = server
        .send_streaming(token, &conversation, &json!({"content": "again [[mock tokens=2]]"}))
        .await
        .rest()
        .await;
    assert_eq!(next.last().unwrap().event, "done", "after {}", case.directive);
}

async fn upstream_faults_end_with_a_clear_error_and_keep_the_partial_text(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(
        engine,
        &mock,
        &[
            ("LLM_FIRST_TOKEN_TIMEOUT_SECS", "1"),
            ("LLM_IDLE_TIMEOUT_SECS", "1"),
            ("LLM_MAX_RETRIES", "1"),
        ],
    )
    .await;
    let token = server.register("unlucky").await;
    let cases = [
        Case {
            directive: "[[mock fault=500]]",
            code: "upstream_error",
            says: "HTTP 500",
            partial: "",
        },
        Case {
            directive: "[[mock fault=429 retry_after=0]]",
            code: "upstream_rate_limited",
            says: "429",
            partial: "",
        },
        Case {
            directive: "[[mock fault=hang]]",
            code: "upstream_timeout",
            says: "sent nothing for 1 s",
            partial: "",
        },
        Case {
            directive: "[[mock tokens=8 fault=close after=3]]",
            code: "upstream_closed",
            says: "closed",
            partial: "w0 w1 w2 ",
        },
        Case {
            directive: "[[mock tokens=8 fault=malformed after=3]]",
            code: "upstream_malformed",
            says: "not valid",
            partial: "w0 w1 w2 ",
        },
        Case {
            directive: "[[mock tokens=8 fault=stall after=3]]",
            code: "upstream_timeout",
            says: "stopped sending for 1 s",
            partial: "w0 w1 w2 ",
        },
    ];
    for case in &cases {
        expect_fault(&server, &token, case).await;
    }
}

#[tokio::test]
async fn a_refused_connection_and_an_unknown_upstream_model_are_explained() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/v1");
    let server = TestServer::start_with(
        Engine::Sqlite,
        &[("LLM_API_URL", &url), ("LLM_MODEL", "m"), ("LLM_MAX_RETRIES", "0")],
    )
    .await;
    let token = server.register("offline").await;
    let conversation = server.new_conversation(&token).await;
    let events = server
        .send_streaming(&token, &conversation, &json!({"content": "anyone?"}))
        .await
        .rest()
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.data["code"], "upstream_unreachable");
    assert!(
        last.data["message"].as_str().unwrap().contains("LLM_API_URL"),
        "{}",
        last.data
    );

    let mock = MockLlm::start().await;
    let wrong = server_with(Engine::Sqlite, &mock, &[("LLM_MODEL", "missing-model")]).await;
    let token = wrong.register("typo").await;
    let conversation = wrong.new_conversation(&token).await;
    let events = wrong
        .send_streaming(&token, &conversation, &json!({"content": "hi"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().data["code"], "upstream_model_not_found");
}

#[tokio::test]
async fn rate_limits_and_overload_before_the_first_token_are_retried() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[("LLM_MAX_RETRIES", "2")]).await;
    let token = server.register("patient").await;
    for directive in [
        "[[mock fault=429 retry_after=1 fail_times=1 tokens=3]]",
        "[[mock fault=503 fail_times=2 tokens=3]]",
    ] {
        let conversation = server.new_conversation(&token).await;
        let events = server
            .send_streaming(&token, &conversation, &json!({"content": directive}))
            .await
            .rest()
            .await;
        assert_eq!(events.last().unwrap().event, "done", "{directive}: {events:?}");
        assert_eq!(text_of(&events), "w0 w1 w2 ");
    }
    let trickle = server.new_conversation(&token).await;
    let events = server
        .send_streaming(&token, &trickle, &json!({"content": "[[mock fault=trickle tokens=2]]"}))
        .await
        .rest()
        .await;
    assert_eq!(
        events.last().unwrap().event,
        "done",
        "a very slow trickle still completes"
    );
    let (status, _) = read(server.get("/api/health", None).await).await;
    assert_eq!(status, StatusCode::OK);
}
