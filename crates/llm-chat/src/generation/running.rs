//! One running reply: its event log, the text so far, and the signal that
//! stops it. Subscribers replay the log from any point, then follow it live.

use super::event::{EventKind, GenEvent, TextData};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Serialize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Where a piece of text lies in the answer or the thinking.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

/// One logged event. A piece of text is kept as its place in the text the
/// log holds anyway, not as its own JSON: a long reply then costs 16 bytes
/// per event while it waits for late subscribers, which is what lets one
/// server hold thousands of streams.
enum Entry {
    Delta(Span),
    Reasoning(Span),
    Other(Arc<GenEvent>),
}

#[derive(Default)]
struct Log {
    entries: Vec<Entry>,
    content: String,
    reasoning: String,
    /// When the first piece of thinking arrived.
    thinking_since: Option<Instant>,
    /// From the first piece of thinking to the first piece of the answer.
    thought_for: Option<Duration>,
    /// Text changed since the persister last saved it.
    dirty: bool,
    finished: bool,
}

impl Log {
    fn next_id(&self) -> u64 {
        self.entries.len() as u64 + 1
    }

    fn push(&mut self, kind: EventKind, data: &impl Serialize) -> u64 {
        let id = self.next_id();
        self.entries.push(Entry::Other(Arc::new(GenEvent::new(id, kind, data))));
        if kind.is_terminal() {
            self.finished = true;
        }
        id
    }

    /// Appends `text` to the answer or the thinking and logs it as an event.
    fn push_text(&mut self, kind: EventKind, text: &str) -> u64 {
        let target = if kind == EventKind::Reasoning {
            &mut self.reasoning
        } else {
            &mut self.content
        };
        let start = target.len();
        target.push_str(text);
        self.dirty = true;
        let span = u32::try_from(start)
            .ok()
            .zip(u32::try_from(target.len()).ok())
            .map(|(start, end)| Span { start, end });
        let entry = match (span, kind) {
            (Some(span), EventKind::Reasoning) => Entry::Reasoning(span),
            (Some(span), _) => Entry::Delta(span),
            // Beyond 4 GiB of text a piece keeps its own copy.
            (None, _) => return self.push(kind, &TextData { text }),
        };
        let id = self.next_id();
        self.entries.push(entry);
        id
    }

    /// The event at `index` (its id is `index + 1`).
    fn event(&self, index: usize) -> Option<Arc<GenEvent>> {
        let piece = |kind, text: &str, span: Span| {
            let text = text.get(span.start as usize..span.end as usize).unwrap_or_default();
            Arc::new(GenEvent::new(index as u64 + 1, kind, &TextData { text }))
        };
        Some(match self.entries.get(index)? {
            Entry::Delta(span) => piece(EventKind::Delta, &self.content, *span),
            Entry::Reasoning(span) => piece(EventKind::Reasoning, &self.reasoning, *span),
            Entry::Other(event) => event.clone(),
        })
    }
}

pub struct Generation {
    pub id: String,
    pub message_id: String,
    pub conversation_id: String,
    pub user_id: String,
    pub model: String,
    log: Mutex<Log>,
    /// Bumped on every event, waking subscribers.
    changed: watch::Sender<u64>,
    cancel: CancellationToken,
}

impl Generation {
    pub fn new(id: String, message_id: String, conversation_id: String, user_id: String, model: String) -> Generation {
        Generation {
            id,
            message_id,
            conversation_id,
            user_id,
            model,
            log: Mutex::new(Log::default()),
            changed: watch::channel(0).0,
            cancel: CancellationToken::new(),
        }
    }

    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends an event and wakes subscribers; returns its id.
    pub fn push(&self, kind: EventKind, data: &impl Serialize) -> u64 {
        let id = self.log().push(kind, data);
        self.changed.send_replace(id);
        id
    }

    pub fn push_delta(&self, text: &str) {
        let id = {
            let mut log = self.log();
            if let (Some(since), None) = (log.thinking_since, log.thought_for) {
                log.thought_for = Some(since.elapsed());
            }
            log.push_text(EventKind::Delta, text)
        };
        self.changed.send_replace(id);
    }

