use crate::helpers::{Engine, PASSWORD, TestServer, error_code, read};
use crate::on_both_engines;
use llm_chat::config::parse_database_url;
use llm_chat::store::{Store, StoreError};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    an_admin_lists_and_searches_accounts_page_by_page,
    an_admin_creates_an_account_that_can_sign_in_even_with_registration_closed,
    only_an_admin_may_manage_accounts,
    a_disabled_account_is_signed_out_and_cannot_sign_in_until_enabled,
    a_password_reset_signs_the_account_out_and_the_new_password_works,
    the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted,
    deleting_an_account_needs_its_username_and_removes_its_conversations,
);

impl TestServer {
    async fn admin_users(&self, token: &str, query: &str) -> Value {
        let (status, body) = read(self.get(&format!("/api/admin/users{query}"), Some(token)).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn patch_user(&self, token: &str, id: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.send_json(Method::PATCH, &format!("/api/admin/users/{id}"), Some(token), body)
                .await,
        )
        .await
    }

    async fn delete_user(&self, token: &str, id: &str, confirm: &str) -> (StatusCode, Value) {
        let path = format!("/api/admin/users/{id}?confirm={confirm}");
        read(self.send_json(Method::DELETE, &path, Some(token), &Value::Null).await).await
    }

    async fn user_id(&self, token: &str) -> String {
        let (_, me) = read(self.get("/api/auth/me", Some(token)).await).await;
        me["id"].as_str().unwrap().to_owned()
    }
}

fn usernames(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect()
}

async fn an_admin_lists_and_searches_accounts_page_by_page(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    for name in ["alice", "bob", "Alicia", "carol"] {
        server.register(name).await;
    }
    let first = server.admin_users(&admin, "?limit=2").await;
    assert_eq!(usernames(&first), ["root", "alice"]);
    assert_eq!(first["items"][0]["role"], "admin");
    assert_eq!(first["items"][0]["disabled"], false);
    assert_eq!(first["items"][1]["conversation_count"], 0);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = server.admin_users(&admin, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(usernames(&second), ["bob", "Alicia"]);
    let cursor = second["next_cursor"].as_str().unwrap();
    let last = server.admin_users(&admin, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(usernames(&last), ["carol"]);
    assert_eq!(last["next_cursor"], Value::Null);

    let found = server.admin_users(&admin, "?q=ALI").await;
    assert_eq!(usernames(&found), ["alice", "Alicia"]);
    let (status, body) = read(server.get("/api/admin/users?limit=0", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "invalid_field");
}

async fn an_admin_creates_an_account_that_can_sign_in_even_with_registration_closed(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let closed = json!({"registration_open": false});
    server
        .send_json(Method::PATCH, "/api/admin/settings", Some(&admin), &closed)
        .await;

    let body = json!({"username": "新同事", "password": PASSWORD});
    let (status, created) = read(server.post("/api/admin/users", Some(&admin), &body).await).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["username"], "新同事");
    assert_eq!(created["role"], "user");
    let (status, _) = read(server.login("新同事", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);

    let body = json!({"username": "helper", "password": PASSWORD, "role": "admin"});
    let (_, created) = read(server.post("/api/admin/users", Some(&admin), &body).await).await;
    assert_eq!(created["role"], "admin");

    let (status, body) = read(server.post("/api/admin/users", Some(&admin), &body).await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "username_taken");
    let short = json!({"username": "shorty", "password": "short"});
    let (status, body) = read(server.post("/api/admin/users", Some(&admin), &short).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "password");
    let odd_role = json!({"username": "odd", "password": PASSWORD, "role": "owner"});
    let (status, _) = read(server.post("/api/admin/users", Some(&admin), &odd_role).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn only_an_admin_may_manage_accounts(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let user = server.register("mallory").await;
    let admin_id = server.user_id(&admin).await;

    let (status, body) = read(server.get("/api/admin/users", Some(&user)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "admin_only");
    let (status, _) = server.patch_user(&user, &admin_id, &json!({"disabled": true})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = server.delete_user(&user, &admin_id, "root").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = json!({"username": "sneaky", "password": PASSWORD, "role": "admin"});
    let (status, _) = read(server.post("/api/admin/users", Some(&user), &body).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = read(server.get("/api/admin/users", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = server
        .patch_user(&admin, "no-such-id", &json!({"disabled": true}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (_, me) = read(server.get("/api/auth/me", Some(&admin)).await).await;
    assert_eq!(me["role"], "admin", "nothing changed");
}

async fn a_disabled_account_is_signed_out_and_cannot_sign_in_until_enabled(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let user = server.register("dave").await;
    let id = server.user_id(&user).await;

    let (status, body) = server.patch_user(&admin, &id, &json!({"disabled": true})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["disabled"], true);
    let (status, _) = read(server.get("/api/auth/me", Some(&user)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = read(server.login("dave", PASSWORD).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "account_disabled");

    let (_, body) = server.patch_user(&admin, &id, &json!({"disabled": false})).await;
    assert_eq!(body["disabled"], false);
    let (status, _) = read(server.get("/api/auth/me", Some(&user)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "enabling does not revive old tokens");
    let (status, _) = read(server.login("dave", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);
}

async fn a_password_reset_signs_the_account_out_and_the_new_password_works(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let user = server.register("erin").await;
    let id = server.user_id(&user).await;

    let (status, body) = server.patch_user(&admin, &id, &json!({"password": "short"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "password");

    let (status, body) = server
        .patch_user(&admin, &id, &json!({"password": "a brand new password"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = read(server.get("/api/auth/me", Some(&user)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "session_ended");
    let (status, _) = read(server.login("erin", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = read(server.login("erin", "a brand new password").await).await;
    assert_eq!(status, StatusCode::OK);
}

async fn the_last_enabled_admin_cannot_be_demoted_disabled_or_deleted(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let admin_id = server.user_id(&admin).await;

    for change in [json!({"role": "user"}), json!({"disabled": true})] {
        let (status, body) = server.patch_user(&admin, &admin_id, &change).await;
        assert_eq!(status, StatusCode::CONFLICT, "{change}: {body}");
        assert_eq!(error_code(&body), "last_admin");
    }
    let (status, body) = server.delete_user(&admin, &admin_id, "root").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "last_admin");

    // A second admin who is disabled does not count.
    let second = server.register("deputy").await;
    let second_id = server.user_id(&second).await;
    let (_, body) = server
        .patch_user(&admin, &second_id, &json!({"role": "admin", "disabled": true}))
        .await;
    assert_eq!(
        (body["role"].as_str(), body["disabled"].as_bool()),
        (Some("admin"), Some(true))
    );
    let (status, _) = server.patch_user(&admin, &admin_id, &json!({"role": "user"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Once the deputy is enabled, the founder may step down.
    server.patch_user(&admin, &second_id, &json!({"disabled": false})).await;
    let (status, body) = server.patch_user(&admin, &admin_id, &json!({"role": "user"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "user");
    let (status, _) = read(server.get("/api/admin/users", Some(&admin)).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the demoted account is an admin no more");
}

async fn deleting_an_account_needs_its_username_and_removes_its_conversations(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("root").await;
    let user = server.register("frank").await;
    let id = server.user_id(&user).await;
    let mut conversations = Vec::new();
    for _ in 0..2 {
        let (status, body) = read(server.post("/api/conversations", Some(&user), &json!({})).await).await;
        assert_eq!(status, StatusCode::CREATED);
        conversations.push(body["id"].as_str().unwrap().to_owned());
    }
    let listed = server.admin_users(&admin, "?q=frank").await;
    assert_eq!(listed["items"][0]["conversation_count"], 2);

    let (status, body) = server.delete_user(&admin, &id, "FRANK").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(&body), "confirmation_required");
    let (status, _) = read(
        server
            .send_json(
                Method::DELETE,
                &format!("/api/admin/users/{id}"),
                Some(&admin),
                &Value::Null,
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "no confirmation at all");

    let (status, body) = server.delete_user(&admin, &id, "frank").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(usernames(&server.admin_users(&admin, "").await) == ["root"]);
    let (status, _) = read(server.get("/api/auth/me", Some(&user)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = read(server.login("frank", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.delete_user(&admin, &id, "frank").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let store = Store::connect(&parse_database_url(server.db.url()).unwrap())
        .await
        .unwrap();
    for conversation in &conversations {
        let gone = store.conversation(conversation, &id).await;
        assert!(
            matches!(gone, Err(StoreError::NotFound)),
            "{conversation} survived: {gone:?}"
        );
    }
    store.close().await;
    server.register("frank").await;
}
