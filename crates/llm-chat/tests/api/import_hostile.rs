//! Files an import must refuse: not JSON, cut off, wrong types, nested too
//! deep, too large, strings that cannot be stored or are too long, trees that
//! loop, formats it does not know. Each answers a 4xx that says what and where,
//! and leaves nothing behind, even when good conversations came first.

use crate::helpers::{Engine, TestServer, error_code};
use crate::on_both_engines;
use crate::transfer_support::fixture;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both_engines!(
    broken_json_is_refused_and_nothing_before_the_fault_is_kept,
    wrong_types_are_refused_naming_the_conversation_and_field,
    deep_nesting_is_refused,
    a_file_above_the_import_limit_is_refused_naming_the_limit,
    strings_that_cannot_be_stored_or_are_too_long_are_refused,
    files_of_no_known_format_are_refused,
    archives_with_broken_trees_or_a_newer_version_are_refused,
);

/// Imports `body` into an account that already holds one conversation,
/// expects `status` and `code`, checks nothing changed; the error message.
async fn refused(
    server: &TestServer,
    token: &str,
    body: impl Into<reqwest::Body>,
    status: StatusCode,
    code: &str,
) -> String {
    let before = server.sidebar(token).await;
    let (got, answer) = server.import(token, "", body).await;
    assert_eq!(got, status, "{answer}");
    assert_eq!(error_code(&answer), code, "{answer}");
    assert_eq!(
        server.sidebar(token).await,
        before,
        "the refused import left something behind"
    );
    answer["error"]["message"].as_str().unwrap().to_owned()
}

async fn account(server: &TestServer) -> String {
    let token = server.register("migrant").await;
    server.new_conversation(&token).await;
    token
}

/// The ChatGPT fixture's two good conversations followed by `tail` inside the array.
fn good_then(tail: &str) -> String {
    let good = String::from_utf8(fixture("chatgpt_conversations.json")).unwrap();
    let open = good.trim_end().trim_end_matches(']');
    format!("{open}, {tail}]")
}

