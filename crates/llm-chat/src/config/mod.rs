//! The one typed configuration, read once at start-up from the environment
//! (after loading a `.env` file) and validated: a bad value stops the process
//! with one line naming the variable and the fix.

mod database_url;
mod duration;

pub use database_url::parse_database_url;
pub use duration::parse_duration;

use crate::store::DatabaseLocation;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A configuration value that cannot be used, with the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}={value:?} is invalid: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub problem: String,
}

/// Signing algorithm for access tokens (`ALGORITHM`); all use `SECRET_KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAlgorithm {
    Hs256,
    Hs384,
    Hs512,
}

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Model servers: the seed's default one and how to talk to all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSettings {
    /// `LLM_API_URL`, `LLM_MODEL`, `LLM_API_KEY`: the default provider.
    pub api_url: Option<String>,
    pub model: Option<String>,
    pub api_key: Option<Secret>,
    /// `LLM_REASONING`: where the default provider's models put their thinking.
    pub reasoning: crate::llm::ReasoningMode,
    /// `LLM_PROVIDERS_FILE`: more providers (TOML or JSON).
    pub providers_file: Option<PathBuf>,
    /// `LLM_CONNECT_TIMEOUT_SECS`
    pub connect_timeout: Duration,
    /// `LLM_FIRST_TOKEN_TIMEOUT_SECS`: from the request to the first text.
    pub first_token_timeout: Duration,
    /// `LLM_IDLE_TIMEOUT_SECS`: the longest gap between two chunks.
    pub idle_timeout: Duration,
    /// `LLM_MAX_RETRIES`: retries before the first token (refused, 429, 502/503/504).
    pub max_retries: u32,
}

/// Limits of the chat engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSettings {
    /// `CONTEXT_TOKEN_BUDGET`: estimated tokens of history sent upstream; older turns are left out.
    pub context_token_budget: usize,
    /// `MAX_CONCURRENT_GENERATIONS_PER_USER`
    pub max_concurrent_per_user: usize,
    /// `GENERATIONS_PER_MINUTE`: new replies per user per minute.
    pub generations_per_minute: usize,
    /// `GENERATION_STALE_SECS`: a reply left `streaming` and unsaved this long
    /// belongs to a server that stopped (PostgreSQL with several replicas).
    pub generation_stale: Duration,
}

/// Where `/metrics` is served; with neither set it is not served at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsSettings {
    /// `METRICS_TOKEN`: `/metrics` on the main port requires `Authorization: Bearer <token>`.
    pub token: Option<Secret>,
    /// `METRICS_ADDR`: a separate listener for `/metrics`, e.g. `127.0.0.1:9100`.
    pub addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `HOST`: address to listen on.
    pub host: String,
    /// `PORT`: TCP port to listen on (0 picks a free one).
    pub port: u16,
    /// `DATABASE_URL`, defaulting to `conversation.db` in `DATA_DIR`.
    pub database: DatabaseLocation,
    /// `SECRET_KEY`: signs access tokens; `None` means generate and persist one in `DATA_DIR`.
    pub secret_key: Option<Secret>,
    /// `ALGORITHM`
    pub algorithm: TokenAlgorithm,
    /// `ACCESS_TOKEN_EXPIRE_MINUTES`
    pub access_token_ttl: Duration,
    /// `DATA_DIR`: the generated secret and the default SQLite file; defaults to
    /// the folder of a SQLite `DATABASE_URL`, else `./data`.
    pub data_dir: PathBuf,
    /// `LOG_DIR`: daily JSON log files.
    pub log_dir: PathBuf,
    /// `LOG_LEVEL`: a level (`info`) or tracing directives (`llm_chat=debug,info`).
    pub log_level: String,
    /// `LOG_KEEP_DAYS`: how many daily log files to keep.
    pub log_keep_days: usize,
    /// `MAX_BODY_BYTES`: the largest request body accepted.
    pub max_body_bytes: usize,
    /// `IMPORT_MAX_BYTES`: the largest file `POST /api/import` accepts (it is
    /// streamed to disk, so it may be far above `MAX_BODY_BYTES`).
    pub import_max_bytes: u64,
    pub llm: LlmSettings,
    pub chat: ChatSettings,
    pub metrics: MetricsSettings,
    /// `BACKUP_INTERVAL`: how often `serve` snapshots a SQLite database into
    /// [`Config::backup_dir`]; `None` (`BACKUP_INTERVAL=0`) turns it off.
    pub backup_interval: Option<Duration>,
    /// `BACKUP_KEEP`: how many scheduled snapshots are kept.
    pub backup_keep: usize,
}

