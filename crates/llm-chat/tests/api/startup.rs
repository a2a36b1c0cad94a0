//! Starting up and one-shot commands: bad configuration, unusable database
//! folders, a taken port, the deployment guide's URL forms, and the CLI.

use crate::helpers::{BINARY, Engine, PASSWORD, TestServer, run_command};
use reqwest::StatusCode;

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn bad_configuration_stops_start_up_with_one_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    for (variable, value, hint) in [
        ("PORT", "80a", "port number"),
        ("PORT", "70000", "port number"),
        ("ALGORITHM", "RS256", "HS256"),
        ("DATABASE_URL", "mysql://root@localhost/chat", "sqlite:////"),
        ("DATABASE_URL", "sqlite::memory:", "sqlite:////"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "forever", "minutes"),
        ("LOG_LEVEL", "very=loud=please", "LOG_LEVEL"),
    ] {
        let output = run_command(dir.path(), &[("DATA_DIR", &data), (variable, value)], &[], None).await;
        assert_eq!(output.status.code(), Some(2), "{variable}={value}: {}", stderr(&output));
        let message = stderr(&output);
        let lines: Vec<&str> = message.lines().collect();
        assert_eq!(lines.len(), 1, "{variable}={value}: {message}");
        assert!(
            lines[0].contains(variable) && lines[0].contains(hint),
            "{variable}={value}: {message}"
        );
    }
}

#[tokio::test]
async fn a_dot_env_file_in_the_working_directory_is_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "# comment\nPORT=not-a-port\n").unwrap();
    let output = run_command(dir.path(), &[], &["serve"], None).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("PORT=\"not-a-port\""), "{}", stderr(&output));
}

#[tokio::test]
async fn an_unusable_database_folder_is_explained_with_uid_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: not even root can create the database there.
    std::fs::write(dir.path().join("db"), "").unwrap();
    let url = format!("sqlite:///{}/db/conversation.db", dir.path().display());
    let data = dir.path().display().to_string();
    let output = run_command(
        dir.path(),
        &[("DATABASE_URL", &url), ("DATA_DIR", &data), ("PORT", "0")],
        &["serve"],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    let uid = rustix::process::getuid().as_raw();
    assert!(message.contains(&format!("{}/db", dir.path().display())), "{message}");
    assert!(message.contains(&format!("uid {uid}")), "{message}");
    assert!(
        message.contains("Fix:") && message.contains("named volume"),
        "{message}"
    );
}

#[tokio::test]
async fn a_read_only_folder_is_explained_for_a_non_root_user() {
    // Root may write anywhere, so the check runs as `nobody` where the machine allows it.
    let dir = tempfile::tempdir().unwrap();
    let db_dir = dir.path().join("db");
    std::fs::create_dir(&db_dir).unwrap();
    let as_nobody = rustix::process::getuid().is_root()
        && std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    if !as_nobody && rustix::process::getuid().is_root() {
        eprintln!("skipped: running as root without setpriv");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db_dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let url = format!(
        "sqlite:////{}/conversation.db",
        db_dir.display().to_string().trim_start_matches('/')
    );
    let mut command = if as_nobody {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BINARY]);
        c
    } else {
        std::process::Command::new(BINARY)
    };
    let output = command
        .arg("migrate")
        .current_dir("/")
        .env_clear()
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let message = stderr(&output);
    if as_nobody && message.contains("Permission denied") && message.contains(BINARY) {
        eprintln!("skipped: the test binary is not reachable by nobody: {message}");
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(&db_dir.display().to_string()), "{message}");
    assert!(
        message.contains("Permission denied") || message.contains("permission denied"),
        "{message}"
    );
    let uid = if as_nobody {
        65534
    } else {
        rustix::process::getuid().as_raw()
    };
    assert!(message.contains(&format!("uid {uid}")), "{message}");
}

#[tokio::test]
async fn a_taken_port_is_explained() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let output = run_command(
        dir.path(),
        &[("HOST", "127.0.0.1"), ("PORT", &port), ("DATA_DIR", &data)],
        &[],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("already uses port {port}")) && message.contains("PORT"),
        "{message}"
    );
}

