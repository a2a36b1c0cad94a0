//! The OpenAI-compatible HTTP client: streamed and plain chat completions,
//! model discovery, timeouts for connecting, the first token and the gaps
//! between tokens, and retries only before anything has been received.

use super::providers::Route;
use super::reasoning;
use super::{ChatTurn, LlmError, SamplingParams, StreamEvent, Usage};
use eventsource_stream::Eventsource;
use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::{Response, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTimeouts {
    pub connect: Duration,
    pub first_token: Duration,
    pub idle: Duration,
    pub max_retries: u32,
}

#[derive(Clone)]
pub struct UpstreamClient {
    http: reqwest::Client,
    timeouts: ClientTimeouts,
}

/// Longest wait a `Retry-After` may ask for before we give up instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

impl UpstreamClient {
    pub fn new(timeouts: ClientTimeouts) -> Result<UpstreamClient, String> {
        let http = super::tls::http_client_builder()?
            .connect_timeout(timeouts.connect)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(UpstreamClient { http, timeouts })
    }

    /// Starts a streamed completion. Resolves once the upstream has answered
    /// 200; the stream then yields deltas and ends after the last one.
    pub async fn stream_chat(
        &self,
        route: &Route,
        messages: &[ChatTurn],
        params: SamplingParams,
    ) -> Result<BoxStream<'static, Result<StreamEvent, LlmError>>, LlmError> {
        let started = Instant::now();
        let mut body = request_body(route, messages, params);
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let response = tokio::time::timeout(self.timeouts.first_token, self.send_with_retries(route, &body))
            .await
            .map_err(|_| LlmError::FirstTokenTimeout(self.timeouts.first_token))??;
        let first_deadline = started + self.timeouts.first_token;
        let events = read_stream(response, first_deadline, self.timeouts)
            .flat_map(|batch| {
                let items: Vec<Result<StreamEvent, LlmError>> = match batch {
                    Ok(chunk) => chunk.events.into_iter().map(Ok).collect(),
                    Err(err) => vec![Err(err)],
                };
                stream::iter(items)
            })
            .boxed();
        Ok(reasoning::separate(events, route.reasoning))
    }

    /// Starts a streamed completion from a request body prepared by the caller
    /// (the OpenAI-compatible API), yielding the upstream's chunks as they are,
    /// each with what this server understood of it. `body["model"]` is set to
    /// the route's upstream model.
    pub async fn stream_raw(
        &self,
        route: &Route,
        mut body: Value,
    ) -> Result<BoxStream<'static, Result<RawChunk, LlmError>>, LlmError> {
        let started = Instant::now();
        body["model"] = json!(route.upstream_model);
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
        let response = tokio::time::timeout(self.timeouts.first_token, self.send_with_retries(route, &body))
            .await
            .map_err(|_| LlmError::FirstTokenTimeout(self.timeouts.first_token))??;
        Ok(read_stream(
            response,
            started + self.timeouts.first_token,
            self.timeouts,
        ))
    }

    /// A plain (not streamed) completion from a request body prepared by the
    /// caller; the upstream's answer as it is, with its usage.
    pub async fn complete_raw(&self, route: &Route, mut body: Value) -> Result<(Value, Usage), LlmError> {
        body["model"] = json!(route.upstream_model);
        body["stream"] = json!(false);
        if let Some(fields) = body.as_object_mut() {
            fields.remove("stream_options");
        }
        let response = tokio::time::timeout(self.timeouts.first_token, self.send_with_retries(route, &body))
            .await
            .map_err(|_| LlmError::FirstTokenTimeout(self.timeouts.first_token))??;
        let value: Value = tokio::time::timeout(self.timeouts.idle, response.json())
            .await
            .map_err(|_| LlmError::IdleTimeout(self.timeouts.idle))?
            .map_err(|err| LlmError::Malformed(err.to_string()))?;
        let usage = UsageChunk::deserialize(&value["usage"])
            .map(Usage::from)
            .unwrap_or_default();
        Ok((value, usage))
    }

    /// A complete answer in one response (used for titles), without its thinking.
    pub async fn complete(
        &self,
        route: &Route,
        messages: &[ChatTurn],
        params: SamplingParams,
        timeout: Duration,
    ) -> Result<String, LlmError> {
        let body = request_body(route, messages, params);
        let answer = async {
            let response = self.send_with_retries(route, &body).await?;
            let value: Value = response
                .json()
                .await
                .map_err(|err| LlmError::Malformed(err.to_string()))?;
            let content = value["choices"][0]["message"]["content"].as_str().unwrap_or_default();
            Ok(reasoning::answer_only(content, route.reasoning))
        };
        tokio::time::timeout(timeout, answer)
            .await
            .map_err(|_| LlmError::FirstTokenTimeout(timeout))?
    }

    /// The model ids a provider lists at `/models`.
    pub async fn list_models(&self, base_url: &str, api_key: Option<&str>) -> Result<Vec<String>, LlmError> {
        let mut request = self
            .http
            .get(format!("{base_url}/models"))
            .timeout(self.timeouts.first_token);
        if let Some(key) = api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|err| unreachable(base_url, &err))?;
        let response = check_status(response, "").await?;
        let value: Value = response
            .json()
            .await
            .map_err(|err| LlmError::Malformed(err.to_string()))?;
        Ok(value["data"]
            .as_array()
            .map(|models| {
                models
                    .iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn send_with_retries(&self, route: &Route, body: &Value) -> Result<Response, LlmError> {
        let url = format!("{}/chat/completions", route.base_url);
        let mut attempt = 0;
        loop {
            let mut request = self.http.post(&url).json(body);
            if let Some(key) = &route.api_key {
                request = request.bearer_auth(key.expose());
            }
            let wait = match request.send().await {
                Err(err) if err.is_connect() => RetryOr::Retry(None, unreachable(&route.base_url, &err)),
                Err(err) => RetryOr::Fail(unreachable(&route.base_url, &err)),
                Ok(response) => match response.status() {
                    status if status.is_success() => return Ok(response),
                    StatusCode::TOO_MANY_REQUESTS => RetryOr::Retry(retry_after(&response), LlmError::RateLimited),
                    StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                        let delay = retry_after(&response);
                        let err = check_status(response, &route.upstream_model).await.err();
                        RetryOr::Retry(delay, err.unwrap_or(LlmError::RateLimited))
                    }
                    _ => RetryOr::Fail(check_status(response, &route.upstream_model).await.err().unwrap_or(
                        LlmError::Status {
                            status: 0,
                            detail: "unexpected answer".to_owned(),
                        },
                    )),
                },
            };
            match wait {
                RetryOr::Fail(err) => return Err(err),
                RetryOr::Retry(_, err) if attempt >= self.timeouts.max_retries => return Err(err),
                RetryOr::Retry(Some(delay), err) if delay > MAX_RETRY_AFTER => return Err(err),
                RetryOr::Retry(delay, err) => {
                    let backoff = delay.unwrap_or(FIRST_BACKOFF * 2u32.pow(attempt));
                    tracing::info!(attempt = attempt + 1, ?backoff, error = %err, "retrying the model server");
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
            }
        }
    }
}

enum RetryOr {
    Retry(Option<Duration>, LlmError),
    Fail(LlmError),
}

fn request_body(route: &Route, messages: &[ChatTurn], params: SamplingParams) -> Value {
    let mut body = json!({"model": route.upstream_model, "messages": messages});
    if let Some(t) = params.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(p) = params.top_p {
        body["top_p"] = json!(p);
    }
    if let Some(m) = params.max_tokens {
        body["max_tokens"] = json!(m);
    }
    body
}

fn unreachable(base_url: &str, err: &reqwest::Error) -> LlmError {
    let host = reqwest::Url::parse(base_url)
        .ok()
        .and_then(|url| {
            url.host_str()
                .map(|h| format!("{h}:{}", url.port_or_known_default().unwrap_or(0)))
        })
        .unwrap_or_else(|| base_url.to_owned());
    let mut reason = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        reason = cause.to_string();
        source = cause.source();
    }
    LlmError::Unreachable { host, reason }
}

fn retry_after(response: &Response) -> Option<Duration> {
    response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Turns a non-2xx answer into the error a person can act on.
async fn check_status(response: Response, model: &str) -> Result<Response, LlmError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    let detail = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .or(v["message"].as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| text.chars().take(300).collect());
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => LlmError::Unauthorized {
            status: status.as_u16(),
        },
        StatusCode::NOT_FOUND => LlmError::UnknownModel {
            model: model.to_owned(),
        },
        StatusCode::TOO_MANY_REQUESTS => LlmError::RateLimited,
        _ => LlmError::Status {
            status: status.as_u16(),
            detail,
        },
    })
}

