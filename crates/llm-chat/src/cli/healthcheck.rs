//! `llm-chat healthcheck`: asks the running server for /api/health, so the
//! Docker image needs no curl or wget.

use super::CliError;
use crate::config::Config;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// Server to ask, instead of the local one on PORT.
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Seconds to wait for an answer.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
}

pub async fn run(config: &Config, args: HealthcheckArgs) -> Result<(), CliError> {
    let url = args.url.unwrap_or_else(|| {
        let host = match config.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            host => host,
        };
        format!("http://{host}:{}/api/health", config.port)
    });
    let client = crate::llm::http_client_builder()
        .and_then(|builder| {
            builder
                .timeout(Duration::from_secs(args.timeout))
                .build()
                .map_err(|e| e.to_string())
        })
        .map_err(|err| CliError::Unhealthy(format!("cannot build an HTTP client: {err}")))?;
    let response = client
        .get(&url)
        .send()
        .await
        .map_err(|err| CliError::Unhealthy(format!("{url} did not answer: {err}")))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .await
        .map_err(|err| CliError::Unhealthy(format!("{url} answered {status} with a body that is not JSON: {err}")))?;
    if status.is_success() && body["status"] == "ok" {
        super::output::say(&format!("ok: {url} {body}"));
        Ok(())
    } else {
        Err(CliError::Unhealthy(format!("{url} answered {status}: {body}")))
    }
}
