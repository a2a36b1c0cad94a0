//! The upstream model server check: `GET {base}/models` with the configured
//! key, and whether `LLM_MODEL` is among the models it lists. `LLM_API_URL`
//! may be the base (`…/v1`) or the full `…/v1/chat/completions`.

use super::{Finding, in_container};
use crate::config::Config;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(10);
const CHECK: &str = "LLM upstream";

/// `…/v1/chat/completions` or `…/v1/` → `…/v1`.
pub fn api_base(url: &str) -> &str {
    let url = url.trim().trim_end_matches('/');
    url.strip_suffix("/chat/completions")
        .unwrap_or(url)
        .trim_end_matches('/')
}

pub async fn check(config: &Config) -> Vec<Finding> {
    let Some(url) = &config.llm.api_url else {
        return vec![Finding::warn(
            CHECK,
            "LLM_API_URL is not set: nobody can chat until it points at an OpenAI-compatible server. \
             Fix: set LLM_API_URL (e.g. http://HOST:11434/v1), LLM_MODEL and LLM_API_KEY in .env",
        )];
    };
    let models_url = format!("{}/models", api_base(url));
    let client =
        match crate::llm::http_client_builder().and_then(|b| b.timeout(TIMEOUT).build().map_err(|e| e.to_string())) {
            Ok(client) => client,
            Err(err) => {
                return vec![Finding::fail(CHECK, format!("cannot build an HTTP client: {err}"))];
            }
        };
    let mut request = client.get(&models_url);
    if let Some(key) = &config.llm.api_key {
        request = request.bearer_auth(key.expose());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => return vec![unreachable(&models_url, &err)],
    };
    let status = response.status();
    if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
        let given = if config.llm.api_key.is_some() {
            "rejected"
        } else {
            "needed but not set"
        };
        return vec![Finding::fail(
            CHECK,
            format!(
                "{models_url} answered {status}: the API key was {given}. Fix: set LLM_API_KEY to a key this server accepts"
            ),
        )];
    }
    if status == reqwest::StatusCode::NOT_FOUND {
        return vec![Finding::fail(
            CHECK,
            format!(
                "{models_url} answered 404: this is not the API root of an OpenAI-compatible server. \
                     Fix: set LLM_API_URL to the URL that ends in /v1 (e.g. http://HOST:8000/v1)"
            ),
        )];
    }
    if !status.is_success() {
        return vec![Finding::fail(
            CHECK,
            format!("{models_url} answered {status}. Fix: check the model server's own logs"),
        )];
    }
    let models: Vec<String> = match response.json::<serde_json::Value>().await {
        Ok(body) => body["data"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        Err(err) => {
            return vec![Finding::fail(
                CHECK,
                format!(
                    "{models_url} did not answer with a model list ({err}). Fix: point LLM_API_URL at an OpenAI-compatible API"
                ),
            )];
        }
    };
    let listed = listing(&models);
    let reached = Finding::ok(CHECK, format!("{models_url} answers with {} model(s)", models.len()));
    let model = match &config.llm.model {
        None => Finding::warn("LLM_MODEL", format!("not set. Fix: set LLM_MODEL to one of: {listed}")),
        Some(model) if models.iter().any(|m| m == model) => {
            Finding::ok("LLM_MODEL", format!("{model} is served upstream"))
        }
        // Some servers list nothing and serve whatever they are asked for.
        Some(model) if models.is_empty() => Finding::warn(
            "LLM_MODEL",
            format!("the upstream lists no models, so {model} cannot be confirmed"),
        ),
        Some(model) => Finding::fail(
            "LLM_MODEL",
            format!("{model} is not among the upstream's models. Fix: set LLM_MODEL to one of: {listed}"),
        ),
    };
    vec![reached, model]
}

fn listing(models: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = models.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if models.len() > SHOWN {
        text.push_str(&format!(" and {} more", models.len() - SHOWN));
    }
    text
}

fn unreachable(models_url: &str, err: &reqwest::Error) -> Finding {
    let mut causes = String::new();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        causes.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    let local = ["//localhost", "//127.", "//[::1]"]
        .iter()
        .any(|h| models_url.contains(h));
    let hint = if local && in_container() {
        " Inside a container, localhost is the container itself: use the host's IP address (or host.docker.internal \
         with `extra_hosts: [\"host.docker.internal:host-gateway\"]`)."
    } else {
        ""
    };
    let what = if err.is_timeout() {
        "did not answer in time"
    } else {
        "cannot be reached"
    };
    Finding::fail(
        CHECK,
        format!(
            "{models_url} {what} ({err}{causes}).{hint} Fix: check LLM_API_URL, that the model server runs, and that no firewall blocks the port"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::api_base;

    #[test]
    fn the_base_and_the_full_url_name_the_same_api() {
        for url in [
            "http://h:11553/v1/chat/completions",
            "http://h:11553/v1",
            "http://h:11553/v1/",
        ] {
            assert_eq!(api_base(url), "http://h:11553/v1", "{url}");
        }
    }
}
