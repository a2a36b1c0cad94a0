//! Per-user keys for the OpenAI-compatible API (`sk-llmchat-…`). A key is 32
//! random bytes shown once; only its SHA-256 is stored, so a leaked database
//! does not leak usable keys, and lookup is one indexed query on the hash.

use super::AuthError;
use crate::store::{ApiKey, NewApiKey, Store, StoreError, User, now_ms};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// Every key starts with this, which tells a key from a JWT at a glance.
pub const KEY_PREFIX: &str = "sk-llmchat-";
/// What a key may be used for; `chat` covers `/v1/models` and `/v1/chat/completions`.
pub const SCOPES: &[&str] = &["chat"];
const MAX_NAME_CHARS: usize = 100;
/// `last_used_at` is written at most this often per key, so a burst of
/// requests does not become a burst of writes.
const TOUCH_EVERY_MS: i64 = 60_000;
/// Characters of the key kept in the list, enough to recognise it.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 6;

/// A key just created: its stored description and the secret, shown once.
pub struct CreatedKey {
    pub key: ApiKey,
    pub secret: String,
}

/// The account behind a key.
pub struct KeyHolder {
    pub user: User,
    pub key_id: String,
}

#[derive(Default)]
pub struct KeyUse {
    last_touch: Mutex<HashMap<String, i64>>,
}

impl KeyUse {
    /// Whether `last_used_at` of `key_id` is due for a write.
    fn due(&self, key_id: &str, now: i64) -> bool {
        let mut seen = self.last_touch.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, at| now - *at < TOUCH_EVERY_MS);
        }
        match seen.get(key_id) {
            Some(at) if now - *at < TOUCH_EVERY_MS => false,
            _ => {
                seen.insert(key_id.to_owned(), now);
                true
            }
        }
    }
}

/// SHA-256 of the key, as lowercase hex.
pub fn hash_key(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a key's name and scopes, then stores it.
pub async fn create(
    store: &Store,
    user_id: &str,
    name: &str,
    scopes: Option<Vec<String>>,
) -> Result<CreatedKey, AuthError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AuthError::InvalidKey {
            field: "name",
            message: format!(
                "give the key a name of 1 to {MAX_NAME_CHARS} characters, e.g. the program that will use it"
            ),
        });
    }
    let scopes = scopes.unwrap_or_else(|| vec!["chat".to_owned()]);
    if scopes.is_empty() || scopes.iter().any(|s| !SCOPES.contains(&s.as_str())) {
        return Err(AuthError::InvalidKey {
            field: "scopes",
            message: format!("scopes must be a non-empty list of: {}", SCOPES.join(", ")),
        });
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| AuthError::Store(StoreError::Corrupt(format!("no randomness: {err}"))))?;
    let secret = format!(
        "{KEY_PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let key = store
        .insert_api_key(NewApiKey {
            user_id,
            name,
            prefix: &secret[..SHOWN_CHARS],
            key_hash: &hash_key(&secret),
            scopes: &scopes.join(","),
        })
        .await?;
    Ok(CreatedKey { key, secret })
}

/// The account behind a key that is live and whose owner is enabled.
pub async fn holder(store: &Store, uses: &KeyUse, secret: &str) -> Result<KeyHolder, AuthError> {
    let owner = match store.api_key_owner(&hash_key(secret)).await {
        Ok(owner) => owner,
        Err(StoreError::NotFound) => return Err(AuthError::UnknownKey),
        Err(err) => return Err(err.into()),
    };
    if owner.user.disabled {
        return Err(AuthError::AccountDisabled);
    }
    let now = now_ms();
    if uses.due(&owner.key_id, now)
        && let Err(err) = store.touch_api_key(&owner.key_id, now).await
    {
        tracing::warn!(error = %err, "could not record when an API key was last used");
    }
    Ok(KeyHolder {
        user: owner.user,
        key_id: owner.key_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_use_is_written_once_a_minute_per_key() {
        let uses = KeyUse::default();
        assert!(uses.due("a", 0));
        assert!(!uses.due("a", 59_999));
        assert!(uses.due("b", 59_999));
        assert!(uses.due("a", 60_000));
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        assert_eq!(
            hash_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
