//! Seeding a database at scale in batches of multi-row INSERTs, written
//! against llm-chat's schema (the server has already migrated it): users,
//! their conversations, and chains of messages. One heavy user, the one the
//! measurements sign in as, holds a tenth of the conversations and one
//! conversation of `big_conversation` messages.

use super::database::Db;
use super::text::Words;
use sqlx::QueryBuilder;
use std::time::Instant;

/// How many rows to write.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Scale {
    pub users: usize,
    pub conversations: usize,
    pub messages: usize,
    pub big_conversation: usize,
}

/// What was written, for the measurements to use.
pub struct Seeded {
    pub big_conversation_id: String,
    pub messages: usize,
    pub seconds: f64,
}

const BATCH: usize = 1000;

/// Inserts `rows` into `table (columns)`, each row's values bound by `bind`,
/// on whichever engine `db` is.
macro_rules! insert {
    ($db:expr, $head:expr, $rows:expr, |$b:ident, $row:ident| $bind:expr) => {
        match $db {
            Db::Sqlite(pool) => {
                let mut query = QueryBuilder::<sqlx::Sqlite>::new($head);
                query.push_values($rows, |mut $b, $row| {
                    $bind;
                });
                query.build().execute(pool).await.map(|_| ())
            }
            Db::Postgres(pool) => {
                let mut query = QueryBuilder::<sqlx::Postgres>::new($head);
                query.push_values($rows, |mut $b, $row| {
                    $bind;
                });
                query.build().execute(pool).await.map(|_| ())
            }
        }
    };
}

struct ConversationRow {
    id: String,
    user_id: String,
    title: String,
    leaf: Option<String>,
    at: i64,
}

struct MessageRow {
    id: String,
    conversation_id: String,
    parent_id: Option<String>,
    role: &'static str,
    content: String,
    at: i64,
}

fn id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Seeds `scale` around the already registered `heavy_user_id`.
pub async fn seed(db: &Db, heavy_user_id: &str, scale: Scale) -> Result<Seeded, String> {
    let started = Instant::now();
    let err = |e: sqlx::Error| format!("seeding failed: {e}");
    let start_ms = crate::storage::now_ms() - 365 * 24 * 3600 * 1000;
    let mut users = vec![heavy_user_id.to_owned()];
    for chunk in (1..scale.users).collect::<Vec<_>>().chunks(BATCH) {
        let rows: Vec<(String, usize)> = chunk.iter().map(|n| (id(), *n)).collect();
        insert!(
            db,
            "INSERT INTO users (id, username, password_hash, role, created_at, updated_at) ",
            &rows,
            |b, row| {
                b.push_bind(row.0.clone())
                    .push_bind(format!("seeded-user-{}", row.1))
                    .push_bind("not a password hash: seeded users never sign in")
                    .push_bind("user")
                    .push_bind(start_ms)
                    .push_bind(start_ms)
            }
        )
        .map_err(err)?;
        users.extend(rows.into_iter().map(|(id, _)| id));
    }
    // The heavy user holds every tenth conversation; the others take the rest
    // in turn, so that everyone's conversations interleave in time as they
    // would on a live server (rows are written oldest first).
    let big_conversation_id = id();
    let mut words = Words::new(0x11c_4a7);
    let mut next_other = 0;
    // The other messages spread evenly; the first `extra` conversations take one more.
    let others = scale.conversations.saturating_sub(1).max(1);
    let rest = scale.messages.saturating_sub(scale.big_conversation);
    let (per_conversation, extra) = (rest / others, rest % others);
    let mut written = 0;
    let mut pending_conversations = Vec::with_capacity(BATCH);
    let mut pending_messages = Vec::with_capacity(BATCH);
    for n in 0..scale.conversations {
        let (conversation_id, user_id, count) = if n == 0 {
            (
                big_conversation_id.clone(),
                heavy_user_id.to_owned(),
                scale.big_conversation,
            )
        } else if n % 10 == 0 {
            (
                id(),
                heavy_user_id.to_owned(),
                per_conversation + usize::from(n <= extra),
            )
        } else {
            next_other += 1;
            let owner = 1 + (next_other - 1) % scale.users.saturating_sub(1).max(1);
            let count = per_conversation + usize::from(n <= extra);
            (id(), users.get(owner).cloned().unwrap_or_default(), count)
        };
        // The big conversation is the most recent, so it leads the heavy user's list.
        let slot = if n == 0 { scale.conversations } else { n };
        let at = start_ms + i64::try_from(slot * 1000).unwrap_or(0);
        let mut parent: Option<String> = None;
        for m in 0..count {
            let message_id = id();
            pending_messages.push(MessageRow {
                id: message_id.clone(),
                conversation_id: conversation_id.clone(),
                parent_id: parent.replace(message_id),
                role: if m % 2 == 0 { "user" } else { "assistant" },
                content: words.message(),
                at: at - i64::try_from(count - m).unwrap_or(0),
            });
        }
        pending_conversations.push(ConversationRow {
            id: conversation_id,
            user_id,
            title: words.title(),
            leaf: parent,
            at,
        });
        if pending_conversations.len() >= BATCH || n + 1 == scale.conversations {
            insert!(
                db,
                "INSERT INTO conversations (id, user_id, title, current_leaf_id, created_at, updated_at) ",
                pending_conversations.drain(..),
                |b, c| b
                    .push_bind(c.id)
                    .push_bind(c.user_id)
                    .push_bind(c.title)
                    .push_bind(c.leaf)
                    .push_bind(c.at)
                    .push_bind(c.at)
            )
            .map_err(err)?;
            // Messages after their conversations (foreign keys), parents before children.
            while !pending_messages.is_empty() {
                let take = pending_messages.len().min(BATCH);
                written += take;
                insert!(
                    db,
                    "INSERT INTO messages (id, conversation_id, parent_id, role, content, model, status, created_at, updated_at) ",
                    pending_messages.drain(..take),
                    |b, m| b
                        .push_bind(m.id)
                        .push_bind(m.conversation_id)
                        .push_bind(m.parent_id)
                        .push_bind(m.role)
                        .push_bind(m.content)
                        .push_bind((m.role == "assistant").then_some("mock-model"))
                        .push_bind("done")
                        .push_bind(m.at)
                        .push_bind(m.at)
                )
                .map_err(err)?;
            }
            if (n + 1) % (BATCH * 10) == 0 {
                eprintln!("storage: {} conversations, {written} messages…", n + 1);
            }
        }
    }
    if let Db::Postgres(pool) = db {
        // Autovacuum would have analysed a database that grew over time.
        sqlx::query("ANALYZE").execute(pool).await.map_err(err)?;
    }
    Ok(Seeded {
        big_conversation_id,
        messages: written,
        seconds: started.elapsed().as_secs_f64(),
    })
}
