//! Exports: a conversation as Markdown (the branch shown, readable) and as
//! JSON (the whole tree), a user's archive, an administrator's export of an
//! account, and that nobody exports what is not theirs.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read};
use crate::on_both_engines;
use crate::transfer_support::reply_of;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    markdown_shows_the_branch_in_view_with_models_times_and_a_note_on_other_branches,
    json_export_holds_the_whole_tree_with_reasoning_models_and_the_current_leaf,
    the_archive_holds_every_conversation_of_the_user_and_only_theirs,
    only_the_owner_exports_a_conversation_and_only_an_admin_exports_an_account,
);

/// A conversation whose first question was edited (two branches, the
/// second in view) and continued with a reasoning model's reply; its id and
/// the reasoning text.
async fn branched_conversation(server: &TestServer, token: &str) -> (String, String) {
    let conversation = server.new_conversation(token).await;
    let patch = json!({"title": "Lifetimes: a *short* talk"});
    let path = format!("/api/conversations/{conversation}");
    assert_eq!(
        server
            .send_json(Method::PATCH, &path, Some(token), &patch)
            .await
            .status(),
        StatusCode::OK
    );
    server
        .exchange(token, &conversation, "[[mock echo]] alpha-branch")
        .await;
    server
        .send_streaming(
            token,
            &conversation,
            &json!({"content": "[[mock echo]] beta-branch", "parent_id": null}),
        )
        .await
        .rest()
        .await;
    let thinking = server
        .exchange(
            token,
            &conversation,
            "why? [[mock reasoning=reasoning_content thoughts=4 tokens=3]]",
        )
        .await;
    let reasoning = reply_of(&thinking)["reasoning"].as_str().unwrap().to_owned();
    (conversation, reasoning)
}

