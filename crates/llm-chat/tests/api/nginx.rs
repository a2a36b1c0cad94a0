//! `nginx/llm-chat.conf` in a real nginx on loopback: a copy of the file with
//! the upstream pointed at the test server and `listen` on a free port.
//!
//! Two upstreams are used. The real llm-chat server for the UI, the API, the
//! docs and the body limit. A small streaming server in the test for what the
//! file promises about streams: server-sent events under /api/ and /v1/ reach
//! the client as they are written (not when the stream ends) and a WebSocket
//! under /ws/ upgrades and carries frames both ways. When llm-chat's own
//! The same checks then run against llm-chat's own streams: a reply streamed
//! as SSE and over the WebSocket `/ws/chat`, through nginx.

use crate::deployment::{repo_root, tool};
use crate::helpers::{Engine, TestServer, read};
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A running nginx, stopped when dropped.
struct Nginx {
    base: String,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts nginx with the repository's file, its upstream set to `upstream` (host:port).
async fn start_nginx(upstream: &str) -> Nginx {
    let nginx = tool("NGINX_BIN", "/usr/sbin/nginx", "nginx (Debian package nginx-light)");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let shipped = std::fs::read_to_string(repo_root().join("nginx/llm-chat.conf")).unwrap();
    assert!(shipped.contains("server backend:8000;") && shipped.contains("listen 80;"));
    let site = shipped
        .replace("server backend:8000;", &format!("server {upstream};"))
        .replace("listen 80;", &format!("listen 127.0.0.1:{port};"));
    std::fs::write(dir.path().join("llm-chat.conf"), site).unwrap();
    let p = dir.path().display();
    // The frame a distribution's nginx.conf gives conf.d/default.conf.
    let main = format!(
        "daemon off;\nmaster_process off;\nerror_log {p}/error.log info;\npid {p}/nginx.pid;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log {p}/access.log;\n  client_body_temp_path {p}/body;\n  proxy_temp_path {p}/proxy;\n\
           fastcgi_temp_path {p}/fastcgi;\n  uwsgi_temp_path {p}/uwsgi;\n  scgi_temp_path {p}/scgi;\n\
           include {p}/llm-chat.conf;\n}}\n"
    );
    std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
    let test = std::process::Command::new(&nginx)
        .args(["-t", "-p"])
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );
    let child = tokio::process::Command::new(&nginx)
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(
            Instant::now() < deadline,
            "nginx did not listen: {}",
            error_log(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Nginx {
        base: format!("http://127.0.0.1:{port}"),
        child,
        _dir: dir,
    }
}

fn error_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("error.log")).unwrap_or_default()
}