#[derive(Debug, Default, Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<UsageChunk>,
    error: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Delta {
    content: Option<String>,
    reasoning_content: Option<String>,
    reasoning: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct UsageChunk {
    prompt_tokens: Option<i64>,
    completion_tokens: Option<i64>,
    completion_tokens_details: Option<TokenDetails>,
}

#[derive(Debug, Default, Deserialize)]
struct TokenDetails {
    reasoning_tokens: Option<i64>,
}

impl From<UsageChunk> for Usage {
    fn from(usage: UsageChunk) -> Self {
        Usage {
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            reasoning_tokens: usage.completion_tokens_details.and_then(|d| d.reasoning_tokens),
        }
    }
}

/// One chunk of a stream: the upstream's JSON and what it means here.
#[derive(Debug, Clone, PartialEq)]
pub struct RawChunk {
    pub json: Value,
    pub events: Vec<StreamEvent>,
}

fn parse_chunk(data: &str) -> Result<RawChunk, LlmError> {
    let json: Value =
        serde_json::from_str(data).map_err(|err| LlmError::Malformed(format!("{err} in {:?}", truncate(data))))?;
    let chunk =
        Chunk::deserialize(&json).map_err(|err| LlmError::Malformed(format!("{err} in {:?}", truncate(data))))?;
    if let Some(error) = chunk.error {
        let detail = error["message"]
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(LlmError::Status { status: 200, detail });
    }
    let mut events = Vec::new();
    for choice in chunk.choices {
        if let Some(text) = choice
            .delta
            .reasoning_content
            .or(choice.delta.reasoning)
            .filter(|t| !t.is_empty())
        {
            events.push(StreamEvent::Reasoning(text));
        }
        if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
            events.push(StreamEvent::Delta(text));
        }
        if let Some(reason) = choice.finish_reason {
            events.push(StreamEvent::Finish(reason));
        }
    }
    if let Some(usage) = chunk.usage {
        events.push(StreamEvent::Usage(usage.into()));
    }
    Ok(RawChunk { json, events })
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}

