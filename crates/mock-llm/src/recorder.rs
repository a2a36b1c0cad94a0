//! Remembers the request bodies received, so tests can assert what llm-chat
//! sent upstream (the context of a branch, the absence of reasoning, …).

use std::collections::VecDeque;
use std::sync::Mutex;

const KEEP: usize = 10_000;

#[derive(Default)]
pub struct Recorder {
    bodies: Mutex<VecDeque<serde_json::Value>>,
}

impl Recorder {
    pub fn record(&self, body: serde_json::Value) {
        let mut bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        if bodies.len() == KEEP {
            bodies.pop_front();
        }
        bodies.push_back(body);
    }

    pub fn all(&self) -> Vec<serde_json::Value> {
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.bodies.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
