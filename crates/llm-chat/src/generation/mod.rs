//! The generation manager: replies are written by tasks that belong to the
//! server, not to the request that asked. Each keeps a numbered event log that
//! any number of subscribers replay and follow; text is saved at least every
//! second and at the end, so a closed tab or a dropped connection loses nothing.

mod event;
mod limits;
mod persist;
mod running;
mod task;

pub use event::{EventKind, GenEvent};
pub use limits::LimitHit;
pub use running::Generation;
pub use task::GenerationPlan;

use crate::config::ChatSettings;
use crate::llm::UpstreamClient;
use crate::store::{Engine, Store, StoreError};
use limits::StartLimits;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How long a finished generation stays in memory for late subscribers.
const KEEP_FINISHED: Duration = Duration::from_secs(300);

pub struct GenerationManager {
    store: Store,
    client: UpstreamClient,
    live: Mutex<HashMap<String, Arc<Generation>>>,
    limits: StartLimits,
    max_concurrent_per_user: usize,
    stopping: AtomicBool,
}

/// The ids and model a new generation starts with.
pub struct NewGeneration {
    pub id: String,
    pub message_id: String,
    pub conversation_id: String,
    pub user_id: String,
    pub model: String,
}

#[derive(Serialize)]
struct GenerationData<'a> {
    generation_id: &'a str,
    message_id: &'a str,
    conversation_id: &'a str,
    model: &'a str,
}

impl GenerationManager {
    pub fn new(store: Store, client: UpstreamClient, settings: &ChatSettings) -> Arc<GenerationManager> {
        Arc::new(GenerationManager {
            store,
            client,
            live: Mutex::new(HashMap::new()),
            limits: StartLimits::new(settings.generations_per_minute),
            max_concurrent_per_user: settings.max_concurrent_per_user,
            stopping: AtomicBool::new(false),
        })
    }

    fn live(&self) -> MutexGuard<'_, HashMap<String, Arc<Generation>>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a new reply against the user's limits, or says when to retry.
    pub fn admit(&self, user_id: &str) -> Result<(), LimitHit> {
        let running = self
            .live()
            .values()
            .filter(|g| g.user_id == user_id && !g.is_finished())
            .count();
        if running >= self.max_concurrent_per_user {
            return Err(LimitHit::TooManyRunning {
                limit: self.max_concurrent_per_user,
            });
        }
        self.limits.try_start(user_id)
    }

    /// Starts writing a reply. `first` is logged before the `generation`
    /// event (the stored user message, when there is one).
    pub fn start(
        self: &Arc<Self>,
        new: NewGeneration,
        first: Option<&impl Serialize>,
        plan: GenerationPlan,
    ) -> Arc<Generation> {
        let generation = Arc::new(Generation::new(
            new.id,
            new.message_id,
            new.conversation_id,
            new.user_id,
            new.model,
        ));
        if let Some(message) = first {
            generation.push(EventKind::Message, message);
        }
        generation.push(
            EventKind::Generation,
            &GenerationData {
                generation_id: &generation.id,
                message_id: &generation.message_id,
                conversation_id: &generation.conversation_id,
                model: &generation.model,
            },
        );
        self.live().insert(generation.id.clone(), generation.clone());
        tokio::spawn(task::run(self.clone(), generation.clone(), plan));
        generation
    }

    /// A generation of `user_id` still in memory (running or recently ended).
    pub fn get(&self, generation_id: &str, user_id: &str) -> Option<Arc<Generation>> {
        self.live().get(generation_id).filter(|g| g.user_id == user_id).cloned()
    }

    /// Running generations, for the persister.
    fn running(&self) -> Vec<Arc<Generation>> {
        self.live().values().filter(|g| !g.is_finished()).cloned().collect()
    }

    /// Forgets a finished generation once late subscribers had their chance.
    fn retire(self: &Arc<Self>, generation: &Arc<Generation>) {
        let manager = Arc::downgrade(self);
        let id = generation.id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(KEEP_FINISHED).await;
            if let Some(manager) = manager.upgrade() {
                manager.live().remove(&id);
            }
        });
    }

    /// Stops every running generation because the server is stopping; their
    /// tasks save what arrived, as interrupted.
    pub fn interrupt_all(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for generation in self.running() {
            generation.cancel();
        }
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Waits until no generation is running, up to `limit`.
    pub async fn drain(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.running().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Marks replies a previous run left `streaming` as interrupted. SQLite has
    /// one server, so all of them; PostgreSQL may have other live replicas, so
    /// only those not saved within `stale`.
    pub async fn recover_interrupted(&self, stale: Duration) -> Result<u64, StoreError> {
        let before = match self.store.engine() {
            Engine::Sqlite => None,
            Engine::Postgres => Some(crate::store::now_ms() - i64::try_from(stale.as_millis()).unwrap_or(i64::MAX)),
        };
        self.store.mark_interrupted(before).await
    }

    /// Saves streaming text every half second (and keeps PostgreSQL replicas
    /// from taking live replies for interrupted).
    pub fn spawn_persister(self: &Arc<Self>, stale: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(persist::run(Arc::downgrade(self), stale))
    }
}
