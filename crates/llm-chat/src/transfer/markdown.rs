//! A conversation as Markdown for people: the branch it shows (root to the
//! current leaf), each message under a heading with its author, model and
//! time, a reasoning model's thinking folded away, and a note when other
//! branches exist (the JSON export keeps them all).

use crate::ops::clock::civil_from_days;
use crate::store::{Conversation, Message, MessageRole, MessageStatus};
use std::collections::HashMap;
use std::fmt::Write;

/// `2026-01-15 08:30 UTC` for epoch milliseconds.
pub fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rest = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rest / 3600, rest % 3600 / 60)
}

/// The messages from the root to the current leaf (or the newest message).
fn shown_branch<'m>(conversation: &Conversation, messages: &'m [Message]) -> Vec<&'m Message> {
    let by_id: HashMap<&str, &Message> = messages.iter().map(|m| (m.id.as_str(), m)).collect();
    let leaf = conversation
        .current_leaf_id
        .as_deref()
        .and_then(|id| by_id.get(id).copied())
        .or_else(|| messages.last());
    let mut path = Vec::new();
    let mut at = leaf;
    while let Some(message) = at {
        if path.len() > messages.len() {
            break;
        }
        path.push(message);
        at = message.parent_id.as_deref().and_then(|id| by_id.get(id).copied());
    }
    path.reverse();
    path
}

/// Renders the conversation; `exported_at` is in epoch milliseconds.
pub fn render(conversation: &Conversation, messages: &[Message], exported_at: i64) -> String {
    let mut out = String::new();
    let title = if conversation.title.is_empty() {
        "Untitled conversation"
    } else {
        conversation.title.as_str()
    };
    // Writing into a String cannot fail.
    let _ = writeln!(out, "# {}\n", one_line(title));
    let _ = writeln!(out, "- Created: {}", utc_minute(conversation.created_at));
    let _ = writeln!(out, "- Last activity: {}", utc_minute(conversation.updated_at));
    if let Some(model) = &conversation.model {
        let _ = writeln!(out, "- Model: {}", one_line(model));
    }
    let _ = writeln!(out, "- Exported: {}", utc_minute(exported_at));
    let branch = shown_branch(conversation, messages);
    let hidden = messages.len() - branch.len();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "\n> This conversation has other branches ({hidden} more message{} not shown here). \
             Export it as JSON to keep every branch.",
            if hidden == 1 { "" } else { "s" }
        );
    }
    if let Some(prompt) = &conversation.system_prompt {
        let _ = writeln!(out, "\n## System prompt\n\n{}", prompt.trim_end());
    }
    for message in branch {
        out.push_str("\n---\n\n");
        let author = match message.role {
            MessageRole::User => "User".to_owned(),
            MessageRole::System => "System".to_owned(),
            MessageRole::Assistant => match &message.model {
                Some(model) => format!("Assistant ({})", one_line(model)),
                None => "Assistant".to_owned(),
            },
        };
        let _ = writeln!(out, "### {author} · {}\n", utc_minute(message.created_at));
        if let Some(reasoning) = message.reasoning.as_deref().filter(|r| !r.trim().is_empty()) {
            let summary = match message.reasoning_ms {
                Some(ms) => format!("Thought for {} s", (ms + 500) / 1000),
                None => "Thinking".to_owned(),
            };
            let _ = writeln!(
                out,
                "<details>\n<summary>{summary}</summary>\n\n{}\n\n</details>\n",
                reasoning.trim_end()
            );
        }
        let _ = writeln!(out, "{}", message.content.trim_end());
        match message.status {
            MessageStatus::Done | MessageStatus::Streaming => {}
            MessageStatus::Cancelled => out.push_str("\n*(stopped before the end)*\n"),
            MessageStatus::Interrupted => out.push_str("\n*(interrupted: the server stopped while writing it)*\n"),
            MessageStatus::Error => {
                let reason = message.error_message.as_deref().unwrap_or("the model failed");
                let _ = writeln!(out, "\n*(error: {})*", one_line(reason));
            }
        }
    }
    out
}

/// Line breaks would end a heading or list item early.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::utc_minute;

    #[test]
    fn times_are_utc_to_the_minute() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_709_210_096_000), "2024-02-29 12:34 UTC");
    }
}
