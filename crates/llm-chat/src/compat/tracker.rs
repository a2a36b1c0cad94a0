//! Measures one completion of the API and records its usage row, also when
//! the caller goes away mid-stream (then as cancelled).

use crate::llm::Usage;
use crate::ops::metrics::{ActiveGuard, Source, metrics};
use crate::store::{NewUsage, Store, UsageOutcome, UsageSource};
use std::time::Duration;
use tokio::time::Instant;

pub struct Tracker {
    store: Store,
    user_id: String,
    model: String,
    provider: String,
    started: Instant,
    first_token: Option<Duration>,
    pub usage: Usage,
    recorded: bool,
    _active: Option<ActiveGuard>,
}

impl Tracker {
    pub fn start(store: Store, user_id: &str, model: &str, provider: &str) -> Tracker {
        Tracker {
            store,
            user_id: user_id.to_owned(),
            model: model.to_owned(),
            provider: provider.to_owned(),
            started: Instant::now(),
            first_token: None,
            usage: Usage::default(),
            recorded: false,
            _active: Some(metrics().generation_started(Source::Api)),
        }
    }

    /// Notes the first token's arrival (later calls change nothing).
    pub fn first_token(&mut self) {
        let elapsed = self.started.elapsed();
        self.first_token.get_or_insert(elapsed);
    }

    /// Records the usage row; an error code here is the model server's.
    pub async fn finish(mut self, outcome: UsageOutcome, error_code: Option<&'static str>) {
        self.recorded = true;
        if let Some(code) = error_code {
            metrics().upstream_error(code);
        }
        record(&self, outcome, error_code).await;
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if self.recorded {
            return;
        }
        let unfinished = Tracker {
            store: self.store.clone(),
            user_id: std::mem::take(&mut self.user_id),
            model: std::mem::take(&mut self.model),
            provider: std::mem::take(&mut self.provider),
            started: self.started,
            first_token: self.first_token,
            usage: self.usage,
            recorded: true,
            _active: self._active.take(),
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { record(&unfinished, UsageOutcome::Cancelled, None).await });
        }
    }
}

async fn record(tracker: &Tracker, outcome: UsageOutcome, error_code: Option<&'static str>) {
    let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let recorded = tracker
        .store
        .insert_usage(NewUsage {
            user_id: &tracker.user_id,
            model: &tracker.model,
            provider: &tracker.provider,
            source: UsageSource::Api,
            prompt_tokens: tracker.usage.prompt_tokens,
            completion_tokens: tracker.usage.completion_tokens,
            reasoning_tokens: tracker.usage.reasoning_tokens,
            first_token_ms: tracker.first_token.map(millis),
            total_ms: millis(tracker.started.elapsed()),
            outcome,
            error_code,
        })
        .await;
    if let Err(err) = recorded {
        tracing::warn!(error = %err, "could not record the usage of an API completion");
    }
}
