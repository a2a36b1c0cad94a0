//! The storage contract, run against both engines through the public `Store`.

use crate::helpers::{Engine, TestDb};
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::{
    MessageRole, MessageStatus, NewConversation, NewExchange, NewSession, NewUser, Role, SettingKey, Store, StoreError,
    now_ms,
};

on_both_engines!(
    migrations_are_idempotent_and_report_the_schema_version,
    users_are_found_by_name_in_any_case_and_names_are_unique,
    the_first_account_claims_admin_once,
    sessions_end_when_revoked_or_expired,
    settings_round_trip_as_json,
    exchanges_written_together_succeed_or_fail_one_by_one,
);

struct Fixture {
    store: Store,
    _db: TestDb,
    _dir: tempfile::TempDir,
}

async fn fixture(engine: Engine) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::create(engine, dir.path()).await;
    let store = Store::connect(&parse_database_url(db.url()).unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    Fixture {
        store,
        _db: db,
        _dir: dir,
    }
}

async fn user(store: &Store, name: &str, role: Option<Role>) -> Result<llm_chat::store::User, StoreError> {
    store
        .insert_user(NewUser {
            username: name,
            password_hash: "$argon2id$placeholder",
            role,
        })
        .await
}

async fn migrations_are_idempotent_and_report_the_schema_version(engine: Engine) {
    let f = fixture(engine).await;
    let again = f.store.migrate().await.unwrap();
    assert_eq!(again, f.store.latest_known_version());
    assert_eq!(f.store.schema_version().await.unwrap(), again);
    f.store.ping().await.unwrap();
}

