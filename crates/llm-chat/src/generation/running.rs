//! One running reply: its event log, the text so far, and the signal that
//! stops it. Subscribers replay the log from any point, then follow it live.

use super::event::{EventKind, GenEvent, TextData};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::Serialize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct Log {
    events: Vec<Arc<GenEvent>>,
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
        let id = {
            let mut log = self.log();
            let id = log.events.len() as u64 + 1;
            log.events.push(Arc::new(GenEvent::new(id, kind, data)));
            if kind.is_terminal() {
                log.finished = true;
            }
            id
        };
        self.changed.send_replace(id);
        id
    }

    pub fn push_delta(&self, text: &str) {
        {
            let mut log = self.log();
            log.content.push_str(text);
            if let (Some(since), None) = (log.thinking_since, log.thought_for) {
                log.thought_for = Some(since.elapsed());
            }
        }
        self.mark_dirty();
        self.push(EventKind::Delta, &TextData { text });
    }

    pub fn push_reasoning(&self, text: &str) {
        {
            let mut log = self.log();
            log.reasoning.push_str(text);
            log.thinking_since.get_or_insert_with(Instant::now);
        }
        self.mark_dirty();
        self.push(EventKind::Reasoning, &TextData { text });
    }

    fn mark_dirty(&self) {
        self.log().dirty = true;
    }

    /// A save failed: the text must be saved again next time.
    pub fn mark_unsaved(&self) {
        self.mark_dirty();
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
                        if let Some(event) = log.events.get(next).cloned() {
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
