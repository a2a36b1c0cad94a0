//! Our own archive goes out and comes back the same: into another account of
//! the same server (new ids, everything else equal) and into a fresh server
//! (the very same document), and re-importing it adds nothing.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer};
use crate::on_both_engines;
use crate::transfer_support::{reply_of, skipped_reasons};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_engines!(
    an_archive_round_trips_exactly_into_another_account_and_another_server,
    a_long_conversation_listed_children_first_comes_back_whole_and_in_order,
);

/// The conversations with every id replaced by the message's position, so
/// that archives whose ids were remapped compare equal when nothing else differs.
fn without_ids(archive: &Value) -> Value {
    let conversations = archive["conversations"].as_array().unwrap();
    Value::Array(
        conversations
            .iter()
            .map(|c| {
                let mut c = c.clone();
                let positions: HashMap<String, usize> = c["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m["id"].as_str().unwrap().to_owned(), i))
                    .collect();
                let at = |id: &Value| id.as_str().map_or(Value::Null, |id| json!(positions[id]));
                c["id"] = Value::Null;
                c["current_leaf_id"] = at(&c["current_leaf_id"]);
                for m in c["messages"].as_array_mut().unwrap() {
                    m["id"] = at(&m["id"]);
                    m["parent_id"] = at(&m["parent_id"]);
                }
                c
            })
            .collect(),
    )
}

async fn patch(server: &TestServer, token: &str, conversation: &str, body: Value) {
    let path = format!("/api/conversations/{conversation}");
    let response = server.send_json(Method::PATCH, &path, Some(token), &body).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Conversations with branches, reasoning, a failed reply, settings and flags.
async fn history(server: &TestServer, token: &str) {
    let branched = server.new_conversation(token).await;
    let first = server.exchange(token, &branched, "hello [[mock tokens=3]]").await;
    server
        .regenerate_streaming(token, reply_of(&first)["id"].as_str().unwrap())
        .await;
    server
        .exchange(
            token,
            &branched,
            "why? [[mock reasoning=reasoning_content thoughts=4 tokens=3]]",
        )
        .await;
    patch(
        server,
        token,
        &branched,
        json!({"title": "分支 and branches", "pinned": true}),
    )
    .await;

    let failed = server.new_conversation(token).await;
    server.exchange(token, &failed, "break [[mock fault=500]]").await;
    patch(
        server,
        token,
        &failed,
        json!({"archived": true, "system_prompt": "Answer in French.", "params": {"temperature": 0.3, "max_tokens": 99}}),
    )
    .await;

    // Never used: no messages at all.
    let empty = server.new_conversation(token).await;
    patch(server, token, &empty, json!({"title": "empty"})).await;
}

async fn an_archive_round_trips_exactly_into_another_account_and_another_server(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    history(&server, &alice).await;
    let original = server.export_archive(&alice).await;
    let conversations = original["conversations"].as_array().unwrap();
    assert_eq!(conversations.len(), 3);
    assert!(
        conversations[1]["messages"][1]["error"]["code"].is_string(),
        "{original}"
    );

    // Another account on the same server: the ids are taken, so new ones are given.
    let bob = server.register("bob").await;
    let report = server.import_ok(&bob, original.to_string()).await;
    assert_eq!(report["format"], "llm-chat");
    assert_eq!(report["imported"].as_array().unwrap().len(), 3, "{report}");
    assert!(
        report["imported"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["ids_kept"] == false)
    );
    let copy = server.export_archive(&bob).await;
    assert_eq!(without_ids(&copy), without_ids(&original));
    let alice_ids: Vec<&Value> = conversations.iter().map(|c| &c["id"]).collect();
    let bob_ids: Vec<&Value> = copy["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert!(alice_ids.iter().all(|id| !bob_ids.contains(id)));
    // Bob's sidebar shows them in Alice's order, pinned first.
    let bob_titles: Vec<String> = server.sidebar(&bob).await.into_iter().map(|(_, t, _)| t).collect();
    let alice_titles: Vec<String> = server.sidebar(&alice).await.into_iter().map(|(_, t, _)| t).collect();
    assert_eq!(bob_titles, alice_titles);

    // Again, or into the account it came from: nothing new.
    for token in [&bob, &alice] {
        let before = server.sidebar(token).await;
        let again = server.import_ok(token, original.to_string()).await;
        assert_eq!(skipped_reasons(&again), ["already imported"; 3], "{again}");
        assert_eq!(server.sidebar(token).await, before);
    }

    // A fresh server keeps the ids: the same document comes back.
    let fresh = TestServer::start(engine).await;
    let carol = fresh.register("alice").await;
    let report = fresh.import_ok(&carol, original.to_string()).await;
    assert!(
        report["imported"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["ids_kept"] == true)
    );
    let moved = fresh.export_archive(&carol).await;
    assert_eq!(moved["conversations"], original["conversations"]);
}

async fn a_long_conversation_listed_children_first_comes_back_whole_and_in_order(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("keeper").await;
    // 300 messages in a chain, plus a second answer to the first question;
    // the file lists the newest first, so parents come after their children.
    let id = |n: usize| format!("0190a000-0000-7000-8000-{n:012}");
    let mut messages: Vec<Value> = (0..300)
        .map(|n| {
            json!({
                "id": id(n), "parent_id": if n == 0 { Value::Null } else { json!(id(n - 1)) },
                "role": if n % 2 == 0 { "user" } else { "assistant" },
                "content": format!("turn {n}"), "model": if n % 2 == 0 { Value::Null } else { json!("m") },
                "status": "done", "created_at": 1_700_000_000_000_i64 + n as i64, "updated_at": 1_700_000_000_000_i64 + n as i64
            })
        })
        .collect();
    messages.push(
        json!({"id": id(999), "parent_id": id(0), "role": "assistant", "content": "other answer",
        "created_at": 1_700_000_000_500_i64, "updated_at": 1_700_000_000_500_i64}),
    );
    messages.reverse();
    let archive = json!({"format": "llm-chat-archive", "version": 1, "conversations": [{
        "id": "0190a000-0000-7000-8000-aaaaaaaaaaaa", "title": "long", "current_leaf_id": id(299),
        "created_at": 1_700_000_000_000_i64, "updated_at": 1_700_000_000_600_i64, "messages": messages
    }]});
    let report = server.import_ok(&token, archive.to_string()).await;
    assert_eq!(report["imported"][0]["messages"], 301, "{report}");
    assert_eq!(report["imported"][0]["ids_kept"], true);

    let back = server.export_archive(&token).await;
    let got = back["conversations"][0]["messages"].as_array().unwrap();
    assert_eq!(got.len(), 301);
    // Oldest first, every parent before its children, every field as sent.
    let mut sent = archive["conversations"][0]["messages"].as_array().unwrap().clone();
    sent.sort_by_key(|m| m["created_at"].as_i64().unwrap());
    for (got, sent) in got.iter().zip(&sent) {
        for field in ["id", "parent_id", "role", "content", "created_at", "updated_at"] {
            assert_eq!(got[field], sent[field], "{field}");
        }
    }
    assert_eq!(back["conversations"][0]["current_leaf_id"], id(299).as_str());
}
