//! Replies survive the server stopping: a crash leaves them interrupted with
//! the text saved until then; a clean stop (SIGTERM) saves them too.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::Engine;
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::Store;
use serde_json::json;
use std::time::Duration;

on_both_engines!(
    a_crash_mid_reply_leaves_it_interrupted_with_its_saved_text,
    sigterm_mid_reply_saves_it_and_exits_cleanly
);

async fn a_crash_mid_reply_leaves_it_interrupted_with_its_saved_text(engine: Engine) {
    let mock = MockLlm::start().await;
    let mut server = server_with(engine, &mock, &[("GENERATION_STALE_SECS", "2")]).await;
    let token = server.register("crashy").await;
    let conversation = server.new_conversation(&token).await;
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "long [[mock tokens=2000 delay=10]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap();
    let id = started["assistant_message"]["id"].as_str().unwrap();
    server.follow(&token, generation, None).await.skip_deltas(100).await;
    // Let the persister save at least once (it runs every half second).
    tokio::time::sleep(Duration::from_millis(700)).await;

    server.crash_and_restart().await;
    let reply = server.settled_message(&token, &conversation, id).await;
    assert_eq!(reply["status"], "interrupted");
    assert_eq!(reply["error"]["code"], "interrupted");
    let content = reply["content"].as_str().unwrap();
    assert!(content.starts_with("w0 w1 w2 "), "the saved text is kept: {content:?}");
    assert!(
        content.split_whitespace().count() >= 50,
        "saved within a second of the crash: {content:?}"
    );

    // SQLite checks every page and index; PostgreSQL keeps itself consistent.
    if engine == Engine::Sqlite {
        let store = Store::connect(&parse_database_url(server.db.url()).unwrap())
            .await
            .unwrap();
        store.integrity_check().await.unwrap();
        store.close().await;
    }

    // Following the interrupted reply ends at once with its error.
    let events = server.follow(&token, generation, None).await.rest().await;
    assert_eq!(events.last().unwrap().event, "error");
    assert_eq!(events.last().unwrap().data["code"], "interrupted");
}

async fn sigterm_mid_reply_saves_it_and_exits_cleanly(engine: Engine) {
    let mock = MockLlm::start().await;
    let mut server = server_with(engine, &mock, &[]).await;
    let token = server.register("stopper").await;
    let conversation = server.new_conversation(&token).await;
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "very long [[mock tokens=5000 delay=10]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap().to_owned();
    let id = started["assistant_message"]["id"].as_str().unwrap().to_owned();
    server.follow(&token, &generation, None).await.skip_deltas(20).await;
    let mut follower = server.follow(&token, &generation, None).await;

    let status = server.terminate().await;
    assert!(status.success(), "{status}: {}", server.output.text());
    let events = follower.rest().await;
    let last = events.last().unwrap();
    assert_eq!(last.event, "error", "open streams end with the reply's end state");
    assert_eq!(last.data["code"], "interrupted");

    server.restart_stopped().await;
    let reply = server.settled_message(&token, &conversation, &id).await;
    assert_eq!(reply["status"], "interrupted");
    assert!(reply["content"].as_str().unwrap().starts_with("w0 w1 "));

    // With nobody following, the reply is saved all the same.
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "unwatched [[mock tokens=5000 delay=10]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap().to_owned();
    let id = started["assistant_message"]["id"].as_str().unwrap().to_owned();
    server.follow(&token, &generation, None).await.skip_deltas(20).await;
    let status = server.terminate().await;
    assert!(status.success(), "{status}");
    server.restart_stopped().await;
    let reply = server.settled_message(&token, &conversation, &id).await;
    assert_eq!(reply["status"], "interrupted");
    assert!(reply["content"].as_str().unwrap().split_whitespace().count() >= 20);
}
