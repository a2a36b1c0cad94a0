//! Conversations list and settings, models and providers, limits, validation.

use crate::chat_support::{MockLlm, server_with, text_of};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    the_list_pages_by_cursor_pins_first_searches_titles_and_hides_archived,
    conversation_settings_are_validated_and_saved,
);

async fn list(server: &TestServer, token: &str, query: &str) -> Value {
    let (status, body) = read(server.get(&format!("/api/conversations?{query}"), Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_list_pages_by_cursor_pins_first_searches_titles_and_hides_archived(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("lister").await;
    let mut ids = Vec::new();
    for title in ["Alpha", "Beta 50%_off", "Gamma", "Delta", "Epsilon"] {
        let (_, body) = read(
            server
                .post("/api/conversations", Some(&token), &json!({"title": title}))
                .await,
        )
        .await;
        ids.push(body["id"].as_str().unwrap().to_owned());
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let patch = |id: &str, body: Value| {
        let path = format!("/api/conversations/{id}");
        let server = &server;
        let token = &token;
        async move { read(server.send_json(Method::PATCH, &path, Some(token), &body).await).await }
    };
    assert_eq!(patch(&ids[1], json!({"pinned": true})).await.0, StatusCode::OK);
    assert_eq!(patch(&ids[3], json!({"archived": true})).await.0, StatusCode::OK);

    let mut seen = Vec::new();
    let mut page = list(&server, &token, "limit=2").await;
    loop {
        seen.extend(titles(&page));
        let Some(cursor) = page["next_cursor"].as_str() else {
            break;
        };
        page = list(&server, &token, &format!("limit=2&cursor={cursor}")).await;
    }
    assert_eq!(seen, ["Beta 50%_off", "Epsilon", "Gamma", "Alpha"]);
    assert_eq!(titles(&list(&server, &token, "archived=true").await), ["Delta"]);
    assert_eq!(titles(&list(&server, &token, "q=GAM").await), ["Gamma"]);
    assert_eq!(titles(&list(&server, &token, "q=50%25_").await), ["Beta 50%_off"]);
    assert_eq!(
        titles(&list(&server, &token, "q=%25").await),
        ["Beta 50%_off"],
        "% is literal"
    );

    for bad in ["limit=0", "limit=1000", "cursor=garbage", "limit=abc", "archived=maybe"] {
        let (status, body) = read(server.get(&format!("/api/conversations?{bad}"), Some(&token)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(error_code(&body), "invalid_field");
    }

    // A new message moves its conversation to the top (after pinned ones).
    server
        .send_streaming(&token, &ids[0], &json!({"content": "bump [[mock tokens=1]]"}))
        .await
        .rest()
        .await;
    assert_eq!(
        titles(&list(&server, &token, "limit=2").await),
        ["Beta 50%_off", "Alpha"]
    );

    let (status, _) = read(
        server
            .client
            .delete(server.url(&format!("/api/conversations/{}", ids[0])))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = read(
        server
            .get(&format!("/api/conversations/{}", ids[0]), Some(&token))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn conversation_settings_are_validated_and_saved(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("tuner").await;
    let (status, body) = read(
        server
            .post(
                "/api/conversations",
                Some(&token),
                &json!({"model": "mock-model", "system_prompt": "Answer in French.", "params": {"temperature": 0.2, "max_tokens": 64}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["params"], json!({"temperature": 0.2, "max_tokens": 64}));

    server
        .send_streaming(&token, &id, &json!({"content": "hi [[mock tokens=1]]"}))
        .await
        .rest()
        .await;
    let request = mock.streamed_requests().await.pop().unwrap();
    assert_eq!(request["model"], "mock-model");
    assert_eq!(request["temperature"], 0.2);
    assert_eq!(request["max_tokens"], 64);
    assert_eq!(request["stream_options"]["include_usage"], true);
    assert_eq!(
        request["messages"][0],
        json!({"role": "system", "content": "Answer in French."})
    );

    for (body, field) in [
        (json!({"params": {"temperature": 3.0}}), "params.temperature"),
        (json!({"params": {"top_p": -1}}), "params.top_p"),
        (json!({"title": "x".repeat(300)}), "title"),
        (json!({"model": "no-such-model"}), "model"),
    ] {
        let (status, answer) = read(
            server
                .send_json(Method::PATCH, &format!("/api/conversations/{id}"), Some(&token), &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    let (status, _) = read(
        server
            .send_json(
                Method::PATCH,
                &format!("/api/conversations/{id}"),
                Some(&token),
                &json!({"colour": "red"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                &format!("/api/conversations/{id}"),
                Some(&token),
                &json!({"system_prompt": null, "title": "Renamed"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["system_prompt"], Value::Null);
    assert_eq!(body["title"], "Renamed");
    assert_eq!(body["model"], "mock-model", "absent fields stay");

    for (body, code) in [
        (json!({"content": "   "}), "invalid_field"),
        (json!({"content": "hi", "model": "nope"}), "unknown_model"),
    ] {
        let (status, answer) = read(
            server
                .post(&format!("/api/conversations/{id}/messages"), Some(&token), &body)
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(error_code(&answer), code);
    }
    let (status, _) = read(
        server
            .post(
                &format!("/api/conversations/{id}/messages"),
                Some(&token),
                &json!({"content": "hi", "parent_id": "nope"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_model_server_the_demo_model_explains_how_to_connect_one() {
    let server = TestServer::start(Engine::Sqlite).await;
    let token = server.register("newcomer").await;
    let (_, models) = read(server.get("/api/models", Some(&token)).await).await;
    assert_eq!(models["models"].as_array().unwrap().len(), 1);
    assert_eq!(models["models"][0]["id"], "demo");
    assert_eq!(models["models"][0]["demo"], true);
    assert_eq!(models["default_model"], "demo");
    let conversation = server.new_conversation(&token).await;
    let english = server
        .send_streaming(&token, &conversation, &json!({"content": "hello"}))
        .await
        .rest()
        .await;
    let text = text_of(&english);
    assert!(text.contains("LLM_API_URL") && text.contains("demo model"), "{text}");
    let chinese = server
        .send_streaming(&token, &conversation, &json!({"content": "你好"}))
        .await
        .rest()
        .await;
    assert!(text_of(&chinese).contains("演示模型"), "{}", text_of(&chinese));
    assert_eq!(chinese.last().unwrap().event, "done");
}

#[tokio::test]
async fn providers_from_a_file_are_listed_with_their_names_and_routed() {
    let mock = MockLlm::start_with(mock_llm::Options {
        models: vec!["alpha".into(), "beta".into()],
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("providers.toml");
    std::fs::write(
        &file,
        format!(
            "[[providers]]\nname = \"fixed\"\nbase_url = \"{0}/v1\"\nmodels = [\"alpha\"]\n\n[[providers]]\nname = \"discovered\"\nbase_url = \"{0}\"\n",
            mock.base
        ),
    )
    .unwrap();
    let path = file.display().to_string();
    let server = TestServer::start_with(Engine::Sqlite, &[("LLM_PROVIDERS_FILE", &path)]).await;
    let token = server.register("picker").await;
    let (_, models) = read(server.get("/api/models", Some(&token)).await).await;
    let listed: Vec<(String, String)> = models["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_owned(),
                m["provider"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("alpha".into(), "fixed".into()),
            ("discovered/alpha".into(), "discovered".into()),
            ("beta".into(), "discovered".into())
        ]
    );
    let conversation = server.new_conversation(&token).await;
    let reply = server
        .send_streaming(
            &token,
            &conversation,
            &json!({"content": "hi [[mock tokens=2]]", "model": "discovered/alpha"}),
        )
        .await
        .rest()
        .await;
    assert_eq!(reply.last().unwrap().event, "done");
    assert_eq!(mock.streamed_requests().await.pop().unwrap()["model"], "alpha");
    let (_, body) = read(
        server
            .get(&format!("/api/conversations/{conversation}"), Some(&token))
            .await,
    )
    .await;
    assert_eq!(
        body["conversation"]["model"], "discovered/alpha",
        "the chosen model is remembered"
    );

    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[[providers]]\nname = \"x\"\nbase_url = \"localhost\"\n").unwrap();
    let output = crate::helpers::run_command(
        dir.path(),
        &[("LLM_PROVIDERS_FILE", &broken.display().to_string())],
        &["serve"],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("LLM_PROVIDERS_FILE"));
}

#[tokio::test]
async fn per_user_limits_answer_429_with_retry_after() {
    let mock = MockLlm::start().await;
    let server = server_with(
        Engine::Sqlite,
        &mock,
        &[
            ("MAX_CONCURRENT_GENERATIONS_PER_USER", "1"),
            ("GENERATIONS_PER_MINUTE", "2"),
        ],
    )
    .await;
    let token = server.register("busy").await;
    let conversation = server.new_conversation(&token).await;
    let first = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "slow [[mock tokens=100 delay=20]]"}),
        )
        .await;
    let other = server.new_conversation(&token).await;
    let response = server
        .post(
            &format!("/api/conversations/{other}/messages"),
            Some(&token),
            &json!({"content": "again"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let generation = first["generation_id"].as_str().unwrap();
    server
        .post(
            &format!("/api/generations/{generation}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    server.follow(&token, generation, None).await.rest().await;

    server
        .send_streaming(&token, &other, &json!({"content": "two [[mock tokens=1]]"}))
        .await
        .rest()
        .await;
    let (status, body) = read(
        server
            .post(
                &format!("/api/conversations/{other}/messages"),
                Some(&token),
                &json!({"content": "three"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "rate_limited");
    // Another user is not affected.
    let stranger = server.register("calm").await;
    let theirs = server.new_conversation(&stranger).await;
    server
        .send_streaming(&stranger, &theirs, &json!({"content": "fine [[mock tokens=1]]"}))
        .await
        .rest()
        .await;
}

#[tokio::test]
async fn a_long_history_is_trimmed_oldest_first_to_the_budget() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[("CONTEXT_TOKEN_BUDGET", "120")]).await;
    let token = server.register("talker").await;
    let conversation = server.new_conversation(&token).await;
    for i in 0..6 {
        let content = format!("turn {i} {} [[mock tokens=5]]", "words ".repeat(20));
        server
            .send_streaming(&token, &conversation, &json!({"content": content}))
            .await
            .rest()
            .await;
    }
    let context = mock.last_context().await;
    assert!(context.len() < 11, "older turns were dropped: {} sent", context.len());
    assert_eq!(
        context.first().unwrap().0,
        "user",
        "the context never opens with a reply"
    );
    assert!(context.last().unwrap().1.starts_with("turn 5 "));
    let (status, _) = read(server.get("/api/health", None).await).await;
    assert_eq!(status, StatusCode::OK);
}
