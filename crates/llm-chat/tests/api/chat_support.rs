//! What the chat tests share: the fake model server, a server wired to it,
//! and readers for event streams.

use crate::helpers::{Engine, TestServer, http_client, read};
use eventsource_stream::Eventsource;
use futures_util::stream::{BoxStream, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

/// The fake model server, in this test's process.
pub struct MockLlm {
    pub base: String,
}

impl MockLlm {
    pub async fn start() -> MockLlm {
        MockLlm::start_with(mock_llm::Options::default()).await
    }

    pub async fn start_with(options: mock_llm::Options) -> MockLlm {
        let addr = mock_llm::spawn(options).await.unwrap();
        MockLlm {
            base: format!("http://{addr}"),
        }
    }

    /// The chat requests it received, in order.
    pub async fn requests(&self) -> Vec<Value> {
        http_client()
            .get(format!("{}/_mock/requests", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The chat requests it received, in order (streamed ones only: titles are plain).
    pub async fn streamed_requests(&self) -> Vec<Value> {
        let all = self.requests().await;
        all.into_iter().filter(|r| r["stream"] == true).collect()
    }

    /// The messages of the last streamed request, as (role, content) pairs.
    pub async fn last_context(&self) -> Vec<(String, String)> {
        let requests = self.streamed_requests().await;
        let last = requests.last().expect("the model server received no streamed request");
        last["messages"]
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
}

/// A server whose default model server is `mock` (model `mock-model`).
pub async fn server_with(engine: Engine, mock: &MockLlm, extra_env: &[(&str, &str)]) -> TestServer {
    let url = format!("{}/v1/chat/completions", mock.base);
    let mut env = vec![("LLM_API_URL", url.as_str()), ("LLM_MODEL", "mock-model")];
    env.extend_from_slice(extra_env);
    TestServer::start_with(engine, &env).await
}

/// One event of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Ev {
    pub id: u64,
    pub event: String,
    pub data: Value,
}

/// An open event stream, read one event at a time.
pub struct Events {
    inner: BoxStream<'static, Ev>,
}

impl Events {
    pub fn of(response: reqwest::Response) -> Events {
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/event-stream"), "{content_type}");
        let inner = response
            .bytes_stream()
            .eventsource()
            .filter_map(|event| async move {
                let event = event.ok()?;
                Some(Ev {
                    id: event.id.parse().unwrap_or(0),
                    event: event.event,
                    data: serde_json::from_str(&event.data).unwrap_or(Value::Null),
                })
            })
            .boxed();
        Events { inner }
    }

    pub async fn next(&mut self) -> Option<Ev> {
        tokio::time::timeout(Duration::from_secs(20), self.inner.next())
            .await
            .expect("no event within 20 s")
    }

    /// Reads on until `count` deltas have arrived.
    pub async fn skip_deltas(&mut self, count: usize) {
        let mut seen = 0;
        while let Some(event) = self.next().await {
            if event.event == "delta" {
                seen += 1;
                if seen == count {
                    return;
                }
            }
        }
        panic!("the reply ended before {count} deltas");
    }

    /// Every remaining event, up to and including `done` or `error`.
    pub async fn rest(&mut self) -> Vec<Ev> {
        let mut all = Vec::new();
        while let Some(event) = self.next().await {
            let last = event.event == "done" || event.event == "error";
            all.push(event);
            if last {
                break;
            }
        }
        all
    }
}

/// The concatenated `delta` texts.
pub fn text_of(events: &[Ev]) -> String {
    events
        .iter()
        .filter(|e| e.event == "delta")
        .map(|e| e.data["text"].as_str().unwrap())
        .collect()
}

/// `w0 w1 … w{n-1} `, the mock's reply of `n` tokens.
pub fn mock_reply(n: usize) -> String {
    (0..n).map(|i| format!("w{i} ")).collect()
}

impl TestServer {
    pub async fn new_conversation(&self, token: &str) -> String {
        let (status, body) = read(self.post("/api/conversations", Some(token), &json!({})).await).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Sends a message asking for the event stream.
    pub async fn send_streaming(&self, token: &str, conversation: &str, body: &Value) -> Events {
        let response = self
            .client
            .post(self.url(&format!("/api/conversations/{conversation}/messages")))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(body)
            .send()
            .await
            .unwrap();
        if response.status() != StatusCode::OK {
            let (status, body) = read(response).await;
            panic!("sending failed with {status}: {body}");
        }
        Events::of(response)
    }

    /// Sends a message without streaming; returns the 202 body.
    pub async fn send_async(&self, token: &str, conversation: &str, body: &Value) -> Value {
        let (status, reply) = read(
            self.post(
                &format!("/api/conversations/{conversation}/messages"),
                Some(token),
                body,
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{reply}");
        reply
    }

    /// Follows a generation from after `after` (`Last-Event-ID`).
    pub async fn follow(&self, token: &str, generation: &str, after: Option<u64>) -> Events {
        let mut request = self
            .client
            .get(self.url(&format!("/api/generations/{generation}/events")))
            .bearer_auth(token);
        if let Some(after) = after {
            request = request.header("last-event-id", after.to_string());
        }
        Events::of(request.send().await.unwrap())
    }

    pub async fn conversation(&self, token: &str, id: &str) -> Value {
        let (status, body) = read(self.get(&format!("/api/conversations/{id}"), Some(token)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Waits (up to 20 s) until the message `id` is no longer streaming, and returns it.
    pub async fn settled_message(&self, token: &str, conversation: &str, id: &str) -> Value {
        for _ in 0..400 {
            let body = self.conversation(token, conversation).await;
            let message = body["messages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["id"] == id)
                .cloned()
                .unwrap();
            if message["status"] != "streaming" {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("message {id} still streaming after 20 s");
    }
}
