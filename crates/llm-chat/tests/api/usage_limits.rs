//! Usage of the chat UI is counted like the API's, the administrator sees
//! everyone's, and the limits they set answer 429 on every way to start a reply.

use crate::api_keys::{create_key, key_secret, openai_code};
use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(
    chat_replies_are_counted_and_the_admin_sees_everyone,
    a_request_rate_limit_answers_429_on_chat_and_api,
    a_daily_quota_answers_429_once_spent
);

async fn user_id(server: &TestServer, token: &str) -> String {
    let (_, me) = read(server.get("/api/auth/me", Some(token)).await).await;
    me["id"].as_str().unwrap().to_owned()
}

async fn set_limits(server: &TestServer, admin: &str, user: &str, limits: &Value) -> (StatusCode, Value) {
    read(
        server
            .send_json(
                reqwest::Method::PUT,
                &format!("/api/admin/users/{user}/limits"),
                Some(admin),
                limits,
            )
            .await,
    )
    .await
}

async fn v1(server: &TestServer, key: &str) -> reqwest::Response {
    server
        .post(
            "/v1/chat/completions",
            Some(key),
            &json!({"model": "mock-model", "messages": [{"role": "user", "content": "[[mock tokens=3]] hi"}]}),
        )
        .await
}

async fn chat_send(server: &TestServer, token: &str) -> reqwest::Response {
    let conversation = server.new_conversation(token).await;
    server
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            Some(token),
            &json!({"content": "[[mock tokens=3]] hi"}),
        )
        .await
}

async fn chat_replies_are_counted_and_the_admin_sees_everyone(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("admin").await;
    let alice = server.register("alice").await;
    let conversation = server.new_conversation(&alice).await;
    let events = server
        .send_streaming(&alice, &conversation, &json!({"content": "[[mock tokens=7]] hi"}))
        .await
        .rest()
        .await;
    assert_eq!(events.last().unwrap().event, "done");

    let (_, mine) = read(server.get("/api/usage?days=1", Some(&alice)).await).await;
    assert_eq!(mine["days"], 1);
    assert_eq!(mine["totals"]["requests"], 1, "{mine}");
    assert_eq!(mine["totals"]["completion_tokens"], 7, "{mine}");
    let (_, admins_own) = read(server.get("/api/usage", Some(&admin)).await).await;
    assert_eq!(admins_own["totals"]["requests"], 0, "{admins_own}");

    let (status, everyone) = read(server.get("/api/admin/usage", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::OK, "{everyone}");
    let row = &everyone["by_day"][0];
    assert_eq!(row["username"], "alice");
    assert_eq!(row["user_id"], user_id(&server, &alice).await);
    assert_eq!(row["requests"], 1);
    let admin_id = user_id(&server, &admin).await;
    let (_, only_admin) = read(
        server
            .get(&format!("/api/admin/usage?user_id={admin_id}"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(only_admin["by_day"], json!([]));

    let (status, body) = read(server.get("/api/admin/usage", Some(&alice)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "admin_only");
    for days in ["0", "367", "x"] {
        let (status, body) = read(server.get(&format!("/api/usage?days={days}"), Some(&alice)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{days}: {body}");
    }
}

async fn a_request_rate_limit_answers_429_on_chat_and_api(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("admin").await;
    let alice = server.register("alice").await;
    let alice_id = user_id(&server, &alice).await;
    let key = key_secret(&server, &alice, "sdk").await;

    let (status, limits) = read(
        server
            .get(&format!("/api/admin/users/{alice_id}/limits"), Some(&admin))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(limits, json!({"daily_token_quota": null, "requests_per_minute": null}));
    let (status, stored) = set_limits(
        &server,
        &admin,
        &alice_id,
        &json!({"daily_token_quota": null, "requests_per_minute": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["requests_per_minute"], 2);

    assert_eq!(v1(&server, &key).await.status(), StatusCode::OK);
    assert_eq!(chat_send(&server, &alice).await.status(), StatusCode::ACCEPTED);
    let refused = v1(&server, &key).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let (_, body) = read(refused).await;
    assert_eq!(openai_code(&body), "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 requests per minute"),
        "{body}"
    );

    let refused = chat_send(&server, &alice).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let (_, body) = read(refused).await;
    assert_eq!(error_code(&body), "rate_limited");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("administrator"),
        "{body}"
    );

    // Others are not limited; only an admin sets limits, and only positive ones.
    let admin_key = create_key(&server, &admin, "a").await;
    let (status, _) = read(v1(&server, admin_key["key"].as_str().unwrap()).await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = set_limits(
        &server,
        &alice,
        &alice_id,
        &json!({"daily_token_quota": null, "requests_per_minute": null}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = set_limits(
        &server,
        &admin,
        &alice_id,
        &json!({"daily_token_quota": 0, "requests_per_minute": null}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = set_limits(
        &server,
        &admin,
        "no-such-user",
        &json!({"daily_token_quota": 5, "requests_per_minute": null}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = read(server.get("/api/admin/users/no-such-user/limits", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_daily_quota_answers_429_once_spent(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("admin").await;
    let alice = server.register("alice").await;
    let alice_id = user_id(&server, &alice).await;
    let key = key_secret(&server, &alice, "sdk").await;
    let (status, _) = set_limits(
        &server,
        &admin,
        &alice_id,
        &json!({"daily_token_quota": 3, "requests_per_minute": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    assert_eq!(v1(&server, &key).await.status(), StatusCode::OK);
    let refused = v1(&server, &key).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let (_, body) = read(refused).await;
    assert_eq!(openai_code(&body), "quota_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("daily quota of 3 tokens"),
        "{body}"
    );

    let (status, body) = read(chat_send(&server, &alice).await).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&body), "quota_exceeded");

    // Lifting the quota lets her go on at once.
    let (status, _) = set_limits(
        &server,
        &admin,
        &alice_id,
        &json!({"daily_token_quota": null, "requests_per_minute": null}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v1(&server, &key).await.status(), StatusCode::OK);
}
