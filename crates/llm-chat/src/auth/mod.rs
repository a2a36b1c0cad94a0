//! Accounts and sign-in: registration, login, sessions and access tokens,
//! password changes, the admin's registration switch, account management and
//! API keys.

mod admin;
pub mod api_keys;
mod credentials;
mod login_limiter;
mod password;
mod secret_key;
mod token;

pub use admin::{UserChange, UserPage};
pub use api_keys::{CreatedKey, KEY_PREFIX, KeyHolder};
pub use credentials::{InvalidCredential, NewPassword, Username};
pub use password::{HashError, hash_password};
pub use secret_key::{SecretKeyError, resolve_secret_key};
pub use token::{Claims, TokenCodec, TokenError};

use crate::config::{Config, Secret};
use crate::store::{ApiKey, NewSession, NewUser, Role, SettingKey, Store, StoreError, User, now_ms};
use login_limiter::LoginLimiter;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("wrong username or password")]
    InvalidCredentials,
    #[error("this account is disabled; ask an administrator")]
    AccountDisabled,
    #[error("registration is closed on this server; ask an administrator for an account")]
    RegistrationClosed,
    #[error("the username {0:?} is taken; choose another")]
    UsernameTaken(String),
    #[error("no such account")]
    UserNotFound,
    #[error("this is the last enabled administrator; make another account admin first")]
    LastAdmin,
    #[error("to delete this account and all its data, confirm with its exact username {0:?}")]
    ConfirmationMismatch(String),
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    #[error(transparent)]
    Invalid(#[from] InvalidCredential),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("the session has ended (signed out or password changed); sign in again")]
    SessionEnded,
    #[error("too many failed sign-ins; try again in {} seconds", .0.as_secs().max(1))]
    TooManyAttempts(Duration),
    #[error("the API key is not valid or was revoked; create a new one under API keys")]
    UnknownKey,
    #[error("API keys work only on /v1/* (the OpenAI-compatible API); sign in for the rest of the API")]
    KeyNotAllowedHere,
    #[error("{message}")]
    InvalidKey { field: &'static str, message: String },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AuthError {
    fn from(err: StoreError) -> Self {
        AuthError::Store(err)
    }
}

/// A signed-in user and the session their token belongs to.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub session_id: String,
}

/// A freshly issued access token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: Duration,
    pub user: User,
}

/// Longer notices belong in the documentation, not on the sign-in page.
const MAX_SIGNIN_MESSAGE_CHARS: usize = 2000;

pub struct AuthService {
    store: Store,
    codec: TokenCodec,
    token_ttl: Duration,
    limiter: LoginLimiter,
    /// Verified against when the username doesn't exist, so that a wrong
    /// username takes as long as a wrong password.
    decoy_hash: OnceCell<String>,
    key_use: api_keys::KeyUse,
}

impl AuthService {
    pub fn new(store: Store, config: &Config, secret: &Secret) -> Arc<AuthService> {
        Arc::new(AuthService {
            store,
            codec: TokenCodec::new(secret, config.algorithm),
            token_ttl: config.access_token_ttl,
            limiter: LoginLimiter::default(),
            decoy_hash: OnceCell::new(),
            key_use: api_keys::KeyUse::default(),
        })
    }

    /// Creates an account (the first one becomes admin) and signs it in.
    #[tracing::instrument(skip_all, fields(username = %username))]
    pub async fn register(&self, username: Username, password: NewPassword) -> Result<IssuedToken, AuthError> {
        if !self.registration_open().await? && self.store.count_users().await? > 0 {
            return Err(AuthError::RegistrationClosed);
        }
        let user = create_user(&self.store, username, password, None).await?;
        if user.role == Role::Admin {
            tracing::info!(user_id = %user.id, "the first account was created and made admin");
        }
        self.issue_token(user).await
    }

