//! One streamed reply, measured: time to the first text, and the gaps
//! between pieces of text, straight from the fake model server, through
//! llm-chat's whole chat path, or through its OpenAI-compatible API; and a
//! held stream, which only needs to end well.

use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Measured {
    pub first_token_ms: f64,
    pub gaps_ms: Vec<f64>,
    pub tokens: usize,
    pub error: Option<String>,
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// What an event of the stream is.
enum Seen {
    Text,
    Other,
    End,
    Failed(String),
}

/// Reads an SSE response, timing the events `classify` calls text.
async fn measure(response: reqwest::Response, started: Instant, classify: impl Fn(&str, &str) -> Seen) -> Measured {
    let mut measured = Measured::default();
    if !response.status().is_success() {
        measured.error = Some(format!("HTTP {}", response.status()));
        return measured;
    }
    let mut last: Option<Instant> = None;
    let mut events = response.bytes_stream().eventsource();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                measured.error = Some(err.to_string());
                return measured;
            }
        };
        match classify(&event.event, &event.data) {
            Seen::Text => {
                match last {
                    None => measured.first_token_ms = ms(started),
                    Some(previous) => measured.gaps_ms.push(ms(previous)),
                }
                last = Some(Instant::now());
                measured.tokens += 1;
            }
            Seen::Other => {}
            Seen::End => break,
            Seen::Failed(reason) => {
                measured.error = Some(reason);
                break;
            }
        }
    }
    measured
}

/// A streamed OpenAI-style completion: straight from the fake model server,
/// or through llm-chat's `/v1/chat/completions` (with `key`).
pub async fn openai(client: &reqwest::Client, url: &str, key: Option<&str>, tokens: usize) -> Measured {
    let started = Instant::now();
    let body = json!({
        "model": "mock-model", "stream": true,
        "messages": [{"role": "user", "content": format!("bench [[mock tokens={tokens}]]")}]
    });
    let mut request = client.post(url).json(&body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    match request.send().await {
        Ok(response) => {
            measure(response, started, |_, data| {
                if data.trim() == "[DONE]" {
                    return Seen::End;
                }
                match serde_json::from_str::<Value>(data) {
                    Ok(chunk)
                        if chunk["choices"][0]["delta"]["content"]
                            .as_str()
                            .is_some_and(|t| !t.is_empty()) =>
                    {
                        Seen::Text
                    }
                    Ok(_) => Seen::Other,
                    Err(err) => Seen::Failed(err.to_string()),
                }
            })
            .await
        }
        Err(err) => Measured {
            error: Some(err.to_string()),
            ..Measured::default()
        },
    }
}

pub async fn through_chat(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    conversation: &str,
    tokens: usize,
) -> Measured {
    let started = Instant::now();
    let sent = client
        .post(format!("{base}/api/conversations/{conversation}/messages"))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({"content": format!("bench [[mock tokens={tokens}]]")}))
        .send()
        .await;
    match sent {
        Ok(response) => {
            let mut measured = measure(response, started, |event, data| match event {
                "delta" => Seen::Text,
                "done" => Seen::End,
                "error" => Seen::Failed(data.to_owned()),
                _ => Seen::Other,
            })
            .await;
            if measured.tokens < tokens && measured.error.is_none() {
                measured.error = Some(format!("only {} of {tokens} tokens arrived", measured.tokens));
            }
            measured
        }
        Err(err) => Measured {
            error: Some(err.to_string()),
            ..Measured::default()
        },
    }
}

/// Sends a message and follows the reply to its end without parsing each
/// event (thousands of these run at once); `Ok` when it ended with `done`.
pub async fn held(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    conversation: &str,
    tokens: usize,
    delay_ms: u64,
) -> Result<(), String> {
    let response = client
        .post(format!("{base}/api/conversations/{conversation}/messages"))
        .bearer_auth(token)
        .header("accept", "text/event-stream")
        .json(&json!({"content": format!("bench [[mock tokens={tokens} delay={delay_ms}]]")}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut body = response.bytes_stream();
    // The end of the previous chunk, so an event name split across chunks is still seen.
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        tail.extend_from_slice(&chunk);
        if contains(&tail, b"event: done") || contains(&tail, b"event:done") {
            return Ok(());
        }
        if contains(&tail, b"event: error") || contains(&tail, b"event:error") {
            return Err(String::from_utf8_lossy(&tail).chars().take(300).collect());
        }
        let keep = tail.len().saturating_sub(16);
        tail.drain(..keep);
    }
    Err("the stream closed before `done`".to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
