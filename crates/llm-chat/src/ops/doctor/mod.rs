//! `llm-chat doctor`: the deployment guide's troubleshooting list, run by the
//! program itself. Each check ends in `ok`, `warn` or `fail`, and every
//! `warn` and `fail` says what to do about it.

mod database;
mod llm;
mod secret;
mod system;

use crate::config::Config;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// The answer of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    /// Short name of what was checked, e.g. `database folder`.
    pub check: &'static str,
    /// What was found and, unless `ok`, the fix.
    pub message: String,
}

impl Finding {
    fn ok(check: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            check,
            message: message.into(),
        }
    }
    fn warn(check: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warn,
            check,
            message: message.into(),
        }
    }
    fn fail(check: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            level: Level::Fail,
            check,
            message: message.into(),
        }
    }
}

/// Looks up a variable as set by the operator (environment, then `.env`),
/// for settings that the typed configuration does not keep.
pub type RawLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Whether this process runs in a container (Docker and Podman leave a marker).
pub fn in_container() -> bool {
    std::path::Path::new("/.dockerenv").exists() || std::path::Path::new("/run/.containerenv").exists()
}

/// Runs every check, in the order the guide's troubleshooting list goes.
pub async fn run(config: &Config, raw: RawLookup<'_>) -> Vec<Finding> {
    let mut findings = vec![Finding::ok(
        "configuration",
        format!(
            "database {}, data in {}, logs in {}, listening on {}:{}",
            config.database,
            config.data_dir.display(),
            config.log_dir.display(),
            config.host,
            config.port
        ),
    )];
    findings.extend(secret::check_settings(config, raw));
    findings.extend(system::check_folders(config));
    findings.extend(system::check_resources(config));
    findings.push(system::check_port(config).await);
    findings.extend(database::check(config).await);
    findings.push(secret::check_secret_key(config));
    findings.extend(llm::check(config).await);
    findings
}