    pub fn push_reasoning(&self, text: &str) {
        let id = {
            let mut log = self.log();
            log.thinking_since.get_or_insert_with(Instant::now);
            log.push_text(EventKind::Reasoning, text)
        };
        self.changed.send_replace(id);
    }

    /// A save failed: the text must be saved again next time.
    pub fn mark_unsaved(&self) {
        self.log().dirty = true;
    }

    /// The answer and thinking so far.
    pub fn text(&self) -> (String, String) {
        let log = self.log();
        (log.content.clone(), log.reasoning.clone())
    }

    /// How long the model thought: until the answer began, or until now
    /// when it never did. `None` for a reply without thinking.
    pub fn thought_for(&self) -> Option<Duration> {
        let log = self.log();
        log.thought_for
            .or_else(|| log.thinking_since.map(|since| since.elapsed()))
    }

    /// The text if it changed since the last call, for periodic saving.
    pub fn take_dirty(&self) -> Option<(String, Option<String>)> {
        let mut log = self.log();
        if !log.dirty || log.finished {
            return None;
        }
        log.dirty = false;
        let reasoning = (!log.reasoning.is_empty()).then(|| log.reasoning.clone());
        Some((log.content.clone(), reasoning))
    }

    pub fn is_finished(&self) -> bool {
        self.log().finished
    }

    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn cancelled(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// Every event after `after` (0: all), then the live ones, ending with the terminal event.
    pub fn subscribe(self: &Arc<Self>, after: u64) -> BoxStream<'static, Arc<GenEvent>> {
        let receiver = self.changed.subscribe();
        let start = usize::try_from(after).unwrap_or(usize::MAX);
        stream::unfold(
            (self.clone(), start, receiver, false),
            |(generation, next, mut receiver, ended)| async move {
                if ended {
                    return None;
                }
                loop {
                    receiver.borrow_and_update();
                    {
                        let log = generation.log();
                        if let Some(event) = log.event(next) {
                            drop(log);
                            let ended = event.kind.is_terminal();
                            return Some((event, (generation, next + 1, receiver, ended)));
                        }
                        if log.finished {
                            return None;
                        }
                    }
                    if receiver.changed().await.is_err() {
                        return None;
                    }
                }
            },
        )
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generation() -> Arc<Generation> {
        Arc::new(Generation::new(
            "g".into(),
            "m".into(),
            "c".into(),
            "u".into(),
            "model".into(),
        ))
    }

    fn shown(events: &[Arc<GenEvent>]) -> Vec<(u64, &'static str, String)> {
        events
            .iter()
            .map(|e| (e.id, e.kind.name(), e.json.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn pieces_of_text_replay_as_the_events_they_were() {
        let generation = generation();
        generation.push(EventKind::Generation, &serde_json::json!({"id": "g"}));
        generation.push_reasoning("hmm ");
        generation.push_delta("Hel");
        generation.push_reasoning("late thought");
        generation.push_delta("lo, 世界");
        generation.push(EventKind::Done, &serde_json::json!({}));
        let all: Vec<_> = generation.subscribe(0).collect().await;
        assert_eq!(
            shown(&all),
            vec![
                (1, "generation", r#"{"id":"g"}"#.to_owned()),
                (2, "reasoning", r#"{"text":"hmm "}"#.to_owned()),
                (3, "delta", r#"{"text":"Hel"}"#.to_owned()),
                (4, "reasoning", r#"{"text":"late thought"}"#.to_owned()),
                (5, "delta", r#"{"text":"lo, 世界"}"#.to_owned()),
                (6, "done", "{}".to_owned()),
            ]
        );
        let resumed: Vec<_> = generation.subscribe(3).collect().await;
        assert_eq!(shown(&resumed), shown(&all[3..]));
        assert_eq!(
            generation.text(),
            ("Hello, 世界".to_owned(), "hmm late thought".to_owned())
        );
    }
}
