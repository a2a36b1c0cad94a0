//! The llm-chat process under test: started from its binary on a fresh
//! database (SQLite in a temporary folder unless a `DATABASE_URL` is given),
//! timed from exec to its first health answer, with its CPU time and memory
//! read from /proc. It is killed when dropped, so an error or Ctrl-C in the
//! harness never leaves it running.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub base: String,
    pub pid: u32,
    /// From exec to the first `200` of `/api/health`.
    pub ready_ms: f64,
    child: Child,
    _data: tempfile::TempDir,
}

/// Generation limits high enough that the load, not a per-user limit, is measured.
const UNLIMITED: [(&str, &str); 2] = [
    ("MAX_CONCURRENT_GENERATIONS_PER_USER", "1000000"),
    ("GENERATIONS_PER_MINUTE", "100000000"),
];

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
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (key, value) in UNLIMITED.iter().chain(extra) {
            command.env(key, value);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let pid = child.id().ok_or("llm-chat exited at once")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.next_line())
                .await
                .map_err(|_| "llm-chat did not listen within 60 s")?
                .map_err(|e| e.to_string())?
                .ok_or("llm-chat exited before listening")?;
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break format!("http://{}", rest.split_whitespace().next().unwrap_or_default());
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let ready_ms = wait_healthy(&base, started, deadline).await?;
        Ok(Server {
            base,
            pid,
            ready_ms,
            child,
            _data: data,
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

async fn wait_healthy(base: &str, started: Instant, deadline: Instant) -> Result<f64, String> {
    let client = reqwest::Client::new();
    loop {
        if let Ok(response) = client.get(format!("{base}/api/health")).send().await
            && response.status().is_success()
        {
            return Ok(started.elapsed().as_secs_f64() * 1000.0);
        }
        if Instant::now() > deadline {
            return Err("llm-chat did not answer /api/health within 60 s".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
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

/// Resident memory of a process, in MiB.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Memory {
    pub peak_mib: f64,
    pub current_mib: f64,
}

pub fn memory(pid: u32) -> Memory {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return Memory::default();
    };
    let kib = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Memory {
        peak_mib: kib("VmHWM:") / 1024.0,
        current_mib: kib("VmRSS:") / 1024.0,
    }
}

/// CPU use of a process over a stretch of time, in percent of one core.
pub struct CpuMeter {
    pid: u32,
    cpu: f64,
    at: Instant,
}

impl CpuMeter {
    pub fn start(pid: u32) -> CpuMeter {
        CpuMeter {
            pid,
            cpu: cpu_seconds(pid),
            at: Instant::now(),
        }
    }

    pub fn percent(&self) -> f64 {
        self.seconds() / self.at.elapsed().as_secs_f64().max(1e-9) * 100.0
    }

    /// CPU seconds used since the start; less disturbed by other work on the
    /// machine than wall-clock times.
    pub fn seconds(&self) -> f64 {
        cpu_seconds(self.pid) - self.cpu
    }
}

/// Starts the fake model server inside the harness; answers its base URL
/// (`http://127.0.0.1:port`).
pub async fn fake_model(options: mock_llm::Options) -> Result<String, String> {
    let addr = mock_llm::spawn(options)
        .await
        .map_err(|e| format!("cannot start the fake model server: {e}"))?;
    Ok(format!("http://{addr}"))
}
