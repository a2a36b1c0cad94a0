//! Search past the walk: a user with more conversations than search reads
//! one by one (WALK_CONVERSATIONS) is answered from the trigram index for long
//! terms and by reading every conversation for short ones, on both engines,
//! still never with another user's documents; and a SQLite index from before
//! migration 0008 is renumbered by user on upgrade. Written through the store,
//! as hundreds of conversations over HTTP would be slow.

use crate::helpers::{Engine, TestDb};
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::{
    FinishedMessage, MAX_CANDIDATES, MessageRole, MessageStatus, NewConversation, NewExchange, NewUser, SearchTerms,
    Store,
};
use sqlx::sqlite::SqliteConnectOptions;
use std::str::FromStr;

on_both_engines!(
    old_conversations_beyond_the_walk_are_found_by_long_and_short_terms,
    a_common_term_fills_the_candidates_from_the_first_conversations,
    old_replies_are_found_once_they_stop_streaming,
);

// What a SQLite database indexed by migration 0005 looks like: one sequence
// of ids for every user and no owner slots. Migration 0008 is then undone in
// the book of applied migrations, so that the next start applies it.
const BEFORE_RANGES: &str = "
    CREATE TABLE old_docs AS SELECT row_number() OVER (ORDER BY id) AS id, user_id, conversation_id, message_id FROM search_docs;
    DELETE FROM search_docs;
    INSERT INTO search_docs (id, user_id, conversation_id, message_id) SELECT id, user_id, conversation_id, message_id FROM old_docs;
    DROP TABLE old_docs;
    INSERT INTO search_fts (search_fts) VALUES ('delete-all');
    INSERT INTO search_fts (rowid, body) SELECT d.id, COALESCE(m.content, c.title)
        FROM search_docs d JOIN conversations c ON c.id = d.conversation_id LEFT JOIN messages m ON m.id = d.message_id;
    DROP TABLE search_owners;
    DELETE FROM _sqlx_migrations WHERE version = 8;
";

/// More conversations than the walk reads.
const CONVERSATIONS: usize = 450;

struct Fixture {
    store: Store,
    alice: String,
    bob: String,
    /// Alice's conversations, oldest first.
    conversations: Vec<String>,
    db: TestDb,
    _dir: tempfile::TempDir,
}

async fn user(store: &Store, name: &str) -> String {
    store
        .insert_user(NewUser {
            username: name,
            password_hash: "$argon2id$placeholder",
            role: None,
        })
        .await
        .unwrap()
        .id
}

async fn conversation(store: &Store, user_id: &str, text: &str) -> String {
    let conversation = store
        .insert_conversation(NewConversation {
            user_id,
            title: "",
            model: None,
            system_prompt: None,
            params: "{}",
        })
        .await
        .unwrap();
    store
        .insert_exchange(NewExchange {
            conversation_id: &conversation.id,
            user_content: Some(text),
            parent_id: None,
            model: "m",
            generation_id: &format!("generation-{}", conversation.id),
        })
        .await
        .unwrap();
    conversation.id
}

/// Alice's oldest conversation holds the rare words; every other one says
/// "common"; Bob's one conversation holds the rare words too.
async fn fixture(engine: Engine) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(engine, dir.path()).await;
    let store = Store::connect(&parse_database_url(db.url()).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let mut conversations = vec![conversation(&store, &alice, "灯塔守望者 lighthouse keeper, 猫 on the rocks").await];
    for n in 1..CONVERSATIONS {
        conversations.push(conversation(&store, &alice, &format!("common talk number {n}")).await);
    }
    conversation(&store, &bob, "灯塔守望者 lighthouse keeper, 猫 of bob").await;
    Fixture {
        store,
        alice,
        bob,
        conversations,
        db,
        _dir: dir,
    }
}

async fn found(f: &Fixture, user_id: &str, q: &str) -> Vec<(String, String)> {
    let terms = SearchTerms::parse(q).unwrap();
    f.store
        .search(user_id, &terms)
        .await
        .unwrap()
        .into_iter()
        .map(|row| (row.conversation_id, row.body))
        .collect()
}

