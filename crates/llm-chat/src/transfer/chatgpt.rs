//! ChatGPT's `conversations.json` (its "Export data" archive): an array of
//! conversations, each a tree of nodes in `mapping` (`parent`, `children`)
//! whose `message` has an `author.role`, a `content` (`content_type` and
//! `parts`), a `create_time` in epoch seconds and `metadata.model_slug`.
//!
//! The tree and its branches are kept. Nodes without a message (the root),
//! system and tool messages, hidden ones and calls to tools are left out and
//! their children hang from the nearest message kept above them. The model's
//! "thoughts" become the reasoning of the answer that follows them.

use super::TransferError;
use super::draft::{Draft, DraftMessage, epoch_ms};
use crate::store::MessageRole;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Deserialize)]
struct Conversation {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    update_time: Option<f64>,
    mapping: HashMap<String, Node>,
    #[serde(default)]
    current_node: Option<String>,
    #[serde(default)]
    is_archived: Option<bool>,
    #[serde(default)]
    default_model_slug: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Node {
    #[serde(default)]
    message: Option<NodeMessage>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    children: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct NodeMessage {
    author: Author,
    #[serde(default)]
    create_time: Option<f64>,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    recipient: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Author {
    role: String,
}

#[derive(Debug, Deserialize)]
struct Content {
    #[serde(default)]
    content_type: Option<String>,
    /// Strings, and objects for images and files (left out).
    #[serde(default)]
    parts: Option<Vec<Value>>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thoughts: Option<Vec<Thought>>,
}

#[derive(Debug, Deserialize)]
struct Thought {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    content: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    model_slug: Option<String>,
    #[serde(default)]
    is_visually_hidden_from_conversation: Option<bool>,
}

/// What a node contributes.
enum Kept {
    Message(Box<DraftMessage>),
    /// Thinking to hand to the next answer below.
    Thoughts(String),
    /// Left out; `true` when it held something a user could have seen.
    Skipped(bool),
}

/// The conversation's id in ChatGPT, for the import's source key.
pub fn source_id(value: &Value) -> Option<String> {
    ["conversation_id", "id"]
        .iter()
        .find_map(|key| value.get(key).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Reads one element of `conversations.json`; `at` names it in errors.
pub fn convert(value: Value, at: &str) -> Result<Draft, TransferError> {
    let conversation: Conversation = super::reader::typed(value, at)?;
    let mapping = &conversation.mapping;
    // Roots: no parent, or a parent the file does not hold.
    let mut roots: Vec<&String> = mapping
        .iter()
        .filter(|(_, node)| node.parent.as_ref().is_none_or(|p| !mapping.contains_key(p)))
        .map(|(key, _)| key)
        .collect();
    roots.sort_by(|a, b| node_time(mapping, a).total_cmp(&node_time(mapping, b)).then(a.cmp(b)));

    let mut draft = Draft {
        title: conversation.title.clone().unwrap_or_default(),
        model: conversation.default_model_slug.clone(),
        params: "{}".to_owned(),
        archived: conversation.is_archived.unwrap_or(false),
        created_at: conversation.create_time.and_then(epoch_ms),
        updated_at: conversation.update_time.and_then(epoch_ms),
        ..Draft::default()
    };
    let mut kept_keys: HashSet<String> = HashSet::new();
    let mut visited: HashSet<&str> = HashSet::new();
    // (node, nearest kept ancestor, thoughts waiting for an answer); a stack,
    // so that a long conversation cannot overflow the call stack.
    let mut stack: Vec<(&String, Option<String>, Option<String>)> =
        roots.into_iter().rev().map(|key| (key, None, None)).collect();
    while let Some((key, parent, thoughts)) = stack.pop() {
        if !visited.insert(key.as_str()) {
            continue;
        }
        let Some(node) = mapping.get(key) else { continue };
        let (below, thoughts_below) = match keep(key, node, parent.clone(), thoughts.clone()) {
            Kept::Message(message) => {
                let message = *message;
                kept_keys.insert(message.key.clone());
                draft.messages.push(message);
                (Some(key.clone()), None)
            }
            Kept::Thoughts(text) => (parent, Some(join(thoughts, text))),
            Kept::Skipped(visible) => {
                draft.skipped_messages += usize::from(visible);
                (parent, thoughts)
            }
        };
        for child in node.children.iter().rev() {
            if mapping.contains_key(child) {
                stack.push((child, below.clone(), thoughts_below.clone()));
            }
        }
    }
    // The selected node, or the nearest message kept above it.
    let mut current = conversation.current_node.clone();
    let mut steps = 0;
    while let Some(key) = current.clone() {
        if kept_keys.contains(&key) || steps > mapping.len() {
            break;
        }
        current = mapping.get(&key).and_then(|node| node.parent.clone());
        steps += 1;
    }
    draft.current = current.filter(|key| kept_keys.contains(key));
    Ok(draft)
}

fn node_time(mapping: &HashMap<String, Node>, key: &str) -> f64 {
    mapping
        .get(key)
        .and_then(|n| n.message.as_ref())
        .and_then(|m| m.create_time)
        .unwrap_or(0.0)
}

fn join(before: Option<String>, text: String) -> String {
    match before {
        Some(before) if !before.is_empty() => format!("{before}\n\n{text}"),
        _ => text,
    }
}

fn keep(key: &str, node: &Node, parent: Option<String>, thoughts: Option<String>) -> Kept {
    let Some(message) = &node.message else {
        return Kept::Skipped(false);
    };
    let metadata = message.metadata.as_ref();
    let hidden = metadata.and_then(|m| m.is_visually_hidden_from_conversation) == Some(true);
    let content_type = message
        .content
        .as_ref()
        .and_then(|c| c.content_type.as_deref())
        .unwrap_or("text");
    let role = match message.author.role.as_str() {
        "user" => MessageRole::User,
        "assistant" => MessageRole::Assistant,
        // System prompts, tool output and anything newer: not a chat turn here.
        _ => return Kept::Skipped(!hidden && !text_of(message).is_empty()),
    };
    if role == MessageRole::Assistant && content_type == "thoughts" {
        let text = message
            .content
            .as_ref()
            .and_then(|c| c.thoughts.as_ref())
            .map(|all| {
                all.iter()
                    .filter_map(|t| t.content.as_deref().or(t.summary.as_deref()))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            })
            .unwrap_or_default();
        return Kept::Thoughts(text);
    }
    // A call to a tool (code for the Python sandbox, a browser query) is not shown.
    let to_tool = message.recipient.as_deref().is_some_and(|r| r != "all");
    let text = text_of(message);
    if hidden || to_tool || content_type == "reasoning_recap" || text.trim().is_empty() {
        return Kept::Skipped(!hidden && content_type != "reasoning_recap" && !text.trim().is_empty());
    }
    let mut draft = DraftMessage::simple(key.to_owned(), parent, role, text);
    draft.created_at = message.create_time.and_then(epoch_ms);
    if role == MessageRole::Assistant {
        draft.model = metadata.and_then(|m| m.model_slug.clone());
        draft.reasoning = thoughts.filter(|t| !t.trim().is_empty());
    }
    Kept::Message(Box::new(draft))
}

/// The readable text of a message: its string parts, or its `text`.
fn text_of(message: &NodeMessage) -> String {
    let Some(content) = &message.content else {
        return String::new();
    };
    if let Some(parts) = &content.parts {
        let texts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
        return texts.join("\n");
    }
    match (content.content_type.as_deref(), &content.text) {
        (Some("code"), Some(code)) => format!("```\n{code}\n```"),
        (_, Some(text)) => text.clone(),
        _ => String::new(),
    }
}
