//! The llm-chat process under test: started from its binary on a fresh
//! SQLite database, with its CPU time and peak memory read from /proc.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub base: String,
    pub pid: u32,
    child: Child,
    _data: tempfile::TempDir,
}

impl Server {
    pub async fn start(binary: &Path, llm_url: &str, extra: &[(&str, &str)]) -> Result<Server, String> {
        let data = tempfile::tempdir().map_err(|e| e.to_string())?;
        let binary = binary.canonicalize().map_err(|e| {
            format!(
                "cannot find {} ({e}); build it with `cargo build --release`",
                binary.display()
            )
        })?;
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .current_dir(data.path())
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("DATA_DIR", data.path())
            .env("LOG_LEVEL", "warn,llm_chat::server=info")
            .env("LLM_API_URL", llm_url)
            .env("LLM_MODEL", "mock-model")
            .env("MAX_CONCURRENT_GENERATIONS_PER_USER", "100000")
            .env("GENERATIONS_PER_MINUTE", "1000000")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in extra {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().ok_or("llm-chat exited at once")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
                .await
                .map_err(|_| "llm-chat did not listen within 30 s")?
                .map_err(|e| e.to_string())?
                .ok_or("llm-chat exited before listening")?;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().unwrap_or_default());
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            base,
            pid,
            child,
            _data: data,
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// CPU seconds (user + system) the process used so far.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may hold spaces) start at ") ".
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 here; 100 ticks per second.
    (ticks(11) + ticks(12)) / 100.0
}

/// Peak and current resident memory, in MiB.
pub fn memory_mib(pid: u32) -> (f64, f64) {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return (0.0, 0.0);
    };
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kib("VmHWM:") / 1024.0, kib("VmRSS:") / 1024.0)
}
