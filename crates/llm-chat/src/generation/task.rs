//! The task that writes one reply: streams from the model (or the demo),
//! feeds the event log, saves the end state, then announces it.

use super::GenerationManager;
use super::event::EventKind;
use super::running::Generation;
use crate::chat::views::MessageView;
use crate::llm::{ChatTurn, LlmError, Route, SamplingParams, StreamEvent, Usage, demo_reply};
use crate::ops::metrics::{Source, metrics};
use crate::store::{FinishedMessage, MessageStatus, NewUsage, UsageOutcome, UsageSource};
use futures_util::StreamExt;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// What a generation needs to run.
pub struct GenerationPlan {
    /// `None`: the built-in demo model.
    pub route: Option<Route>,
    pub context: Vec<ChatTurn>,
    pub params: SamplingParams,
    /// For the demo reply: the user's words and language.
    pub user_text: String,
    pub accept_language: Option<String>,
    /// A title being generated for the conversation, if it has none yet.
    pub title: Option<oneshot::Receiver<String>>,
}

/// How long the end of a reply waits for a title still being written.
const TITLE_GRACE: Duration = Duration::from_secs(3);

enum Outcome {
    Finished(String),
    Cancelled,
    /// The server is stopping.
    Interrupted,
    Failed(LlmError),
}

const INTERRUPTED: &str =
    "The server was stopped while this reply was being written; the text until then is kept. Regenerate to try again.";

#[derive(Serialize)]
struct TitleData<'a> {
    conversation_id: &'a str,
    title: &'a str,
}

#[derive(Serialize)]
struct DoneData {
    finish_reason: String,
    usage: Option<Usage>,
    reply: Option<MessageView>,
}

#[derive(Serialize)]
struct ErrorData {
    code: &'static str,
    message: String,
    reply: Option<MessageView>,
}

/// What the upstream reported and when its first token came.
#[derive(Default)]
struct Measured {
    usage: Usage,
    first_token: Option<Duration>,
}

pub async fn run(manager: Arc<GenerationManager>, generation: Arc<Generation>, mut plan: GenerationPlan) {
    let started = Instant::now();
    let _active = metrics().generation_started(Source::Chat);
    let mut measured = Measured::default();
    let outcome = tokio::select! {
        biased;
        () = generation.cancelled() => {
            if manager.is_stopping() { Outcome::Interrupted } else { Outcome::Cancelled }
        }
        outcome = stream_reply(&manager, &generation, &mut plan, &mut measured, started) => outcome,
    };
    let total = started.elapsed();
    let usage = measured.usage;
    if let Some(pending) = plan.title.take()
        && let Ok(Ok(title)) = tokio::time::timeout(TITLE_GRACE, pending).await
    {
        push_title(&generation, &title);
    }
    let (content, reasoning) = generation.text();
    let reasoning_ms = generation
        .thought_for()
        .map(|took| i64::try_from(took.as_millis()).unwrap_or(i64::MAX));
    let (status, finish_reason, error) = match &outcome {
        Outcome::Finished(reason) => (MessageStatus::Done, reason.clone(), None),
        Outcome::Cancelled => (MessageStatus::Cancelled, "cancelled".to_owned(), None),
        Outcome::Interrupted => (MessageStatus::Interrupted, "interrupted".to_owned(), None),
        Outcome::Failed(err) => (MessageStatus::Error, "error".to_owned(), Some(err)),
    };
    let (error_code, error_message) = match (&outcome, error) {
        (_, Some(err)) => (Some(err.code()), Some(err.to_string())),
        (Outcome::Interrupted, None) => (Some("interrupted"), Some(INTERRUPTED.to_owned())),
        _ => (None, None),
    };
    let saved = manager
        .store
        .finish_message(FinishedMessage {
            id: &generation.message_id,
            content: &content,
            reasoning: (!reasoning.is_empty()).then_some(reasoning.as_str()),
            status,
            error_code,
            error_message: error_message.as_deref(),
            prompt_tokens: usage.prompt_tokens,
            completion_tokens: usage.completion_tokens,
            reasoning_tokens: usage.reasoning_tokens,
            reasoning_ms,
            finish_reason: Some(&finish_reason),
        })
        .await;
    record_usage(&manager, &generation, &plan, &measured, total, &outcome).await;
    let reply = match saved {
        Ok(message) => Some(MessageView::from(message)),
        Err(err) => {
            tracing::error!(generation_id = %generation.id, error = %err, "could not save the end of a reply");
            None
        }
    };
    match outcome {
        Outcome::Failed(err) => {
            tracing::warn!(generation_id = %generation.id, code = err.code(), error = %err, "reply failed");
            generation.push(
                EventKind::Error,
                &ErrorData {
                    code: err.code(),
                    message: err.to_string(),
                    reply,
                },
            )
        }
        Outcome::Interrupted => generation.push(
            EventKind::Error,
            &ErrorData {
                code: "interrupted",
                message: INTERRUPTED.to_owned(),
                reply,
            },
        ),
        Outcome::Finished(_) | Outcome::Cancelled => generation.push(
            EventKind::Done,
            &DoneData {
                finish_reason,
                usage: (usage != Usage::default()).then_some(usage),
                reply,
            },
        ),
    };
    manager.retire(&generation);
}

