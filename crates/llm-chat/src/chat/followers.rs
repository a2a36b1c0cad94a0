//! Following a reply that is not in this process's memory: one that finished
//! long enough ago to be forgotten, or one another replica is writing (seen
//! through the database, which it saves at least every second).

use crate::chat::views::MessageView;
use crate::generation::{EventKind, GenEvent};
use crate::store::{Message, MessageStatus, Store};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_millis(500);

struct Follow {
    store: Store,
    message: Message,
    /// Characters of the content already sent.
    sent: usize,
    next_id: u64,
    after: u64,
    ended: bool,
}

impl Follow {
    fn event(&mut self, kind: EventKind, data: &serde_json::Value) -> Option<Arc<GenEvent>> {
        let id = self.next_id;
        self.next_id += 1;
        (id > self.after).then(|| Arc::new(GenEvent::new(id, kind, data)))
    }
}

/// Events rebuilt from the stored reply: `generation`, the text as `delta`s,
/// then `done` or `error`. Numbered like a live stream of the same shape.
pub fn from_store(store: Store, message: Message, after: u64) -> BoxStream<'static, Arc<GenEvent>> {
    let follow = Follow {
        store,
        message,
        sent: 0,
        next_id: 1,
        after,
        ended: false,
    };
    stream::unfold(follow, |mut f| async move {
        loop {
            if f.ended {
                return None;
            }
            if f.next_id == 1 {
                let data = json!({
                    "generation_id": f.message.generation_id,
                    "message_id": f.message.id,
                    "conversation_id": f.message.conversation_id,
                    "model": f.message.model,
                });
                if let Some(event) = f.event(EventKind::Generation, &data) {
                    return Some((event, f));
                }
                continue;
            }
            let total = f.message.content.chars().count();
            if f.sent < total {
                let text: String = f.message.content.chars().skip(f.sent).collect();
                f.sent = total;
                if let Some(event) = f.event(EventKind::Delta, &json!({ "text": text })) {
                    return Some((event, f));
                }
                continue;
            }
            if f.message.status != MessageStatus::Streaming {
                f.ended = true;
                let reply = MessageView::from(f.message.clone());
                let terminal = match &reply.error {
                    Some(error) if reply.status == MessageStatus::Error || reply.status == MessageStatus::Interrupted => f.event(
                        EventKind::Error,
                        &json!({"code": error.code, "message": error.message, "reply": reply}),
                    ),
                    _ => f.event(
                        EventKind::Done,
                        &json!({"finish_reason": reply.finish_reason.clone().unwrap_or_else(|| "stop".to_owned()), "usage": reply.usage, "reply": reply}),
                    ),
                };
                return terminal.map(|event| (event, f));
            }
            tokio::time::sleep(POLL_EVERY).await;
            // Ownership was checked when the stream was opened.
            match f.store.message_by_id(&f.message.id).await {
                Ok(message) => f.message = message,
                Err(err) => {
                    tracing::warn!(error = %err, "stopped following a reply");
                    return None;
                }
            }
        }
    })
    .boxed()
}
