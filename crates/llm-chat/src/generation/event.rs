//! The numbered events of a generation, serialised once and shared by every
//! subscriber (SSE and WebSocket alike).

use serde::Serialize;
use std::sync::Arc;

/// Event names, fixed by the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The stored user message.
    Message,
    /// Ids of the reply being written and the model writing it.
    Generation,
    /// A piece of a reasoning model's thinking.
    Reasoning,
    /// A piece of the answer.
    Delta,
    /// The conversation got a title.
    Title,
    /// The reply ended (finished, or stopped by the user).
    Done,
    /// The reply failed.
    Error,
}

impl EventKind {
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Message => "message",
            EventKind::Generation => "generation",
            EventKind::Reasoning => "reasoning",
            EventKind::Delta => "delta",
            EventKind::Title => "title",
            EventKind::Done => "done",
            EventKind::Error => "error",
        }
    }

    /// No event follows these.
    pub fn is_terminal(self) -> bool {
        matches!(self, EventKind::Done | EventKind::Error)
    }
}

/// One event: its number (from 1), its name and its JSON object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenEvent {
    pub id: u64,
    pub kind: EventKind,
    pub json: Arc<str>,
}

impl GenEvent {
    pub fn new(id: u64, kind: EventKind, data: &impl Serialize) -> GenEvent {
        let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
        GenEvent {
            id,
            kind,
            json: json.into(),
        }
    }

    /// The WebSocket frame: `{"type": <event name>, "id": <number>,
    /// "generation_id": …, "data": <the SSE data>}`.
    pub fn ws_frame(&self, generation_id: &str) -> String {
        format!(
            "{{\"type\":\"{}\",\"id\":{},\"generation_id\":{},\"data\":{}}}",
            self.kind.name(),
            self.id,
            serde_json::Value::String(generation_id.to_owned()),
            self.json
        )
    }
}

#[derive(Debug, Serialize)]
pub struct TextData<'a> {
    pub text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_frames_wrap_the_event_data() {
        let event = GenEvent::new(3, EventKind::Delta, &TextData { text: "hi" });
        let frame: serde_json::Value = serde_json::from_str(&event.ws_frame("g1")).unwrap();
        assert_eq!(
            frame,
            serde_json::json!({"type": "delta", "id": 3, "generation_id": "g1", "data": {"text": "hi"}})
        );
        let empty = GenEvent::new(1, EventKind::Done, &serde_json::json!({}));
        let frame: serde_json::Value = serde_json::from_str(&empty.ws_frame("g")).unwrap();
        assert_eq!(frame["type"], "done");
    }
}