async fn stream_reply(
    manager: &GenerationManager,
    generation: &Generation,
    plan: &mut GenerationPlan,
    measured: &mut Measured,
    started: Instant,
) -> Outcome {
    let mut upstream = match &plan.route {
        None => demo_reply(&plan.user_text, plan.accept_language.as_deref())
            .map(Ok)
            .boxed(),
        Some(route) => match manager.client.stream_chat(route, &plan.context, plan.params).await {
            Ok(stream) => stream,
            Err(err) => return Outcome::Failed(err),
        },
    };
    let mut finish = None;
    loop {
        let title = async {
            match plan.title.as_mut() {
                Some(pending) => pending.await.ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            title = title => {
                plan.title = None;
                if let Some(title) = title {
                    push_title(generation, &title);
                }
            }
            item = upstream.next() => match item {
                Some(Ok(StreamEvent::Delta(text))) => {
                    metrics().token_streamed(Source::Chat);
                    measured.first_token.get_or_insert_with(|| started.elapsed());
                    generation.push_delta(&text);
                }
                Some(Ok(StreamEvent::Reasoning(text))) => {
                    metrics().token_streamed(Source::Chat);
                    measured.first_token.get_or_insert_with(|| started.elapsed());
                    generation.push_reasoning(&text);
                }
                Some(Ok(StreamEvent::Usage(reported))) => measured.usage = reported,
                Some(Ok(StreamEvent::Finish(reason))) => finish = Some(reason),
                Some(Err(err)) => return Outcome::Failed(err),
                None => return Outcome::Finished(finish.unwrap_or_else(|| "stop".to_owned())),
            },
        }
    }
}

/// One usage row per reply; a failure to write it is logged, never shown to the user.
async fn record_usage(
    manager: &GenerationManager,
    generation: &Generation,
    plan: &GenerationPlan,
    measured: &Measured,
    total: Duration,
    outcome: &Outcome,
) {
    let (outcome, error_code) = match outcome {
        Outcome::Finished(_) => (UsageOutcome::Done, None),
        Outcome::Cancelled => (UsageOutcome::Cancelled, None),
        Outcome::Interrupted => (UsageOutcome::Error, Some("interrupted")),
        Outcome::Failed(err) => {
            metrics().upstream_error(err.code());
            (UsageOutcome::Error, Some(err.code()))
        }
    };
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let recorded = manager
        .store
        .insert_usage(NewUsage {
            user_id: &generation.user_id,
            model: &generation.model,
            provider: plan.route.as_ref().map_or(DEMO_PROVIDER, |r| r.provider.as_str()),
            source: UsageSource::Chat,
            prompt_tokens: measured.usage.prompt_tokens,
            completion_tokens: measured.usage.completion_tokens,
            reasoning_tokens: measured.usage.reasoning_tokens,
            first_token_ms: measured.first_token.map(millis),
            total_ms: millis(total),
            outcome,
            error_code,
        })
        .await;
    if let Err(err) = recorded {
        tracing::warn!(generation_id = %generation.id, error = %err, "could not record the usage of a reply");
    }
}

/// The provider named in usage rows of the built-in demo model.
const DEMO_PROVIDER: &str = "demo";

fn push_title(generation: &Generation, title: &str) {
    generation.push(
        EventKind::Title,
        &TitleData {
            conversation_id: &generation.conversation_id,
            title,
        },
    );
}
