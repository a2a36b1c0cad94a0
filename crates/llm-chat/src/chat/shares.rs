//! Share links: a read-only snapshot of a conversation's current branch,
//! opened by anyone holding its random token. The owner lists and revokes
//! them; an administrator can turn sharing off, which also closes every link
//! until it is turned on again.

use super::{ChatError, ChatService, context, not_found};
use crate::store::{MessageRole, MessageStatus, NewShare, SettingKey, Share, SharedMessage, SharedSnapshot, now_ms};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

/// Random bytes in a token: 192 bits, 32 base64url characters.
const TOKEN_BYTES: usize = 24;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The longest expiry a link may be given.
pub const MAX_EXPIRY_DAYS: i64 = 365;

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShareState {
    /// Opens for anyone holding it (unless an administrator turned sharing off).
    Active,
    /// Its expiry passed.
    Expired,
    /// Its owner revoked it.
    Revoked,
}

/// A share link as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShareView {
    pub id: String,
    pub conversation_id: String,
    /// The conversation's title now.
    pub conversation_title: String,
    /// The title the link shows (the conversation's when the link was made).
    pub title: String,
    pub token: String,
    /// The page to open, relative to this server: `/s/<token>`.
    #[schema(example = "/s/q7Xb0c…")]
    pub url: String,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Milliseconds since the Unix epoch; `null`: never expires.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub state: ShareState,
}

impl ShareView {
    fn of(share: Share, now: i64) -> ShareView {
        let state = if share.revoked_at.is_some() {
            ShareState::Revoked
        } else if share.expires_at.is_some_and(|at| at <= now) {
            ShareState::Expired
        } else {
            ShareState::Active
        };
        ShareView {
            url: format!("/s/{}", share.token),
            id: share.id,
            conversation_id: share.conversation_id,
            conversation_title: share.conversation_title,
            title: share.title,
            token: share.token,
            created_at: share.created_at,
            expires_at: share.expires_at,
            revoked_at: share.revoked_at,
            state,
        }
    }
}

/// A new unguessable token, base64url without padding.
fn new_token() -> Result<String, ChatError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|err| ChatError::Store(crate::store::StoreError::Corrupt(format!("no randomness: {err}"))))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl ChatService {
    /// Whether users may share (the default) and links open.
    pub async fn sharing_enabled(&self) -> Result<bool, ChatError> {
        Ok(self.store.setting(SettingKey::SharingEnabled).await?.unwrap_or(true))
    }

    pub async fn set_sharing_enabled(&self, enabled: bool) -> Result<(), ChatError> {
        Ok(self.store.set_setting(SettingKey::SharingEnabled, &enabled).await?)
    }

    /// Makes a link to the conversation's current branch as it is now. A
    /// branch with a reply still being written is refused rather than cut,
    /// so a link never shows half an answer as if it were whole.
    pub async fn create_share(
        &self,
        user_id: &str,
        conversation_id: &str,
        expires_in_days: Option<i64>,
    ) -> Result<ShareView, ChatError> {
        if let Some(days) = expires_in_days
            && !(1..=MAX_EXPIRY_DAYS).contains(&days)
        {
            return Err(ChatError::Invalid {
                field: "expires_in_days",
                message: format!(
                    "expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}, or null for a link that does not expire"
                ),
            });
        }
        if !self.sharing_enabled().await? {
            return Err(ChatError::SharingDisabled);
        }
        let conversation = self
            .store
            .conversation(conversation_id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        let all = self.store.messages_of(conversation_id).await?;
        let branch = conversation
            .current_leaf_id
            .as_deref()
            .map(|leaf| context::branch(&all, leaf))
            .unwrap_or_default();
        if branch.iter().any(|m| m.status == MessageStatus::Streaming) {
            return Err(ChatError::Conflict(
                "a reply in this conversation is still being written; wait for it to finish (or stop it), then share"
                    .to_owned(),
            ));
        }
        let messages: Vec<SharedMessage> = branch
            .into_iter()
            .filter(|m| m.role != MessageRole::System)
            // A reply that failed before its first word has nothing to show.
            .filter(|m| !(m.role == MessageRole::Assistant && m.content.is_empty()))
            .map(|m| SharedMessage {
                role: m.role,
                content: m.content.clone(),
                model: m.model.clone().filter(|_| m.role == MessageRole::Assistant),
                created_at: m.created_at,
            })
            .collect();
        if messages.is_empty() {
            return Err(ChatError::Conflict(
                "this conversation has no messages yet; there is nothing to share".to_owned(),
            ));
        }
        let now = now_ms();
        let share = self
            .store
            .insert_share(NewShare {
                user_id,
                conversation_id,
                token: &new_token()?,
                title: &conversation.title,
                messages: &messages,
                expires_at: expires_in_days.map(|days| now + days * DAY_MS),
            })
            .await?;
        Ok(ShareView::of(share, now))
    }

    /// The user's links, newest first; those of one conversation when given.
    pub async fn shares(&self, user_id: &str, conversation_id: Option<&str>) -> Result<Vec<ShareView>, ChatError> {
        let now = now_ms();
        let shares = self.store.shares_of(user_id, conversation_id).await?;
        Ok(shares.into_iter().map(|share| ShareView::of(share, now)).collect())
    }

    pub async fn revoke_share(&self, user_id: &str, id: &str) -> Result<(), ChatError> {
        self.store
            .revoke_share(id, user_id)
            .await
            .map_err(not_found("share link"))
    }

    /// What a link shows to anyone; `ShareGone` for every reason it does not
    /// open (unknown, revoked, expired, sharing off), told apart to no one.
    pub async fn shared(&self, token: &str) -> Result<SharedSnapshot, ChatError> {
        if !self.sharing_enabled().await? {
            return Err(ChatError::ShareGone);
        }
        self.store.live_share(token, now_ms()).await.map_err(|err| match err {
            crate::store::StoreError::NotFound => ChatError::ShareGone,
            other => ChatError::Store(other),
        })
    }
}
