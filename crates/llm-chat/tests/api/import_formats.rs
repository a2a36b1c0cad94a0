//! Imports of ChatGPT's `conversations.json` and Open WebUI's chat export
//! (small fixtures written for these tests): branches, models, reasoning and
//! times survive, what is not a chat turn is left out and counted, the
//! sidebar orders by the imported times, search finds the imported text at
//! once, and importing the same file again adds nothing.

use crate::helpers::{Engine, TestServer, error_code, read, run_command};
use crate::on_both_engines;
use crate::transfer_support::{fixture, imported_titles, skipped_reasons};
use reqwest::StatusCode;
use serde_json::Value;

on_both_engines!(
    a_chatgpt_export_arrives_with_its_branches_models_reasoning_and_times,
    an_open_webui_export_arrives_with_its_branches_models_and_flags,
    importing_the_same_file_again_skips_everything_and_writes_nothing,
    imported_messages_and_titles_are_found_by_search,
    a_forced_format_that_does_not_fit_the_file_is_refused,
    two_imports_of_one_file_at_once_leave_one_copy,
);

/// Search hits for `q` as their full texts.
async fn found(server: &TestServer, token: &str, q: &str) -> Vec<String> {
    let url = reqwest::Url::parse_with_params(&server.url("/api/search"), &[("q", q)]).unwrap();
    let (status, found) = read(server.client.get(url).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| {
            hit["snippet"]
                .as_array()
                .unwrap()
                .iter()
                .map(|part| part["text"].as_str().unwrap())
                .collect()
        })
        .collect()
}

fn message<'a>(tree: &'a Value, content: &str) -> &'a Value {
    tree["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["content"] == content)
        .unwrap_or_else(|| panic!("no message {content:?} in {tree}"))
}

fn conversation_id<'a>(report: &'a Value, title: &str) -> &'a str {
    report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == title)
        .unwrap_or_else(|| panic!("{title:?} was not imported: {report}"))["conversation_id"]
        .as_str()
        .unwrap()
}

async fn a_chatgpt_export_arrives_with_its_branches_models_reasoning_and_times(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("migrant").await;
    let native = server.new_conversation(&token).await;

    let report = server.import_ok(&token, fixture("chatgpt_conversations.json")).await;
    assert_eq!(report["format"], "chatgpt");
    assert_eq!(imported_titles(&report), ["Rust lifetimes", "天气预报"]);
    assert_eq!(report["skipped"][0]["title"], "Nothing here");
    assert_eq!(report["skipped"][0]["index"], 2);
    assert!(skipped_reasons(&report)[0].contains("no messages"), "{report}");
    let rust = &report["imported"][0];
    assert_eq!(rust["messages"], 5);
    // The call to the Python tool and the tool's output.
    assert_eq!(rust["skipped_messages"], 2);

    let tree = server
        .conversation(&token, conversation_id(&report, "Rust lifetimes"))
        .await;
    assert_eq!(tree["conversation"]["created_at"], 1_700_000_000_000_i64);
    assert_eq!(tree["conversation"]["updated_at"], 1_700_000_300_250_i64);
    assert_eq!(tree["conversation"]["model"], "gpt-4o");
    let question = message(&tree, "What is a lifetime in Rust?");
    assert_eq!(question["role"], "user");
    assert_eq!(question["parent_id"], Value::Null);
    assert_eq!(question["created_at"], 1_700_000_000_000_i64);
    // Both answers to the first question are kept, as branches.
    let first = message(&tree, "A lifetime is the scope for which a reference is valid.");
    let second = message(&tree, "Lifetimes name the regions of code where a borrow lives.");
    assert_eq!(first["parent_id"], question["id"]);
    assert_eq!(second["parent_id"], question["id"]);
    assert_eq!(first["model"], "gpt-4o");
    assert_eq!(second["model"], "gpt-4o-mini");
    assert_eq!(first["created_at"], 1_700_000_010_500_i64);
    assert_eq!(first["status"], "done");
    // The image is left out of the question; the tool round trip is skipped
    // and the answer hangs from the question, thinking attached.
    let follow_up = message(&tree, "Compute 6 times 7 with Python");
    assert_eq!(follow_up["parent_id"], second["id"]);
    let answer = message(&tree, "6 × 7 = 42.");
    assert_eq!(answer["parent_id"], follow_up["id"]);
    assert_eq!(answer["reasoning"], "The tool printed 42.");
    assert_eq!(tree["current_leaf_id"], answer["id"]);

    let weather = server.conversation(&token, conversation_id(&report, "天气预报")).await;
    assert_eq!(message(&weather, "明天晴，最高气温二十五度。")["model"], "gpt-4");

    // The sidebar orders by the imported times: the conversation made today first.
    let titles: Vec<(String, i64)> = server
        .sidebar(&token)
        .await
        .into_iter()
        .map(|(id, title, at)| (if id == native { "(native)".to_owned() } else { title }, at))
        .collect();
    assert_eq!(titles[0].0, "(native)");
    assert_eq!(
        titles[1..],
        [
            ("天气预报".to_owned(), 1_700_100_050_000),
            ("Rust lifetimes".to_owned(), 1_700_000_300_250)
        ]
    );
}

