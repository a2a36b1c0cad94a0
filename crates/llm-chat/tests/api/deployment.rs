//! The Docker image without a Docker engine: the static binary, and a
//! container-like run (unprivileged uid, read-only root, only /app/db and
//! /app/logs writable) under bubblewrap. The compose files: `docker_files.rs`.
//!
//! The tools come from `bash .ci/run`, which installs them and builds the
//! static binary once; the tests fail with that hint when one is missing.

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
    for dir in ["app/db", "app/logs", "etc", "proc", "tmp"] {
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
/// No /dev at all: the secret key must come from the getrandom system call.
fn contained(root: &Path, db: &Path, logs: &Path, port: &str, args: &[&str]) -> tokio::process::Command {
    let bwrap = tool("BWRAP_BIN", "/usr/bin/bwrap", "bubblewrap (Debian package bubblewrap)");
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
        .args(["--proc", "/proc", "--chdir", "/app"])
        .arg("--clearenv")
        // The image's ENV, but on loopback only.
        .args(["--setenv", "HOST", "127.0.0.1", "--setenv", "PORT", port])
        .args(["--setenv", "DATABASE_URL", "sqlite:////app/db/conversation.db"])
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
    let client = crate::helpers::http_client();

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
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));

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
    assert_eq!(login.status(), 200, "the account did not survive the restart");
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
        names(logs.path()).iter().any(|n| n.starts_with("llm-chat.")),
        "no log file"
    );
    // Nothing but the two volumes was writable.
    let mut root_files = names(&root.path().join("app"));
    root_files.sort();
    assert_eq!(root_files, ["db", "llm-chat", "logs"]);
}
