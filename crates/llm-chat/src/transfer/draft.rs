//! A conversation read from an import file, whatever its format, before it is
//! written: checked (sizes, characters, a well-formed tree), ordered parents
//! first, and given this server's ids.

use super::TransferError;
use crate::store::{Conversation, Message, MessageRole, MessageStatus, new_id, now_ms};
use std::collections::{HashMap, HashSet};

/// The longest text of one message (content or reasoning) an import accepts.
pub const MAX_TEXT_CHARS: usize = 1_000_000;
/// Titles longer than this are cut, as the chat API refuses them.
const MAX_TITLE_CHARS: usize = 200;
/// Model names, ids and short fields longer than this are refused.
const MAX_SHORT_CHARS: usize = 400;
/// The longest system prompt, as the chat API allows.
const MAX_SYSTEM_PROMPT_CHARS: usize = 50_000;

/// One message; `key` and `parent` are the ids of the source file.
#[derive(Debug, Clone)]
pub struct DraftMessage {
    pub key: String,
    pub parent: Option<String>,
    pub role: MessageRole,
    pub content: String,
    pub reasoning: Option<String>,
    pub reasoning_ms: Option<i64>,
    pub model: Option<String>,
    pub status: MessageStatus,
    pub error: Option<(String, String)>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub finish_reason: Option<String>,
    /// `None`: unknown, taken from the parent (or the conversation).
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
}

impl DraftMessage {
    /// A finished message with only what foreign formats know.
    pub fn simple(key: String, parent: Option<String>, role: MessageRole, content: String) -> DraftMessage {
        DraftMessage {
            key,
            parent,
            role,
            content,
            reasoning: None,
            reasoning_ms: None,
            model: None,
            status: MessageStatus::Done,
            error: None,
            prompt_tokens: None,
            completion_tokens: None,
            reasoning_tokens: None,
            finish_reason: None,
            created_at: None,
            updated_at: None,
        }
    }
}

/// A whole conversation as read.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// The conversation's id in this server's own archive (kept when free).
    pub own_id: Option<String>,
    pub title: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    /// Sampling parameters as stored (a JSON object).
    pub params: String,
    pub pinned: bool,
    pub archived: bool,
    /// The key of the selected message; resolved to a leaf for foreign formats.
    pub current: Option<String>,
    pub created_at: Option<i64>,
    pub updated_at: Option<i64>,
    pub messages: Vec<DraftMessage>,
    /// Messages of the source left out (system, tool, hidden, empty).
    pub skipped_messages: usize,
}

fn invalid(at: &str, message: impl Into<String>) -> TransferError {
    TransferError::Invalid {
        at: at.to_owned(),
        message: message.into(),
    }
}

/// Refuses text that cannot be stored (NUL) or is too long.
pub fn check_text(at: &str, field: &str, text: &str, max: usize) -> Result<(), TransferError> {
    if text.contains('\0') {
        return Err(invalid(
            at,
            format!("{field} contains a NUL character (\\u0000), which cannot be stored"),
        ));
    }
    if text.len() > max && text.chars().count() > max {
        return Err(invalid(at, format!("{field} is longer than {max} characters")));
    }
    Ok(())
}

fn check_short(at: &str, field: &str, text: Option<&str>) -> Result<(), TransferError> {
    text.map_or(Ok(()), |t| check_text(at, field, t, MAX_SHORT_CHARS))
}