#[tokio::test]
async fn the_deployment_guides_four_slash_sqlite_url_is_an_absolute_path() {
    let dir = tempfile::tempdir().unwrap();
    let absolute = dir.path().join("app/db/conversation.db");
    // sqlite:////abs/path: the form the guide's docker-compose.yml uses.
    let url = format!("sqlite:///{}", absolute.display());
    assert!(url.starts_with("sqlite:////"));
    let server = TestServer::start_with(Engine::Sqlite, &[("DATABASE_URL", &url)]).await;
    assert_eq!(server.get("/api/ready", None).await.status(), StatusCode::OK);
    assert!(absolute.exists(), "{} was not created", absolute.display());
}

#[tokio::test]
async fn healthcheck_succeeds_against_a_running_server_and_fails_without_one() {
    let server = TestServer::start(Engine::Sqlite).await;
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ok = run_command(dir.path(), &[("PORT", &port)], &["healthcheck"], None).await;
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("大模型对话后端服务运行中"));

    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let down = run_command(dir.path(), &[("PORT", &free)], &["healthcheck", "--timeout", "2"], None).await;
    assert_eq!(down.status.code(), Some(1));
    assert!(stderr(&down).contains("did not answer"), "{}", stderr(&down));
}

#[tokio::test]
async fn migrate_then_user_commands_create_an_admin_and_reset_a_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let env = [("DATA_DIR", data.as_str())];

    let migrated = run_command(dir.path(), &env, &["migrate"], None).await;
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    // The newest migration's number (numbers may skip: each feature keeps its own).
    let newest = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter_map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .get(..4)?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap();
    let expected = format!("schema version {newest}");
    assert!(
        String::from_utf8_lossy(&migrated.stdout).contains(&expected),
        "{}",
        String::from_utf8_lossy(&migrated.stdout)
    );

    let created = run_command(
        dir.path(),
        &env,
        &["user", "create", "root-admin", "--admin", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert!(created.status.success(), "{}", stderr(&created));
    let again = run_command(
        dir.path(),
        &env,
        &["user", "create", "ROOT-admin", "--password-stdin"],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("taken"), "{}", stderr(&again));
    let no_password = run_command(dir.path(), &env, &["user", "create", "someone"], None).await;
    assert_eq!(no_password.status.code(), Some(1));
    assert!(
        stderr(&no_password).contains("--password-stdin"),
        "{}",
        stderr(&no_password)
    );

    let new_password = "reset by the operator";
    let reset = run_command(
        dir.path(),
        &env,
        &["user", "reset-password", "root-admin", "--password-stdin"],
        Some(new_password),
    )
    .await;
    assert!(reset.status.success(), "{}", stderr(&reset));
    let unknown = run_command(
        dir.path(),
        &env,
        &["user", "reset-password", "ghost", "--password-stdin"],
        Some(new_password),
    )
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("no user named"), "{}", stderr(&unknown));

    let url = format!("sqlite://{}/conversation.db", data);
    let server = TestServer::start_with(Engine::Sqlite, &[("DATABASE_URL", &url)]).await;
    let (status, body) = crate::helpers::read(server.login("root-admin", new_password).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["role"], "admin");
    assert_eq!(
        server.login("root-admin", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The admin made on the command line took the first-admin claim: a sign-up is a plain user.
    let token = server.register("first-web-user").await;
    let (_, me) = crate::helpers::read(server.get("/api/auth/me", Some(&token)).await).await;
    assert_eq!(me["role"], "user");
}

#[test]
fn every_command_has_useful_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["healthcheck", "--help"],
        vec!["migrate", "--help"],
        vec!["user", "create", "--help"],
        vec!["user", "reset-password", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["doctor", "--help"],
    ] {
        let output = std::process::Command::new(BINARY).args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.contains("Usage:") && text.lines().count() > 4, "{args:?}: {text}");
    }
}
