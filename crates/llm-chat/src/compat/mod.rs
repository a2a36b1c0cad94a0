//! The OpenAI-compatible API for programs: the models offered here and chat
//! completions routed to their provider, streamed by forwarding the
//! upstream's chunks as they are (reasoning fields included) under our id and
//! model name. Every completion is checked against the caller's limits and
//! recorded as usage.

pub mod request;
mod tracker;

use crate::chat::model_policy::ModelPolicy;
use crate::llm::{LlmError, ModelInfo, ProviderRegistry, Route, StreamEvent, UpstreamClient};
use crate::ops::metrics::{Source, metrics};
use crate::store::{Store, StoreError, UsageOutcome, User, new_id};
use crate::usage::{LimitExceeded, UsageError, UsageService};
use futures_util::stream::{self, BoxStream, StreamExt};
pub use request::CompletionRequest;
use serde_json::{Value, json};
use std::sync::Arc;
use tracker::Tracker;

#[derive(Debug, thiserror::Error)]
pub enum CompatError {
    #[error("{message}")]
    Invalid { param: &'static str, message: String },
    #[error("the model {0:?} does not exist here; list the models with GET /v1/models")]
    UnknownModel(String),
    #[error(
        "the built-in demo model is only offered in the web UI; an administrator must configure a model server (LLM_API_URL) for the API"
    )]
    DemoOnly,
    #[error(transparent)]
    Limit(LimitExceeded),
    #[error(transparent)]
    Upstream(#[from] LlmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<UsageError> for CompatError {
    fn from(err: UsageError) -> Self {
        match err {
            UsageError::Limit(hit) => CompatError::Limit(hit),
            UsageError::Store(store) => CompatError::Store(store),
            UsageError::Invalid(message) => CompatError::Invalid {
                param: "limits",
                message,
            },
        }
    }
}

pub struct CompatService {
    store: Store,
    client: UpstreamClient,
    registry: Arc<ProviderRegistry>,
    usage: Arc<UsageService>,
}

impl CompatService {
    pub fn new(
        store: Store,
        client: UpstreamClient,
        registry: Arc<ProviderRegistry>,
        usage: Arc<UsageService>,
    ) -> CompatService {
        CompatService {
            store,
            client,
            registry,
            usage,
        }
    }

    /// The models a program may ask for: those the admin lets users pick,
    /// without the demo model (it is for the web UI only).
    pub async fn models(&self) -> Result<Vec<ModelInfo>, CompatError> {
        let policy = ModelPolicy::load(&self.store).await?;
        Ok(policy
            .offered(&self.registry)
            .models
            .into_iter()
            .filter(|m| !m.demo)
            .collect())
    }

    /// Checks the model and the caller's limits, and starts measuring.
    async fn begin(&self, user: &User, model: &str) -> Result<(Route, Tracker), CompatError> {
        if !ModelPolicy::load(&self.store).await?.allows(model) {
            return Err(CompatError::UnknownModel(model.to_owned()));
        }
        let route = match self.registry.resolve(model) {
            Ok(Some(route)) => route,
            Ok(None) => return Err(CompatError::DemoOnly),
            Err(_) => return Err(CompatError::UnknownModel(model.to_owned())),
        };
        self.usage.admit(&user.id).await?;
        let tracker = Tracker::start(self.store.clone(), &user.id, model, &route.provider);
        Ok((route, tracker))
    }

    /// A whole completion in one answer, in OpenAI's `chat.completion` shape.
    pub async fn complete(&self, user: &User, request: CompletionRequest) -> Result<Value, CompatError> {
        let (route, mut tracker) = self.begin(user, &request.model).await?;
        match self.client.complete_raw(&route, request.body).await {
            Ok((mut answer, usage)) => {
                tracker.first_token();
                tracker.usage = usage;
                tracker.finish(UsageOutcome::Done, None).await;
                answer["id"] = json!(completion_id());
                answer["model"] = json!(request.model);
                Ok(answer)
            }
            Err(err) => {
                tracker.finish(UsageOutcome::Error, Some(err.code())).await;
                Err(err.into())
            }
        }
    }

    /// A streamed completion: the upstream's `chat.completion.chunk`s, with our
    /// id and model name. The final usage chunk is passed on only when the
    /// caller asked for it (`stream_options.include_usage`). A failure after
    /// the start ends the stream with an error item.
    pub async fn stream(
        &self,
        user: &User,
        request: CompletionRequest,
    ) -> Result<BoxStream<'static, Result<Value, CompatError>>, CompatError> {
        let (route, tracker) = self.begin(user, &request.model).await?;
        let upstream = match self.client.stream_raw(&route, request.body).await {
            Ok(upstream) => upstream,
            Err(err) => {
                tracker.finish(UsageOutcome::Error, Some(err.code())).await;
                return Err(err.into());
            }
        };
        let state = Forwarding {
            upstream,
            tracker: Some(tracker),
            id: completion_id(),
            model: request.model,
            include_usage: request.include_usage,
        };
        Ok(stream::unfold(state, forward).boxed())
    }
}

struct Forwarding {
    upstream: BoxStream<'static, Result<crate::llm::RawChunk, LlmError>>,
    /// `None` once the stream ended and its usage was recorded.
    tracker: Option<Tracker>,
    id: String,
    model: String,
    include_usage: bool,
}

async fn forward(mut state: Forwarding) -> Option<(Result<Value, CompatError>, Forwarding)> {
    loop {
        let tracker = state.tracker.as_mut()?;
        match state.upstream.next().await {
            Some(Ok(chunk)) => {
                for event in &chunk.events {
                    match event {
                        StreamEvent::Delta(_) | StreamEvent::Reasoning(_) => {
                            tracker.first_token();
                            metrics().token_streamed(Source::Api);
                        }
                        StreamEvent::Usage(usage) => tracker.usage = *usage,
                        StreamEvent::Finish(_) => {}
                    }
                }
                let mut json = chunk.json;
                let usage_only = json["choices"].as_array().is_some_and(Vec::is_empty) && !json["usage"].is_null();
                if !state.include_usage {
                    if usage_only {
                        continue;
                    }
                    if let Some(fields) = json.as_object_mut() {
                        fields.remove("usage");
                    }
                }
                json["id"] = json!(state.id);
                json["model"] = json!(state.model);
                return Some((Ok(json), state));
            }
            Some(Err(err)) => {
                if let Some(tracker) = state.tracker.take() {
                    tracker.finish(UsageOutcome::Error, Some(err.code())).await;
                }
                return Some((Err(err.into()), state));
            }
            None => {
                if let Some(tracker) = state.tracker.take() {
                    tracker.finish(UsageOutcome::Done, None).await;
                }
                return None;
            }
        }
    }
}

fn completion_id() -> String {
    format!("chatcmpl-{}", new_id().replace('-', ""))
}