impl Draft {
    /// Checks every text and the tree, orders the messages parents first and
    /// fills in missing times. `at` names the conversation in errors.
    pub fn validated(mut self, at: &str) -> Result<Draft, TransferError> {
        self.title = self.title.trim().chars().take(MAX_TITLE_CHARS).collect();
        check_text(at, "the title", &self.title, MAX_TITLE_CHARS)?;
        check_short(at, "the model", self.model.as_deref())?;
        if let Some(prompt) = &self.system_prompt {
            check_text(at, "the system prompt", prompt, MAX_SYSTEM_PROMPT_CHARS)?;
        }
        let mut keys = HashSet::with_capacity(self.messages.len());
        for m in &self.messages {
            let here = format!("{at}, message {:?}", m.key);
            check_short(&here, "the id", Some(&m.key))?;
            check_text(&here, "the content", &m.content, MAX_TEXT_CHARS)?;
            if let Some(reasoning) = &m.reasoning {
                check_text(&here, "the reasoning", reasoning, MAX_TEXT_CHARS)?;
            }
            check_short(&here, "the model", m.model.as_deref())?;
            check_short(&here, "the finish reason", m.finish_reason.as_deref())?;
            if let Some((code, message)) = &m.error {
                check_short(&here, "the error code", Some(code))?;
                check_text(&here, "the error message", message, MAX_SHORT_CHARS * 10)?;
            }
            if !keys.insert(m.key.as_str()) {
                return Err(invalid(&here, "two messages have this id"));
            }
        }
        for m in &self.messages {
            if let Some(parent) = &m.parent
                && !keys.contains(parent.as_str())
            {
                return Err(invalid(
                    &format!("{at}, message {:?}", m.key),
                    format!("its parent {parent:?} is not in the conversation"),
                ));
            }
        }
        if let Some(current) = &self.current
            && !keys.contains(current.as_str())
        {
            return Err(invalid(
                at,
                format!("the current message {current:?} is not in the conversation"),
            ));
        }
        self.messages = parents_first(self.messages)
            .map_err(|key| invalid(&format!("{at}, message {key:?}"), "its parents form a loop".to_owned()))?;
        self.fill_times();
        Ok(self)
    }

    /// Missing message times come from the parent, then the conversation;
    /// missing conversation times from its messages, then now.
    fn fill_times(&mut self) {
        let first = self.messages.iter().filter_map(|m| m.created_at).min();
        let created = self.created_at.or(first).unwrap_or_else(now_ms);
        self.created_at = Some(created);
        let mut times: HashMap<String, i64> = HashMap::with_capacity(self.messages.len());
        for m in &mut self.messages {
            let inherited = m.parent.as_ref().and_then(|p| times.get(p)).copied().unwrap_or(created);
            let at = *m.created_at.get_or_insert(inherited);
            m.updated_at.get_or_insert(at);
            times.insert(m.key.clone(), at);
        }
        let last = self.messages.iter().filter_map(|m| m.updated_at).max();
        self.updated_at = Some(self.updated_at.or(last).unwrap_or(created).max(created));
    }

    /// Moves `current` down to a leaf by the newest child at each step, as the
    /// web UI does, so the conversation opens on a whole branch.
    pub fn settle_current_on_leaf(&mut self) {
        let mut children: HashMap<&str, &DraftMessage> = HashMap::new();
        for m in &self.messages {
            if let Some(parent) = &m.parent {
                let newer = children
                    .get(parent.as_str())
                    .is_none_or(|seen| (m.created_at, &m.key) >= (seen.created_at, &seen.key));
                if newer {
                    children.insert(parent.as_str(), m);
                }
            }
        }
        let newest_root = self
            .messages
            .iter()
            .filter(|m| m.parent.is_none())
            .max_by_key(|m| (m.created_at, m.key.clone()));
        let mut at = match &self.current {
            Some(key) => Some(key.clone()),
            None => newest_root.map(|m| m.key.clone()),
        };
        let mut steps = 0;
        while let Some(child) = at.as_deref().and_then(|key| children.get(key)) {
            at = Some(child.key.clone());
            steps += 1;
            if steps > self.messages.len() {
                break;
            }
        }
        self.current = at;
    }

    /// Every id of the draft, when they are all usable as this server's ids.
    pub fn reusable_ids(&self) -> Option<(String, Vec<String>)> {
        let own = self.own_id.as_deref().filter(|id| uuid::Uuid::parse_str(id).is_ok())?;
        let keys: Vec<String> = self.messages.iter().map(|m| m.key.clone()).collect();
        keys.iter()
            .all(|k| uuid::Uuid::parse_str(k).is_ok())
            .then(|| (own.to_owned(), keys))
    }

