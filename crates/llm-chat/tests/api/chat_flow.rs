//! Holding a conversation: streaming, resuming, stopping, branching.

use crate::chat_support::{MockLlm, mock_reply, server_with, text_of};
use crate::helpers::{Engine, error_code, read};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_engines!(
    a_full_exchange_streams_and_is_stored,
    two_subscribers_see_the_same_events_and_a_resume_gets_exactly_the_missing_ones,
    a_reply_completes_and_is_saved_after_the_client_disconnects,
    cancel_keeps_the_partial_text,
    regenerate_and_edit_create_branches_and_send_the_branch_as_context,
);

async fn a_full_exchange_streams_and_is_stored(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("alice").await;
    let conversation = server.new_conversation(&token).await;

    let mut events = server
        .send_streaming(&token, &conversation, &json!({"content": "Hello [[mock tokens=6]]"}))
        .await;
    let all = events.rest().await;
    let names: Vec<&str> = all
        .iter()
        .map(|e| e.event.as_str())
        .filter(|n| *n != "delta" && *n != "title")
        .collect();
    assert_eq!(names, ["message", "generation", "done"]);
    let ids: Vec<u64> = all.iter().map(|e| e.id).collect();
    assert_eq!(ids, (1..=all.len() as u64).collect::<Vec<_>>(), "ids are consecutive");
    assert_eq!(all[0].data["content"], "Hello [[mock tokens=6]]");
    assert_eq!(text_of(&all), mock_reply(6));
    let done = all.last().unwrap();
    assert_eq!(done.data["finish_reason"], "stop");
    assert_eq!(done.data["usage"]["completion_tokens"], 6);
    assert_eq!(done.data["reply"]["status"], "done");
    assert!(
        all.iter().any(|e| e.event == "title"),
        "a new conversation gets a title event"
    );

    let body = server.conversation(&token, &conversation).await;
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "user");
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["parent_id"], messages[0]["id"]);
    assert_eq!(messages[1]["content"], mock_reply(6));
    assert_eq!(messages[1]["model"], "mock-model");
    assert_eq!(
        messages[1]["usage"]["prompt_tokens"].as_i64().map(|n| n > 0),
        Some(true)
    );
    assert_eq!(body["current_leaf_id"], messages[1]["id"]);
    assert!(!body["conversation"]["title"].as_str().unwrap().is_empty());
}

async fn two_subscribers_see_the_same_events_and_a_resume_gets_exactly_the_missing_ones(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("bob").await;
    let conversation = server.new_conversation(&token).await;
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "count [[mock tokens=30 delay=20]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap();
    assert_eq!(started["assistant_message"]["status"], "streaming");
    assert_eq!(started["assistant_message"]["generation_id"], generation);

    let mut first = server.follow(&token, generation, None).await;
    let mut second = server.follow(&token, generation, None).await;
    let mut dropped = server.follow(&token, generation, None).await;
    let mut head = Vec::new();
    for _ in 0..7 {
        head.push(dropped.next().await.unwrap());
    }
    drop(dropped);
    let last_seen = head.last().unwrap().id;
    let mut resumed = server.follow(&token, generation, Some(last_seen)).await;
    let tail = resumed.rest().await;

    let a = first.rest().await;
    let b = second.rest().await;
    assert_eq!(a, b);
    assert_eq!(a.first().unwrap().event, "message");
    assert_eq!(a.last().unwrap().event, "done");
    assert_eq!(text_of(&a), mock_reply(30));
    let mut stitched = head;
    stitched.extend(tail);
    assert_eq!(
        stitched, a,
        "the resumed stream continues exactly where the dropped one stopped"
    );

    // Following a finished reply replays it.
    let replay = server.follow(&token, generation, None).await.rest().await;
    assert_eq!(replay, a);
}

async fn a_reply_completes_and_is_saved_after_the_client_disconnects(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("carol").await;
    let conversation = server.new_conversation(&token).await;
    let mut events = server
        .send_streaming(
            &token,
            &conversation,
            &json!({"content": "long [[mock tokens=40 delay=15]]"}),
        )
        .await;
    let mut reply_id = None;
    while let Some(event) = events.next().await {
        if event.event == "generation" {
            reply_id = Some(event.data["message_id"].as_str().unwrap().to_owned());
        }
        if event.event == "delta" {
            break;
        }
    }
    drop(events);
    let reply = server.settled_message(&token, &conversation, &reply_id.unwrap()).await;
    assert_eq!(reply["status"], "done");
    assert_eq!(reply["content"], mock_reply(40));
}

