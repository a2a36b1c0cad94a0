//! What is sent upstream: the system prompt, then the branch from the root to
//! the chosen message, leaving out the oldest turns when it would exceed the
//! token budget, so a long conversation never fails for length.

use crate::llm::{ChatTurn, ThinkTags};
use crate::store::{Message, MessageRole};
use std::collections::HashMap;

/// The messages from the root down to `leaf_id`, in order.
pub fn branch<'a>(messages: &'a [Message], leaf_id: &str) -> Vec<&'a Message> {
    let by_id: HashMap<&str, &Message> = messages.iter().map(|m| (m.id.as_str(), m)).collect();
    let mut path = Vec::new();
    let mut next = by_id.get(leaf_id).copied();
    while let Some(message) = next {
        path.push(message);
        if path.len() > messages.len() {
            break;
        }
        next = message.parent_id.as_deref().and_then(|id| by_id.get(id).copied());
    }
    path.reverse();
    path
}

/// A rough token count: CJK characters count one each, other text one per four characters.
pub fn estimate_tokens(text: &str) -> usize {
    let (wide, narrow) = text.chars().fold((0usize, 0usize), |(wide, narrow), c| {
        if c >= '\u{2e80}' {
            (wide + 1, narrow)
        } else {
            (wide, narrow + 1)
        }
    });
    wide + narrow.div_ceil(4) + 4
}

/// The turns to send: system prompt first, then as many of the newest turns of
/// `path` as fit in `budget`; the last turn is always sent. Thinking is never
/// sent: not `reasoning`, nor think tags left in replies stored before they
/// were split off; nor are empty replies.
pub fn build_context(system_prompt: Option<&str>, path: &[&Message], budget: usize) -> Vec<ChatTurn> {
    let system = system_prompt.filter(|p| !p.trim().is_empty()).map(|prompt| ChatTurn {
        role: "system",
        content: prompt.to_owned(),
    });
    let mut remaining = budget.saturating_sub(system.as_ref().map_or(0, |s| estimate_tokens(&s.content)));
    let mut turns: Vec<ChatTurn> = Vec::new();
    for message in path.iter().rev() {
        let (role, content) = match message.role {
            MessageRole::User => ("user", message.content.clone()),
            MessageRole::Assistant => ("assistant", ThinkTags::split(&message.content).answer),
            MessageRole::System => ("system", message.content.clone()),
        };
        if content.is_empty() {
            continue;
        }
        let cost = estimate_tokens(&content);
        if cost > remaining && !turns.is_empty() {
            break;
        }
        remaining = remaining.saturating_sub(cost);
        turns.push(ChatTurn { role, content });
    }
    // A context must not open with the model's own words.
    while turns.len() > 1 && turns.last().is_some_and(|t| t.role == "assistant") {
        turns.pop();
    }
    turns.extend(system);
    turns.reverse();
    turns
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MessageStatus;

    fn message(id: &str, parent: Option<&str>, role: MessageRole, content: &str) -> Message {
        Message {
            id: id.into(),
            conversation_id: "c".into(),
            parent_id: parent.map(Into::into),
            role,
            content: content.into(),
            reasoning: Some("secret thoughts".into()),
            model: None,
            status: MessageStatus::Done,
            error_code: None,
            error_message: None,
            prompt_tokens: None,
            completion_tokens: None,
            reasoning_tokens: None,
            reasoning_ms: None,
            generation_id: None,
            finish_reason: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn the_branch_follows_parents_not_siblings() {
        let messages = vec![
            message("u1", None, MessageRole::User, "q1"),
            message("a1", Some("u1"), MessageRole::Assistant, "first answer"),
            message("a2", Some("u1"), MessageRole::Assistant, "second answer"),
            message("u2", Some("a2"), MessageRole::User, "q2"),
        ];
        let ids: Vec<&str> = branch(&messages, "u2").iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["u1", "a2", "u2"]);
    }

    #[test]
    fn old_turns_are_dropped_to_fit_and_thinking_is_never_sent() {
        let long = "x".repeat(400);
        let messages = vec![
            message("u1", None, MessageRole::User, &long),
            message("a1", Some("u1"), MessageRole::Assistant, &long),
            message("u2", Some("a1"), MessageRole::User, "latest"),
        ];
        let path = branch(&messages, "u2");
        let all = build_context(Some("be brief"), &path, 10_000);
        assert_eq!(all.len(), 4);
        assert_eq!(all[0].role, "system");
        let trimmed = build_context(Some("be brief"), &path, 150);
        let roles: Vec<&str> = trimmed.iter().map(|t| t.role).collect();
        assert_eq!(roles, ["system", "user"]);
        assert_eq!(trimmed[1].content, "latest");
        assert!(all.iter().all(|t| !t.content.contains("secret")));
    }

    #[test]
    fn think_tags_stored_in_old_replies_are_left_out() {
        let messages = vec![
            message("u1", None, MessageRole::User, "<think>a user may write this</think>"),
            message(
                "a1",
                Some("u1"),
                MessageRole::Assistant,
                "<think>old thoughts</think>\n\nold answer",
            ),
            message("u2", Some("a1"), MessageRole::User, "q2"),
            message("a2", Some("u2"), MessageRole::Assistant, "<think>never finished"),
            message("u3", Some("a2"), MessageRole::User, "q3"),
        ];
        let turns = build_context(None, &branch(&messages, "u3"), 10_000);
        let contents: Vec<&str> = turns.iter().map(|t| t.content.as_str()).collect();
        assert_eq!(
            contents,
            ["<think>a user may write this</think>", "old answer", "q2", "q3"]
        );
    }

    #[test]
    fn chinese_counts_more_tokens_per_character() {
        assert!(estimate_tokens("你好世界你好世界") > estimate_tokens("hello wo"));
    }
}
