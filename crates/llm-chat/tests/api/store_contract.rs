//! The storage contract, run against both engines through the public `Store`.

use crate::helpers::{Engine, TestDb};
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::{NewSession, NewUser, Role, SettingKey, Store, StoreError, now_ms};

on_both_engines!(
    migrations_are_idempotent_and_report_the_schema_version,
    users_are_found_by_name_in_any_case_and_names_are_unique,
    the_first_account_claims_admin_once,
    sessions_end_when_revoked_or_expired,
    settings_round_trip_as_json,
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
