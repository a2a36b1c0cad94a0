//! Reasoning models: the thinking streams as its own events, is stored apart
//! from the answer, survives a resume, and never goes back upstream.

use crate::chat_support::{Ev, MockLlm, mock_reply, server_with, text_of};
use crate::chat_ws::{connect, frames};
use crate::helpers::{Engine, TestServer};
use crate::on_both_engines;
use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

on_both_engines!(
    thinking_in_either_delta_field_streams_and_is_stored_apart_from_the_answer,
    think_tags_are_split_off_even_one_character_or_one_byte_at_a_time,
    an_unclosed_think_tag_keeps_everything_as_thinking,
    thinking_is_never_sent_back_upstream,
    a_resume_in_the_middle_of_the_thinking_gets_exactly_the_rest,
    the_websocket_carries_the_thinking_as_reasoning_frames,
    a_provider_set_to_off_shows_the_reply_as_it_comes,
);

/// `想0 想1 … `, the mock's thinking of `n` tokens.
fn mock_thoughts(n: usize) -> String {
    (0..n).map(|i| format!("想{i} ")).collect()
}

/// The concatenated `reasoning` texts.
fn thinking_of(events: &[Ev]) -> String {
    events
        .iter()
        .filter(|e| e.event == "reasoning")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect()
}

/// Sends `content` in a new conversation and reads the whole stream.
async fn exchange(server: &TestServer, token: &str, content: &str) -> (String, Vec<Ev>) {
    let conversation = server.new_conversation(token).await;
    let events = server
        .send_streaming(token, &conversation, &json!({ "content": content }))
        .await
        .rest()
        .await;
    (conversation, events)
}

async fn stored_reply(server: &TestServer, token: &str, conversation: &str) -> Value {
    let body = server.conversation(token, conversation).await;
    body["messages"].as_array().unwrap().last().unwrap().clone()
}

async fn thinking_in_either_delta_field_streams_and_is_stored_apart_from_the_answer(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("ruth").await;
    for field in ["reasoning_content", "reasoning"] {
        let (conversation, events) = exchange(
            &server,
            &token,
            &format!("why? [[mock reasoning={field} thoughts=4 tokens=3]]"),
        )
        .await;
        assert_eq!(thinking_of(&events), mock_thoughts(4), "{field}");
        assert_eq!(text_of(&events), mock_reply(3), "{field}");
        let first_delta = events.iter().position(|e| e.event == "delta").unwrap();
        let last_thought = events.iter().rposition(|e| e.event == "reasoning").unwrap();
        assert!(
            last_thought < first_delta,
            "{field}: the thinking comes before the answer"
        );

        let done = events.last().unwrap();
        assert_eq!(done.event, "done");
        assert_eq!(done.data["usage"]["reasoning_tokens"], 4, "{field}");
        assert_eq!(done.data["usage"]["completion_tokens"], 7, "{field}");
        assert_eq!(done.data["reply"]["reasoning"], mock_thoughts(4));

        let reply = stored_reply(&server, &token, &conversation).await;
        assert_eq!(reply["content"], mock_reply(3), "{field}");
        assert_eq!(reply["reasoning"], mock_thoughts(4), "{field}");
        assert_eq!(reply["usage"]["reasoning_tokens"], 4, "{field}");
        assert!(reply["reasoning_ms"].as_i64().is_some(), "{field}: {reply}");
    }

    let (conversation, events) = exchange(&server, &token, "plain [[mock tokens=2]]").await;
    assert!(events.iter().all(|e| e.event != "reasoning"));
    let reply = stored_reply(&server, &token, &conversation).await;
    assert_eq!(reply["reasoning"], Value::Null);
    assert_eq!(reply["reasoning_ms"], Value::Null);
    assert_eq!(reply["usage"]["reasoning_tokens"], Value::Null);
}

async fn think_tags_are_split_off_even_one_character_or_one_byte_at_a_time(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("tess").await;
    for directives in ["reasoning=tags", "reasoning=tags bytewise"] {
        let (conversation, events) = exchange(
            &server,
            &token,
            &format!("hm [[mock {directives} thoughts=3 tokens=4]]"),
        )
        .await;
        assert_eq!(thinking_of(&events), mock_thoughts(3), "{directives}");
        assert_eq!(text_of(&events), mock_reply(4), "{directives}");
        assert!(
            events.iter().all(|e| !e.data.to_string().contains("think>")),
            "{directives}: no tag reaches the client"
        );
        let reply = stored_reply(&server, &token, &conversation).await;
        assert_eq!(reply["status"], "done");
        assert_eq!(reply["content"], mock_reply(4), "{directives}");
        assert_eq!(reply["reasoning"], mock_thoughts(3), "{directives}");
        let title = server.conversation(&token, &conversation).await["conversation"]["title"].clone();
        assert!(
            !title.to_string().contains("think"),
            "{directives}: the title {title} has no thinking"
        );
    }
}

