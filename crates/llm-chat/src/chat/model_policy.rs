//! Which models users may pick: the providers' models narrowed by the
//! admin's allowed list, and the default for conversations that name none.
//! Read from the settings on every use, so a change applies at once on every
//! replica.

use super::ChatError;
use crate::llm::{ModelInfo, ProviderRegistry};
use crate::store::{SettingKey, Store, StoreError};

/// The admin's choices, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelPolicy {
    pub default_model: Option<String>,
    /// Empty: every model the providers offer.
    pub allowed_models: Vec<String>,
}

/// The models users see, and the one used when none is named.
pub struct Offered {
    pub models: Vec<ModelInfo>,
    pub default_model: Option<String>,
}

/// At most this many models in the allowed list.
const MAX_ALLOWED: usize = 500;

impl ModelPolicy {
    pub async fn load(store: &Store) -> Result<ModelPolicy, StoreError> {
        Ok(ModelPolicy {
            default_model: store
                .setting::<Option<String>>(SettingKey::DefaultModel)
                .await?
                .flatten(),
            allowed_models: store.setting(SettingKey::AllowedModels).await?.unwrap_or_default(),
        })
    }

    pub async fn save(&self, store: &Store) -> Result<(), ChatError> {
        store.set_setting(SettingKey::DefaultModel, &self.default_model).await?;
        store
            .set_setting(SettingKey::AllowedModels, &self.allowed_models)
            .await?;
        Ok(())
    }

    pub fn allows(&self, model: &str) -> bool {
        self.allowed_models.is_empty() || self.allowed_models.iter().any(|m| m == model)
    }

    /// The registry's models this policy lets users pick; the default is the
    /// admin's choice while it is offered, else the first model offered.
    pub fn offered(&self, registry: &ProviderRegistry) -> Offered {
        let models: Vec<ModelInfo> = registry.models().into_iter().filter(|m| self.allows(&m.id)).collect();
        let default_model = self
            .default_model
            .as_ref()
            .filter(|d| models.iter().any(|m| &m.id == *d))
            .cloned()
            .or_else(|| models.first().map(|m| m.id.clone()));
        Offered { models, default_model }
    }

    /// Checks a change against the models offered now, so that a typo can't
    /// lock users out of every model.
    pub fn validated(self, registry: &ProviderRegistry) -> Result<ModelPolicy, ChatError> {
        let known = registry.models();
        let is_known = |id: &str| known.iter().any(|m| m.id == id);
        let mut allowed: Vec<String> = Vec::new();
        for model in self.allowed_models {
            let model = model.trim().to_owned();
            if !is_known(&model) {
                return Err(invalid(
                    "allowed_models",
                    format!("{model:?} is not a model any provider offers; pick ids from GET /api/admin/providers"),
                ));
            }
            if !allowed.contains(&model) {
                allowed.push(model);
            }
        }
        if allowed.len() > MAX_ALLOWED {
            return Err(invalid(
                "allowed_models",
                format!("at most {MAX_ALLOWED} models may be listed"),
            ));
        }
        let default_model = self
            .default_model
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        if let Some(default) = &default_model {
            if !is_known(default) {
                return Err(invalid(
                    "default_model",
                    format!("{default:?} is not a model any provider offers"),
                ));
            }
            if !allowed.is_empty() && !allowed.contains(default) {
                return Err(invalid(
                    "default_model",
                    format!(
                        "the default model {default:?} is not among the allowed models; allow it or pick another default"
                    ),
                ));
            }
        }
        Ok(ModelPolicy {
            default_model,
            allowed_models: allowed,
        })
    }
}

fn invalid(field: &'static str, message: String) -> ChatError {
    ChatError::Invalid { field, message }
}
