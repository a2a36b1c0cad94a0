//! `llm-chat doctor`: prints each check of `ops::doctor` as one line and
//! exits 1 when any failed. A configuration that cannot be read is itself
//! reported as a failed check.

use super::CliError;
use super::output::say;
use crate::config::{Config, ConfigError, raw_variable};
use crate::ops::doctor::{Finding, Level, run as run_checks};
use std::path::Path;

pub async fn run(loaded: Result<Config, ConfigError>, env_file: Option<&Path>) -> Result<(), CliError> {
    let findings = match loaded {
        Ok(config) => {
            let raw = |name: &str| raw_variable(env_file, name);
            run_checks(&config, &raw).await
        }
        Err(err) => vec![Finding {
            level: Level::Fail,
            check: "configuration",
            message: format!(
                "{err}. Fix that value in .env or docker-compose.yml; the other checks need a valid configuration"
            ),
        }],
    };
    for finding in &findings {
        say(&format!(
            "{:<4}  {}: {}",
            finding.level.as_str(),
            finding.check,
            finding.message
        ));
    }
    let count = |level| findings.iter().filter(|f| f.level == level).count();
    let failed = count(Level::Fail);
    say(&format!(
        "{} ok, {} warning(s), {failed} failed",
        count(Level::Ok),
        count(Level::Warn)
    ));
    if failed > 0 {
        Err(CliError::Unhealthy(format!(
            "{failed} check(s) failed; each `fail` line above says how to fix it"
        )))
    } else {
        Ok(())
    }
}
