//! Full-text search: Chinese, English and mixed queries find messages and
//! titles of the user's own conversations, and the index follows every write.

use crate::chat_support::{MockLlm, server_with};
use crate::helpers::{Engine, TestServer, error_code, read, run_command};
use crate::on_both_engines;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_engines!(
    chinese_english_and_mixed_queries_find_messages_and_titles,
    search_sees_only_the_users_own_conversations,
    the_index_follows_replies_renames_and_deletes,
    bad_searches_are_refused_with_the_field_to_fix,
);

/// Sends `text` and waits for the mock's reply, which echoes it.
async fn say(server: &TestServer, token: &str, conversation: &str, text: &str) {
    server
        .send_streaming(
            token,
            conversation,
            &json!({"content": format!("[[mock echo]] {text}")}),
        )
        .await
        .rest()
        .await;
}

async fn search(server: &TestServer, token: &str, q: &str) -> Vec<Value> {
    let (status, body) = search_raw(server, token, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn search_raw(server: &TestServer, token: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
    let url = reqwest::Url::parse_with_params(&server.url("/api/search"), query).unwrap();
    let response = server.client.get(url).bearer_auth(token).send().await.unwrap();
    read(response).await
}

/// The snippet with matched parts in brackets.
fn marked(hit: &Value) -> String {
    hit["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|part| {
            let text = part["text"].as_str().unwrap();
            if part["hit"] == true {
                format!("[{text}]")
            } else {
                text.to_owned()
            }
        })
        .collect()
}

/// The conversations the hits belong to, sorted, each once.
fn conversations_of(hits: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = hits
        .iter()
        .map(|h| h["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn reply_hit(hits: &[Value]) -> &Value {
    hits.iter()
        .find(|h| h["role"] == "assistant")
        .expect("no reply among the hits")
}

async fn rename(server: &TestServer, token: &str, conversation: &str, title: &str) {
    let response = server
        .send_json(
            Method::PATCH,
            &format!("/api/conversations/{conversation}"),
            Some(token),
            &json!({"title": title}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

async fn chinese_english_and_mixed_queries_find_messages_and_titles(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("searcher").await;
    let weather = server.new_conversation(&token).await;
    say(&server, &token, &weather, "今天的天气预报说明天会下雨").await;
    let rust = server.new_conversation(&token).await;
    say(&server, &token, &rust, "Rust 的异步编程需要 tokio 运行时").await;
    let cats = server.new_conversation(&token).await;
    say(&server, &token, &cats, "我的猫喜欢吃鱼, and my dog likes RUSTY bones").await;
    rename(&server, &token, &cats, "宠物 Pets 笔记").await;

    let hits = search(&server, &token, "天气预报").await;
    assert_eq!(conversations_of(&hits), [weather.as_str()]);
    assert!(
        marked(reply_hit(&hits)).contains("今天的[天气预报]说明天"),
        "{}",
        marked(reply_hit(&hits))
    );

    // Two characters are below the trigram length and still found.
    assert_eq!(
        conversations_of(&search(&server, &token, "天气").await),
        [weather.as_str()]
    );
    assert_eq!(conversations_of(&search(&server, &token, "猫").await), [cats.as_str()]);

    // Every word must be there: "rust" alone also finds "RUSTY", "异步" narrows it.
    let mut expected = vec![rust.clone(), cats.clone()];
    expected.sort();
    assert_eq!(conversations_of(&search(&server, &token, "rust").await), expected);
    let mixed = search(&server, &token, "RUST 异步").await;
    assert_eq!(conversations_of(&mixed), [rust.as_str()]);
    assert!(
        marked(reply_hit(&mixed)).contains("[Rust] 的[异步]编程"),
        "{}",
        marked(reply_hit(&mixed))
    );
    assert!(search(&server, &token, "rust 天气").await.is_empty());

    // Titles are searched too, and rank above the messages that match as well.
    let titled = search(&server, &token, "pets").await;
    assert_eq!(titled[0]["conversation_id"], cats.as_str());
    assert!(titled[0]["message_id"].is_null());
    assert_eq!(titled[0]["conversation_title"], "宠物 Pets 笔记");
    assert_eq!(marked(&titled[0]), "宠物 [Pets] 笔记");

    // Markup is returned as text for the client to show as text.
    let html = server.new_conversation(&token).await;
    say(&server, &token, &html, "<img src=x onerror=alert(1)> 注入测试").await;
    let hits = search(&server, &token, "注入测试").await;
    let hit = reply_hit(&hits);
    assert!(
        marked(hit).contains("<img src=x onerror=alert(1)> [注入测试]"),
        "{}",
        marked(hit)
    );
}

async fn search_sees_only_the_users_own_conversations(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let alice = server.register("alice").await;
    let bob = server.register("bob").await;
    let secret = server.new_conversation(&alice).await;
    say(&server, &alice, &secret, "机密的项目代号是 Nightingale").await;
    rename(&server, &alice, &secret, "机密 Nightingale").await;

    assert!(!search(&server, &alice, "nightingale").await.is_empty());
    for q in ["nightingale", "机密", "项目代号", "机"] {
        assert!(search(&server, &bob, q).await.is_empty(), "bob found {q}");
    }
    let (status, _) = read(server.get("/api/search?q=nightingale", None).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn the_index_follows_replies_renames_and_deletes(engine: Engine) {
    let mock = MockLlm::start().await;
    let server = server_with(engine, &mock, &[]).await;
    let token = server.register("editor").await;
    let conversation = server.new_conversation(&token).await;
    // The reply is written in several saves while it streams; the index holds the final text.
    server
        .send_streaming(
            &token,
            &conversation,
            &json!({"content": "[[mock echo delay=5]] 长长的回复内容 streaming words"}),
        )
        .await
        .rest()
        .await;
    let hits = search(&server, &token, "回复内容 streaming").await;
    let roles: Vec<&str> = hits.iter().filter_map(|h| h["role"].as_str()).collect();
    assert!(roles.contains(&"assistant") && roles.contains(&"user"), "{hits:?}");

    rename(&server, &token, &conversation, "旧标题 Alpha").await;
    assert_eq!(search(&server, &token, "alpha").await.len(), 1);
    rename(&server, &token, &conversation, "新标题 Beta").await;
    assert!(search(&server, &token, "alpha").await.is_empty());
    assert!(search(&server, &token, "旧标题").await.is_empty());
    assert_eq!(search(&server, &token, "新标题").await.len(), 1);

    let archived = server
        .send_json(
            Method::PATCH,
            &format!("/api/conversations/{conversation}"),
            Some(&token),
            &json!({"archived": true}),
        )
        .await;
    assert_eq!(archived.status(), StatusCode::OK);
    assert_eq!(search(&server, &token, "beta").await[0]["archived"], true);

    let deleted = server
        .send_json(
            Method::DELETE,
            &format!("/api/conversations/{conversation}"),
            Some(&token),
            &Value::Null,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for q in ["beta", "回复内容", "回复", "streaming"] {
        assert!(search(&server, &token, q).await.is_empty(), "{q} still found");
    }
}

async fn bad_searches_are_refused_with_the_field_to_fix(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("typo").await;
    let long = "字".repeat(201);
    let cases: [&[(&str, &str)]; 6] = [
        &[("q", "   ")],
        &[("q", long.as_str())],
        &[("q", "a b c d e f g h i")],
        &[("q", "ok"), ("limit", "0")],
        &[("q", "ok"), ("limit", "51")],
        &[("q", "ok"), ("cursor", "not-a-cursor")],
    ];
    for query in cases {
        let (status, body) = search_raw(&server, &token, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}: {body}");
        assert_eq!(error_code(&body), "invalid_field", "{body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    let (status, body) = search_raw(&server, &token, &[]).await;
    assert!(status.is_client_error(), "{body}");
}

#[tokio::test]
async fn search_pages_through_the_best_hits_with_a_cursor() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[]).await;
    let token = server.register("pager").await;
    let conversation = server.new_conversation(&token).await;
    for n in 0..3 {
        say(&server, &token, &conversation, &format!("分页测试 number {n}")).await;
    }
    let (_, first) = search_raw(&server, &token, &[("q", "分页测试"), ("limit", "4")]).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = search_raw(
        &server,
        &token,
        &[("q", "分页测试"), ("limit", "4"), ("cursor", cursor)],
    )
    .await;
    let rest = second["items"].as_array().unwrap();
    // Six messages and the title made from the first one.
    assert_eq!(rest.len(), 3);
    assert!(second["next_cursor"].is_null());
    let mut ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest)
        .map(|h| h["message_id"].as_str().unwrap_or("title"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7);
}

#[tokio::test]
async fn a_restored_backup_brings_its_search_index_and_later_writes_are_indexed() {
    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[]).await;
    let token = server.register("restorer").await;
    let kept = server.new_conversation(&token).await;
    say(&server, &token, &kept, "备份之前的内容 alpha").await;
    let data_dir = server.data_dir.path().display().to_string();
    let env = [
        ("DATABASE_URL", server.db.url()),
        ("DATA_DIR", data_dir.as_str()),
        ("SECRET_KEY", crate::helpers::TEST_SECRET),
    ];
    let backup = server.data_dir.path().join("search.db");
    let backup = backup.to_str().unwrap();
    let made = run_command(server.data_dir.path(), &env, &["backup", "-o", backup], None).await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let later = server.new_conversation(&token).await;
    say(&server, &token, &later, "备份之后的内容 omega").await;
    assert_eq!(
        conversations_of(&search(&server, &token, "omega").await),
        [later.as_str()]
    );

    let restored = run_command(server.data_dir.path(), &env, &["restore", "--force", backup], None).await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(
        conversations_of(&search(&server, &token, "备份之前").await),
        [kept.as_str()]
    );
    assert_eq!(
        conversations_of(&search(&server, &token, "内容").await),
        [kept.as_str()]
    );
    assert!(search(&server, &token, "omega").await.is_empty());

    let after = server.new_conversation(&token).await;
    say(&server, &token, &after, "恢复以后 gamma").await;
    assert_eq!(
        conversations_of(&search(&server, &token, "gamma").await),
        [after.as_str()]
    );
    let deleted = server
        .send_json(
            Method::DELETE,
            &format!("/api/conversations/{kept}"),
            Some(&token),
            &Value::Null,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert!(search(&server, &token, "alpha").await.is_empty());
}
