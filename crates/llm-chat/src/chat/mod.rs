//! Conversations and the message tree: listing, creating, editing and
//! deleting conversations; sending, regenerating and editing messages, which
//! start generations; following and cancelling those generations.

pub mod context;
mod followers;
pub mod input;
pub mod model_policy;
pub mod search;
pub mod shares;
mod title;
pub mod views;

use crate::config::ChatSettings;
use crate::generation::{GenEvent, Generation, GenerationManager, GenerationPlan, LimitHit, NewGeneration};
use crate::llm::{LlmError, ProbeReport, ProviderRegistry, ProviderView, Route, SamplingParams, UpstreamClient};
use crate::store::{
    Conversation, ConversationQuery, ListCursor, Message, MessageRole, MessageStatus, NewConversation, NewExchange,
    Store, StoreError, new_id,
};
use crate::usage::{LimitExceeded, UsageError, UsageService};
use futures_util::stream::BoxStream;
use input::{ConversationPatch, NewConversationInput, RegenerateInput, SendInput};
use model_policy::{ModelPolicy, Offered};
use std::sync::Arc;
use views::{ConversationView, MessageView};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0} not found, or not yours")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Limited(LimitError),
    #[error("an administrator has turned sharing off on this server")]
    SharingDisabled,
    /// Said the same way whatever the reason, so a stranger learns nothing from it.
    #[error("this link does not exist, or it was revoked or has expired")]
    ShareGone,
    #[error("the model {0:?} is not available to users on this server; pick one from /api/models")]
    ModelNotAllowed(String),
    /// A limit an administrator set for the user.
    #[error(transparent)]
    UserLimit(LimitExceeded),
    #[error(transparent)]
    Model(#[from] LlmError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A per-user limit was hit.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LimitError {
    pub message: String,
    pub retry_after: std::time::Duration,
}

impl From<LimitHit> for ChatError {
    fn from(hit: LimitHit) -> Self {
        ChatError::Limited(match hit {
            LimitHit::TooManyRunning { limit } => LimitError {
                message: format!("you already have {limit} replies being written; wait for one to finish or stop it"),
                retry_after: std::time::Duration::from_secs(2),
            },
            LimitHit::TooManyPerMinute { limit, retry_after } => LimitError {
                message: format!(
                    "you may start {limit} replies per minute; try again in {} s",
                    retry_after.as_secs()
                ),
                retry_after,
            },
        })
    }
}

impl From<UsageError> for ChatError {
    fn from(err: UsageError) -> Self {
        match err {
            UsageError::Limit(hit) => ChatError::UserLimit(hit),
            UsageError::Store(store) => ChatError::Store(store),
            UsageError::Invalid(message) => ChatError::Invalid {
                field: "limits",
                message,
            },
        }
    }
}

fn not_found(what: &'static str) -> impl FnOnce(StoreError) -> ChatError {
    move |err| match err {
        StoreError::NotFound => ChatError::NotFound(what),
        other => ChatError::Store(other),
    }
}

/// A page of conversations.
pub struct Page {
    pub items: Vec<ConversationView>,
    pub next_cursor: Option<String>,
}

/// A conversation with its whole message tree.
pub struct ConversationTree {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
}

/// A reply that has started: what was stored, and the generation writing it.
pub struct Started {
    pub user_message: Option<MessageView>,
    pub assistant_message: MessageView,
    pub generation: Arc<Generation>,
}

pub struct ListParams {
    pub limit: i64,
    pub cursor: Option<String>,
    pub q: Option<String>,
    pub archived: bool,
}

pub struct ChatService {
    store: Store,
    client: UpstreamClient,
    registry: Arc<ProviderRegistry>,
    generations: Arc<GenerationManager>,
    usage: Arc<UsageService>,
    settings: ChatSettings,
}

