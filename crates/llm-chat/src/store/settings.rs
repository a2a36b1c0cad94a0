//! Settings an admin changes at run time, stored as JSON values by key.
//!
//! Every chat message reads the model settings, yet they change rarely: values
//! read are kept for [`CACHE_FOR`]. A change made through this server applies
//! at once (writing clears the cache); one made through another replica, within
//! that time.

use super::{Store, StoreError, now_ms, on_pool, on_writer};
use serde::{Serialize, de::DeserializeOwned};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

const CACHE_FOR: Duration = Duration::from_secs(1);

/// Raw values read lately (`None`: never set), by key, with when they were read.
#[derive(Default)]
pub(super) struct Cache(Mutex<HashMap<&'static str, (Instant, Option<String>)>>);

impl Cache {
    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, (Instant, Option<String>)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn get(&self, key: &'static str) -> Option<Option<String>> {
        self.lock()
            .get(key)
            .filter(|(read, _)| read.elapsed() < CACHE_FOR)
            .map(|(_, raw)| raw.clone())
    }
}

/// The settings the system knows; a closed list so a typo can't create a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    /// Whether anyone may create an account from the sign-in page.
    RegistrationOpen,
    /// The model a conversation uses when it names none.
    DefaultModel,
    /// The models users may pick; empty means every model offered.
    AllowedModels,
    /// A notice shown on the sign-in page.
    SigninMessage,
    /// Whether users may create share links, and whether existing ones open.
    SharingEnabled,
}

impl SettingKey {
    fn as_str(self) -> &'static str {
        match self {
            SettingKey::RegistrationOpen => "registration_open",
            SettingKey::DefaultModel => "default_model",
            SettingKey::AllowedModels => "allowed_models",
            SettingKey::SigninMessage => "signin_message",
            SettingKey::SharingEnabled => "sharing_enabled",
        }
    }
}

impl Store {
    /// The stored value of a setting, or `None` when it was never set.
    pub async fn setting<T: DeserializeOwned>(&self, key: SettingKey) -> Result<Option<T>, StoreError> {
        const SQL: &str = "SELECT value FROM settings WHERE key = $1";
        let raw = match self.settings.get(key.as_str()) {
            Some(raw) => raw,
            None => {
                let raw: Option<String> =
                    on_pool!(self, pool => sqlx::query_scalar(SQL).bind(key.as_str()).fetch_optional(pool).await)?;
                self.settings.lock().insert(key.as_str(), (Instant::now(), raw.clone()));
                raw
            }
        };
        raw.map(|raw| {
            serde_json::from_str(&raw)
                .map_err(|err| StoreError::Corrupt(format!("setting {} holds unreadable JSON: {err}", key.as_str())))
        })
        .transpose()
    }

    pub async fn set_setting<T: Serialize>(&self, key: SettingKey, value: &T) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
        let json = serde_json::to_string(value)
            .map_err(|err| StoreError::Corrupt(format!("setting {} cannot be stored: {err}", key.as_str())))?;
        on_writer!(self, pool => sqlx::query(SQL).bind(key.as_str()).bind(json).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        self.settings.lock().remove(key.as_str());
        Ok(())
    }
}