struct Reader {
    events: BoxStream<'static, Result<eventsource_stream::Event, eventsource_stream::EventStreamError<reqwest::Error>>>,
    /// Until text arrives, the first-token deadline applies; then the idle gap.
    first_deadline: Option<Instant>,
    timeouts: ClientTimeouts,
    finished: bool,
    saw_finish: bool,
}

fn read_stream(
    response: Response,
    first_deadline: Instant,
    timeouts: ClientTimeouts,
) -> BoxStream<'static, Result<RawChunk, LlmError>> {
    let reader = Reader {
        events: response.bytes_stream().eventsource().boxed(),
        first_deadline: Some(first_deadline),
        timeouts,
        finished: false,
        saw_finish: false,
    };
    stream::unfold(reader, |mut r| async move {
        if r.finished {
            return None;
        }
        loop {
            let wait = match r.first_deadline {
                Some(deadline) => deadline.saturating_duration_since(Instant::now()),
                None => r.timeouts.idle,
            };
            let next = tokio::time::timeout(wait, r.events.next()).await;
            let failure = match next {
                Err(_) if r.first_deadline.is_some() => LlmError::FirstTokenTimeout(r.timeouts.first_token),
                Err(_) => LlmError::IdleTimeout(r.timeouts.idle),
                Ok(None) if r.saw_finish => return None,
                Ok(None) => LlmError::Closed("the stream ended without a finish reason".to_owned()),
                Ok(Some(Err(err))) => LlmError::Closed(err.to_string()),
                Ok(Some(Ok(event))) => {
                    let data = event.data.trim();
                    if data == "[DONE]" {
                        return None;
                    }
                    if data.is_empty() {
                        continue;
                    }
                    match parse_chunk(data) {
                        Ok(chunk) => {
                            if chunk
                                .events
                                .iter()
                                .any(|e| matches!(e, StreamEvent::Delta(_) | StreamEvent::Reasoning(_)))
                            {
                                r.first_deadline = None;
                            }
                            r.saw_finish |= chunk.events.iter().any(|e| matches!(e, StreamEvent::Finish(_)));
                            return Some((Ok(chunk), r));
                        }
                        Err(err) => err,
                    }
                }
            };
            r.finished = true;
            return Some((Err(failure), r));
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_yield_text_reasoning_finish_and_usage() {
        let events = parse_chunk(
            r#"{"choices":[{"delta":{"content":"Hi","reasoning_content":"hmm"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"completion_tokens_details":{"reasoning_tokens":1}}}"#,
        )
        .unwrap()
        .events;
        assert_eq!(
            events,
            vec![
                StreamEvent::Reasoning("hmm".into()),
                StreamEvent::Delta("Hi".into()),
                StreamEvent::Finish("stop".into()),
                StreamEvent::Usage(Usage {
                    prompt_tokens: Some(3),
                    completion_tokens: Some(1),
                    reasoning_tokens: Some(1),
                }),
            ]
        );
        let thinking = parse_chunk(
            r#"{"choices":[{"delta":{"reasoning":"hm"}}],"usage":{"prompt_tokens":3,"completion_tokens":9,"completion_tokens_details":{"reasoning_tokens":7}}}"#,
        )
        .unwrap()
        .events;
        assert_eq!(thinking[0], StreamEvent::Reasoning("hm".into()));
        assert!(matches!(
            thinking[1],
            StreamEvent::Usage(Usage {
                reasoning_tokens: Some(7),
                ..
            })
        ));
        assert!(matches!(parse_chunk("{oops"), Err(LlmError::Malformed(_))));
        assert!(matches!(
            parse_chunk(r#"{"error":{"message":"overloaded"}}"#),
            Err(LlmError::Status { .. })
        ));
    }
}