pub const DEFAULT_PORT: u16 = 8000;
const DEFAULT_BACKUP_INTERVAL: Duration = Duration::from_secs(24 * 3600);
const DEFAULT_BACKUP_KEEP: usize = 7;
const DEFAULT_IMPORT_MAX_BYTES: usize = 256 * 1024 * 1024;
const DEFAULT_TOKEN_MINUTES: u64 = 10080;
const MAX_TOKEN_MINUTES: u64 = 525_600;

impl Config {
    /// Reads the configuration from the environment, falling back to `.env`
    /// in the working directory (or `env_file`) for variables that are unset
    /// or empty there. The process environment itself is never modified.
    pub fn load(env_file: Option<&Path>) -> Result<Config, ConfigError> {
        let file = read_env_file(env_file)?;
        Config::from_lookup(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
                .or_else(|| file.get(name).cloned())
        })
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    /// Empty values count as unset, as Docker Compose passes `${UNSET}` as "".
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let database = get("DATABASE_URL")
            .map(|url| {
                parse_database_url(&url).map_err(|problem| ConfigError {
                    variable: "DATABASE_URL",
                    value: url,
                    problem,
                })
            })
            .transpose()?;
        // The generated secret belongs with the data it protects: next to the
        // SQLite file (so a Docker volume on /app/db keeps both), else ./data.
        let data_dir = match (get("DATA_DIR"), &database) {
            (Some(dir), _) => PathBuf::from(dir),
            (None, Some(DatabaseLocation::Sqlite { path })) => match path.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            },
            (None, _) => PathBuf::from("./data"),
        };
        let database = database.unwrap_or_else(|| DatabaseLocation::Sqlite {
            path: data_dir.join("conversation.db"),
        });
        let port = match get("PORT") {
            Some(raw) => raw.parse::<u16>().map_err(|_| ConfigError {
                variable: "PORT",
                value: raw,
                problem: "expected a port number from 1 to 65535 (0 picks a free port), e.g. PORT=8000".to_owned(),
            })?,
            None => DEFAULT_PORT,
        };
        let algorithm = match get("ALGORITHM") {
            None => TokenAlgorithm::Hs256,
            Some(raw) => match raw.to_ascii_uppercase().as_str() {
                "HS256" => TokenAlgorithm::Hs256,
                "HS384" => TokenAlgorithm::Hs384,
                "HS512" => TokenAlgorithm::Hs512,
                _ => {
                    return Err(ConfigError {
                        variable: "ALGORITHM",
                        value: raw,
                        problem: "supported algorithms are HS256 (default), HS384 and HS512".to_owned(),
                    });
                }
            },
        };
        let minutes = match get("ACCESS_TOKEN_EXPIRE_MINUTES") {
            None => DEFAULT_TOKEN_MINUTES,
            Some(raw) => match raw.parse::<u64>() {
                Ok(m) if (1..=MAX_TOKEN_MINUTES).contains(&m) => m,
                _ => {
                    return Err(ConfigError {
                        variable: "ACCESS_TOKEN_EXPIRE_MINUTES",
                        value: raw,
                        problem: format!("expected whole minutes from 1 to {MAX_TOKEN_MINUTES}, e.g. 10080 for 7 days"),
                    });
                }
            },
        };
        let log_level = get("LOG_LEVEL").unwrap_or_else(|| "info".to_owned());
        if let Err(err) = tracing_subscriber::EnvFilter::try_new(&log_level) {
            return Err(ConfigError {
                variable: "LOG_LEVEL",
                value: log_level,
                problem: format!("{err}; use error, warn, info, debug or trace"),
            });
        }
        let log_keep_days = parse_positive(&get, "LOG_KEEP_DAYS", 14, "e.g. LOG_KEEP_DAYS=14")?;
        let max_body_bytes = parse_positive(
            &get,
            "MAX_BODY_BYTES",
            4 * 1024 * 1024,
            "e.g. MAX_BODY_BYTES=4194304 (4 MiB)",
        )?;
        let import_max_bytes = parse_positive(
            &get,
            "IMPORT_MAX_BYTES",
            DEFAULT_IMPORT_MAX_BYTES,
            "e.g. IMPORT_MAX_BYTES=268435456 (256 MiB)",
        )? as u64;
        let host = get("HOST").unwrap_or_else(|| "0.0.0.0".to_owned());
        let api_url = get("LLM_API_URL");
        if let Some(url) = &api_url {
            crate::llm::normalize_base_url(url).map_err(|problem| ConfigError {
                variable: "LLM_API_URL",
                value: url.clone(),
                problem,
            })?;
        }
        let secs = |variable: &'static str, default: usize| {
            parse_positive(&get, variable, default, "a number of seconds").map(|n| Duration::from_secs(n as u64))
        };
        let llm = LlmSettings {
            api_url,
            model: get("LLM_MODEL"),
            api_key: get("LLM_API_KEY").map(Secret::new),
            reasoning: match get("LLM_REASONING") {
                None => crate::llm::ReasoningMode::Auto,
                Some(raw) => crate::llm::ReasoningMode::parse(&raw).map_err(|problem| ConfigError {
                    variable: "LLM_REASONING",
                    value: raw,
                    problem: format!(
                        "{problem} (auto finds both forms of a model's thinking; off shows the reply as it comes)"
                    ),
                })?,
            },
            providers_file: get("LLM_PROVIDERS_FILE").map(PathBuf::from),
            connect_timeout: secs("LLM_CONNECT_TIMEOUT_SECS", 10)?,
            first_token_timeout: secs("LLM_FIRST_TOKEN_TIMEOUT_SECS", 300)?,
            idle_timeout: secs("LLM_IDLE_TIMEOUT_SECS", 120)?,
            max_retries: match get("LLM_MAX_RETRIES") {
                None => 2,
                Some(raw) => raw.parse().map_err(|_| ConfigError {
                    variable: "LLM_MAX_RETRIES",
                    value: raw,
                    problem: "expected a whole number, e.g. LLM_MAX_RETRIES=2 (0 turns retries off)".to_owned(),
                })?,
            },
        };
        let chat = ChatSettings {
            context_token_budget: parse_positive(
                &get,
                "CONTEXT_TOKEN_BUDGET",
                12_000,
                "e.g. CONTEXT_TOKEN_BUDGET=12000",
            )?,
            max_concurrent_per_user: parse_positive(&get, "MAX_CONCURRENT_GENERATIONS_PER_USER", 4, "e.g. 4")?,
            generations_per_minute: parse_positive(&get, "GENERATIONS_PER_MINUTE", 30, "e.g. 30")?,
            generation_stale: secs("GENERATION_STALE_SECS", 30)?,
        };
        let backup_interval = match get("BACKUP_INTERVAL") {
            None => Some(DEFAULT_BACKUP_INTERVAL),
            Some(raw) => match parse_duration(&raw) {
                Ok(every) if every.is_zero() => None,
                Ok(every) if every >= Duration::from_secs(60) => Some(every),
                _ => {
                    return Err(ConfigError {
                        variable: "BACKUP_INTERVAL",
                        value: raw,
                        problem: "expected a duration of at least 1 minute such as 24h, 6h or 30m, or 0 to turn scheduled backups off".to_owned(),
                    });
                }
            },
        };
        let backup_keep = parse_positive(&get, "BACKUP_KEEP", DEFAULT_BACKUP_KEEP, "e.g. BACKUP_KEEP=7")?;
        let metrics_token = get("METRICS_TOKEN");
        if let Some(token) = &metrics_token
            && token.len() < 16
        {
            return Err(ConfigError {
                variable: "METRICS_TOKEN",
                value: "***".to_owned(),
                problem: "use at least 16 characters, e.g. METRICS_TOKEN=$(openssl rand -hex 24)".to_owned(),
            });
        }
        let metrics = MetricsSettings {
            token: metrics_token.map(Secret::new),
            addr: match get("METRICS_ADDR") {
                None => None,
                Some(raw) => Some(raw.parse().map_err(|_| ConfigError {
                    variable: "METRICS_ADDR",
                    value: raw,
                    problem: "expected an address and port such as 127.0.0.1:9100".to_owned(),
                })?),
            },
        };

        Ok(Config {
            log_dir: get("LOG_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("logs")),
            host,
            port,
            database,
            secret_key: get("SECRET_KEY").map(Secret::new),
            algorithm,
            access_token_ttl: Duration::from_secs(minutes * 60),
            data_dir,
            log_level,
            log_keep_days,
            max_body_bytes,
            import_max_bytes,
            llm,
            chat,
            metrics,
            backup_interval,
            backup_keep,
        })
    }

    /// Where backups go: `DATA_DIR/backups`, on the same volume as the data.
    pub fn backup_dir(&self) -> PathBuf {
        self.data_dir.join("backups")
    }
}

