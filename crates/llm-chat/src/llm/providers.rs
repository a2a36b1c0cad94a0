//! Model servers and the models users may pick. The seed's `LLM_API_URL`,
//! `LLM_MODEL` and `LLM_API_KEY` make the `default` provider; more come from
//! the TOML or JSON file named by `LLM_PROVIDERS_FILE`. A provider lists its
//! models, or they are discovered from its `/models`. With none configured,
//! the built-in `demo` model is offered instead.

use super::{DEMO_MODEL, ReasoningMode, UpstreamClient};
use crate::config::Secret;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, RwLock};

/// A model server, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub name: String,
    /// Normalised: ends before `/chat/completions`, e.g. `http://host:8000/v1`.
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// Fixed list; `None` means discover through `/models`.
    pub models: Option<Vec<String>>,
    /// Where its models put their thinking.
    pub reasoning: ReasoningMode,
}

/// Where requests for one model go.
#[derive(Debug, Clone)]
pub struct Route {
    pub provider: String,
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub upstream_model: String,
    pub reasoning: ReasoningMode,
}

/// A model users may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    /// What to send as `model`.
    pub id: String,
    /// The provider's name (`default` for the one from `LLM_API_URL`).
    pub provider: String,
    /// A label for people, when the id alone is unclear.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// True for the built-in demo model (no model server configured).
    pub demo: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value:?} is invalid: {problem}")]
pub struct ProviderError {
    pub variable: &'static str,
    pub value: String,
    pub problem: String,
}

