//! Saving streaming replies in batches: one transaction per tick for every
//! reply whose text changed, so thousands of streams cost a few writes a second.

use super::GenerationManager;
use crate::store::{Engine, now_ms};
use std::sync::Weak;
use std::time::Duration;

/// At most this long between a token arriving and it being on disk.
const SAVE_EVERY: Duration = Duration::from_millis(500);

pub async fn run(manager: Weak<GenerationManager>, stale: Duration) {
    let mut tick = tokio::time::interval(SAVE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Live replies are touched well within `stale`, and other replicas' dead
    // ones are swept at the same pace.
    let heartbeat_ms = i64::try_from((stale / 3).as_millis()).unwrap_or(i64::MAX).max(1);
    let mut last_heartbeat = now_ms();
    loop {
        tick.tick().await;
        let Some(manager) = manager.upgrade() else {
            return;
        };
        let running = manager.running();
        let texts: Vec<(String, String, Option<String>)> = running
            .iter()
            .filter_map(|g| {
                g.take_dirty()
                    .map(|(content, reasoning)| (g.message_id.clone(), content, reasoning))
            })
            .collect();
        if let Err(err) = manager.store.save_streaming_texts(&texts).await {
            tracing::warn!(error = %err, replies = texts.len(), "could not save streaming replies; retrying next tick");
            for generation in &running {
                generation.mark_unsaved();
            }
        }
        if manager.store.engine() == Engine::Postgres && now_ms() - last_heartbeat >= heartbeat_ms {
            last_heartbeat = now_ms();
            let ids: Vec<String> = running.iter().map(|g| g.message_id.clone()).collect();
            if let Err(err) = manager.store.touch_streaming(&ids).await {
                tracing::warn!(error = %err, "could not mark streaming replies as alive");
            }
            match manager.recover_interrupted(stale).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(replies = n, "marked replies of a stopped replica as interrupted"),
                Err(err) => tracing::warn!(error = %err, "could not look for interrupted replies"),
            }
        }
    }
}
