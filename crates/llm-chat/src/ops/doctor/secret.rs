//! Checks of settings a typo or a copied example gets wrong: the token
//! signing key, variables this server ignores, and a listen address that a
//! container's published ports cannot reach.

use super::{Finding, RawLookup, in_container};
use crate::config::Config;
use std::os::unix::fs::PermissionsExt;

/// Keys shorter than this many bytes can be guessed offline from one token.
const MIN_KEY_BYTES: usize = 16;
const GOOD_KEY_BYTES: usize = 32;
/// Pieces of the placeholders that example files and guides ship with.
const PLACEHOLDERS: [&str; 8] = [
    "your-secret",
    "your_secret",
    "secret-key",
    "secret_key",
    "change",
    "replace",
    "example",
    "<",
];

const FIX_KEY: &str = "Fix: set SECRET_KEY to the output of `openssl rand -hex 32` (in docker-compose.override.yml or .env), or remove it to let the server generate and keep one";

pub fn check_settings(config: &Config, raw: RawLookup<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(url) = raw("NEXT_PUBLIC_API_URL") {
        findings.push(Finding::warn(
            "NEXT_PUBLIC_API_URL",
            format!(
                "is set ({url}) but ignored: the web UI is served by this same server, so it always reaches the API \
                 on the address the browser used. Fix: remove NEXT_PUBLIC_API_URL from docker-compose.override.yml and .env"
            ),
        ));
    }
    if in_container() && (config.host.starts_with("127.") || config.host == "localhost") {
        // A warning, not a failure: with `network_mode: host` loopback is right.
        findings.push(Finding::warn(
            "HOST",
            format!(
                "HOST={} inside a container: published ports (3000, 8000) cannot reach a server that listens on the \
                 container's loopback. Fix: set HOST=0.0.0.0 (unless the container uses the host's network)",
                config.host
            ),
        ));
    }
    findings
}

pub fn check_secret_key(config: &Config) -> Finding {
    let Some(secret) = &config.secret_key else {
        return generated_key(config);
    };
    let key = secret.expose();
    let lower = key.to_ascii_lowercase();
    let distinct = {
        let mut bytes: Vec<u8> = key.bytes().collect();
        bytes.sort_unstable();
        bytes.dedup();
        bytes.len()
    };
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        Finding::fail(
            "SECRET_KEY",
            format!(
                "looks like a placeholder copied from an example; anyone can forge sign-in tokens with it. {FIX_KEY}"
            ),
        )
    } else if key.len() < MIN_KEY_BYTES || distinct < 8 {
        Finding::fail(
            "SECRET_KEY",
            format!(
                "is too weak ({} bytes, {distinct} different characters); tokens signed with it can be forged. {FIX_KEY}",
                key.len()
            ),
        )
    } else if key.len() < GOOD_KEY_BYTES {
        Finding::warn(
            "SECRET_KEY",
            format!(
                "is {} bytes; {GOOD_KEY_BYTES} or more are recommended. {FIX_KEY}",
                key.len()
            ),
        )
    } else {
        Finding::ok("SECRET_KEY", format!("set, {} bytes", key.len()))
    }
}

fn generated_key(config: &Config) -> Finding {
    let path = config.data_dir.join("secret_key");
    match std::fs::metadata(&path) {
        Err(_) => Finding::ok(
            "SECRET_KEY",
            format!(
                "not set: the server generates a key at its first start and keeps it in {} (keep that file with your backups)",
                path.display()
            ),
        ),
        Ok(meta) if meta.len() == 0 => Finding::fail(
            "SECRET_KEY",
            format!(
                "{} is empty and the server will refuse to start. Fix: delete the file to generate a new key (everyone signs in again)",
                path.display()
            ),
        ),
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => Finding::warn(
            "SECRET_KEY",
            format!(
                "{} can be read by other users. Fix: `chmod 600 {}`",
                path.display(),
                path.display()
            ),
        ),
        Ok(_) => Finding::ok(
            "SECRET_KEY",
            format!(
                "not set: using the generated key in {} (keep that file with your backups)",
                path.display()
            ),
        ),
    }
}
