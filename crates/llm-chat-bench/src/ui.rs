//! Scenario `ui`: the gzipped size of what the chat page loads first, and the
//! time to render a long streamed reply in headless Chromium with the frames
//! over 50 ms counted. A node script (web/bench/render.mjs, with the web UI's
//! playwright-core) drives the browser against llm-chat started here.

use crate::process::{Server, fake_model};
use crate::report::{self, Table};
use serde_json::{Value, json};
use std::path::Path;

#[derive(Debug, Clone, clap::Args)]
pub struct UiArgs {
    /// Tokens in the streamed reply.
    #[arg(long, default_value_t = 20_000)]
    pub tokens: usize,
    /// Milliseconds the fake model waits between tokens.
    #[arg(long, default_value_t = 0)]
    pub token_delay_ms: u64,
    /// The web UI's folder (with node_modules installed).
    #[arg(long, default_value = "web")]
    pub web: std::path::PathBuf,
}

impl UiArgs {
    pub fn quick() -> UiArgs {
        UiArgs {
            tokens: 200,
            token_delay_ms: 0,
            web: "web".into(),
        }
    }
}

pub async fn run(binary: &Path, out: &Path, args: &UiArgs) -> Result<(), String> {
    let load = report::load_average();
    let mock = fake_model(mock_llm::Options {
        token_delay_ms: args.token_delay_ms,
        ..Default::default()
    })
    .await?;
    let server = Server::start(binary, &format!("{mock}/v1"), &[]).await?;
    eprintln!("ui: rendering a {}-token reply in Chromium…", args.tokens);
    let output = tokio::process::Command::new("node")
        .arg("bench/render.mjs")
        .arg(format!("--base={}", server.base))
        .arg(format!("--tokens={}", args.tokens))
        .current_dir(&args.web)
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run node in {}: {e}", args.web.display()))?;
    server.stop().await;
    if !output.status.success() {
        return Err(format!(
            "web/bench/render.mjs failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let result: Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("web/bench/render.mjs printed no JSON ({e})"))?;
    let kib = |bytes: &Value| format!("{:.1}", bytes.as_f64().unwrap_or(0.0) / 1024.0);
    let mut assets = Table::new(
        "UI: the chat page's initial assets, gzipped (level 9)",
        &["file", "raw KiB", "gzip KiB"],
    );
    if let Some(files) = result["assets"]["files"].as_object() {
        for (file, size) in files {
            assets.row(vec![file.clone(), kib(&size["raw"]), kib(&size["gzip"])]);
        }
    }
    assets.row(vec![
        "total".to_owned(),
        "".to_owned(),
        kib(&result["assets"]["gzip_bytes"]),
    ]);
    let render = &result["render"];
    let mut rendering = Table::new(
        format!(
            "UI: a {}-token reply streamed into the chat page ({} ms between tokens)",
            args.tokens, args.token_delay_ms
        ),
        &[
            "render ms",
            "frames",
            "frames > 50 ms",
            "longest frame ms",
            "reply chars",
        ],
    );
    rendering.row(
        ["render_ms", "frames", "long_frames", "longest_frame_ms", "reply_chars"]
            .iter()
            .map(|key| render[key].to_string())
            .collect(),
    );
    let data = json!({"tokens": args.tokens, "token_delay_ms": args.token_delay_ms, "result": result});
    report::write(out, "ui", load, data, &[assets, rendering])
}