async fn an_unclosed_think_tag_keeps_everything_as_thinking(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("ulla").await;
    let (conversation, events) = exchange(&server, &token, "hm [[mock reasoning=unclosed thoughts=5]]").await;
    assert_eq!(thinking_of(&events), mock_thoughts(5));
    assert_eq!(text_of(&events), "");
    assert_eq!(events.last().unwrap().event, "done");
    let reply = stored_reply(&server, &token, &conversation).await;
    assert_eq!(reply["status"], "done");
    assert_eq!(reply["content"], "");
    assert_eq!(reply["reasoning"], mock_thoughts(5));
}

async fn thinking_is_never_sent_back_upstream(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("vera").await;
    for mode in ["reasoning_content", "tags", "unclosed"] {
        let conversation = server.new_conversation(&token).await;
        server
            .send_streaming(
                &token,
                &conversation,
                &json!({"content": format!("first [[mock reasoning={mode} thoughts=3 tokens=2]]")}),
            )
            .await
            .rest()
            .await;
        server
            .send_streaming(&token, &conversation, &json!({"content": "second"}))
            .await
            .rest()
            .await;
        let context = mock.last_context().await;
        let roles: Vec<&str> = context.iter().map(|(role, _)| role.as_str()).collect();
        let sent = serde_json::to_string(&mock.streamed_requests().await.last().unwrap()["messages"]).unwrap();
        assert!(!sent.contains('想') && !sent.contains("think>"), "{mode}: {sent}");
        assert!(!sent.contains("reasoning\":"), "{mode}: {sent}");
        if mode == "unclosed" {
            // A reply that is all thinking has no answer to send.
            assert_eq!(roles, ["user", "user"], "{mode}");
        } else {
            assert_eq!(roles, ["user", "assistant", "user"], "{mode}");
            assert_eq!(context[1].1, mock_reply(2), "{mode}");
        }
    }
}

async fn a_resume_in_the_middle_of_the_thinking_gets_exactly_the_rest(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("wanda").await;
    let conversation = server.new_conversation(&token).await;
    let started = server
        .send_async(
            &token,
            &conversation,
            &json!({"content": "slowly [[mock reasoning=tags thoughts=30 tokens=3 delay=20]]"}),
        )
        .await;
    let generation = started["generation_id"].as_str().unwrap();
    let mut dropped = server.follow(&token, generation, None).await;
    let mut head = Vec::new();
    while head.iter().filter(|e: &&Ev| e.event == "reasoning").count() < 3 {
        head.push(dropped.next().await.unwrap());
    }
    drop(dropped);
    let mut resumed = server.follow(&token, generation, Some(head.last().unwrap().id)).await;
    let mut stitched = head;
    stitched.extend(resumed.rest().await);

    let whole = server.follow(&token, generation, None).await.rest().await;
    assert_eq!(stitched, whole);
    assert_eq!(thinking_of(&whole), mock_thoughts(30));
    assert_eq!(text_of(&whole), mock_reply(3));
}

async fn the_websocket_carries_the_thinking_as_reasoning_frames(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("xena").await;
    let conversation = server.new_conversation(&token).await;
    let mut socket = connect(&server, &token).await;
    socket
        .send(Message::Text(
            json!({"type": "send", "conversation_id": conversation, "content": "ws [[mock reasoning=reasoning thoughts=3 tokens=2]]"})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let over_ws = frames(&mut socket).await;
    assert_eq!(thinking_of(&over_ws), mock_thoughts(3));
    assert_eq!(text_of(&over_ws), mock_reply(2));
    let generation = over_ws[1].data["generation_id"].as_str().unwrap();
    let over_sse = server.follow(&token, generation, None).await.rest().await;
    assert_eq!(over_ws, over_sse);
}

async fn a_provider_set_to_off_shows_the_reply_as_it_comes(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[("LLM_REASONING", "off")]).await;
    let token = server.register("yara").await;
    let (_, tagged) = exchange(&server, &token, "hm [[mock reasoning=tags thoughts=2 tokens=1]]").await;
    assert!(tagged.iter().all(|e| e.event != "reasoning"));
    assert_eq!(
        text_of(&tagged),
        format!("<think>\n{}</think>\n\n{}", mock_thoughts(2), mock_reply(1))
    );
    let (conversation, fielded) = exchange(
        &server,
        &token,
        "hm [[mock reasoning=reasoning_content thoughts=2 tokens=1]]",
    )
    .await;
    assert!(fielded.iter().all(|e| e.event != "reasoning"));
    assert_eq!(text_of(&fielded), mock_reply(1));
    assert_eq!(
        stored_reply(&server, &token, &conversation).await["reasoning"],
        Value::Null
    );
}
