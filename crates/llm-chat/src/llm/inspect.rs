//! What the admin console shows of the configured providers (never a whole
//! key, never a password in a URL) and a live check of one of them.

use super::{ProviderConfig, ProviderRegistry, UpstreamClient};
use crate::config::Secret;
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

/// How a provider's models are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Discovery {
    /// Listed in the configuration.
    Fixed,
    /// Asked from the provider's `/models`.
    Discovered,
}

/// A provider as the admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    pub name: String,
    /// Without any user name or password it may carry.
    pub base_url: String,
    /// The key's first and last characters, e.g. `sk-…abcd`; `null` when none is set.
    pub api_key: Option<String>,
    /// The ids users pick for this provider's models, as currently known.
    pub models: Vec<String>,
    pub discovery: Discovery,
}

/// The answer of a live check.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProbeReport {
    pub ok: bool,
    /// Time until the provider answered (or failed).
    pub latency_ms: u64,
    /// How many models it lists, when it answered.
    pub model_count: Option<usize>,
    /// What went wrong, in words, when it failed.
    pub error: Option<String>,
    /// A stable code for the failure, as in chat `error` events.
    pub code: Option<&'static str>,
}

impl ProviderRegistry {
    pub fn describe(&self) -> Vec<ProviderView> {
        let models = self.models();
        self.providers()
            .iter()
            .map(|p| ProviderView {
                name: p.name.clone(),
                base_url: without_credentials(&p.base_url),
                api_key: p.api_key.as_ref().map(mask_key),
                models: models
                    .iter()
                    .filter(|m| m.provider == p.name)
                    .map(|m| m.id.clone())
                    .collect(),
                discovery: if p.models.is_some() {
                    Discovery::Fixed
                } else {
                    Discovery::Discovered
                },
            })
            .collect()
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers().iter().find(|p| p.name == name)
    }
}

/// Lists the provider's models: proves the address, the key and the API shape in one cheap call.
pub async fn probe(client: &UpstreamClient, provider: &ProviderConfig) -> ProbeReport {
    let started = Instant::now();
    let result = client
        .list_models(&provider.base_url, provider.api_key.as_ref().map(Secret::expose))
        .await;
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match result {
        Ok(models) => ProbeReport {
            ok: true,
            latency_ms,
            model_count: Some(models.len()),
            error: None,
            code: None,
        },
        Err(err) => ProbeReport {
            ok: false,
            latency_ms,
            model_count: None,
            code: Some(err.code()),
            error: Some(err.to_string()),
        },
    }
}

/// `sk-…abcd`; short keys show nothing, since a few characters would be most of them.
pub fn mask_key(key: &Secret) -> String {
    let chars: Vec<char> = key.expose().chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_owned()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_show_only_their_ends() {
        assert_eq!(mask_key(&Secret::new("sk-abcdefghijklmnop1234".into())), "sk-…1234");
        assert_eq!(mask_key(&Secret::new("short".into())), "…");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(without_credentials("http://u:p@host:8000/v1"), "http://host:8000/v1");
        assert_eq!(without_credentials("http://host:8000/v1"), "http://host:8000/v1");
    }
}