#[tokio::test]
async fn nginx_serves_the_ui_the_api_and_the_docs_of_llm_chat() {
    let server = TestServer::start(Engine::Sqlite).await;
    let nginx = start_nginx(server.base.trim_start_matches("http://")).await;
    let client = crate::helpers::http_client();

    let (status, body) = read(client.get(format!("{}/api/health", nginx.base)).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body["message"], "大模型对话后端服务运行中");

    let docs = client.get(format!("{}/docs/", nginx.base)).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let spec = client.get(format!("{}/openapi.json", nginx.base)).send().await.unwrap();
    assert_eq!(spec.status(), 200);

    // The UI at / (until the UI is embedded, / leads to the docs).
    let home = client.get(format!("{}/", nginx.base)).send().await.unwrap();
    assert_eq!(home.status(), 200);

    // Sign-up through the proxy; the address llm-chat sees is the client's.
    let token = {
        let response = client
            .post(format!("{}/api/auth/register", nginx.base))
            .json(&serde_json::json!({"username": "via-nginx", "password": crate::helpers::PASSWORD}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(response).await;
        assert_eq!(status, 201, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    };
    let me = client
        .get(format!("{}/api/auth/me", nginx.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // A body over MAX_BODY_BYTES passes nginx and gets llm-chat's own JSON answer.
    let huge = "x".repeat(5 * 1024 * 1024);
    let (status, body) = read(
        client
            .post(format!("{}/api/auth/register", nginx.base))
            .header("content-type", "application/json")
            .body(format!("{{\"username\":\"{huge}\"}}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "payload_too_large");

    let metrics = client.get(format!("{}/metrics", nginx.base)).send().await.unwrap();
    assert_eq!(metrics.status(), 403, "/metrics must not be public");
}

/// An upstream that streams: SSE ticks 300 ms apart, and a WebSocket echo.
async fn streaming_upstream() -> String {
    async fn ticks() -> Sse<impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>>> {
        let stream = futures_util::stream::unfold(0u32, |n| async move {
            if n == 4 {
                return None;
            }
            if n > 0 {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Some((Ok(Event::default().event("delta").data(format!("tick {n}"))), n + 1))
        });
        Sse::new(stream)
    }
    let app = axum::Router::new()
        .route("/api/stream", get(ticks))
        .route("/v1/stream", get(ticks))
        .route(
            "/ws/echo",
            get(|ws: WebSocketUpgrade| async move {
                ws.on_upgrade(|mut socket| async move {
                    while let Some(Ok(message)) = socket.recv().await {
                        if let Message::Text(text) = message {
                            let _ = socket.send(Message::Text(format!("echo: {text}").into())).await;
                        }
                    }
                })
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr.to_string()
}

/// The first SSE event arrives long before the stream ends.
pub async fn assert_events_arrive_unbuffered(response: reqwest::Response) {
    assert_eq!(response.status(), 200);
    let started = Instant::now();
    let mut response = response;
    let first = tokio::time::timeout(Duration::from_secs(5), response.chunk())
        .await
        .expect("no first event within 5 s")
        .unwrap()
        .expect("the stream ended at once");
    let first_at = started.elapsed();
    assert!(String::from_utf8_lossy(&first).contains("data:"), "{first:?}");
    let mut rest = Vec::new();
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), response.chunk())
        .await
        .expect("the stream stalled")
        .unwrap()
    {
        rest.extend_from_slice(&chunk);
    }
    let total = started.elapsed();
    assert!(
        total - first_at >= Duration::from_millis(600),
        "the events came in one piece (first after {first_at:?}, all after {total:?}): buffered"
    );
}

/// A WebSocket handshake through `base` + `path`, one text frame out, its echo back.
pub async fn assert_websocket_echoes(base: &str, path: &str) {
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut byte))
            .await
            .expect("no handshake answer")
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    // A masked text frame, as clients must send.
    let payload = b"hello";
    let mask = [1u8, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&mask);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    stream.write_all(&frame).await.unwrap();
    let mut header = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut header))
        .await
        .expect("no echo")
        .unwrap();
    assert_eq!(header[0], 0x81, "not a text frame");
    let mut body = vec![0u8; usize::from(header[1] & 0x7f)];
    stream.read_exact(&mut body).await.unwrap();
    assert_eq!(String::from_utf8_lossy(&body), "echo: hello");
}

#[tokio::test]
async fn nginx_passes_event_streams_unbuffered_and_upgrades_websockets() {
    let upstream = streaming_upstream().await;
    let nginx = start_nginx(&upstream).await;
    let client = crate::helpers::http_client();
    for path in ["/api/stream", "/v1/stream"] {
        let response = client
            .get(format!("{}{path}", nginx.base))
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap();
        assert_events_arrive_unbuffered(response).await;
    }
    assert_websocket_echoes(&nginx.base, "/ws/echo").await;
}

#[tokio::test]
async fn nginx_passes_llm_chat_replies_unbuffered_over_sse_and_websocket() {
    use crate::chat_support::{MockLlm, server_with};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite;

    let mock = MockLlm::start().await;
    let server = server_with(Engine::Sqlite, &mock, &[]).await;
    let nginx = start_nginx(server.base.trim_start_matches("http://")).await;
    let token = server.register("streamer").await;
    let conversation = server.new_conversation(&token).await;
    let client = crate::helpers::http_client();
    let response = client
        .post(format!("{}/api/conversations/{conversation}/messages", nginx.base))
        .bearer_auth(&token)
        .header("accept", "text/event-stream")
        .json(&serde_json::json!({"content": "through nginx [[mock tokens=60 delay=15]]"}))
        .send()
        .await
        .unwrap();
    assert_events_arrive_unbuffered(response).await;

    let url = format!("{}/ws/chat?token={token}", nginx.base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let send = serde_json::json!({"type": "send", "conversation_id": conversation, "content": "ws via nginx [[mock tokens=20 delay=10]]"});
    socket
        .send(tungstenite::Message::Text(send.to_string().into()))
        .await
        .unwrap();
    let mut deltas = 0;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let value: serde_json::Value = serde_json::from_str(frame.to_text().unwrap()).unwrap();
        match value["type"].as_str().unwrap() {
            "delta" => deltas += 1,
            "done" => break,
            "error" => panic!("{value}"),
            _ => {}
        }
    }
    assert_eq!(deltas, 20);
}
