//! What a share link shows: a snapshot of the conversation's branch that
//! later changes leave alone, never half a reply, hostile text as plain data;
//! and links that die with their conversation or account.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, read};
use crate::on_both_engines;
use crate::share_links::{assert_gone, create_link, list, open_link, pair, say, setup, share, shown};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_engines!(
    the_snapshot_does_not_change_when_the_conversation_does,
    deleting_the_conversation_or_the_account_kills_its_links,
    a_reply_being_written_cannot_be_shared_yet,
    hostile_text_is_served_as_json_data,
);

async fn the_snapshot_does_not_change_when_the_conversation_does(engine: Engine) {
    let (_mock, server, _admin, alice, conversation) = setup(engine).await;
    let link = create_link(&server, &alice, &conversation).await;
    let (_, before) = open_link(&server, &link).await;

    // Rename, continue, and edit the first message into a new branch.
    let path = format!("/api/conversations/{conversation}");
    let response = server
        .send_json(Method::PATCH, &path, Some(&alice), &json!({"title": "Renamed"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    say(&server, &alice, &conversation, "third question").await;
    let edit = json!({"content": "[[mock echo]] edited", "parent_id": null});
    server.send_streaming(&alice, &conversation, &edit).await.rest().await;

    let (status, after) = open_link(&server, &link).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(after, before);
    assert_ne!(after["title"], "Renamed");
    assert_eq!(list(&server, &alice).await[0]["conversation_title"], "Renamed");

    // A new link shows the conversation as it is now: the edited branch.
    let fresh = create_link(&server, &alice, &conversation).await;
    let (_, now) = open_link(&server, &fresh).await;
    assert_eq!(
        shown(&now),
        [pair("user", "[[mock echo]] edited"), pair("assistant", "edited")]
    );
}

async fn deleting_the_conversation_or_the_account_kills_its_links(engine: Engine) {
    let (_mock, server, admin, alice, conversation) = setup(engine).await;
    let link = create_link(&server, &alice, &conversation).await;
    let path = format!("/api/conversations/{conversation}");
    let response = server
        .send_json(Method::DELETE, &path, Some(&alice), &json!(null))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_gone(&server, &link).await;
    assert!(list(&server, &alice).await.is_empty());

    let bob = server.register("bob").await;
    let bobs = server.new_conversation(&bob).await;
    say(&server, &bob, &bobs, "hello").await;
    let link = create_link(&server, &bob, &bobs).await;
    let (_, me) = read(server.get("/api/auth/me", Some(&bob)).await).await;
    let id = me["id"].as_str().unwrap();

    // A disabled account's links stop opening too.
    let user_path = format!("/api/admin/users/{id}");
    let disable = json!({"disabled": true});
    let response = server
        .send_json(Method::PATCH, &user_path, Some(&admin), &disable)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_gone(&server, &link).await;
    let enable = json!({"disabled": false});
    let response = server.send_json(Method::PATCH, &user_path, Some(&admin), &enable).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(open_link(&server, &link).await.0, StatusCode::OK);

    let delete = format!("{user_path}?confirm=bob");
    let response = server
        .send_json(Method::DELETE, &delete, Some(&admin), &json!(null))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_gone(&server, &link).await;
}

async fn a_reply_being_written_cannot_be_shared_yet(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    let conversation = server.new_conversation(&alice).await;
    let (status, body) = share(&server, &alice, &conversation, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to share yet: {body}");

    let slow = json!({"content": "[[mock tokens=40 delay=100]] slowly"});
    let started = server.send_async(&alice, &conversation, &slow).await;
    let (status, body) = share(&server, &alice, &conversation, &json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("wait"), "{body}");

    let reply = started["assistant_message"]["id"].as_str().unwrap();
    server.settled_message(&alice, &conversation, reply).await;
    let link = create_link(&server, &alice, &conversation).await;
    let (_, page) = open_link(&server, &link).await;
    assert_eq!(page["messages"].as_array().unwrap().len(), 2);
}

async fn hostile_text_is_served_as_json_data(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    let conversation = server.new_conversation(&alice).await;
    let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    say(&server, &alice, &conversation, hostile).await;
    let link = create_link(&server, &alice, &conversation).await;

    let token = link["token"].as_str().unwrap();
    let response = server.get(&format!("/api/shared/{token}"), None).await;
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/json");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let (_, page) = read(response).await;
    assert_eq!(
        page["messages"][1]["content"], hostile,
        "kept as written, for the client to sanitise"
    );
}