async fn users_are_found_by_name_in_any_case_and_names_are_unique(engine: Engine) {
    let f = fixture(engine).await;
    let alice = user(&f.store, "Alice", Some(Role::User)).await.unwrap();
    let found = f.store.credentials_by_username("aLiCe").await.unwrap();
    assert_eq!(found.user, alice);
    assert_eq!(found.password_hash, "$argon2id$placeholder");
    assert!(matches!(
        user(&f.store, "ALICE", None).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        f.store.credentials_by_username("bob").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(f.store.user_by_id("missing").await, Err(StoreError::NotFound)));

    f.store.set_role(&alice.id, Role::Admin).await.unwrap();
    f.store.set_password_hash(&alice.id, "$argon2id$other").await.unwrap();
    let updated = f.store.credentials_by_id(&alice.id).await.unwrap();
    assert_eq!(updated.user.role, Role::Admin);
    assert_eq!(updated.password_hash, "$argon2id$other");
    assert!(matches!(
        f.store.set_role("missing", Role::User).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(f.store.count_users().await.unwrap(), 1);
    assert_eq!(f.store.list_users().await.unwrap(), vec![updated.user]);
}

async fn the_first_account_claims_admin_once(engine: Engine) {
    let f = fixture(engine).await;
    let (a, b, c) = tokio::join!(
        user(&f.store, "one", None),
        user(&f.store, "two", None),
        user(&f.store, "three", None)
    );
    let roles: Vec<Role> = [a, b, c].into_iter().map(|u| u.unwrap().role).collect();
    assert_eq!(roles.iter().filter(|r| **r == Role::Admin).count(), 1, "{roles:?}");
    let explicit = user(&f.store, "second-admin", Some(Role::Admin)).await.unwrap();
    assert_eq!(explicit.role, Role::Admin);
}

async fn sessions_end_when_revoked_or_expired(engine: Engine) {
    let f = fixture(engine).await;
    let u = user(&f.store, "sessions", None).await.unwrap();
    let later = now_ms() + 60_000;
    let a = f
        .store
        .insert_session(NewSession {
            user_id: &u.id,
            expires_at: later,
        })
        .await
        .unwrap();
    let b = f
        .store
        .insert_session(NewSession {
            user_id: &u.id,
            expires_at: later,
        })
        .await
        .unwrap();
    let expired = f
        .store
        .insert_session(NewSession {
            user_id: &u.id,
            expires_at: now_ms() - 1,
        })
        .await
        .unwrap();

    assert_eq!(f.store.user_of_live_session(&a.id, &u.id).await.unwrap(), u);
    assert!(matches!(
        f.store.user_of_live_session(&a.id, "someone-else").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        f.store.user_of_live_session(&expired.id, &u.id).await,
        Err(StoreError::NotFound)
    ));

    f.store.revoke_session(&a.id).await.unwrap();
    assert!(matches!(f.store.revoke_session(&a.id).await, Err(StoreError::NotFound)));
    assert!(matches!(
        f.store.user_of_live_session(&a.id, &u.id).await,
        Err(StoreError::NotFound)
    ));

    let c = f
        .store
        .insert_session(NewSession {
            user_id: &u.id,
            expires_at: later,
        })
        .await
        .unwrap();
    assert_eq!(f.store.revoke_user_sessions(&u.id, Some(&c.id)).await.unwrap(), 2);
    assert!(f.store.user_of_live_session(&c.id, &u.id).await.is_ok());
    assert!(matches!(
        f.store.user_of_live_session(&b.id, &u.id).await,
        Err(StoreError::NotFound)
    ));

    assert_eq!(f.store.delete_expired_sessions(0).await.unwrap(), 1);
}

async fn settings_round_trip_as_json(engine: Engine) {
    let f = fixture(engine).await;
    assert_eq!(
        f.store.setting::<bool>(SettingKey::RegistrationOpen).await.unwrap(),
        None
    );
    f.store.set_setting(SettingKey::RegistrationOpen, &false).await.unwrap();
    f.store.set_setting(SettingKey::RegistrationOpen, &true).await.unwrap();
    assert_eq!(
        f.store.setting::<bool>(SettingKey::RegistrationOpen).await.unwrap(),
        Some(true)
    );
    assert!(matches!(
        f.store.setting::<String>(SettingKey::RegistrationOpen).await,
        Err(StoreError::Corrupt(_))
    ));
}

/// Many replies starting at once (SQLite commits their exchanges together):
/// each gets its own messages, and one whose conversation is gone fails
/// alone without taking the others with it.
async fn exchanges_written_together_succeed_or_fail_one_by_one(engine: Engine) {
    let f = fixture(engine).await;
    let owner = user(&f.store, "alice", None).await.unwrap();
    let mut conversations = Vec::new();
    for _ in 0..40 {
        let conversation = f
            .store
            .insert_conversation(NewConversation {
                user_id: &owner.id,
                title: "t",
                model: None,
                system_prompt: None,
                params: "{}",
            })
            .await
            .unwrap();
        conversations.push(conversation.id);
    }
    let gone = "00000000-0000-7000-8000-000000000000".to_owned();
    let mut targets = conversations.clone();
    targets.insert(17, gone.clone());
    let writes = targets.iter().enumerate().map(|(n, conversation_id)| {
        let store = f.store.clone();
        let conversation_id = conversation_id.clone();
        tokio::spawn(async move {
            let content = format!("question {n}");
            let generation_id = format!("generation-{n}");
            store
                .insert_exchange(NewExchange {
                    conversation_id: &conversation_id,
                    user_content: Some(&content),
                    parent_id: None,
                    model: "m",
                    generation_id: &generation_id,
                })
                .await
        })
    });
    let results = futures_util::future::join_all(writes).await;
    for ((n, conversation_id), result) in targets.iter().enumerate().zip(results) {
        let written = result.unwrap();
        if *conversation_id == gone {
            assert!(written.is_err(), "an exchange in a missing conversation was written");
            continue;
        }
        let exchange = written.unwrap();
        let question = exchange.user_message.unwrap();
        assert_eq!(question.content, format!("question {n}"));
        assert_eq!(question.role, MessageRole::User);
        assert_eq!(
            exchange.assistant_message.parent_id.as_deref(),
            Some(question.id.as_str())
        );
        assert_eq!(exchange.assistant_message.status, MessageStatus::Streaming);
        assert_eq!(
            exchange.assistant_message.generation_id,
            Some(format!("generation-{n}"))
        );
        let stored = f.store.messages_of(conversation_id).await.unwrap();
        assert_eq!(stored.len(), 2, "{conversation_id}");
        let conversation = f.store.conversation(conversation_id, &owner.id).await.unwrap();
        assert_eq!(
            conversation.current_leaf_id.as_ref(),
            Some(&exchange.assistant_message.id)
        );
    }
}