async fn old_conversations_beyond_the_walk_are_found_by_long_and_short_terms(engine: Engine) {
    let f = fixture(engine).await;
    let oldest = &f.conversations[0];
    for q in ["lighthouse", "灯塔守望者", "猫", "lighthouse 猫", "ROCKS 猫"] {
        let hits = found(&f, &f.alice, q).await;
        assert_eq!(hits.len(), 1, "{q}: {hits:?}");
        assert_eq!(&hits[0].0, oldest, "{q}");
        assert!(hits[0].1.contains("on the rocks"), "{q}: {hits:?}");
    }
    assert!(found(&f, &f.alice, "lighthouse 狗").await.is_empty());
    assert!(found(&f, &f.alice, "lighthouse nowhere").await.is_empty());
    let bobs = found(&f, &f.bob, "lighthouse 猫").await;
    assert_eq!(bobs.len(), 1);
    assert!(bobs[0].1.contains("of bob"));
}

async fn a_common_term_fills_the_candidates_from_the_first_conversations(engine: Engine) {
    let f = fixture(engine).await;
    let hits = found(&f, &f.alice, "common").await;
    assert_eq!(hits.len(), MAX_CANDIDATES);
    // The newest conversations, as the sidebar lists them; the oldest never.
    let newest = &f.conversations[CONVERSATIONS - MAX_CANDIDATES..];
    assert!(hits.iter().all(|(id, _)| newest.contains(id)), "{hits:?}");
    let long = found(&f, &f.alice, "common talk").await;
    assert_eq!(long.len(), MAX_CANDIDATES);
}

/// The reply of one of Alice's conversations.
async fn reply(f: &Fixture, conversation_id: &str) -> String {
    let messages = f.store.messages_of(conversation_id).await.unwrap();
    let reply = messages.iter().find(|m| m.role == MessageRole::Assistant).unwrap();
    reply.id.clone()
}

/// SQLite indexes a reply when it stops streaming (migration 0009): a
/// finished reply and one interrupted with its saved text are both found past
/// the walk.
async fn old_replies_are_found_once_they_stop_streaming(engine: Engine) {
    let f = fixture(engine).await;
    let finished = reply(&f, &f.conversations[1]).await;
    let interrupted = reply(&f, &f.conversations[2]).await;
    f.store
        .save_streaming_texts(&[
            (finished.clone(), "zebra crossing at".to_owned(), None),
            (interrupted.clone(), "walrus tusks in the".to_owned(), None),
        ])
        .await
        .unwrap();
    f.store
        .finish_message(FinishedMessage {
            id: &finished,
            content: "zebra crossing at dusk",
            reasoning: None,
            status: MessageStatus::Done,
            error_code: None,
            error_message: None,
            prompt_tokens: None,
            completion_tokens: None,
            reasoning_tokens: None,
            reasoning_ms: None,
            finish_reason: Some("stop"),
        })
        .await
        .unwrap();
    // Every reply but the finished one: Alice's others and Bob's.
    assert_eq!(f.store.mark_interrupted(None).await.unwrap(), CONVERSATIONS as u64);
    let zebra = found(&f, &f.alice, "zebra crossing at dusk").await;
    assert_eq!(zebra.len(), 1, "{zebra:?}");
    assert_eq!(zebra[0].0, f.conversations[1]);
    let walrus = found(&f, &f.alice, "walrus tusks").await;
    assert_eq!(walrus.len(), 1, "{walrus:?}");
    assert_eq!(walrus[0].0, f.conversations[2]);
    assert!(found(&f, &f.bob, "walrus").await.is_empty());
}

#[tokio::test]
async fn an_upgraded_sqlite_index_is_renumbered_by_user_and_still_finds_everything() {
    let f = fixture(Engine::Sqlite).await;
    let options = SqliteConnectOptions::from_str(f.db.url()).unwrap();
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::raw_sql(BEFORE_RANGES).execute(&pool).await.unwrap();
    pool.close().await;

    f.store.migrate().await.unwrap();
    let oldest = &f.conversations[0];
    for q in ["lighthouse", "猫", "lighthouse 猫"] {
        let hits = found(&f, &f.alice, q).await;
        assert_eq!(hits.len(), 1, "{q}: {hits:?}");
        assert_eq!(&hits[0].0, oldest, "{q}");
    }
    assert_eq!(found(&f, &f.bob, "lighthouse").await.len(), 1);
    assert_eq!(found(&f, &f.alice, "common").await.len(), MAX_CANDIDATES);
    // Writes after the upgrade take ids of the writer's range and are found.
    let later = conversation(&f.store, &f.bob, "a later lighthouse").await;
    let bobs = found(&f, &f.bob, "lighthouse").await;
    assert_eq!(bobs.len(), 2, "{bobs:?}");
    assert!(bobs.iter().any(|(id, _)| *id == later));
}
