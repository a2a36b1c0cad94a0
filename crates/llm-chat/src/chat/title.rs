//! Naming a new conversation: the model writes a short title from the first
//! message while the reply streams; the start of the message is the fallback.

use crate::llm::{ChatTurn, Route, SamplingParams, UpstreamClient};
use crate::store::Store;
use std::time::Duration;
use tokio::sync::oneshot;

const TITLE_TIMEOUT: Duration = Duration::from_secs(20);
const MAX_CHARS: usize = 60;

const INSTRUCTION: &str = "Write a short title (at most 8 words) for a conversation that begins with the user's message below. \
Use the language of the message. Reply with the title only: no quotes, no punctuation at the end.";

/// The first words of the message, as a title.
pub fn fallback_title(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let mut title: String = line.chars().take(40).collect();
    if line.chars().count() > 40 {
        title.push('…');
    }
    title
}

fn clean(raw: &str) -> Option<String> {
    let line = raw.lines().map(str::trim).find(|l| !l.is_empty())?;
    let title = line
        .trim_start_matches(['#', '*', ' '])
        .trim_matches(['"', '\'', '“', '”', '「', '」', '《', '》', '*', ' '])
        .trim_end_matches(['.', '。']);
    let title: String = title.chars().take(MAX_CHARS).collect();
    (!title.is_empty()).then_some(title)
}

/// Starts naming the conversation; the receiver gets the title once it is stored.
pub fn spawn(
    store: Store,
    client: UpstreamClient,
    route: Option<Route>,
    conversation_id: String,
    first_message: String,
) -> oneshot::Receiver<String> {
    let (sender, receiver) = oneshot::channel();
    tokio::spawn(async move {
        let from_model = match &route {
            Some(route) => {
                let excerpt: String = first_message.chars().take(2000).collect();
                let turns = [
                    ChatTurn {
                        role: "system",
                        content: INSTRUCTION.to_owned(),
                    },
                    ChatTurn {
                        role: "user",
                        content: excerpt,
                    },
                ];
                let params = SamplingParams {
                    temperature: Some(0.3),
                    top_p: None,
                    max_tokens: Some(32),
                };
                match client.complete(route, &turns, params, TITLE_TIMEOUT).await {
                    Ok(raw) => clean(&raw),
                    Err(err) => {
                        tracing::info!(error = %err, "the model wrote no title; using the start of the message");
                        None
                    }
                }
            }
            None => None,
        };
        let title = from_model.unwrap_or_else(|| fallback_title(&first_message));
        match store.set_title_if_empty(&conversation_id, &title).await {
            Ok(true) => {
                let _ = sender.send(title);
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "could not store the conversation title"),
        }
    });
    receiver
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cleaned_and_fall_back_to_the_message() {
        assert_eq!(clean("\"Rust 异步编程\"\n"), Some("Rust 异步编程".into()));
        assert_eq!(clean("## Planning a trip."), Some("Planning a trip".into()));
        assert_eq!(clean("  "), None);
        assert_eq!(fallback_title("\n  hello world  \nmore"), "hello world");
        assert_eq!(fallback_title(&"长".repeat(50)).chars().count(), 41);
    }
}