    /// Checks a username and password; `client` is the address the attempt came from.
    #[tracing::instrument(skip_all, fields(client = %client))]
    pub async fn login(&self, username: &str, password: &str, client: IpAddr) -> Result<IssuedToken, AuthError> {
        self.limiter
            .check(client, username)
            .map_err(AuthError::TooManyAttempts)?;
        let found = match self.store.credentials_by_username(username.trim()).await {
            Ok(found) => Some(found),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err.into()),
        };
        let stored_hash = match &found {
            Some(found) => found.password_hash.clone(),
            None => self.decoy_hash().await?,
        };
        let matches = password::verify_password(password.to_owned(), stored_hash).await?;
        let Some(found) = found.filter(|_| matches) else {
            self.limiter.record_failure(client, username);
            return Err(AuthError::InvalidCredentials);
        };
        self.limiter.record_success(client, username);
        if found.user.disabled {
            return Err(AuthError::AccountDisabled);
        }
        self.issue_token(found.user).await
    }

    /// Resolves a bearer token to its user, refusing expired, tampered and revoked tokens.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if token.starts_with(KEY_PREFIX) {
            return Err(AuthError::KeyNotAllowedHere);
        }
        let claims = self.codec.decode(token)?;
        let user = match self.store.user_of_live_session(&claims.sid, &claims.sub).await {
            Ok(user) => user,
            Err(StoreError::NotFound) => return Err(AuthError::SessionEnded),
            Err(err) => return Err(err.into()),
        };
        if user.disabled {
            return Err(AuthError::AccountDisabled);
        }
        Ok(Principal {
            user,
            session_id: claims.sid,
        })
    }

    /// Resolves the bearer credential of an OpenAI-compatible request: an API key or an access token.
    pub async fn authenticate_program(&self, credential: &str) -> Result<User, AuthError> {
        if credential.starts_with(KEY_PREFIX) {
            let holder = api_keys::holder(&self.store, &self.key_use, credential).await?;
            return Ok(holder.user);
        }
        match self.authenticate(credential).await {
            Ok(principal) => Ok(principal.user),
            Err(AuthError::Token(_) | AuthError::SessionEnded) => Err(AuthError::UnknownKey),
            Err(err) => Err(err),
        }
    }

    pub async fn create_key(
        &self,
        user_id: &str,
        name: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<CreatedKey, AuthError> {
        api_keys::create(&self.store, user_id, name, scopes).await
    }

    pub async fn keys(&self, user_id: &str) -> Result<Vec<ApiKey>, AuthError> {
        Ok(self.store.api_keys_of(user_id).await?)
    }

    pub async fn revoke_key(&self, user_id: &str, key_id: &str) -> Result<(), AuthError> {
        Ok(self.store.revoke_api_key(key_id, user_id).await?)
    }

    pub async fn logout(&self, principal: &Principal) -> Result<(), AuthError> {
        match self.store.revoke_session(&principal.session_id).await {
            Ok(()) | Err(StoreError::NotFound) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// Changes the password and ends every other session of the user. Wrong
    /// guesses of the current password count like failed sign-ins.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user.id))]
    pub async fn change_password(
        &self,
        principal: &Principal,
        current: &str,
        new: NewPassword,
        client: IpAddr,
    ) -> Result<(), AuthError> {
        let username = principal.user.username.as_str();
        self.limiter
            .check(client, username)
            .map_err(AuthError::TooManyAttempts)?;
        let stored = self.store.credentials_by_id(&principal.user.id).await?;
        if !password::verify_password(current.to_owned(), stored.password_hash).await? {
            self.limiter.record_failure(client, username);
            return Err(AuthError::WrongCurrentPassword);
        }
        self.limiter.record_success(client, username);
        let hash = hash_password(new.expose().to_owned()).await?;
        self.store.set_password_hash(&principal.user.id, &hash).await?;
        self.store
            .revoke_user_sessions(&principal.user.id, Some(&principal.session_id))
            .await?;
        Ok(())
    }

    /// Whether strangers may create accounts (on unless an admin turned it off).
    pub async fn registration_open(&self) -> Result<bool, AuthError> {
        Ok(self.store.setting(SettingKey::RegistrationOpen).await?.unwrap_or(true))
    }

    pub async fn set_registration_open(&self, open: bool) -> Result<(), AuthError> {
        self.store.set_setting(SettingKey::RegistrationOpen, &open).await?;
        Ok(())
    }

    /// The administrator's notice for the sign-in page.
    pub async fn signin_message(&self) -> Result<Option<String>, AuthError> {
        Ok(self
            .store
            .setting::<Option<String>>(SettingKey::SigninMessage)
            .await?
            .flatten())
    }

    /// Sets or (with `None` or blank text) clears the sign-in notice.
    pub async fn set_signin_message(&self, message: Option<String>) -> Result<Option<String>, AuthError> {
        let message = message.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        if let Some(text) = &message
            && text.chars().count() > MAX_SIGNIN_MESSAGE_CHARS
        {
            return Err(InvalidCredential {
                field: "signin_message",
                message: format!("the sign-in message may have at most {MAX_SIGNIN_MESSAGE_CHARS} characters"),
            }
            .into());
        }
        self.store.set_setting(SettingKey::SigninMessage, &message).await?;
        Ok(message)
    }

    async fn issue_token(&self, user: User) -> Result<IssuedToken, AuthError> {
        let ttl_ms = i64::try_from(self.token_ttl.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        let session = self
            .store
            .insert_session(NewSession {
                user_id: &user.id,
                expires_at: now.saturating_add(ttl_ms),
            })
            .await?;
        let iat = u64::try_from(now / 1000).unwrap_or(0);
        let access_token = self.codec.encode(&Claims {
            sub: user.id.clone(),
            sid: session.id,
            iat,
            exp: iat + self.token_ttl.as_secs(),
        })?;
        Ok(IssuedToken {
            access_token,
            expires_in: self.token_ttl,
            user,
        })
    }

    async fn decoy_hash(&self) -> Result<String, AuthError> {
        let hash = self
            .decoy_hash
            .get_or_try_init(|| hash_password("decoy password for unknown users".to_owned()))
            .await?;
        Ok(hash.clone())
    }
}

/// Creates an account; with no role given, the first account becomes admin.
pub async fn create_user(
    store: &Store,
    username: Username,
    password: NewPassword,
    role: Option<Role>,
) -> Result<User, AuthError> {
    let hash = hash_password(password.expose().to_owned()).await?;
    store
        .insert_user(NewUser {
            username: username.as_str(),
            password_hash: &hash,
            role,
        })
        .await
        .map_err(|err| match err {
            StoreError::Conflict(_) => AuthError::UsernameTaken(username.to_string()),
            other => other.into(),
        })
}

/// Sets a new password from the command line and signs the user out everywhere.
pub async fn reset_password(store: &Store, username: &str, password: NewPassword) -> Result<User, AuthError> {
    let found = store.credentials_by_username(username).await.map_err(|err| match err {
        StoreError::NotFound => AuthError::InvalidCredentials,
        other => other.into(),
    })?;
    let hash = hash_password(password.expose().to_owned()).await?;
    store.set_password_hash(&found.user.id, &hash).await?;
    store.revoke_user_sessions(&found.user.id, None).await?;
    Ok(found.user)
}
