//! The key that signs access tokens. A deployment that sets no `SECRET_KEY`
//! gets a random one, generated once and kept in `DATA_DIR` (mode 0600) so
//! that tokens survive restarts; there is never a built-in default.

use crate::config::Secret;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const FILE_NAME: &str = "secret_key";
/// Keys shorter than this (in bytes) are accepted with a warning.
const RECOMMENDED_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
#[error(
    "SECRET_KEY is not set and the generated key file {path} cannot be used: {reason}. \
     Fix: set SECRET_KEY (e.g. to the output of `openssl rand -hex 32`) or make DATA_DIR writable"
)]
pub struct SecretKeyError {
    pub path: PathBuf,
    pub reason: String,
}

/// The configured key, or the one persisted under `data_dir` (created on first use).
pub fn resolve_secret_key(configured: Option<&Secret>, data_dir: &Path) -> Result<Secret, SecretKeyError> {
    if let Some(secret) = configured {
        if secret.expose().len() < RECOMMENDED_LEN {
            tracing::warn!(
                "SECRET_KEY is shorter than {RECOMMENDED_LEN} bytes; use a longer random value (e.g. `openssl rand -hex 32`)"
            );
        }
        return Ok(secret.clone());
    }
    let path = data_dir.join(FILE_NAME);
    let fail = |reason: String| SecretKeyError {
        path: path.clone(),
        reason,
    };
    match std::fs::read_to_string(&path) {
        Ok(stored) if !stored.trim().is_empty() => {
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode() & 0o777)
                .unwrap_or(0);
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the secret key file is readable by other users; run `chmod 600` on it");
            }
            return Ok(Secret::new(stored.trim().to_owned()));
        }
        Ok(_) => {
            return Err(fail("the file is empty; delete it to generate a new key".to_owned()));
        }
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
            return Err(fail(err.to_string()));
        }
        Err(_) => {}
    }
    std::fs::create_dir_all(data_dir).map_err(|err| fail(err.to_string()))?;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| fail(err.to_string()))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|err| fail(err.to_string()))?;
    file.write_all(key.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|err| fail(err.to_string()))?;
    tracing::warn!(
        path = %path.display(),
        "SECRET_KEY is not set: generated a random key and stored it in this file (mode 0600). \
         Keep the file with your backups, or set SECRET_KEY yourself; losing it signs everyone out"
    );
    Ok(Secret::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve_secret_key(None, dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(first.expose().len(), 64);
        let second = resolve_secret_key(None, dir.path()).unwrap();
        assert_eq!(first, second);
    }

    #[test]
    fn a_configured_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        let configured = Secret::new("x".repeat(40));
        assert_eq!(resolve_secret_key(Some(&configured), dir.path()).unwrap(), configured);
        assert!(!dir.path().join(FILE_NAME).exists());
    }
}
