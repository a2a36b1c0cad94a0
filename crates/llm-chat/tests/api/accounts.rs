use crate::helpers::{Engine, PASSWORD, TestServer, error_code, read};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_engines!(
    a_new_user_registers_signs_in_sees_themself_and_signs_out,
    the_first_account_becomes_admin_and_later_ones_do_not,
    a_wrong_password_and_an_unknown_user_get_the_same_answer,
    usernames_are_unique_regardless_of_case,
    unacceptable_usernames_and_passwords_name_the_field,
    an_admin_can_close_registration_and_users_cannot_reopen_it,
    changing_the_password_signs_out_other_sessions,
    the_docs_authorize_form_can_sign_in,
    repeated_failed_logins_are_refused_with_retry_after,
);

async fn a_new_user_registers_signs_in_sees_themself_and_signs_out(engine: Engine) {
    let server = TestServer::start(engine).await;
    let (status, registered) = server.try_register("张小明", PASSWORD).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    assert_eq!(registered["token_type"], "bearer");
    assert_eq!(registered["expires_in"], 10080 * 60);
    assert_eq!(registered["user"]["username"], "张小明");

    let (status, login) = read(server.login("张小明", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let token = login["access_token"].as_str().unwrap();

    let (status, me) = read(server.get("/api/auth/me", Some(token)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "张小明");
    assert_eq!(me["id"], registered["user"]["id"]);
    assert!(me.get("password_hash").is_none());

    let (status, _) = read(server.post("/api/auth/logout", Some(token), &json!({})).await).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = read(server.get("/api/auth/me", Some(token)).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "session_ended");

    // The registration token is another session and still works.
    let first = registered["access_token"].as_str().unwrap();
    assert_eq!(server.get("/api/auth/me", Some(first)).await.status(), StatusCode::OK);
}

async fn the_first_account_becomes_admin_and_later_ones_do_not(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("founder").await;
    let user = server.register("second").await;
    let (_, me) = read(server.get("/api/auth/me", Some(&admin)).await).await;
    assert_eq!(me["role"], "admin");
    let (_, me) = read(server.get("/api/auth/me", Some(&user)).await).await;
    assert_eq!(me["role"], "user");
}

async fn a_wrong_password_and_an_unknown_user_get_the_same_answer(engine: Engine) {
    let server = TestServer::start(engine).await;
    server.register("alice").await;
    let (status, wrong) = read(server.login("alice", "not the password").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, unknown) = read(server.login("nobody", PASSWORD).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&wrong), "invalid_credentials");
    assert_eq!(wrong, unknown);
}

async fn usernames_are_unique_regardless_of_case(engine: Engine) {
    let server = TestServer::start(engine).await;
    server.register("Alice").await;
    let (status, body) = server.try_register("alice", PASSWORD).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "username_taken");
    let (status, _) = read(server.login("ALICE", PASSWORD).await).await;
    assert_eq!(status, StatusCode::OK);
}

async fn unacceptable_usernames_and_passwords_name_the_field(engine: Engine) {
    let server = TestServer::start(engine).await;
    for (username, password, field) in [
        ("ab", PASSWORD, "username"),
        ("bob smith", PASSWORD, "username"),
        ("bob", "short", "password"),
    ] {
        let (status, body) = server.try_register(username, password).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{username}: {body}");
        assert_eq!(error_code(&body), "invalid_field");
        assert_eq!(body["error"]["field"], field);
    }
    let (status, body) = read(
        server
            .post("/api/auth/register", None, &json!({"username": "bob"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"].as_str().unwrap().contains("password"),
        "{body}"
    );
    let response = server
        .client
        .post(server.url("/api/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "invalid_json");
}

async fn an_admin_can_close_registration_and_users_cannot_reopen_it(engine: Engine) {
    let server = TestServer::start(engine).await;
    let admin = server.register("admin").await;
    let user = server.register("user").await;

    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                "/api/admin/settings",
                Some(&user),
                &json!({"registration_open": false}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "admin_only");

    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                "/api/admin/settings",
                Some(&admin),
                &json!({"registration_open": false}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["registration_open"], false);

    let (status, body) = server.try_register("latecomer", PASSWORD).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "registration_closed");

    let (_, body) = read(server.get("/api/admin/settings", Some(&admin)).await).await;
    assert_eq!(body["registration_open"], false);
    let (status, body) = read(
        server
            .send_json(
                Method::PATCH,
                "/api/admin/settings",
                Some(&admin),
                &json!({"registration_open": "yes"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn changing_the_password_signs_out_other_sessions(engine: Engine) {
    let server = TestServer::start(engine).await;
    let other_session = server.register("carol").await;
    let (_, login) = read(server.login("carol", PASSWORD).await).await;
    let token = login["access_token"].as_str().unwrap();
    let new_password = "a much better password";

    let (status, body) = read(
        server
            .send_json(
                Method::PUT,
                "/api/auth/password",
                Some(token),
                &json!({"current_password": "wrong guess", "new_password": new_password}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "wrong_password");

    let (status, body) = read(
        server
            .send_json(
                Method::PUT,
                "/api/auth/password",
                Some(token),
                &json!({"current_password": PASSWORD, "new_password": new_password}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(server.get("/api/auth/me", Some(token)).await.status(), StatusCode::OK);
    assert_eq!(
        server.get("/api/auth/me", Some(&other_session)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.login("carol", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.login("carol", new_password).await.status(), StatusCode::OK);
}

async fn the_docs_authorize_form_can_sign_in(engine: Engine) {
    let server = TestServer::start(engine).await;
    server.register("dave").await;
    let response = server
        .client
        .post(server.url("/api/auth/login"))
        .form(&[("grant_type", "password"), ("username", "dave"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    let response = server
        .client
        .post(server.url("/api/auth/login"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("username", "dave"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "unsupported_grant_type");
}

async fn repeated_failed_logins_are_refused_with_retry_after(engine: Engine) {
    let server = TestServer::start(engine).await;
    server.register("erin").await;
    for _ in 0..5 {
        assert_eq!(
            server.login("erin", "guess guess").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let response = server.login("erin", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 60 && retry_after <= 300, "{retry_after}");
    let (_, body) = read(response).await;
    assert_eq!(error_code(&body), "too_many_attempts");
    // Another account from the same address is not locked by erin's failures.
    server.register("frank").await;
    assert_eq!(server.login("frank", PASSWORD).await.status(), StatusCode::OK);
}
