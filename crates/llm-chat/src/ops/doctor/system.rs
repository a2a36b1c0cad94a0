//! Checks of the machine the server runs on: folders it must write (with the
//! uid/gid that matter for "unable to open database file"), free disk and
//! memory, whether data sits on a volume in a container, and the port.

use super::{Finding, in_container};
use crate::config::Config;
use crate::store::DatabaseLocation;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const MIB: u64 = 1024 * 1024;
const DISK_FAIL_BELOW: u64 = 100 * MIB;
const DISK_WARN_BELOW: u64 = 1024 * MIB;
const MEMORY_WARN_BELOW: u64 = 128 * MIB;
const DB_VOLUME: &str = "backend-db:/app/db";
const LOG_VOLUME: &str = "backend-logs:/app/logs";

fn database_folder(config: &Config) -> Option<PathBuf> {
    match &config.database {
        DatabaseLocation::Sqlite { path } => Some(match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }),
        DatabaseLocation::Postgres { .. } => None,
    }
}

pub fn check_folders(config: &Config) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(folder) = database_folder(config) {
        findings.push(writable("database folder", &folder, "DATABASE_URL", DB_VOLUME));
    }
    if database_folder(config).as_deref() != Some(config.data_dir.as_path()) {
        findings.push(writable("data folder", &config.data_dir, "DATA_DIR", DB_VOLUME));
    }
    findings.push(writable("log folder", &config.log_dir, "LOG_DIR", LOG_VOLUME));
    if config.backup_interval.is_some() && database_folder(config).is_some() {
        findings.push(writable("backup folder", &config.backup_dir(), "DATA_DIR", DB_VOLUME));
    }
    findings
}

/// Creates the folder if needed and proves a file can be written in it.
fn writable(check: &'static str, folder: &Path, variable: &str, volume: &str) -> Finding {
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    let probe = folder.join(format!(".llm-chat-doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(folder).and_then(|()| std::fs::write(&probe, b""));
    let _ = std::fs::remove_file(&probe);
    match result {
        Ok(()) => Finding::ok(check, format!("{} is writable by uid {uid}", folder.display())),
        Err(err) => {
            let owner = std::fs::metadata(folder)
                .map(|m| {
                    format!(
                        " It belongs to uid {}, gid {}, mode {:o}.",
                        m.uid(),
                        m.gid(),
                        m.mode() & 0o7777
                    )
                })
                .unwrap_or_default();
            Finding::fail(
                check,
                format!(
                    "cannot write {}: {err}. This process runs as uid {uid}, gid {gid}.{owner} Fix: mount a Docker named \
                     volume there (e.g. `{volume}`) rather than a host folder, or `chown -R {uid}:{gid} {}` on \
                     the host, or set {variable} to a writable path",
                    folder.display(),
                    folder.display()
                ),
            )
        }
    }
}

pub fn check_resources(config: &Config) -> Vec<Finding> {
    let mut findings = vec![disk(&config.data_dir)];
    if let Some(memory) = memory() {
        findings.push(memory);
    }
    if in_container() {
        for (check, folder, volume) in [
            ("data volume", config.data_dir.clone(), "backend-db:/app/db"),
            ("log volume", config.log_dir.clone(), "backend-logs:/app/logs"),
        ] {
            findings.push(if on_a_mount(&folder) {
                Finding::ok(check, format!("{} is a mounted volume", folder.display()))
            } else {
                Finding::warn(
                    check,
                    format!(
                        "{} is inside the container's own file system: it is lost when the container is recreated. \
                         Fix: mount a named volume there (`{volume}` in docker-compose.yml)",
                        folder.display()
                    ),
                )
            });
        }
    }
    findings
}

fn disk(folder: &Path) -> Finding {
    // The folder may not exist yet; its nearest existing ancestor is on the same disk.
    let existing = folder
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or_else(|| Path::new("/"));
    match rustix::fs::statvfs(existing) {
        Ok(stats) => {
            let free = stats.f_bavail.saturating_mul(stats.f_frsize);
            let text = format!("{} MiB free at {}", free / MIB, existing.display());
            if free < DISK_FAIL_BELOW {
                Finding::fail(
                    "disk space",
                    format!(
                        "only {text}; the database and logs stop growing when it runs out. Fix: free space (`docker system prune`, delete old backups) or move DATA_DIR"
                    ),
                )
            } else if free < DISK_WARN_BELOW {
                Finding::warn(
                    "disk space",
                    format!(
                        "only {text}. Fix: free space (`docker system prune`, old files in the backups folder) before it runs out"
                    ),
                )
            } else {
                Finding::ok("disk space", text)
            }
        }
        Err(err) => Finding::warn(
            "disk space",
            format!("cannot measure free space at {}: {err}", existing.display()),
        ),
    }
}

/// Available memory, within the container's limit when there is one.
fn memory() -> Option<Finding> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let available_kib: u64 = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    let mut available = available_kib * 1024;
    let limit = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok();
    let used = std::fs::read_to_string("/sys/fs/cgroup/memory.current").ok();
    if let (Some(limit), Some(used)) = (limit, used)
        && let (Ok(limit), Ok(used)) = (limit.trim().parse::<u64>(), used.trim().parse::<u64>())
    {
        available = available.min(limit.saturating_sub(used));
    }
    let text = format!("{} MiB available", available / MIB);
    Some(if available < MEMORY_WARN_BELOW {
        Finding::warn(
            "memory",
            format!(
                "only {text}. Fix: stop other containers, raise the container's memory limit (deploy.resources.limits.memory), or add memory"
            ),
        )
    } else {
        Finding::ok("memory", text)
    })
}

/// Whether `folder` (or an ancestor below `/`) is a mount point.
fn on_a_mount(folder: &Path) -> bool {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let mounts: Vec<&str> = mountinfo.lines().filter_map(|line| line.split(' ').nth(4)).collect();
    folder
        .ancestors()
        .filter(|p| *p != Path::new("/") && !p.as_os_str().is_empty())
        .any(|p| mounts.iter().any(|m| Path::new(m) == p))
}

pub async fn check_port(config: &Config) -> Finding {
    let free = std::net::TcpListener::bind((config.host.as_str(), config.port));
    match free {
        Ok(_) => Finding::ok("port", format!("{}:{} is free", config.host, config.port)),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => {
            if llm_chat_answers(config.port).await {
                Finding::ok("port", format!("llm-chat is already serving on port {}", config.port))
            } else {
                Finding::fail(
                    "port",
                    format!(
                        "another program uses port {port}. Fix: stop it (find it with `ss -ltnp 'sport = :{port}'` or \
                         `netstat -tulpn | grep :{port}`), or publish other host ports in docker-compose.override.yml \
                         (e.g. \"8080:8000\"), or set PORT",
                        port = config.port
                    ),
                )
            }
        }
        Err(err) => Finding::fail(
            "port",
            format!(
                "cannot listen on {}:{}: {err}. Fix: use PORT 1024 or above and HOST=0.0.0.0 (or an address of this machine)",
                config.host, config.port
            ),
        ),
    }
}

async fn llm_chat_answers(port: u16) -> bool {
    let Ok(client) = crate::llm::http_client_builder()
        .and_then(|b| b.timeout(Duration::from_secs(3)).build().map_err(|e| e.to_string()))
    else {
        return false;
    };
    let Ok(response) = client.get(format!("http://127.0.0.1:{port}/api/health")).send().await else {
        return false;
    };
    response
        .json::<serde_json::Value>()
        .await
        .is_ok_and(|body| body["status"] == "ok" && body["version"].is_string())
}
