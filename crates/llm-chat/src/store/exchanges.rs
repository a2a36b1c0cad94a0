//! Group commit of new exchanges on SQLite. Every reply starts by writing its
//! exchange (user message, empty reply, current leaf) through the one write
//! connection; a hundred replies starting together would queue a hundred
//! transactions there, each paying its own BEGIN, COMMIT and WAL write. One
//! task takes every exchange waiting at that moment and commits them in one
//! transaction, so a burst costs a few commits instead of one per reply.

use super::messages::{Exchange, MessageStatus, NewExchange, write_exchange};
use super::{StoreError, now_ms};
use sqlx::SqlitePool;
use tokio::sync::{mpsc, oneshot};

/// The most exchanges one transaction carries, so the write connection is
/// not held long enough to delay the replies' saves.
const MOST_PER_TRANSACTION: usize = 128;
/// Exchanges waiting beyond this make their senders wait to queue.
const QUEUE_LENGTH: usize = 1024;

/// `NewExchange` with owned fields, to travel to the committing task.
struct QueuedExchange {
    conversation_id: String,
    user_content: Option<String>,
    parent_id: Option<String>,
    model: String,
    generation_id: String,
}

impl QueuedExchange {
    fn borrowed(&self) -> NewExchange<'_> {
        NewExchange {
            conversation_id: &self.conversation_id,
            user_content: self.user_content.as_deref(),
            parent_id: self.parent_id.as_deref(),
            model: &self.model,
            generation_id: &self.generation_id,
        }
    }
}

struct Waiting {
    exchange: QueuedExchange,
    answer: oneshot::Sender<Result<Exchange, StoreError>>,
}

/// The entry to the committing task; cheap to clone. The task ends when the
/// last clone is dropped.
#[derive(Clone)]
pub(crate) struct ExchangeQueue(mpsc::Sender<Waiting>);

impl ExchangeQueue {
    /// Starts the committing task on the current Tokio runtime.
    pub(super) fn start(write: SqlitePool) -> ExchangeQueue {
        let (sender, receiver) = mpsc::channel(QUEUE_LENGTH);
        tokio::spawn(commit_batches(write, receiver));
        ExchangeQueue(sender)
    }

    pub(super) async fn insert(&self, new: NewExchange<'_>) -> Result<Exchange, StoreError> {
        let (answer, answered) = oneshot::channel();
        let exchange = QueuedExchange {
            conversation_id: new.conversation_id.to_owned(),
            user_content: new.user_content.map(str::to_owned),
            parent_id: new.parent_id.map(str::to_owned),
            model: new.model.to_owned(),
            generation_id: new.generation_id.to_owned(),
        };
        self.0.send(Waiting { exchange, answer }).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the database writer has stopped; the server is shutting down".to_owned())
}

async fn commit_batches(write: SqlitePool, mut queue: mpsc::Receiver<Waiting>) {
    let mut batch = Vec::with_capacity(MOST_PER_TRANSACTION);
    while queue.recv_many(&mut batch, MOST_PER_TRANSACTION).await > 0 {
        commit(&write, std::mem::take(&mut batch)).await;
    }
}

async fn commit(write: &SqlitePool, batch: Vec<Waiting>) {
    let now = now_ms();
    let results = match together(write, &batch, now).await {
        Ok(exchanges) => exchanges.into_iter().map(Ok).collect(),
        // One exchange can fail alone (its conversation was deleted a moment
        // ago); it must not take the others with it, so each is tried again
        // in its own transaction and gets its own answer.
        Err(err) if batch.len() == 1 => vec![Err(err)],
        Err(_) => {
            let mut results = Vec::with_capacity(batch.len());
            for waiting in &batch {
                results.push(alone(write, &waiting.exchange, now).await);
            }
            results
        }
    };
    for (waiting, result) in batch.into_iter().zip(results) {
        if let Err(Ok(unwanted)) = waiting.answer.send(result) {
            abandon(write, &unwanted.assistant_message.id).await;
        }
    }
}

async fn together(write: &SqlitePool, batch: &[Waiting], now: i64) -> Result<Vec<Exchange>, StoreError> {
    let mut tx = write.begin().await?;
    let mut exchanges = Vec::with_capacity(batch.len());
    for waiting in batch {
        exchanges.push(write_exchange!(&mut *tx, waiting.exchange.borrowed(), now));
    }
    tx.commit().await?;
    Ok(exchanges)
}

async fn alone(write: &SqlitePool, exchange: &QueuedExchange, now: i64) -> Result<Exchange, StoreError> {
    let mut tx = write.begin().await?;
    let written = write_exchange!(&mut *tx, exchange.borrowed(), now);
    tx.commit().await?;
    Ok(written)
}

/// The sender went away (its client disconnected) before it could start the
/// reply: nothing will fill it, so it is closed as stopped rather than left
/// `streaming` until the next sweep.
async fn abandon(write: &SqlitePool, reply_id: &str) {
    const SQL: &str = "UPDATE messages SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'streaming'";
    let closed = sqlx::query(SQL)
        .bind(reply_id)
        .bind(MessageStatus::Cancelled.as_str())
        .bind(now_ms())
        .execute(write)
        .await;
    if let Err(err) = closed {
        tracing::warn!(reply = reply_id, error = %err, "cannot close a reply whose sender went away");
    }
}
