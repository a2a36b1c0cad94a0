//! Search past the walk: a user with more conversations than search reads
//! one by one (WALK_CONVERSATIONS) is answered from the trigram index for long
//! terms and by reading every conversation for short ones, on both engines,
//! still never with another user's documents. Written through the store, as
//! hundreds of conversations over HTTP would be slow.

use crate::helpers::{Engine, TestDb};
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::{MAX_CANDIDATES, NewConversation, NewExchange, NewUser, SearchTerms, Store};

on_both_engines!(
    old_conversations_beyond_the_walk_are_found_by_long_and_short_terms,
    a_common_term_fills_the_candidates_from_the_first_conversations,
);

/// More conversations than the walk reads.
const CONVERSATIONS: usize = 450;

struct Fixture {
    store: Store,
    alice: String,
    bob: String,
    /// Alice's conversations, oldest first.
    conversations: Vec<String>,
    _db: TestDb,
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
        _db: db,
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