    /// The rows to write for `user_id`; `keep_ids` writes the source's own ids.
    pub fn into_rows(self, user_id: &str, keep_ids: bool) -> (Conversation, Vec<Message>) {
        let conversation_id = match (&self.own_id, keep_ids) {
            (Some(id), true) => id.clone(),
            _ => new_id(),
        };
        // New ids are handed out in the display order (time, then old id), and
        // UUIDv7 grows, so messages of the same millisecond keep their order.
        let ids: HashMap<String, String> = if keep_ids {
            self.messages.iter().map(|m| (m.key.clone(), m.key.clone())).collect()
        } else {
            let mut order: Vec<&DraftMessage> = self.messages.iter().collect();
            order.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
            order.into_iter().map(|m| (m.key.clone(), new_id())).collect()
        };
        let mapped = |key: &String| ids.get(key).cloned();
        let created_at = self.created_at.unwrap_or_else(now_ms);
        let conversation = Conversation {
            id: conversation_id.clone(),
            user_id: user_id.to_owned(),
            title: self.title,
            model: self.model,
            system_prompt: self.system_prompt,
            params: self.params,
            pinned: self.pinned,
            archived: self.archived,
            current_leaf_id: self.current.as_ref().and_then(mapped),
            created_at,
            updated_at: self.updated_at.unwrap_or(created_at),
        };
        let messages = self
            .messages
            .into_iter()
            .map(|m| {
                let created = m.created_at.unwrap_or(created_at);
                Message {
                    id: mapped(&m.key).unwrap_or_else(new_id),
                    conversation_id: conversation_id.clone(),
                    parent_id: m.parent.as_ref().and_then(mapped),
                    role: m.role,
                    content: m.content,
                    reasoning: m.reasoning,
                    model: m.model,
                    status: m.status,
                    error_code: m.error.as_ref().map(|(code, _)| code.clone()),
                    error_message: m.error.map(|(_, message)| message),
                    prompt_tokens: m.prompt_tokens,
                    completion_tokens: m.completion_tokens,
                    reasoning_tokens: m.reasoning_tokens,
                    reasoning_ms: m.reasoning_ms,
                    generation_id: None,
                    finish_reason: m.finish_reason,
                    created_at: created,
                    updated_at: m.updated_at.unwrap_or(created),
                }
            })
            .collect();
        (conversation, messages)
    }
}

/// The messages reordered so that every parent comes before its children
/// (stable otherwise); `Err(key)` names a message caught in a loop.
fn parents_first(messages: Vec<DraftMessage>) -> Result<Vec<DraftMessage>, String> {
    let mut children: HashMap<String, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        match &m.parent {
            Some(parent) => children.entry(parent.clone()).or_default().push(i),
            None => roots.push(i),
        }
    }
    let mut order = Vec::with_capacity(messages.len());
    // A stack, not recursion: a hostile file may chain a million messages.
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        if let Some(kids) = children.get(&messages[i].key) {
            stack.extend(kids.iter().rev());
        }
    }
    if order.len() != messages.len() {
        let placed: HashSet<usize> = order.iter().copied().collect();
        let stray = (0..messages.len()).find(|i| !placed.contains(i)).unwrap_or(0);
        return Err(messages.get(stray).map(|m| m.key.clone()).unwrap_or_default());
    }
    let mut slots: Vec<Option<DraftMessage>> = messages.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect())
}

/// Epoch seconds or milliseconds (as sources mix both) to milliseconds:
/// values below 10^11 are seconds (10^11 ms is 1973, 10^11 s is year 5138).
pub fn epoch_ms(value: f64) -> Option<i64> {
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let ms = if value < 1e11 { value * 1000.0 } else { value };
    // Beyond year 9999 is not a time anyone wrote a message at.
    (ms < 253_402_300_800_000.0).then_some(ms.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(key: &str, parent: Option<&str>) -> DraftMessage {
        DraftMessage::simple(key.into(), parent.map(Into::into), MessageRole::User, "x".into())
    }

    #[test]
    fn children_listed_before_parents_are_moved_after_them() {
        let ordered = parents_first(vec![msg("c", Some("b")), msg("b", Some("a")), msg("a", None)]).unwrap();
        let keys: Vec<&str> = ordered.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn a_loop_of_parents_is_refused() {
        assert!(parents_first(vec![msg("a", Some("b")), msg("b", Some("a"))]).is_err());
    }

    #[test]
    fn seconds_and_milliseconds_both_become_milliseconds() {
        assert_eq!(epoch_ms(1_700_000_000.5), Some(1_700_000_000_500));
        assert_eq!(epoch_ms(1_700_000_000_500.0), Some(1_700_000_000_500));
        assert_eq!(epoch_ms(-1.0), None);
        assert_eq!(epoch_ms(f64::NAN), None);
    }
}
