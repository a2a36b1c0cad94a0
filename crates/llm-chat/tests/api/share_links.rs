//! Share links: anyone holding the link reads it without signing in; its
//! owner lists and revokes it, it expires, an administrator can turn sharing
//! off, and no one else can touch it. What a link shows: share_content.rs.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    a_link_shows_the_snapshot_to_anyone_without_signing_in,
    the_owner_lists_and_revokes_links_and_revoked_links_are_gone,
    another_user_can_neither_see_nor_revoke_a_link,
    an_expired_link_answers_not_found,
    turning_sharing_off_refuses_new_links_and_closes_old_ones_until_it_is_back_on,
    bad_expiries_are_refused_with_the_field_to_fix,
);

/// Sends `text` and waits for the mock's reply, which echoes it.
pub(crate) async fn say(server: &TestServer, token: &str, conversation: &str, text: &str) {
    server
        .send_streaming(
            token,
            conversation,
            &json!({"content": format!("[[mock echo]] {text}")}),
        )
        .await
        .rest()
        .await;
}

pub(crate) async fn share(server: &TestServer, token: &str, conversation: &str, body: &Value) -> (StatusCode, Value) {
    let path = format!("/api/conversations/{conversation}/shares");
    read(server.post(&path, Some(token), body).await).await
}

