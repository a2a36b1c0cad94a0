//! Builds the web UI (`web/`, a Svelte app) so that the binary can embed it.
//!
//! - `npm ci` runs when `web/node_modules` is missing or older than
//!   `web/package-lock.json`; `npm run build` runs when the UI's sources
//!   changed or `web/dist` is missing. Cargo reruns this script only when a
//!   watched file changes.
//! - Without Node.js and npm the build stops with a message saying how to get
//!   them.
//! - `LLM_CHAT_SKIP_WEB_BUILD=1` skips npm entirely: the binary then embeds
//!   `web/dist` as it is, or, when there is none, a one-page notice that the
//!   UI was not built (for API-only builds on machines without Node.js).
//!
//! The folder to embed is passed to the crate as `LLM_CHAT_WEB_DIST`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const WATCHED: [&str; 9] = [
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "svelte.config.js",
    "scripts",
];

fn main() {
    if let Err(message) = run() {
        // Cargo shows a build script's stderr when it fails.
        eprintln!("\nerror: {message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let web = manifest.join("../../web");
    let web = web.canonicalize().unwrap_or(web);
    let dist = web.join("dist");
    println!("cargo:rerun-if-env-changed=LLM_CHAT_SKIP_WEB_BUILD");
    // A path that does not exist would make cargo rerun this script every time.
    for name in WATCHED.iter().filter(|name| web.join(name).exists()) {
        println!("cargo:rerun-if-changed={}", web.join(name).display());
    }

    let skip = std::env::var("LLM_CHAT_SKIP_WEB_BUILD").is_ok_and(|v| !v.is_empty() && v != "0");
    if skip {
        if dist.join("index.html").is_file() {
            return embed(&dist);
        }
        let placeholder = PathBuf::from(env("OUT_DIR")?).join("web-placeholder");
        std::fs::create_dir_all(&placeholder).map_err(|e| e.to_string())?;
        std::fs::write(placeholder.join("index.html"), PLACEHOLDER).map_err(|e| e.to_string())?;
        println!(
            "cargo:warning=LLM_CHAT_SKIP_WEB_BUILD is set and web/dist is missing: the binary serves a notice instead of the web UI"
        );
        return embed(&placeholder);
    }

    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        return Err(format!(
            "building llm-chat needs Node.js (20.19 or newer) and npm to build its web UI in {}.\n\
             Install them (https://nodejs.org, or your system's `nodejs` and `npm` packages) and run cargo again.\n\
             To build the server without the web UI, set LLM_CHAT_SKIP_WEB_BUILD=1.",
            web.display()
        ));
    }

    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    if !installed.is_file() || modified(&lock) > modified(&installed) {
        npm_run(npm, &web, &["ci", "--no-audit", "--no-fund"])?;
    }
    npm_run(npm, &web, &["run", "build"])?;
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "`npm run build` finished but {} has no index.html",
            dist.display()
        ));
    }
    embed(&dist)
}

fn embed(folder: &Path) -> Result<(), String> {
    println!("cargo:rustc-env=LLM_CHAT_WEB_DIST={}", folder.display());
    Ok(())
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("cargo did not set {name}"))
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

fn npm_run(npm: &str, web: &Path, args: &[&str]) -> Result<(), String> {
    let shown = format!("npm {}", args.join(" "));
    // stdout is read by cargo as build-script instructions: keep npm's output on stderr.
    let output = Command::new(npm)
        .args(args)
        .current_dir(web)
        .output()
        .map_err(|e| format!("could not start `{shown}` in {}: {e}", web.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    for line in text.lines().filter(|line| line.contains("initial JS+CSS")) {
        println!("cargo:warning={}", line.trim());
    }
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{shown}` failed in {} ({}).\n{}\n{}",
        web.display(),
        output.status,
        text,
        String::from_utf8_lossy(&output.stderr)
    ))
}

const PLACEHOLDER: &str = "<!doctype html><meta charset=\"utf-8\"><title>llm-chat</title>\
<p>This llm-chat binary was built with LLM_CHAT_SKIP_WEB_BUILD=1, without its web UI. \
The API works; its documentation is at <a href=\"/docs/\">/docs</a>.</p>";
