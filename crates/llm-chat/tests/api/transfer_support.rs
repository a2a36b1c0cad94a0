//! What the export and import tests share: sending a file to `/api/import`,
//! downloading archives, reading the conversation list, and the fixtures.

use crate::chat_support::Ev;
use crate::chat_support::Events;
use crate::helpers::{TestServer, read};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A fixture file of `tests/api/fixtures`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/api/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|err| panic!("cannot read {path}: {err}"))
}

impl TestServer {
    /// `POST /api/import{query}` with `body` as the raw file.
    pub async fn import(&self, token: &str, query: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/import{query}")))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        read(response).await
    }

    /// Imports `body` and expects success; the report.
    pub async fn import_ok(&self, token: &str, body: impl Into<reqwest::Body>) -> Value {
        let (status, report) = self.import(token, "", body).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        report
    }

    /// Downloads `path` (an export); the answer's content type, disposition and body.
    pub async fn download(&self, token: &str, path: &str) -> (StatusCode, String, String, String) {
        let response = self.get(path, Some(token)).await;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let (content_type, disposition) = (header("content-type"), header("content-disposition"));
        (status, content_type, disposition, response.text().await.unwrap())
    }

    /// `GET /api/export` as JSON.
    pub async fn export_archive(&self, token: &str) -> Value {
        let (status, content_type, disposition, body) = self.download(token, "/api/export").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(content_type.starts_with("application/json"), "{content_type}");
        assert!(
            disposition.starts_with("attachment; filename=\"llm-chat-"),
            "{disposition}"
        );
        serde_json::from_str(&body).unwrap()
    }

    /// Every conversation of the user (archived ones too), in sidebar order:
    /// (id, title, updated_at).
    pub async fn sidebar(&self, token: &str) -> Vec<(String, String, i64)> {
        let mut all = Vec::new();
        for archived in [false, true] {
            let (status, page) = read(
                self.get(
                    &format!("/api/conversations?limit=200&archived={archived}"),
                    Some(token),
                )
                .await,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            all.extend(page["items"].as_array().unwrap().iter().map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["title"].as_str().unwrap().to_owned(),
                    c["updated_at"].as_i64().unwrap(),
                )
            }));
        }
        all
    }

    /// Regenerates a reply and reads its stream to the end.
    pub async fn regenerate_streaming(&self, token: &str, message: &str) -> Vec<Ev> {
        let response = self
            .client
            .post(self.url(&format!("/api/messages/{message}/regenerate")))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        Events::of(response).rest().await
    }

    /// Sends `text` (a mock directive may be in it) and waits for the whole reply.
    pub async fn exchange(&self, token: &str, conversation: &str, text: &str) -> Vec<Ev> {
        self.send_streaming(token, conversation, &json!({"content": text}))
            .await
            .rest()
            .await
    }
}

/// The reply message a finished stream ended with.
pub fn reply_of(events: &[Ev]) -> &Value {
    &events
        .iter()
        .find(|e| e.event == "done")
        .expect("the reply did not finish")
        .data["reply"]
}

/// Titles of the imported items of a report, in file order.
pub fn imported_titles(report: &Value) -> Vec<&str> {
    report["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect()
}

/// The reasons of the skipped items of a report, in file order.
pub fn skipped_reasons(report: &Value) -> Vec<&str> {
    report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap())
        .collect()
}
