use crate::helpers::{Engine, TEST_SECRET, TestServer, error_code, read};
use crate::on_both_engines;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;

on_both_engines!(
    tampered_expired_and_revoked_tokens_are_refused,
    a_generated_secret_is_kept_and_tokens_survive_a_restart
);

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn assert_refused(server: &TestServer, token: &str, code: &str) {
    let response = server.get("/api/auth/me", Some(token)).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let (status, body) = read(response).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}: {body}");
    assert_eq!(error_code(&body), code, "{token}");
}

async fn tampered_expired_and_revoked_tokens_are_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("mallory").await;
    let claims = claims_of(&token);
    assert_eq!(server.get("/api/auth/me", Some(&token)).await.status(), StatusCode::OK);

    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = token.split('.').nth(1).unwrap();
    assert_refused(&server, &format!("{none_header}.{payload}."), "invalid_token").await;

    assert_refused(
        &server,
        &sign(&claims, Algorithm::HS256, "some other secret key of enough length"),
        "invalid_token",
    )
    .await;
    assert_refused(&server, &sign(&claims, Algorithm::HS512, TEST_SECRET), "invalid_token").await;

    let mut promoted = claims.clone();
    promoted["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let forged_payload = URL_SAFE_NO_PAD.encode(promoted.to_string());
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    assert_refused(
        &server,
        &format!("{header}.{forged_payload}.{signature}"),
        "invalid_token",
    )
    .await;

    let mut expired = claims.clone();
    expired["exp"] = json!(claims["iat"].as_u64().unwrap() - 3600);
    assert_refused(&server, &sign(&expired, Algorithm::HS256, TEST_SECRET), "token_expired").await;

    assert_refused(&server, "not-a-jwt", "invalid_token").await;
    let (status, body) = read(server.get("/api/auth/me", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(&body), "missing_token");

    assert_eq!(
        server.post("/api/auth/logout", Some(&token), &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_refused(&server, &token, "session_ended").await;
}

async fn a_generated_secret_is_kept_and_tokens_survive_a_restart(engine: Engine) {
    // An empty SECRET_KEY is what Docker Compose passes for an unset ${SECRET_KEY}.
    let mut server = TestServer::start_with(engine, &[("SECRET_KEY", "")]).await;
    let token = server.register("persistent").await;
    let key_file = server.data_dir.path().join("secret_key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        server.output.text().contains("SECRET_KEY is not set"),
        "{}",
        server.output.text()
    );

    server.restart().await;
    assert_eq!(server.get("/api/auth/me", Some(&token)).await.status(), StatusCode::OK);
    assert_refused(
        &server,
        &sign(&claims_of(&token), Algorithm::HS256, TEST_SECRET),
        "invalid_token",
    )
    .await;
}