pub(crate) async fn create_link(server: &TestServer, token: &str, conversation: &str) -> Value {
    let (status, body) = share(server, token, conversation, &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// The public page's data, read with no credentials at all.
pub(crate) async fn open_link(server: &TestServer, link: &Value) -> (StatusCode, Value) {
    let token = link["token"].as_str().unwrap();
    read(server.get(&format!("/api/shared/{token}"), None).await).await
}

pub(crate) async fn assert_gone(server: &TestServer, link: &Value) {
    let (status, body) = open_link(server, link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(error_code(&body), "not_found");
    assert_eq!(
        body["error"]["message"],
        "this link does not exist, or it was revoked or has expired"
    );
}

pub(crate) async fn list(server: &TestServer, token: &str) -> Vec<Value> {
    let (status, body) = read(server.get("/api/shares", Some(token)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn revoke(server: &TestServer, token: &str, id: &str) -> StatusCode {
    let path = format!("/api/shares/{id}");
    server
        .send_json(Method::DELETE, &path, Some(token), &json!(null))
        .await
        .status()
}

async fn set_sharing(server: &TestServer, admin: &str, enabled: bool) {
    let body = json!({"sharing_enabled": enabled});
    let (status, settings) = read(
        server
            .send_json(Method::PATCH, "/api/admin/settings", Some(admin), &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["sharing_enabled"], enabled);
}

/// The (role, content) pairs a link shows.
pub(crate) fn shown(page: &Value) -> Vec<(String, String)> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_owned(),
                m["content"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub(crate) fn keys_of(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

pub(crate) fn pair(role: &str, content: &str) -> (String, String) {
    (role.to_owned(), content.to_owned())
}

/// A server with the fake model, its admin, and a user with a two-turn conversation.
pub(crate) async fn setup(engine: Engine) -> (MockLlm, TestServer, String, String, String) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("root").await;
    let alice = server.register("alice").await;
    let conversation = server.new_conversation(&alice).await;
    say(&server, &alice, &conversation, "first question").await;
    say(&server, &alice, &conversation, "second question").await;
    (mock, server, admin, alice, conversation)
}

async fn a_link_shows_the_snapshot_to_anyone_without_signing_in(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    let rename = json!({"title": "Trip plans"});
    let path = format!("/api/conversations/{conversation}");
    let response = server.send_json(Method::PATCH, &path, Some(&alice), &rename).await;
    assert_eq!(response.status(), StatusCode::OK);

    let link = create_link(&server, &alice, &conversation).await;
    let token = link["token"].as_str().unwrap();
    assert!(token.len() >= 22, "at least 128 random bits: {token}");
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "base64url: {token}"
    );
    assert_eq!(link["url"], format!("/s/{token}"));
    assert_eq!(link["title"], "Trip plans");
    assert_eq!(link["state"], "active");
    assert_eq!(link["expires_at"], Value::Null);

    let response = server.get(&format!("/api/shared/{token}"), None).await;
    let headers = response.headers().clone();
    let (status, page) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(headers["x-robots-tag"], "noindex");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(page["title"], "Trip plans");
    let user_text = "[[mock echo]] first question";
    let second = "[[mock echo]] second question";
    assert_eq!(
        shown(&page),
        [
            pair("user", user_text),
            pair("assistant", "first question"),
            pair("user", second),
            pair("assistant", "second question"),
        ]
    );
    let reply = &page["messages"][1];
    assert_eq!(reply["model"], "mock-model");
    assert!(reply["created_at"].as_i64().unwrap() > 0);
    // Only what a reader sees: no ids, owner, usage or settings.
    assert_eq!(keys_of(&page), ["created_at", "messages", "title"]);
    assert_eq!(keys_of(reply), ["content", "created_at", "model", "role"]);
    assert!(!page.to_string().contains("alice"), "{page}");
    assert!(!page.to_string().contains(&conversation), "{page}");
    let log = server.output.text();
    assert!(log.contains("/api/shared/…"), "the request is logged, masked:\n{log}");
    assert!(!log.contains(token), "the token stays out of the log");

    // The page itself is the app, served to a browser that is not signed in.
    let response = server
        .client
        .get(server.url(link["url"].as_str().unwrap()))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-robots-tag"], "noindex");
    assert!(response.text().await.unwrap().contains("<div id=\"app\""));
}

async fn the_owner_lists_and_revokes_links_and_revoked_links_are_gone(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    let other = server.new_conversation(&alice).await;
    say(&server, &alice, &other, "elsewhere").await;
    let first = create_link(&server, &alice, &conversation).await;
    let second = create_link(&server, &alice, &other).await;
    assert_ne!(first["token"], second["token"]);

    let items = list(&server, &alice).await;
    let ids: Vec<&Value> = items.iter().map(|s| &s["id"]).collect();
    assert_eq!(ids, [&second["id"], &first["id"]], "newest first");
    assert_eq!(items[1]["conversation_id"], conversation.as_str());
    let path = format!("/api/shares?conversation_id={conversation}");
    let (_, only) = read(server.get(&path, Some(&alice)).await).await;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    assert_eq!(only["items"][0]["id"], first["id"]);

    assert_eq!(
        revoke(&server, &alice, first["id"].as_str().unwrap()).await,
        StatusCode::NO_CONTENT
    );
    assert_gone(&server, &first).await;
    assert_eq!(
        open_link(&server, &second).await.0,
        StatusCode::OK,
        "the other link still opens"
    );
    let items = list(&server, &alice).await;
    assert_eq!(items[1]["state"], "revoked");
    assert!(items[1]["revoked_at"].is_i64());
    assert_eq!(items[0]["state"], "active");
    assert_eq!(
        revoke(&server, &alice, first["id"].as_str().unwrap()).await,
        StatusCode::NOT_FOUND,
        "already revoked"
    );
}

async fn another_user_can_neither_see_nor_revoke_a_link(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    let link = create_link(&server, &alice, &conversation).await;
    let mallory = server.register("mallory").await;

    assert!(list(&server, &mallory).await.is_empty());
    let path = format!("/api/shares?conversation_id={conversation}");
    let (_, theirs) = read(server.get(&path, Some(&mallory)).await).await;
    assert_eq!(theirs["items"], json!([]));
    assert_eq!(
        revoke(&server, &mallory, link["id"].as_str().unwrap()).await,
        StatusCode::NOT_FOUND
    );
    let (status, body) = share(&server, &mallory, &conversation, &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(open_link(&server, &link).await.0, StatusCode::OK, "still alive");

    // The owner's endpoints need a sign-in; the public one does not.
    assert_eq!(server.get("/api/shares", None).await.status(), StatusCode::UNAUTHORIZED);
    let status = server
        .post(&format!("/api/conversations/{conversation}/shares"), None, &json!({}))
        .await
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let guessed = json!({"token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    assert_gone(&server, &guessed).await;
}

/// Moves a link's expiry into the past, as the passing of days would.
async fn expire_in_database(server: &TestServer, engine: Engine, id: &str) {
    const SQL: &str = "UPDATE shares SET expires_at = created_at - 1 WHERE id = $1";
    let done = match engine {
        Engine::Sqlite => {
            let pool = sqlx::SqlitePool::connect(server.db.url()).await.unwrap();
            let done = sqlx::query(SQL).bind(id).execute(&pool).await.unwrap();
            pool.close().await;
            done.rows_affected()
        }
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(server.db.url()).await.unwrap();
            let done = sqlx::query(SQL).bind(id).execute(&pool).await.unwrap();
            pool.close().await;
            done.rows_affected()
        }
    };
    assert_eq!(done, 1);
}

async fn an_expired_link_answers_not_found(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    let (status, link) = share(&server, &alice, &conversation, &json!({"expires_in_days": 7})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let week = 7 * 24 * 3600 * 1000;
    assert_eq!(
        link["expires_at"].as_i64().unwrap() - link["created_at"].as_i64().unwrap(),
        week
    );
    assert_eq!(open_link(&server, &link).await.0, StatusCode::OK);

    expire_in_database(&server, engine, link["id"].as_str().unwrap()).await;
    assert_gone(&server, &link).await;
    let items = list(&server, &alice).await;
    assert_eq!(items[0]["state"], "expired");
}

async fn turning_sharing_off_refuses_new_links_and_closes_old_ones_until_it_is_back_on(engine: Engine) {
    let (_mock, server, admin, alice, conversation) = setup(engine).await;
    let link = create_link(&server, &alice, &conversation).await;
    let (_, config) = read(server.get("/api/config", None).await).await;
    assert_eq!(config["sharing_enabled"], true, "on by default");

    set_sharing(&server, &admin, false).await;
    let (_, config) = read(server.get("/api/config", None).await).await;
    assert_eq!(config["sharing_enabled"], false);
    let (status, body) = share(&server, &alice, &conversation, &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "sharing_disabled");
    assert_gone(&server, &link).await;
    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                "/api/admin/settings",
                Some(&alice),
                &json!({"sharing_enabled": true}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only an admin: {body}");

    set_sharing(&server, &admin, true).await;
    assert_eq!(open_link(&server, &link).await.0, StatusCode::OK);
    create_link(&server, &alice, &conversation).await;
}

async fn bad_expiries_are_refused_with_the_field_to_fix(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    for bad in [json!({"expires_in_days": 0}), json!({"expires_in_days": 366})] {
        let (status, body) = share(&server, &alice, &conversation, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(error_code(&body), "invalid_field");
        assert_eq!(body["error"]["field"], "expires_in_days");
    }
    for bad in [json!({"expires_in_days": "soon"}), json!({"expire_days": 3})] {
        let (status, body) = share(&server, &alice, &conversation, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, link) = share(&server, &alice, &conversation, &json!({"expires_in_days": null})).await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["expires_at"], Value::Null);
    assert!(list(&server, &alice).await.len() == 1);
}