/// `http://h:8000/v1/chat/completions`, `http://h:8000/v1/` and `http://h:8000`
/// all become `http://h:8000/v1`.
pub fn normalize_base_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let base = trimmed
        .strip_suffix("/chat/completions")
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    let url = reqwest::Url::parse(base).map_err(|err| format!("not a URL ({err}); e.g. http://127.0.0.1:8000/v1"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http:// and https:// model servers are supported".to_owned());
    }
    if url.host_str().is_none() {
        return Err("the URL names no host; e.g. http://127.0.0.1:8000/v1".to_owned());
    }
    if url.path().is_empty() || url.path() == "/" {
        return Ok(format!("{base}/v1"));
    }
    Ok(base.to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvidersFile {
    #[serde(default)]
    providers: Vec<ProviderEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderEntry {
    name: String,
    base_url: String,
    api_key: Option<String>,
    /// Read the key from this environment variable instead of the file.
    api_key_env: Option<String>,
    models: Option<Vec<String>>,
    #[serde(default)]
    reasoning: ReasoningMode,
}

/// The providers from the seed variables (with `LLM_REASONING`) and from `LLM_PROVIDERS_FILE`.
pub fn load_providers(
    api_url: Option<&str>,
    model: Option<&str>,
    api_key: Option<&Secret>,
    reasoning: ReasoningMode,
    file: Option<&Path>,
) -> Result<Vec<ProviderConfig>, ProviderError> {
    let mut providers = Vec::new();
    if let Some(url) = api_url {
        let base_url = normalize_base_url(url).map_err(|problem| ProviderError {
            variable: "LLM_API_URL",
            value: url.to_owned(),
            problem,
        })?;
        providers.push(ProviderConfig {
            name: "default".to_owned(),
            base_url,
            api_key: api_key.cloned(),
            models: model.map(|m| vec![m.to_owned()]),
            reasoning,
        });
    }
    if let Some(path) = file {
        let fail = |problem: String| ProviderError {
            variable: "LLM_PROVIDERS_FILE",
            value: path.display().to_string(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|err| fail(format!("cannot read it: {err}")))?;
        let parsed: ProvidersFile = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|err| fail(format!("not valid JSON: {err}")))?
        } else {
            toml::from_str(&text).map_err(|err| fail(format!("not valid TOML: {err}")))?
        };
        for entry in parsed.providers {
            if providers.iter().any(|p: &ProviderConfig| p.name == entry.name) {
                return Err(fail(format!("the provider name {:?} is used twice", entry.name)));
            }
            let base_url = normalize_base_url(&entry.base_url)
                .map_err(|problem| fail(format!("provider {:?}: base_url {problem}", entry.name)))?;
            let api_key = match (&entry.api_key, &entry.api_key_env) {
                (_, Some(var)) => Some(Secret::new(std::env::var(var).map_err(|_| {
                    fail(format!(
                        "provider {:?}: api_key_env names {var}, which is not set",
                        entry.name
                    ))
                })?)),
                (Some(key), None) => Some(Secret::new(key.clone())),
                (None, None) => None,
            };
            providers.push(ProviderConfig {
                name: entry.name,
                base_url,
                api_key,
                models: entry.models,
                reasoning: entry.reasoning,
            });
        }
    }
    Ok(providers)
}

struct Listed {
    info: ModelInfo,
    route: Option<Route>,
}

/// The providers and the models they currently offer.
pub struct ProviderRegistry {
    providers: Vec<ProviderConfig>,
    models: RwLock<Arc<Vec<Listed>>>,
}

impl ProviderRegistry {
    pub fn new(providers: Vec<ProviderConfig>) -> ProviderRegistry {
        let registry = ProviderRegistry {
            providers,
            models: RwLock::new(Arc::new(Vec::new())),
        };
        let fixed: Vec<(String, Vec<String>)> = registry
            .providers
            .iter()
            .map(|p| (p.name.clone(), p.models.clone().unwrap_or_default()))
            .collect();
        registry.publish(fixed);
        registry
    }

    pub fn has_providers(&self) -> bool {
        !self.providers.is_empty()
    }

    pub fn providers(&self) -> &[ProviderConfig] {
        &self.providers
    }

    /// Asks every provider without a fixed list for its models.
    pub async fn discover(&self, client: &UpstreamClient) {
        let mut found = Vec::new();
        for provider in &self.providers {
            let models = match &provider.models {
                Some(models) => models.clone(),
                None => match client
                    .list_models(&provider.base_url, provider.api_key.as_ref().map(Secret::expose))
                    .await
                {
                    Ok(models) => models,
                    Err(err) => {
                        tracing::warn!(provider = %provider.name, error = %err, "cannot list the provider's models");
                        self.models_of(&provider.name)
                    }
                },
            };
            found.push((provider.name.clone(), models));
        }
        self.publish(found);
    }

    fn models_of(&self, provider: &str) -> Vec<String> {
        self.snapshot()
            .iter()
            .filter_map(|m| {
                m.route
                    .as_ref()
                    .filter(|r| r.provider == provider)
                    .map(|r| r.upstream_model.clone())
            })
            .collect()
    }

    fn publish(&self, per_provider: Vec<(String, Vec<String>)>) {
        let mut listed: Vec<Listed> = Vec::new();
        for (provider_name, models) in per_provider {
            let Some(provider) = self.providers.iter().find(|p| p.name == provider_name) else {
                continue;
            };
            for model in models {
                // The first provider to offer a model id keeps the plain id.
                let id = if listed.iter().any(|l| l.info.id == model) {
                    format!("{}/{model}", provider.name)
                } else {
                    model.clone()
                };
                listed.push(Listed {
                    info: ModelInfo {
                        id,
                        provider: provider.name.clone(),
                        label: None,
                        demo: false,
                    },
                    route: Some(Route {
                        provider: provider.name.clone(),
                        base_url: provider.base_url.clone(),
                        api_key: provider.api_key.clone(),
                        upstream_model: model,
                        reasoning: provider.reasoning,
                    }),
                });
            }
        }
        if self.providers.is_empty() {
            listed.push(Listed {
                info: ModelInfo {
                    id: DEMO_MODEL.to_owned(),
                    provider: "built-in".to_owned(),
                    label: Some("Demo — no model server configured / 演示（未配置模型服务）".to_owned()),
                    demo: true,
                },
                route: None,
            });
        }
        *self.models.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(listed);
    }

    fn snapshot(&self) -> Arc<Vec<Listed>> {
        self.models.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn models(&self) -> Vec<ModelInfo> {
        self.snapshot().iter().map(|l| l.info.clone()).collect()
    }

    pub fn default_model(&self) -> Option<String> {
        self.snapshot().first().map(|l| l.info.id.clone())
    }

    /// `Ok(None)` for the demo model; an error for a model nobody offers.
    pub fn resolve(&self, model: &str) -> Result<Option<Route>, super::LlmError> {
        self.snapshot()
            .iter()
            .find(|l| l.info.id == model)
            .map(|l| l.route.clone())
            .ok_or_else(|| super::LlmError::NoSuchModel(model.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_may_be_a_base_or_the_full_completions_url() {
        for raw in [
            "http://10.0.0.2:11553/v1/chat/completions",
            "http://10.0.0.2:11553/v1/",
            "http://10.0.0.2:11553/v1",
            "http://10.0.0.2:11553",
        ] {
            assert_eq!(normalize_base_url(raw).unwrap(), "http://10.0.0.2:11553/v1", "{raw}");
        }
        assert_eq!(
            normalize_base_url("https://open.example.cn/api/paas/v4").unwrap(),
            "https://open.example.cn/api/paas/v4"
        );
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url("not a url").is_err());
    }

    #[test]
    fn without_providers_only_the_demo_model_is_offered() {
        let registry = ProviderRegistry::new(Vec::new());
        let models = registry.models();
        assert_eq!(models.len(), 1);
        assert!(models[0].demo);
        assert!(registry.resolve("demo").unwrap().is_none());
        assert!(registry.resolve("gpt-4o").is_err());
    }

    #[test]
    fn each_provider_says_where_its_models_think() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("providers.toml");
        let entry = |name: &str, extra: &str| {
            format!("[[providers]]\nname = \"{name}\"\nbase_url = \"http://h/v1\"\n{extra}\n")
        };
        std::fs::write(&path, entry("r1", "reasoning = \"tags\"") + &entry("plain", "")).unwrap();
        let providers = load_providers(Some("http://d/v1"), None, None, ReasoningMode::Off, Some(&path)).unwrap();
        let modes: Vec<ReasoningMode> = providers.iter().map(|p| p.reasoning).collect();
        assert_eq!(modes, [ReasoningMode::Off, ReasoningMode::Tags, ReasoningMode::Auto]);

        std::fs::write(&path, entry("x", "reasoning = \"maybe\"")).unwrap();
        let err = load_providers(None, None, None, ReasoningMode::Auto, Some(&path)).unwrap_err();
        assert!(err.problem.contains("auto"), "{err}");
    }

    #[test]
    fn the_same_model_from_two_providers_gets_a_prefixed_id() {
        let provider = |name: &str| ProviderConfig {
            name: name.into(),
            base_url: "http://h/v1".into(),
            api_key: None,
            models: Some(vec!["qwen".into()]),
            reasoning: ReasoningMode::Auto,
        };
        let registry = ProviderRegistry::new(vec![provider("a"), provider("b")]);
        let ids: Vec<String> = registry.models().into_iter().map(|m| m.id).collect();
        assert_eq!(ids, vec!["qwen", "b/qwen"]);
        assert_eq!(registry.resolve("b/qwen").unwrap().unwrap().upstream_model, "qwen");
    }
}