async fn markdown_shows_the_branch_in_view_with_models_times_and_a_note_on_other_branches(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("writer").await;
    let (conversation, reasoning) = branched_conversation(&server, &token).await;

    let (status, content_type, disposition, body) = server
        .download(
            &token,
            &format!("/api/conversations/{conversation}/export?format=markdown"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("text/markdown"), "{content_type}");
    assert!(
        disposition.contains("filename=\"Lifetimes-a-short-talk.md\""),
        "{disposition}"
    );
    assert!(body.starts_with("# Lifetimes: a *short* talk\n"), "{body}");
    assert!(body.contains("### User · 20"), "{body}");
    assert!(body.contains("### Assistant (mock-model) · 20"), "{body}");
    assert!(body.contains(" UTC\n"), "{body}");
    // The edited question's branch is in view; the first one is only mentioned.
    assert!(body.contains("beta-branch"), "{body}");
    assert!(!body.contains("alpha-branch"), "{body}");
    assert!(
        body.contains("other branches (2 more messages not shown here)"),
        "{body}"
    );
    assert!(body.contains("<details>\n<summary>"), "{body}");
    assert!(body.contains(reasoning.trim()), "{body}");
}

async fn json_export_holds_the_whole_tree_with_reasoning_models_and_the_current_leaf(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("writer").await;
    let (conversation, reasoning) = branched_conversation(&server, &token).await;
    let stored = server.conversation(&token, &conversation).await;

    let (status, content_type, disposition, body) = server
        .download(&token, &format!("/api/conversations/{conversation}/export?format=json"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(content_type.starts_with("application/json"), "{content_type}");
    assert!(disposition.contains(".json\""), "{disposition}");
    let archive: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(archive["format"], "llm-chat-archive");
    assert_eq!(archive["version"], 1);
    assert_eq!(archive["user"]["username"], "writer");
    let exported = &archive["conversations"][0];
    assert_eq!(archive["conversations"].as_array().unwrap().len(), 1);
    assert_eq!(exported["id"], stored["conversation"]["id"]);
    assert_eq!(exported["current_leaf_id"], stored["current_leaf_id"]);
    assert_eq!(exported["created_at"], stored["conversation"]["created_at"]);
    let messages = exported["messages"].as_array().unwrap();
    // Both branches of the first exchange, then a question and its answer.
    assert_eq!(messages.len(), 6);
    for (mine, theirs) in messages.iter().zip(stored["messages"].as_array().unwrap()) {
        for field in [
            "id",
            "parent_id",
            "role",
            "content",
            "reasoning",
            "model",
            "status",
            "created_at",
        ] {
            assert_eq!(mine[field], theirs[field], "{field}");
        }
    }
    assert!(
        messages
            .iter()
            .any(|m| m["content"].as_str().unwrap().contains("alpha-branch"))
    );
    assert!(messages.iter().any(|m| m["reasoning"] == reasoning.as_str()));
    assert_eq!(messages[1]["model"], "mock-model");

    // Without a format the JSON is what comes; an unknown one is refused.
    let (status, _, _, default) = server
        .download(&token, &format!("/api/conversations/{conversation}/export"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(default.contains("\"llm-chat-archive\""));
    let (status, body) = read(
        server
            .get(
                &format!("/api/conversations/{conversation}/export?format=pdf"),
                Some(&token),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid_field");
}

async fn the_archive_holds_every_conversation_of_the_user_and_only_theirs(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let mut mine = Vec::new();
    for text in [
        "one [[mock tokens=2]]",
        "two [[mock tokens=2]]",
        "three [[mock tokens=2]]",
    ] {
        let conversation = server.new_conversation(&alice).await;
        server.exchange(&alice, &conversation, text).await;
        mine.push(conversation);
    }
    let archived = server.new_conversation(&alice).await;
    let path = format!("/api/conversations/{archived}");
    let patch = json!({"archived": true, "title": "put away"});
    assert_eq!(
        server
            .send_json(Method::PATCH, &path, Some(&alice), &patch)
            .await
            .status(),
        StatusCode::OK
    );
    mine.push(archived);
    let theirs = server.new_conversation(&bob).await;
    server.exchange(&bob, &theirs, "secret [[mock tokens=2]]").await;

    let archive = server.export_archive(&alice).await;
    assert_eq!(archive["format"], "llm-chat-archive");
    assert_eq!(archive["user"]["username"], "alice");
    assert!(archive["exported_at"].as_i64().unwrap() > 1_700_000_000_000);
    let ids: Vec<&str> = archive["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    // Oldest first, archived ones included, nobody else's.
    assert_eq!(ids, mine.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(archive["conversations"][0]["messages"].as_array().unwrap().len(), 2);
    assert_eq!(archive["conversations"][3]["archived"], true);

    // An account without conversations gets an empty, valid archive.
    let carol = server.register("carol").await;
    let empty = server.export_archive(&carol).await;
    assert_eq!(empty["conversations"], json!([]));
}

async fn only_the_owner_exports_a_conversation_and_only_an_admin_exports_an_account(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let admin = server.register("root").await;
    let alice = server.register("alice").await;
    let conversation = server.new_conversation(&alice).await;
    server.exchange(&alice, &conversation, "mine [[mock tokens=2]]").await;
    let (_, me) = read(server.get("/api/auth/me", Some(&alice)).await).await;
    let alice_id = me["id"].as_str().unwrap();

    for format in ["json", "markdown"] {
        let path = format!("/api/conversations/{conversation}/export?format={format}");
        let (status, body) = read(server.get(&path, Some(&admin)).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(error_code(&body), "not_found");
        let (status, _) = read(server.get(&path, None).await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = read(server.get("/api/conversations/nope/export", Some(&alice)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let user_export = format!("/api/admin/users/{alice_id}/export");
    let (status, body) = read(server.get(&user_export, Some(&alice)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(error_code(&body), "admin_only");
    let (status, _, disposition, body) = server.download(&admin, &user_export).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(disposition.contains("llm-chat-alice-"), "{disposition}");
    let archive: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(archive["user"]["username"], "alice");
    assert_eq!(archive["conversations"][0]["id"], conversation.as_str());
    let (status, body) = read(server.get("/api/admin/users/nobody/export", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