impl ChatService {
    pub fn new(
        store: Store,
        client: UpstreamClient,
        registry: Arc<ProviderRegistry>,
        generations: Arc<GenerationManager>,
        usage: Arc<UsageService>,
        settings: ChatSettings,
    ) -> ChatService {
        ChatService {
            store,
            client,
            registry,
            generations,
            usage,
            settings,
        }
    }

    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }

    /// The admin's model choices as stored.
    pub async fn model_policy(&self) -> Result<ModelPolicy, ChatError> {
        Ok(ModelPolicy::load(&self.store).await?)
    }

    /// Checks and stores the admin's model choices; they apply to the next request.
    pub async fn set_model_policy(&self, policy: ModelPolicy) -> Result<ModelPolicy, ChatError> {
        let policy = policy.validated(&self.registry)?;
        policy.save(&self.store).await?;
        Ok(policy)
    }

    /// The models users may pick now, and the default.
    pub async fn offered_models(&self) -> Result<Offered, ChatError> {
        Ok(self.model_policy().await?.offered(&self.registry))
    }

    /// The configured providers, keys masked.
    pub fn providers(&self) -> Vec<ProviderView> {
        self.registry.describe()
    }

    /// Checks that a provider answers; `None` when no provider has that name.
    pub async fn test_provider(&self, name: &str) -> Option<ProbeReport> {
        let provider = self.registry.provider(name)?;
        Some(crate::llm::probe(&self.client, provider).await)
    }

    /// Refuses a model that no provider offers or that the admin has not allowed.
    async fn check_model(&self, model: &str) -> Result<(), ChatError> {
        self.registry.resolve(model)?;
        if !self.model_policy().await?.allows(model) {
            return Err(ChatError::ModelNotAllowed(model.to_owned()));
        }
        Ok(())
    }

    pub async fn list(&self, user_id: &str, params: ListParams) -> Result<Page, ChatError> {
        if !(1..=200).contains(&params.limit) {
            return Err(ChatError::Invalid {
                field: "limit",
                message: "limit must be between 1 and 200".to_owned(),
            });
        }
        let after = match params.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(ListCursor::decode(raw).ok_or(ChatError::Invalid {
                field: "cursor",
                message: "the cursor is not one this server gave out; start again without it".to_owned(),
            })?),
        };
        let q = params.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let mut rows = self
            .store
            .list_conversations(ConversationQuery {
                user_id,
                archived: params.archived,
                title_contains: q,
                after,
                limit: params.limit + 1,
            })
            .await?;
        let more = rows.len() as i64 > params.limit;
        rows.truncate(usize::try_from(params.limit).unwrap_or(0));
        let next_cursor = more.then(|| rows.last().map(|c| ListCursor::of(c).encode())).flatten();
        Ok(Page {
            items: rows.into_iter().map(ConversationView::from).collect(),
            next_cursor,
        })
    }

    pub async fn create(&self, user_id: &str, input: NewConversationInput) -> Result<ConversationView, ChatError> {
        let title = input::check_title(input.title.as_deref().unwrap_or_default())?;
        let system_prompt = input::check_system_prompt(input.system_prompt)?;
        let params = input.params.unwrap_or_default();
        input::check_params(&params)?;
        if let Some(model) = &input.model {
            self.check_model(model).await?;
        }
        let params = serde_json::to_string(&params).unwrap_or_else(|_| "{}".to_owned());
        let conversation = self
            .store
            .insert_conversation(NewConversation {
                user_id,
                title: &title,
                model: input.model.as_deref(),
                system_prompt: system_prompt.as_deref(),
                params: &params,
            })
            .await?;
        Ok(conversation.into())
    }

    pub async fn get(&self, user_id: &str, id: &str) -> Result<ConversationTree, ChatError> {
        let conversation = self
            .store
            .conversation(id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        let messages = self.store.messages_of(id).await?;
        Ok(ConversationTree {
            conversation: conversation.into(),
            messages: messages.into_iter().map(MessageView::from).collect(),
        })
    }

    pub async fn update(
        &self,
        user_id: &str,
        id: &str,
        patch: ConversationPatch,
    ) -> Result<ConversationView, ChatError> {
        let mut conversation = self
            .store
            .conversation(id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        if let Some(title) = patch.title {
            conversation.title = input::check_title(&title)?;
        }
        if let Some(pinned) = patch.pinned {
            conversation.pinned = pinned;
        }
        if let Some(archived) = patch.archived {
            conversation.archived = archived;
        }
        if let Some(model) = patch.model {
            if let Some(model) = &model {
                self.check_model(model).await?;
            }
            conversation.model = model;
        }
        if let Some(prompt) = patch.system_prompt {
            conversation.system_prompt = input::check_system_prompt(prompt)?;
        }
        if let Some(params) = patch.params {
            input::check_params(&params)?;
            conversation.params = serde_json::to_string(&params).unwrap_or_else(|_| "{}".to_owned());
        }
        if let Some(leaf) = patch.current_leaf_id {
            let message = self.store.message(&leaf, user_id).await.map_err(not_found("message"))?;
            if message.conversation_id != conversation.id {
                return Err(ChatError::NotFound("message"));
            }
            conversation.current_leaf_id = Some(leaf);
        }
        Ok(self
            .store
            .save_conversation(&conversation)
            .await
            .map_err(not_found("conversation"))?
            .into())
    }

    pub async fn delete(&self, user_id: &str, id: &str) -> Result<(), ChatError> {
        for generation in self.generations_of(user_id, id).await? {
            generation.cancel();
        }
        self.store
            .delete_conversation(id, user_id)
            .await
            .map_err(not_found("conversation"))
    }

    async fn generations_of(&self, user_id: &str, conversation_id: &str) -> Result<Vec<Arc<Generation>>, ChatError> {
        let messages = self.store.messages_of(conversation_id).await?;
        Ok(messages
            .iter()
            .filter(|m| m.status == MessageStatus::Streaming)
            .filter_map(|m| m.generation_id.as_deref())
            .filter_map(|g| self.generations.get(g, user_id))
            .collect())
    }

    /// Stores a user message and starts the reply.
    pub async fn send(
        &self,
        user_id: &str,
        conversation_id: &str,
        input: SendInput,
        accept_language: Option<String>,
    ) -> Result<Started, ChatError> {
        input::check_content(&input.content)?;
        let conversation = self
            .store
            .conversation(conversation_id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        let messages = self.store.messages_of(conversation_id).await?;
        let parent_id = match input.parent_id {
            Some(Some(parent)) => {
                if !messages.iter().any(|m| m.id == parent) {
                    return Err(ChatError::NotFound("parent message"));
                }
                Some(parent)
            }
            // An explicit null: a new first message (editing the first one).
            Some(None) => None,
            None => conversation.current_leaf_id.clone(),
        };
        if let Some(parent) = parent_id.as_deref().and_then(|id| messages.iter().find(|m| m.id == id))
            && parent.status == MessageStatus::Streaming
        {
            return Err(ChatError::Conflict(
                "the reply you are answering is still being written; wait for it or stop it first".to_owned(),
            ));
        }
        let (model, route) = self.pick_model(input.model.as_deref(), &conversation).await?;
        self.usage.admit(user_id).await?;
        self.generations.admit(user_id)?;
        let generation_id = new_id();
        let exchange = self
            .store
            .insert_exchange(NewExchange {
                conversation_id,
                user_content: Some(&input.content),
                parent_id: parent_id.as_deref(),
                model: &model,
                generation_id: &generation_id,
            })
            .await?;
        let Some(user_message) = exchange.user_message else {
            return Err(ChatError::Store(StoreError::Corrupt(
                "the user message was not stored".to_owned(),
            )));
        };
        if input.model.is_some() && conversation.model.as_deref() != Some(&model) {
            let mut remembered = conversation.clone();
            remembered.model = Some(model.clone());
            remembered.current_leaf_id = Some(exchange.assistant_message.id.clone());
            remembered.updated_at = exchange.assistant_message.created_at;
            self.store.save_conversation(&remembered).await?;
        }
        let mut all = messages;
        all.push(user_message.clone());
        let title = (conversation.title.is_empty() && parent_id.is_none()).then(|| {
            title::spawn(
                self.store.clone(),
                self.client.clone(),
                route.clone(),
                conversation.id.clone(),
                input.content.clone(),
            )
        });
        let user_view = MessageView::from(user_message.clone());
        let generation = self.start(
            user_id,
            &conversation,
            &all,
            &user_message,
            exchange.assistant_message.id.clone(),
            (model, route),
            generation_id,
            Some(&user_view),
            title,
            accept_language,
        );
        Ok(Started {
            user_message: Some(user_view),
            assistant_message: exchange.assistant_message.into(),
            generation,
        })
    }

    /// Writes another reply to the question an assistant message answered.
    pub async fn regenerate(
        &self,
        user_id: &str,
        message_id: &str,
        input: RegenerateInput,
        accept_language: Option<String>,
    ) -> Result<Started, ChatError> {
        let message = self
            .store
            .message(message_id, user_id)
            .await
            .map_err(not_found("message"))?;
        if message.role != MessageRole::Assistant {
            return Err(ChatError::Invalid {
                field: "message_id",
                message: "only a reply of the model can be regenerated; to change your message, send an edited one"
                    .to_owned(),
            });
        }
        let conversation = self
            .store
            .conversation(&message.conversation_id, user_id)
            .await
            .map_err(not_found("conversation"))?;
        let messages = self.store.messages_of(&conversation.id).await?;
        let Some(question) = message
            .parent_id
            .as_deref()
            .and_then(|id| messages.iter().find(|m| m.id == id))
            .cloned()
        else {
            return Err(ChatError::Invalid {
                field: "message_id",
                message: "this reply answers no message".to_owned(),
            });
        };
        // The reply's own model, unless it is no longer offered.
        let policy = self.model_policy().await?;
        let model_choice = input.model.as_deref().or(message
            .model
            .as_deref()
            .filter(|m| self.registry.resolve(m).is_ok() && policy.allows(m)));
        let (model, route) = self.pick_model(model_choice, &conversation).await?;
        self.usage.admit(user_id).await?;
        self.generations.admit(user_id)?;
        let generation_id = new_id();
        let exchange = self
            .store
            .insert_exchange(NewExchange {
                conversation_id: &conversation.id,
                user_content: None,
                parent_id: Some(&question.id),
                model: &model,
                generation_id: &generation_id,
            })
            .await?;
        let generation = self.start(
            user_id,
            &conversation,
            &messages,
            &question,
            exchange.assistant_message.id.clone(),
            (model, route),
            generation_id,
            None::<&MessageView>,
            None,
            accept_language,
        );
        Ok(Started {
            user_message: None,
            assistant_message: exchange.assistant_message.into(),
            generation,
        })
    }

    /// The requested model, else the conversation's, else the server's default.
    /// A remembered model that is gone or no longer allowed gives way to the default.
    async fn pick_model(
        &self,
        requested: Option<&str>,
        conversation: &Conversation,
    ) -> Result<(String, Option<Route>), ChatError> {
        let policy = self.model_policy().await?;
        if let Some(model) = requested {
            let route = self.registry.resolve(model)?;
            if !policy.allows(model) {
                return Err(ChatError::ModelNotAllowed(model.to_owned()));
            }
            return Ok((model.to_owned(), route));
        }
        if let Some(model) = conversation.model.as_deref()
            && policy.allows(model)
            && let Ok(route) = self.registry.resolve(model)
        {
            return Ok((model.to_owned(), route));
        }
        let default = policy
            .offered(&self.registry)
            .default_model
            .ok_or_else(|| ChatError::Model(LlmError::NoSuchModel("(none configured or allowed)".to_owned())))?;
        let route = self.registry.resolve(&default)?;
        Ok((default, route))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one call site per kind of reply; a struct would only rename them"
    )]
    fn start(
        &self,
        user_id: &str,
        conversation: &Conversation,
        messages: &[Message],
        question: &Message,
        reply_id: String,
        (model, route): (String, Option<Route>),
        generation_id: String,
        first: Option<&MessageView>,
        title: Option<tokio::sync::oneshot::Receiver<String>>,
        accept_language: Option<String>,
    ) -> Arc<Generation> {
        let path = context::branch(messages, &question.id);
        let turns = context::build_context(
            conversation.system_prompt.as_deref(),
            &path,
            self.settings.context_token_budget,
        );
        let params: SamplingParams = serde_json::from_str(&conversation.params).unwrap_or_default();
        self.generations.start(
            NewGeneration {
                id: generation_id,
                message_id: reply_id,
                conversation_id: conversation.id.clone(),
                user_id: user_id.to_owned(),
                model,
            },
            first,
            GenerationPlan {
                route,
                context: turns,
                params,
                user_text: question.content.clone(),
                accept_language,
                title,
            },
        )
    }

    /// The events of a generation after `after`: live from memory, or rebuilt
    /// from the stored reply once it has left memory.
    pub async fn events(
        &self,
        user_id: &str,
        generation_id: &str,
        after: u64,
    ) -> Result<BoxStream<'static, Arc<GenEvent>>, ChatError> {
        if let Some(generation) = self.generations.get(generation_id, user_id) {
            return Ok(generation.subscribe(after));
        }
        let message = self
            .store
            .message_of_generation(generation_id, user_id)
            .await
            .map_err(not_found("generation"))?;
        Ok(followers::from_store(self.store.clone(), message, after))
    }

    /// Stops a running generation; what arrived is kept.
    pub async fn cancel(&self, user_id: &str, generation_id: &str) -> Result<(), ChatError> {
        if let Some(generation) = self.generations.get(generation_id, user_id) {
            generation.cancel();
            return Ok(());
        }
        let message = self
            .store
            .message_of_generation(generation_id, user_id)
            .await
            .map_err(not_found("generation"))?;
        if message.status == MessageStatus::Streaming {
            return Err(ChatError::Conflict(
                "this reply is being written by another server replica; it cannot be stopped from here".to_owned(),
            ));
        }
        Ok(())
    }
}