async fn an_open_webui_export_arrives_with_its_branches_models_and_flags(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("migrant").await;
    let report = server.import_ok(&token, fixture("open_webui_chats.json")).await;
    assert_eq!(report["format"], "open-webui");
    assert_eq!(imported_titles(&report), ["Sourdough starter", "Salut"]);
    assert_eq!(report["skipped"], serde_json::json!([]));

    let tree = server
        .conversation(&token, conversation_id(&report, "Sourdough starter"))
        .await;
    assert_eq!(tree["conversation"]["pinned"], true);
    assert_eq!(tree["conversation"]["model"], "llama3.1:8b");
    assert_eq!(tree["conversation"]["created_at"], 1_715_000_000_000_i64);
    assert_eq!(tree["conversation"]["updated_at"], 1_715_000_125_000_i64);
    assert_eq!(tree["messages"].as_array().unwrap().len(), 5);
    let question = message(&tree, "How do I feed a sourdough starter?");
    let discard = message(&tree, "Discard half, then add equal weights of flour and water.");
    let daily = message(&tree, "Feed it once a day with flour and water at room temperature.");
    assert_eq!(discard["parent_id"], question["id"]);
    assert_eq!(daily["parent_id"], question["id"]);
    assert_eq!(discard["model"], "llama3.1:8b");
    // The thinking Open WebUI keeps inside the answer is the reasoning here.
    assert_eq!(
        discard["reasoning"],
        "The user keeps a starter.\nKeep the answer short & practical."
    );
    assert_eq!(discard["reasoning_ms"], 3000);
    assert_eq!(daily["model"], "qwen2.5:7b");
    assert_eq!(daily["created_at"], 1_715_000_060_000_i64);
    let weekly = message(&tree, "Then once a week is enough.");
    assert_eq!(tree["current_leaf_id"], weekly["id"]);

    // An older export without `history`: its messages follow one another.
    let (status, archived) = read(server.get("/api/conversations?archived=true", Some(&token)).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(archived["items"][0]["title"], "Salut");
    let old = server.conversation(&token, conversation_id(&report, "Salut")).await;
    let hello = message(&old, "Bonjour, quelle heure est-il à Tokyo ?");
    let reply = message(&old, "Je ne connais pas l'heure exacte, mais Tokyo est à UTC+9.");
    assert_eq!(reply["parent_id"], hello["id"]);
    assert_eq!(reply["model"], "mistral:7b");
    assert_eq!(old["current_leaf_id"], reply["id"]);
}

async fn importing_the_same_file_again_skips_everything_and_writes_nothing(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("migrant").await;
    let other = server.register("other").await;
    for file in ["chatgpt_conversations.json", "open_webui_chats.json"] {
        server.import_ok(&token, fixture(file)).await;
        let before = server.sidebar(&token).await;
        let again = server.import_ok(&token, fixture(file)).await;
        assert_eq!(again["imported"], serde_json::json!([]), "{again}");
        assert!(
            skipped_reasons(&again)
                .iter()
                .all(|r| *r == "already imported" || r.contains("no messages")),
            "{again}"
        );
        assert_eq!(server.sidebar(&token).await, before);
    }
    // Another account imports the same file for itself.
    let theirs = server.import_ok(&other, fixture("chatgpt_conversations.json")).await;
    assert_eq!(imported_titles(&theirs).len(), 2);

    // A deleted import can be imported again.
    let weather = server
        .sidebar(&token)
        .await
        .into_iter()
        .find(|(_, title, _)| title == "天气预报")
        .unwrap()
        .0;
    let deleted = server
        .send_json(
            reqwest::Method::DELETE,
            &format!("/api/conversations/{weather}"),
            Some(&token),
            &Value::Null,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let restored = server.import_ok(&token, fixture("chatgpt_conversations.json")).await;
    assert_eq!(imported_titles(&restored), ["天气预报"]);
}

async fn imported_messages_and_titles_are_found_by_search(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("migrant").await;
    server.import_ok(&token, fixture("chatgpt_conversations.json")).await;
    server.import_ok(&token, fixture("open_webui_chats.json")).await;
    for (query, expected) in [
        ("天气预报", "天气预报"),
        (
            "regions of code",
            "Lifetimes name the regions of code where a borrow lives.",
        ),
        ("once a week", "Then once a week is enough."),
        ("Sourdough", "Sourdough starter"),
    ] {
        let texts = found(&server, &token, query).await;
        assert!(texts.iter().any(|t| t == expected), "{query}: {texts:?}");
    }
}

async fn a_forced_format_that_does_not_fit_the_file_is_refused(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("migrant").await;
    let (status, body) = server
        .import(&token, "?format=open-webui", fixture("chatgpt_conversations.json"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid_import");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("conversation 0 (\"Rust lifetimes\")"), "{message}");
    assert!(message.contains("chat"), "{message}");
    let (status, body) = server
        .import(&token, "?format=llm-chat", fixture("open_webui_chats.json"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "unknown_format");
    let (status, body) = server.import(&token, "?format=docx", "[]").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid_field");
    assert!(server.sidebar(&token).await.is_empty());
}

/// SQLite only: `restore` swaps the database file (PostgreSQL uses pg_restore).
#[tokio::test]
async fn a_restored_backup_keeps_imports_searchable_and_remembered() {
    let server = TestServer::start(Engine::Sqlite).await;
    let token = server.register("restorer").await;
    server.import_ok(&token, fixture("chatgpt_conversations.json")).await;
    let data_dir = server.data_dir.path().display().to_string();
    let env = [
        ("DATABASE_URL", server.db.url()),
        ("DATA_DIR", data_dir.as_str()),
        ("SECRET_KEY", crate::helpers::TEST_SECRET),
    ];
    let backup = server.data_dir.path().join("imports.db");
    let backup = backup.to_str().unwrap();
    let made = run_command(server.data_dir.path(), &env, &["backup", "-o", backup], None).await;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    server.import_ok(&token, fixture("open_webui_chats.json")).await;
    assert!(!found(&server, &token, "once a week").await.is_empty());

    let restored = run_command(server.data_dir.path(), &env, &["restore", "--force", backup], None).await;
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert_eq!(found(&server, &token, "明天晴").await, ["明天晴，最高气温二十五度。"]);
    assert!(found(&server, &token, "once a week").await.is_empty());
    // What the backup held is still known as imported; what came later is not.
    let again = server.import_ok(&token, fixture("chatgpt_conversations.json")).await;
    assert_eq!(again["imported"], serde_json::json!([]), "{again}");
    let later = server.import_ok(&token, fixture("open_webui_chats.json")).await;
    assert_eq!(imported_titles(&later), ["Sourdough starter", "Salut"]);
    assert_eq!(
        found(&server, &token, "once a week").await,
        ["Then once a week is enough."]
    );
}

async fn two_imports_of_one_file_at_once_leave_one_copy(engine: Engine) {
    let server = TestServer::start(engine).await;
    let token = server.register("hasty").await;
    let file = fixture("chatgpt_conversations.json");
    let ((first, a), (second, b)) = tokio::join!(
        server.import(&token, "", file.clone()),
        server.import(&token, "", file.clone())
    );
    // Each either imported, skipped what the other wrote, or lost the race
    // and kept nothing.
    for (status, body) in [(first, &a), (second, &b)] {
        match status {
            StatusCode::OK => {}
            StatusCode::CONFLICT => assert_eq!(error_code(body), "conflict"),
            other => panic!("{other}: {body}"),
        }
    }
    let mut titles: Vec<String> = server.sidebar(&token).await.into_iter().map(|(_, t, _)| t).collect();
    titles.sort();
    assert_eq!(titles, ["Rust lifetimes", "天气预报"]);
}
