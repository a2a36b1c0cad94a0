//! Backups and restores with the real binary: a snapshot taken while the
//! server writes holds every row committed before it started, a restore
//! checks its file and keeps the data it replaces, and `serve` keeps its
//! backup schedule.

use crate::helpers::{Engine, PASSWORD, TestServer, run_command};
use reqwest::StatusCode;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The environment one-shot commands need to find the server's database.
fn env_of(server: &TestServer) -> Vec<(&'static str, String)> {
    vec![
        ("DATABASE_URL", server.db.url().to_owned()),
        ("DATA_DIR", server.data_dir.path().display().to_string()),
        ("SECRET_KEY", crate::helpers::TEST_SECRET.to_owned()),
    ]
}

async fn command(server: &TestServer, args: &[&str]) -> std::process::Output {
    let env = env_of(server);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_command(server.data_dir.path(), &env, args, None).await
}

fn database_file(server: &TestServer) -> PathBuf {
    server.data_dir.path().join("db").join("conversation.db")
}

async fn integrity(path: &Path) -> String {
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let answer: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    answer
}

#[tokio::test]
async fn a_backup_taken_during_writes_restores_every_row_committed_before_it() {
    let mut server = TestServer::start(Engine::Sqlite).await;
    let committed = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, base) = (server.client.clone(), server.base.clone());
        let (committed, stop) = (committed.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) && n < 400 {
                n += 1;
                let name = format!("writer-{n}");
                let response = client
                    .post(format!("{base}/api/auth/register"))
                    .json(&json!({"username": name, "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
                committed.lock().unwrap().push(name);
            }
        })
    };
    while committed.lock().unwrap().len() < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before_backup = committed.lock().unwrap().clone();
    let backup_path = server.data_dir.path().join("mid-write.db");
    let output = command(&server, &["backup", "--output", backup_path.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("integrity ok"));
    // Writes go on after the snapshot; the backup must not depend on them.
    while committed.lock().unwrap().len() < before_backup.len() + 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
    let written_in_all = committed.lock().unwrap().len();
    assert_eq!(integrity(&backup_path).await, "ok");

    server.terminate().await;
    let restored = command(&server, &["restore", backup_path.to_str().unwrap()]).await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let said = text(&restored.stdout);
    assert!(said.contains("before-restore-"), "{said}");
    assert_eq!(integrity(&database_file(&server)).await, "ok");
    let kept = std::fs::read_dir(database_file(&server).parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().contains(".before-restore-"));
    assert!(kept, "the replaced database was not kept");

    server.restart_stopped().await;
    for name in &before_backup {
        let response = server.login(name, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "{name} is missing");
    }
    let last = format!("writer-{written_in_all}");
    assert_eq!(
        server.login(&last, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "a row written after the backup came back"
    );
}

#[tokio::test]
async fn a_restore_refuses_a_running_server_unless_forced_and_then_swaps_the_data_in_place() {
    let server = TestServer::start(Engine::Sqlite).await;
    server.register("kept-user").await;
    let backup_path = server.data_dir.path().join("one-user.db");
    let output = command(&server, &["backup", "-o", backup_path.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    server.register("later-user").await;

    let refused = command(&server, &["restore", backup_path.to_str().unwrap()]).await;
    assert_eq!(refused.status.code(), Some(1));
    let message = text(&refused.stderr);
    assert!(
        message.contains("running llm-chat server") && message.contains("--force"),
        "{message}"
    );
    assert_eq!(server.login("later-user", PASSWORD).await.status(), StatusCode::OK);

    let forced = command(&server, &["restore", "--force", backup_path.to_str().unwrap()]).await;
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    // The running server serves the restored rows at once.
    assert_eq!(server.login("kept-user", PASSWORD).await.status(), StatusCode::OK);
    assert_eq!(
        server.login("later-user", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = crate::helpers::read(server.get("/api/ready", None).await).await;
    assert_eq!(status, StatusCode::OK);
    // The replaced data is kept, whole.
    let kept = std::fs::read_dir(database_file(&server).parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".before-restore-"))
        .expect("the replaced database was not kept");
    assert_eq!(integrity(&kept).await, "ok");
}

#[tokio::test]
async fn a_restore_refuses_files_that_are_not_sound_llm_chat_backups() {
    let server = TestServer::start(Engine::Sqlite).await;
    server.register("someone").await;
    let dir = server.data_dir.path();

    let garbage = dir.join("garbage.db");
    std::fs::write(&garbage, b"this is not a database at all").unwrap();
    let foreign = dir.join("foreign.db");
    let pool = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&foreign)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::query("CREATE TABLE notes (body TEXT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let newer = dir.join("newer.db");
    let output = command(&server, &["backup", "-o", newer.to_str().unwrap()]).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::new().filename(&newer))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time) \
         VALUES (999, 'from the future', CURRENT_TIMESTAMP, TRUE, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    for (file, expected) in [
        (&garbage, "not a SQLite database"),
        (&foreign, "not an llm-chat database"),
        (&newer, "newer release"),
        (&dir.join("missing.db"), "cannot read"),
    ] {
        let output = command(&server, &["restore", "--force", file.to_str().unwrap()]).await;
        assert_eq!(output.status.code(), Some(1), "{}", file.display());
        let message = text(&output.stderr);
        assert!(message.contains(expected), "{}: {message}", file.display());
    }
    // Nothing was touched: the server still has its user.
    assert_eq!(server.login("someone", PASSWORD).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn postgres_backups_and_restores_point_to_pg_dump_and_pg_restore() {
    let server = TestServer::start(Engine::Postgres).await;
    let backup = command(&server, &["backup"]).await;
    assert_eq!(backup.status.code(), Some(1));
    assert!(
        text(&backup.stderr).contains("pg_dump --format=custom"),
        "{}",
        text(&backup.stderr)
    );
    let restore = command(&server, &["restore", "x.dump"]).await;
    assert_eq!(restore.status.code(), Some(1));
    assert!(
        text(&restore.stderr).contains("pg_restore"),
        "{}",
        text(&restore.stderr)
    );
}

#[tokio::test]
async fn serve_takes_a_due_backup_and_keeps_only_the_newest_scheduled_ones() {
    let data = tempfile::tempdir().unwrap();
    let backups = data.path().join("db").join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let long_ago = SystemTime::now() - Duration::from_secs(3 * 24 * 3600);
    for name in [
        "conversation-auto-20200101-000000.db",
        "conversation-auto-20200102-000000.db",
        "conversation-auto-20200103-000000.db",
        "conversation-20200101-000000.db",
        // left by a backup that a stop cut short
        ".conversation-auto-20200104-000000.db.partial",
    ] {
        let file = std::fs::File::create(backups.join(name)).unwrap();
        file.set_modified(long_ago).unwrap();
    }
    let dir = data.path().display().to_string();
    let server = TestServer::start_with(
        Engine::Sqlite,
        &[
            ("DATABASE_URL", &format!("sqlite://{dir}/db/conversation.db")),
            ("DATA_DIR", &format!("{dir}/db")),
            ("BACKUP_INTERVAL", "1h"),
            ("BACKUP_KEEP", "2"),
        ],
    )
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let names = loop {
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        if names.len() == 3 && !names.iter().any(|n| n.contains("20200102")) {
            break names;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no scheduled backup within 20 s: {names:?}\n{}",
            server.output.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(names[0], "conversation-20200101-000000.db");
    assert_eq!(names[1], "conversation-auto-20200103-000000.db");
    assert!(names[2].starts_with("conversation-auto-20"), "{names:?}");
    assert_eq!(integrity(&backups.join(&names[2])).await, "ok");
    assert!(
        !backups.join(".conversation-auto-20200104-000000.db.partial").exists(),
        "an unfinished backup was left behind"
    );
    drop(server);
}
