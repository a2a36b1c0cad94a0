//! Starting the real `llm-chat` binary against a fresh database and talking
//! HTTP to it. Each test gets its own data folder and, on PostgreSQL, its own
//! database, created here and dropped when the test ends.

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

pub const BINARY: &str = env!("CARGO_BIN_EXE_llm-chat");
pub const TEST_SECRET: &str = "test-secret-key-with-at-least-32-bytes!!";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(engine: Engine)` once per engine, as
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Engine::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test] async fn $name() { super::$name($crate::helpers::Engine::Postgres).await } )*
        }
    };
}

/// The PostgreSQL server tests may create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database that exists for one test.
pub enum TestDb {
    Sqlite { url: String },
    Postgres { url: String, name: String },
}

impl TestDb {
    pub async fn create(engine: Engine, data_dir: &Path) -> TestDb {
        match engine {
            Engine::Sqlite => TestDb::Sqlite {
                url: format!("sqlite://{}", data_dir.join("db").join("conversation.db").display()),
            },
            Engine::Postgres => {
                let name = format!("llmchat_test_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::PgPool::connect(&postgres_admin_url())
                    .await
                    .unwrap_or_else(|err| {
                        panic!(
                            "PostgreSQL is needed for this test and did not answer at {} ({err}); \
                         start it or set TEST_DATABASE_URL (bash .ci/run does both)",
                            postgres_admin_url()
                        )
                    });
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                TestDb::Postgres {
                    url: with_database(&postgres_admin_url(), &name),
                    name,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Removes the PostgreSQL database now, cutting off anyone connected.
    pub async fn drop_now(&self) {
        if let TestDb::Postgres { name, .. } = self {
            drop_database(name.clone()).await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name, .. } = self {
            let name = name.clone();
            // Drop can't await; a separate thread with its own runtime can.
            let _ = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| rt.block_on(drop_database(name)))
            })
            .join();
        }
    }
}

async fn drop_database(name: String) {
    if let Ok(admin) = sqlx::PgPool::connect(&postgres_admin_url()).await {
        let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
        admin.close().await;
    }
}

/// `postgres://u@h:5432/test?x` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// Output of the server process, collected as it runs.
#[derive(Clone, Default)]
pub struct Output(Arc<Mutex<String>>);

impl Output {
    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }

    fn collect(&self, stream: impl AsyncRead + Unpin + Send + 'static) {
        let sink = self.0.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
    }
}

/// An HTTP client for talking to the servers under test.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A running `llm-chat serve` with its own data folder and database.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub output: Output,
    pub data_dir: tempfile::TempDir,
    pub db: TestDb,
    child: Child,
    env: Vec<(String, String)>,
}

impl TestServer {
    pub async fn start(engine: Engine) -> TestServer {
        TestServer::start_with(engine, &[]).await
    }

    /// Starts the server with extra environment variables.
    pub async fn start_with(engine: Engine, extra_env: &[(&str, &str)]) -> TestServer {
        let data_dir = tempfile::tempdir().unwrap();
        let db = TestDb::create(engine, data_dir.path()).await;
        let mut env: Vec<(String, String)> = vec![
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("DATABASE_URL".into(), db.url().to_owned()),
            ("DATA_DIR".into(), data_dir.path().display().to_string()),
            ("SECRET_KEY".into(), TEST_SECRET.into()),
            ("LOG_LEVEL".into(), "info".into()),
        ];
        for (key, value) in extra_env {
            env.retain(|(k, _)| k != key);
            env.push(((*key).to_owned(), (*value).to_owned()));
        }
        let (child, base, output) = spawn_serving(data_dir.path(), &env).await;
        TestServer {
            base,
            client: http_client(),
            output,
            data_dir,
            db,
            child,
            env,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// Stops the process with SIGTERM (as `docker stop` does) and returns its exit status.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("the server did not stop within 10 s of SIGTERM")
            .unwrap()
    }

    /// Kills the process at once (a crash or power cut) and starts it again on the same data.
    pub async fn crash_and_restart(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
        let (child, base, output) = spawn_serving(self.data_dir.path(), &self.env).await;
        self.child = child;
        self.base = base;
        self.output = output;
    }

    /// Stops and starts the server again on the same data.
    pub async fn restart(&mut self) {
        self.terminate().await;
        self.restart_stopped().await;
    }

    /// Starts the server again after it stopped.
    pub async fn restart_stopped(&mut self) {
        let (child, base, output) = spawn_serving(self.data_dir.path(), &self.env).await;
        self.child = child;
        self.base = base;
        self.output = output;
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, token, body).await
    }

    /// Tries to create an account; the status and body of the answer.
    pub async fn try_register(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "password": password});
        read(self.post("/api/auth/register", None, &body).await).await
    }

    /// Registers `username` and returns its access token.
    pub async fn register(&self, username: &str) -> String {
        let (status, body) = self.try_register(username, PASSWORD).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post(
            "/api/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )
        .await
    }
}

/// Starts the binary in `dir` with exactly `env` and waits until it listens.
async fn spawn_serving(dir: &Path, env: &[(String, String)]) -> (Child, String, Output) {
    let mut child = Command::new(BINARY)
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = Output::default();
    output.collect(child.stdout.take().unwrap());
    output.collect(child.stderr.take().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(addr) = listening_address(&output.text()) {
            return (child, format!("http://{addr}"), output);
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("llm-chat exited with {status} before listening:\n{}", output.text());
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "llm-chat did not listen within 30 s:\n{}",
            output.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn listening_address(log: &str) -> Option<String> {
    let start = log.find("listening on http://")? + "listening on http://".len();
    log[start..].split_whitespace().next().map(str::to_owned)
}

/// Runs the binary with `args` in `dir` with exactly `env`, feeding `stdin`.
pub async fn run_command(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).await.unwrap();
    }
    drop(input);
    tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the command did not finish within 30 s")
        .unwrap()
}

/// The status and JSON body of a response (`null` for an empty body).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts the shared error shape and returns the error code.
pub fn error_code(body: &Value) -> &str {
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error without a message: {body}");
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}
