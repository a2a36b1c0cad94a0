//! The few calls of llm-chat's API the scenarios need to set themselves up.

use futures_util::StreamExt;
use serde_json::{Value, json};

/// A client for thousands of connections to 127.0.0.1.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(20_000)
        .tcp_nodelay(true)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// POSTs JSON (with a bearer token when given) and reads the JSON answer.
pub async fn post_json(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<(reqwest::StatusCode, Value), String> {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

/// A registered user: the access token and the user's id.
pub struct Account {
    pub token: String,
    pub user_id: String,
}

pub async fn register(client: &reqwest::Client, base: &str, username: &str) -> Result<Account, String> {
    let (_, body) = post_json(
        client,
        format!("{base}/api/auth/register"),
        None,
        json!({"username": username, "password": "bench-password"}),
    )
    .await?;
    let token = body["access_token"].as_str();
    let user_id = body["user"]["id"].as_str();
    match (token, user_id) {
        (Some(token), Some(user_id)) => Ok(Account {
            token: token.to_owned(),
            user_id: user_id.to_owned(),
        }),
        _ => Err(format!("cannot register {username}: {body}")),
    }
}

/// Creates `count` titled conversations (titled, so no title is generated
/// upstream), a few at a time.
pub async fn conversations(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    count: usize,
) -> Result<Vec<String>, String> {
    let created: Vec<Result<String, String>> = futures_util::stream::iter(0..count)
        .map(|_| async move {
            let (_, body) = post_json(
                client,
                format!("{base}/api/conversations"),
                Some(token),
                json!({"title": "bench"}),
            )
            .await?;
            body["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("cannot create a conversation: {body}"))
        })
        .buffer_unordered(16)
        .collect()
        .await;
    created.into_iter().collect()
}

/// A credential for `/v1/chat/completions`: an API key when this build has
/// `/api/keys`, else the access token.
pub async fn api_key(client: &reqwest::Client, base: &str, token: &str) -> Result<String, String> {
    let (status, body) = post_json(
        client,
        format!("{base}/api/keys"),
        Some(token),
        json!({"name": "bench"}),
    )
    .await?;
    if !status.is_success() {
        return Ok(token.to_owned());
    }
    body["key"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("POST /api/keys answered without a key: {body}"))
}