async fn cancel_keeps_the_partial_text(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("dave").await;
    let conversation = server.new_conversation(&token).await;
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "slow [[mock tokens=500 delay=20]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap();
    let mut events = server.follow(&token, generation, None).await;
    events.skip_deltas(5).await;
    let (status, _) = read(
        server
            .post(
                &format!("/api/generations/{generation}/cancel"),
                Some(&token),
                &json!({}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let rest = events.rest().await;
    let done = rest.last().unwrap();
    assert_eq!(done.event, "done");
    assert_eq!(done.data["finish_reason"], "cancelled");
    let id = started["assistant_message"]["id"].as_str().unwrap();
    let reply = server.settled_message(&token, &conversation, id).await;
    assert_eq!(reply["status"], "cancelled");
    let content = reply["content"].as_str().unwrap();
    assert!(content.starts_with("w0 w1 w2 w3 w4 "), "{content}");
    assert!(content.len() < mock_reply(500).len());
    assert_eq!(done.data["reply"]["content"], content);
}

async fn regenerate_and_edit_create_branches_and_send_the_branch_as_context(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("erin").await;
    let conversation = server.new_conversation(&token).await;
    let pairs = |ctx: Vec<(String, String)>| ctx.into_iter().map(|(r, c)| format!("{r}:{c}")).collect::<Vec<_>>();

    server
        .send_streaming(&token, &conversation, &json!({"content": "q1 [[mock tokens=2]]"}))
        .await
        .rest()
        .await;
    let second = server
        .send_streaming(&token, &conversation, &json!({"content": "q2 [[mock tokens=3]]"}))
        .await
        .rest()
        .await;
    let u2 = second[0].data["id"].as_str().unwrap().to_owned();
    let a2 = second[1].data["message_id"].as_str().unwrap().to_owned();
    assert_eq!(
        pairs(mock.last_context().await),
        [
            "user:q1 [[mock tokens=2]]",
            "assistant:w0 w1 ",
            "user:q2 [[mock tokens=3]]"
        ]
    );

    // Regenerate: a sibling reply under the same question, same context.
    let response = server
        .client
        .post(server.url(&format!("/api/messages/{a2}/regenerate")))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    let regenerated = crate::chat_support::Events::of(response).rest().await;
    assert_eq!(
        regenerated[0].event, "generation",
        "no user message event when regenerating"
    );
    let a2b = regenerated[0].data["message_id"].as_str().unwrap().to_owned();
    assert_eq!(
        pairs(mock.last_context().await),
        [
            "user:q1 [[mock tokens=2]]",
            "assistant:w0 w1 ",
            "user:q2 [[mock tokens=3]]"
        ]
    );

    // Edit q2: a sibling user message under q1's reply.
    let tree = server.conversation(&token, &conversation).await;
    let a1 = tree["messages"][1]["id"].as_str().unwrap().to_owned();
    let edited = server
        .send_streaming(
            &token,
            &conversation,
            &json!({"content": "q2 edited [[mock tokens=1]]", "parent_id": a1}),
        )
        .await
        .rest()
        .await;
    let u2b = edited[0].data["id"].as_str().unwrap().to_owned();
    assert_eq!(
        pairs(mock.last_context().await),
        [
            "user:q1 [[mock tokens=2]]",
            "assistant:w0 w1 ",
            "user:q2 edited [[mock tokens=1]]"
        ]
    );

    let tree = server.conversation(&token, &conversation).await;
    let messages = tree["messages"].as_array().unwrap();
    let parent_of = |id: &str| messages.iter().find(|m| m["id"] == id).unwrap()["parent_id"].clone();
    assert_eq!(parent_of(&u2), parent_of(&u2b), "the edit is a sibling of the original");
    assert_eq!(parent_of(&a2), parent_of(&a2b), "the regenerated reply is a sibling");
    assert_eq!(messages.len(), 7);

    // The old branch stays navigable: select it and continue from it.
    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                &format!("/api/conversations/{conversation}"),
                Some(&token),
                &json!({"current_leaf_id": a2}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["current_leaf_id"], a2);
    server
        .send_streaming(&token, &conversation, &json!({"content": "q3 [[mock tokens=1]]"}))
        .await
        .rest()
        .await;
    assert_eq!(
        pairs(mock.last_context().await),
        [
            "user:q1 [[mock tokens=2]]",
            "assistant:w0 w1 ",
            "user:q2 [[mock tokens=3]]",
            "assistant:w0 w1 w2 ",
            "user:q3 [[mock tokens=1]]"
        ]
    );

    // Editing the first message: `parent_id: null` starts a sibling at the root.
    let first = server
        .send_streaming(
            &token,
            &conversation,
            &json!({"content": "q1 again [[mock tokens=1]]", "parent_id": null}),
        )
        .await
        .rest()
        .await;
    assert_eq!(first[0].data["parent_id"], serde_json::Value::Null);
    assert_eq!(pairs(mock.last_context().await), ["user:q1 again [[mock tokens=1]]"]);

    // A user message cannot be regenerated.
    let (status, body) = read(
        server
            .post(&format!("/api/messages/{u2}/regenerate"), Some(&token), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid_field");
}
