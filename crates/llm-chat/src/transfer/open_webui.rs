//! Open WebUI's chat export ("Export chats", or one chat's "Export → JSON"):
//! an array of `{id, title, chat, created_at, updated_at, pinned, archived}`
//! where `chat.history.messages` maps ids to
//! `{id, parentId, childrenIds, role, content, model, timestamp}` and
//! `chat.history.currentId` is the selected message. Times are epoch seconds
//! (`chat.timestamp` is in milliseconds). Older exports without `history`
//! hold only the shown branch in `chat.messages`. A reasoning model's thinking
//! is inside the answer, in a leading `<details type="reasoning">` block; it
//! is taken out as the reply's reasoning.

use super::TransferError;
use super::draft::{Draft, DraftMessage, epoch_ms};
use crate::store::MessageRole;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, Deserialize)]
struct Chat {
    #[serde(default)]
    title: Option<String>,
    chat: Inner,
    #[serde(default)]
    created_at: Option<f64>,
    #[serde(default)]
    updated_at: Option<f64>,
    #[serde(default)]
    pinned: Option<bool>,
    #[serde(default)]
    archived: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct Inner {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    models: Option<Vec<String>>,
    #[serde(default)]
    history: Option<History>,
    #[serde(default)]
    messages: Option<Vec<ChatMessage>>,
    #[serde(default)]
    timestamp: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct History {
    #[serde(default)]
    messages: HashMap<String, ChatMessage>,
    #[serde(default, rename = "currentId")]
    current_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default, rename = "parentId")]
    parent_id: Option<String>,
    role: String,
    /// A string; newer versions may send a list of `{type, text}` parts.
    #[serde(default)]
    content: Value,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    timestamp: Option<f64>,
}