async fn broken_json_is_refused_and_nothing_before_the_fault_is_kept(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    let message = refused(
        &server,
        &token,
        good_then("{\"title\": \"cut"),
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    assert!(message.contains("line"), "{message}");
    let cut = fixture("chatgpt_conversations.json");
    let half = cut[..cut.len() / 2].to_vec();
    refused(&server, &token, half, StatusCode::BAD_REQUEST, "invalid_json").await;
    refused(
        &server,
        &token,
        "[{\"mapping\": {}} garbage]",
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    // Trailing data after a complete file.
    refused(&server, &token, "[] []", StatusCode::BAD_REQUEST, "invalid_json").await;
}

async fn wrong_types_are_refused_naming_the_conversation_and_field(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    let message = refused(
        &server,
        &token,
        good_then(r#"{"title": "odd", "mapping": "not a map"}"#),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(
        message.starts_with("conversation 3 (\"odd\"), field mapping"),
        "{message}"
    );
    let message = refused(
        &server,
        &token,
        r#"[{"title": "t", "mapping": {"n": {"message": {"author": {"role": 7}}, "children": []}}}]"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(message.contains("mapping.n.message.author.role"), "{message}");
    let message = refused(
        &server,
        &token,
        r#"[{"id": "w", "chat": {"history": {"messages": {"a": {"role": "user", "content": 12}}}}}]"#,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(
        message.contains("message \"a\"") && message.contains("a number"),
        "{message}"
    );
    let message = refused(
        &server,
        &token,
        "[1, 2]",
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(message.contains("conversation 0"), "{message}");
}

async fn deep_nesting_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    let deep = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    let message = refused(
        &server,
        &token,
        deep,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(message.contains("nested more than 128 levels"), "{message}");
    // Deep inside an otherwise good conversation, after good ones.
    let nested = format!(
        r#"{{"title": "deep", "mapping": {{}}, "extra": {}1{}}}"#,
        "[".repeat(500),
        "]".repeat(500)
    );
    refused(
        &server,
        &token,
        good_then(&nested),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
}

async fn a_file_above_the_import_limit_is_refused_naming_the_limit(engine: Engine) {
    let server = TestServer::start_with(engine, &[("IMPORT_MAX_BYTES", "4096"), ("MAX_BODY_BYTES", "1024")]).await;
    let token = account(&server).await;
    let big = good_then(&format!(r#"{{"title": "{}", "mapping": {{}}}}"#, "x".repeat(8000)));
    let message = refused(&server, &token, big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    assert!(
        message.contains("4096 bytes") && message.contains("IMPORT_MAX_BYTES"),
        "{message}"
    );
    // Sent in chunks without a length, it is stopped while it arrives.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..16).map(|_| Ok(vec![b' '; 1024])).collect();
    let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, body) = server.import(&token, "", stream).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Above MAX_BODY_BYTES but within IMPORT_MAX_BYTES is fine.
    let fits =
        json!([{"id": "f", "title": "fits", "chat": {"messages": [{"role": "user", "content": "y".repeat(3000)}]}}]);
    let report = server.import_ok(&token, fits.to_string()).await;
    assert_eq!(report["imported"][0]["title"], "fits");
}

async fn strings_that_cannot_be_stored_or_are_too_long_are_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    let nul = json!([{"id": "n", "title": "nul", "chat": {"messages": [{"role": "user", "content": "a\u{0}b"}]}}]);
    let message = refused(
        &server,
        &token,
        nul.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(
        message.contains("conversation 0 (\"nul\")") && message.contains("NUL"),
        "{message}"
    );
    // A lone surrogate is not text at all.
    let surrogate = r#"[{"id": "s", "chat": {"messages": [{"role": "user", "content": "\ud800"}]}}]"#;
    refused(&server, &token, surrogate, StatusCode::BAD_REQUEST, "invalid_json").await;
    let long = json!([{"id": "l", "title": "long", "chat": {"messages": [{"role": "user", "content": "字".repeat(1_000_001)}]}}]);
    let message = refused(
        &server,
        &token,
        long.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(message.contains("longer than 1000000 characters"), "{message}");
    let id = json!([{"id": "i".repeat(5000), "chat": {"messages": [{"role": "user", "content": "hi"}]}}]);
    refused(
        &server,
        &token,
        id.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    // Markup is only text: stored as written, never interpreted.
    let markup = json!([{"id": "m", "title": "<script>alert(1)</script>", "chat": {"messages": [{"role": "user", "content": "<img src=x onerror=alert(1)>"}]}}]);
    let report = server.import_ok(&token, markup.to_string()).await;
    assert_eq!(report["imported"][0]["title"], "<script>alert(1)</script>");
}

async fn files_of_no_known_format_are_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    for body in [
        "",
        "   ",
        "\"text\"",
        "42",
        r#"{"hello": "world"}"#,
        r#"[{"title": "neither"}]"#,
    ] {
        let message = refused(
            &server,
            &token,
            body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_format",
        )
        .await;
        assert!(!message.is_empty());
    }
    refused(
        &server,
        &token,
        "not json",
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_format",
    )
    .await;
    // An empty list is a valid, empty export.
    let report = server.import_ok(&token, "[]").await;
    assert_eq!(report["imported"], json!([]));
    assert_eq!(report["format"], Value::Null);
}

async fn archives_with_broken_trees_or_a_newer_version_are_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = account(&server).await;
    let message = |id: &str, parent: Option<&str>| json!({"id": id, "parent_id": parent, "role": "user", "content": "x", "created_at": 1, "updated_at": 1});
    let archive = |messages: Value, version: u64| {
        json!({"format": "llm-chat-archive", "version": version, "conversations": [
            {"id": "c", "title": "loop", "created_at": 1, "updated_at": 1, "messages": messages}
        ]})
        .to_string()
    };
    let looped = archive(json!([message("a", Some("b")), message("b", Some("a"))]), 1);
    let text = refused(
        &server,
        &token,
        looped,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(text.contains("loop"), "{text}");
    let orphan = archive(json!([message("a", Some("gone"))]), 1);
    let text = refused(
        &server,
        &token,
        orphan,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(text.contains("\"gone\""), "{text}");
    let twice = archive(json!([message("a", None), message("a", None)]), 1);
    refused(
        &server,
        &token,
        twice,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    let newer = archive(json!([message("a", None)]), 2);
    let text = refused(
        &server,
        &token,
        newer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(text.contains("version"), "{text}");
    // Conversations read before a wrong `format` are not kept.
    let late = json!({"conversations": [{"id": "c", "title": "late", "created_at": 1, "updated_at": 1, "messages": [message("a", None)]}],
        "format": "someone-else"});
    let text = refused(
        &server,
        &token,
        late.to_string(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_format",
    )
    .await;
    assert!(text.contains("someone-else"), "{text}");
    let bad_role = archive(
        json!([{"id": "a", "role": "wizard", "content": "x", "created_at": 1, "updated_at": 1}]),
        1,
    );
    let text = refused(
        &server,
        &token,
        bad_role,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_import",
    )
    .await;
    assert!(text.contains("messages[0].role"), "{text}");
}