/// The raw value of one variable as [`Config::load`] sees it (environment
/// first, then the env file), for checks that look past the typed config.
pub fn raw_variable(env_file: Option<&Path>, name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .or_else(|| read_env_file(env_file).ok()?.get(name).cloned())
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// The `KEY=value` lines of the env file; a missing `./.env` is no error,
/// a missing `--env-file` is.
fn read_env_file(env_file: Option<&Path>) -> Result<HashMap<String, String>, ConfigError> {
    let (path, required) = match env_file {
        Some(path) => (path, true),
        None => (Path::new(".env"), false),
    };
    let (variable, problem_hint) = if required {
        ("--env-file", "check that the file exists and holds KEY=value lines")
    } else {
        (".env", "fix the line or remove the file")
    };
    let fail = |err: dotenvy::Error| ConfigError {
        variable,
        value: path.display().to_string(),
        problem: format!("{err}; {problem_hint}"),
    };
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(err) if err.not_found() && !required => return Ok(HashMap::new()),
        Err(err) => return Err(fail(err)),
    };
    entries.map(|entry| entry.map_err(fail)).collect()
}

fn parse_positive(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: usize,
    example: &str,
) -> Result<usize, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError {
                variable,
                value: raw,
                problem: format!("expected a whole number above 0, {example}"),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn no_configuration_means_sqlite_under_data_on_port_8000() {
        let config = config(&[]).unwrap();
        assert_eq!(config.port, 8000);
        assert_eq!(config.host, "0.0.0.0");
        assert_eq!(
            config.database,
            DatabaseLocation::Sqlite {
                path: PathBuf::from("./data/conversation.db")
            }
        );
        assert_eq!(config.access_token_ttl, Duration::from_secs(10080 * 60));
        assert_eq!(config.algorithm, TokenAlgorithm::Hs256);
        assert!(config.secret_key.is_none());
        assert_eq!(config.import_max_bytes, 256 * 1024 * 1024);
    }

    #[test]
    fn the_data_folder_follows_a_sqlite_database() {
        let seed = config(&[("DATABASE_URL", "sqlite:////app/db/conversation.db")]).unwrap();
        assert_eq!(seed.data_dir, PathBuf::from("/app/db"));
        assert_eq!(seed.log_dir, PathBuf::from("/app/db/logs"));
        let explicit = config(&[("DATABASE_URL", "sqlite:////app/db/c.db"), ("DATA_DIR", "/srv")]).unwrap();
        assert_eq!(explicit.data_dir, PathBuf::from("/srv"));
        let postgres = config(&[("DATABASE_URL", "postgres://h/db")]).unwrap();
        assert_eq!(postgres.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn scheduled_backups_default_to_daily_and_zero_turns_them_off() {
        let default = config(&[]).unwrap();
        assert_eq!(default.backup_interval, Some(Duration::from_secs(86400)));
        assert_eq!(default.backup_keep, 7);
        assert_eq!(default.backup_dir(), PathBuf::from("./data/backups"));
        let off = config(&[("BACKUP_INTERVAL", "0"), ("BACKUP_KEEP", "3")]).unwrap();
        assert_eq!(off.backup_interval, None);
        assert_eq!(off.backup_keep, 3);
        let half_hour = config(&[("BACKUP_INTERVAL", "30m")]).unwrap();
        assert_eq!(half_hour.backup_interval, Some(Duration::from_secs(1800)));
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = config(&[("SECRET_KEY", ""), ("PORT", " ")]).unwrap();
        assert!(config.secret_key.is_none());
        assert_eq!(config.port, 8000);
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (name, value) in [
            ("PORT", "80a"),
            ("ALGORITHM", "RS256"),
            ("DATABASE_URL", "mysql://x/y"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("LOG_LEVEL", "loud=="),
            ("MAX_BODY_BYTES", "-1"),
            ("IMPORT_MAX_BYTES", "0"),
            ("LLM_API_URL", "localhost:8000"),
            ("LLM_IDLE_TIMEOUT_SECS", "0"),
            ("BACKUP_INTERVAL", "daily"),
            ("BACKUP_INTERVAL", "10s"),
            ("BACKUP_KEEP", "0"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert_eq!(err.variable, name);
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = config(&[
            ("SECRET_KEY", "topsecret"),
            ("LLM_API_KEY", "sk-abc"),
            ("DATABASE_URL", "postgres://u:pw@h/db"),
        ])
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("topsecret") && !shown.contains("sk-abc") && !shown.contains(":pw@"),
            "{shown}"
        );
    }
}