/// The chat's id in Open WebUI, for the import's source key.
pub fn source_id(value: &Value) -> Option<String> {
    value
        .get("id")
        .or_else(|| value.get("chat").and_then(|chat| chat.get("id")))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// Reads one element of the export; `at` names it in errors.
pub fn convert(value: Value, at: &str) -> Result<Draft, TransferError> {
    let chat: Chat = super::reader::typed(value, at)?;
    let inner = chat.chat;
    let mut draft = Draft {
        title: chat.title.or(inner.title).unwrap_or_default(),
        model: inner.models.as_ref().and_then(|models| models.first().cloned()),
        params: "{}".to_owned(),
        pinned: chat.pinned.unwrap_or(false),
        archived: chat.archived.unwrap_or(false),
        created_at: chat.created_at.or(inner.timestamp).and_then(epoch_ms),
        updated_at: chat.updated_at.and_then(epoch_ms),
        ..Draft::default()
    };
    let (listed, current) = match inner.history {
        Some(history) if !history.messages.is_empty() => {
            let mut all: Vec<(String, ChatMessage)> = history.messages.into_iter().collect();
            all.sort_by(|(ka, a), (kb, b)| {
                a.timestamp
                    .unwrap_or(0.0)
                    .total_cmp(&b.timestamp.unwrap_or(0.0))
                    .then(ka.cmp(kb))
            });
            (all, history.current_id)
        }
        // Only the shown branch: each message follows the one before unless it names its parent.
        _ => {
            let mut previous: Option<String> = None;
            let mut all = Vec::new();
            for (i, mut message) in inner.messages.unwrap_or_default().into_iter().enumerate() {
                let key = message.id.clone().unwrap_or_else(|| format!("#{i}"));
                if message.parent_id.is_none() {
                    message.parent_id = previous.clone();
                }
                previous = Some(key.clone());
                all.push((key, message));
            }
            (all, previous)
        }
    };
    let keys: HashMap<String, ()> = listed.iter().map(|(key, _)| (key.clone(), ())).collect();
    // Keys of messages left out, with the parent their children move to.
    let mut moved: HashMap<String, Option<String>> = HashMap::new();
    for (key, message) in &listed {
        let parent = message.parent_id.clone().filter(|p| keys.contains_key(p));
        let role = match message.role.as_str() {
            "user" => Some(MessageRole::User),
            "assistant" => Some(MessageRole::Assistant),
            _ => None,
        };
        let text = text_of(&message.content).ok_or_else(|| TransferError::Invalid {
            at: format!("{at}, message {key:?}"),
            message: format!("content must be text, not {}", kind(&message.content)),
        })?;
        match role {
            Some(role) if !text.trim().is_empty() => {
                let mut kept = DraftMessage::simple(key.clone(), parent, role, text);
                kept.created_at = message.timestamp.and_then(epoch_ms);
                if role == MessageRole::Assistant {
                    kept.model = message.model.clone();
                    if let Some(thinking) = take_reasoning(&kept.content) {
                        kept.content = thinking.answer;
                        kept.reasoning = Some(thinking.reasoning);
                        kept.reasoning_ms = thinking.ms;
                    }
                }
                draft.messages.push(kept);
            }
            _ => {
                draft.skipped_messages += usize::from(!text.trim().is_empty());
                moved.insert(key.clone(), parent);
            }
        }
    }
    // Children of a left-out message hang from the nearest message kept above it.
    let lift = |mut parent: Option<String>| {
        let mut steps = 0;
        while let Some(up) = parent.as_ref().and_then(|p| moved.get(p)) {
            parent = up.clone();
            steps += 1;
            if steps > moved.len() {
                return None;
            }
        }
        parent
    };
    for message in &mut draft.messages {
        message.parent = lift(message.parent.take());
    }
    draft.current = current.and_then(|key| {
        if moved.contains_key(&key) {
            lift(Some(key))
        } else {
            Some(key)
        }
    });
    draft.current = draft.current.filter(|key| draft.messages.iter().any(|m| &m.key == key));
    Ok(draft)
}

/// The text of a message: the string, or the text parts of a list; `None`
/// for a number, a boolean or an object, which no version writes.
fn text_of(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Null => Some(String::new()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|part| part.as_str().or_else(|| part.get("text").and_then(Value::as_str)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// A reply's thinking taken out of its text.
struct Thinking {
    reasoning: String,
    ms: Option<i64>,
    answer: String,
}

/// Splits leading `<details type="reasoning" duration="N">…</details>` blocks
/// (each line of the thinking quoted with `>`) from the answer after them.
fn take_reasoning(content: &str) -> Option<Thinking> {
    const OPEN: &str = "<details type=\"reasoning\"";
    const CLOSE: &str = "</details>";
    let mut rest = content.trim_start();
    let mut parts: Vec<String> = Vec::new();
    let mut seconds: i64 = 0;
    while rest.starts_with(OPEN) {
        let end = rest.find(CLOSE)?;
        let block = &rest[..end];
        let tag_end = block.find('>')?;
        seconds += attribute(&block[..tag_end], "duration")
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(0);
        let body = block
            .find("</summary>")
            .map_or(&block[tag_end + 1..], |at| &block[at + "</summary>".len()..]);
        let lines: Vec<&str> = body
            .trim()
            .lines()
            .map(|line| {
                let line = line.trim_start();
                let line = line
                    .strip_prefix("&gt;")
                    .or_else(|| line.strip_prefix('>'))
                    .unwrap_or(line);
                line.strip_prefix(' ').unwrap_or(line)
            })
            .collect();
        parts.push(unescape(lines.join("\n").trim()));
        rest = rest[end + CLOSE.len()..].trim_start();
    }
    (!parts.is_empty()).then(|| Thinking {
        reasoning: parts.join("\n\n"),
        ms: (seconds > 0).then_some(seconds * 1000),
        answer: rest.to_owned(),
    })
}

/// The value of `name="…"` in a tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// The entities Open WebUI writes into the thinking it quotes.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::take_reasoning;

    #[test]
    fn the_leading_reasoning_block_becomes_the_reasoning() {
        let content = "<details type=\"reasoning\" done=\"true\" duration=\"3\">\n<summary>Thought for 3 seconds</summary>\n\
            > First &gt; second.\n>\n> Then this.\n</details>\nThe answer.";
        let thinking = take_reasoning(content).unwrap();
        assert_eq!(thinking.reasoning, "First > second.\n\nThen this.");
        assert_eq!(thinking.ms, Some(3000));
        assert_eq!(thinking.answer, "The answer.");
        assert!(take_reasoning("Plain <details type=\"reasoning\"> later").is_none());
        assert!(take_reasoning("<details type=\"reasoning\"> never closed").is_none());
    }
}
